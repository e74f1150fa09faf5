#!/bin/sh
# kill -9 of a real scan at random moments, then `kcensus scan --resume`
# (the end-to-end version of storage's fake-writer crash test and
# the SIGKILL counterpart of tests/integration/scanner/resume.sh, which
# covers SIGINT). Five kills at random times (seed printed; KC_KILL_SEED
# replays it), each followed by integrity_check; then the last resume runs
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
# Delays in ms, 150..1650, from the seed.
delays=$(awk -v s="$seed" -v n=$kills \
    'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%d ", 150 + int(rand() * 1500) }')
start_limits_fleet
total=$(($(wc -l <"$work/truth.csv") - 1))
# 100 new connections/s: the scan of the spec takes 6 s or more, so the
# first kill (at most 1.65 s in) always lands in the middle of it. The same options (and target order:
# --seed) for the reference.
opts="--allow-loopback -p $ports --timeout 3s --store all -c 100 --rate 100 --seed 4242 $range"
db="$work/k.db"
prev=0
landed=0
for ms in $delays; do
    if sqlite3 "$db" "SELECT 1 FROM scans" 2>/dev/null | grep -q 1; then
        "$kcensus" scan --resume -q -d "$db" 2>"$work/scan.err" &
    else
        # shellcheck disable=SC2086
        "$kcensus" scan -q -d "$db" $opts 2>"$work/scan.err" &
    fi
    scan_pid=$!
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 $scan_pid 2>/dev/null && alive=1 || alive=0
    wait $scan_pid 2>/dev/null
    scan_pid=
    [ -f "$db" ] || { echo "killed after ${ms} ms: no database yet"; continue; }
    check=$(sqlite3 "$db" "PRAGMA integrity_check") || fail "database unreadable after kill -9"
    [ "$check" = ok ] || fail "integrity_check after kill -9: $check"
    # Killed while the database was being created (a slow start, e.g.
    # under ASan): the next round must start the scan on that same file.
    if ! sqlite3 "$db" "SELECT 1 FROM scans" 2>/dev/null | grep -q 1; then
        echo "killed after ${ms} ms: database file but no scan yet"
        continue
    fi
    stored=$(sqlite3 "$db" "SELECT count(*) FROM results")
    status=$(sqlite3 "$db" "SELECT status FROM scans")
    echo "killed after ${ms} ms: $stored of $total stored, scan $status"
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
