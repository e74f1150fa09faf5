/* test_aggregate.c - report/aggregate.c: counts, shares, order, golden. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

struct want {
    const char *key, *key2;
    uint64_t hosts;
};

static void assert_entries(const struct kc_report *r, enum kc_agg a,
                           const struct want *w, size_t nw)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    if (n != nw)
        fail_msg("%s: %zu entries, want %zu", kc_agg_str(a), n, nw);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].key, w[i].key) != 0 || v[i].hosts != w[i].hosts ||
            (w[i].key2 && strcmp(v[i].key2, w[i].key2) != 0))
            fail_msg("%s[%zu]: %s/%s %llu, want %s/%s %llu", kc_agg_str(a),
                     i, v[i].key, v[i].key2 ? v[i].key2 : "-",
                     (unsigned long long)v[i].hosts, w[i].key,
                     w[i].key2 ? w[i].key2 : "-",
                     (unsigned long long)w[i].hosts);
    }
}

static void test_fixture_aggregations(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    static const struct want minor[] = {
        {"0.6", NULL, 10}, {"1.9", NULL, 5},   {"1.10", NULL, 5},
        {"1.25", NULL, 15}, {"1.26", NULL, 30}, {"1.27", NULL, 20},
        {"1.38", NULL, 5}, {"no_version", NULL, 10},
    };
    static const struct want vendor[] = {
        {"gke", NULL, 30},   {"eks", NULL, 20},   {"k3s", NULL, 15},
        {"upstream", NULL, 15}, {"other", NULL, 10}, {"not_recorded", NULL, 10},
    };
    static const struct want eol[] = {
        {"past_eol", NULL, 25},
        {"supported", NULL, 50},
        {"newer_than_table", NULL, 5},
        {"no_version", NULL, 20},
    };
    static const struct want port[] = {
        {"443", NULL, 65}, {"6443", NULL, 25}, {"8080", NULL, 10},
    };
    static const struct want asn[] = {
        {"15169", "GOOGLE", 30},   {"16509", "AMAZON-02", 20},
        {"16276", "OVH SAS", 10}, {"4134", "CHINANET", 10},
        {"unknown", "", 30},
    };
    static const struct want pv[] = {
        {"disabled", "upstream", 5}, {"disabled", "not_recorded", 10},
        {"legacy", "other", 10},    {"limited", "k3s", 15},
        {"open", "upstream", 10},   {"rbac_denied", "gke", 30},
        {"rbac_denied", "eks", 20},
    };
    (void)state;
    assert_int_equal(kc_report_total(r), 100);
    assert_entries(r, KC_AGG_MINOR, minor, KC_ARRAY_LEN(minor));
    assert_entries(r, KC_AGG_VENDOR, vendor, KC_ARRAY_LEN(vendor));
    assert_entries(r, KC_AGG_EOL, eol, KC_ARRAY_LEN(eol));
    assert_entries(r, KC_AGG_PORT, port, KC_ARRAY_LEN(port));
    assert_entries(r, KC_AGG_ASN, asn, KC_ARRAY_LEN(asn));
    assert_entries(r, KC_AGG_POSTURE_VENDOR, pv, KC_ARRAY_LEN(pv));
    assert_int_equal(kc_report_eol_count(r, KC_EOL_PAST), 25);
    kc_report_free(r);
    kc_releases_free(rel);
}

/* Every aggregation adds up to the total; shares to 1. */
static void test_totals_add_up(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    (void)state;
    for (size_t a = 0; a < KC_AGG__COUNT; a++) {
        size_t n;
        const struct kc_agg_entry *v =
            kc_report_entries(r, (enum kc_agg)a, &n);
        uint64_t sum = 0;
        double share = 0;
        for (size_t i = 0; i < n; i++) {
            sum += v[i].hosts;
            if (v[i].has_share)
                share += v[i].share;
        }
        assert_int_equal(sum, kc_report_total(r));
        assert_true(share > 0.999999 && share < 1.000001);
    }
    kc_report_free(r);
    kc_releases_free(rel);
}

/* EOL shares are over the units that showed a 1.x version. */
static void test_eol_share_denominator(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, KC_AGG_EOL, &n);
    (void)state;
    assert_int_equal(n, 4);
    assert_true(v[0].has_share);
    assert_true(v[0].share > 25.0 / 80 - 1e-9 && v[0].share < 25.0 / 80 + 1e-9);
    assert_false(v[3].has_share); /* no_version: its own row */
    kc_report_free(r);
    kc_releases_free(rel);
}

/* Rows arriving in pieces merge into the same groups. */
static void test_rows_merge(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report_row rows[] = {
        {"v1.28.1", 1, 28, "upstream", "open", 443, NULL, 0, NULL, 1},
        {"v1.28.1", 1, 28, "upstream", "open", 443, NULL, 0, NULL, 2},
        {"v1.28.1", 1, 28, "upstream", "open", 443, "", 0, NULL, 4},
    };
    struct kc_report *r = fixture_report_rows(rel, 1, NULL, "2024-01-01",
                                              rows, KC_ARRAY_LEN(rows));
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, KC_AGG_COUNTRY, &n);
    (void)state;
    /* NULL and "" country are both "no country". */
    assert_int_equal(n, 1);
    assert_int_equal(v[0].hosts, 7);
    assert_int_equal(kc_report_add(r, &rows[0]), -EINVAL); /* finished */
    kc_report_free(r);
    kc_releases_free(rel);
}

/* Two reports over halves of the rows, merged, equal one over all. */
static void test_merge_halves(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *whole = fixture_report(rel);
    struct kc_report_meta m = {.scan_id = 7, .started_at = "2024-02-05"};
    struct kc_report *a = NULL, *b = NULL;
    size_t half = KC_ARRAY_LEN(fixture_rows) / 2;
    (void)state;
    assert_int_equal(kc_report_new(rel, &m, &a, NULL), 0);
    assert_int_equal(kc_report_new(rel, &m, &b, NULL), 0);
    for (size_t i = 0; i < KC_ARRAY_LEN(fixture_rows); i++)
        assert_int_equal(kc_report_add(i < half ? a : b, &fixture_rows[i]),
                         0);
    assert_int_equal(kc_report_add(a, &fixture_rows[0]), 0); /* overlap */
    assert_int_equal(kc_report_merge(a, b), 0);
    assert_int_equal(kc_report_finish(a), 0);
    assert_int_equal(kc_report_merge(a, b), -EINVAL); /* finished */
    assert_int_equal(kc_report_total(a), kc_report_total(whole) + 30);
    for (size_t g = 0; g < KC_AGG__COUNT; g++) {
        size_t na, nw;
        const struct kc_agg_entry *va = kc_report_entries(a, g, &na);
        const struct kc_agg_entry *vw = kc_report_entries(whole, g, &nw);
        uint64_t extra = 0;
        assert_int_equal(na, nw);
        for (size_t i = 0; i < na; i++) {
            assert_string_equal(va[i].key, vw[i].key);
            extra += va[i].hosts - vw[i].hosts;
        }
        assert_int_equal(extra, 30); /* the overlapping row, once */
    }
    kc_report_free(a);
    kc_report_free(b);
    kc_report_free(whole);
    kc_releases_free(rel);
}

static void test_bad_start(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report_meta m = {.scan_id = 3, .started_at = "<b>2024"};
    struct kc_report *r = NULL;
    struct kc_error err;
    (void)state;
    assert_int_equal(kc_report_new(rel, &m, &r, &err), -EINVAL);
    assert_null(r);
    m.started_at = NULL;
    assert_int_equal(kc_report_new(rel, &m, &r, &err), -EINVAL);
    kc_releases_free(rel);
}

/* The Censys buckets of 2024-02-05, versions parsed here with the same
 * ^v?(\d+)\.(\d+) rule classify/ uses. The CLI import path has its own
 * integration test. */
static struct kc_report *censys_report(const struct kc_releases *rel)
{
    FILE *f = fopen(KC_TEST_DATA "/censys-2024-02-05-gitversions.csv", "r");
    char line[4096];
    struct kc_report_meta m = {.scan_id = 1, .label = "censys",
                               .started_at = "2024-02-05T00:00:00Z",
                               .unit = "endpoint"};
    struct kc_report *r = NULL;
    assert_non_null(f);
    assert_int_equal(kc_report_new(rel, &m, &r, NULL), 0);
    assert_non_null(fgets(line, sizeof(line), f)); /* header */
    while (fgets(line, sizeof(line), f)) {
        char *comma = strrchr(line, ',');
        struct kc_report_row row = {.major = -1, .minor = -1};
        unsigned long long count;
        int maj, min;
        assert_non_null(comma);
        *comma = '\0';
        assert_int_equal(sscanf(comma + 1, "%llu", &count), 1);
        row.git_version = line;
        if (sscanf(line + (line[0] == 'v'), "%d.%d", &maj, &min) == 2) {
            row.major = maj;
            row.minor = min;
        }
        row.weight = count;
        assert_int_equal(kc_report_add(r, &row), 0);
    }
    fclose(f);
    assert_int_equal(kc_report_finish(r), 0);
    return r;
}

static const struct {
    const char *minor;
    const char *share; /* published, one decimal */
} censys_shares[] = {
    {"1.26", "29.2"}, {"1.27", "24.9"}, {"1.25", "15.8"},
    {"1.28", "8.5"},  {"1.24", "7.4"},  {"1.23", "4.3"},
    {"1.21", "3.9"},  {"1.29", "2.6"},  {"1.22", "2.1"},
};

static void test_golden_censys(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = censys_report(rel);
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, KC_AGG_MINOR, &n);
    uint64_t versioned;
    char pct[16];
    (void)state;
    assert_int_equal(kc_report_total(r), 1627001);
    for (size_t c = 0; c < KC_ARRAY_LEN(censys_shares); c++) {
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v[i].key, censys_shares[c].minor) != 0)
                continue;
            snprintf(pct, sizeof(pct), "%.1f", v[i].share * 100);
            assert_string_equal(pct, censys_shares[c].share);
            found = true;
        }
        assert_true(found);
    }
    versioned = kc_report_total(r) - kc_report_eol_count(r, KC_EOL_NO_VERSION);
    assert_int_equal(kc_report_eol_count(r, KC_EOL_PAST), 565750);
    assert_int_equal(versioned, 1626356);
    assert_int_equal(kc_report_eol_count(r, KC_EOL_NEWER), 0);
    snprintf(pct, sizeof(pct), "%.1f",
             100.0 * kc_report_eol_count(r, KC_EOL_PAST) / versioned);
    assert_string_equal(pct, "34.8");
    /* Versions sorted as versions: 1.9 before 1.10 before 1.26. */
    for (size_t i = 1; i < n; i++)
        if (*v[i].key)
            assert_true(kc_version_cmp(v[i - 1].key, v[i].key) < 0);
    kc_report_free(r);
    kc_releases_free(rel);
}

/* Millionths add up to exactly 1 over each aggregation's denominator
 * (largest remainder), on counts whose plain rounding gives 0.999999 or
 * 1.000001: seven sevenths, three thirds. */
static void test_shares_add_up_exactly(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report_row rows[10];
    struct kc_report *r;
    static const char *const gv[] = {"v1.20.1", "v1.21.1", "v1.22.1",
                                     "v1.23.1", "v1.24.1", "v1.25.1",
                                     "v1.26.1"};
    static const char *const cc[] = {"US", "DE", "FR"};
    (void)state;
    for (size_t i = 0; i < 7; i++)
        rows[i] = (struct kc_report_row){gv[i], 1, (int)(20 + i), "upstream",
                                         "open", 443, cc[i % 3], 0, NULL, 1};
    for (size_t i = 7; i < 10; i++) /* unversioned: outside version shares */
        rows[i] = (struct kc_report_row){NULL, -1, -1, NULL, "disabled", 443,
                                         cc[i % 3], 0, NULL, 1};
    r = fixture_report_rows(rel, 3, "sevenths", "2024-02-05", rows, 10);
    assert_int_equal(kc_report_versioned(r), 7);
    assert_int_equal(kc_report_denominator(r, KC_AGG_MINOR), 7);
    assert_int_equal(kc_report_denominator(r, KC_AGG_POSTURE), 10);
    for (size_t a = 0; a < KC_AGG__COUNT; a++) {
        size_t n;
        const struct kc_agg_entry *v =
            kc_report_entries(r, (enum kc_agg)a, &n);
        uint64_t ppm = 0, hosts = 0;
        for (size_t i = 0; i < n; i++) {
            if (!v[i].has_share)
                continue;
            ppm += v[i].share_ppm;
            hosts += v[i].hosts;
            /* each share is within a millionth of the exact one */
            double exact = (double)v[i].hosts /
                           (double)kc_report_denominator(r, (enum kc_agg)a);
            assert_true(v[i].share > exact - 1e-6 && v[i].share < exact + 1e-6);
        }
        if (ppm != 1000000 ||
            hosts != kc_report_denominator(r, (enum kc_agg)a))
            fail_msg("%s: %llu millionths over %llu units",
                     kc_agg_str((enum kc_agg)a), (unsigned long long)ppm,
                     (unsigned long long)hosts);
    }
    kc_report_free(r);
    kc_releases_free(rel);
}

/* A published census (version buckets only: no posture, vendor, address)
 * and a scan with the same version counts plus endpoints that answered
 * 401 to /version give the same version shares; the scan's unversioned
 * endpoints are a figure of their own. */
static void test_import_and_scan_comparable(void **state)
{
    struct kc_releases *rel = fixture_releases();
    static const struct kc_report_row imported[] = {
        {"v1.26.5", 1, 26, NULL, NULL, 0, NULL, 0, NULL, 292},
        {"v1.27.3", 1, 27, NULL, NULL, 0, NULL, 0, NULL, 249},
        {"v1.25.9", 1, 25, NULL, NULL, 0, NULL, 0, NULL, 158},
        {"v0.21.0", 0, 21, NULL, NULL, 0, NULL, 0, NULL, 1},
    };
    static const struct kc_report_row scanned[] = {
        {"v1.26.5", 1, 26, "upstream", "open", 443, "US", 1, "A", 200},
        {"v1.26.5", 1, 26, "upstream", "limited", 6443, "DE", 2, "B", 92},
        {"v1.27.3", 1, 27, "eks", "rbac_denied", 443, "US", 1, "A", 249},
        {"v1.25.9", 1, 25, "k3s", "open", 6443, NULL, 0, NULL, 158},
        {"v0.21.0", 0, 21, "other", "legacy", 443, NULL, 0, NULL, 1},
        {NULL, -1, -1, NULL, "disabled", 443, "US", 1, "A", 406},
    };
    struct kc_report *a = fixture_report_rows(rel, 1, "import", "2024-02-05",
                                              imported, 4);
    struct kc_report *b = fixture_report_rows(rel, 2, "scan", "2024-02-05",
                                              scanned, 6);
    static const enum kc_agg version_aggs[] = {KC_AGG_MINOR,
                                               KC_AGG_GIT_VERSION, KC_AGG_EOL};
    (void)state;
    assert_int_equal(kc_report_versioned(a), kc_report_versioned(b));
    assert_int_equal(kc_report_total(b) - kc_report_versioned(b), 406);
    for (size_t k = 0; k < KC_ARRAY_LEN(version_aggs); k++) {
        size_t na, nb, j = 0;
        const struct kc_agg_entry *va =
            kc_report_entries(a, version_aggs[k], &na);
        const struct kc_agg_entry *vb =
            kc_report_entries(b, version_aggs[k], &nb);
        for (size_t i = 0; i < na; i++) {
            if (!va[i].has_share)
                continue;
            while (j < nb && !vb[j].has_share)
                j++;
            assert_true(j < nb);
            assert_string_equal(va[i].key, vb[j].key);
            assert_int_equal(va[i].has_share, vb[j].has_share);
            assert_int_equal(va[i].share_ppm, vb[j].share_ppm);
            j++;
        }
    }
    kc_report_free(a);
    kc_report_free(b);
    kc_releases_free(rel);
}

/* No aggregation has an empty key: missing values carry their names. */
static void test_no_empty_keys(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report_row row = {NULL, -1, -1, NULL, NULL, 0, NULL, 0, NULL, 4};
    struct kc_report *r = fixture_report_rows(rel, 4, NULL, "2024-02-05",
                                              &row, 1);
    static const char *const want[KC_AGG__COUNT] = {
        [KC_AGG_MINOR] = "no_version",  [KC_AGG_GIT_VERSION] = "no_version",
        [KC_AGG_VENDOR] = "not_recorded", [KC_AGG_POSTURE] = "not_recorded",
        [KC_AGG_PORT] = "unknown",      [KC_AGG_COUNTRY] = "unknown",
        [KC_AGG_ASN] = "unknown",       [KC_AGG_EOL] = "no_version",
        [KC_AGG_POSTURE_VENDOR] = "not_recorded",
        [KC_AGG_MINOR_VENDOR] = "no_version",
    };
    (void)state;
    for (size_t a = 0; a < KC_AGG__COUNT; a++) {
        size_t n;
        const struct kc_agg_entry *v =
            kc_report_entries(r, (enum kc_agg)a, &n);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].key, want[a]);
        assert_int_equal(v[0].key_len, strlen(want[a]));
        if (a == KC_AGG_POSTURE_VENDOR || a == KC_AGG_MINOR_VENDOR)
            assert_string_equal(v[0].key2, "not_recorded");
    }
    kc_report_free(r);
    kc_releases_free(rel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_aggregations),
        cmocka_unit_test(test_totals_add_up),
        cmocka_unit_test(test_eol_share_denominator),
        cmocka_unit_test(test_rows_merge),
        cmocka_unit_test(test_merge_halves),
        cmocka_unit_test(test_bad_start),
        cmocka_unit_test(test_golden_censys),
        cmocka_unit_test(test_shares_add_up_exactly),
        cmocka_unit_test(test_import_and_scan_comparable),
        cmocka_unit_test(test_no_empty_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
