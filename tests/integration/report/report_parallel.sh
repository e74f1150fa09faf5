#!/bin/sh
# A scan large enough to be read in two parts on two threads gives exactly
# the generator's counts (make_fleet_db DB N: minor 1.(20 + i % 7), vendor
# by i % 3), the same as the single-reader units would.
# Usage: report_parallel.sh KCENSUS MAKE_FLEET_DB
set -eu
kcensus=$1
make_db=$2
n=300001
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$make_db" "$t/big.db" $n
"$kcensus" report -d "$t/big.db" --scan 3 --format csv --by minor > "$t/minor.csv"
awk -v n=$n 'BEGIN {
    printf "version,major,minor,hosts\n"
    for (m = 0; m < 7; m++) {
        c = int(n / 7) + (m < n % 7 ? 1 : 0)
        printf "1.%d,1,%d,%d\n", 20 + m, 20 + m, c
    }
}' > "$t/want.csv"
tr -d '\r' < "$t/minor.csv" | cut -d, -f1-4 > "$t/got.csv"
cmp -s "$t/want.csv" "$t/got.csv" || { diff "$t/want.csv" "$t/got.csv" >&2; fail "minor counts"; }
# Shares in millionths add up to exactly one (largest remainder).
awk -F, 'NR > 1 { s += $5 * 1000000 } END { exit !(int(s + 0.5) == 1000000) }' \
    "$t/minor.csv" || fail "minor shares do not add up to 1.000000"
"$kcensus" report -d "$t/big.db" --scan 3 --format csv --by vendor > "$t/vendor.csv"
grep -q "^gke,100001," "$t/vendor.csv" && grep -q "^eks,100000," "$t/vendor.csv" &&
    grep -q "^upstream,100000," "$t/vendor.csv" || fail "vendor counts: $(cat "$t/vendor.csv")"
# --unit ip reads the scan whole, through another query: same totals here
# (one endpoint per address).
"$kcensus" report -d "$t/big.db" --scan 3 --unit ip --format csv --by minor |
    sed 1d | cut -d, -f1,2 > "$t/ip.csv"
sed 1d "$t/minor.csv" | cut -d, -f1,2 | cmp -s - "$t/ip.csv" || fail "unit ip differs"
echo "ok: parallel read"
