/* Tests scanner/rate.c with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scanner-private.h"

struct rate_case {
    double per_sec;
    uint64_t span_ms;   /* simulated time, polled every ms */
    uint64_t min, max;  /* tokens granted */
};

static const struct rate_case cases[] = {
    {1000, 1000, 990, 1051},
    {10, 1000, 9, 11},
    {2000, 500, 990, 1101},
    {0, 100, 100000, 100000}, /* unlimited: every ask succeeds */
};

static void test_rates(void **state)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        const struct rate_case *c = &cases[i];
        struct kc_rate r;
        uint64_t got = 0;
        kc_rate_init(&r, c->per_sec, 1000);
        for (uint64_t t = 1000; t < 1000 + c->span_ms; t++) {
            /* ask up to 1000 times per simulated ms */
            for (int k = 0; k < 1000 && kc_rate_take(&r, t); k++)
                got++;
        }
        if (got < c->min || got > c->max)
            print_error("rate %.0f: got %lu\n", c->per_sec,
                        (unsigned long)got);
        assert_true(got >= c->min && got <= c->max);
    }
}

static void test_wait(void **state)
{
    struct kc_rate r;
    kc_rate_init(&r, 10, 0);
    assert_true(kc_rate_take(&r, 0));
    assert_false(kc_rate_take(&r, 0));
    uint64_t w = kc_rate_wait_ms(&r, 0);
    assert_true(w >= 99 && w <= 101);
    assert_int_equal(kc_rate_wait_ms(&r, 100), 0);
}

/* Borrowing ahead: up to max_debt tokens below zero, then a wait; new
 * connections (kc_rate_take) wait until the debt is repaid. */
static void test_take_ahead(void **state)
{
    struct kc_rate r;
    kc_rate_init(&r, 10, 0); /* 1 token now, one per 100 ms */
    assert_int_equal(kc_rate_take_ahead(&r, 0, 2.0), 0); /* the token */
    assert_int_equal(kc_rate_take_ahead(&r, 0, 2.0), 0); /* -1 */
    assert_int_equal(kc_rate_take_ahead(&r, 0, 2.0), 0); /* -2 */
    uint64_t w = kc_rate_take_ahead(&r, 0, 2.0);
    assert_true(w >= 99 && w <= 101);
    assert_false(kc_rate_take(&r, 250));     /* -2 + 2.5 < 1 */
    w = kc_rate_wait_ms(&r, 250);
    assert_true(w >= 49 && w <= 51);         /* a whole token at 300 ms */
    assert_true(kc_rate_take(&r, 300));
    kc_rate_init(&r, 0, 0);                  /* unlimited */
    assert_int_equal(kc_rate_take_ahead(&r, 0, 1.0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_wait),
        cmocka_unit_test(test_take_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
