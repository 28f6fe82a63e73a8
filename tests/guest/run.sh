#!/bin/sh
# Real-Linux-guest test (issue #3 §4): boots Debian's kernel under QEMU (TCG) with a
# virtio-crypto-pci device and runs guest_test inside; prints TAP on stdout.
#
# Usage: tests/guest/run.sh [options]
#   --backend builtin|vhost-user  cryptodev backend (default $VC_GUEST_BACKEND or builtin)
#   --socket PATH                 vhost-user: socket of an already running backend
#   --vcryptod PATH               vhost-user: start PATH --socket-path SOCK $VCRYPTOD_ARGS
#                                 on a private socket and stop it afterwards
#   --qemu PATH                   QEMU binary (default qemu-system-x86_64 from PATH)
#   --qemu10                      QEMU 10.x from bookworm-backports, fetched into the cache
#   --mode test|bench|large       what the guest runs (default test; large probes
#                                 request sizes above 64 KiB, expect failures)
#   --arg VALUE                   test: PRNG seed; bench: seconds per size (default 2)
#   --timeout SECS                kill QEMU after SECS (default 100)
#   --log FILE                    keep the serial console log there
#   -v                            copy the console log to stderr at the end
#
# Exit status: 0 if the guest printed its result line with >0 passed and 0 failed and
# every host-side check passed; 77 (TAP "1..0 # SKIP") only if QEMU or the kernel cannot be
# obtained; 1 otherwise. A skip is never a pass.
#
# Known traps (measured): KVM on our machines cannot boot a kernel, so TCG always; under
# TCG, QEMU 7.2 segfaults with MSI-X on a vhost-user crypto device, so vectors=0 (used for
# both backends to keep them comparable); QEMU shows the guest only AES-CBC and SHA1.
set -eu
# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

backend=${VC_GUEST_BACKEND:-builtin}
socket=""
vcryptod=""
qemu=""
qemu10=0
mode="test"
arg=""
tmo=100
logfile=""
verbose=0
while [ $# -gt 0 ]; do
    case $1 in
    --backend) backend=$2; shift ;;
    --socket) socket=$2; shift ;;
    --vcryptod) vcryptod=$2; shift ;;
    --qemu) qemu=$2; shift ;;
    --qemu10) qemu10=1 ;;
    --mode) mode=$2; shift ;;
    --arg) arg=$2; shift ;;
    --timeout) tmo=$2; shift ;;
    --log) logfile=$2; shift ;;
    -v) verbose=1 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
    esac
    shift
done
case $backend in builtin | vhost-user) ;; *) die "--backend builtin|vhost-user" ;; esac
case $mode in test | bench | large) ;; *) die "--mode test|bench|large" ;; esac
if [ "$backend" = vhost-user ] && [ -z "$socket" ] && [ -z "$vcryptod" ]; then
    die "--backend vhost-user needs --socket PATH or --vcryptod PATH"
fi

# Skip exit status: 77 for humans and make; meson's TAP runner (1.0.1) calls
# any non-zero exit an error, so tests/guest/meson.build sets VC_SKIP_EXIT=0.
skip() {
    echo "1..0 # SKIP $*"
    exit "${VC_SKIP_EXIT:-77}"
}

# ---- QEMU and kernel (the only things whose absence is a skip) -----------------------------
qemu_env=""
qemu_l=""
if [ "$qemu10" = 1 ]; then
    q10=$("$GUEST_DIR/fetch.sh" qemu10) || skip "cannot obtain QEMU 10.x from bookworm-backports"
    qemu=$q10/root/usr/bin/qemu-system-x86_64
    # Its own firmware first, and its own module directory: the system's QEMU 7.2 modules
    # would be refused (and TCG is built in from 10.x anyway).
    qemu_l="-L $q10/root/usr/share/qemu -L $q10/root/usr/share/seabios"
    qemu_env="QEMU_MODULE_DIR=$q10/root/usr/lib/x86_64-linux-gnu/qemu"
elif [ -z "$qemu" ]; then
    qemu=$(command -v qemu-system-x86_64 || true)
    [ -n "$qemu" ] || skip "qemu-system-x86_64 not installed (scripts/deps-guest.sh)"
fi
[ -x "$qemu" ] || skip "$qemu is not executable"
kernel=$("$GUEST_DIR/fetch.sh" kernel) || skip "cannot obtain linux-image-amd64 (no mirror?)"

# ---- build the initramfs (a failure here is a real failure) --------------------------------
if ! initrd=$("$GUEST_DIR/mkinitramfs.sh" "$kernel"); then
    echo "not ok 1 - build the initramfs"
    echo "1..1"
    exit 1
fi
vmlinuz=$(ls "$kernel"/boot/vmlinuz-* | head -n 1)
# shellcheck disable=SC2086 # $qemu_env and $qemu_l are word lists
qver=$(env $qemu_env "$qemu" $qemu_l --version | head -n 1)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vc-guest.XXXXXX")
daemon_pid=""
cleanup() {
    if [ -n "$daemon_pid" ]; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
[ -n "$logfile" ] || logfile=$tmp/console.log
: >"$logfile"

# ---- backend ---------------------------------------------------------------------------------
case $backend in
builtin)
    backend_args="-object cryptodev-backend-builtin,id=cd0"
    ;;
vhost-user)
    if [ -n "$vcryptod" ]; then
        socket=$tmp/vcryptod.sock
        # shellcheck disable=SC2086
        "$vcryptod" --socket-path "$socket" --ctl-socket "$tmp/ctl.sock" ${VCRYPTOD_ARGS:-} \
            >"$tmp/vcryptod.log" 2>&1 &
        daemon_pid=$!
        i=0
        while [ ! -S "$socket" ] && [ $i -lt 100 ]; do
            kill -0 "$daemon_pid" 2>/dev/null || break
            sleep 0.1
            i=$((i + 1))
        done
        [ -S "$socket" ] || { cat "$tmp/vcryptod.log" >&2; die "vcryptod did not create $socket"; }
    fi
    [ -S "$socket" ] || die "no vhost-user socket at $socket"
    backend_args="-chardev socket,id=c0,path=$socket -object cryptodev-vhost-user,id=cd0,chardev=c0"
    ;;
esac

append="console=ttyS0 quiet loglevel=3 panic=-1 oops=panic vct=$mode"
[ -z "$arg" ] || append="$append vctarg=$arg"

echo "# $qver; backend $backend; kernel $(basename "$kernel"); mode $mode"
t0=$(date +%s.%N)
set +e
# vhost-user needs the guest RAM in a shareable fd; the builtin backend gets the same
# memory setup so that timings compare like with like.
# shellcheck disable=SC2086
env $qemu_env timeout -k 5 "$tmo" "$qemu" $qemu_l \
    -accel tcg -cpu max -smp 1 -m 512 -nodefaults -no-user-config -display none -no-reboot \
    -object memory-backend-memfd,id=mem0,size=512M,share=on -machine pc,memory-backend=mem0 \
    -serial "file:$logfile" \
    $backend_args -device virtio-crypto-pci,cryptodev=cd0,vectors=0 \
    -kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
    </dev/null >"$tmp/qemu.out" 2>&1
qrc=$?
set -e
t1=$(date +%s.%N)
wall=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')

[ "$verbose" = 0 ] || { cat "$logfile" >&2; cat "$tmp/qemu.out" >&2; }

# A backend we started must have survived the guest and, by its own statistics
# (docs/STATS.md), served the data requests ("-" = not ours to check).
daemon_alive=-
vstats=-
if [ -n "$daemon_pid" ]; then
    if kill -0 "$daemon_pid" 2>/dev/null; then daemon_alive=1; else daemon_alive=0; fi
    vstats=$(python3 - "$tmp/ctl.sock" <<'EOF' 2>&1 || echo "ERR python3 failed"
import json, socket, sys
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    buf = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    d = json.loads(buf)["devices"][0]
    q = [q for q in d["queues"] if q.get("type", "data") == "data"][0]
    print(q["requests"], d["sessions_created"], q["status"]["ok"], int(d["broken"]))
except Exception as e:
    print("ERR", type(e).__name__, str(e)[:120].replace("\n", " "))
EOF
)
fi

# ---- turn the guest's lines into TAP ----------------------------------------------------------
set +e
tr -d '\r' <"$logfile" | awk -v qrc="$qrc" -v wall="$wall" -v tmo="$tmo" -v alive="$daemon_alive" \
    -v vstats="$vstats" '
    function emit(ok, desc) { n++; print (ok ? "ok " : "not ok ") n " - " desc; if (!ok) bad++ }
    /^VCT: (ok|not ok)( [0-9]+)? - / {
        ok = ($2 == "ok"); sub(/^VCT: (ok|not ok)( [0-9]+)? - /, ""); emit(ok, "guest: " $0)
        results++; next
    }
    /^VCT: 1\.\.[0-9]+$/ { plan = substr($2, 4) + 0; next }
    /^VCT: GUEST-RESULT: [0-9]+ passed, [0-9]+ failed$/ { gp = $3 + 0; gf = $5 + 0; seen = 1; next }
    /^VCT: / { sub(/^VCT: /, ""); print "# " $0; next }
    END {
        emit(qrc == 0, "QEMU exited by itself (status " qrc (qrc == 124 || qrc == 137 ? \
             ", killed after " tmo " s" : "") ") in " wall " s")
        emit(seen && gf == 0 && gp > 0, "guest result line: " (seen ? gp " passed, " gf \
             " failed" : "missing"))
        emit(seen && plan == results && plan == gp + gf, "guest plan 1.." plan " matches the " \
             results " results received")
        if (alive != "-")
            emit(alive == 1, "vhost-user backend process still running after the guest run")
        if (vstats ~ /^ERR/)
            emit(0, "vcryptod statistics from --ctl-socket: " vstats)
        else if (vstats != "-") {
            split(vstats, v, " ")
            emit(v[1] > 0 && v[2] > 0 && v[4] == 0, "vcryptod statistics: " v[1] \
                 " data requests (" v[3] " OK), " v[2] " sessions created, device " \
                 (v[4] == 0 ? "not broken" : "broken"))
        }
        print "1.." n
        exit bad ? 1 : 0
    }'
rc=$?
if [ $rc -ne 0 ]; then
    echo "# console log (last 40 lines):"
    tr -d '\r' <"$logfile" | tail -n 40 | sed 's/^/#   /'
    sed 's/^/# qemu: /' "$tmp/qemu.out"
    [ -z "$daemon_pid" ] || sed 's/^/# vcryptod: /' "$tmp/vcryptod.log"
fi
exit $rc
