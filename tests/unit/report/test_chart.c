/* test_chart.c - report/chart.c: SVG and PNG from one drawing code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "hostile.h"

static struct kc_report_row hostile_row(size_t i)
{
    const char *h = hostile_strings[i];
    return (struct kc_report_row){h, 1, (int)(20 + i), h, h, 443, h, 0, h,
                                  i + 1};
}

static struct kc_report *hostile_report(const struct kc_releases *rel)
{
    struct kc_report_row rows[KC_ARRAY_LEN(hostile_strings)];
    for (size_t i = 0; i < KC_ARRAY_LEN(hostile_strings); i++)
        rows[i] = hostile_row(i);
    return fixture_report_rows(rel, 9, hostile_strings[11], "2024-02-05",
                               rows, KC_ARRAY_LEN(rows));
}

static void assert_svg(const struct kc_buf *b)
{
    const char *s = (const char *)b->data;
    assert_true(b->len > 500);
    assert_memory_equal(s, "<?xml", 5);
    assert_non_null(strstr(s, "<svg"));
    assert_non_null(strstr(s, "</svg>"));
    assert_null(strstr(s, "<script"));
    assert_null(strstr(s, "alert(1)"));
    assert_null(memchr(s, '\x1b', b->len));
}

static void assert_png(const struct kc_buf *b)
{
    assert_true(b->len > 1000);
    assert_memory_equal(b->data, "\x89PNG\r\n\x1a\n", 8);
}

static void test_charts_all_formats(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *reports[2] = {fixture_report(rel), hostile_report(rel)};
    (void)state;
    for (size_t r = 0; r < 2; r++)
        for (size_t c = 0; c < KC_CHART__COUNT; c++) {
            struct kc_buf b;
            struct kc_error err;
            kc_buf_init(&b, 32u << 20);
            if (kc_report_chart(reports[r], (enum kc_chart)c, KC_IMAGE_SVG,
                                &b, &err) != 0)
                fail_msg("report %zu chart %s: %s", r,
                         kc_chart_str((enum kc_chart)c), err.msg);
            kc_buf_append(&b, "", 1);
            assert_svg(&b);
            kc_buf_reset(&b);
            assert_int_equal(kc_report_chart(reports[r], (enum kc_chart)c,
                                             KC_IMAGE_PNG, &b, &err),
                             0);
            assert_png(&b);
            kc_buf_free(&b);
        }
    kc_report_free(reports[0]);
    kc_report_free(reports[1]);
    kc_releases_free(rel);
}

static void test_chart_buffer_limit(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    struct kc_buf b;
    struct kc_error err;
    (void)state;
    kc_buf_init(&b, 100);
    assert_int_equal(kc_report_chart(r, KC_CHART_MINOR, KC_IMAGE_PNG, &b,
                                     &err),
                     -ENOBUFS);
    kc_buf_free(&b);
    kc_report_free(r);
    kc_releases_free(rel);
}

static void test_trend_chart(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_trend *t = kc_trend_new();
    static const char *const dates[] = {"2023-01-01", "2023-06-01",
                                        "2024-02-05"};
    struct kc_buf b;
    struct kc_error err;
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(dates); i++)
        assert_int_equal(
            kc_trend_add(t, fixture_report_rows(rel, (int64_t)i + 1, NULL,
                                                dates[i], fixture_rows,
                                                KC_ARRAY_LEN(fixture_rows) -
                                                    i)),
            0);
    kc_buf_init(&b, 32u << 20);
    static const enum kc_agg charts[] = KC_TREND_CHARTS;
    for (size_t c = 0; c < KC_ARRAY_LEN(charts); c++) {
        kc_buf_reset(&b);
        assert_int_equal(kc_trend_chart(t, charts[c], KC_IMAGE_SVG, &b, &err),
                         0);
        kc_buf_append(&b, "", 1);
        assert_svg(&b);
        kc_buf_reset(&b);
        assert_int_equal(kc_trend_chart(t, charts[c], KC_IMAGE_PNG, &b, &err),
                         0);
        assert_png(&b);
    }
    /* Only shares that stack to one have a chart over time. */
    assert_int_equal(
        kc_trend_chart(t, KC_AGG_VENDOR, KC_IMAGE_SVG, &b, &err), -EINVAL);
    kc_buf_free(&b);
    kc_trend_free(t);
    kc_releases_free(rel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_charts_all_formats),
        cmocka_unit_test(test_chart_buffer_limit),
        cmocka_unit_test(test_trend_chart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
