# Shared by the resource-limit tests: start kcensus-fleet on loopback (inside
# the private netns tests/netns-run.sh made), wait for READY, and scan.
# Sourced; the caller sets kcensus, fleet, spec, compare and work first.

# start_fleet and stop_fleet: tests/lib/fleet.sh.
. "$(dirname "$0")/../../lib/fleet.sh"

# start_limits_fleet: the fleet of $spec in the background (stop_fleet
# stops it); sets range, ports; exits 1 when it does not start.
start_limits_fleet() {
    FLEET=$fleet FLEET_WAIT=30
    start_fleet "$spec" "$work/truth.csv" || exit 1
    range=$FLEET_RANGE ports=$FLEET_PORTS
}

# fail MESSAGE: print it with the scan's stderr, exit 1.
fail() {
    echo "FAIL: $*"
    [ -f "$work/scan.err" ] && { echo "--- scan stderr:"; cat "$work/scan.err"; }
    exit 1
}

# truth_ok DB: every stored row equals the fleet's truth.
truth_ok() {
    python3 "$compare" "$1" "$work/truth.csv" || fail "results differ from the truth"
}
