#!/bin/sh
# Builds the test initramfs (gzip'd newc cpio) for the kernel tree given as $1 (from
# fetch.sh kernel) and prints its path. Idempotent: the image is named after a hash of its
# inputs and reused while none of them changes.
#
# Contents: busybox-static, /init (init.sh), /guest_test (guest_test.c, gcc -static), and
# the modules virtio_pci, virtio_crypto and algif_skcipher with their dependency closure,
# in load order in /modules.list. Dependencies are read from each module's modinfo
# "depends=" field (the Debian package ships no modules.dep); modules built into the
# kernel (modules.builtin) are skipped. aesni_intel is deliberately left out so that the
# virtio driver has the highest cbc(aes) priority.
set -eu
# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

kernel=${1:?usage: mkinitramfs.sh KERNEL_DIR}
ROOTS="virtio_pci virtio_crypto algif_skcipher"
BUSYBOX=${VC_GUEST_BUSYBOX:-/bin/busybox}
CC=${VC_GUEST_CC:-gcc}
SRC_DIR=$GUEST_DIR/../../src

moddir=$(ls -d "$kernel"/lib/modules/* | head -n 1)
[ -d "$moddir/kernel" ] || die "no modules under $kernel/lib/modules"
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable' ||
    die "$BUSYBOX is not static (install busybox-static)"

key=$(cat "$GUEST_DIR/init.sh" "$GUEST_DIR/guest_test.c" "$SRC_DIR/common/compiler.h" "$0" \
    "$BUSYBOX" |
    { sha256sum; echo "$(basename "$kernel") $ROOTS $CC"; } | sha256sum | cut -c1-16)
out=$CACHE/initramfs/$(basename "$kernel")-$key.cpio.gz
# Concurrent runs (meson, several engineers) build one image, one at a time.
mkdir -p "$CACHE/initramfs"
exec 9>"$CACHE/initramfs/.lock"
flock 9
if [ -s "$out" ]; then
    echo "$out"
    exit 0
fi

work=$CACHE/initramfs/work.$$
trap 'rm -rf "$work"' EXIT
rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/lib/modules" "$work/root/proc" "$work/root/sys" \
    "$work/root/dev" "$work/root/tmp"

# name -> path of every module shipped, names normalised to underscores.
find "$moddir/kernel" -name '*.ko*' | while read -r p; do
    n=$(basename "$p" | sed 's/\.ko.*//' | tr - _)
    echo "$n $p"
done >"$work/index"
sed 's|.*/||; s/\.ko.*//' "$moddir/modules.builtin" | tr - _ >"$work/builtin"

modpath() { awk -v n="$1" '$1 == n { print $2; exit }' "$work/index"; }

ko_depends() {
    case $1 in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *) cat "$1" ;;
    esac | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',-' ' _'
}

# Depth-first post-order: a module is listed after everything it depends on.
: >"$work/order"
visit() {
    if grep -qx "$1" "$work/order" || grep -qx "$1" "$work/builtin"; then
        return 0
    fi
    p=$(modpath "$1")
    [ -n "$p" ] || die "module $1 is neither shipped nor built in"
    for d in $(ko_depends "$p"); do
        visit "$d"
    done
    # $p may have been overwritten by the recursion.
    p=$(modpath "$1")
    case $p in
    *.ko.xz) xz -dc "$p" >"$work/root/lib/modules/$1.ko" ;;
    *.ko.zst) zstd -qdc "$p" >"$work/root/lib/modules/$1.ko" ;;
    *) cp "$p" "$work/root/lib/modules/$1.ko" ;;
    esac
    echo "$1" >>"$work/order"
}
for r in $ROOTS; do
    visit "$r"
done
if grep -q aesni "$work/order"; then
    die "aesni_intel ended up in the initramfs; the virtio driver would lose on priority"
fi
cp "$work/order" "$work/root/modules.list"

cp "$BUSYBOX" "$work/root/bin/busybox"
cp "$GUEST_DIR/init.sh" "$work/root/init"
chmod 755 "$work/root/init"
$CC -std=c11 -O2 -static -Wall -Wextra -I"$SRC_DIR" -o "$work/root/guest_test" \
    "$GUEST_DIR/guest_test.c"

mkdir -p "$(dirname "$out")"
rm -f "$CACHE/initramfs/$(basename "$kernel")"-*.cpio.gz # older inputs
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
    gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
log "initramfs: modules $(paste -sd' ' "$work/order") -> $out"
echo "$out"
