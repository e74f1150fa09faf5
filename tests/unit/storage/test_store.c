/* test_store.c - storage/store.c and schema.c: open, migrate, refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sample.h"
#include "storage-private.h"
#include "tmpdb.h"

#ifndef KC_TEST_DATA
#error KC_TEST_DATA must name tests/data
#endif

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void test_create_and_reopen(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char path[256];
    (void)state;
    tmpdb_path(path, sizeof(path), "new.db");
    assert_int_equal(kc_store_open(path, 0, &s, &err), -ENOENT);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(tmpdb_int(s, "PRAGMA user_version"),
                     kc_store_schema_version());
    kc_store_close(s);
    assert_int_equal(kc_store_open(path, KC_STORE_READONLY, &s, &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM sqlite_schema WHERE "
                               "name IN ('scans','results','certificates',"
                               "'probes','latest_results','kubernetes',"
                               "'version_counts','merge_sources')"), 8);
    kc_store_close(s);
}

/* Files that must be refused, each with the words the message must use. */
static const struct {
    const char *name;
    const char *setup_sql; /* run on a fresh kcensus db, or NULL */
    const char *bytes;     /* else: raw file content */
    int code;
    const char *words;
} refuse_cases[] = {
    {"newer", "PRAGMA user_version = 99", NULL, -EPROTONOSUPPORT,
     "newer than this kcensus"},
    {"foreign", "PRAGMA application_id = 0;"
                "CREATE TABLE t(x)", NULL, -EBADMSG, "not a kcensus database"},
    {"recoded", "UPDATE codes SET name = 'okay' WHERE kind = 'outcome'"
                " AND code = 0", NULL, -EPROTO, "does not mean 'ok'"},
    {"garbage", NULL, "this is not a database at all, just some text "
                      "long enough to fill the hundred byte header of an "
                      "SQLite file........", -EBADMSG, "not a kcensus"},
};

static void test_refuse(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(refuse_cases); i++) {
        struct kc_store *s;
        struct kc_error err = {0};
        char path[256];
        tmpdb_path(path, sizeof(path), "x.db");
        if (refuse_cases[i].setup_sql) {
            assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
            assert_int_equal(kc_store_exec(s, refuse_cases[i].setup_sql, &err),
                             0);
            kc_store_close(s);
        } else {
            write_file(path, refuse_cases[i].bytes,
                       strlen(refuse_cases[i].bytes));
        }
        assert_int_equal(kc_store_open(path, 0, &s, &err),
                         refuse_cases[i].code);
        if (strstr(err.msg, refuse_cases[i].words) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\"", refuse_cases[i].name,
                     err.msg, refuse_cases[i].words);
    }
}

static void fill_scan(const char *path, int n)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "t", .shard_count = 1};
    struct kc_sink *sink;
    int64_t id;
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), 0);
    sink = kc_store_sink_new(s, id, NULL, &err);
    assert_non_null(sink);
    for (int i = 0; i < n; i++) {
        struct kc_result r;
        kc_result_init(&r);
        sample_result(&r, (uint64_t)i, SAMPLE_KUBERNETES);
        assert_int_equal(kc_sink_write(sink, &r), 0);
        kc_result_clear(&r);
    }
    kc_sink_free(sink);
    /* Fold the WAL into the file so truncating it loses real pages. */
    assert_int_equal(kc_store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", &err),
                     0);
    kc_store_close(s);
}

static void test_truncated(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char path[256];
    struct stat sb;
    (void)state;
    tmpdb_path(path, sizeof(path), "t.db");
    fill_scan(path, 300);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    assert_int_equal(kc_store_open(path, 0, &s, &err), -EBADMSG);
    assert_non_null(strstr(err.msg, "truncated"));
}

static void test_readonly(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "ro"};
    int64_t id;
    char path[256];
    (void)state;
    tmpdb_path(path, sizeof(path), "ro.db");
    fill_scan(path, 3);
    assert_int_equal(kc_store_open(path, KC_STORE_READONLY, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), -EROFS);
    assert_non_null(strstr(err.msg, "read-only"));
    kc_store_close(s);
}

/* Disk full: the sink reports it, what was committed before stays. */
static void test_full(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "full"};
    struct kc_store_writer_config cfg = {.batch_rows = 50, .batch_ms = 5,
                                         .store = KC_STORE_ALL};
    struct kc_sink *sink;
    int64_t id, pages;
    int rc = 0, i;
    char path[256];
    (void)state;
    tmpdb_path(path, sizeof(path), "full.db");
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), 0);
    pages = tmpdb_int(s, "PRAGMA page_count");
    char sql[64];
    kc_snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
                (long long)pages + 20);
    tmpdb_int(s, sql);
    sink = kc_store_sink_new(s, id, &cfg, &err);
    assert_non_null(sink);
    for (i = 0; i < 5000 && rc == 0; i++) {
        struct kc_result r;
        kc_result_init(&r);
        sample_result(&r, (uint64_t)i, SAMPLE_KUBERNETES);
        rc = kc_sink_write(sink, &r);
        if (rc == 0 && i % 50 == 49)
            rc = kc_sink_flush(sink);
        kc_result_clear(&r);
    }
    assert_int_equal(rc, -ENOSPC);
    assert_non_null(strstr(sink->err.msg, "full"));
    kc_sink_free(sink);
    int64_t kept = tmpdb_int(s, "SELECT count(*) FROM results");
    assert_true(kept > 0 && kept < i);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results r WHERE "
                               "(SELECT count(*) FROM probes p WHERE "
                               "p.result_id = r.id) != 6"), 0);
    assert_int_equal(tmpdb_int(s, "SELECT integrity_check = 'ok' FROM "
                               "pragma_integrity_check"), 1);
    /* A failed batch still leaves foreign keys enforced and intact. */
    assert_int_equal(tmpdb_int(s, "PRAGMA foreign_keys"), 1);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM pragma_foreign_key_check"),
                     0);
    kc_store_close(s);
}

/* Another process holds the write lock: a clear -EBUSY after the busy
 * timeout, not a hang. */
static void test_locked(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "locked"};
    sqlite3 *other;
    int64_t id;
    char path[256];
    (void)state;
    tmpdb_path(path, sizeof(path), "lock.db");
    fill_scan(path, 1);
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(kc_store_open(path, 0, &s, &err), 0);
    uint64_t t0 = kc_mono_us();
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), -EBUSY);
    assert_true(kc_mono_us() - t0 < 30 * 1000000ull);
    assert_non_null(strstr(err.msg, "lock"));
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), 0);
    kc_store_close(s);
}

static void test_upgrade_v1(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char path[256], cmd[600];
    (void)state;
    tmpdb_path(path, sizeof(path), "v1.db");
    kc_snprintf(cmd, sizeof(cmd), "cp %s/schema-v1.db %s", KC_TEST_DATA, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(kc_store_open(path, KC_STORE_READONLY, &s, &err), -EROFS);
    assert_non_null(strstr(err.msg, "upgrade"));
    assert_int_equal(kc_store_open(path, 0, &s, &err), 0);
    assert_int_equal(tmpdb_int(s, "PRAGMA user_version"),
                     kc_store_schema_version());
    /* The fixture's rows survived and the v2 additions exist. */
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 3);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results WHERE "
                               "geo_source IS NULL"), 3);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM merge_sources"), 0);
    assert_int_equal(tmpdb_int(s, "SELECT n FROM version_counts WHERE minor = 28"),
                     2);
    /* v3: microsecond text timestamps became integer milliseconds. */
    assert_int_equal(tmpdb_int(s, "SELECT finished_at FROM results WHERE id = 1"),
                     1767607201020);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes WHERE"
                               " probe = 'version'"), 3);
    kc_store_close(s);
}

/* A query and the first column of its first row. */
struct sql_case {
    const char *sql;
    int64_t want;
};

static void check_cases(struct kc_store *s, const struct sql_case *c,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t got = tmpdb_int(s, c[i].sql);
        if (got != c[i].want)
            fail_msg("%s: got %lld, want %lld", c[i].sql, (long long)got,
                     (long long)c[i].want);
    }
}

/* A copy of tests/data/schema-vN.db, opened (so upgraded) for writing. */
static struct kc_store *open_fixture(int version)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char path[256], name[32], cmd[600];
    kc_snprintf(name, sizeof(name), "v%d.db", version);
    tmpdb_path(path, sizeof(path), name);
    kc_snprintf(cmd, sizeof(cmd), "cp %s/schema-v%d.db %s", KC_TEST_DATA,
                version, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(kc_store_open(path, 0, &s, &err), 0);
    assert_int_equal(tmpdb_int(s, "PRAGMA user_version"),
                     kc_store_schema_version());
    return s;
}

/* Facts about the upgraded v2 fixture (tests/data/make-schema-v2.sh):
 * text timestamps became integer milliseconds, probe names became codes
 * that the views still show as names, nothing else changed. */
static const struct sql_case upgrade_v2_cases[] = {
    {"SELECT count(*) FROM results", 3},
    {"SELECT started_at FROM results WHERE id = 1", 1767607201123},
    {"SELECT finished_at FROM results WHERE id = 1", 1767607201456},
    {"SELECT finished_at FROM results WHERE id = 2", 1767607202020},
    {"SELECT started_at FROM results WHERE id = 3", 1767607203000},
    {"SELECT finished_at IS NULL FROM results WHERE id = 3", 1},
    {"SELECT count(*) FROM results WHERE typeof(started_at) <> 'integer'", 0},
    {"SELECT count(*) FROM results WHERE geo_source = 'fixture-geo'"
     " AND asn = 15169 AND country = 'US'", 1},
    {"SELECT count(*) FROM kubernetes"
     " WHERE started_at = '2026-01-05T10:00:01.123Z'", 1},
    {"SELECT n FROM version_counts WHERE minor = 28", 2},
    {"SELECT count(*) FROM probes", 6},
    /* v4: probe 0 in the result row, the others in probe_rows */
    {"SELECT count(*) FROM probe_rows", 3},
    {"SELECT count(*) FROM result_rows WHERE p0_flags IS NOT NULL", 3},
    {"SELECT count(*) FROM probe_rows WHERE typeof(probe) <> 'integer'"
     " OR seq = 0", 0},
    {"SELECT count(*) FROM result_rows WHERE p0_flags IS NOT NULL"
     " AND typeof(p0_probe) <> 'integer'", 0},
    {"SELECT count(*) FROM probes WHERE result_id = 1 AND seq = 2"
     " AND probe = 'namespaces' AND outcome = 'timeout'", 1},
    {"SELECT count(*) FROM probes WHERE probe = 'version'"
     " AND CAST(body AS TEXT) = '404 page not found'", 1},
    {"SELECT healthz FROM probe_status WHERE result_id = 1", 200},
    {"SELECT cluster_info FROM probe_status WHERE result_id = 2", 403},
    /* v4 names (the v3 ones went with the table rebuild) */
    {"SELECT count(*) FROM sqlite_schema WHERE name IN"
     " ('result_rows_key', 'result_rows_k8s_version', 'bodies_hash',"
     " 'versions_key')", 4},
    {"SELECT count(*) FROM pragma_foreign_key_check", 0},
    {"SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v3%'"
     " OR name LIKE '%_v4%'", 0},
};

static void test_upgrade_v2(void **state)
{
    struct kc_store *s = open_fixture(2);
    (void)state;
    check_cases(s, upgrade_v2_cases, KC_ARRAY_LEN(upgrade_v2_cases));
    assert_int_equal(tmpdb_int(s, "PRAGMA foreign_keys"), 1);
    kc_store_close(s);
}

/* v3's columns of results, in order (v4's view appends addr). */
#define V3_RESULT_COLS                                                     \
    "id, scan_id, target_index, ip, ip_int, ip6, port, sni, outcome, phase," \
    " detail, started_at, finished_at, connect_us, tls_us, rtt_us,"         \
    " attempts, tls_version, cipher, alpn, cert_id, probe_set,"            \
    " is_kubernetes, evidence, posture, git_version, major, minor, patch,"  \
    " prerelease, vendor, vendor_suffix, v_major, v_minor, git_commit,"     \
    " git_tree_state, build_date, go_version, compiler, platform,"          \
    " cluster_info_readable, cluster_ca_sha256, jws_keys,"                 \
    " namespaces_count, classifier_version, country, asn, as_org,"         \
    " provider, weight, geo_source"
#define V3_KUBERNETES_COLS                                                 \
    "scan_id, scan_label, ip, port, sni, posture, git_version, major,"     \
    " minor, patch, vendor, evidence, platform, go_version,"               \
    " cluster_info_readable, jws_keys, namespaces_count, country, asn,"    \
    " as_org, provider, cert_cn, cert_issuer_cn, started_at, weight"
/* Both ways, so a missing and an extra row both count. */
#define SAME_ROWS(expect, cols, view)                                      \
    "SELECT (SELECT count(*) FROM (SELECT * FROM " expect " EXCEPT SELECT " \
    cols " FROM " view ")) + (SELECT count(*) FROM (SELECT " cols " FROM "  \
    view " EXCEPT SELECT * FROM " expect "))"

/* The upgraded v3 fixture (tests/data/make-schema-v3.sh) shows, through
 * the same names, exactly the values v3's tables and views showed (kept in
 * the fixture's expect_* tables): every column of every row; and v4's
 * narrow storage holds them as codes, text ids and shared versions. */
static const struct sql_case upgrade_v3_cases[] = {
    {"SELECT count(*) FROM results", 6},
    {SAME_ROWS("expect_results", V3_RESULT_COLS, "results"), 0},
    {SAME_ROWS("expect_probes", "*", "probes"), 0},
    {SAME_ROWS("expect_kubernetes", V3_KUBERNETES_COLS, "kubernetes"), 0},
    {SAME_ROWS("expect_version_counts", "*", "version_counts"), 0},
    {SAME_ROWS("expect_probe_status", "*", "probe_status"), 0},
    {SAME_ROWS("expect_latest", V3_RESULT_COLS ", rn_", "latest_results"), 0},
    {"SELECT count(*) FROM results WHERE ip6 IS NOT NULL AND ip = '::1'"
     " AND ip_int IS NULL", 1},
    {"SELECT count(*) FROM results WHERE ip = '' AND weight = 1234", 1},
    /* storage: integers and ids, not text */
    {"SELECT count(*) FROM result_rows WHERE typeof(addr) = 'integer'", 4},
    {"SELECT count(*) FROM result_rows WHERE typeof(outcome) <> 'integer'"
     " OR typeof(probe_set) NOT IN ('integer', 'null')"
     " OR typeof(cipher) NOT IN ('integer', 'null')"
     " OR typeof(as_org) NOT IN ('integer', 'null')", 0},
    {"SELECT count(*) FROM versions", 2},
    {"SELECT count(DISTINCT version_id) FROM result_rows"
     " WHERE id IN (1, 2)", 1},
    {"SELECT count(*) FROM texts WHERE value = 'TLS_AES_128_GCM_SHA256'", 1},
    {"SELECT p0_flags FROM result_rows WHERE id = 1", 31},
    {"SELECT count(*) FROM probe_rows WHERE seq = 0", 0},
    {"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
     " ('results', 'probe_rows_v4')", 0},
    {"SELECT count(*) FROM sqlite_schema WHERE type = 'view'"
     " AND name = 'results'", 1},
    {"SELECT count(*) FROM pragma_foreign_key_check", 0},
    {"SELECT integrity_check = 'ok' FROM pragma_integrity_check", 1},
};

static void test_upgrade_v3(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char path[256], cmd[600];
    (void)state;
    tmpdb_path(path, sizeof(path), "v3.db");
    kc_snprintf(cmd, sizeof(cmd), "cp %s/schema-v3.db %s", KC_TEST_DATA, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(kc_store_open(path, KC_STORE_READONLY, &s, &err), -EROFS);
    assert_int_equal(kc_store_open(path, 0, &s, &err), 0);
    assert_int_equal(tmpdb_int(s, "PRAGMA user_version"),
                     kc_store_schema_version());
    check_cases(s, upgrade_v3_cases, KC_ARRAY_LEN(upgrade_v3_cases));
    assert_int_equal(tmpdb_int(s, "PRAGMA foreign_keys"), 1);
    kc_store_close(s);
}

/* v4 -> v5: the rows and counters stay; releases starts empty and, once
 * filled, kubernetes_eol judges each Kubernetes row as of its scan's date
 * (fixture scan 1: 2026-03-05, rows 1.29, 1.29, 1.27; scan 2 an import
 * bucket of 1.28 with weight 1234). */
static const struct sql_case upgrade_v4_cases[] = {
    {"SELECT count(*) FROM result_rows", 6},
    {"SELECT stored * 100 + kubernetes * 10 + count_ok FROM scans"
     " WHERE id = 1", 534},
    {"SELECT count(*) FROM releases", 3},
    {"SELECT count(*) FROM scan_unstored", 0},
    {"SELECT count(*) FROM kubernetes_eol", 4},
    {"SELECT count(*) FROM kubernetes_eol WHERE scan_id = 1 AND minor = 27"
     " AND eol_status = 'past_eol' AND scan_date = '2026-03-05'", 1},
    {"SELECT count(*) FROM kubernetes_eol WHERE minor = 29"
     " AND eol_status = 'newer_than_table'", 2},
    {"SELECT sum(weight) FROM kubernetes_eol WHERE minor = 28"
     " AND eol_status = 'supported' AND end_of_life = '2099-01-01'", 1234},
    {"SELECT count(*) FROM pragma_foreign_key_check", 0},
};

static void test_upgrade_v4(void **state)
{
    static const struct kc_store_release rel[] = {
        {26, NULL}, {27, "2025-06-28"}, {28, "2099-01-01"},
    };
    struct kc_store *s = open_fixture(4);
    struct kc_error err = {0};
    (void)state;
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM releases"), 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM kubernetes_eol"
                                  " WHERE eol_status = 'newer_than_table'"),
                     4); /* an empty table knows no minor */
    assert_int_equal(kc_store_releases_set(s, rel, 3, "test", &err), 0);
    check_cases(s, upgrade_v4_cases, KC_ARRAY_LEN(upgrade_v4_cases));
    /* The same table again writes nothing (no write lock taken); another
     * source is a change. */
    int64_t before = tmpdb_int(s, "SELECT total_changes()");
    assert_int_equal(kc_store_releases_set(s, rel, 3, "test", &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT total_changes()"), before);
    assert_int_equal(kc_store_releases_set(s, rel, 3, "other", &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM releases"
                                  " WHERE source = 'other'"), 3);
    /* Replaced whole, not added to. */
    assert_int_equal(kc_store_releases_set(s, rel, 1, "test", &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM releases"), 1);
    kc_store_close(s);
}

/* INSERT and DELETE through the results view (merge, import and scripts
 * write that way): text values become codes and ids, the unique key still
 * ignores a second copy, a delete takes the row's probes along. */
static const struct {
    const char *sql;
    int64_t want;
} view_write_cases[] = {
    {"INSERT INTO results (scan_id, target_index, ip, ip_int, port, sni,"
     " outcome, phase, cipher, is_kubernetes, posture, vendor, git_version,"
     " minor, go_version, platform, as_org, provider, started_at,"
     " finished_at) VALUES (1, 0, '10.0.0.1', 167772161, 443, '',"
     " 'timeout', 'tls', 'X-CIPHER', 1, 'open', 'eks', CAST('v1.30.1' AS"
     " BLOB), 30, CAST('go1.22' AS BLOB), CAST('linux/arm64' AS BLOB),"
     " 'AMAZON', 'aws', 1000, 1250)", -1},
    {"INSERT OR IGNORE INTO results (scan_id, target_index, ip, ip_int,"
     " port, outcome) VALUES (1, 0, '10.0.0.1', 167772161, 443, 'ok')", -1},
    {"SELECT count(*) FROM results", 1},
    {"SELECT count(*) FROM results WHERE ip = '10.0.0.1' AND outcome ="
     " 'timeout' AND phase = 'tls' AND cipher = 'X-CIPHER' AND posture ="
     " 'open' AND vendor = 'eks' AND provider = 'aws' AND as_org = 'AMAZON'"
     " AND CAST(go_version AS TEXT) = 'go1.22' AND finished_at = 1250", 1},
    {"SELECT outcome * 100 + phase * 10 + posture FROM result_rows", 221},
    {"SELECT duration_ms FROM result_rows", 250},
    {"SELECT count(*) FROM versions", 1},
    {"INSERT INTO probe_rows (result_id, seq, probe, flags)"
     " SELECT id, 0, 0, 3 FROM result_rows", -1},
    {"DELETE FROM results WHERE ip = '10.0.0.1'", -1},
    {"SELECT count(*) FROM result_rows", 0},
    {"SELECT count(*) FROM probe_rows", 0},
    {"SELECT count(*) FROM pragma_foreign_key_check", 0},
};

static void test_results_view_writes(void **state)
{
    struct kc_scan_params p = {.label = "view"};
    int64_t scan;
    char path[256];
    struct kc_store *s = tmpdb_open(path, sizeof(path), "view.db", &p, &scan);
    (void)state;
    assert_int_equal(scan, 1);
    for (size_t i = 0; i < KC_ARRAY_LEN(view_write_cases); i++) {
        int64_t got = tmpdb_int(s, view_write_cases[i].sql);
        if (got != view_write_cases[i].want)
            fail_msg("%s: got %lld, want %lld", view_write_cases[i].sql,
                     (long long)got, (long long)view_write_cases[i].want);
    }
    kc_store_close(s);
}

/* The probes view names every probe code the writer stores exactly as
 * common/vocab.c does. */
static void test_probe_codes(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char path[256], sql[256];
    int64_t scan;
    struct kc_scan_params p = {.label = "codes"};
    struct kc_result r;
    (void)state;
    tmpdb_path(path, sizeof(path), "codes.db");
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, &p, &scan, &err), 0);
    kc_result_init(&r);
    sample_result(&r, 1, SAMPLE_KUBERNETES);
    sample_probe(&r.probes[KC_PROBE_NAMESPACES], KC_PROBE_NAMESPACES, 403,
                 "application/json", NULL);
    r.n_probes = KC_PROBE__COUNT;
    for (int i = 0; i < KC_PROBE__COUNT; i++)
        assert_int_equal(r.probes[i].id, i);
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    struct kc_sink *sink = kc_store_sink_new(s, scan, &cfg, &err);
    assert_non_null(sink);
    assert_int_equal(kc_sink_write(sink, &r), 0);
    kc_sink_free(sink);
    /* The writer turns enforcement off only for its own batches. */
    assert_int_equal(tmpdb_int(s, "PRAGMA foreign_keys"), 1);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM pragma_foreign_key_check"),
                     0);
    for (int i = 0; i < KC_PROBE__COUNT; i++) {
        kc_snprintf(sql, sizeof(sql), "SELECT count(*) FROM probes"
                    " WHERE seq = %d AND probe = '%s'", i,
                    kc_probe_str((enum kc_probe_id)i));
        assert_int_equal(tmpdb_int(s, sql), 1);
    }
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probe_status WHERE"
                               " version AND healthz AND livez AND readyz"
                               " AND cluster_info AND api AND namespaces"),
                     1);
    kc_result_clear(&r);
    kc_store_close(s);
}

static const struct {
    const char *s;
    enum kc_store_policy p;
} policy_cases[] = {
    {"responsive", KC_STORE_RESPONSIVE},
    {"all", KC_STORE_ALL},
    {"kubernetes", KC_STORE_KUBERNETES},
};

static void test_policy(void **state)
{
    struct kc_result r;
    enum kc_store_policy p = KC_STORE_ALL;
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(policy_cases); i++) {
        assert_true(kc_store_policy_parse(policy_cases[i].s, &p));
        assert_int_equal(p, policy_cases[i].p);
        assert_string_equal(kc_store_policy_str(p), policy_cases[i].s);
    }
    assert_false(kc_store_policy_parse("some", &p));
    kc_result_init(&r);
    sample_result(&r, 1, SAMPLE_REFUSED);
    assert_true(kc_store_policy_keeps(KC_STORE_ALL, &r));
    assert_false(kc_store_policy_keeps(KC_STORE_RESPONSIVE, &r));
    r.outcome = KC_OUTCOME_TIMEOUT;
    r.phase = KC_PHASE_CONNECT;
    assert_false(kc_store_policy_keeps(KC_STORE_RESPONSIVE, &r));
    r.phase = KC_PHASE_TLS;
    assert_true(kc_store_policy_keeps(KC_STORE_RESPONSIVE, &r));
    assert_false(kc_store_policy_keeps(KC_STORE_KUBERNETES, &r));
    r.is_kubernetes = 1;
    assert_true(kc_store_policy_keeps(KC_STORE_KUBERNETES, &r));
    kc_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_reopen),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_upgrade_v1),
        cmocka_unit_test(test_upgrade_v2),
        cmocka_unit_test(test_upgrade_v3),
        cmocka_unit_test(test_upgrade_v4),
        cmocka_unit_test(test_results_view_writes),
        cmocka_unit_test(test_probe_codes),
        cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
