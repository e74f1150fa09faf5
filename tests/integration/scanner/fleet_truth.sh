#!/bin/sh
# Scans kcensus-fleet's test spec and compares every stored row with the
# fleet's truth CSV, at each concurrency given, with the default and the
# extended probe sets. Run inside a private netns (tests/netns-run.sh).
# usage: fleet_truth.sh KCENSUS FLEET SPEC COMPARE_PY CONCURRENCY...
#   Every probe of an ok row answered, one connection or one per probe;
#   env RECONNECTED=N: exactly N ok rows used one connection per probe
#   (members that close after every answer).
#   env FLEET_THREADS=N: the fleet runs N event loops (--threads N); the
#   scans must be just as exact, every loop must have served connections,
#   and the fleet must exit cleanly.
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
shift 4
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$fleet FLEET_WAIT=20
threads=${FLEET_THREADS:-1}
start_fleet "$spec" "$work/truth.csv" --threads "$threads" || exit 1
range=$FLEET_RANGE ports=$FLEET_PORTS
status=0
for c in "$@"; do
    for probes in default extended; do
        db="$work/c$c-$probes.db"
        flag=""
        [ $probes = extended ] && flag=--extended
        if ! "$kcensus" scan -q -d "$db" --allow-loopback -p "$ports" \
            --timeout 2s --store all -c "$c" --rate 0 --probes $probes "$range"; then
            echo "scan -c $c --probes $probes failed"; status=1; continue
        fi
        echo "-c $c --probes $probes:"
        python3 "$compare" "$db" "$work/truth.csv" $flag --probes-exact \
            ${RECONNECTED:+--reconnected "$RECONNECTED"} || status=1
    done
done
stop_fleet
if [ "$FLEET_STATUS" != 0 ]; then
    echo "fleet exit status $FLEET_STATUS"; cat "$work/fleet.err"; status=1
fi
if [ "$threads" -gt 1 ]; then
    # "stopped after N connections (per thread: a b ...)": no idle loop.
    per=$(sed -n 's/.*(per thread: \([0-9 ]*\)).*/\1/p' "$work/fleet.err")
    echo "connections per fleet thread: $per"
    n=0
    for a in $per; do
        n=$((n + 1))
        [ "$a" -gt 0 ] || { echo "a fleet thread served nothing"; status=1; }
    done
    [ "$n" = "$threads" ] || { echo "want $threads fleet threads, saw $n"; status=1; }
fi
exit $status
