#!/bin/sh
# Fetches the guest kernel or QEMU 10.x into the cache, idempotently, from Debian packages
# only, and prints the resulting directory on stdout.
#
#   fetch.sh kernel   linux-image-amd64 (bookworm, or $VC_GUEST_KERNEL_SUITE, e.g.
#                     bookworm-backports) -> cache/kernel/<package>_<version>/
#                     with boot/vmlinuz-* and the lib/modules subtrees the initramfs needs.
#   fetch.sh qemu10   qemu-system-x86 + qemu-system-common + qemu-system-data + seabios from
#                     bookworm-backports -> cache/qemu10/<version>/root/ (dpkg-deb -x; the
#                     system QEMU 7.2 is left alone). Its libraries must resolve on
#                     bookworm; this is checked with ldd.
#
# A finished fetch leaves a "current" file naming the directory; later calls use it without
# network access. VC_GUEST_REFRESH=1 forces a new download.
set -eu
# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

fetch_kernel() {
    kdir=$CACHE/kernel
    if [ "${VC_GUEST_REFRESH:-0}" != 1 ] && [ -f "$kdir/current" ]; then
        d=$kdir/$(cat "$kdir/current")
        if ls "$d"/boot/vmlinuz-* >/dev/null 2>&1; then
            echo "$d"
            return 0
        fi
    fi
    apt_private_update
    spec=linux-image-amd64
    [ -z "${VC_GUEST_KERNEL_SUITE:-}" ] || spec=linux-image-amd64/$VC_GUEST_KERNEL_SUITE
    dl=$kdir/download
    rm -rf "$dl"
    apt_download "$dl" "$spec"
    meta=$(ls "$dl"/linux-image-amd64_*.deb)
    # The metapackage depends on exactly one versioned image package.
    pkg=$(dpkg-deb -f "$meta" Depends | sed 's/[ ,(].*//')
    case $pkg in linux-image-*) ;; *) die "unexpected Depends in $meta: $pkg" ;; esac
    spec=$pkg
    [ -z "${VC_GUEST_KERNEL_SUITE:-}" ] || spec=$pkg/$VC_GUEST_KERNEL_SUITE
    apt_download "$dl" "$spec"
    deb=$(ls "$dl/${pkg}"_*.deb)
    ver=$(dpkg-deb -f "$deb" Version)
    name=${pkg}_$ver
    rm -rf "$kdir/$name.tmp"
    mkdir -p "$kdir/$name.tmp"
    dpkg-deb -x "$deb" "$kdir/$name.tmp"
    # Keep only what an initramfs for virtio-crypto can need (the full tree is 400 MB).
    for m in "$kdir/$name.tmp"/lib/modules/*; do
        mkdir -p "$m/keep"
        for sub in kernel/crypto kernel/lib kernel/drivers/virtio kernel/drivers/crypto \
            kernel/arch/x86/crypto; do
            [ ! -d "$m/$sub" ] || { mkdir -p "$m/keep/$(dirname "$sub")" &&
                mv "$m/$sub" "$m/keep/$sub"; }
        done
        rm -rf "$m/kernel"
        mv "$m/keep/kernel" "$m/kernel"
        rmdir "$m/keep"
    done
    rm -rf "${kdir:?}/${name:?}"
    mv "$kdir/$name.tmp" "$kdir/$name"
    echo "$name" >"$kdir/current"
    rm -rf "$dl"
    log "kernel: $pkg $ver -> $kdir/$name"
    echo "$kdir/$name"
}

fetch_qemu10() {
    qdir=$CACHE/qemu10
    if [ "${VC_GUEST_REFRESH:-0}" != 1 ] && [ -f "$qdir/current" ]; then
        d=$qdir/$(cat "$qdir/current")
        if [ -x "$d/root/usr/bin/qemu-system-x86_64" ]; then
            echo "$d"
            return 0
        fi
    fi
    apt_private_update
    ver=$(apt_version qemu-system-x86/bookworm-backports)
    [ -n "$ver" ] || die "no qemu-system-x86 in bookworm-backports"
    name=$(echo "$ver" | tr ':~' '__')
    dl=$qdir/download
    rm -rf "$dl"
    # seabios 1.16.2 in bookworm is older than QEMU 10's ">> 1.16.3-1~", so take the
    # backports one too; ipxe-qemu is not needed (the guest has no NIC).
    apt_download "$dl" qemu-system-x86/bookworm-backports qemu-system-common/bookworm-backports \
        qemu-system-data/bookworm-backports seabios/bookworm-backports
    rm -rf "$qdir/$name.tmp"
    mkdir -p "$qdir/$name.tmp/root"
    for deb in "$dl"/*.deb; do
        dpkg-deb -x "$deb" "$qdir/$name.tmp/root"
        dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$qdir/$name.tmp/packages.txt"
    done
    missing=$(ldd "$qdir/$name.tmp/root/usr/bin/qemu-system-x86_64" | grep 'not found' || true)
    [ -z "$missing" ] || die "QEMU 10 needs libraries bookworm lacks: $missing"
    rm -rf "${qdir:?}/${name:?}"
    mv "$qdir/$name.tmp" "$qdir/$name"
    echo "$name" >"$qdir/current"
    rm -rf "$dl"
    log "qemu10: $ver -> $qdir/$name"
    echo "$qdir/$name"
}

# Concurrent first runs must not download into the same directory.
mkdir -p "$CACHE"
exec 9>"$CACHE/.fetch.lock"
flock 9
case ${1:-} in
kernel) fetch_kernel ;;
qemu10) fetch_qemu10 ;;
*) die "usage: $0 kernel|qemu10" ;;
esac
