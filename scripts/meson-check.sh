#!/bin/sh
# Runs meson test suites and ends with the plain line "N passed, N failed,
# N skipped", counted from each run's testlog.json (one JSON object per test).
# Exits non-zero on any failure or when no test passed. Skipped tests are
# reported, never counted as passed.
#
# usage: meson-check.sh BUILDDIR[:SUITE[,SUITE...]] [--no-suite SUITE]...
#   e.g. meson-check.sh build build-fuzz:fuzz
set -u
total_p=0
total_f=0
total_s=0
rc=0
excl=""
runs=""
while [ $# -gt 0 ]; do
    case "$1" in
    --no-suite) excl="$excl --no-suite $2"; shift 2 ;;
    *) runs="$runs $1"; shift ;;
    esac
done
for spec in $runs; do
    dir=${spec%%:*}
    suites=""
    if [ "$dir" != "$spec" ]; then
        for s in $(echo "${spec#*:}" | tr ',' ' '); do suites="$suites --suite $s"; done
    fi
    # shellcheck disable=SC2086
    meson test -C "$dir" --print-errorlogs $suites $excl || rc=1
    log="$dir/meson-logs/testlog.json"
    [ -s "$log" ] || { rc=1; continue; }
    p=$(grep -c '"result": "OK"' "$log")
    f=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")
    s=$(grep -c '"result": "SKIP"' "$log")
    echo "$dir: ${p} passed, ${f} failed, ${s} skipped"
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    total_s=$((total_s + s))
done
echo "${total_p} passed, ${total_f} failed, ${total_s} skipped"
if [ "$rc" -ne 0 ] || [ "$total_f" -ne 0 ] || [ "$total_p" -eq 0 ]; then
    exit 1
fi
exit 0
