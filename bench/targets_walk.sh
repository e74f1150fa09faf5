#!/bin/bash
# Walks the whole IPv4 permutation on one port with the default blocklist:
# every target is generated in scan order (not printed). Prints each run's
# wall and user CPU seconds, then the medians and rates.
# Usage: bench/targets_walk.sh [BUILD_DIR] [RUNS]
set -eu
build=${1:-build}
runs=${2:-3}
bin="$build/cli/kcensus"
[ -x "$bin" ] || { echo "build first: $bin missing" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    # bash's time keyword: TIMEFORMAT gives "wall user".
    out=$( { TIMEFORMAT='%R %U'; time "$bin" targets 0.0.0.0/0 -p 443 \
        --seed "$i" --walk -q; } 2>&1 )
    n=$(echo "$out" | awk '/^targets/ {print $2}')
    rt=$(echo "$out" | tail -n 1)
    echo "run $i: targets $n, wall/user seconds $rt"
    echo "$n $rt" >> "$tmp"
done
sort -n -k2 "$tmp" | awk -v r="$runs" 'NR == int((r + 1) / 2) {
    printf "median wall %.1f s (%.1f M targets/s)\n", $2, $1 / $2 / 1e6 }'
sort -n -k3 "$tmp" | awk -v r="$runs" 'NR == int((r + 1) / 2) {
    printf "median user CPU %.1f s (%.1f M targets/s per core)\n", $3, $1 / $3 / 1e6 }'
