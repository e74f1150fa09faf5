#!/bin/sh
# Sharding end to end: N shard scans of the simulated fleet run in parallel
# (`--shard I/N --seed S`, each into its own database), `kcensus merge`
# combines them, and the merged scan equals the single-machine scan with the
# same seed row for row on the stable columns. Also: `--shard auto/N` takes
# I from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) and gives the same
# shard as the explicit I/N. Inside a private netns (tests/netns-run.sh).
# usage: shard_merge.sh KCENSUS FLEET SPEC [N]
set -u
kcensus=$1 fleet=$2 spec=$3 n=${4:-3}
seed=20261129
work=$(mktemp -d)
. "$(dirname "$0")/../../lib/fleet.sh"
trap 'stop_fleet; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

FLEET=$fleet FLEET_WAIT=20
start_fleet "$spec" "$work/truth.csv" || fail "fleet did not start"
range=$FLEET_RANGE ports=$FLEET_PORTS

scan() { # db extra-args...
    db=$1; shift
    "$kcensus" scan -q -d "$db" --allow-loopback -p "$ports" --timeout 3s \
        --store all -c 50 --rate 0 --seed $seed "$@" "$range"
}
# The stable columns: what the target is, not when or how fast it answered.
cols="ip, port, sni, outcome, phase, is_kubernetes, posture, git_version, vendor, major, minor, patch"
# One value from a query (kcensus sql --csv ends lines with CRLF).
value() { # db query
    "$kcensus" sql -d "$1" --csv "$2" | tail -1 | tr -d '\r'
}
rows() { # db -> sorted CSV of the stable columns of its only/merged scan
    "$kcensus" sql -d "$1" --csv \
        "SELECT $cols FROM results ORDER BY ip_int, ip, port, sni" >"$2" ||
        fail "sql on $1"
}

# N shards in parallel, each its own database.
pids=
i=0
while [ $i -lt "$n" ]; do
    scan "$work/shard-$i.db" --shard "$i/$n" >"$work/shard-$i.log" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
i=0
for p in $pids; do
    wait "$p" || { cat "$work/shard-$i.log"; fail "shard $i/$n exited $?"; }
    i=$((i + 1))
done
# The single-machine scan with the same seed.
scan "$work/single.db" >"$work/single.log" 2>&1 || { cat "$work/single.log"; fail "single scan"; }

# Shards are disjoint and not empty (a degenerate split would prove nothing).
total=0
i=0
while [ $i -lt "$n" ]; do
    c=$(value "$work/shard-$i.db" "SELECT count(*) FROM results")
    [ "$c" -gt 0 ] || fail "shard $i/$n stored no results"
    total=$((total + c))
    i=$((i + 1))
done

"$kcensus" merge "$work/merged.db" "$work"/shard-*.db >"$work/merge.log" 2>&1 ||
    { cat "$work/merge.log"; fail "merge"; }
nscans=$(value "$work/merged.db" "SELECT count(*) FROM scans")
[ "$nscans" = 1 ] || fail "merged database has $nscans scans, want 1"

rows "$work/merged.db" "$work/merged.csv"
rows "$work/single.db" "$work/single.csv"
want=$(($(wc -l <"$work/single.csv") - 1))
[ "$want" -gt 0 ] || fail "single scan stored nothing"
[ "$total" = "$want" ] || fail "shards stored $total rows, single scan $want"
# Every fleet endpoint is in the single scan (so equality covers the fleet).
members=$(($(wc -l <"$work/truth.csv") - 1))
[ "$want" -ge "$members" ] || fail "single scan has $want rows, fleet truth $members"
if ! cmp -s "$work/merged.csv" "$work/single.csv"; then
    diff "$work/single.csv" "$work/merged.csv" | head -40
    fail "merged shards differ from the single scan"
fi
echo "ok: $n shards ($total rows) merged == single scan ($want rows)"

# Merged scan's counters equal the single scan's.
counts="SELECT outcome, count(*) FROM results GROUP BY outcome ORDER BY outcome"
[ "$("$kcensus" sql -d "$work/merged.db" --csv "$counts")" = \
  "$("$kcensus" sql -d "$work/single.db" --csv "$counts")" ] || fail "outcome counts"

# auto/N: the index from $JOB_COMPLETION_INDEX gives the same shard as I/N.
last=$((n - 1))
JOB_COMPLETION_INDEX=$last scan "$work/auto.db" --shard "auto/$n" >"$work/auto.log" 2>&1 ||
    { cat "$work/auto.log"; fail "--shard auto/$n"; }
rows "$work/auto.db" "$work/auto.csv"
rows "$work/shard-$last.db" "$work/explicit.csv"
cmp -s "$work/auto.csv" "$work/explicit.csv" || fail "auto/$n with index $last != $last/$n"
idx=$(value "$work/auto.db" "SELECT shard_index || '/' || shard_count FROM scans")
[ "$idx" = "$last/$n" ] || fail "auto shard recorded as '$idx', want $last/$n"
# auto/N without the variable, or with a bad index, is a usage error (exit 2).
( unset JOB_COMPLETION_INDEX; "$kcensus" scan --dry-run -d "$work/x.db" --allow-loopback \
    --shard "auto/$n" "$range" >/dev/null 2>&1 ); rc=$?
[ $rc = 2 ] || fail "auto/N without JOB_COMPLETION_INDEX exited $rc, want 2"
JOB_COMPLETION_INDEX=$n "$kcensus" scan --dry-run -d "$work/x.db" --allow-loopback \
    --shard "auto/$n" "$range" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "auto/N with index N exited $rc, want 2"
echo "ok: --shard auto/$n with JOB_COMPLETION_INDEX=$last == $last/$n"
