/* test_truth.c - tests/fleet/truth.c: vendor rules, per-case truth, CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleet.h"

static const struct vendor_case {
    const char *git_version;
    enum kc_vendor vendor;
} vendor_cases[] = {
    {"v1.27.8-gke.1067004", KC_VENDOR_GKE},
    {"v1.28.5-eks-5e0fdde", KC_VENDOR_EKS},
    {"v1.24.17-eks.1", KC_VENDOR_EKS},
    {"v1.26.13+IKS", KC_VENDOR_IKS},
    {"v1.26.3-aliyun.1", KC_VENDOR_ALIYUN},
    {"v1.26.1-tke.6", KC_VENDOR_TKE},
    {"v1.29.2+k3s1", KC_VENDOR_K3S},
    {"v1.30.4+rke2r1", KC_VENDOR_RKE2},
    {"v1.28.4+k0s", KC_VENDOR_K0S},
    {"v1.25.7+vmware.1", KC_VENDOR_VMWARE},
    {"v1.27.2-vke.3", KC_VENDOR_VKE},
    {"v1.27.3-hpe1", KC_VENDOR_HPE},
    {"v1.20.5-34+40f5951bd9888a", KC_VENDOR_MICROK8S},
    {"v1.28.6+6216ea1", KC_VENDOR_OPENSHIFT},
    {"v1.25.16+a4e782e", KC_VENDOR_OPENSHIFT},
    {"v1.21.1-3070+cebc8f5f9d2ef3-dirty", KC_VENDOR_OPENSHIFT},
    {"v1.28.5", KC_VENDOR_UPSTREAM},
    {"v1.31.0-rc.1", KC_VENDOR_UPSTREAM},
    {"v1.22.0-alpha.3", KC_VENDOR_UPSTREAM},
    {"v1.23.3-custom", KC_VENDOR_OTHER},
    {"1.28.5", KC_VENDOR_OTHER},
};

static void test_vendor_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(vendor_cases); i++) {
        enum kc_vendor v = fleet_vendor_of(vendor_cases[i].git_version);
        if (v != vendor_cases[i].vendor)
            fail_msg("%s: got %s want %s", vendor_cases[i].git_version,
                     kc_vendor_str(v), kc_vendor_str(vendor_cases[i].vendor));
    }
    assert_int_equal(fleet_vendor_of(NULL), KC_VENDOR_NONE);
}

static const struct truth_case {
    enum fleet_behaviour b;
    enum fleet_fault f;
    bool port_listed;
    enum kc_outcome outcome;
    enum kc_phase phase;
    int is_k8s;
    enum kc_posture posture, posture_ext;
    bool has_version;
    bool has_cn;
} truth_cases[] = {
    {FLEET_B_OPEN, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_OPEN, KC_POSTURE_OPEN, true, true},
    {FLEET_B_LIMITED, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_LIMITED, KC_POSTURE_LIMITED, false, true},
    {FLEET_B_RBAC_DENIED, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_RBAC_DENIED, KC_POSTURE_RBAC_DENIED, false, true},
    {FLEET_B_DISABLED, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_DISABLED, KC_POSTURE_DISABLED, false, true},
    {FLEET_B_WIDE_OPEN, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_LEGACY, KC_POSTURE_WIDE_OPEN, true, true},
    {FLEET_B_LEGACY, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_LEGACY, KC_POSTURE_LEGACY, true, true},
    {FLEET_B_ALWAYS_ALLOW, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 1,
     KC_POSTURE_LEGACY, KC_POSTURE_WIDE_OPEN, true, true},
    {FLEET_B_NOT_K8S_HTML, FLEET_F_NONE, true, KC_OUTCOME_OK, KC_PHASE_NONE, 0,
     KC_POSTURE_NONE, KC_POSTURE_NONE, false, true},
    {FLEET_B_OPEN, FLEET_F_NONE, false, KC_OUTCOME_REFUSED, KC_PHASE_NONE, -1,
     KC_POSTURE_NONE, KC_POSTURE_NONE, false, false},
    {FLEET_B_OPEN, FLEET_F_REFUSED, true, KC_OUTCOME_REFUSED, KC_PHASE_NONE,
     -1, KC_POSTURE_NONE, KC_POSTURE_NONE, false, false},
    {FLEET_B_OPEN, FLEET_F_SILENT_TLS, true, KC_OUTCOME_TIMEOUT, KC_PHASE_TLS,
     -1, KC_POSTURE_NONE, KC_POSTURE_NONE, false, false},
    {FLEET_B_OPEN, FLEET_F_SILENT_RESPONSE, true, KC_OUTCOME_TIMEOUT,
     KC_PHASE_RESPONSE, -1, KC_POSTURE_NONE, KC_POSTURE_NONE, false, true},
    {FLEET_B_OPEN, FLEET_F_RESET, true, KC_OUTCOME_CLOSED, KC_PHASE_NONE, -1,
     KC_POSTURE_NONE, KC_POSTURE_NONE, false, false},
    {FLEET_B_OPEN, FLEET_F_TLS_GARBAGE, true, KC_OUTCOME_TLS_ERROR,
     KC_PHASE_NONE, -1, KC_POSTURE_NONE, KC_POSTURE_NONE, false, false},
};

static void test_truth_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(truth_cases); i++) {
        const struct truth_case *tc = &truth_cases[i];
        struct fleet_member m = {
            .addr = 0x7f100000u, .behaviour = tc->b, .fault = tc->f,
            .port_mask = tc->port_listed ? 1 : 2, .git_version = "v1.28.5",
            .vendor = KC_VENDOR_UPSTREAM, .cert = FLEET_CERT_KUBEADM};
        struct fleet_plan p = {.base = m.addr, .n_members = 1, .members = &m,
                               .n_ports = 2, .ports = {443, 6443}};
        struct fleet_truth t;
        fleet_truth_of(&p, &m, 0, &t);
        if (t.outcome != tc->outcome || t.phase != tc->phase ||
            t.is_kubernetes != tc->is_k8s || t.posture != tc->posture ||
            t.posture_extended != tc->posture_ext ||
            (t.git_version != NULL) != tc->has_version ||
            (t.vendor != KC_VENDOR_NONE) != tc->has_version ||
            (t.cert_cn != NULL) != tc->has_cn)
            fail_msg("case %zu (%s/%s): %s/%s k8s=%d %s/%s", i,
                     fleet_behaviour_str(tc->b), fleet_fault_str(tc->f),
                     kc_outcome_str(t.outcome), kc_phase_str(t.phase),
                     t.is_kubernetes, kc_posture_str(t.posture),
                     kc_posture_str(t.posture_extended));
    }
}

static void test_csv(void **state)
{
    (void)state;
    struct fleet_member ms[2] = {
        {.addr = 0x7f100000u, .behaviour = FLEET_B_OPEN, .port_mask = 3,
         .git_version = "v1.29.2+k3s1", .vendor = KC_VENDOR_K3S,
         .cert = FLEET_CERT_K3S},
        {.addr = 0x7f100001u, .behaviour = FLEET_B_OPEN, .port_mask = 3,
         .fault = FLEET_F_SILENT_TLS, .git_version = "v1.28.5"},
    };
    struct fleet_plan p = {.base = 0x7f100000u, .n_members = 2, .members = ms,
                           .n_ports = 2, .ports = {443, 6443}};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(fleet_truth_write(&p, f), 0);
    fclose(f);
    assert_string_equal(
        text,
        "ip,port,outcome,phase,is_kubernetes,posture,posture_extended,"
        "git_version,vendor,cert_cn\n"
        "127.16.0.0,443,ok,,1,open,open,v1.29.2+k3s1,k3s,k3s\n"
        "127.16.0.0,6443,ok,,1,open,open,v1.29.2+k3s1,k3s,k3s\n"
        "127.16.0.1,443,timeout,tls,,,,,,\n"
        "127.16.0.1,6443,timeout,tls,,,,,,\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vendor_rules),
        cmocka_unit_test(test_truth_cases),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
