/*
 * schema.c - the schema, as an ordered list of migrations. Migration i
 * takes a database from user_version i to i + 1; a new database runs them
 * all. Released migrations are never edited: a change is a new entry (the
 * fixture tests/data/schema-v1.db proves an old file still upgrades).
 */
#include "storage-private.h"

/* v1: the first released schema. */
static const char v1_sql[] =
    "CREATE TABLE scans ("
    " id INTEGER PRIMARY KEY,"
    " uid TEXT NOT NULL UNIQUE,"
    " label TEXT,"
    " status TEXT NOT NULL DEFAULT 'running'"
    "  CHECK (status IN ('running','done','interrupted')),"
    " started_at TEXT NOT NULL,"
    " finished_at TEXT,"
    " specs TEXT, ports TEXT, seed INTEGER,"
    " shard_index INTEGER, shard_count INTEGER,"
    " rate INTEGER, concurrency INTEGER, threads INTEGER,"
    " timeout_ms INTEGER, retries INTEGER, probes TEXT,"
    " user_agent TEXT, blocklist_sha256 TEXT, lifts TEXT,"
    " source_addr TEXT, hostname TEXT, argv TEXT, store TEXT,"
    " kcensus_version TEXT, classifier_version TEXT,"
    " targets_total INTEGER NOT NULL DEFAULT 0,"
    " dispatched INTEGER NOT NULL DEFAULT 0,"
    " completed INTEGER NOT NULL DEFAULT 0,"
    " stored INTEGER NOT NULL DEFAULT 0,"
    " kubernetes INTEGER NOT NULL DEFAULT 0,"
    " count_ok INTEGER NOT NULL DEFAULT 0,"
    " count_refused INTEGER NOT NULL DEFAULT 0,"
    " count_timeout INTEGER NOT NULL DEFAULT 0,"
    " count_tls_error INTEGER NOT NULL DEFAULT 0,"
    " count_protocol_error INTEGER NOT NULL DEFAULT 0,"
    " count_too_large INTEGER NOT NULL DEFAULT 0,"
    " count_closed INTEGER NOT NULL DEFAULT 0,"
    " count_blocked INTEGER NOT NULL DEFAULT 0,"
    " count_dns_error INTEGER NOT NULL DEFAULT 0,"
    " count_unreachable INTEGER NOT NULL DEFAULT 0,"
    " next_dispatch INTEGER NOT NULL DEFAULT 0,"
    " low_uncommitted INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE certificates ("
    " id INTEGER PRIMARY KEY,"
    " sha256 TEXT NOT NULL UNIQUE,"
    " subject BLOB, subject_cn BLOB, issuer BLOB, issuer_cn BLOB,"
    " sans BLOB, san_count INTEGER,"
    " key_type TEXT, key_bits INTEGER, key_curve TEXT, sig_alg TEXT,"
    " not_before TEXT, not_after TEXT, chain_len INTEGER,"
    " der BLOB"
    ");"
    "CREATE TABLE results ("
    " id INTEGER PRIMARY KEY,"
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " target_index INTEGER NOT NULL,"
    " ip TEXT NOT NULL, ip_int INTEGER, ip6 BLOB,"
    " port INTEGER NOT NULL,"
    " sni TEXT NOT NULL DEFAULT '',"
    " outcome TEXT NOT NULL, phase TEXT, detail TEXT,"
    " started_at TEXT, finished_at TEXT,"
    " connect_us INTEGER, tls_us INTEGER, rtt_us INTEGER, attempts INTEGER,"
    " tls_version TEXT, cipher TEXT, alpn TEXT,"
    " cert_id INTEGER REFERENCES certificates(id),"
    " probe_set TEXT,"
    " is_kubernetes INTEGER, evidence TEXT, posture TEXT,"
    " git_version BLOB,"
    " major INTEGER, minor INTEGER, patch INTEGER, prerelease INTEGER,"
    " vendor TEXT, vendor_suffix TEXT,"
    " v_major BLOB, v_minor BLOB, git_commit BLOB, git_tree_state BLOB,"
    " build_date BLOB, go_version BLOB, compiler BLOB, platform BLOB,"
    " cluster_info_readable INTEGER, cluster_ca_sha256 TEXT,"
    " jws_keys INTEGER, namespaces_count INTEGER,"
    " classifier_version TEXT,"
    " country TEXT, asn INTEGER, as_org TEXT, provider TEXT,"
    " weight INTEGER NOT NULL DEFAULT 1,"
    " UNIQUE (scan_id, ip, port, sni)"
    ");"
    "CREATE INDEX results_ip_int ON results(ip_int) WHERE ip_int IS NOT NULL;"
    "CREATE INDEX results_k8s_version ON results(scan_id, minor)"
    " WHERE is_kubernetes = 1;"
    /* Probe bodies and content types are deduplicated like certificates:
     * census answers repeat ("ok", the same 403 Status, one /version body
     * per build), so a probe row carries a small id, not the bytes. */
    "CREATE TABLE bodies ("
    " id INTEGER PRIMARY KEY,"
    " hash INTEGER NOT NULL,"
    " content_type BLOB, body BLOB"
    ");"
    "CREATE INDEX bodies_hash ON bodies(hash);"
    "CREATE TABLE probe_rows ("
    " result_id INTEGER NOT NULL REFERENCES results(id),"
    " seq INTEGER NOT NULL,"
    " probe TEXT NOT NULL,"
    " sent INTEGER NOT NULL, answered INTEGER NOT NULL,"
    " outcome TEXT,"
    " status INTEGER,"
    " has_audit_id INTEGER NOT NULL DEFAULT 0,"
    " has_pf_flowschema INTEGER NOT NULL DEFAULT 0,"
    " has_pf_prioritylevel INTEGER NOT NULL DEFAULT 0,"
    " body_id INTEGER REFERENCES bodies(id),"
    " body_total INTEGER, rtt_us INTEGER,"
    " PRIMARY KEY (result_id, seq)"
    ") WITHOUT ROWID;"
    "CREATE VIEW probes AS"
    " SELECT p.result_id, p.seq, p.probe, p.sent, p.answered, p.outcome,"
    "  p.status, p.has_audit_id, p.has_pf_flowschema,"
    "  p.has_pf_prioritylevel, b.content_type, b.body, p.body_total,"
    "  p.rtt_us"
    " FROM probe_rows p LEFT JOIN bodies b ON b.id = p.body_id;"
    "CREATE VIEW latest_results AS"
    " SELECT * FROM (SELECT r.*, row_number() OVER"
    "  (PARTITION BY r.ip, r.port, r.sni ORDER BY r.scan_id DESC) AS rn_"
    "  FROM results r) WHERE rn_ = 1;"
    "CREATE VIEW kubernetes AS"
    " SELECT r.scan_id, s.label AS scan_label, r.ip, r.port, r.sni,"
    "  r.posture, CAST(r.git_version AS TEXT) AS git_version,"
    "  r.major, r.minor, r.patch, r.vendor, r.evidence,"
    "  CAST(r.platform AS TEXT) AS platform,"
    "  CAST(r.go_version AS TEXT) AS go_version,"
    "  r.cluster_info_readable, r.jws_keys, r.namespaces_count,"
    "  r.country, r.asn, r.as_org, r.provider,"
    "  c.subject_cn AS cert_cn, c.issuer_cn AS cert_issuer_cn,"
    "  r.started_at, r.weight"
    " FROM results r JOIN scans s ON s.id = r.scan_id"
    " LEFT JOIN certificates c ON c.id = r.cert_id"
    " WHERE r.is_kubernetes = 1;"
    "CREATE VIEW version_counts AS"
    " SELECT scan_id, major, minor, sum(weight) AS n FROM results"
    " WHERE is_kubernetes = 1 GROUP BY scan_id, major, minor;";

/* v2: geo provenance for `enrich`, merge bookkeeping, per-probe status view. */
static const char v2_sql[] =
    "ALTER TABLE results ADD COLUMN geo_source TEXT;"
    /* One row per source scan merged into a scan (kcensus merge): the
     * merged scan's counters are the sums over these, so merging again
     * (or after a shard was resumed and finished) stays exact. */
    "CREATE TABLE merge_sources ("
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " source_uid TEXT NOT NULL,"
    " shard_index INTEGER,"
    " status TEXT NOT NULL, started_at TEXT, finished_at TEXT,"
    " targets_total INTEGER NOT NULL DEFAULT 0,"
    " dispatched INTEGER NOT NULL DEFAULT 0,"
    " completed INTEGER NOT NULL DEFAULT 0,"
    " stored INTEGER NOT NULL DEFAULT 0,"
    " kubernetes INTEGER NOT NULL DEFAULT 0,"
    " count_ok INTEGER NOT NULL DEFAULT 0,"
    " count_refused INTEGER NOT NULL DEFAULT 0,"
    " count_timeout INTEGER NOT NULL DEFAULT 0,"
    " count_tls_error INTEGER NOT NULL DEFAULT 0,"
    " count_protocol_error INTEGER NOT NULL DEFAULT 0,"
    " count_too_large INTEGER NOT NULL DEFAULT 0,"
    " count_closed INTEGER NOT NULL DEFAULT 0,"
    " count_blocked INTEGER NOT NULL DEFAULT 0,"
    " count_dns_error INTEGER NOT NULL DEFAULT 0,"
    " count_unreachable INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (scan_id, source_uid),"
    " UNIQUE (scan_id, shard_index)"
    ");"
    "CREATE VIEW probe_status AS"
    " SELECT result_id,"
    "  max(CASE probe WHEN 'version' THEN status END) AS version,"
    "  max(CASE probe WHEN 'healthz' THEN status END) AS healthz,"
    "  max(CASE probe WHEN 'livez' THEN status END) AS livez,"
    "  max(CASE probe WHEN 'readyz' THEN status END) AS readyz,"
    "  max(CASE probe WHEN 'cluster_info' THEN status END) AS cluster_info,"
    "  max(CASE probe WHEN 'api' THEN status END) AS api,"
    "  max(CASE probe WHEN 'namespaces' THEN status END) AS namespaces"
    " FROM probes GROUP BY result_id;";

/* v3: smaller, faster rows. results.started_at/finished_at become integer
 * milliseconds since the Unix epoch (UTC): 6 bytes instead of 24 of text,
 * and no formatting per row; probe_rows.probe becomes the small integer
 * code of enum kc_probe_id (the probes view still shows the name). SQLite
 * cannot change a column's type in place, so both tables are rebuilt (the
 * documented create-copy-drop-rename procedure; kc_store_open runs
 * migrations with foreign keys off, as that procedure requires). */
#define PROBE_CODE_TO_NAME(x)                                              \
    "CASE " x " WHEN 0 THEN 'version' WHEN 1 THEN 'healthz'"             \
    " WHEN 2 THEN 'livez' WHEN 3 THEN 'readyz' WHEN 4 THEN 'cluster_info'" \
    " WHEN 5 THEN 'api' WHEN 6 THEN 'namespaces' END"
#define TEXT_TIME_TO_MS(x)                                                 \
    "unixepoch(" x ") * 1000 + CASE WHEN substr(" x ", 20, 1) = '.'"      \
    " THEN CAST(substr(" x ", 21, 3) AS INTEGER) ELSE 0 END"
static const char v3_sql[] =
    "DROP VIEW latest_results; DROP VIEW kubernetes; DROP VIEW version_counts;"
    "DROP VIEW probe_status; DROP VIEW probes;"
    "CREATE TABLE results_v3 ("
    " id INTEGER PRIMARY KEY,"
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " target_index INTEGER NOT NULL,"
    " ip TEXT NOT NULL, ip_int INTEGER, ip6 BLOB,"
    " port INTEGER NOT NULL,"
    " sni TEXT NOT NULL DEFAULT '',"
    " outcome TEXT NOT NULL, phase TEXT, detail TEXT,"
    " started_at INTEGER, finished_at INTEGER,"
    " connect_us INTEGER, tls_us INTEGER, rtt_us INTEGER, attempts INTEGER,"
    " tls_version TEXT, cipher TEXT, alpn TEXT,"
    " cert_id INTEGER REFERENCES certificates(id),"
    " probe_set TEXT,"
    " is_kubernetes INTEGER, evidence TEXT, posture TEXT,"
    " git_version BLOB,"
    " major INTEGER, minor INTEGER, patch INTEGER, prerelease INTEGER,"
    " vendor TEXT, vendor_suffix TEXT,"
    " v_major BLOB, v_minor BLOB, git_commit BLOB, git_tree_state BLOB,"
    " build_date BLOB, go_version BLOB, compiler BLOB, platform BLOB,"
    " cluster_info_readable INTEGER, cluster_ca_sha256 TEXT,"
    " jws_keys INTEGER, namespaces_count INTEGER,"
    " classifier_version TEXT,"
    " country TEXT, asn INTEGER, as_org TEXT, provider TEXT,"
    " weight INTEGER NOT NULL DEFAULT 1,"
    " geo_source TEXT,"
    " UNIQUE (scan_id, ip, port, sni)"
    ");"
    "INSERT INTO results_v3 (id, scan_id, target_index, ip, ip_int, ip6,"
    " port, sni, outcome, phase, detail, started_at, finished_at,"
    " connect_us, tls_us, rtt_us, attempts, tls_version, cipher, alpn,"
    " cert_id, probe_set, is_kubernetes, evidence, posture, git_version,"
    " major, minor, patch, prerelease, vendor, vendor_suffix, v_major,"
    " v_minor, git_commit, git_tree_state, build_date, go_version, compiler,"
    " platform, cluster_info_readable, cluster_ca_sha256, jws_keys,"
    " namespaces_count, classifier_version, country, asn, as_org, provider,"
    " weight, geo_source)"
    " SELECT id, scan_id, target_index, ip, ip_int, ip6, port, sni,"
    " outcome, phase, detail, " TEXT_TIME_TO_MS("started_at") ","
    " " TEXT_TIME_TO_MS("finished_at") ","
    " connect_us, tls_us, rtt_us, attempts, tls_version, cipher, alpn,"
    " cert_id, probe_set, is_kubernetes, evidence, posture, git_version,"
    " major, minor, patch, prerelease, vendor, vendor_suffix, v_major,"
    " v_minor, git_commit, git_tree_state, build_date, go_version, compiler,"
    " platform, cluster_info_readable, cluster_ca_sha256, jws_keys,"
    " namespaces_count, classifier_version, country, asn, as_org, provider,"
    " weight, geo_source FROM results ORDER BY id;"
    "DROP TABLE results;"
    "ALTER TABLE results_v3 RENAME TO results;"
    "CREATE INDEX results_ip_int ON results(ip_int) WHERE ip_int IS NOT NULL;"
    "CREATE INDEX results_k8s_version ON results(scan_id, minor)"
    " WHERE is_kubernetes = 1;"
    "CREATE TABLE probe_rows_v3 ("
    " result_id INTEGER NOT NULL REFERENCES results(id),"
    " seq INTEGER NOT NULL,"
    " probe INTEGER NOT NULL," /* enum kc_probe_id */
    " sent INTEGER NOT NULL, answered INTEGER NOT NULL,"
    " outcome TEXT,"
    " status INTEGER,"
    " has_audit_id INTEGER NOT NULL DEFAULT 0,"
    " has_pf_flowschema INTEGER NOT NULL DEFAULT 0,"
    " has_pf_prioritylevel INTEGER NOT NULL DEFAULT 0,"
    " body_id INTEGER REFERENCES bodies(id),"
    " body_total INTEGER, rtt_us INTEGER,"
    " PRIMARY KEY (result_id, seq)"
    ") WITHOUT ROWID;"
    "INSERT INTO probe_rows_v3 SELECT result_id, seq,"
    " CASE probe WHEN 'version' THEN 0 WHEN 'healthz' THEN 1"
    " WHEN 'livez' THEN 2 WHEN 'readyz' THEN 3 WHEN 'cluster_info' THEN 4"
    " WHEN 'api' THEN 5 WHEN 'namespaces' THEN 6 END,"
    " sent, answered, outcome, status, has_audit_id, has_pf_flowschema,"
    " has_pf_prioritylevel, body_id, body_total, rtt_us FROM probe_rows;"
    "DROP TABLE probe_rows;"
    "ALTER TABLE probe_rows_v3 RENAME TO probe_rows;"
    "CREATE VIEW probes AS"
    " SELECT p.result_id, p.seq, " PROBE_CODE_TO_NAME("p.probe") " AS probe,"
    "  p.sent, p.answered, p.outcome,"
    "  p.status, p.has_audit_id, p.has_pf_flowschema,"
    "  p.has_pf_prioritylevel, b.content_type, b.body, p.body_total,"
    "  p.rtt_us"
    " FROM probe_rows p LEFT JOIN bodies b ON b.id = p.body_id;"
    "CREATE VIEW latest_results AS"
    " SELECT * FROM (SELECT r.*, row_number() OVER"
    "  (PARTITION BY r.ip, r.port, r.sni ORDER BY r.scan_id DESC) AS rn_"
    "  FROM results r) WHERE rn_ = 1;"
    /* Readable columns: timestamps as ISO-8601 text again. */
    "CREATE VIEW kubernetes AS"
    " SELECT r.scan_id, s.label AS scan_label, r.ip, r.port, r.sni,"
    "  r.posture, CAST(r.git_version AS TEXT) AS git_version,"
    "  r.major, r.minor, r.patch, r.vendor, r.evidence,"
    "  CAST(r.platform AS TEXT) AS platform,"
    "  CAST(r.go_version AS TEXT) AS go_version,"
    "  r.cluster_info_readable, r.jws_keys, r.namespaces_count,"
    "  r.country, r.asn, r.as_org, r.provider,"
    "  c.subject_cn AS cert_cn, c.issuer_cn AS cert_issuer_cn,"
    "  strftime('%Y-%m-%dT%H:%M:%fZ', r.started_at / 1000.0, 'unixepoch')"
    "   AS started_at, r.weight"
    " FROM results r JOIN scans s ON s.id = r.scan_id"
    " LEFT JOIN certificates c ON c.id = r.cert_id"
    " WHERE r.is_kubernetes = 1;"
    "CREATE VIEW version_counts AS"
    " SELECT scan_id, major, minor, sum(weight) AS n FROM results"
    " WHERE is_kubernetes = 1 GROUP BY scan_id, major, minor;"
    "CREATE VIEW probe_status AS"
    " SELECT result_id,"
    "  max(CASE probe WHEN 0 THEN status END) AS version,"
    "  max(CASE probe WHEN 1 THEN status END) AS healthz,"
    "  max(CASE probe WHEN 2 THEN status END) AS livez,"
    "  max(CASE probe WHEN 3 THEN status END) AS readyz,"
    "  max(CASE probe WHEN 4 THEN status END) AS cluster_info,"
    "  max(CASE probe WHEN 5 THEN status END) AS api,"
    "  max(CASE probe WHEN 6 THEN status END) AS namespaces"
    " FROM probe_rows GROUP BY result_id;";

/* v4: narrow rows for census scale (under 150 bytes per web row, 300,000
 * rows/s on one core: docs/BENCHMARKS.md).
 * `results` becomes a view over the narrow table `result_rows`, with the
 * same column names, order and readable values as v3, so every SELECT
 * keeps working; INSTEAD OF triggers accept INSERT and DELETE on it.
 * - address: `addr` is the IPv4 address as an integer, else the text form
 *   (IPv6, '' for imported buckets); the unique key is on integers, the
 *   view renders `ip` and `ip_int` from it. No separate address index:
 *   range queries use the unique key (`scan_id = ? AND addr BETWEEN`, or
 *   `scan_id IN (SELECT id FROM scans)` for every scan);
 * - vocabulary columns (outcome, phase, probe_set, posture, vendor,
 *   provider; probe outcome) are the integer codes of common/common.h's
 *   enums, named by `codes`;
 * - repeated short text (detail, tls_version, cipher, alpn, evidence,
 *   vendor_suffix, classifier_version, as_org, geo_source) is stored once in
 *   `texts` and referenced by id;
 * - the /version fields other than gitVersion are stored once per distinct
 *   document in `versions` (one row per build seen, like bodies);
 * - finished_at is stored as duration_ms after started_at;
 * - probe_rows' five 0/1 flags are one bit field;
 * - the first probe (seq 0) is stored in result_rows' p0_* columns and
 *   probe_rows keeps seq >= 1: the common row (a web server answering one
 *   probe) is one INSERT and one table B-tree entry; the `probes` and
 *   `probe_status` views read both (UNION ALL) and show what v3 showed.
 * Both tables are rebuilt (create, copy, drop, rename), in one transaction. */
#define V4_CODE(kind, col) \
    "(SELECT code FROM codes WHERE kind = '" kind "' AND name = " col ")"
#define V4_NAME(kind, col) \
    "(SELECT name FROM codes WHERE kind = '" kind "' AND code = " col ")"
#define V4_TEXT_ID(col) "(SELECT id FROM texts WHERE value = " col ")"
#define V4_TEXT(col) "(SELECT value FROM texts WHERE id = " col ")"
#define V4_IP_TEXT(a)                                                      \
    "CASE WHEN typeof(" a ") = 'integer' THEN ((" a " >> 24) & 255) || '.'" \
    " || ((" a " >> 16) & 255) || '.' || ((" a " >> 8) & 255) || '.' ||"  \
    " (" a " & 255) ELSE " a " END"
#define V4_IP_INT(a) "CASE WHEN typeof(" a ") = 'integer' THEN " a " END"
#define V4_VERSION_MATCH(v, r)                                             \
    v ".git_commit IS " r ".git_commit AND " v ".build_date IS " r         \
    ".build_date AND " v ".v_major IS " r ".v_major AND " v ".v_minor IS " \
    r ".v_minor AND " v ".git_tree_state IS " r ".git_tree_state AND " v   \
    ".go_version IS " r ".go_version AND " v ".compiler IS " r ".compiler" \
    " AND " v ".platform IS " r ".platform"
#define V4_ANY_VERSION(r)                                                  \
    "coalesce(" r ".v_major, " r ".v_minor, " r ".git_commit, " r          \
    ".git_tree_state, " r ".build_date, " r ".go_version, " r ".compiler," \
    " " r ".platform) IS NOT NULL"
#define V4_TEXT_COLS(r, from)                                              \
    "SELECT " r ".detail AS v" from " UNION ALL SELECT " r ".tls_version"  \
    from " UNION ALL SELECT " r ".cipher" from " UNION ALL SELECT " r      \
    ".alpn" from " UNION ALL SELECT " r ".evidence" from " UNION ALL"      \
    " SELECT " r ".vendor_suffix" from " UNION ALL SELECT " r              \
    ".classifier_version" from " UNION ALL SELECT " r ".as_org" from       \
    " UNION ALL SELECT " r ".geo_source" from
/* v3's five 0/1 probe columns of table t as v4's bit field. */
#define V3_FLAGS(t)                                                        \
    "((" t ".sent <> 0) | ((" t ".answered <> 0) << 1)"                    \
    " | ((" t ".has_audit_id <> 0) << 2)"                                  \
    " | ((" t ".has_pf_flowschema <> 0) << 3)"                             \
    " | ((" t ".has_pf_prioritylevel <> 0) << 4))"
/* The probes view's columns after result_id and seq (bodies as b). */
#define V4_PROBE_COLS(probe, flags, outcome, status, total, rtt)           \
    PROBE_CODE_TO_NAME(probe) " AS probe,"                                 \
    " " flags " & 1 AS sent, (" flags " >> 1) & 1 AS answered,"            \
    " " V4_NAME("outcome", outcome) " AS outcome, " status " AS status,"   \
    " (" flags " >> 2) & 1 AS has_audit_id,"                               \
    " (" flags " >> 3) & 1 AS has_pf_flowschema,"                          \
    " (" flags " >> 4) & 1 AS has_pf_prioritylevel,"                       \
    " b.content_type, b.body, " total " AS body_total, " rtt " AS rtt_us"
/* The readable face of result_rows: v3's results, column for column (plus
 * addr; `extra` appends columns of later versions). */
#define RESULTS_VIEW_SQL(extra)                                            \
    "CREATE VIEW results AS SELECT r.id, r.scan_id, r.target_index,"       \
    " " V4_IP_TEXT("r.addr") " AS ip, " V4_IP_INT("r.addr") " AS ip_int,"  \
    " r.ip6, r.port, r.sni, " V4_NAME("outcome", "r.outcome") " AS outcome,"\
    " " V4_NAME("phase", "r.phase") " AS phase,"                           \
    " " V4_TEXT("r.detail") " AS detail, r.started_at,"                    \
    " r.started_at + r.duration_ms AS finished_at, r.connect_us, r.tls_us,"\
    " r.rtt_us, r.attempts, " V4_TEXT("r.tls_version") " AS tls_version,"  \
    " " V4_TEXT("r.cipher") " AS cipher, " V4_TEXT("r.alpn") " AS alpn,"   \
    " r.cert_id, " V4_NAME("probe_set", "r.probe_set") " AS probe_set,"    \
    " r.is_kubernetes, " V4_TEXT("r.evidence") " AS evidence,"             \
    " " V4_NAME("posture", "r.posture") " AS posture, r.git_version,"      \
    " r.major, r.minor, r.patch, r.prerelease,"                            \
    " " V4_NAME("vendor", "r.vendor") " AS vendor,"                        \
    " " V4_TEXT("r.vendor_suffix") " AS vendor_suffix,"                    \
    " v.v_major, v.v_minor, v.git_commit, v.git_tree_state, v.build_date," \
    " v.go_version, v.compiler, v.platform, r.cluster_info_readable,"      \
    " r.cluster_ca_sha256, r.jws_keys, r.namespaces_count,"                \
    " " V4_TEXT("r.classifier_version") " AS classifier_version,"          \
    " r.country, r.asn, " V4_TEXT("r.as_org") " AS as_org,"                \
    " " V4_NAME("provider", "r.provider") " AS provider, r.weight,"        \
    " " V4_TEXT("r.geo_source") " AS geo_source, r.addr"                   \
    extra                                                                  \
    " FROM result_rows r LEFT JOIN versions v ON v.id = r.version_id;"

/* Writes through the view (merge, import, scripts): the texts and
 * version documents first, then the row. NOT EXISTS rather than OR
 * IGNORE, so an outer INSERT OR IGNORE/REPLACE cannot change them. */
#define RESULTS_TRIGGERS_SQL(cols, vals)                                   \
    "CREATE TRIGGER results_insert INSTEAD OF INSERT ON results BEGIN"     \
    " INSERT INTO texts (value) SELECT DISTINCT v FROM (" V4_TEXT_COLS("NEW", "")\
    ") WHERE v IS NOT NULL AND v <> ''"                                    \
    "  AND NOT EXISTS (SELECT 1 FROM texts t WHERE t.value = v);"          \
    " INSERT INTO versions (v_major, v_minor, git_commit, git_tree_state," \
    "  build_date, go_version, compiler, platform)"                        \
    "  SELECT NEW.v_major, NEW.v_minor, NEW.git_commit, NEW.git_tree_state,"\
    "  NEW.build_date, NEW.go_version, NEW.compiler, NEW.platform"         \
    "  WHERE " V4_ANY_VERSION("NEW") " AND NOT EXISTS (SELECT 1 FROM"      \
    "  versions v WHERE " V4_VERSION_MATCH("v", "NEW") ");"                \
    " INSERT INTO result_rows (id, scan_id, addr, port, sni, target_index,"\
    "  ip6, outcome, phase, detail, started_at, duration_ms, connect_us,"  \
    "  tls_us, rtt_us, attempts, tls_version, cipher, alpn, cert_id,"      \
    "  probe_set, is_kubernetes, evidence, posture, git_version, major,"   \
    "  minor, patch, prerelease, vendor, vendor_suffix, version_id,"       \
    "  cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count,"\
    "  classifier_version, country, asn, as_org, provider, geo_source, weight"\
    cols ")"                                                               \
    "  VALUES (NEW.id, NEW.scan_id, coalesce(NEW.ip_int, NEW.ip, ''),"     \
    "  NEW.port, coalesce(NEW.sni, ''), NEW.target_index, NEW.ip6,"        \
    "  " V4_CODE("outcome", "NEW.outcome") ", " V4_CODE("phase", "NEW.phase") ","\
    "  " V4_TEXT_ID("NEW.detail") ", NEW.started_at,"                      \
    "  NEW.finished_at - NEW.started_at, NEW.connect_us, NEW.tls_us,"      \
    "  NEW.rtt_us, NEW.attempts, " V4_TEXT_ID("NEW.tls_version") ","       \
    "  " V4_TEXT_ID("NEW.cipher") ", " V4_TEXT_ID("NEW.alpn") ", NEW.cert_id,"\
    "  " V4_CODE("probe_set", "NEW.probe_set") ", NEW.is_kubernetes,"      \
    "  " V4_TEXT_ID("NEW.evidence") ", " V4_CODE("posture", "NEW.posture") ","\
    "  NEW.git_version, NEW.major, NEW.minor, NEW.patch, NEW.prerelease,"  \
    "  " V4_CODE("vendor", "NEW.vendor") ", " V4_TEXT_ID("NEW.vendor_suffix") ","\
    "  CASE WHEN " V4_ANY_VERSION("NEW") " THEN (SELECT v.id FROM versions v"\
    "   WHERE " V4_VERSION_MATCH("v", "NEW") ") END,"                      \
    "  NEW.cluster_info_readable, NEW.cluster_ca_sha256, NEW.jws_keys,"    \
    "  NEW.namespaces_count, " V4_TEXT_ID("NEW.classifier_version") ","    \
    "  NEW.country, NEW.asn, " V4_TEXT_ID("NEW.as_org") ","                \
    "  " V4_CODE("provider", "NEW.provider") ", " V4_TEXT_ID("NEW.geo_source") ","\
    "  coalesce(NEW.weight, 1)" vals ");"                                  \
    "END;"                                                                 \
    "CREATE TRIGGER results_delete INSTEAD OF DELETE ON results BEGIN"     \
    " DELETE FROM probe_rows WHERE result_id = OLD.id;"                    \
    " DELETE FROM result_rows WHERE id = OLD.id;"                          \
    "END;"

/* probe_status' column for probe code n: the highest status among probe
 * 0 (r.p0_*) and the result's probe_rows (p), NULL when none; a join and
 * GROUP BY r.id rather than a UNION, so `WHERE result_id = ?` and joins on
 * it stay index lookups. */
#define V4_STATUS(n)                                                       \
    "coalesce(max(max(CASE r.p0_probe WHEN " n " THEN r.p0_status END),"   \
    " max(CASE p.probe WHEN " n " THEN p.status END)),"                    \
    " max(CASE r.p0_probe WHEN " n " THEN r.p0_status END),"               \
    " max(CASE p.probe WHEN " n " THEN p.status END))"
static const char v4_sql[] =
    "DROP VIEW latest_results; DROP VIEW kubernetes; DROP VIEW version_counts;"
    "DROP VIEW probe_status; DROP VIEW probes;"
    "CREATE TABLE codes ("
    " kind TEXT NOT NULL, code INTEGER NOT NULL, name TEXT NOT NULL,"
    " PRIMARY KEY (kind, code), UNIQUE (kind, name)"
    ") WITHOUT ROWID;"
    "INSERT INTO codes VALUES"
    " ('outcome', 0, 'ok'), ('outcome', 1, 'refused'), ('outcome', 2, 'timeout'),"
    " ('outcome', 3, 'tls_error'), ('outcome', 4, 'protocol_error'),"
    " ('outcome', 5, 'too_large'), ('outcome', 6, 'closed'),"
    " ('outcome', 7, 'blocked'), ('outcome', 8, 'dns_error'),"
    " ('outcome', 9, 'unreachable'),"
    " ('phase', 1, 'connect'), ('phase', 2, 'tls'), ('phase', 3, 'response'),"
    " ('posture', 1, 'open'), ('posture', 2, 'limited'),"
    " ('posture', 3, 'rbac_denied'), ('posture', 4, 'disabled'),"
    " ('posture', 5, 'wide_open'), ('posture', 6, 'legacy'),"
    " ('posture', 7, 'unknown'),"
    " ('vendor', 1, 'upstream'), ('vendor', 2, 'gke'), ('vendor', 3, 'eks'),"
    " ('vendor', 4, 'openshift'), ('vendor', 5, 'iks'), ('vendor', 6, 'aliyun'),"
    " ('vendor', 7, 'tke'), ('vendor', 8, 'k3s'), ('vendor', 9, 'rke2'),"
    " ('vendor', 10, 'k0s'), ('vendor', 11, 'vmware'), ('vendor', 12, 'microk8s'),"
    " ('vendor', 13, 'hpe'), ('vendor', 14, 'vke'), ('vendor', 15, 'other'),"
    " ('provider', 1, 'aws'), ('provider', 2, 'gcp'), ('provider', 3, 'azure'),"
    " ('provider', 4, 'alibaba'), ('provider', 5, 'tencent'), ('provider', 6, 'ibm'),"
    " ('provider', 7, 'oracle'), ('provider', 8, 'digitalocean'),"
    " ('provider', 9, 'hetzner'), ('provider', 10, 'ovh'), ('provider', 11, 'other'),"
    " ('probe', 0, 'version'), ('probe', 1, 'healthz'), ('probe', 2, 'livez'),"
    " ('probe', 3, 'readyz'), ('probe', 4, 'cluster_info'), ('probe', 5, 'api'),"
    " ('probe', 6, 'namespaces'),"
    " ('probe_set', 0, 'default'), ('probe_set', 1, 'extended'),"
    " ('probe_set', 2, 'version');"
    "CREATE TABLE texts (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);"
    "INSERT INTO texts (value) SELECT DISTINCT v FROM ("
    V4_TEXT_COLS("r", " FROM results r") ") WHERE v IS NOT NULL AND v <> '';"
    "CREATE TABLE versions ("
    " id INTEGER PRIMARY KEY,"
    " v_major BLOB, v_minor BLOB, git_commit BLOB, git_tree_state BLOB,"
    " build_date BLOB, go_version BLOB, compiler BLOB, platform BLOB"
    ");"
    "CREATE INDEX versions_key ON versions (git_commit, build_date);"
    "INSERT INTO versions (v_major, v_minor, git_commit, git_tree_state,"
    " build_date, go_version, compiler, platform)"
    " SELECT DISTINCT v_major, v_minor, git_commit, git_tree_state,"
    " build_date, go_version, compiler, platform FROM results r"
    " WHERE " V4_ANY_VERSION("r") ";"
    "CREATE TABLE result_rows ("
    " id INTEGER PRIMARY KEY,"
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " addr BLOB NOT NULL," /* IPv4: integer; else the text form */
    " port INTEGER NOT NULL,"
    " sni TEXT NOT NULL DEFAULT '',"
    " target_index INTEGER NOT NULL,"
    " ip6 BLOB,"
    " outcome INTEGER NOT NULL, phase INTEGER,"
    " detail INTEGER REFERENCES texts(id),"
    " started_at INTEGER, duration_ms INTEGER,"
    " connect_us INTEGER, tls_us INTEGER, rtt_us INTEGER, attempts INTEGER,"
    " tls_version INTEGER REFERENCES texts(id),"
    " cipher INTEGER REFERENCES texts(id),"
    " alpn INTEGER REFERENCES texts(id),"
    " cert_id INTEGER REFERENCES certificates(id),"
    " probe_set INTEGER,"
    " is_kubernetes INTEGER, evidence INTEGER REFERENCES texts(id),"
    " posture INTEGER,"
    " git_version BLOB,"
    " major INTEGER, minor INTEGER, patch INTEGER, prerelease INTEGER,"
    " vendor INTEGER, vendor_suffix INTEGER REFERENCES texts(id),"
    " version_id INTEGER REFERENCES versions(id),"
    " cluster_info_readable INTEGER, cluster_ca_sha256 TEXT,"
    " jws_keys INTEGER, namespaces_count INTEGER,"
    " classifier_version INTEGER REFERENCES texts(id),"
    " country TEXT, asn INTEGER, as_org INTEGER REFERENCES texts(id),"
    " provider INTEGER, geo_source INTEGER REFERENCES texts(id),"
    " weight INTEGER NOT NULL DEFAULT 1,"
    /* the first probe (seq 0) inline: a web row's one probe costs no
     * second statement nor B-tree insert; NULL p0_flags = no probe 0 */
    " p0_probe INTEGER, p0_flags INTEGER, p0_outcome INTEGER,"
    " p0_status INTEGER, p0_body_id INTEGER REFERENCES bodies(id),"
    " p0_body_total INTEGER, p0_rtt_us INTEGER"
    ");"
    "INSERT INTO result_rows (id, scan_id, addr, port, sni, target_index, ip6,"
    " outcome, phase, detail, started_at, duration_ms, connect_us, tls_us,"
    " rtt_us, attempts, tls_version, cipher, alpn, cert_id, probe_set,"
    " is_kubernetes, evidence, posture, git_version, major, minor, patch,"
    " prerelease, vendor, vendor_suffix, version_id, cluster_info_readable,"
    " cluster_ca_sha256, jws_keys, namespaces_count, classifier_version,"
    " country, asn, as_org, provider, geo_source, weight, p0_probe,"
    " p0_flags, p0_outcome, p0_status, p0_body_id, p0_body_total, p0_rtt_us)"
    " SELECT r.id, r.scan_id, coalesce(r.ip_int, r.ip), r.port, r.sni,"
    " r.target_index, r.ip6, " V4_CODE("outcome", "r.outcome") ","
    " " V4_CODE("phase", "r.phase") ", " V4_TEXT_ID("r.detail") ","
    " r.started_at, r.finished_at - r.started_at, r.connect_us, r.tls_us,"
    " r.rtt_us, r.attempts, " V4_TEXT_ID("r.tls_version") ","
    " " V4_TEXT_ID("r.cipher") ", " V4_TEXT_ID("r.alpn") ", r.cert_id,"
    " " V4_CODE("probe_set", "r.probe_set") ", r.is_kubernetes,"
    " " V4_TEXT_ID("r.evidence") ", " V4_CODE("posture", "r.posture") ","
    " r.git_version, r.major, r.minor, r.patch, r.prerelease,"
    " " V4_CODE("vendor", "r.vendor") ", " V4_TEXT_ID("r.vendor_suffix") ","
    " CASE WHEN " V4_ANY_VERSION("r") " THEN (SELECT v.id FROM versions v"
    "  WHERE " V4_VERSION_MATCH("v", "r") ") END,"
    " r.cluster_info_readable, r.cluster_ca_sha256, r.jws_keys,"
    " r.namespaces_count, " V4_TEXT_ID("r.classifier_version") ","
    " r.country, r.asn, " V4_TEXT_ID("r.as_org") ","
    " " V4_CODE("provider", "r.provider") ", " V4_TEXT_ID("r.geo_source") ","
    " r.weight, p.probe, " V3_FLAGS("p") ","
    " " V4_CODE("outcome", "p.outcome") ", p.status, p.body_id,"
    " p.body_total, p.rtt_us FROM results r"
    " LEFT JOIN probe_rows p ON p.result_id = r.id AND p.seq = 0"
    " ORDER BY r.id;"
    "DROP TABLE results;"
    "CREATE UNIQUE INDEX result_rows_key"
    " ON result_rows (scan_id, addr, port, sni);"
    "CREATE INDEX result_rows_k8s_version ON result_rows (scan_id, minor)"
    " WHERE is_kubernetes = 1;"
    "CREATE TABLE probe_rows_v4 ("
    " result_id INTEGER NOT NULL REFERENCES result_rows(id),"
    " seq INTEGER NOT NULL,"
    " probe INTEGER NOT NULL," /* enum kc_probe_id */
    /* 1 sent, 2 answered, 4 has_audit_id, 8 has_pf_flowschema,
     * 16 has_pf_prioritylevel */
    " flags INTEGER NOT NULL,"
    " outcome INTEGER," /* enum kc_outcome; NULL when answered or not sent */
    " status INTEGER,"
    " body_id INTEGER REFERENCES bodies(id),"
    " body_total INTEGER, rtt_us INTEGER,"
    " PRIMARY KEY (result_id, seq)"
    ") WITHOUT ROWID;"
    "INSERT INTO probe_rows_v4 SELECT result_id, seq, probe,"
    " " V3_FLAGS("probe_rows") ","
    " " V4_CODE("outcome", "outcome") ", status, body_id, body_total, rtt_us"
    " FROM probe_rows WHERE seq <> 0;"
    "DROP TABLE probe_rows;"
    "ALTER TABLE probe_rows_v4 RENAME TO probe_rows;"
    RESULTS_VIEW_SQL("")
    RESULTS_TRIGGERS_SQL("", "")
    "CREATE VIEW probes AS"
    " SELECT r.id AS result_id, 0 AS seq,"
    " " V4_PROBE_COLS("r.p0_probe", "r.p0_flags", "r.p0_outcome",
                      "r.p0_status", "r.p0_body_total", "r.p0_rtt_us")
    " FROM result_rows r LEFT JOIN bodies b ON b.id = r.p0_body_id"
    " WHERE r.p0_flags IS NOT NULL"
    " UNION ALL"
    " SELECT p.result_id, p.seq,"
    " " V4_PROBE_COLS("p.probe", "p.flags", "p.outcome", "p.status",
                      "p.body_total", "p.rtt_us")
    " FROM probe_rows p LEFT JOIN bodies b ON b.id = p.body_id;"
    "CREATE VIEW latest_results AS"
    " SELECT * FROM (SELECT r.*, row_number() OVER"
    "  (PARTITION BY r.addr, r.port, r.sni ORDER BY r.scan_id DESC) AS rn_"
    "  FROM results r) WHERE rn_ = 1;"
    "CREATE VIEW kubernetes AS"
    " SELECT r.scan_id, s.label AS scan_label, r.ip, r.port, r.sni,"
    "  r.posture, CAST(r.git_version AS TEXT) AS git_version,"
    "  r.major, r.minor, r.patch, r.vendor, r.evidence,"
    "  CAST(r.platform AS TEXT) AS platform,"
    "  CAST(r.go_version AS TEXT) AS go_version,"
    "  r.cluster_info_readable, r.jws_keys, r.namespaces_count,"
    "  r.country, r.asn, r.as_org, r.provider,"
    "  c.subject_cn AS cert_cn, c.issuer_cn AS cert_issuer_cn,"
    "  strftime('%Y-%m-%dT%H:%M:%fZ', r.started_at / 1000.0, 'unixepoch')"
    "   AS started_at, r.weight, r.addr"
    " FROM results r JOIN scans s ON s.id = r.scan_id"
    " LEFT JOIN certificates c ON c.id = r.cert_id"
    " WHERE r.is_kubernetes = 1;"
    "CREATE VIEW version_counts AS"
    " SELECT scan_id, major, minor, sum(weight) AS n FROM result_rows"
    " WHERE is_kubernetes = 1 GROUP BY scan_id, major, minor;"
    "CREATE VIEW probe_status AS"
    " SELECT r.id AS result_id, " V4_STATUS("0") " AS version,"
    " " V4_STATUS("1") " AS healthz, " V4_STATUS("2") " AS livez,"
    " " V4_STATUS("3") " AS readyz, " V4_STATUS("4") " AS cluster_info,"
    " " V4_STATUS("5") " AS api, " V4_STATUS("6") " AS namespaces"
    " FROM result_rows r LEFT JOIN probe_rows p ON p.result_id = r.id"
    " WHERE r.p0_flags IS NOT NULL OR p.result_id IS NOT NULL"
    " GROUP BY r.id;";

/* v5: figures a researcher can publish. `releases` holds the upstream
 * release table (1.minor, end of life) that `kcensus report` judges
 * versions by, refreshed by every command that writes the database, so
 * SQL reads the same table; `kubernetes_eol` gives each Kubernetes result
 * its upstream status as of its scan's start date, with report/'s rules
 * (docs/schema.md). `scan_unstored` keeps, per scan and outcome, the
 * targets the store policy counted but did not store, as of the last
 * checkpoint: with the stored rows they make the scan's counters exact
 * after a crash and --resume. `result_rows.connections` is the number of
 * TCP connections the recorded attempt used (1 + the reconnects made when
 * the server closed between probes; NULL in rows written before, which used
 * one; 0 when none was made). */
static const char v5_sql[] =
    "CREATE TABLE releases ("
    " minor INTEGER PRIMARY KEY," /* of Kubernetes 1.x */
    " end_of_life TEXT," /* YYYY-MM-DD; NULL = no published date */
    " source TEXT NOT NULL" /* 'built-in' or the --releases file */
    ");"
    "CREATE TABLE scan_unstored ("
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " outcome INTEGER NOT NULL," /* enum kc_outcome */
    " n INTEGER NOT NULL,"
    " PRIMARY KEY (scan_id, outcome)"
    ") WITHOUT ROWID;"
    "CREATE VIEW kubernetes_eol AS"
    " SELECT r.id AS result_id, r.scan_id, substr(s.started_at, 1, 10)"
    "  AS scan_date, r.major, r.minor, rel.end_of_life,"
    "  CASE WHEN r.major IS NOT 1 OR r.minor IS NULL OR r.minor < 0"
    "   THEN 'no_version'"
    "  WHEN rel.minor IS NULL THEN CASE WHEN r.minor >"
    "   coalesce((SELECT max(minor) FROM releases), -1)"
    "   THEN 'newer_than_table' ELSE 'past_eol' END"
    "  WHEN rel.end_of_life IS NULL THEN 'past_eol'"
    "  WHEN substr(s.started_at, 1, 10) > rel.end_of_life THEN 'past_eol'"
    "  ELSE 'supported' END AS eol_status, r.weight"
    " FROM result_rows r JOIN scans s ON s.id = r.scan_id"
    " LEFT JOIN releases rel ON rel.minor = r.minor AND r.major = 1"
    " WHERE r.is_kubernetes = 1;"
    "ALTER TABLE result_rows ADD COLUMN connections INTEGER;"
    "DROP VIEW results;"
    RESULTS_VIEW_SQL(", r.connections")
    RESULTS_TRIGGERS_SQL(", connections", ", NEW.connections");

static const char *const migrations[] = {v1_sql, v2_sql, v3_sql, v4_sql,
                                         v5_sql};

const char *kc_schema_migration(int from_version)
{
    if (from_version < 0 || (size_t)from_version >= KC_ARRAY_LEN(migrations))
        return NULL;
    return migrations[from_version];
}

int kc_schema_latest(void)
{
    return (int)KC_ARRAY_LEN(migrations);
}
