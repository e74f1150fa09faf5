/* test_spec.c - tests/fleet/spec.c: spec parsing, exact apportionment,
 * determinism, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet.h"

static const char mixed_spec[] =
    "{\"seed\": 3, \"base\": \"127.20.0.0\", \"ports\": [443, 6443, 8443],"
    " \"groups\": ["
    "  {\"name\": \"a\", \"count\": 10, \"ports\": [6443],"
    "   \"behaviours\": {\"open\": 7, \"disabled\": 3},"
    "   \"faults\": {\"none\": 8, \"silent_tls\": 2},"
    "   \"versions\": {\"v1.28.5\": 1, \"v1.29.2+k3s1\": 1}},"
    "  {\"name\": \"b\", \"count\": 5, \"cert\": \"web\","
    "   \"behaviours\": {\"not_kubernetes_html\": 1}, \"latency_ms\": [5, 9]}"
    "]}";

static void test_plan_shape(void **state)
{
    (void)state;
    struct fleet_plan p;
    struct kc_error err = {0};
    assert_int_equal(fleet_plan_parse(&p, mixed_spec, NULL, 0, &err), 0);
    assert_int_equal(p.n_members, 15);
    assert_int_equal(p.n_ports, 3);
    assert_int_equal(p.base, 0x7f140000u);
    unsigned open = 0, silent = 0, k3s = 0;
    for (uint32_t i = 0; i < 10; i++) {
        const struct fleet_member *m = &p.members[i];
        assert_int_equal(m->addr, p.base + i);
        assert_int_equal(m->port_mask, 2); /* 6443 only */
        assert_true(fleet_member_listens(&p, m, 1));
        assert_false(fleet_member_listens(&p, m, 0));
        open += m->behaviour == FLEET_B_OPEN;
        silent += m->fault == FLEET_F_SILENT_TLS;
        if (m->vendor == KC_VENDOR_K3S) {
            k3s++;
            assert_int_equal(m->cert, FLEET_CERT_K3S); /* auto profile */
        }
    }
    assert_int_equal(open, 7);   /* largest remainder: exact */
    assert_int_equal(silent, 2);
    assert_int_equal(k3s, 5);
    for (uint32_t i = 10; i < 15; i++) {
        assert_null(p.members[i].git_version);
        assert_int_equal(p.members[i].cert, FLEET_CERT_WEB);
        assert_in_range(p.members[i].latency_ms, 5, 9);
        assert_int_equal(p.members[i].port_mask, 7);
    }
    assert_ptr_equal(fleet_plan_find(&p, p.base + 14), &p.members[14]);
    assert_null(fleet_plan_find(&p, p.base + 15));
    assert_null(fleet_plan_find(&p, p.base - 1));
    fleet_plan_free(&p);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct fleet_plan a, b, c;
    assert_int_equal(fleet_plan_parse(&a, mixed_spec, NULL, 0, NULL), 0);
    assert_int_equal(fleet_plan_parse(&b, mixed_spec, NULL, 0, NULL), 0);
    assert_int_equal(fleet_plan_parse(&c, mixed_spec, NULL, 99, NULL), 0);
    bool differs = false;
    for (uint32_t i = 0; i < a.n_members; i++) {
        assert_int_equal(a.members[i].behaviour, b.members[i].behaviour);
        assert_int_equal(a.members[i].fault, b.members[i].fault);
        assert_int_equal(a.members[i].latency_ms, b.members[i].latency_ms);
        differs |= a.members[i].behaviour != c.members[i].behaviour ||
                   a.members[i].fault != c.members[i].fault ||
                   a.members[i].latency_ms != c.members[i].latency_ms;
    }
    assert_true(differs); /* --seed changes the shuffle */
    fleet_plan_free(&a);
    fleet_plan_free(&b);
    fleet_plan_free(&c);
}

static const struct bad_case {
    const char *json;
    const char *msg_part;
} bad_cases[] = {
    {"", "spec: line"},
    {"[]", "not a JSON object"},
    {"{\"groups\": []}", "groups"},
    {"{\"base\": \"10.0.0.1\", \"groups\": [{\"count\": 1}]}", "127.0.0.0/8"},
    {"{\"ports\": [0], \"groups\": [{\"count\": 1}]}", "not a port"},
    {"{\"ports\": [443, 443], \"groups\": [{\"count\": 1}]}", "twice"},
    {"{\"groups\": [{\"count\": 0}]}", "count"},
    {"{\"groups\": [{\"count\": 1, \"behaviours\": {\"bogus\": 1}}]}",
     "unknown behaviours"},
    {"{\"groups\": [{\"count\": 1, \"faults\": {\"none\": 0}}]}", "sum to 0"},
    {"{\"groups\": [{\"count\": 1, \"ports\": [80]}]}", "not among"},
    {"{\"groups\": [{\"count\": 1, \"cert\": \"x\"}]}", "cert profile"},
    {"{\"groups\": [{\"count\": 1, \"http\": {\"spdy\": 1}}]}",
     "unknown http"},
    {"{\"groups\": [{\"count\": 1, \"leaf\": \"x\"}]}", "leaf is"},
    {"{\"groups\": [{\"count\": 1, \"keys\": {\"dsa\": 1}}]}", "unknown keys"},
    {"{\"groups\": [{\"count\": 1, \"cipher_order\": \"x\"}]}",
     "cipher_order is"},
    {"{\"groups\": [{\"count\": 1, \"latency_ms\": -1}]}", "latency_ms"},
    {"{\"groups\": [{\"count\": 1, \"versions_file\": \"/nonexistent\"}]}",
     "/nonexistent"},
    {"{\"base\": \"127.255.255.250\", \"groups\": [{\"count\": 10}]}",
     "do not fit"},
    {"{\"seed\": 1, \"seed\": 2, \"groups\": [{\"count\": 1}]}", "duplicate"},
};

static void test_bad_specs(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(bad_cases); i++) {
        struct fleet_plan p;
        struct kc_error err = {0};
        int rc = fleet_plan_parse(&p, bad_cases[i].json, NULL, 0, &err);
        if (rc >= 0 || !strstr(err.msg, bad_cases[i].msg_part))
            fail_msg("case %zu: rc %d msg '%s'", i, rc, err.msg);
        assert_null(p.members);
    }
}

/* HTTP framings: apportioned exactly, every member keep-alive without the
 * key, and adding the key to the last group leaves the other members as
 * they were (it is drawn last). */
static void test_http_framings(void **state)
{
    (void)state;
    static const char with_http[] =
        "{\"seed\": 3, \"base\": \"127.20.0.0\", \"ports\": [443, 6443, 8443],"
        " \"groups\": ["
        "  {\"name\": \"a\", \"count\": 10, \"ports\": [6443],"
        "   \"behaviours\": {\"open\": 7, \"disabled\": 3},"
        "   \"faults\": {\"none\": 8, \"silent_tls\": 2},"
        "   \"versions\": {\"v1.28.5\": 1, \"v1.29.2+k3s1\": 1}},"
        "  {\"name\": \"b\", \"count\": 5, \"cert\": \"web\","
        "   \"behaviours\": {\"not_kubernetes_html\": 1}, \"latency_ms\": [5, 9],"
        "   \"http\": {\"close\": 2, \"http10\": 1, \"eof_body\": 1,"
        "            \"renegotiate\": 1}}"
        "]}";
    struct fleet_plan a, b;
    assert_int_equal(fleet_plan_parse(&a, mixed_spec, NULL, 0, NULL), 0);
    assert_int_equal(fleet_plan_parse(&b, with_http, NULL, 0, NULL), 0);
    unsigned by[FLEET_H__COUNT] = {0};
    for (uint32_t i = 0; i < a.n_members; i++) {
        assert_int_equal(a.members[i].http, FLEET_H_KEEP_ALIVE);
        assert_int_equal(a.members[i].behaviour, b.members[i].behaviour);
        assert_int_equal(a.members[i].fault, b.members[i].fault);
        assert_int_equal(a.members[i].latency_ms, b.members[i].latency_ms);
        if (i >= 10)
            by[b.members[i].http]++;
        else
            assert_int_equal(b.members[i].http, FLEET_H_KEEP_ALIVE);
    }
    assert_int_equal(by[FLEET_H_CLOSE], 2);
    assert_int_equal(by[FLEET_H_HTTP10], 1);
    assert_int_equal(by[FLEET_H_EOF_BODY], 1);
    assert_int_equal(by[FLEET_H_RENEGOTIATE], 1);
    assert_true(fleet_http_closes(FLEET_H_EOF_BODY));
    assert_false(fleet_http_closes(FLEET_H_INTERIM));
    assert_false(fleet_http_closes(FLEET_H_CHUNKED));
    enum fleet_http h;
    assert_true(fleet_http_parse("interim", &h));
    assert_int_equal(h, FLEET_H_INTERIM);
    assert_string_equal(fleet_http_str(FLEET_H_RENEGOTIATE), "renegotiate");
    assert_true(fleet_http_parse("chunked", &h));
    assert_int_equal(h, FLEET_H_CHUNKED);
    fleet_plan_free(&a);
    fleet_plan_free(&b);
}

/* Every key type by name, apportioned exactly; cipher order per group. */
static void test_keys_and_order(void **state)
{
    (void)state;
    static const char spec[] =
        "{\"groups\": ["
        "  {\"name\": \"k\", \"count\": 12, \"cipher_order\": \"client\","
        "   \"keys\": {\"ecdsa\": 1, \"rsa\": 1, \"rsa-pss\": 1, \"p384\": 1,"
        "            \"p521\": 1, \"ed25519\": 1}},"
        "  {\"name\": \"s\", \"count\": 2}]}";
    struct fleet_plan p;
    struct kc_error err = {0};
    assert_int_equal(fleet_plan_parse(&p, spec, NULL, 0, &err), 0);
    unsigned per_key[FLEET_KEY__COUNT] = {0};
    for (uint32_t i = 0; i < 12; i++) {
        per_key[p.members[i].key]++;
        assert_true(p.members[i].client_order);
    }
    for (size_t k = 0; k < FLEET_KEY__COUNT; k++)
        assert_int_equal(per_key[k], 2);
    for (uint32_t i = 12; i < 14; i++) {
        assert_false(p.members[i].client_order); /* server order by default */
        assert_int_equal(p.members[i].key, FLEET_KEY_ECDSA);
    }
    fleet_plan_free(&p);
}

static void test_versions_file(void **state)
{
    (void)state;
    char path[] = "/tmp/fleet-versions-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("git_version,count\nv1.26.10-gke.1101000,300\nv1.25.16+a4e782e,100\n",
          f);
    fclose(f);
    char json[256];
    snprintf(json, sizeof(json),
             "{\"groups\": [{\"count\": 8, \"versions_file\": \"%s\"}]}", path);
    struct fleet_plan p;
    struct kc_error err = {0};
    assert_int_equal(fleet_plan_parse(&p, json, NULL, 0, &err), 0);
    unsigned gke = 0, ocp = 0;
    for (uint32_t i = 0; i < p.n_members; i++) {
        gke += p.members[i].vendor == KC_VENDOR_GKE;
        ocp += p.members[i].vendor == KC_VENDOR_OPENSHIFT;
    }
    assert_int_equal(gke, 6);
    assert_int_equal(ocp, 2);
    fleet_plan_free(&p);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_shape),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_keys_and_order),
        cmocka_unit_test(test_versions_file),
        cmocka_unit_test(test_http_framings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
