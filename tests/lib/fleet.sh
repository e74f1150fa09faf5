# shellcheck shell=sh disable=SC2034
# tests/lib/fleet.sh - start kcensus-fleet in the background and wait for its
# READY line; stop it. POSIX sh, sourced by the integration tests, the
# benchmarks and scripts/demo.sh (one copy of what each used to repeat).
#
#   FLEET=path/to/kcensus-fleet            (the caller sets it)
#   start_fleet SPEC TRUTH [FLEET ARGS...]
#       Runs `$FLEET --spec SPEC --truth TRUTH ARGS...` in the background,
#       stdout to fleet.out and stderr to fleet.err next to TRUTH, and waits
#       for the READY line: at most FLEET_WAIT seconds (default 60), less if
#       the fleet exits first. FLEET_CPU, when set, pins it (taskset -c).
#       Sets FLEET_PID, FLEET_OUT, FLEET_ERR, FLEET_READY (the line),
#       FLEET_RANGE (first-last address) and FLEET_PORTS (comma list).
#       On failure: prints "fleet did not start" and the fleet's stderr on
#       stderr, stops it, returns 1 (callers: `start_fleet ... || exit 1`).
#   stop_fleet
#       SIGTERM and wait; FLEET_STATUS gets the fleet's exit status. Always
#       returns 0 (it runs in EXIT traps) and may be called twice.

FLEET_PID=
FLEET_STATUS=

start_fleet() {
    _fl_spec=$1 _fl_truth=$2
    shift 2
    _fl_dir=$(dirname "$_fl_truth")
    FLEET_OUT=$_fl_dir/fleet.out FLEET_ERR=$_fl_dir/fleet.err
    : >"$FLEET_OUT"
    if [ -n "${FLEET_CPU:-}" ]; then
        taskset -c "$FLEET_CPU" "${FLEET:?FLEET is not set}" --spec "$_fl_spec" \
            --truth "$_fl_truth" "$@" >"$FLEET_OUT" 2>"$FLEET_ERR" &
    else
        "${FLEET:?FLEET is not set}" --spec "$_fl_spec" --truth "$_fl_truth" \
            "$@" >"$FLEET_OUT" 2>"$FLEET_ERR" &
    fi
    FLEET_PID=$!
    _fl_i=0
    _fl_max=$((${FLEET_WAIT:-60} * 10))
    until grep -q '^READY' "$FLEET_OUT"; do
        _fl_i=$((_fl_i + 1))
        if [ $_fl_i -gt $_fl_max ] || ! kill -0 "$FLEET_PID" 2>/dev/null; then
            echo "fleet did not start (spec $_fl_spec):" >&2
            cat "$FLEET_ERR" >&2
            stop_fleet
            return 1
        fi
        sleep 0.1
    done
    FLEET_READY=$(grep '^READY' "$FLEET_OUT")
    FLEET_RANGE=$(echo "$FLEET_READY" | sed -n 's/.* addrs=\([^ ]*\).*/\1/p')
    FLEET_PORTS=$(echo "$FLEET_READY" | sed -n 's/.* ports=\([^ ]*\).*/\1/p')
    return 0
}

stop_fleet() {
    if [ -n "${FLEET_PID:-}" ]; then
        kill "$FLEET_PID" 2>/dev/null || true
        FLEET_STATUS=0
        wait "$FLEET_PID" 2>/dev/null || FLEET_STATUS=$?
        FLEET_PID=
    fi
    return 0
}
