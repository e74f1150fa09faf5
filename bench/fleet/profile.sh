#!/bin/sh
# Where the fleet's CPU goes under the connection-rate load: perf record -g
# on kcensus-fleet (pinned to CPU 0) while fleet-loader (CPU 1) runs, in a
# private netns; then perf report (no children, by DSO and by symbol).
#   bench/fleet/profile.sh [BUILD_DIR] [SECONDS] [OUT_DIR]
set -eu
build=${1:-build}
seconds=${2:-5}
out=${3:-/tmp/fleet-profile}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${FLEET_BENCH_IN_NETNS:-}" != 1 ]; then
    FLEET_BENCH_IN_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$build" "$seconds" "$out"
fi
mkdir -p "$out"
tmp=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$tmp"' EXIT
FLEET=$build/tests/fleet/kcensus-fleet FLEET_CPU=0
start_fleet "$root/tests/fleet/specs/bench.json" "$tmp/truth.csv" ${FLEET_ARGS:-} || exit 1
loader="$build/bench/fleet/fleet-loader"
taskset -c 1 "$loader" --count 50000 --port 6443 --seconds 2 ${LOADER_ARGS:-} >/dev/null
perf record -q -g -o "$out/perf.data" -p "$FLEET_PID" -- sleep "$seconds" &
perf_pid=$!
taskset -c 1 "$loader" --count 50000 --port 6443 --seconds "$seconds" ${LOADER_ARGS:-}
wait $perf_pid || true
perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -15
perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -45
