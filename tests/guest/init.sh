#!/bin/busybox sh
# /init of the test initramfs (PID 1, busybox sh). Loads the modules listed in
# /modules.list in that order (dependencies first, computed on the host), runs the test
# program and powers the guest off. Must never exit: PID 1 exiting panics the kernel.
#
# The kernel passes unknown "name=value" boot options to init as environment variables:
#   vct=test|bench   what to run (default test)
#   vctarg=VALUE     second argument (test: PRNG seed; bench: seconds per size)

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

echo "VCT: init: kernel $(uname -r), loading modules"
# shellcheck disable=SC2013 # one module name per line, no spaces
for m in $(cat /modules.list); do
    insmod "/lib/modules/$m.ko" || echo "VCT: init: insmod $m failed"
done

mode=${vct:-test}
if [ -n "${vctarg:-}" ]; then
    /guest_test "$mode" "$vctarg"
else
    /guest_test "$mode"
fi
echo "VCT: init: guest_test exited with status $?"

sync
poweroff -f
# Only reached if ACPI poweroff failed.
echo o >/proc/sysrq-trigger
while :; do sleep 60; done
