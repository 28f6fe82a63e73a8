#!/bin/sh
# Installs every Debian 12 package the project needs. Idempotent and quiet when
# everything is present. Runs apt-get only when something is missing.
set -eu
here=$(dirname "$0")
"$here/apt-ensure.sh" deps meson ninja-build pkg-config gcc clang libclang-rt-14-dev llvm-14 \
    libssl-dev openssl libjansson-dev python3-cryptography-vectors jq gnuplot-nox
# QEMU, busybox and the Debian guest kernel for the real-guest tests.
exec "$here/deps-guest.sh"
