#!/bin/sh
# Scanner benchmark: kcensus against baselines on the same fleet, in the
# same run, inside a private network namespace. The fleet is pinned to CPU
# 1, every client to CPU 0 (kcensus with --threads 1). Reports medians of
# RUNS runs: targets/s, CPU us per target (user+sys of the client), peak RSS.
#
# usage: bench/scanner/run.sh [BUILD_DIR]
#   env: N (targets, default 1000), C (concurrency, default 100), RUNS (3),
#        TOOLS (default: all), SPEC (default tests/fleet/specs/bench.json),
#        KCENSUS_ALT (a second kcensus binary: tools alt-default and
#        alt-version run it, to compare two builds in the same run),
#        KCENSUS_ALT2 (a third: tools alt2-default, alt2-version).
#   SCAN_THREADS (kcensus --threads, default 1), CLIENT_CPUS (taskset list
#   of the clients, default 0).
#   Tools noengine-default and noengine-version run BUILD_DIR's kcensus
#   with KCENSUS_KEY_ENGINE=off (OpenSSL's default key decoding), each in
#   its own process like every run.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KC_BENCH_NETNS:-}" ]; then
    KC_BENCH_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$@"
fi
cd "$root"
N=${N:-1000} C=${C:-100} RUNS=${RUNS:-3}
SCAN_THREADS=${SCAN_THREADS:-1} CLIENT_CPUS=${CLIENT_CPUS:-0}
SPEC=${SPEC:-tests/fleet/specs/bench.json}
TOOLS=${TOOLS:-"kcensus-default kcensus-version min-c go-version go-default python-asyncio curl-parallel"}
work=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT

# Baseline tools (Debian: golang-go, curl, time, util-linux); not in
# scripts/deps so that `make check` does not pull a Go toolchain.
for need in /usr/bin/time taskset sqlite3; do
    command -v $need >/dev/null || { echo "bench: $need missing" >&2; exit 1; }
done
if command -v go >/dev/null; then
    (cd bench/scanner/go && GOFLAGS=-mod=mod GOCACHE="$work/gocache" go build -o "$work/bench-go" .)
else
    echo "bench: golang-go not installed (apt-get install golang-go): no Go baseline" >&2
    TOOLS=$(echo "$TOOLS" | tr ' ' '\n' | grep -v '^go-' | tr '\n' ' ')
fi
command -v curl >/dev/null || TOOLS=$(echo "$TOOLS" | tr ' ' '\n' | grep -v '^curl' | tr '\n' ' ')

FLEET=$build/tests/fleet/kcensus-fleet FLEET_CPU=1
start_fleet "$SPEC" "$work/truth.csv" --netns-wildcard || exit 1

# N targets: consecutive fleet members on port 6443.
python3 - "$N" >"$work/targets.txt" <<'PY'
import ipaddress, sys
base = ipaddress.IPv4Address("127.16.0.0")
for i in range(int(sys.argv[1])):
    print(base + i, 6443)
PY
last=$(tail -1 "$work/targets.txt" | cut -d' ' -f1)
range="127.16.0.0-$last"
awk '{print "url = \"https://" $1 ":" $2 "/version\"\noutput = \"/dev/null\""}' \
    "$work/targets.txt" >"$work/curl.cfg"

run_tool() { # tool -> command line
    case $1 in
    kcensus-default|kcensus-version)
        rm -f "$work"/k.db*
        echo "$build/cli/kcensus scan -q -d $work/k.db --allow-loopback -p 6443 \
--threads $SCAN_THREADS -c $C --rate 0 --probes ${1#kcensus-} $range" ;;
    alt-default|alt-version)
        rm -f "$work"/k.db*
        echo "$KCENSUS_ALT scan -q -d $work/k.db --allow-loopback -p 6443 \
--threads $SCAN_THREADS -c $C --rate 0 --probes ${1#alt-} $range" ;;
    alt2-default|alt2-version)
        rm -f "$work"/k.db*
        echo "$KCENSUS_ALT2 scan -q -d $work/k.db --allow-loopback -p 6443 \
--threads $SCAN_THREADS -c $C --rate 0 --probes ${1#alt2-} $range" ;;
    noengine-default|noengine-version)
        rm -f "$work"/k.db*
        echo "env KCENSUS_KEY_ENGINE=off $build/cli/kcensus scan -q -d $work/k.db \
--allow-loopback -p 6443 --threads $SCAN_THREADS -c $C --rate 0 --probes ${1#noengine-} $range" ;;
    min-c) echo "$build/bench/scanner/kc-bench-min-client" ;;
    go-version|go-default) echo "$work/bench-go -c $C -probes ${1#go-}" ;;
    python-asyncio) echo "python3 bench/scanner/baseline_asyncio.py $C" ;;
    curl-parallel) echo "curl -sk --parallel --parallel-max $C -K $work/curl.cfg" ;;
    esac
}

# Warm-up, untimed: the fleet issues each member's leaf certificate on its
# first connection; no tool should pay for that in a timed run.
"$build/cli/kcensus" scan -q -d "$work/warm.db" --allow-loopback -p 6443 \
    -c "$C" --rate 0 --probes version "$range" || true

echo "| tool | targets/s | CPU us/target (user+sys) | of which sys | peak RSS MiB | ok/N |"
echo "|---|---|---|---|---|---|"
# Runs interleaved (run 1 of every tool, then run 2...), so that a change
# in the machine's load shows in every tool's figures alike.
r=0
while [ $r -lt "$RUNS" ]; do
    for tool in $TOOLS; do
        cmd=$(run_tool "$tool")
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" taskset -c "$CLIENT_CPUS" $cmd \
            <"$work/targets.txt" >"$work/out" 2>"$work/err" || true
        ok=$(sed -n 's/^ok \([0-9]*\).*/\1/p' "$work/out")
        case ${tool%%-*} in kcensus|alt|alt2|noengine) stored=1 ;; *) stored= ;; esac
        if [ -z "$ok" ] && [ -n "$stored" ]; then
            ok=$(sqlite3 "$work/k.db" "SELECT count(*) FROM results WHERE outcome='ok'")
        fi
        [ -z "$ok" ] && [ "$tool" = curl-parallel ] && ok=$N
        echo "$(cat "$work/time") ${ok:-0}" >>"$work/runs.$tool"
    done
    r=$((r + 1))
done
for tool in $TOOLS; do
    python3 - "$tool" "$N" "$work/runs.$tool" <<'PY'
import statistics, sys
tool, n = sys.argv[1], int(sys.argv[2])
rows = [list(map(float, l.split())) for l in open(sys.argv[3]) if l.strip()]
med = lambda i: statistics.median(r[i] for r in rows)
wall, cpu = med(0), statistics.median(r[1] + r[2] for r in rows)
print(f"| {tool} | {n / wall:.0f} | {cpu / n * 1e6:.0f} | {med(2) / n * 1e6:.0f} | {med(3) / 1024:.1f} | {int(med(4))}/{n} |")
PY
done
