/* test_spec.c - target spec and port list parsing (targets/spec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "targets-private.h"

static const struct {
    const char *in;
    bool ok;
    enum kc_spec_kind kind;
    const char *lo, *hi; /* address text (RANGE) */
    uint16_t port;
    const char *host;
} spec_cases[] = {
    {"1.2.3.4", true, KC_SPEC_RANGE, "1.2.3.4", "1.2.3.4", 0, NULL},
    {"1.2.3.4:6443", true, KC_SPEC_RANGE, "1.2.3.4", "1.2.3.4", 6443, NULL},
    {"10.0.0.0/8", true, KC_SPEC_RANGE, "10.0.0.0", "10.255.255.255", 0, NULL},
    {"10.1.2.3/24:443", true, KC_SPEC_RANGE, "10.1.2.0", "10.1.2.255", 443,
     NULL},
    {"0.0.0.0/0", true, KC_SPEC_RANGE, "0.0.0.0", "255.255.255.255", 0, NULL},
    {"192.0.2.10-192.0.2.20", true, KC_SPEC_RANGE, "192.0.2.10", "192.0.2.20",
     0, NULL},
    {"192.0.2.10-192.0.2.20:8443", true, KC_SPEC_RANGE, "192.0.2.10",
     "192.0.2.20", 8443, NULL},
    {"2001:db8::1", true, KC_SPEC_RANGE, "2001:db8::1", "2001:db8::1", 0, NULL},
    {"2001:db8::/120", true, KC_SPEC_RANGE, "2001:db8::", "2001:db8::ff", 0,
     NULL},
    {"[2001:db8::1]:443", true, KC_SPEC_RANGE, "2001:db8::1", "2001:db8::1",
     443, NULL},
    {"[2001:db8::/126]:6443", true, KC_SPEC_RANGE, "2001:db8::",
     "2001:db8::3", 6443, NULL},
    {"[2001:db8::1]", true, KC_SPEC_RANGE, "2001:db8::1", "2001:db8::1", 0,
     NULL},
    {"2001:db8::1-2001:db8::3", true, KC_SPEC_RANGE, "2001:db8::1",
     "2001:db8::3", 0, NULL},
    {"::ffff:1.2.3.4", true, KC_SPEC_RANGE, "1.2.3.4", "1.2.3.4", 0, NULL},
    {"host.example", true, KC_SPEC_HOST, NULL, NULL, 0, "host.example"},
    {"Host.Example:8443", true, KC_SPEC_HOST, NULL, NULL, 8443,
     "host.example"},
    {"localhost", true, KC_SPEC_HOST, NULL, NULL, 0, "localhost"},
    {"k8s-api_1.internal", true, KC_SPEC_HOST, NULL, NULL, 0,
     "k8s-api_1.internal"},
    {"", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3.4:0", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3.4:65536", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3.4:", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3.4:44x", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3.999", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3", false, 0, NULL, NULL, 0, NULL},
    {"10.0.0.0/33", false, 0, NULL, NULL, 0, NULL},
    {"10.0.0.0/", false, 0, NULL, NULL, 0, NULL},
    {"2001:db8::/129", false, 0, NULL, NULL, 0, NULL},
    {"192.0.2.20-192.0.2.10", false, 0, NULL, NULL, 0, NULL},
    {"1.2.3.4-2001:db8::1", false, 0, NULL, NULL, 0, NULL},
    {"[1.2.3.4]:443", false, 0, NULL, NULL, 0, NULL},
    {"[2001:db8::1", false, 0, NULL, NULL, 0, NULL},
    {"[2001:db8::1]443", false, 0, NULL, NULL, 0, NULL},
    {"-host.example", false, 0, NULL, NULL, 0, NULL},
    {"host-.example", false, 0, NULL, NULL, 0, NULL},
    {"host..example", false, 0, NULL, NULL, 0, NULL},
    {"host example", false, 0, NULL, NULL, 0, NULL},
    {"a:b:c", false, 0, NULL, NULL, 0, NULL},
    {"host.example:443:1", false, 0, NULL, NULL, 0, NULL},
};

static kc_u128 key_of(const char *s)
{
    struct kc_addr a;
    assert_true(kc_addr_parse(s, &a));
    return kc_key_from_addr(&a);
}

static void test_spec_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(spec_cases); i++) {
        struct kc_spec sp;
        bool ok = kc_spec_parse(spec_cases[i].in, &sp);
        print_message("case %zu: '%s'\n", i, spec_cases[i].in);
        assert_int_equal(ok, spec_cases[i].ok);
        assert_int_equal(kc_target_spec_valid(spec_cases[i].in), ok);
        if (!ok)
            continue;
        assert_int_equal(sp.kind, spec_cases[i].kind);
        assert_int_equal(sp.port, spec_cases[i].port);
        if (sp.kind == KC_SPEC_HOST) {
            assert_string_equal(sp.host, spec_cases[i].host);
        } else {
            assert_true(sp.lo == key_of(spec_cases[i].lo));
            assert_true(sp.hi == key_of(spec_cases[i].hi));
        }
    }
}

static const struct {
    const char *in;
    bool ok;
    size_t n;
    uint16_t first, last;
} port_cases[] = {
    {"443", true, 1, 443, 443},
    {"443,6443", true, 2, 443, 6443},
    {"443,6443,443", true, 2, 443, 6443},
    {"8000-8010", true, 11, 8000, 8010},
    {"1-64", true, 64, 1, 64},
    {"1-65", false, 0, 0, 0},
    {"0", false, 0, 0, 0},
    {"", false, 0, 0, 0},
    {"443,", false, 0, 0, 0},
    {",443", false, 0, 0, 0},
    {"10-5", false, 0, 0, 0},
    {"65536", false, 0, 0, 0},
    {"44 3", false, 0, 0, 0},
};

static void test_ports_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(port_cases); i++) {
        uint16_t ports[KC_TARGETS_MAX_PORTS] = {7};
        size_t n = 99;
        bool ok = kc_ports_parse(port_cases[i].in, ports, KC_TARGETS_MAX_PORTS,
                                 &n);
        print_message("case %zu: '%s'\n", i, port_cases[i].in);
        assert_int_equal(ok, port_cases[i].ok);
        if (!ok) {
            assert_int_equal(n, 99); /* untouched on failure */
            assert_int_equal(ports[0], 7);
            continue;
        }
        assert_int_equal(n, port_cases[i].n);
        assert_int_equal(ports[0], port_cases[i].first);
        assert_int_equal(ports[n - 1], port_cases[i].last);
    }
}

static void test_key_roundtrip(void **state)
{
    const char *addrs[] = {"0.0.0.0", "1.2.3.4", "255.255.255.255", "::",
                           "::1", "2001:db8::abcd", "ffff::1"};
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(addrs); i++) {
        struct kc_addr a, b;
        assert_true(kc_addr_parse(addrs[i], &a));
        kc_key_to_addr(kc_key_from_addr(&a), &b);
        assert_int_equal(a.family, b.family);
        assert_memory_equal(a.bytes, b.bytes, 16);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_table),
        cmocka_unit_test(test_ports_table),
        cmocka_unit_test(test_key_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
