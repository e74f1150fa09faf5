#!/bin/sh
# make demo: the main job end to end on loopback. Starts kcensus-fleet with
# the demo spec and scans it, both inside a private network namespace (no
# packet can leave the machine), writes census.db and prints a summary.
# Usage: scripts/demo.sh [BUILD_DIR]   (env: DEMO_SPEC, DEMO_ARGS)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KC_DEMO_NETNS:-}" ]; then
    KC_DEMO_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$@"
fi
cd "$root"
spec=${DEMO_SPEC:-tests/fleet/specs/demo.json}
out=out/demo
mkdir -p "$out"
rm -f census.db census.db-wal census.db-shm
kcensus="$build/cli/kcensus"
fleet="$build/tests/fleet/kcensus-fleet"
echo "demo: kcensus $("$kcensus" --version)"

. "$root/tests/lib/fleet.sh"
trap 'stop_fleet' EXIT
FLEET=$fleet FLEET_WAIT=30
start_fleet "$spec" "$out/truth.csv" || { echo "demo: the fleet did not start" >&2; exit 1; }
echo "demo: fleet $FLEET_READY"
range=$FLEET_RANGE ports=$FLEET_PORTS

echo "demo: kcensus scan --allow-loopback -p $ports $range (stored in census.db)"
# shellcheck disable=SC2086
"$kcensus" scan -d census.db --allow-loopback -p "$ports" \
    --store all --label demo ${DEMO_ARGS:-} "$range"

echo
echo "demo: summary of census.db"
sqlite3 -column -header census.db "
SELECT outcome, coalesce(phase, '') AS phase, count(*) AS targets
  FROM results GROUP BY 1, 2 ORDER BY 3 DESC;"
echo
sqlite3 -column -header census.db "
SELECT coalesce(posture, '-') AS posture, count(*) AS endpoints
  FROM results WHERE is_kubernetes = 1 GROUP BY 1 ORDER BY 2 DESC;"
echo
sqlite3 -column -header census.db "
SELECT coalesce(vendor, '-') AS vendor, count(*) AS endpoints,
       count(DISTINCT CAST(git_version AS TEXT)) AS versions
  FROM results WHERE is_kubernetes = 1 GROUP BY 1 ORDER BY 2 DESC;"
echo
echo "demo: kcensus report --by minor"
"$kcensus" report -d census.db --by minor || echo "demo: (report failed)"
"$kcensus" report -d census.db --html "$out/report.html" >/dev/null 2>&1 &&
    echo "demo: full report in $out/report.html"
echo
echo "demo: stored results against the fleet's truth ($out/truth.csv):"
python3 tests/integration/scanner/compare_truth.py census.db "$out/truth.csv" | tail -5
