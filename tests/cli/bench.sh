#!/bin/sh
# vcrypto bench, briefly: every cell is cross-checked against OpenSSL before
# it is timed (a wrong device fails the run), the JSON has the fields the
# docs promise, and --plot writes a PNG when gnuplot is installed. Timing
# values are not asserted (a shared 2-core machine), only that they exist.
. "$(dirname "$0")/lib.sh"

devs=$DEVICE
[ "$MODE" = vhost-user ] && devs="$DEVICE,inproc"
vc bench --devices "$devs" -a aes-128-gcm,aes-128-cbc,sha256,hmac-sha256,des-ede3-ctr \
    --sizes 64,1k --time-ms 40 --rounds 2 --json --save "$T/saved.json" >"$T/b.json" \
    2>"$T/b.err"
rc=$?
check "bench exits 0 (every device cell matched OpenSSL)" [ $rc -eq 0 ]
if [ $rc -ne 0 ]; then
    sed 's/^/# /' "$T/b.err"
    grep '"ok": false' "$T/b.json" | sed 's/^/# /'
fi
check "--save wrote the same JSON as --json" cmp -s "$T/b.json" "$T/saved.json"
if command -v jq >/dev/null; then
    ntargets=$(echo "$devs" | tr ',' '\n' | wc -l)
    check "one result per algorithm, size and target (5 x 2 x $((ntargets + 1)))" \
        [ "$(jq '.results | length' "$T/b.json")" -eq $((10 * (ntargets + 1))) ]
    check "every device cell ok with ops/s, GB/s, thread and process CPU, ratio" \
        jq -e '[.results[] | select(.target != "native")] |
            all(.ok and .ops_per_s > 0 and .gb_per_s > 0 and .cpu_ns_per_op > 0 and
                .proc_cpu_ns_per_op > 0 and (.rounds_ops_per_s | length) == 2 and
                (.alg == "des-ede3-ctr" or .vs_native > 0))' "$T/b.json"
    check "native has no 3DES-CTR and is measured for the rest" \
        jq -e '[.results[] | select(.target == "native")] |
            all(if .alg == "des-ede3-ctr" then (.ok | not) else .ok end)' "$T/b.json"
else
    not_ok "jq is missing (make deps installs it)"
fi
vc bench -a aes-128-gcm --sizes 64 --time-ms 20 --rounds 1 >"$T/b.txt"
check "table has the header and a native row" \
    sh -c "grep -q 'thread ns' '$T/b.txt' && grep -q '^aes-128-gcm .* native ' '$T/b.txt'"
if command -v gnuplot >/dev/null; then
    vc bench -a sha256 --sizes 64,256 --time-ms 20 --rounds 1 --plot "$T/p.png" >/dev/null
    check "--plot writes a PNG" sh -c "head -c 8 '$T/p.png' | od -An -c | grep -q 'P   N   G'"
else
    fails 1 "--plot without gnuplot is refused up front" \
        vc bench -a sha256 --sizes 64 --time-ms 20 --rounds 1 --plot "$T/p.png"
fi
fails 2 "bench --burst above the window limit" vc bench --burst 1000 --quick
fails 2 "bench with an unknown algorithm" vc bench -a aes-999 --quick

finish
