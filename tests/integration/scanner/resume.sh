#!/bin/sh
# Interrupt a scan of the fleet with SIGINT, check it exits 3 and says how
# to resume, resume it, and check every target is stored exactly once with
# the truth's values. Inside a private netns (tests/netns-run.sh).
# usage: resume.sh KCENSUS FLEET SPEC COMPARE_PY
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$fleet FLEET_WAIT=20
start_fleet "$spec" "$work/truth.csv" || { echo "no fleet"; exit 1; }
range=$FLEET_RANGE ports=$FLEET_PORTS
db="$work/r.db"
# Slow enough (10 connections/s) that the signal lands mid-scan; 4 s per
# target leave room for the reconnects of members that close after every
# answer (5 each, which share the rate: up to 1 s of it borrowed at once,
# then 5/s per loop), even with three such members in flight on one loop.
"$kcensus" scan -d "$db" --allow-loopback -p "$ports" --timeout 4s --store all \
    --rate 10 -c 5 "$range" 2>"$work/scan1.err" &
pid=$!
# Interrupt on progress, not on a clock: once a result is committed
# (bounded wait; at 10 targets/s most are still to come).
i=0
until [ "$(sqlite3 "$db" "SELECT count(*) FROM results" 2>/dev/null)" -gt 0 ] 2>/dev/null; do
    i=$((i + 1))
    { [ $i -le 600 ] && kill -0 $pid 2>/dev/null; } || break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
cat "$work/scan1.err"
[ $rc = 3 ] || { echo "interrupted scan exited $rc, want 3"; exit 1; }
grep -q -- "--resume" "$work/scan1.err" || { echo "no resume hint"; exit 1; }
stored=$(sqlite3 "$db" "SELECT count(*) FROM results")
status=$(sqlite3 "$db" "SELECT status FROM scans")
echo "interrupted after $stored stored, scan status $status"
[ "$status" = interrupted ] || { echo "scan not marked interrupted"; exit 1; }
[ "$stored" -gt 0 ] && [ "$stored" -lt 50 ] || { echo "want a partial scan"; exit 1; }
"$kcensus" scan --resume -q -d "$db" || { echo "resume failed"; exit 1; }
[ "$(sqlite3 "$db" "SELECT status FROM scans")" = done ] || { echo "not done"; exit 1; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM scans")" = 1 ] || { echo "resume made a new scan"; exit 1; }
python3 "$compare" "$db" "$work/truth.csv"
