/* test_vocab.c - common/vocab.c: every name round-trips, no duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"

#define ROUND_TRIP(prefix, type, count, first)                          \
    do {                                                                \
        for (int v = (first); v < (count); v++) {                       \
            const char *s = kc_##prefix##_str((type)v);                 \
            type back;                                                  \
            assert_string_not_equal(s, "?");                            \
            assert_true(kc_##prefix##_parse(s, &back));                 \
            assert_int_equal(back, v);                                  \
        }                                                               \
        assert_string_equal(kc_##prefix##_str((type)(count)), "?");     \
    } while (0)

static void test_round_trip(void **state)
{
    (void)state;
    ROUND_TRIP(outcome, enum kc_outcome, KC_OUTCOME__COUNT, 0);
    ROUND_TRIP(phase, enum kc_phase, KC_PHASE__COUNT, 1);
    ROUND_TRIP(posture, enum kc_posture, KC_POSTURE__COUNT, 1);
    ROUND_TRIP(vendor, enum kc_vendor, KC_VENDOR__COUNT, 1);
    ROUND_TRIP(provider, enum kc_provider, KC_PROVIDER__COUNT, 1);
    ROUND_TRIP(probe, enum kc_probe_id, KC_PROBE__COUNT, 0);
    ROUND_TRIP(probe_set, enum kc_probe_set, KC_PROBES__COUNT, 0);
}

/* The exact strings other programs (SQL users, truth files) rely on. */
static void test_contract_strings(void **state)
{
    enum kc_outcome o;
    enum kc_posture p;
    enum kc_vendor v;
    (void)state;
    assert_string_equal(kc_outcome_str(KC_OUTCOME_TLS_ERROR), "tls_error");
    assert_string_equal(kc_posture_str(KC_POSTURE_RBAC_DENIED), "rbac_denied");
    assert_string_equal(kc_posture_str(KC_POSTURE_NONE), "");
    assert_string_equal(kc_vendor_str(KC_VENDOR_MICROK8S), "microk8s");
    assert_string_equal(kc_probe_path(KC_PROBE_CLUSTER_INFO),
                        "/api/v1/namespaces/kube-public/configmaps/cluster-info");
    assert_false(kc_outcome_parse("OK", &o));
    assert_false(kc_posture_parse("", &p));
    assert_false(kc_vendor_parse("gke ", &v));
    assert_false(kc_vendor_parse(NULL, &v));
}

static void test_probe_sets(void **state)
{
    (void)state;
    assert_int_equal(kc_probe_set_len(KC_PROBES_DEFAULT), 6);
    assert_int_equal(kc_probe_set_len(KC_PROBES_EXTENDED), 7);
    assert_int_equal(kc_probe_set_len(KC_PROBES_VERSION), 1);
    assert_int_equal(kc_probe_set_at(KC_PROBES_DEFAULT, 0), KC_PROBE_VERSION);
    assert_int_equal(kc_probe_set_at(KC_PROBES_EXTENDED, 6),
                     KC_PROBE_NAMESPACES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_contract_strings),
        cmocka_unit_test(test_probe_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
