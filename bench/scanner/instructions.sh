#!/bin/sh
# Instructions per target (valgrind callgrind), a CPU figure the machine's
# noise does not move: kcensus scans N1 then N2 members of the bench fleet
# (--threads 1, default probes unless PROBES=version) and the difference of
# the two instruction counts is divided by N2 - N1 (start-up cancels out).
# Inside a private netns; loopback only.
# usage: bench/scanner/instructions.sh [BUILD_DIR]
#   env: N1 (default 100), N2 (default 400), PROBES (default|version),
#        KCENSUS (binary, default BUILD_DIR/cli/kcensus), KEEP (a directory:
#        the callgrind output of the N2 run is kept there)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KC_BENCH_NETNS:-}" ]; then
    KC_BENCH_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$@"
fi
cd "$root"
N1=${N1:-100} N2=${N2:-400} PROBES=${PROBES:-default}
kc=${KCENSUS:-$build/cli/kcensus}
command -v valgrind >/dev/null || { echo "bench: valgrind missing" >&2; exit 1; }
work=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
FLEET=$build/tests/fleet/kcensus-fleet
start_fleet tests/fleet/specs/bench.json "$work/truth.csv" --netns-wildcard || exit 1
range() { python3 -c "import ipaddress; print('127.16.0.0-%s' % (ipaddress.IPv4Address('127.16.0.0') + $1 - 1))"; }
# Warm-up: the fleet makes each member's certificate on first contact.
"$kc" scan -q -d "$work/warm.db" --allow-loopback -p 6443 -c 100 --rate 0 \
    --probes version "$(range "$N2")" || true
ir_of() { # n -> instructions of one scan of n targets
    rm -f "$work"/k.db* "$work"/cg.out
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$kc" scan -q \
        -d "$work/k.db" --allow-loopback -p 6443 --threads 1 -c 100 --rate 0 \
        --probes "$PROBES" "$(range "$1")" 2>"$work/vg.err" >/dev/null || true
    ok=$(sqlite3 "$work/k.db" "SELECT count(*) FROM results WHERE outcome='ok'")
    [ "$ok" = "$1" ] || { echo "bench: only $ok/$1 ok" >&2; exit 1; }
    sed -n 's/^summary: *//p' "$work/cg.out"
}
a=$(ir_of "$N1")
b=$(ir_of "$N2")
[ -n "${KEEP:-}" ] && cp "$work/cg.out" "$KEEP/callgrind.out"
echo "instructions per target ($PROBES probes): $(( (b - a) / (N2 - N1) ))" \
     "(scan of $N1: $a, of $N2: $b)"
