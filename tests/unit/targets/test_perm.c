/* test_perm.c - the keyed permutation is a bijection (targets/perm.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "targets-private.h"

static void check_bijection(uint64_t n, uint64_t seed)
{
    struct kc_perm p;
    uint8_t *seen = calloc(n ? n : 1, 1);
    size_t fixed = 0;
    assert_non_null(seen);
    kc_perm_init(&p, n, seed);
    for (uint64_t x = 0; x < n; x++) {
        uint64_t y = kc_perm_apply(&p, x);
        assert_true(y < n);
        assert_int_equal(seen[y], 0);
        seen[y] = 1;
        fixed += y == x;
    }
    /* A permutation that moves nothing would be no shuffle at all. */
    if (n > 64)
        assert_true(fixed < n / 4);
    free(seen);
}

static void test_small_spaces(void **state)
{
    (void)state;
    for (uint64_t n = 1; n <= 300; n++)
        for (uint64_t seed = 0; seed < 4; seed++)
            check_bijection(n, seed * 0x1234567 + n);
}

static void test_odd_sizes(void **state)
{
    const uint64_t sizes[] = {1023, 1024, 1025, 4097, 65535, 65537, 100003};
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(sizes); i++)
        check_bijection(sizes[i], 42);
}

static void test_seed_changes_order(void **state)
{
    struct kc_perm a, b, a2;
    size_t same = 0;
    (void)state;
    kc_perm_init(&a, 1000, 1);
    kc_perm_init(&a2, 1000, 1);
    kc_perm_init(&b, 1000, 2);
    for (uint64_t x = 0; x < 1000; x++) {
        assert_int_equal(kc_perm_apply(&a, x), kc_perm_apply(&a2, x));
        same += kc_perm_apply(&a, x) == kc_perm_apply(&b, x);
    }
    assert_true(same < 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_spaces),
        cmocka_unit_test(test_odd_sizes),
        cmocka_unit_test(test_seed_changes_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
