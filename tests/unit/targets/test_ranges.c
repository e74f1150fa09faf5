/* test_ranges.c - interval set operations (targets/ranges.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "targets-private.h"

struct iv {
    unsigned lo, hi;
};

static void fill(struct kc_ivals *s, const struct iv *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kc_ivals_add(s, v[i].lo, v[i].hi), 0);
}

static void expect(const struct kc_ivals *s, const struct iv *v, size_t n)
{
    assert_int_equal(s->n, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(s->v[i].lo == v[i].lo);
        assert_true(s->v[i].hi == v[i].hi);
    }
}

enum op { OP_NORMALIZE, OP_SUBTRACT, OP_INTERSECT };

static const struct {
    enum op op;
    struct iv a[4];
    size_t na;
    struct iv b[4];
    size_t nb;
    struct iv want[4];
    size_t nwant;
    unsigned count; /* overlap (normalize) or removed */
} cases[] = {
    {OP_NORMALIZE, {{5, 9}, {0, 3}, {8, 12}}, 3, {{0}}, 0,
     {{0, 3}, {5, 12}}, 2, 2},
    {OP_NORMALIZE, {{0, 3}, {4, 7}}, 2, {{0}}, 0, {{0, 7}}, 1, 0},
    {OP_NORMALIZE, {{0, 10}, {2, 3}, {2, 3}}, 3, {{0}}, 0, {{0, 10}}, 1, 4},
    {OP_SUBTRACT, {{0, 100}}, 1, {{10, 19}, {50, 50}}, 2,
     {{0, 9}, {20, 49}, {51, 100}}, 3, 11},
    {OP_SUBTRACT, {{0, 10}, {20, 30}}, 2, {{5, 25}}, 1, {{0, 4}, {26, 30}}, 2,
     12},
    {OP_SUBTRACT, {{5, 10}}, 1, {{0, 100}}, 1, {{0}}, 0, 6},
    {OP_SUBTRACT, {{5, 10}}, 1, {{11, 20}}, 1, {{5, 10}}, 1, 0},
    {OP_INTERSECT, {{0, 100}}, 1, {{10, 19}, {90, 200}}, 2,
     {{10, 19}, {90, 100}}, 2, 80},
    {OP_INTERSECT, {{0, 5}, {10, 15}}, 2, {{3, 12}}, 1, {{3, 5}, {10, 12}}, 2,
     6},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_ivals a = {0}, b = {0};
        kc_u128 count = 0;
        print_message("case %zu\n", i);
        fill(&a, cases[i].a, cases[i].na);
        fill(&b, cases[i].b, cases[i].nb);
        switch (cases[i].op) {
        case OP_NORMALIZE:
            count = kc_ivals_normalize(&a);
            break;
        case OP_SUBTRACT:
            kc_ivals_normalize(&a);
            kc_ivals_normalize(&b);
            assert_int_equal(kc_ivals_subtract(&a, &b, &count), 0);
            break;
        case OP_INTERSECT:
            kc_ivals_normalize(&a);
            kc_ivals_normalize(&b);
            assert_int_equal(kc_ivals_intersect(&a, &b, &count), 0);
            break;
        }
        expect(&a, cases[i].want, cases[i].nwant);
        assert_true(count == cases[i].count);
        for (size_t k = 0; k < cases[i].nwant; k++) {
            assert_true(kc_ivals_contains(&a, cases[i].want[k].lo));
            assert_true(kc_ivals_contains(&a, cases[i].want[k].hi));
        }
        kc_ivals_free(&a);
        kc_ivals_free(&b);
    }
}

static void test_contains(void **state)
{
    struct kc_ivals s = {0};
    const struct iv v[] = {{10, 20}, {30, 30}, {40, 50}};
    (void)state;
    fill(&s, v, 3);
    kc_ivals_normalize(&s);
    for (unsigned k = 0; k < 60; k++) {
        bool want = (k >= 10 && k <= 20) || k == 30 || (k >= 40 && k <= 50);
        assert_int_equal(kc_ivals_contains(&s, k), want);
    }
    assert_true(kc_ivals_size(&s) == 11 + 1 + 11);
    kc_ivals_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_contains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
