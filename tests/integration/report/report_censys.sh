#!/bin/sh
# The Censys 2024-02-05 buckets through `kcensus import` give the published
# per-minor shares and 565,750 of 1,626,356 hosts past upstream EOL.
# Usage: report_censys.sh KCENSUS SOURCE_ROOT
set -eu
kcensus=$1
src=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$kcensus" import -q -d "$t/c.db" --date 2024-02-05 --label censys \
    --buckets "$src/tests/data/censys-2024-02-05-gitversions.csv"
"$kcensus" report -d "$t/c.db" --format csv --by minor > "$t/minor.csv"
"$kcensus" report -d "$t/c.db" --format csv --by upstream_eol > "$t/eol.csv"
"$kcensus" report -d "$t/c.db" > "$t/table.txt"

# Published per-minor shares (one decimal, of the hosts that showed a
# version: every host in the buckets).
for want in 1.26:29.2 1.27:24.9 1.25:15.8 1.28:8.5 1.24:7.4 1.23:4.3 \
            1.21:3.9 1.29:2.6 1.22:2.1; do
    minor=${want%%:*}
    share=${want#*:}
    got=$(awk -F, -v m="$minor" '$1 == m { printf "%.1f", $5 * 100 }' \
        "$t/minor.csv")
    [ "$got" = "$share" ] || fail "minor $minor: $got%, want $share%"
done
grep -q '^past_eol,565750,0.347864' "$t/eol.csv" ||
    fail "past EOL row: $(grep past_eol "$t/eol.csv")"
grep -q '^supported,1060606,0.652136' "$t/eol.csv" || fail "supported row"
grep -q '^no_version,645,' "$t/eol.csv" || fail "no_version row"
grep -q 'past upstream end of life: 565750 of 1626356 showing a 1.x version (34.8%)' \
    "$t/table.txt" || fail "headline"
# Versions sorted as versions in the CSV: 1.9 before 1.10.
awk -F, 'NR > 1 && $1 != "no_version" { print $1 }' "$t/minor.csv" > "$t/order"
sort -t. -k1,1n -k2,2n "$t/order" | cmp -s - "$t/order" || fail "minor order"
# Importing the same census again is refused; with --force it is a second
# scan, and the trend has both.
if "$kcensus" import -q -d "$t/c.db" --date 2024-02-05 \
    --buckets "$src/tests/data/censys-2024-02-05-gitversions.csv" 2>/dev/null; then
    fail "second import of the same census accepted without --force"
fi
"$kcensus" import -q -d "$t/c.db" --date 2024-02-05 --force \
    --buckets "$src/tests/data/censys-2024-02-05-gitversions.csv"
[ "$("$kcensus" report -d "$t/c.db" --trend --format csv | grep -c ',upstream_eol,past_eol,565750,')" = 2 ] ||
    fail "trend of two imports"
# Bad input: clear errors, exit 1 or 2, nothing stored.
printf 'git_version,count\nv1.2.3,abc\n' > "$t/bad.csv"
if "$kcensus" import -q -d "$t/c.db" --date 2024-02-05 --buckets "$t/bad.csv" 2> "$t/err"; then
    fail "bad count accepted"
fi
grep -q 'line 2' "$t/err" || fail "bad count message: $(cat "$t/err")"
if "$kcensus" import -q -d "$t/c.db" --date 2024-02-30 --buckets "$t/bad.csv" 2>/dev/null; then
    fail "bad date accepted"
fi
echo "ok: censys golden"
