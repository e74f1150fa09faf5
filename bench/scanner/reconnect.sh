#!/bin/sh
# The cost of a reconnect: kcensus scans N members that keep the
# connection alive and N that close after every answer (Connection: close:
# one connection per probe), same behaviour, versions and certificates,
# inside a private network namespace; fleet pinned to CPU 1, kcensus to
# CPU 0 (--threads 1). Prints, per framing, the median of RUNS runs: wall
# seconds, CPU us per target (user+sys of kcensus), connections per target,
# and the difference per reconnect.
#
# usage: bench/scanner/reconnect.sh [BUILD_DIR]   env: N (500), C (100), RUNS (3)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KC_BENCH_NETNS:-}" ]; then
    KC_BENCH_NETNS=1 exec "$root/tests/netns-run.sh" "$0" "$@"
fi
cd "$root"
N=${N:-500} C=${C:-100} RUNS=${RUNS:-3}
work=$(mktemp -d)
. "$root/tests/lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
for need in /usr/bin/time taskset sqlite3; do
    command -v $need >/dev/null || { echo "bench: $need missing" >&2; exit 1; }
done
cat >"$work/spec.json" <<SPEC
{"seed": 11, "base": "127.20.0.0", "ports": [6443], "groups": [
 {"name": "keep-alive", "count": $N, "behaviours": {"open": 1},
  "versions": {"v1.29.2": 1}, "leaf": "shared"},
 {"name": "close", "count": $N, "behaviours": {"open": 1},
  "versions": {"v1.29.2": 1}, "leaf": "shared", "http": {"close": 1}}]}
SPEC
FLEET=$build/tests/fleet/kcensus-fleet FLEET_CPU=1
start_fleet "$work/spec.json" "$work/truth.csv" || exit 1
last=$((N - 1))
ka="127.20.0.0-127.20.$((last / 256)).$((last % 256))"
first=$N
cl="127.20.$((first / 256)).$((first % 256))-127.20.$(((first + last) / 256)).$(((first + last) % 256))"
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
run() { # name range -> "wall cpu_us_per_target connections_per_target"
    for i in $(seq "$RUNS"); do
        db="$work/$1-$i.db"
        /usr/bin/time -f "%e %U %S" -o "$work/time" taskset -c 0 \
            "$build/cli/kcensus" scan -q -d "$db" --allow-loopback -p 6443 \
            --store all --rate 0 -c "$C" --threads 1 "$2"
        read -r wall u s <"$work/time"
        conns=$(sqlite3 "$db" "SELECT avg(connections) FROM result_rows")
        echo "$wall $(echo "($u + $s) * 1000000 / $N" | bc -l) $conns"
    done >"$work/$1.runs"
    w=$(cut -d' ' -f1 "$work/$1.runs" | median)
    c=$(cut -d' ' -f2 "$work/$1.runs" | median)
    k=$(cut -d' ' -f3 "$work/$1.runs" | median)
    printf '%s %s %s\n' "$w" "$c" "$k"
}
read -r kw kc kk <<EOT
$(run keep-alive "$ka")
EOT
read -r cw cc ck <<EOT
$(run close "$cl")
EOT
printf 'framing     wall_s  cpu_us/target  connections/target\n'
printf 'keep-alive  %6.2f  %13.0f  %18.2f\n' "$kw" "$kc" "$kk"
printf 'close       %6.2f  %13.0f  %18.2f\n' "$cw" "$cc" "$ck"
printf 'per reconnect: %.0f us CPU\n' \
    "$(echo "($cc - $kc) / ($ck - $kk)" | bc -l)"
