#!/bin/sh
# Scans kcensus-fleet's test spec and compares every stored row with the
# fleet's truth CSV, at each concurrency given, with the default and the
# extended probe sets. Run inside a private netns (tests/netns-run.sh).
# usage: fleet_truth.sh KCENSUS FLEET SPEC COMPARE_PY CONCURRENCY...
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
shift 4
work=$(mktemp -d)
trap 'kill $fleet_pid 2>/dev/null; wait $fleet_pid 2>/dev/null; rm -rf "$work"' EXIT
"$fleet" --spec "$spec" --truth "$work/truth.csv" >"$work/fleet.out" 2>"$work/fleet.err" &
fleet_pid=$!
i=0
until grep -q '^READY' "$work/fleet.out"; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 $fleet_pid 2>/dev/null; then
        echo "fleet did not start"; cat "$work/fleet.err"; exit 1
    fi
    sleep 0.1
done
ready=$(grep '^READY' "$work/fleet.out")
range=$(echo "$ready" | sed -n 's/.* addrs=\([^ ]*\).*/\1/p')
ports=$(echo "$ready" | sed -n 's/.* ports=\([^ ]*\).*/\1/p')
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
