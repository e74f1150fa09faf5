/*
 * test_cmd_enrich.c - cli/cmd_enrich.c end to end: a census stored without
 * geo, `kcensus enrich --geoip ...` run on it, the stored country, ASN,
 * organisation, provider and geo_source read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "storage.h"

struct fixture {
    char dir[64];
    char db[128];
    char country[512], asn[512], anon[512];
    int64_t scans[2];
};

/* What each stored result should hold after enrich (scan 1 only when the
 * test enriches scan 1). */
struct want {
    const char *addr;
    const char *sans;         /* NULL: no certificate */
    const char *stale_country;/* stored before enrich */
    uint32_t stale_asn;
    const char *country;      /* after */
    uint32_t asn;
    const char *as_org;
    enum kc_provider provider;
};

static const struct want wants[] = {
    {"127.16.0.5", "DNS:kubernetes\nIP:10.96.0.1", "", 0, "DE", 16509,
     "AMAZON-02", KC_PROVIDER_AWS},
    {"127.22.0.5", "DNS:kubernetes\nDNS:x.hcp.eastus.azmk8s.io", "", 0,
     "JP", 64512, "Example Hosting KK", KC_PROVIDER_AZURE},
    {"127.21.0.9", NULL, "XX", 1, "FI", 24940, "Hetzner Online GmbH",
     KC_PROVIDER_HETZNER},
    {"127.30.0.1", NULL, "XX", 2, "", 0, "", KC_PROVIDER_NONE},
    {"::1", NULL, "", 0, "SE", 64514, "Loopback AB", KC_PROVIDER_OTHER},
};

static void data_path(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("KC_GEO_DATA");
    snprintf(buf, size, "%s/%s", dir ? dir : ".", name);
}

/* Two scans of the same results, stored without location (but with stale
 * values for some, as from an older database). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};

    assert_non_null(f);
    kc_strlcpy(f->dir, "/tmp/kc-enrich-XXXXXX", sizeof(f->dir));
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/census.db", f->dir);
    data_path("country.mmdb", f->country, sizeof(f->country));
    data_path("asn.mmdb", f->asn, sizeof(f->asn));
    data_path("anon.mmdb", f->anon, sizeof(f->anon));

    assert_int_equal(kc_store_open(f->db, KC_STORE_CREATE, &s, &err), 0);
    for (int k = 0; k < 2; k++) {
        struct kc_scan_params p = {.label = k ? "second" : "first"};
        assert_int_equal(kc_store_scan_begin(s, &p, &f->scans[k], &err), 0);
        struct kc_sink *sink = kc_store_sink_new(s, f->scans[k], &cfg, &err);
        assert_non_null(sink);
        for (size_t i = 0; i < KC_ARRAY_LEN(wants); i++) {
            struct kc_result r;
            kc_result_init(&r);
            r.target_index = i;
            assert_true(kc_addr_parse(wants[i].addr, &r.addr));
            r.port = 6443;
            r.outcome = KC_OUTCOME_OK;
            if (wants[i].sans) {
                /* certificates are stored once per fingerprint */
                r.cert.present = true;
                kc_snprintf(r.cert.sha256, sizeof(r.cert.sha256), "%064zx",
                            i + 1);
                kc_bytes_set_str(&r.cert.sans, wants[i].sans);
            }
            kc_strlcpy(r.country, wants[i].stale_country, sizeof(r.country));
            r.asn = wants[i].stale_asn;
            assert_int_equal(kc_sink_write(sink, &r), 0);
            kc_result_clear(&r);
        }
        assert_int_equal(kc_sink_flush(sink), 0);
        kc_sink_free(sink);
    }
    kc_store_close(s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[256];
    static const char *const files[] = {"census.db", "census.db-wal",
                                        "census.db-shm", "census.db-journal"};
    for (size_t i = 0; i < KC_ARRAY_LEN(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int run_enrich(const char *first, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;

    argv[argc++] = (char *)"enrich";
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 15; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return cli_cmd_enrich.run(&cli_cmd_enrich, argc, argv);
}

struct check {
    int64_t scan_id; /* the results of this scan were enriched */
    bool enriched;   /* false: expect the stale values */
    size_t seen;
};

static int check_cb(void *ctx, int64_t result_id, const struct kc_result *r)
{
    struct check *c = ctx;
    const struct want *w = &wants[r->target_index];
    (void)result_id;

    assert_true(r->target_index < KC_ARRAY_LEN(wants));
    c->seen++;
    if (c->enriched) {
        assert_string_equal(r->country, w->country);
        assert_int_equal(r->asn, w->asn);
        assert_string_equal(r->as_org, w->as_org);
        assert_int_equal(r->provider, w->provider);
    } else {
        assert_string_equal(r->country, w->stale_country);
        assert_int_equal(r->asn, w->stale_asn);
        assert_int_equal(r->provider, KC_PROVIDER_NONE);
    }
    return 0;
}

static void check_scan(struct fixture *f, int64_t scan_id, bool enriched)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct check c = {scan_id, enriched, 0};

    assert_int_equal(kc_store_open(f->db, KC_STORE_READONLY, &s, &err), 0);
    assert_int_equal(kc_store_foreach_result(s, scan_id, check_cb, &c, &err),
                     0);
    assert_int_equal(c.seen, KC_ARRAY_LEN(wants));
    kc_store_close(s);
}

static int count_cb(void *ctx, size_t row, int ncols,
                    const char *const *vals, const size_t *lens)
{
    (void)lens;
    if (row == 0)
        return 0; /* column names */
    assert_int_equal(ncols, 2);
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s=%s;", vals[0] ? vals[0] : "NULL",
             vals[1]);
    return 0;
}

/* "SOURCE=COUNT;" per distinct geo_source of a scan. */
static void geo_sources(struct fixture *f, int64_t scan_id, char *out)
{
    struct kc_store *s;
    struct kc_error err = {0};
    char sql[256];

    out[0] = '\0';
    snprintf(sql, sizeof(sql),
             "SELECT geo_source, count(*) FROM results WHERE scan_id = %lld "
             "GROUP BY geo_source ORDER BY 1",
             (long long)scan_id);
    assert_int_equal(kc_store_open(f->db, KC_STORE_READONLY, &s, &err), 0);
    assert_int_equal(kc_store_query(s, sql, false, count_cb, out, &err), 0);
    kc_store_close(s);
}

static void test_enrich_one_scan(void **state)
{
    struct fixture *f = *state;
    char id[32], src[512];

    snprintf(id, sizeof(id), "%lld", (long long)f->scans[0]);
    assert_int_equal(run_enrich("-q", "-d", f->db, "--scan", id, "--geoip",
                                f->country, "--geoip", f->asn, NULL),
                     CLI_EXIT_OK);
    check_scan(f, f->scans[0], true);
    check_scan(f, f->scans[1], false);
    geo_sources(f, f->scans[0], src);
    assert_string_equal(
        src, "GeoLite2-Country@1700000000,GeoLite2-ASN@1700000000=5;");
    geo_sources(f, f->scans[1], src);
    assert_string_equal(src, "NULL=5;");
}

/* Every scan, files after --geoip as in the usage line "--geoip FILE...". */
static void test_enrich_all_scans(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(
        run_enrich("-q", "-d", f->db, "--geoip", f->asn, f->country, NULL),
        CLI_EXIT_OK);
    check_scan(f, f->scans[0], true);
    check_scan(f, f->scans[1], true);
}

/* Bad databases and bad command lines change nothing. */
static void test_enrich_errors(void **state)
{
    struct fixture *f = *state;
    char missing[600];

    snprintf(missing, sizeof(missing), "%s/nope.mmdb", f->dir);
    assert_int_equal(run_enrich("-q", "-d", f->db, "--geoip", f->anon, NULL),
                     CLI_EXIT_FAILURE);
    assert_int_equal(run_enrich("-q", "-d", f->db, "--geoip", f->country,
                                "--geoip", missing, NULL),
                     CLI_EXIT_FAILURE);
    assert_int_equal(run_enrich("-q", "-d", f->db, NULL), CLI_EXIT_USAGE);
    assert_int_equal(run_enrich("-q", "-d", f->db, "--scan", "x", "--geoip",
                                f->asn, NULL),
                     CLI_EXIT_USAGE);
    assert_int_equal(run_enrich("-q", "-d", f->db, "--scan", "0", "--geoip",
                                f->asn, NULL),
                     CLI_EXIT_USAGE);
    assert_int_equal(run_enrich("-q", "-d", f->db, "--scan", "999",
                                "--geoip", f->asn, NULL),
                     CLI_EXIT_FAILURE);
    /* a census that is not there is not created */
    snprintf(missing, sizeof(missing), "%s/none.db", f->dir);
    assert_int_equal(run_enrich("-q", "-d", missing, "--geoip", f->asn, NULL),
                     CLI_EXIT_FAILURE);
    assert_int_equal(access(missing, F_OK), -1);
    check_scan(f, f->scans[0], false);
    check_scan(f, f->scans[1], false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enrich_one_scan, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_enrich_all_scans, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_enrich_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
