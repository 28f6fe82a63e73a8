#!/bin/sh
# Guest-path benchmark (issue #3 §6): AF_ALG cbc(aes) (AES-128) encrypt throughput inside
# the TCG guest, one request at a time, at 256 B, 4 KiB, 16 KiB and 64 KiB, through the
# virtio driver (virtio_crypto_aes_cbc -> QEMU -> backend) and, for reference, through the
# guest's own software cbc(aes-generic) (emulated by TCG, so slow).
#
# Usage:
#   tests/guest/bench.sh [--secs N] [run.sh options, e.g. --qemu10,
#                         --backend vhost-user --vcryptod PATH]
#       one run, full table (virtio and software rows, virtio/sw ratio)
#   tests/guest/bench.sh --compare VCRYPTOD [--rounds R] [--secs N] [--qemu10 ...]
#       R rounds (default 3) alternating cryptodev-backend-builtin and
#       cryptodev-vhost-user + VCRYPTOD in the same QEMU; prints the median MB/s of each
#       and vcryptod/builtin. Alternating rounds and medians damp the noise of a shared
#       machine.
#
# Numbers from a TCG guest measure the whole path (guest driver, virtqueue, notification,
# backend), not the host cipher; compare backends within one QEMU and one session only.
set -eu
secs=2
rounds=3
compare=""
while [ $# -gt 0 ]; do
    case $1 in
    --secs) secs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --compare) compare=$2; shift 2 ;;
    *) break ;;
    esac
done
run=$(dirname "$0")/run.sh
# Boot (~10 s) + 8 runs of $secs, with room for a loaded machine.
tmo=$(awk -v s="$secs" 'BEGIN { printf "%d", 60 + 8 * s * 2 }')

# bench_once RUN.SH-OPTIONS...: prints the run.sh header line, then the BENCH rows.
bench_once() {
    out=$("$run" --mode bench --arg "$secs" --timeout "$tmo" "$@") || {
        printf '%s\n' "$out" >&2
        echo "bench: guest run failed" >&2
        return 1
    }
    printf '%s\n' "$out" | sed -n '1s/^# //p'
    printf '%s\n' "$out" | sed -n 's/^# BENCH //p'
}

if [ -z "$compare" ]; then
    bench_once "$@" | awk '
        NR == 1 { print; next }
        NR == 2 { printf "%s %10s\n", $0, "virtio/sw"; next }
        { key = $2; if ($1 != "cbc(aes-generic)") { v[key] = $5; line[key] = $0; order[++n] = key }
          else { g[key] = $5; gl[key] = $0 } }
        END {
            for (i = 1; i <= n; i++) {
                k = order[i]
                printf "%s %10.2f\n", line[k], (g[k] > 0 ? v[k] / g[k] : 0)
            }
            for (i = 1; i <= n; i++) print gl[order[i]]
        }'
    exit 0
fi

[ -x "$compare" ] || { echo "bench: $compare is not executable" >&2; exit 2; }
res=$(mktemp "${TMPDIR:-/tmp}/vc-bench.XXXXXX")
trap 'rm -f "$res"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    for b in builtin vhost-user; do
        if [ "$b" = builtin ]; then
            lines=$(bench_once "$@")
        else
            lines=$(bench_once "$@" --backend vhost-user --vcryptod "$compare")
        fi
        if [ "$r" = 1 ] && [ "$b" = builtin ]; then
            printf '%s\n' "$lines" | head -n 1 | sed 's/; backend [^;]*//'
        fi
        printf '%s\n' "$lines" | awk -v b="$b" 'NR > 2 && $1 == "virtio_crypto_aes_cbc" {
            print b, $2, $4, $5 }' >>"$res"
    done
    r=$((r + 1))
done
echo "guest AF_ALG cbc(aes) AES-128 encrypt, $rounds alternating rounds x $secs s, medians:"
awk '
    function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { ops[$1, $2] = ops[$1, $2] " " $3; mbs[$1, $2] = mbs[$1, $2] " " $4
      if (!seen[$2]++) order[++n] = $2 }
    END {
        printf "%8s %14s %14s %14s %14s %10s\n", "size", "builtin ops/s", "builtin MB/s",
            "vcryptod ops/s", "vcryptod MB/s", "vcr/builtin"
        for (i = 1; i <= n; i++) {
            s = order[i]
            bo = median(ops["builtin", s]); bm = median(mbs["builtin", s])
            vo = median(ops["vhost-user", s]); vm = median(mbs["vhost-user", s])
            printf "%8s %14.0f %14.2f %14.0f %14.2f %10.2f\n", s, bo, bm, vo, vm,
                (bm > 0 ? vm / bm : 0)
        }
    }' "$res"
