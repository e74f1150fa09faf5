#!/bin/sh
# More targets than ephemeral ports (resource exhaustion): the
# netns's net.ipv4.ip_local_port_range shrinks to 200 ports and the scan
# covers more targets than that at -c 1000; every stored row must equal the
# fleet's truth. Linux shares an ephemeral port between different
# destinations, so the second run also holds every one of those 200 ports
# bound until the scan's status file shows its first slowdown (progress,
# not a clock; at most 30 s): connect() then really fails with
# EADDRNOTAVAIL, which must slow the scan down (the summary says so), never
# become an outcome. (That run goes first: the ports must be free to hold.)
# Inside a private netns (tests/netns-run.sh).
# usage: ports.sh KCENSUS FLEET SPEC COMPARE_PY
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
work=$(mktemp -d)
trap 'stop_fleet; [ -n "${hold_pid:-}" ] && kill $hold_pid 2>/dev/null; rm -rf "$work"' EXIT
. "$(dirname "$0")/lib.sh"
lo=40000 hi=40199
sysctl -q -w net.ipv4.ip_local_port_range="$lo $hi" || fail "cannot set the port range"
start_limits_fleet
n=$(($(wc -l <"$work/truth.csv") - 1))
[ "$n" -gt $((hi - lo + 1)) ] || fail "spec has $n targets, want more than the port range"

scan() { # DB [more options]
    db=$1; shift
    "$kcensus" scan -d "$db" --allow-loopback -p "$ports" --timeout 3s \
        --store all -c 1000 --rate 0 "$@" "$range" 2>"$work/scan.err"
}

# First, while no port is in TIME_WAIT yet: every ephemeral port taken
# (a bound socket blocks its port for every connect()) until the scan has
# backed off once (its status file's "slowdowns"), then freed. The status
# line comes once a second, so the hold ends within about a second of the
# first back-off, well inside the targets' 3 s deadline.
python3 - "$lo" "$hi" "$work/status" >"$work/hold.out" <<'PY' &
import json, socket, sys, time
held = []
for p in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    s = socket.socket()
    s.bind(("0.0.0.0", p))
    held.append(s)
print("HELD", len(held), flush=True)
end = time.monotonic() + 30
while time.monotonic() < end:
    try:
        with open(sys.argv[3]) as f:
            if any(json.loads(l).get("slowdowns", 0) > 0
                   for l in f if l.endswith("\n")):
                break
    except FileNotFoundError:
        pass
    time.sleep(0.05)
print("FREED", flush=True)
PY
hold_pid=$!
i=0
until grep -q '^HELD' "$work/hold.out"; do
    i=$((i + 1))
    { [ $i -le 100 ] && kill -0 $hold_pid 2>/dev/null; } || fail "port holder did not start"
    sleep 0.05
done
scan "$work/b.db" --status-file "$work/status" ||
    fail "scan while every ephemeral port is held exited $?"
wait $hold_pid; hold_pid=
cat "$work/scan.err"
grep -q "slowed down [0-9]* times: out of sockets" "$work/scan.err" ||
    fail "EADDRNOTAVAIL never happened: the test did not test anything"
truth_ok "$work/b.db"
echo "$n targets while every ephemeral port was held until the first back-off: ok"

scan "$work/a.db" || fail "scan over 200 ephemeral ports exited $?"
truth_ok "$work/a.db"
echo "$n targets over 200 ephemeral ports: ok"
