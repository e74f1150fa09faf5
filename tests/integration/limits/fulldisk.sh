#!/bin/sh
# The database on a full disk (resource exhaustion): scan into a
# database on a tmpfs too small for the results. The scan must stop with a
# clear error and exit 1 (no crash, no hang); what it committed must be
# intact (integrity_check ok, the scan row resumable); once the disk has
# room again, `kcensus scan --resume` must finish the scan with every row
# equal to the fleet's truth, each target stored once.
# Re-runs itself in a private mount namespace (needs root); inside a
# private netns (tests/netns-run.sh).
# usage: fulldisk.sh KCENSUS FLEET SPEC COMPARE_PY
set -u
if [ -z "${KC_FULLDISK_NS:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "fulldisk: needs root to mount a tmpfs"; exit 77
    fi
    KC_FULLDISK_NS=1 exec unshare -m "$0" "$@"
fi
kcensus=$1 fleet=$2 spec=$3 compare=$4
work=$(mktemp -d)
trap 'stop_fleet; umount "$work/disk" 2>/dev/null; rm -rf "$work"' EXIT
. "$(dirname "$0")/lib.sh"
mkdir "$work/disk"
mount -t tmpfs -o size=384k tmpfs "$work/disk" || fail "cannot mount a tmpfs"
start_limits_fleet
db="$work/disk/full.db"

timeout 60 "$kcensus" scan -d "$db" --allow-loopback -p "$ports" \
    --timeout 3s --store all -c 200 --rate 0 "$range" 2>"$work/scan.err"
rc=$?
cat "$work/scan.err"
df -k "$work/disk" | tail -1
[ $rc = 124 ] && fail "scan on a full disk hung"
[ $rc -gt 128 ] && fail "scan on a full disk died of signal $((rc - 128))"
[ $rc = 1 ] || fail "scan on a full disk exited $rc, want 1"
grep -qi "full" "$work/scan.err" || fail "no clear 'disk full' message"

# Reading needs no free space (WAL mode: only the -shm index, already there).
check=$(sqlite3 "$db" "PRAGMA integrity_check") || fail "database unreadable"
[ "$check" = ok ] || fail "integrity_check: $check"
status=$(sqlite3 "$db" "SELECT status FROM scans")
stored=$(sqlite3 "$db" "SELECT count(*) FROM results")
echo "disk full after $stored stored, scan status $status"
case "$status" in running|interrupted) ;; *) fail "scan status '$status' after a disk-full stop";; esac
total=$(($(wc -l <"$work/truth.csv") - 1))
[ "$stored" -lt "$total" ] || fail "the disk never filled ($stored of $total stored)"

# Room again: the resumed scan completes the same scan, exactly.
mount -o remount,size=16m "$work/disk" || fail "cannot grow the tmpfs"
timeout 60 "$kcensus" scan --resume -q -d "$db" 2>"$work/scan.err" || fail "resume exited $?"
[ "$(sqlite3 "$db" "SELECT status FROM scans")" = done ] || fail "resumed scan not done"
[ "$(sqlite3 "$db" "SELECT count(*) FROM scans")" = 1 ] || fail "resume made a new scan"
[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check after resume"
truth_ok "$db"
echo "full disk: clear error, committed data intact, resumed to the truth"
