#!/bin/sh
# `make demo` (issue #4 section 5): the whole stack in under a minute.
#
# Starts vcryptod on a private socket with a polling backend, runs a short
# `vcrypto bench` through it over vhost-user AND through the in-process
# device, in one run with native OpenSSL (interleaved rounds, medians),
# prints the comparison table and the daemon's statistics, and stops the
# daemon. The daemon is killed on any exit (trap), so it never leaks.
#
# Environment: BUILD (default build), DEMO_POLL_US (vcryptod --poll-us,
# default 100), DEMO_ARGS (extra `vcrypto bench` arguments, e.g. "--time-ms 600").
# Results go to bench/results/demo-<UTC stamp>.{txt,json[,png]}.
set -eu

BUILD=${BUILD:-build}
POLL_US=${DEMO_POLL_US:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VCRYPTO=$ROOT/$BUILD/tools/vcrypto
VCRYPTOD=$ROOT/$BUILD/src/daemon/vcryptod
RESULTS=$ROOT/bench/results
STAMP=$(date -u +%Y%m%d-%H%M%S)
TMP=$(mktemp -d /tmp/vcrypto-demo.XXXXXX)
DAEMON=""

cleanup() {
    if [ -n "$DAEMON" ]; then
        kill "$DAEMON" 2>/dev/null || true
        wait "$DAEMON" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$VCRYPTO" "$VCRYPTOD"; do
    if [ ! -x "$f" ]; then
        echo "demo: $f is missing (run 'make' first)" >&2
        exit 1
    fi
done
mkdir -p "$RESULTS"

"$VCRYPTOD" --socket-path "$TMP/vc.sock" --ctl-socket "$TMP/ctl.sock" --poll-us "$POLL_US" \
    >"$TMP/vcryptod.log" 2>&1 &
DAEMON=$!
i=0
while [ ! -S "$TMP/vc.sock" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$DAEMON" 2>/dev/null; then
        echo "demo: vcryptod did not start:" >&2
        cat "$TMP/vcryptod.log" >&2
        exit 1
    fi
    sleep 0.05
done
DEV="vhost-user:$TMP/vc.sock"

echo "== vcryptod (pid $DAEMON) on $TMP/vc.sock, backend polling ${POLL_US} us"
"$VCRYPTO" --device "$DEV" info | sed -n '2,7p'
echo

PLOT=""
if command -v gnuplot >/dev/null 2>&1; then
    PLOT="--plot $RESULTS/demo-$STAMP.png"
fi
echo "== vcrypto bench: vhost-user (vcryptod) and inproc vs native OpenSSL, same run"
# shellcheck disable=SC2086
"$VCRYPTO" bench --quick --time-ms 300 --devices "$DEV,inproc" \
    --save "$RESULTS/demo-$STAMP.json" $PLOT ${DEMO_ARGS:-} | tee "$RESULTS/demo-$STAMP.txt"
echo

if command -v jq >/dev/null 2>&1; then
    echo "== issue #4 section 7 targets (this run; a shared 2-core VM is noisy)"
    jq -r '.results[] | select(.target != "native" and .ok and (.alg | test("gcm$"))
            and (.size == 64 or .size == 1024 or .size == 16384))
        | [.alg, .size, .target, .vs_native, (if .size == 64 then 0.85 else 0.9 end),
           .cpu_ns_per_op]
        | @tsv' "$RESULTS/demo-$STAMP.json" |
        awk -F'\t' '
            function verdict(ok) { return ok ? "met" : "missed" }
            BEGIN { printf "%-12s %6s  %-11s %10s %-14s %10s %s\n", "algorithm", "size",
                    "target", "vs native", "(goal)", "client ns", "(goal: <= 100 at 64 B)" }
            { r = sprintf(">= %s %s", $5, verdict($4 >= $5))
              c = $2 == 64 ? verdict($6 <= 100) : ""
              printf "%-12s %6d  %-11s %10.2f %-14s %10.0f %s\n", $1, $2, $3, $4, r, $6, c }'
    echo
fi

echo "== vcryptod's view (vcrypto stats)"
"$VCRYPTO" stats --ctl "$TMP/ctl.sock" || echo "(statistics unavailable)"
echo

echo "results saved in bench/results/:"
for f in "$RESULTS/demo-$STAMP".*; do
    echo "  ${f#"$ROOT"/}"
done
