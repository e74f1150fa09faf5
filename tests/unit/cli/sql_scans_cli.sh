#!/bin/sh
# kcensus sql and kcensus scans: --format table|csv|json (--csv an alias),
# cut table cells marked and counted, --wide and CSV/JSON with full values;
# scans shows completed of total targets, and hosts for an import.
# Works on a database the test makes itself (an import and one row written
# with --write), no network. usage: sql_scans_cli.sh KCENSUS CENSYS_CSV
set -u
k=$1 censys=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/t.db
fail() { echo "FAIL: $*"; exit 1; }
"$k" import -q -d "$db" --buckets "$censys" --date 2024-02-05 || fail "import"
hosts=$("$k" sql -q -d "$db" --csv "SELECT sum(weight) FROM results" | tail -1 | tr -d '\r')
buckets=$("$k" sql -q -d "$db" --csv "SELECT count(*) FROM results" | tail -1 | tr -d '\r')
[ "$hosts" -gt "$buckets" ] || fail "want more hosts ($hosts) than buckets ($buckets)"
# A scan row the way kcensus scan leaves an interrupted one: 1795 of 8000.
"$k" sql -q -d "$db" --write "INSERT INTO scans (uid, label, status,
  started_at, targets_total, completed, kubernetes) VALUES ('u2', 'weekly',
  'interrupted', '2026-12-06T10:00:00Z', 8000, 1795, 3)" || fail "insert"

# scans: the table, CSV (and its alias), JSON.
"$k" scans -d "$db" >"$work/table" || fail "scans"
grep -Eq "^ +1 .* imported .* $hosts +$hosts +$hosts\$" "$work/table" ||
    { cat "$work/table"; fail "import row: want $hosts hosts, not $buckets buckets"; }
grep -Eq "^ +2 +weekly .* 1795/8000 " "$work/table" ||
    { cat "$work/table"; fail "scan row: want 1795/8000"; }
"$k" scans -d "$db" --format csv >"$work/csv" || fail "scans --format csv"
"$k" scans -d "$db" --csv | cmp -s - "$work/csv" || fail "--csv differs from --format csv"
grep -q "^1,.*,$hosts,$hosts,$hosts,$hosts,import\$" "$work/csv" ||
    { cat "$work/csv"; fail "scans csv import row"; }
grep -q "^2,\"weekly\",.*,8000,1795,0,3,scan\$" "$work/csv" ||
    { cat "$work/csv"; fail "scans csv scan row"; }
"$k" scans -d "$db" --format json | python3 -c "
import json, sys
s = json.load(sys.stdin)
assert [x['kind'] for x in s] == ['import', 'scan'], s
assert s[0]['targets'] == s[0]['completed'] == $hosts, s[0]
assert (s[1]['targets'], s[1]['completed']) == (8000, 1795), s[1]
" || fail "scans --format json"
"$k" scans -d "$db" --format xml >/dev/null 2>&1
[ $? = 2 ] || fail "scans --format xml: want exit 2"

# sql: a 70-character value is cut at 60 in the table and marked.
long=$(printf 'v%.0s' $(seq 1 70))
q="SELECT '$long' AS long, 42 AS n, '1.10' AS minor, NULL AS none"
"$k" sql -d "$db" "$q" >"$work/out" 2>"$work/err" || fail "sql"
cut=$(printf 'v%.0s' $(seq 1 60))
grep -q "^$cut~  42" "$work/out" || { cat "$work/out"; fail "cut cell not marked"; }
grep -q "1 cell cut at 60 characters" "$work/err" || { cat "$work/err"; fail "cut count"; }
"$k" sql -d "$db" --wide "$q" 2>"$work/err" | grep -q "^$long  42" || fail "--wide"
grep -q "cut" "$work/err" && fail "--wide still cuts"
[ "$("$k" sql -d "$db" --format csv "$q" | tail -1)" = "$(printf '%s,42,1.10,\r' "$long")" ] ||
    fail "csv: full values"
"$k" sql -d "$db" --format csv "$q" >"$work/a"
"$k" sql -d "$db" --csv "$q" | cmp -s - "$work/a" || fail "--csv differs from --format csv"
"$k" sql -d "$db" --format json "$q" | python3 -c "
import json, sys
r = json.load(sys.stdin)
assert r == [{'long': '$long', 'n': 42, 'minor': '1.10', 'none': None}], r
" || fail "sql --format json"
[ "$("$k" sql -d "$db" --format json "SELECT 1 WHERE 0")" = "[]" ] || fail "json, no rows"
echo "sql_scans_cli: ok"
