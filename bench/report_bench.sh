#!/bin/sh
# report_bench.sh KCENSUS [ROWS] [DB] - `kcensus report` over a scan of ROWS
# result rows (default 10,000,000; 80% Kubernetes, ~2,000 gitVersions,
# 7 postures, 20 countries, 500 ASNs). Prints the median of 3 runs of:
#   baseline: sqlite3 reading the same columns (the floor for any report)
#   report:   kcensus report --format csv --by minor (all aggregations built)
#   all:      kcensus report -o DIR (every CSV and chart, SVG and PNG)
# The database is built once (kcensus import for the schema, then SQL).
set -eu
kcensus=$1
rows=${2:-10000000}
db=${3:-/tmp/kcensus-report-bench.db}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ ! -s "$db" ]; then
    printf 'git_version,count\nv1.28.1,1\n' > "$out/b.csv"
    "$kcensus" import -q -d "$db" --buckets "$out/b.csv" --date 2024-01-01
    start=$(date +%s)
    sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
INSERT INTO scans (uid, label, status, started_at, finished_at)
VALUES ('bench', 'bench', 'done', '2024-02-05T00:00:00Z',
        '2024-02-05T01:00:00Z');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
                        WHERE i < $rows - 1)
INSERT INTO results (scan_id, target_index, ip, port, sni, outcome,
    is_kubernetes, posture, git_version, major, minor, patch, vendor,
    country, asn, as_org, weight)
SELECT (SELECT id FROM scans WHERE uid = 'bench'), i,
    '10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255),
    CASE i % 3 WHEN 0 THEN 6443 ELSE 443 END, '', 'ok',
    CASE WHEN i % 5 = 0 THEN 0 ELSE 1 END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE
      rtrim(substr('rbac_denied limited     open        disabled    wide_open   legacy      unknown     ',
             1 + (i % 7) * 12, 12)) END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE CAST(printf('v1.%d.%d%s', 18 + i % 12,
      i % 17, CASE i % 4 WHEN 0 THEN '-gke.' || (i % 10) * 100
                         WHEN 1 THEN '-eks-' || (i % 9)
                         WHEN 2 THEN '+' || (i % 7) ELSE '' END) AS BLOB) END,
    1, 18 + i % 12, i % 17,
    CASE i % 4 WHEN 0 THEN 'gke' WHEN 1 THEN 'eks' WHEN 2 THEN 'openshift'
               ELSE 'upstream' END,
    substr('USDEFRCNJPGBNLSGINBRKRCAAUITESSEPLRUZAIE', 1 + (i % 20) * 2, 2),
    64500 + i % 500, 'AS-' || (i % 500), 1
FROM n;
UPDATE scans SET stored = $rows, kubernetes = $rows - ($rows + 4) / 5
WHERE uid = 'bench';
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    echo "built $rows rows in $(( $(date +%s) - start )) s" >&2
fi

median3() { # command... ; prints the median wall time of 3 runs, seconds
    # (wall clock: the report reads in two threads)
    for r in 1 2 3; do
        s=$(date +%s.%N)
        "$@" > /dev/null
        e=$(date +%s.%N)
        awk "BEGIN { printf \"%.2f\\n\", $e - $s }"
    done | sort -n | sed -n 2p
}
scan=$(sqlite3 "$db" "SELECT id FROM scans WHERE uid = 'bench'")
echo "rows: $rows (scan $scan)"
# The floor: sqlite3 reading the same columns of the same rows, one thread.
echo "baseline sqlite3 read: $(median3 sqlite3 "$db" "SELECT count(*), sum(length(CAST(git_version AS TEXT)) + major + minor + length(vendor) + length(posture) + port + length(country) + asn + length(as_org) + weight) FROM results WHERE +scan_id = $scan AND is_kubernetes = 1") s"
echo "report (csv, all aggregations): $(median3 "$kcensus" report -d "$db" --scan "$scan" --format csv --by minor) s"
echo "report -o DIR (CSVs + charts): $(median3 "$kcensus" report -d "$db" --scan "$scan" -o "$out/o") s"
/usr/bin/time -f "one more report: %e s wall, %U s user + %S s sys CPU, %M KB max RSS" \
    "$kcensus" report -d "$db" --scan "$scan" --format csv --by minor > /dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
