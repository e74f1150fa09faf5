/* test_releases.c - report/releases.c: EOL rules, version order, --releases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

static const struct {
    int major, minor;
    const char *date;
    enum kc_eol want;
} eol_cases[] = {
    {1, 26, "2024-02-05", KC_EOL_SUPPORTED}, /* EOL 2024-02-28 */
    {1, 26, "2024-02-28", KC_EOL_SUPPORTED}, /* on the day: still */
    {1, 26, "2024-02-29", KC_EOL_PAST},      /* the day after */
    {1, 25, "2024-02-05", KC_EOL_PAST},      /* EOL 2023-10-27 */
    {1, 16, "2020-08-04", KC_EOL_SUPPORTED},
    {1, 16, "2020-08-05", KC_EOL_PAST},
    {1, 15, "2019-07-01", KC_EOL_PAST},      /* no published date */
    {1, 0, "2015-07-11", KC_EOL_PAST},
    {1, 30, "2024-02-05", KC_EOL_SUPPORTED}, /* prerelease era, in table */
    {1, 37, "2026-11-29", KC_EOL_SUPPORTED},
    {1, 38, "2026-11-29", KC_EOL_NEWER},     /* never silently supported */
    {1, 380, "2000-01-01", KC_EOL_NEWER},
    {0, 6, "2024-02-05", KC_EOL_NO_VERSION},
    {2, 0, "2024-02-05", KC_EOL_NO_VERSION},
    {-1, -1, "2024-02-05", KC_EOL_NO_VERSION},
    {1, -1, "2024-02-05", KC_EOL_NO_VERSION},
};

static void test_eol_rules(void **state)
{
    struct kc_releases *rel = NULL;
    (void)state;
    assert_int_equal(kc_releases_default(&rel, NULL), 0);
    for (size_t i = 0; i < KC_ARRAY_LEN(eol_cases); i++) {
        enum kc_eol got = kc_releases_status(rel, eol_cases[i].major,
                                             eol_cases[i].minor,
                                             eol_cases[i].date);
        if (got != eol_cases[i].want)
            fail_msg("case %zu: 1.%d on %s: %s, want %s", i,
                     eol_cases[i].minor, eol_cases[i].date, kc_eol_str(got),
                     kc_eol_str(eol_cases[i].want));
    }
    kc_releases_free(rel);
}

static void test_releases_merge(void **state)
{
    struct kc_releases *rel = NULL;
    struct kc_error err;
    const char *extra = "minor,released,maintenance_mode,end_of_life,note\r\n"
                        "1.38,2026-12-10,,2028-02-28,\r\n"
                        "1.26,2022-12-08,,2030-01-01,extended, by a user\n";
    (void)state;
    assert_int_equal(kc_releases_default(&rel, NULL), 0);
    assert_int_equal(kc_releases_merge(rel, extra, strlen(extra), &err), 0);
    assert_int_equal(kc_releases_status(rel, 1, 38, "2026-12-01"),
                     KC_EOL_SUPPORTED);
    assert_int_equal(kc_releases_status(rel, 1, 39, "2026-12-01"),
                     KC_EOL_NEWER);
    assert_int_equal(kc_releases_status(rel, 1, 26, "2029-01-01"),
                     KC_EOL_SUPPORTED); /* the file replaced the row */
    kc_releases_free(rel);
}

static const struct {
    const char *text;
    const char *want_in_msg;
} bad_tables[] = {
    {"", "empty"},
    {"version,eol\n1.2,2020-01-01\n", "header"},
    {"minor,released,maintenance_mode,end_of_life\nx.2,,,\n", "line 2"},
    {"minor,released,maintenance_mode,end_of_life\n1.2,,\n", "line 2"},
    {"minor,released,maintenance_mode,end_of_life\n1.2,,,2020-1-1\n",
     "YYYY-MM-DD"},
    {"minor,released,maintenance_mode,end_of_life\n2.0,,,2020-01-01\n",
     "1.N"},
};

static void test_releases_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(bad_tables); i++) {
        struct kc_releases *rel = NULL;
        struct kc_error err;
        kc_error_clear(&err);
        assert_int_equal(kc_releases_default(&rel, NULL), 0);
        assert_int_equal(kc_releases_merge(rel, bad_tables[i].text,
                                           strlen(bad_tables[i].text), &err),
                         -EINVAL);
        if (strstr(err.msg, bad_tables[i].want_in_msg) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
                     bad_tables[i].want_in_msg);
        kc_releases_free(rel);
    }
}

static void test_releases_file_missing(void **state)
{
    struct kc_releases *rel = NULL;
    struct kc_error err;
    (void)state;
    assert_int_equal(kc_releases_default(&rel, NULL), 0);
    assert_true(kc_releases_merge_file(rel, "/nonexistent/rel.csv", &err) <
                0);
    assert_non_null(strstr(err.msg, "/nonexistent/rel.csv"));
    kc_releases_free(rel);
}

static const struct {
    const char *a, *b;
    int want; /* sign */
} cmp_cases[] = {
    {"1.9", "1.10", -1},
    {"1.10", "1.9", 1},
    {"1.26", "1.26", 0},
    {"v1.2.3", "v1.2.10", -1},
    {"v1.27.8-gke.1067004", "v1.27.8-gke.200", 1},
    {"v1.9.0", "v1.10.0", -1},
    {"0.6", "1.0", -1},
    {"", "1.0", 1},
    {"1.0", "", -1},
    {"", "", 0},
    {"1.2", "1.2.1", -1},
    {"v1.20", "1.20", 1}, /* text after digits: "v" > digit run */
    {"0001.02", "1.2", 0},
};

static void test_version_cmp(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(cmp_cases); i++) {
        int c = kc_version_cmp(cmp_cases[i].a, cmp_cases[i].b);
        int s = (c > 0) - (c < 0);
        if (s != cmp_cases[i].want)
            fail_msg("case %zu: cmp(%s, %s) = %d", i, cmp_cases[i].a,
                     cmp_cases[i].b, c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eol_rules),
        cmocka_unit_test(test_releases_merge),
        cmocka_unit_test(test_releases_bad),
        cmocka_unit_test(test_releases_file_missing),
        cmocka_unit_test(test_version_cmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
