#!/bin/sh
# Error paths of the command line: every one prints exactly one line on
# stderr ("vcrypto: ...") and exits 2 (usage) or 1 (failure); plus info,
# help and the statistics socket (vhost-user mode only).
. "$(dirname "$0")/lib.sh"

K16=000102030405060708090a0b0c0d0e0f
IV16=$K16
mkdata "$T/m" 100

fails 2 "no command" "$VCRYPTO"
fails 2 "unknown command" "$VCRYPTO" frobnicate
fails 2 "unknown global option" "$VCRYPTO" --frob info
fails 2 "unknown algorithm" vc enc -a aes-129-cbc -k "$K16" --iv "$IV16" -in "$T/m"
fails 2 "hash name given to enc" vc enc -a sha256 -k "$K16" -in "$T/m"
fails 2 "cipher name given to dgst" vc dgst -a aes-128-cbc -in "$T/m"
fails 2 "no algorithm" vc enc -k "$K16" --iv "$IV16" -in "$T/m"
fails 2 "bad hex key (not a hex digit)" vc enc -a aes-128-cbc -k 00zz -in "$T/m"
fails 2 "bad hex key (odd length)" vc enc -a aes-128-cbc -k 000 --iv "$IV16" -in "$T/m"
fails 2 "wrong key length" vc enc -a aes-128-cbc -k 0001020304 --iv "$IV16" -in "$T/m"
fails 2 "wrong key length (aes-256 with 16 bytes)" \
    vc enc -a aes-256-ctr -k "$K16" --iv "$IV16" -in "$T/m"
fails 2 "missing IV" vc enc -a aes-128-cbc -k "$K16" -in "$T/m"
fails 2 "wrong IV length" vc enc -a aes-128-cbc -k "$K16" --iv 0001 -in "$T/m"
fails 2 "IV given to ECB" vc enc -a aes-128-ecb -k "$K16" --iv "$IV16" -in "$T/m"
fails 2 "no key" vc enc -a aes-128-cbc --iv "$IV16" -in "$T/m"
fails 2 "unknown option" vc enc -a aes-128-cbc -k "$K16" --iv "$IV16" --frob
fails 2 "option of another command" vc dgst -a sha256 --iv "$IV16" -in "$T/m"
fails 2 "option without its argument" vc enc -a aes-128-cbc -k
fails 2 "non-numeric --chunk" vc enc -a aes-128-ctr -k "$K16" --iv "$IV16" --chunk lots
fails 2 "--chunk below one block" vc enc -a aes-128-ctr -k "$K16" --iv "$IV16" --chunk 8
fails 1 "missing input file" vc enc -a aes-128-cbc -k "$K16" --iv "$IV16" -in "$T/nope"
fails 1 "unwritable output" vc enc -a aes-128-cbc -k "$K16" --iv "$IV16" -in "$T/m" \
    -out "$T/no/such/dir/out"
fails 2 "3DES with a 16-byte (2-key) key" vc enc -a des-ede3-cbc -k "$K16" --iv 0001020304050607
fails 1 "aes-xts with equal key halves (device refuses)" \
    vc enc -a aes-128-xts -k "$K16$K16" --iv "$IV16" -in "$T/m"
fails 2 "bench with an asymmetric algorithm" vc bench -a rsa --quick
fails 2 "bench with a bad size" vc bench --sizes 0 --quick
fails 2 "stats without --ctl" "$VCRYPTO" stats
fails 1 "stats on a missing socket" "$VCRYPTO" stats --ctl "$T/nope.sock"
fails 1 "device that does not exist" "$VCRYPTO" --device "vhost-user:$T/nope.sock" info
fails 2 "malformed device spec" "$VCRYPTO" --device "bogus:xyz" info

# Help and info on the device under test.
check "--help exits 0" "$VCRYPTO" --help
check "enc --help lists -nopad" sh -c "'$VCRYPTO' enc --help | grep -q nopad"
vc info >"$T/info.txt"
check "info lists the five services" \
    grep -q 'services     cipher hash mac aead akcipher' "$T/info.txt"
check "info lists max_size" grep -q '^max_size     [0-9]' "$T/info.txt"
check "info lists aes-256-gcm among the usable names" grep -q 'aes-256-gcm' "$T/info.txt"
if command -v jq >/dev/null; then
    vc info --json >"$T/info.json"
    check "info --json parses and names the transport" \
        jq -e '.transport and .max_size > 0 and (.cli_algorithms | index("aes-256-gcm"))' \
        "$T/info.json"
fi

if [ "$MODE" = vhost-user ]; then
    vc dgst -a sha256 -in "$T/m" >/dev/null
    "$VCRYPTO" stats --ctl "$T/ctl.sock" --json >"$T/stats.json"
    check "stats --json returns the daemon's document" grep -q '"devices"' "$T/stats.json"
    if command -v jq >/dev/null && jq -e '.version == "1" and (.devices | length) == 1' \
        "$T/stats.json" >/dev/null 2>&1; then
        ok "stats --json is valid JSON with one device"
    else
        not_ok "stats --json is valid JSON with one device"
    fi
    "$VCRYPTO" stats --ctl "$T/ctl.sock" >"$T/stats.txt" 2>"$T/stats.err"
    if grep -q 'requests' "$T/stats.txt" && grep -q '^  *0 data ' "$T/stats.txt"; then
        ok "stats prints a table (queue 0, data, requests column)"
    else
        not_ok "stats prints a table (queue 0, data, requests column)"
    fi
fi

finish
