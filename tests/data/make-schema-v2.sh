#!/bin/sh
# Rebuilds tests/data/schema-v2.db: a database exactly as kcensus schema v2
# wrote it (schema-v2.sql, frozen: ISO text timestamps in results, probe
# names as text in probe_rows), with one scan, three results and their
# probes, for the upgrade test. Usage: make-schema-v2.sh [OUT.db]
set -eu
here=$(dirname "$0")
out=${1:-$here/schema-v2.db}
rm -f "$out"
{
  cat "$here/schema-v2.sql"
  cat <<'SQL'
INSERT INTO scans (id, uid, label, status, started_at, finished_at, specs,
  ports, seed, shard_index, shard_count, store, kcensus_version,
  targets_total, dispatched, completed, stored, kubernetes, count_ok,
  count_refused, next_dispatch, low_uncommitted)
VALUES (1, '00112233445566778899aabbccddeeff', 'v2 fixture', 'done',
  '2026-01-05T10:00:00.000Z', '2026-01-05T10:05:00.000Z',
  '127.0.0.0/29', '443,6443', 42, 0, 1, 'responsive', '0.1.0',
  16, 16, 16, 3, 2, 3, 13, 16, 16);
INSERT INTO certificates (id, sha256, subject_cn, issuer_cn, key_type,
  key_bits, not_before, not_after)
VALUES (1, 'aa00000000000000000000000000000000000000000000000000000000000000',
  CAST('kube-apiserver' AS BLOB), CAST('kubernetes' AS BLOB), 'rsa', 2048,
  '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
INSERT INTO results (id, scan_id, target_index, ip, ip_int, port, sni,
  outcome, started_at, finished_at, tls_version, cert_id, probe_set,
  is_kubernetes, evidence, posture, git_version, major, minor, patch,
  prerelease, vendor, classifier_version, country, asn, geo_source)
VALUES
 (1, 1, 3, '127.0.0.3', 2130706435, 6443, '', 'ok',
  '2026-01-05T10:00:01.123Z', '2026-01-05T10:00:01.456Z', 'TLSv1.3',
  1, 'default', 1, 'version_json', 'limited', CAST('v1.28.3' AS BLOB),
  1, 28, 3, 0, 'upstream', 'c1', 'US', 15169, 'fixture-geo'),
 (2, 1, 5, '127.0.0.5', 2130706437, 443, '', 'ok',
  '2026-01-05T10:00:02.000Z', '2026-01-05T10:00:02.020Z', 'TLSv1.3',
  1, 'default', 1, 'version_json', 'open', CAST('v1.28.9+k3s1' AS BLOB),
  1, 28, 9, 0, 'k3s', 'c1', NULL, NULL, NULL),
 (3, 1, 6, '127.0.0.6', 2130706438, 443, '', 'ok',
  '2026-01-05T10:00:03Z', NULL, 'TLSv1.2',
  NULL, 'default', 0, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'c1',
  NULL, NULL, NULL);
INSERT INTO bodies (id, hash, content_type, body)
VALUES
 (1, 101, CAST('application/json' AS BLOB),
  CAST('{"gitVersion":"v1.28.3"}' AS BLOB)),
 (2, 102, CAST('application/json' AS BLOB),
  CAST('{"gitVersion":"v1.28.9+k3s1"}' AS BLOB)),
 (3, 103, CAST('text/plain' AS BLOB), CAST('404 page not found' AS BLOB)),
 (4, 104, CAST('text/plain' AS BLOB), CAST('ok' AS BLOB));
INSERT INTO probe_rows (result_id, seq, probe, sent, answered, outcome,
  status, body_id, body_total, rtt_us)
VALUES
 (1, 0, 'version', 1, 1, NULL, 200, 1, 24, 900),
 (1, 1, 'healthz', 1, 1, NULL, 200, 4, 2, 910),
 (1, 2, 'namespaces', 1, 0, 'timeout', NULL, NULL, 0, 0),
 (2, 0, 'version', 1, 1, NULL, 200, 2, 29, 900),
 (2, 1, 'cluster_info', 1, 1, NULL, 403, NULL, 0, 920),
 (3, 0, 'version', 1, 1, NULL, 404, 3, 18, 900);
PRAGMA user_version = 2;
PRAGMA application_id = 1801676142;
SQL
} | sqlite3 "$out"
echo "wrote $out"
