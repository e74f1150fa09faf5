#!/bin/sh
# tests/lib/fleet.sh itself (run inside a private netns): start_fleet gives
# the READY fields and stop_fleet a clean exit status; a fleet that cannot
# start makes start_fleet fail with the fleet's own error on stderr, without
# waiting out the bound; --threads out of range is a usage error.
# Usage: test_lib.sh FLEET SPEC
set -u
FLEET=$1 spec=$2
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

FLEET_WAIT=20
start_fleet "$spec" "$work/truth.csv" --threads 2 || fail "start_fleet on $spec"
case $FLEET_RANGE in 127.*-127.*) ;; *) fail "FLEET_RANGE '$FLEET_RANGE'" ;; esac
[ -n "$FLEET_PORTS" ] || fail "FLEET_PORTS empty"
[ -s "$work/truth.csv" ] || fail "no truth file"
kill -0 "$FLEET_PID" 2>/dev/null || fail "fleet not running after READY"
stop_fleet
[ "$FLEET_STATUS" = 0 ] || fail "fleet exit status $FLEET_STATUS after SIGTERM"
[ -z "$FLEET_PID" ] || fail "FLEET_PID not cleared"
stop_fleet # twice is harmless

mkdir "$work/bad"
printf '{"groups": []}' >"$work/bad/spec.json"
t0=$(date +%s)
if start_fleet "$work/bad/spec.json" "$work/bad/truth.csv" 2>"$work/bad/stderr"; then
    fail "start_fleet succeeded on a bad spec"
fi
[ $(($(date +%s) - t0)) -lt 10 ] || fail "start_fleet waited out its bound on a dead fleet"
grep -q 'fleet did not start' "$work/bad/stderr" || fail "no 'fleet did not start'"
grep -q 'groups: a non-empty array' "$work/bad/stderr" ||
    fail "the fleet's error is not shown: $(cat "$work/bad/stderr")"

for t in 0 17 x; do
    "$FLEET" --spec "$spec" --threads $t >/dev/null 2>&1
    rc=$?
    [ $rc = 2 ] || fail "--threads $t: exit $rc, want 2"
done
[ $failures = 0 ] && echo "tests/lib/fleet.sh: all checks passed"
[ $failures = 0 ]
