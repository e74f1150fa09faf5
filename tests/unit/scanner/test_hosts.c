/* Tests scanner/hosts.c: the per-address slot table shared by the loops
 * (--per-host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner-private.h"

enum op { ACQUIRE, ACQUIRE_PARK, UNPARK, GIVE_UP, RELEASE };

struct step {
    enum op op;
    const char *addr;
    bool want;          /* return value */
    uint32_t count;     /* slots held for addr afterwards */
    size_t entries;     /* table entries afterwards */
};

/* One script, cap 2: two slots, a third waits, a release hands its slot
 * over, giving up and releasing empty the table. */
static const struct step script[] = {
    {ACQUIRE, "10.0.0.1", true, 1, 1},
    {ACQUIRE, "10.0.0.1", true, 2, 1},
    {ACQUIRE, "10.0.0.1", false, 2, 1},          /* at cap, not parked */
    {ACQUIRE_PARK, "10.0.0.1", false, 2, 1},     /* parked: 1 waiter */
    {ACQUIRE_PARK, "10.0.0.1", false, 2, 1},     /* parked: 2 waiters */
    {ACQUIRE, "2001:db8::1", true, 1, 2},        /* another address */
    {ACQUIRE, "10.0.0.2", true, 1, 3},
    {UNPARK, "10.0.0.1", false, 2, 3},           /* still full */
    {RELEASE, "10.0.0.1", true, 1, 3},           /* true: waiters */
    {UNPARK, "10.0.0.1", true, 2, 3},            /* 1 waiter left */
    {GIVE_UP, "10.0.0.1", false, 2, 3},          /* 0 waiters */
    {RELEASE, "10.0.0.1", false, 1, 3},          /* false: none wait */
    {RELEASE, "10.0.0.1", false, 0, 2},          /* entry gone */
    {RELEASE, "10.0.0.1", false, 0, 2},          /* extra release: no-op */
    {UNPARK, "10.0.0.9", false, 0, 2},           /* unknown: no-op */
    {RELEASE, "2001:db8::1", false, 0, 1},
    {RELEASE, "10.0.0.2", false, 0, 0},
};

static void test_script(void **state)
{
    struct kc_hosts *h;
    assert_int_equal(kc_hosts_new(2, 16, &h), 0);
    for (size_t i = 0; i < KC_ARRAY_LEN(script); i++) {
        const struct step *s = &script[i];
        struct kc_addr a;
        assert_true(kc_addr_parse(s->addr, &a));
        bool got = false;
        switch (s->op) {
        case ACQUIRE: got = kc_hosts_acquire(h, &a, false); break;
        case ACQUIRE_PARK: got = kc_hosts_acquire(h, &a, true); break;
        case UNPARK: got = kc_hosts_unpark(h, &a, false); break;
        case GIVE_UP: got = kc_hosts_unpark(h, &a, true); break;
        case RELEASE: got = kc_hosts_release(h, &a); break;
        }
        if (got != s->want || kc_hosts_count(h, &a) != s->count ||
            kc_hosts_entries(h) != s->entries)
            print_error("step %zu: got %d count %u entries %zu\n", i, got,
                        kc_hosts_count(h, &a), kc_hosts_entries(h));
        assert_int_equal(got, s->want);
        assert_int_equal(kc_hosts_count(h, &a), s->count);
        assert_int_equal(kc_hosts_entries(h), s->entries);
    }
    kc_hosts_free(h);
}

/* Deletion shifts entries back: after many inserts and removals in a
 * scrambled order (with probe chains that wrap around the table), every
 * remaining address is still found and the table ends empty. */
static void test_many_addresses(void **state)
{
    enum { N = 1000 };
    struct kc_hosts *h;
    assert_int_equal(kc_hosts_new(1, N, &h), 0);
    struct kc_addr *a = calloc(N, sizeof(*a));
    for (size_t i = 0; i < N; i++) {
        a[i].family = 2; /* AF_INET */
        a[i].bytes[0] = 10;
        a[i].bytes[2] = (uint8_t)(i >> 8);
        a[i].bytes[3] = (uint8_t)i;
        assert_true(kc_hosts_acquire(h, &a[i], false));
        assert_false(kc_hosts_acquire(h, &a[i], false)); /* cap 1 */
    }
    assert_int_equal(kc_hosts_entries(h), N);
    bool *gone = calloc(N, sizeof(*gone));
    for (size_t k = 0; k < N; k++) {
        size_t i = (k * 617) % N; /* 617 is prime to 1000: a permutation */
        assert_false(kc_hosts_release(h, &a[i]));
        gone[i] = true;
        if (k % 97 == 0)
            for (size_t j = 0; j < N; j++)
                assert_int_equal(kc_hosts_count(h, &a[j]), gone[j] ? 0 : 1);
    }
    assert_int_equal(kc_hosts_entries(h), 0);
    free(gone);
    free(a);
    kc_hosts_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script),
        cmocka_unit_test(test_many_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
