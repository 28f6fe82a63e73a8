#!/bin/sh
# Guest-path benchmark (issue #3 §6): AF_ALG cbc(aes) (AES-128) encrypt throughput inside
# the TCG guest, one request at a time, at 256 B, 4 KiB, 16 KiB and 64 KiB, through the
# virtio driver (virtio_crypto_aes_cbc -> QEMU -> backend) and, for reference, through the
# guest's own software cbc(aes-generic) (emulated by TCG, so slow).
#
# Usage: tests/guest/bench.sh [--secs N] [run.sh options, e.g. --qemu10,
#                              --backend vhost-user --vcryptod build/.../vcryptod]
# Prints a table; compare two backends by running it twice in the same QEMU:
#   tests/guest/bench.sh                       (cryptodev-backend-builtin)
#   tests/guest/bench.sh --backend vhost-user --vcryptod PATH
# Numbers from a TCG guest measure the whole path (guest driver, virtqueue, notification,
# backend), not the host cipher; only ratios between backends in one QEMU are meaningful.
set -eu
secs=2
if [ "${1:-}" = --secs ]; then
    secs=$2
    shift 2
fi
# Boot (~10 s) + 8 runs of $secs, with room for a loaded machine.
tmo=$(awk -v s="$secs" 'BEGIN { printf "%d", 60 + 8 * s * 2 }')
out=$("$(dirname "$0")/run.sh" --mode bench --arg "$secs" --timeout "$tmo" "$@") || {
    printf '%s\n' "$out" >&2
    echo "bench: guest run failed" >&2
    exit 1
}
printf '%s\n' "$out" | sed -n '1s/^# //p'
printf '%s\n' "$out" | sed -n 's/^# BENCH //p' | awk '
    NR == 1 { printf "%s %10s\n", $0, "virtio/sw"; next }
    { key = $2; if ($1 != "cbc(aes-generic)") { v[key] = $5; line[key] = $0; order[++n] = key }
      else { g[key] = $5; gl[key] = $0 } }
    END {
        for (i = 1; i <= n; i++) {
            k = order[i]
            printf "%s %10.2f\n", line[k], (g[k] > 0 ? v[k] / g[k] : 0)
        }
        for (i = 1; i <= n; i++) print gl[order[i]]
    }'
