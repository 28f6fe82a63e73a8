#!/bin/sh
# Runs every meson test in a build dir and ends with the plain line
# "N passed, N failed" counted from meson's testlog.json. Exits non-zero on
# any failure or when no test ran. Skipped tests are reported, never counted
# as passed.
set -u
build=${1:-build}
shift 2>/dev/null || true
meson test -C "$build" --print-errorlogs "$@"
rc=$?
log="$build/meson-logs/testlog.json"
if [ ! -s "$log" ]; then
    echo "0 passed, 0 failed"
    exit 1
fi
# Each line of testlog.json is one test; count by result.
passed=$(grep -c '"result": "OK"' "$log" || true)
failed=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
skipped=$(grep -c '"result": "SKIP"' "$log" || true)
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
exit 0
