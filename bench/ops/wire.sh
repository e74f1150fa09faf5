#!/bin/sh
# Wire cost per target for docs/SCALING.md: packets and bytes (both
# directions) that one kcensus target costs against the bench fleet, per
# probe set, from the loopback counters of a private netns (every packet
# of client and fleet crosses lo exactly once). Also the client's CPU per
# target (user+sys, /usr/bin/time) with the fleet on another core.
# usage: bench/ops/wire.sh [BUILD_DIR]   (env: N targets, default 2000; RUNS, default 3)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KC_BENCH_NETNS:-}" ]; then
    KC_BENCH_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$@"
fi
cd "$root"
N=${N:-2000} RUNS=${RUNS:-3}
work=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$build/tests/fleet/kcensus-fleet FLEET_CPU=1
start_fleet tests/fleet/specs/bench.json "$work/truth.csv" --netns-wildcard || exit 1
last=$(python3 -c "import ipaddress; print(ipaddress.IPv4Address('127.16.0.0') + $N - 1)")
range="127.16.0.0-$last"
# /proc/net/dev is this netns's (sysfs would show the host's): lo's tx
# packets and bytes.
stat() { sed 's/:/ /' /proc/net/dev | awk '$1 == "lo" {print $11, $10}'; }
# Warm-up (untimed).
"$build/cli/kcensus" scan -q -d "$work/warm.db" --allow-loopback -p 6443 -c 200 \
    --rate 0 --probes version "$range" >/dev/null 2>&1 || true
echo "| probes | packets/target | bytes/target | client CPU us/target | kubernetes/N |"
echo "|---|---:|---:|---:|---:|"
for probes in version default; do
    : >"$work/runs"
    r=0
    while [ $r -lt "$RUNS" ]; do
        rm -f "$work"/k.db*
        # shellcheck disable=SC2046 # two numbers, split on purpose
        set -- $(stat)
        p0=$1 b0=$2
        /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$build/cli/kcensus" scan -q \
            -d "$work/k.db" --allow-loopback -p 6443 --threads 1 -c 200 --rate 0 \
            --probes $probes "$range"
        # shellcheck disable=SC2046
        set -- $(stat)
        k8s=$(sqlite3 "$work/k.db" "SELECT count(*) FROM results WHERE is_kubernetes = 1")
        echo "$(($1 - p0)) $(($2 - b0)) $(cat "$work/time") $k8s" >>"$work/runs"
        r=$((r + 1))
    done
    python3 - "$probes" "$N" "$work/runs" <<'PY'
import statistics, sys
probes, n = sys.argv[1], int(sys.argv[2])
rows = [list(map(float, l.split())) for l in open(sys.argv[3]) if l.strip()]
med = lambda f: statistics.median(f(r) for r in rows)
print(f"| {probes} | {med(lambda r: r[0]) / n:.1f} | {med(lambda r: r[1]) / n:.0f} | "
      f"{med(lambda r: r[2] + r[3]) / n * 1e6:.0f} | {int(med(lambda r: r[4]))}/{n} |")
PY
done
