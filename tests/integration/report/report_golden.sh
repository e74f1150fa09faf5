#!/bin/sh
# A database built from a known fleet truth (make_fleet_db.c) gives exactly
# the golden CSVs in tests/data/report-golden; every output format survives
# the fleet's hostile strings (check_outputs.py).
# Usage: report_golden.sh KCENSUS MAKE_FLEET_DB SOURCE_ROOT
set -eu
kcensus=$1
make_db=$2
src=$3
golden=$src/tests/data/report-golden
here=$src/tests/integration/report
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
same() { # expected actual
    cmp -s "$1" "$2" || { diff -u "$1" "$2" >&2 || true; fail "$2 differs from $1"; }
}

"$make_db" "$t/fleet.db"
db="-d $t/fleet.db"

# One file per aggregation, exactly the truth's counts.
"$kcensus" report $db --scan 1 -o "$t/s1"
for f in "$golden"/scan1/*.csv; do
    same "$f" "$t/s1/$(basename "$f")"
done
for c in minor vendor posture; do
    [ -s "$t/s1/$c.svg" ] && [ -s "$t/s1/$c.png" ] || fail "chart $c missing"
done
"$kcensus" report $db --scan 1 --unit ip --by vendor --format csv > "$t/ip.csv"
same "$golden/unit-ip-vendor.csv" "$t/ip.csv"
"$kcensus" report $db --scan 1 --unit cluster --by minor --format csv > "$t/cl.csv"
same "$golden/unit-cluster-minor.csv" "$t/cl.csv"
"$kcensus" report $db --diff 1 2 --format csv > "$t/diff.csv"
same "$golden/diff-1-2.csv" "$t/diff.csv"
"$kcensus" report $db --trend --format csv > "$t/trend.csv"
same "$golden/trend.csv" "$t/trend.csv"
# Default scan: the latest finished one.
"$kcensus" report $db --format csv --by minor | grep -q '^1.28,1,28,1,0.142857,' ||
    fail "default scan is not the latest"

# Hostile strings through every format.
mkdir "$t/h"
"$kcensus" report $db --scan 1 > "$t/h/table.txt"
"$kcensus" report $db --diff 1 2 > "$t/h/diff.txt"
"$kcensus" report $db --trend > "$t/h/trend.txt"
"$kcensus" report $db --scan 1 --format json > "$t/h/report.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$t/h/report.json" ||
    fail "JSON does not parse"
"$kcensus" report $db --trend -o "$t/h" --html "$t/h/page.html"
python3 "$here/check_outputs.py" "$t/h" || fail "hostile strings"
python3 "$here/check_outputs.py" "$t/s1" || fail "hostile strings (csv)"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$t/h/page.html" ||
    fail "HTML table does not show the escaped version"
[ -s "$t/h/trend.svg" ] || fail "trend chart missing"
# The static site: the same checks on every page and CSV, links resolve.
"$kcensus" report $db --site "$t/site"
[ -s "$t/site/index.html" ] && [ -s "$t/site/scan-1/index.html" ] &&
    [ -s "$t/site/scan-2/minor.csv" ] || fail "site layout"
python3 "$here/check_outputs.py" "$t/site" || fail "hostile strings (site)"
# The page opens with the census over time when there are 2+ scans.
grep -q '<h1>Kubernetes census, 2024-02-05 to 2024-06-01</h1>' "$t/h/page.html" ||
    fail "the page does not open with the trend"

# Usage and runtime errors: exit 2 and 1, a message, no crash.
set +e
"$kcensus" report $db --unit planet 2>/dev/null; [ $? = 2 ] || fail "bad --unit"
"$kcensus" report $db --by nothing 2>/dev/null; [ $? = 2 ] || fail "bad --by"
"$kcensus" report $db --diff 1 2>/dev/null; [ $? = 2 ] || fail "--diff A only"
"$kcensus" report $db --scan 99 2>"$t/err"; [ $? = 1 ] || fail "missing scan"
grep -q 'no scan with id 99' "$t/err" || fail "missing scan message"
printf 'minor,eol\n' > "$t/rel.csv"
"$kcensus" report $db --releases "$t/rel.csv" 2>/dev/null; [ $? = 1 ] ||
    fail "bad --releases accepted"
set -e
# --releases extends the table: 1.38 becomes known (supported then).
printf 'minor,released,maintenance_mode,end_of_life\n1.38,2026-12-01,,2028-02-28\n' > "$t/rel.csv"
"$kcensus" report $db --scan 1 --releases "$t/rel.csv" --format csv \
    --by upstream_eol | grep -q '^supported,4,0.571429' || fail "--releases"
echo "ok: report golden"
