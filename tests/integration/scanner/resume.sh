#!/bin/sh
# Interrupt a scan of the fleet with SIGINT, check it exits 3 and says how
# to resume, resume it, and check every target is stored exactly once with
# the truth's values. Inside a private netns (tests/netns-run.sh).
# usage: resume.sh KCENSUS FLEET SPEC COMPARE_PY
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
work=$(mktemp -d)
trap 'kill $fleet_pid 2>/dev/null; wait $fleet_pid 2>/dev/null; rm -rf "$work"' EXIT
"$fleet" --spec "$spec" --truth "$work/truth.csv" >"$work/fleet.out" 2>"$work/fleet.err" &
fleet_pid=$!
i=0
until grep -q '^READY' "$work/fleet.out"; do
    i=$((i + 1))
    [ $i -le 200 ] && kill -0 $fleet_pid 2>/dev/null || { echo "no fleet"; exit 1; }
    sleep 0.1
done
ready=$(grep '^READY' "$work/fleet.out")
range=$(echo "$ready" | sed -n 's/.* addrs=\([^ ]*\).*/\1/p')
ports=$(echo "$ready" | sed -n 's/.* ports=\([^ ]*\).*/\1/p')
db="$work/r.db"
# Slow enough (10 targets/s) that the signal lands mid-scan.
"$kcensus" scan -d "$db" --allow-loopback -p "$ports" --timeout 2s --store all \
    --rate 10 -c 5 "$range" 2>"$work/scan1.err" &
pid=$!
sleep 2
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
