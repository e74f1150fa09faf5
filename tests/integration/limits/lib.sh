# Shared by the resource-limit tests: start kcensus-fleet on loopback (inside
# the private netns tests/netns-run.sh made), wait for READY, and scan.
# Sourced; the caller sets kcensus, fleet, spec, compare and work first.

# start_fleet: fleet in the background; sets fleet_pid, range, ports.
start_fleet() {
    "$fleet" --spec "$spec" --truth "$work/truth.csv" \
        >"$work/fleet.out" 2>"$work/fleet.err" &
    fleet_pid=$!
    _i=0
    until grep -q '^READY' "$work/fleet.out"; do
        _i=$((_i + 1))
        if [ $_i -gt 300 ] || ! kill -0 $fleet_pid 2>/dev/null; then
            echo "fleet did not start"; cat "$work/fleet.err"; exit 1
        fi
        sleep 0.1
    done
    _ready=$(grep '^READY' "$work/fleet.out")
    range=$(echo "$_ready" | sed -n 's/.* addrs=\([^ ]*\).*/\1/p')
    ports=$(echo "$_ready" | sed -n 's/.* ports=\([^ ]*\).*/\1/p')
}

stop_fleet() {
    [ -n "${fleet_pid:-}" ] && kill $fleet_pid 2>/dev/null
    [ -n "${fleet_pid:-}" ] && wait $fleet_pid 2>/dev/null
    fleet_pid=
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
