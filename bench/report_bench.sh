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
-- Schema v4: the narrow table itself (codes and texts ids), not the
-- results view, whose INSTEAD OF trigger would encode row by row.
INSERT INTO texts (value)
WITH RECURSIVE a(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM a WHERE i < 499)
SELECT 'AS-' || i FROM a WHERE NOT EXISTS
  (SELECT 1 FROM texts t WHERE t.value = 'AS-' || i);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
                        WHERE i < $rows - 1)
INSERT INTO result_rows (scan_id, target_index, addr, port, sni, outcome,
    is_kubernetes, posture, git_version, major, minor, patch, vendor,
    country, asn, as_org, weight)
SELECT (SELECT id FROM scans WHERE uid = 'bench'), i,
    167772160 + (i & 16777215),
    CASE i % 3 WHEN 0 THEN 6443 ELSE 443 END, '', 0,
    CASE WHEN i % 5 = 0 THEN 0 ELSE 1 END,
    -- rbac_denied limited open disabled wide_open legacy unknown
    CASE WHEN i % 5 = 0 THEN NULL ELSE
      CAST(substr('3214567', 1 + i % 7, 1) AS INTEGER) END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE CAST(printf('v1.%d.%d%s', 18 + i % 12,
      i % 17, CASE i % 4 WHEN 0 THEN '-gke.' || (i % 10) * 100
                         WHEN 1 THEN '-eks-' || (i % 9)
                         WHEN 2 THEN '+' || (i % 7) ELSE '' END) AS BLOB) END,
    1, 18 + i % 12, i % 17,
    -- gke eks openshift upstream
    CASE i % 4 WHEN 0 THEN 2 WHEN 1 THEN 3 WHEN 2 THEN 4 ELSE 1 END,
    substr('USDEFRCNJPGBNLSGINBRKRCAAUITESSEPLRUZAIE', 1 + (i % 20) * 2, 2),
    64500 + i % 500,
    (SELECT id FROM texts WHERE value = 'AS-' || (i % 500)), 1
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
echo "baseline sqlite3 read: $(median3 sqlite3 "$db" "SELECT count(*), sum(length(CAST(git_version AS TEXT)) + major + minor + vendor + posture + port + length(country) + asn + as_org + weight) FROM result_rows WHERE +scan_id = $scan AND is_kubernetes = 1") s"
echo "report (csv, all aggregations): $(median3 "$kcensus" report -d "$db" --scan "$scan" --format csv --by minor) s"
echo "report -o DIR (CSVs + charts): $(median3 "$kcensus" report -d "$db" --scan "$scan" -o "$out/o") s"
/usr/bin/time -f "one more report: %e s wall, %U s user + %S s sys CPU, %M KB max RSS" \
    "$kcensus" report -d "$db" --scan "$scan" --format csv --by minor > /dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
