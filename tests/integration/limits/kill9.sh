#!/bin/sh
# kill -9 of a real scan at random moments, then `kcensus scan --resume`
# (the end-to-end version of storage's fake-writer crash test and
# the SIGKILL counterpart of tests/integration/scanner/resume.sh, which
# covers SIGINT). Five kills at random points of progress (seed printed;
# KC_KILL_SEED replays it): each kill waits until the database holds a
# randomly chosen number of results, so every kill lands mid-scan on any
# machine speed; each is followed by integrity_check; then the last resume runs
# to the end. The result must equal, column by column and probe by probe,
# an uninterrupted scan of the same fleet with the same options, and the
# fleet's truth. Inside a private netns (tests/netns-run.sh).
# usage: kill9.sh KCENSUS FLEET SPEC COMPARE_PY SAME_RESULTS_PY
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4 same=$5
kills=5
work=$(mktemp -d)
trap 'stop_fleet; [ -n "${scan_pid:-}" ] && kill -9 $scan_pid 2>/dev/null; rm -rf "$work"' EXIT
. "$(dirname "$0")/lib.sh"
seed=${KC_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "kill seed $seed (replay with KC_KILL_SEED=$seed)"
start_limits_fleet
total=$(($(wc -l <"$work/truth.csv") - 1))
# Kill points: stored-result counts, increasing, from the seed; kill i
# lands in the i-th sixth of the targets.
marks=$(awk -v s="$seed" -v n=$kills -v t="$total" \
    'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%d ", 1 + int(t * (i + rand()) / (n + 1)) }')
# 100 new connections/s: the scan of the spec takes 6 s or more. The same
# options (and target order: --seed) for the reference.
opts="--allow-loopback -p $ports --timeout 3s --store all -c 100 --rate 100 --seed 4242 $range"
db="$work/k.db"
prev=0
landed=0
for mark in $marks; do
    if sqlite3 "$db" "SELECT 1 FROM scans" 2>/dev/null | grep -q 1; then
        "$kcensus" scan --resume -q -d "$db" 2>"$work/scan.err" &
    else
        # shellcheck disable=SC2086
        "$kcensus" scan -q -d "$db" $opts 2>"$work/scan.err" &
    fi
    scan_pid=$!
    # Bounded wait (60 s) for the database to hold $mark results.
    i=0
    until [ "$(sqlite3 "$db" "SELECT count(*) FROM results" 2>/dev/null)" -ge "$mark" ] 2>/dev/null; do
        i=$((i + 1))
        { [ $i -le 1200 ] && kill -0 $scan_pid 2>/dev/null; } || break
        sleep 0.05
    done
    kill -9 $scan_pid 2>/dev/null && alive=1 || alive=0
    wait $scan_pid 2>/dev/null
    scan_pid=
    [ -f "$db" ] || { echo "killed at mark ${mark}: no database yet"; continue; }
    check=$(sqlite3 "$db" "PRAGMA integrity_check") || fail "database unreadable after kill -9"
    [ "$check" = ok ] || fail "integrity_check after kill -9: $check"
    # Killed while the database was being created (a slow start, e.g.
    # under ASan): the next round must start the scan on that same file.
    if ! sqlite3 "$db" "SELECT 1 FROM scans" 2>/dev/null | grep -q 1; then
        echo "killed at mark ${mark}: database file but no scan yet"
        continue
    fi
    stored=$(sqlite3 "$db" "SELECT count(*) FROM results")
    status=$(sqlite3 "$db" "SELECT status FROM scans")
    echo "killed at mark ${mark}: $stored of $total stored, scan $status"
    [ "$stored" -ge "$prev" ] || fail "stored results went from $prev down to $stored"
    prev=$stored
    [ $alive = 1 ] && [ "$stored" -lt "$total" ] && landed=$((landed + 1))
    [ "$status" = done ] && break # finished between two kills
done
[ $landed -gt 0 ] || fail "no kill landed mid-scan: the test tested nothing"
if [ "$status" != done ]; then
    timeout 120 "$kcensus" scan --resume -q -d "$db" 2>"$work/scan.err" ||
        fail "final resume exited $?"
fi
[ "$(sqlite3 "$db" "SELECT status FROM scans")" = done ] || fail "resumed scan not done"
[ "$(sqlite3 "$db" "SELECT count(*) FROM scans")" = 1 ] || fail "a resume made a new scan"
[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check at the end"
# shellcheck disable=SC2086
timeout 120 "$kcensus" scan -q -d "$work/ref.db" $opts 2>"$work/scan.err" ||
    fail "uninterrupted reference scan exited $?"
python3 "$same" "$db" "$work/ref.db" || fail "killed-and-resumed scan differs from an uninterrupted one"
truth_ok "$db"
echo "$landed kill -9 mid-scan then --resume: same results as an uninterrupted scan"
