# Shared helpers for the CLI tests (sourced, POSIX sh). Each test script is
# run by meson as:  SCRIPT VCRYPTO VCRYPTOD DEVICE
# where DEVICE is "inproc" or "vhost-user" (then a private vcryptod child
# serves a socket in the test's temporary directory). Output is TAP; the
# plan is printed at the end (meson accepts a trailing plan).

set -u
VCRYPTO=${1:?usage: $0 VCRYPTO VCRYPTOD inproc|vhost-user}
VCRYPTOD=${2:?usage: $0 VCRYPTO VCRYPTOD inproc|vhost-user}
MODE=${3:-inproc}

T=$(mktemp -d /tmp/vcrypto-cli.XXXXXX)
DAEMON_PID=""
n=0
failed=0

cleanup() {
    if [ -n "$DAEMON_PID" ]; then
        kill "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

# A '#' in a description would start a TAP directive: drop it.
ok() {
    n=$((n + 1))
    echo "ok $n - $(echo "$*" | tr -d '#')"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $(echo "$*" | tr -d '#')"
}

# check DESCRIPTION COMMAND...: passes if COMMAND exits 0.
check() {
    _vc_d=$1
    shift
    if "$@" >"$T/check.out"; then ok "$_vc_d"; else not_ok "$_vc_d"; fi
}

# same FILE1 FILE2 DESCRIPTION: byte-identical files.
same() {
    if cmp -s "$1" "$2"; then ok "$3"; else not_ok "$3"; fi
}

# fails CODE DESCRIPTION COMMAND...: the command must exit with CODE and
# print exactly one line on stderr, starting with "vcrypto: ".
# (Helper variables are prefixed: sh has no locals and callers loop.)
fails() {
    _vc_code=$1
    _vc_d=$2
    shift 2
    "$@" >"$T/fail.out" 2>"$T/fail.err"
    _vc_rc=$?
    _vc_lines=$(wc -l <"$T/fail.err")
    if [ "$_vc_rc" -eq "$_vc_code" ] && [ "$_vc_lines" -eq 1 ] &&
        grep -q '^vcrypto: ' "$T/fail.err"; then
        ok "$_vc_d (exit $_vc_rc: $(cat "$T/fail.err"))"
    else
        not_ok "$_vc_d (exit $_vc_rc, want $_vc_code; $_vc_lines stderr lines)"
        sed 's/^/#   /' "$T/fail.err"
    fi
}

# vc ARGS...: the tool on the device under test.
vc() {
    "$VCRYPTO" --device "$DEVICE" "$@"
}

# hex: lowercase hex of stdin, no separators.
hex() {
    od -An -v -tx1 | tr -d ' \n'
}

# unhex HEX: the bytes (perl is part of every Debian base system).
unhex() {
    perl -e 'print pack("H*", $ARGV[0])' "$1"
}

# Bytes of a deterministic pseudo-random file: mkdata FILE SIZE
mkdata() {
    openssl enc -aes-128-ctr -K 0f0e0d0c0b0a09080706050403020100 \
        -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null | head -c "$2" >"$1"
}

start_device() {
    case "$MODE" in
    inproc)
        DEVICE=inproc
        ;;
    vhost-user)
        "$VCRYPTOD" --socket-path "$T/vc.sock" --poll-us 50 --ctl-socket "$T/ctl.sock" \
            >"$T/vcryptod.log" 2>&1 &
        DAEMON_PID=$!
        _vc_i=0
        while [ ! -S "$T/vc.sock" ] && [ $_vc_i -lt 100 ]; do
            sleep 0.05
            _vc_i=$((_vc_i + 1))
        done
        if [ ! -S "$T/vc.sock" ]; then
            echo "Bail out! vcryptod did not create its socket"
            sed 's/^/# /' "$T/vcryptod.log"
            exit 1
        fi
        DEVICE="vhost-user:$T/vc.sock"
        ;;
    *)
        echo "Bail out! unknown device mode '$MODE'"
        exit 1
        ;;
    esac
    echo "# device: $DEVICE"
}

finish() {
    echo "1..$n"
    [ "$failed" -eq 0 ]
    exit $?
}

start_device
