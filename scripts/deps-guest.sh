#!/bin/sh
# Host packages and downloads for the real-guest test (tests/guest/, issue #3 §4).
# Idempotent; runs apt-get install only when a package is missing.
#
#   scripts/deps-guest.sh            qemu-system-x86 (QEMU 7.2), busybox-static, cpio, gcc;
#                                    then the guest kernel into tests/guest/cache/
#   scripts/deps-guest.sh --qemu10   also QEMU 10.x from bookworm-backports, extracted into
#                                    tests/guest/cache/qemu10/ (the system QEMU is untouched)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
qemu10=0
for a in "$@"; do
    case $a in
    --qemu10) qemu10=1 ;;
    *) echo "usage: $0 [--qemu10]" >&2; exit 2 ;;
    esac
done

"$top/scripts/apt-ensure.sh" deps-guest qemu-system-x86 busybox-static cpio gzip gcc libc6-dev

"$top/tests/guest/fetch.sh" kernel >/dev/null
[ "$qemu10" = 0 ] || "$top/tests/guest/fetch.sh" qemu10 >/dev/null
