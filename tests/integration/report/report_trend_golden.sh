#!/bin/sh
# The trend CSV over an imported census and two scans, against shares
# worked out by hand below. make_fleet_db's scans have 8 Kubernetes
# endpoints each, 7 of them with a version (10.0.0.5 shows none); the
# import has 10 hosts, all with a version (v0.21 included), no posture.
# Shares are millionths by largest remainder: n/7 leaves remainder n, so
# of 1/7 = 0.142857 (rem 1) and 2/7 = 0.285714 (rem 2) the 2/7 row takes
# the millionth left over; of 3/7, 3/7, 1/7 (rems 3, 3, 1) the first 3/7.
# Usage: report_trend_golden.sh KCENSUS MAKE_FLEET_DB
set -eu
kcensus=$1
make_db=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$make_db" "$t/c.db"
printf 'git_version,count\nv1.26.5,6\nv1.27.2,3\nv0.21.0,1\n' > "$t/b.csv"
"$kcensus" import -q -d "$t/c.db" --date 2023-12-01 --label census \
    --buckets "$t/b.csv"
"$kcensus" report -d "$t/c.db" --trend --format csv | tr -d '\r' > "$t/got.csv"

# Import, 2023-12-01: minors 6/10, 3/10, 1/10 of the 10 versioned hosts;
# 1.26 and 1.27 supported (EOL 2024-02-28, 2024-06-28): 9 of the 9 on
# 1.x; v0.21 is outside the EOL share (no 1.x version).
# Scan 1, 2024-02-05: 1.9 1.10 1.25 past, 1.26 (2) 1.27 supported, 1.38
# newer than the table; postures of all 8: rbac_denied 3/8, open 2/8,
# disabled, legacy, limited 1/8; versioned 7/8, no version 1/8.
# Scan 2, 2024-06-01: 1.9 1.25 1.26 past, 1.27 (2) 1.28 supported, 1.38
# newer; rbac_denied 4/8, open 2/8, disabled 1/8, legacy 1/8.
cat > "$t/want.csv" <<'CSV'
date,scan_id,label,series,key,hosts,share
2023-12-01,3,census,minor,0.21,1,0.100000
2023-12-01,3,census,minor,1.26,6,0.600000
2023-12-01,3,census,minor,1.27,3,0.300000
2023-12-01,3,census,upstream_eol,supported,9,1.000000
2023-12-01,3,census,upstream_eol,no_version,1,
2023-12-01,3,census,posture,not_recorded,10,1.000000
2023-12-01,3,census,version_shown,versioned,10,1.000000
2023-12-01,3,census,version_shown,no_version,0,0.000000
2024-02-05,1,fleet-1,minor,1.9,1,0.142857
2024-02-05,1,fleet-1,minor,1.10,1,0.142857
2024-02-05,1,fleet-1,minor,1.25,1,0.142857
2024-02-05,1,fleet-1,minor,1.26,2,0.285715
2024-02-05,1,fleet-1,minor,1.27,1,0.142857
2024-02-05,1,fleet-1,minor,1.38,1,0.142857
2024-02-05,1,fleet-1,minor,no_version,1,
2024-02-05,1,fleet-1,upstream_eol,past_eol,3,0.428572
2024-02-05,1,fleet-1,upstream_eol,supported,3,0.428571
2024-02-05,1,fleet-1,upstream_eol,newer_than_table,1,0.142857
2024-02-05,1,fleet-1,upstream_eol,no_version,1,
2024-02-05,1,fleet-1,posture,rbac_denied,3,0.375000
2024-02-05,1,fleet-1,posture,open,2,0.250000
2024-02-05,1,fleet-1,posture,disabled,1,0.125000
2024-02-05,1,fleet-1,posture,legacy,1,0.125000
2024-02-05,1,fleet-1,posture,limited,1,0.125000
2024-02-05,1,fleet-1,version_shown,versioned,7,0.875000
2024-02-05,1,fleet-1,version_shown,no_version,1,0.125000
2024-06-01,2,fleet-2,minor,1.9,1,0.142857
2024-06-01,2,fleet-2,minor,1.25,1,0.142857
2024-06-01,2,fleet-2,minor,1.26,1,0.142857
2024-06-01,2,fleet-2,minor,1.27,2,0.285715
2024-06-01,2,fleet-2,minor,1.28,1,0.142857
2024-06-01,2,fleet-2,minor,1.38,1,0.142857
2024-06-01,2,fleet-2,minor,no_version,1,
2024-06-01,2,fleet-2,upstream_eol,past_eol,3,0.428572
2024-06-01,2,fleet-2,upstream_eol,supported,3,0.428571
2024-06-01,2,fleet-2,upstream_eol,newer_than_table,1,0.142857
2024-06-01,2,fleet-2,upstream_eol,no_version,1,
2024-06-01,2,fleet-2,posture,rbac_denied,4,0.500000
2024-06-01,2,fleet-2,posture,open,2,0.250000
2024-06-01,2,fleet-2,posture,disabled,1,0.125000
2024-06-01,2,fleet-2,posture,legacy,1,0.125000
2024-06-01,2,fleet-2,version_shown,versioned,7,0.875000
2024-06-01,2,fleet-2,version_shown,no_version,1,0.125000
CSV
cmp -s "$t/want.csv" "$t/got.csv" ||
    { diff -u "$t/want.csv" "$t/got.csv" >&2 || true; fail "trend CSV"; }
# Every share series of every scan adds up to exactly 1.
awk -F, 'NR > 1 && $7 != "" { s[$2 "," $4] += $7 * 1000000 }
    END { for (k in s) if (int(s[k] + 0.5) != 1000000) { print k, s[k]; bad = 1 }
          exit bad }' "$t/got.csv" || fail "a series does not add up to 1"
echo "ok: trend CSV golden"
