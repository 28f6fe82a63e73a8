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

pkgs="qemu-system-x86 busybox-static cpio gzip gcc libc6-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps-guest: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

"$top/tests/guest/fetch.sh" kernel >/dev/null
[ "$qemu10" = 0 ] || "$top/tests/guest/fetch.sh" qemu10 >/dev/null
