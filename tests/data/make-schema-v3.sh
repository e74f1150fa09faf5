#!/bin/sh
# Rebuilds tests/data/schema-v3.db: a database exactly as kcensus schema v3
# wrote it (schema-v3.sql, frozen: one wide `results` table with text
# vocabulary, integer-millisecond timestamps, probe codes), for the upgrade
# test. Its rows use every kind of value v4 stores differently: IPv4, IPv6
# and an imported bucket (no address); text columns v4 interns (detail,
# cipher, alpn, evidence, vendor_suffix, classifier_version, as_org,
# geo_source); /version fields shared by two rows; a timeout phase; probe
# flags and an unanswered probe. The fixture also keeps what v3's views
# showed (expect_results, expect_probes, expect_kubernetes,
# expect_version_counts), so the test can compare every column after the
# upgrade. Usage: make-schema-v3.sh [OUT.db]
set -eu
here=$(dirname "$0")
out=${1:-$here/schema-v3.db}
rm -f "$out"
{
  cat "$here/schema-v3.sql"
  cat <<'SQL'
INSERT INTO scans (id, uid, label, status, started_at, finished_at, specs,
  ports, seed, shard_index, shard_count, store, kcensus_version,
  targets_total, dispatched, completed, stored, kubernetes, count_ok,
  count_refused, count_timeout, next_dispatch, low_uncommitted)
VALUES (1, '33112233445566778899aabbccddeeff', 'v3 fixture', 'done',
  '2026-03-05T10:00:00.000Z', '2026-03-05T10:05:00.000Z',
  '127.0.0.0/29,::1', '443,6443', 7, 0, 1, 'responsive', '0.2.0',
  17, 17, 17, 5, 3, 4, 12, 1, 17, 17);
INSERT INTO scans (id, uid, label, status, started_at, finished_at, specs,
  probes, stored, kubernetes)
VALUES (2, '44112233445566778899aabbccddeeff', 'import', 'done',
  '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'import:censys',
  'import', 1, 1);
INSERT INTO certificates (id, sha256, subject_cn, issuer_cn, key_type,
  key_bits, not_before, not_after)
VALUES (1, 'bb00000000000000000000000000000000000000000000000000000000000000',
  CAST('kube-apiserver' AS BLOB), CAST('kubernetes' AS BLOB), 'ecdsa', 256,
  '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
INSERT INTO results (id, scan_id, target_index, ip, ip_int, ip6, port, sni,
  outcome, phase, detail, started_at, finished_at, connect_us, tls_us,
  rtt_us, attempts, tls_version, cipher, alpn, cert_id, probe_set,
  is_kubernetes, evidence, posture, git_version, major, minor, patch,
  prerelease, vendor, vendor_suffix, v_major, v_minor, git_commit,
  git_tree_state, build_date, go_version, compiler, platform,
  cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count,
  classifier_version, country, asn, as_org, provider, weight, geo_source)
VALUES
 (1, 1, 3, '127.0.0.3', 2130706435, NULL, 6443, '', 'ok', NULL, NULL,
  1772704801123, 1772704801456, 1200, 3400, 900, 1, 'TLSv1.3',
  'TLS_AES_128_GCM_SHA256', 'http/1.1', 1, 'extended', 1,
  'version_json,audit_id', 'open', CAST('v1.29.4-gke.100' AS BLOB), 1, 29,
  4, 0, 'gke', NULL, CAST('1' AS BLOB), CAST('29' AS BLOB),
  CAST('abc123' AS BLOB), CAST('clean' AS BLOB),
  CAST('2024-05-02T09:11:05Z' AS BLOB), CAST('go1.21.9' AS BLOB),
  CAST('gc' AS BLOB), CAST('linux/amd64' AS BLOB), 1,
  'cc00000000000000000000000000000000000000000000000000000000000000', 2, 7,
  'c3', 'US', 15169, 'GOOGLE', 'gcp', 1, 'fixture-geo'),
 (2, 1, 4, '127.0.0.4', 2130706436, NULL, 443, 'api.example', 'ok', NULL,
  NULL, 1772704802000, 1772704802020, 1000, 3000, 800, 1, 'TLSv1.3',
  'TLS_AES_128_GCM_SHA256', NULL, 1, 'extended', 1, 'version_json',
  'limited', CAST('v1.29.4-gke.100' AS BLOB), 1, 29, 4, 0, 'gke', NULL,
  CAST('1' AS BLOB), CAST('29' AS BLOB), CAST('abc123' AS BLOB),
  CAST('clean' AS BLOB), CAST('2024-05-02T09:11:05Z' AS BLOB),
  CAST('go1.21.9' AS BLOB), CAST('gc' AS BLOB), CAST('linux/amd64' AS BLOB),
  0, NULL, NULL, NULL, 'c3', 'US', 15169, 'GOOGLE', 'gcp', 1,
  'fixture-geo'),
 (3, 1, 9, '::1', NULL, X'00000000000000000000000000000001', 6443, '',
  'ok', NULL, NULL, 1772704803000, 1772704803050, 500, 2500, 700, 2,
  'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', NULL, NULL, 'extended', 1,
  'version_json', 'rbac_denied', CAST('v1.27.3-acme.2' AS BLOB), 1, 27, 3,
  1, 'other', 'acme.2', NULL, NULL, CAST('def456' AS BLOB), NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'c3', NULL, NULL, NULL, NULL, 1,
  NULL),
 (4, 1, 5, '127.0.0.5', 2130706437, NULL, 443, '', 'timeout', 'tls',
  'handshake: no answer', 1772704804000, 1772704809000, 300, NULL, NULL, 1,
  NULL, NULL, NULL, NULL, 'extended', NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL),
 (5, 1, 6, '127.0.0.6', 2130706438, NULL, 443, '', 'ok', NULL, NULL,
  1772704805000, NULL, 400, 2000, 600, 1, 'TLSv1.3',
  'TLS_AES_256_GCM_SHA384', NULL, NULL, 'extended', 0, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, 'c3', 'DE', 24940, 'HETZNER-AS',
  'hetzner', 1, 'fixture-geo'),
 (6, 2, 0, '', NULL, NULL, 0, 'v1.28.1', 'ok', NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL, NULL,
  CAST('v1.28.1' AS BLOB), 1, 28, 1, 0, 'upstream', NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'import', NULL,
  NULL, NULL, NULL, 1234, NULL);
INSERT INTO bodies (id, hash, content_type, body)
VALUES
 (1, 201, CAST('application/json' AS BLOB),
  CAST('{"gitVersion":"v1.29.4-gke.100"}' AS BLOB)),
 (2, 202, CAST('text/plain' AS BLOB), CAST('ok' AS BLOB)),
 (3, 203, CAST('text/plain' AS BLOB), CAST('404 page not found' AS BLOB));
INSERT INTO probe_rows (result_id, seq, probe, sent, answered, outcome,
  status, has_audit_id, has_pf_flowschema, has_pf_prioritylevel, body_id,
  body_total, rtt_us)
VALUES
 (1, 0, 0, 1, 1, NULL, 200, 1, 1, 1, 1, 32, 900),
 (1, 1, 1, 1, 1, NULL, 200, 1, 0, 1, 2, 2, 910),
 (1, 2, 6, 1, 0, 'timeout', NULL, 0, 0, 0, NULL, 0, 0),
 (2, 0, 0, 1, 1, NULL, 200, 1, 0, 0, 1, 32, 800),
 (2, 1, 4, 1, 1, NULL, 403, 0, 1, 0, NULL, 0, 820),
 (2, 2, 5, 0, 0, NULL, NULL, 0, 0, 0, NULL, 0, 0),
 (3, 0, 0, 1, 1, NULL, 403, 0, 0, 0, NULL, 0, 700),
 (5, 0, 0, 1, 1, NULL, 404, 0, 0, 0, 3, 18, 600);
CREATE TABLE expect_results AS SELECT * FROM results;
CREATE TABLE expect_probes AS SELECT * FROM probes;
CREATE TABLE expect_kubernetes AS SELECT * FROM kubernetes;
CREATE TABLE expect_version_counts AS SELECT * FROM version_counts;
CREATE TABLE expect_probe_status AS SELECT * FROM probe_status;
CREATE TABLE expect_latest AS SELECT * FROM latest_results;
PRAGMA user_version = 3;
PRAGMA application_id = 1801676142;
SQL
} | sqlite3 "$out"
echo "wrote $out"
