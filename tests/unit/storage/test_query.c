/* test_query.c - storage/query.c (kcensus sql) and scans listing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"
#include "storage-private.h"
#include "tmpdb.h"

struct rows {
    char text[1024];
    size_t n;
};

static int collect(void *ctx, size_t row, int ncols, const char *const *vals,
                   const size_t *lens)
{
    struct rows *r = ctx;
    size_t o = strlen(r->text);
    for (int i = 0; i < ncols; i++)
        o += kc_snprintf(r->text + o, sizeof(r->text) - o, "%s%.*s",
                         i ? "|" : "", vals[i] ? (int)lens[i] : 4,
                         vals[i] ? vals[i] : "NULL");
    kc_snprintf(r->text + o, sizeof(r->text) - o, ";");
    r->n = row;
    return 0;
}

static const struct {
    const char *sql;
    bool write;
    int rc;
    const char *want; /* rows joined, or a word of the error */
} cases[] = {
    {"SELECT ip, port, is_kubernetes, git_version FROM results ORDER BY id",
     false, 0,
     "ip|port|is_kubernetes|git_version;10.0.0.1|443|0|NULL;"
     "10.0.0.2|443|1|v1.29.4-gke.1043002;"},
    {"SELECT minor, n FROM version_counts", false, 0, "minor|n;29|1;"},
    {"SELECT count(*) AS k FROM kubernetes WHERE vendor = 'gke'", false, 0,
     "k;1;"},
    {"DELETE FROM results", false, -EPERM, "--write"},
    {"SELECT 1; SELECT 2", false, -EINVAL, "one statement"},
    {"SELEKT 1", false, -EINVAL, "syntax"},
    {"", false, -EINVAL, "empty"},
    {"UPDATE scans SET label = 'x'", true, 0, ""},
};

static int list_cb(void *ctx, const struct kc_scan_info *si)
{
    struct rows *r = ctx;
    kc_snprintf(r->text, sizeof(r->text), "%lld %s %s %llu %llu",
                (long long)si->id, si->label ? si->label : "-", si->status,
                (unsigned long long)si->results,
                (unsigned long long)si->counters.kubernetes);
    r->n++;
    return 0;
}

static void test_query(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "q"};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    int64_t id;
    char path[256];
    (void)state;
    s = tmpdb_open(path, sizeof(path), "q.db", &p, &id);
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    for (uint64_t i = 1; i <= 2; i++) {
        struct kc_result r;
        kc_result_init(&r);
        sample_result(&r, i, i == 1 ? SAMPLE_WEB : SAMPLE_KUBERNETES);
        kc_sink_write(sink, &r);
        kc_result_clear(&r);
    }
    kc_sink_free(sink);
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct rows r = {{0}, 0};
        int rc = kc_store_query(s, cases[i].sql, cases[i].write, collect, &r,
                                &err);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", cases[i].sql, rc, cases[i].rc,
                     err.msg);
        if (rc == 0)
            assert_string_equal(r.text, cases[i].want);
        else if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].sql, err.msg,
                     cases[i].want);
    }
    struct rows l = {{0}, 0};
    assert_int_equal(kc_store_list_scans(s, list_cb, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.text, "1 x running 2 1");
    kc_store_close(s);
}

/* The report groups of a scan whose gitVersion BLOBs hold NUL bytes: every
 * counting unit hands them over whole, with their length. */
struct groups_seen {
    size_t n;
    size_t len[4];
    char gv[4][64];
};

static int groups_cb(void *ctx, const struct kc_report_row *g)
{
    struct groups_seen *s = ctx;
    if (s->n < 4 && g->git_version != NULL &&
        g->git_version_len < sizeof(s->gv[0])) {
        memcpy(s->gv[s->n], g->git_version, g->git_version_len);
        s->len[s->n] = g->git_version_len;
    }
    s->n++;
    return 0;
}

static const struct {
    const char *bytes;
    size_t len;
} nul_versions[] = {
#define BYTES(lit) lit, sizeof(lit) - 1
    {BYTES("v1.29.3\0\x1b[2Jevil")},
    {BYTES("v1.29.3")},
    {BYTES("\0")},
#undef BYTES
};

static void test_report_groups_nul(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "nul"};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    int64_t id;
    char path[256];
    (void)state;
    tmpdb_path(path, sizeof(path), "nul.db");
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), 0);
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    for (size_t i = 0; i < KC_ARRAY_LEN(nul_versions); i++) {
        struct kc_result r;
        kc_result_init(&r);
        sample_result(&r, i + 1, SAMPLE_KUBERNETES);
        kc_bytes_set(&r.git_version, nul_versions[i].bytes,
                     nul_versions[i].len, KC_MAX_FIELD);
        kc_sink_write(sink, &r);
        kc_result_clear(&r);
    }
    kc_sink_free(sink);
    for (int u = 0; u < KC_UNIT__COUNT; u++) {
        struct groups_seen seen = {0};
        assert_int_equal(kc_store_report_groups(s, id, (enum kc_count_unit)u,
                                                groups_cb, &seen, &err),
                         0);
        /* Distinct addresses and certificates: one unit per row. */
        assert_int_equal(seen.n, KC_ARRAY_LEN(nul_versions));
        for (size_t i = 0; i < seen.n; i++) {
            assert_int_equal(seen.len[i], nul_versions[i].len);
            assert_memory_equal(seen.gv[i], nul_versions[i].bytes,
                                nul_versions[i].len);
        }
    }
    kc_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_report_groups_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
