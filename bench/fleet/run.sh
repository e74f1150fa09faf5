#!/bin/sh
# Connection rate of kcensus-fleet: new TLS connections per second, each
# with the six default probes, fleet pinned to CPU 0, loader to CPU 1,
# inside a private network namespace (bench spec: 50,000 ECDSA members,
# wildcard listeners, no latency).
#   bench/fleet/run.sh [BUILD_DIR] [SECONDS] [RUNS]
#   env: FLEET_BASELINE=path/to/an/older/kcensus-fleet  A/B in the same run:
#            every run measures the baseline, then this build's fleet
#        LOADER_ARGS  extra fleet-loader arguments (e.g. "--threads 64")
#        FLEET_ARGS   extra kcensus-fleet arguments (e.g. "--threads 2")
# Each run starts the fleet afresh, warms up 1 s, then loads it for SECONDS.
# Prints each run and the medians; also the fleet's own CPU use, so that
# "connections per fleet CPU-second" does not depend on the loader keeping
# up, and the loader's CPU (is it the bottleneck?).
set -eu
build=${1:-build}
seconds=${2:-10}
runs=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${FLEET_BENCH_IN_NETNS:-}" != 1 ]; then
    FLEET_BENCH_IN_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$build" "$seconds" "$runs"
fi
loader="$build/bench/fleet/fleet-loader"
tmp=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$tmp"' EXIT
clk=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$FLEET_PID/stat"; }
echo "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "busiest other processes: $(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,4p' | tr -s ' ' | tr '\n' ';')"

one_run() { # label fleet-binary run-number
    FLEET=$2 FLEET_CPU=0
    # shellcheck disable=SC2086
    start_fleet "$root/tests/fleet/specs/bench.json" "$tmp/truth.csv" ${FLEET_ARGS:-} || exit 1
    [ "$3" = 1 ] && echo "$1: $FLEET_READY"
    # shellcheck disable=SC2086
    taskset -c 1 "$loader" --count 50000 --port 6443 --seconds 1 ${LOADER_ARGS:-} >/dev/null
    c0=$(cpu)
    # shellcheck disable=SC2086
    line=$(taskset -c 1 "$loader" --count 50000 --port 6443 --seconds "$seconds" ${LOADER_ARGS:-})
    c1=$(cpu)
    stop_fleet
    conns=$(echo "$line" | sed 's/.*connections=\([0-9]*\).*/\1/')
    cpus=$(echo "$c0 $c1 $clk" | awk '{ printf "%.2f", ($2 - $1) / $3 }')
    percpu=$(echo "$conns $cpus" | awk '{ printf "%.0f", ($2 > 0 ? $1 / $2 : 0) }')
    echo "$1 run $3: $line fleet_cpu_s=$cpus conns_per_fleet_cpu_s=$percpu"
    echo "$line $percpu" >>"$tmp/runs-$1"
}

for r in $(seq "$runs"); do
    [ -n "${FLEET_BASELINE:-}" ] && one_run baseline "$FLEET_BASELINE" "$r"
    one_run fleet "$build/tests/fleet/kcensus-fleet" "$r"
done
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Medians over the runs: loader-side rate, and connections per fleet
# CPU-second (the one-core capacity, whatever the loader manages).
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for v in baseline fleet; do
    [ -f "$tmp/runs-$v" ] || continue
    echo "$v: median rate $(sed 's/.*rate=\([0-9]*\).*/\1/' "$tmp/runs-$v" | med)/s," \
        "median conns_per_fleet_cpu_s $(awk '{ print $NF }' "$tmp/runs-$v" | med)"
done
