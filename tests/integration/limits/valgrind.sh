#!/bin/sh
# One integration scan under valgrind: the fleet's test spec,
# -c 50 on one loop thread, every stored row equal to the truth, and
# valgrind finds no memory error and no definite/possible leak (exit 99
# otherwise). Slow suite: valgrind makes TLS ~30x slower, hence the long
# per-target deadline. Inside a private netns (tests/netns-run.sh).
# usage: valgrind.sh KCENSUS FLEET SPEC COMPARE_PY
set -u
kcensus=$1 fleet=$2 spec=$3 compare=$4
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
work=$(mktemp -d)
trap 'stop_fleet; rm -rf "$work"' EXIT
. "$(dirname "$0")/lib.sh"
start_limits_fleet
timeout 600 valgrind -q --leak-check=full --error-exitcode=99 \
    --errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible \
    --log-file="$work/vg.log" \
    "$kcensus" scan -q -d "$work/v.db" --allow-loopback -p "$ports" \
    --timeout 15s --store all -c 50 --threads 1 --rate 0 "$range" 2>"$work/scan.err"
rc=$?
cat "$work/vg.log"
[ $rc = 124 ] && fail "scan under valgrind did not finish in 600 s"
[ $rc = 99 ] && fail "valgrind found errors or leaks (above)"
[ $rc = 0 ] || fail "scan under valgrind exited $rc"
truth_ok "$work/v.db"
echo "valgrind: no errors, no leaks"
