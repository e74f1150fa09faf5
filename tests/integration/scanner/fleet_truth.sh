#!/bin/sh
# Scans kcensus-fleet's test spec and compares every stored row with the
# fleet's truth CSV, at each concurrency given, with the default and the
# extended probe sets. Run inside a private netns (tests/netns-run.sh).
# usage: fleet_truth.sh KCENSUS FLEET SPEC COMPARE_PY CONCURRENCY...
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
shift 4
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$fleet FLEET_WAIT=20
start_fleet "$spec" "$work/truth.csv" || exit 1
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
        python3 "$compare" "$db" "$work/truth.csv" $flag || status=1
    done
done
exit $status
