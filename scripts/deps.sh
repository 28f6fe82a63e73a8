#!/bin/sh
# Installs every Debian 12 package the project needs. Idempotent and quiet when
# everything is present. Runs apt-get only when something is missing.
set -eu
pkgs="meson ninja-build pkg-config gcc clang libclang-rt-14-dev llvm-14 libssl-dev openssl
libjansson-dev python3-cryptography-vectors jq gnuplot-nox"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# QEMU, busybox and the Debian guest kernel for the real-guest tests.
exec "$(dirname "$0")/deps-guest.sh"
