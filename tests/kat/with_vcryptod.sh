#!/bin/sh
# Runs one KAT binary through vcryptod (issue #4 section 6: every vector
# through libvcrypto -> vhost-user -> vcryptod -> engine).
#
#   with_vcryptod.sh VCRYPTOD TEST [ARGS...]
#
# Starts a private vcryptod on a socket in a temporary directory (two data
# queues: the KATs use worker indexes 0 and 1, one queue pair each; session
# table and max_size well above what the vectors need), waits for the
# socket, runs TEST with VC_KAT_BACKEND=vhost-user:SOCKET, and always stops
# the daemon. The exit status is the test's; it is non-zero also when the
# daemon did not come up, died during the run, or (sanitizer builds) wrote a
# sanitizer report into its log; then the log is shown.
set -u
VCRYPTOD=${1:?usage: $0 VCRYPTOD TEST [ARGS...]}
shift
[ $# -ge 1 ] || { echo "usage: with_vcryptod.sh VCRYPTOD TEST [ARGS...]" >&2; exit 2; }

T=$(mktemp -d /tmp/vcrypto-kat.XXXXXX)
PID=""
cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$VCRYPTOD" --socket-path "$T/vc.sock" --queues 2 --max-sessions 65536 \
    --max-size 16777216 --poll-us 50 >"$T/vcryptod.log" 2>&1 &
PID=$!
i=0
while [ ! -S "$T/vc.sock" ] && [ $i -lt 200 ]; do
    if ! kill -0 "$PID" 2>/dev/null; then
        break
    fi
    sleep 0.05
    i=$((i + 1))
done
if [ ! -S "$T/vc.sock" ]; then
    echo "Bail out! vcryptod did not create its socket"
    sed 's/^/# vcryptod: /' "$T/vcryptod.log"
    exit 1
fi

VC_KAT_BACKEND="vhost-user:$T/vc.sock" "$@"
rc=$?
show=0
if ! kill -0 "$PID" 2>/dev/null; then
    echo "# vcryptod exited during the run"
    rc=1
    show=1
fi
kill "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
PID=""
# A sanitizer build of the daemon reports into its log, not to us.
if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/vcryptod.log"; then
    echo "# vcryptod: sanitizer report"
    rc=1
    show=1
fi
if [ $rc -ne 0 ] || [ $show -ne 0 ]; then
    tail -n 60 "$T/vcryptod.log" | sed 's/^/# vcryptod: /'
fi
exit $rc
