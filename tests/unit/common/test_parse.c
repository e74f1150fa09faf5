/* test_parse.c - common/parse.c: strict integers, durations, shards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common.h"

static const struct {
    const char *in;
    uint64_t min, max;
    bool ok;
    uint64_t want;
} u64_cases[] = {
    {"0", 0, 10, true, 0},
    {"10", 0, 10, true, 10},
    {"11", 0, 10, false, 0},
    {"18446744073709551615", 0, UINT64_MAX, true, UINT64_MAX},
    {"18446744073709551616", 0, UINT64_MAX, false, 0},
    {"99999999999999999999", 0, UINT64_MAX, false, 0},
    {"", 0, 10, false, 0},
    {" 1", 0, 10, false, 0},
    {"1 ", 0, 10, false, 0},
    {"+1", 0, 10, false, 0},
    {"-1", 0, 10, false, 0},
    {"0x10", 0, 100, false, 0},
    {"5", 6, 10, false, 0},
    {"007", 0, 10, true, 7},
};

static void test_u64(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(u64_cases); i++) {
        uint64_t v = 4242;
        bool ok = kc_parse_u64(u64_cases[i].in, u64_cases[i].min,
                               u64_cases[i].max, &v);
        assert_int_equal(ok, u64_cases[i].ok);
        if (ok)
            assert_int_equal(v, u64_cases[i].want);
        else
            assert_int_equal(v, 4242); /* untouched on failure */
    }
}

static void test_i64(void **state)
{
    int64_t v = 0;
    (void)state;
    assert_true(kc_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MIN);
    assert_true(kc_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MAX);
    assert_false(kc_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v));
    assert_false(kc_parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v));
    assert_false(kc_parse_i64("-", INT64_MIN, INT64_MAX, &v));
    assert_false(kc_parse_i64("--1", INT64_MIN, INT64_MAX, &v));
    assert_true(kc_parse_i64("-5", -10, 10, &v));
    assert_int_equal(v, -5);
    assert_false(kc_parse_i64("-11", -10, 10, &v));
}

static void test_port(void **state)
{
    uint16_t p = 7;
    (void)state;
    assert_true(kc_parse_port("6443", &p));
    assert_int_equal(p, 6443);
    assert_true(kc_parse_port("65535", &p));
    assert_false(kc_parse_port("0", &p));
    assert_false(kc_parse_port("65536", &p));
    assert_false(kc_parse_port("443a", &p));
    assert_int_equal(p, 65535);
}

static const struct {
    const char *in;
    bool ok;
    uint64_t ms;
} dur_cases[] = {
    {"10", true, 10000},  {"10s", true, 10000}, {"250ms", true, 250},
    {"0.5", true, 500},   {"1.25s", true, 1250}, {"2m", true, 120000},
    {"1h", true, 3600000}, {"", false, 0},       {"s", false, 0},
    {"1.", false, 0},     {".5", false, 0},      {"10x", false, 0},
    {"-1", false, 0},     {"1.1234567", false, 0},
    {"99999999999999999999", false, 0},
};

static void test_duration(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(dur_cases); i++) {
        uint64_t v = 1;
        bool ok = kc_parse_duration_ms(dur_cases[i].in, 0, UINT64_MAX, &v);
        assert_int_equal(ok, dur_cases[i].ok);
        if (ok)
            assert_int_equal(v, dur_cases[i].ms);
    }
    uint64_t v;
    assert_false(kc_parse_duration_ms("0", 1, 1000, &v));
    assert_false(kc_parse_duration_ms("2s", 1, 1000, &v));
}

static void test_shard(void **state)
{
    uint32_t i = 9, n = 9;
    (void)state;
    assert_true(kc_parse_shard("0/1", &i, &n));
    assert_int_equal(i, 0);
    assert_int_equal(n, 1);
    assert_true(kc_parse_shard("3/4", &i, &n));
    assert_int_equal(i, 3);
    assert_false(kc_parse_shard("4/4", &i, &n));
    assert_false(kc_parse_shard("1/0", &i, &n));
    assert_false(kc_parse_shard("1", &i, &n));
    assert_false(kc_parse_shard("/4", &i, &n));
    assert_false(kc_parse_shard("1/", &i, &n));
    assert_false(kc_parse_shard("1/4/", &i, &n));
    assert_int_equal(i, 3);
}

/* Dates that exist, the leap-year rules, the shape, and the date part of
 * a timestamp (n = 10 of a longer string). */
static void test_date(void **state)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"2024-02-05", true},  {"2024-02-29", true},  {"2000-02-29", true},
        {"1970-01-01", true},  {"2026-12-31", true},  {"2023-02-29", false},
        {"1900-02-29", false}, {"2100-02-29", false}, {"2024-02-30", false},
        {"2024-04-31", false}, {"2024-13-01", false}, {"2024-00-10", false},
        {"2024-01-00", false}, {"1969-12-31", false}, {"2024-1-010", false},
        {"2024/01/01", false}, {"+024-01-01", false}, {"2024-01-0a", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (kc_parse_date(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("kc_parse_date(\"%s\") != %d", cases[i].s, cases[i].ok);
    assert_true(kc_parse_date("2026-12-06T18:35:04.705Z", 10));
    assert_false(kc_parse_date("2026-12-06T18:35:04.705Z", 11));
    assert_false(kc_parse_date("2026-12-0", 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64),      cmocka_unit_test(test_i64),
        cmocka_unit_test(test_port),     cmocka_unit_test(test_duration),
        cmocka_unit_test(test_shard),    cmocka_unit_test(test_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
