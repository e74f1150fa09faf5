#!/bin/bash
# Scanning with few file descriptors (resource exhaustion): with
# `ulimit -n 64` and -c 1000 the scan must finish and every stored row must
# equal the fleet's truth: EMFILE slows the scan down, it never becomes a
# refused/closed result. Second run: 40 descriptors inherited from the
# parent, so the scanner's budget (taken from the limit) is too high and
# socket() really fails with EMFILE; the summary must say it slowed down.
# Inside a private netns (tests/netns-run.sh).
# usage: fds.sh KCENSUS FLEET SPEC COMPARE_PY
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
work=$(mktemp -d)
trap 'stop_fleet; rm -rf "$work"' EXIT
. "$(dirname "$0")/lib.sh"
start_limits_fleet

scan() { # DB, then extra scan options
    db=$1; shift
    ( ulimit -n 64 && exec "$kcensus" scan -d "$db" --allow-loopback -p "$ports" \
        --timeout 3s --store all -c 1000 --rate 0 "$@" "$range" ) 2>"$work/scan.err"
}

scan "$work/a.db" || fail "scan with ulimit -n 64 exited $?"
truth_ok "$work/a.db"
echo "ulimit -n 64: ok"

# Descriptors 10..49 open in the scanner: only ~14 left under the limit.
for fd in $(seq 10 49); do eval "exec $fd</dev/null"; done
scan "$work/b.db" --threads 2 || fail "scan with 40 inherited fds exited $?"
for fd in $(seq 10 49); do eval "exec $fd<&-"; done
cat "$work/scan.err"
grep -q "slowed down [0-9]* times: out of sockets" "$work/scan.err" ||
    fail "EMFILE never happened: the test did not test anything"
truth_ok "$work/b.db"
echo "ulimit -n 64 with 40 inherited fds: ok"
