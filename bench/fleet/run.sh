#!/bin/sh
# Connection rate of kcensus-fleet: new TLS connections per second, each
# with the six default probes, fleet pinned to CPU 0, loader to CPU 1,
# inside a private network namespace (bench spec: 50,000 ECDSA members,
# wildcard listeners, no latency).
#   bench/fleet/run.sh [BUILD_DIR] [SECONDS] [RUNS]
# Prints each run and the median; also the fleet's own CPU use, so the
# figure "connections per fleet CPU-second" does not depend on the loader
# keeping up.
set -eu
build=${1:-build}
seconds=${2:-10}
runs=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${FLEET_BENCH_IN_NETNS:-}" != 1 ]; then
    FLEET_BENCH_IN_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$build" "$seconds" "$runs"
fi
fleet="$build/tests/fleet/kcensus-fleet"
loader="$build/bench/fleet/fleet-loader"
tmp=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$tmp"' EXIT
FLEET=$fleet FLEET_CPU=0
start_fleet "$root/tests/fleet/specs/bench.json" "$tmp/truth.csv" || exit 1
pid=$FLEET_PID
echo "$FLEET_READY"
echo "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
clk=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
# Warm-up: issues every member's leaf certificate once (lazy, cached).
taskset -c 1 "$loader" --count 50000 --port 6443 --seconds 3 >/dev/null
for r in $(seq "$runs"); do
    c0=$(cpu)
    line=$(taskset -c 1 "$loader" --count 50000 --port 6443 --seconds "$seconds" --threads 64)
    c1=$(cpu)
    conns=$(echo "$line" | sed 's/.*connections=\([0-9]*\).*/\1/')
    cpus=$(echo "$c0 $c1 $clk" | awk '{ printf "%.2f", ($2 - $1) / $3 }')
    percpu=$(echo "$conns $cpus" | awk '{ printf "%.0f", ($2 > 0 ? $1 / $2 : 0) }')
    echo "run $r: $line fleet_cpu_s=$cpus conns_per_fleet_cpu_s=$percpu"
    echo "$line $percpu" >>"$tmp/runs"
done
# Medians over the runs: loader-side rate, and connections per fleet
# CPU-second (the one-core capacity, whatever the loader manages).
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median rate: $(sed 's/.*rate=\([0-9]*\).*/\1/' "$tmp/runs" | med)/s"
echo "median conns_per_fleet_cpu_s: $(awk '{ print $NF }' "$tmp/runs" | med)"
