#!/bin/sh
# test_cli.sh - kcensus scans / sql / merge end to end on small databases
# made from the schema v1 fixture. Usage: test_cli.sh KCENSUS DATA_DIR
set -u
kc=$1
data=$2
tmp=$(mktemp -d /tmp/kc-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # description, then a command that must succeed
    d=$1; shift
    if "$@"; then echo "ok - $d"; else echo "not ok - $d"; fails=$((fails + 1)); fi
}
has() { grep -q -- "$1" "$tmp/out"; }
run() { "$kc" "$@" >"$tmp/out" 2>&1; echo $? >"$tmp/rc"; }
rc_is() { [ "$(cat "$tmp/rc")" = "$1" ]; }

cp "$data/schema-v1.db" "$tmp/a.db"
run scans -d "$tmp/a.db"
check "scans lists the (upgraded) v1 scan" rc_is 0
check "scans shows label and status" has "v1 fixture.*done"
run sql -d "$tmp/a.db" "SELECT count(*) AS n FROM kubernetes"
check "sql counts kubernetes" has "^2"
run sql -d "$tmp/a.db" --csv "SELECT ip, git_version FROM results ORDER BY id"
check "sql --csv" has "^127.0.0.5,v1.28.9+k3s1"
run sql -d "$tmp/a.db" "DELETE FROM results"
check "sql refuses writes without --write" rc_is 1
check "sql says why" has "--write"
run sql -d "$tmp/a.db" "SELECT nope FROM results"
check "sql reports a bad query" has "no such column"
run sql -d "$tmp/a.db"
check "sql without a query is a usage error" rc_is 2

# The documented queries use their indexes (docs/schema.md).
plan() { run sql -q -d "$tmp/a.db" --csv "EXPLAIN QUERY PLAN $1"; }
plan "SELECT r.minor, sum(r.weight) FROM results r WHERE r.scan_id = 1 AND r.is_kubernetes = 1 GROUP BY r.minor"
check "version query uses result_rows_k8s_version" has "USING .*INDEX result_rows_k8s_version"
plan "SELECT a.ip FROM results a JOIN results b ON b.scan_id = 2 AND b.addr = a.addr AND b.port = a.port AND b.sni = a.sni WHERE a.scan_id = 1 AND a.posture = 'open' AND b.posture = 'limited'"
check "posture change query uses the unique key" has "SEARCH r USING INDEX result_rows_key (scan_id=? AND addr=? AND port=? AND sni=?)"
plan "SELECT ip FROM results WHERE scan_id IN (SELECT id FROM scans) AND addr BETWEEN 167772160 AND 184549375"
check "IPv4 range query uses the unique key" has "USING INDEX result_rows_key (scan_id=? AND addr>? AND addr<?)"
plan "SELECT ip, port FROM results WHERE scan_id = 1 AND is_kubernetes = 1 AND minor = 27 AND vendor = 'gke' AND asn = 15169"
check "GKE 1.27 query uses result_rows_k8s_version" has "USING INDEX result_rows_k8s_version (scan_id=? AND minor=?)"
# The view still answers the v3 way of asking (same rows, no index).
run sql -q -d "$tmp/a.db" --csv "SELECT count(*) FROM results WHERE ip_int BETWEEN 2130706432 AND 2147483647"
check "ip_int range through the view" has "^3"
run sql -q -d "$tmp/a.db" --csv "SELECT count(*) FROM results a JOIN results b ON b.ip = a.ip AND b.port = a.port AND b.sni = a.sni"
check "ip text join through the view" has "^3"

# Two shards of one scan (seed 42) and a shard of another (seed 43).
mk() { # name uid index seed keep-where
    cp "$tmp/a.db" "$tmp/$1.db"
    sqlite3 "$tmp/$1.db" "UPDATE scans SET uid='$2', shard_index=$3,
        shard_count=2, seed=$4; DELETE FROM probes WHERE result_id IN
        (SELECT id FROM results WHERE NOT ($5)); DELETE FROM results
        WHERE NOT ($5);"
}
mk s0 u0 0 42 "id = 1"
mk s1 u1 1 42 "id != 1"
mk x1 u9 1 43 "id != 1"
run merge "$tmp/out.db" "$tmp/s0.db" "$tmp/s1.db"
check "merge shards" rc_is 0
run merge "$tmp/out.db" "$tmp/s1.db" "$tmp/s0.db"
check "merge again" rc_is 0
run sql -d "$tmp/out.db" --csv "SELECT count(*), (SELECT count(*) FROM scans), (SELECT status FROM scans) FROM results"
check "merged once: 3 rows, 1 scan, done" has "^3,1,done"
run merge "$tmp/out2.db" "$tmp/s0.db" "$tmp/x1.db"
check "merge refuses shards of different scans" rc_is 1
check "merge says why" has "do not belong together.*seed"
[ ! -e "$tmp/out2.db" ]
check "nothing written when refused" [ $? = 0 ]

run scans -d "$tmp/missing.db"
check "missing database" rc_is 1
cp "$tmp/a.db" "$tmp/new.db"
sqlite3 "$tmp/new.db" "PRAGMA user_version = 99"
run scans -d "$tmp/new.db"
check "newer schema refused" has "newer than this kcensus"
head -c 4096 /dev/urandom >"$tmp/junk.db"
run scans -d "$tmp/junk.db"
check "garbage refused" has "not a kcensus database"
exit $fails
