/* test_classify_agree.c - the fleet's truth against classify/: every
 * behaviour's real answers (respond.c), fed to kc_classify() with the
 * default and the extended probe set, must give the truth's
 * is_kubernetes, posture and vendor; and the fleet's vendor rules must agree
 * with kc_vendor_classify() on every Censys bucket string the specs use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"
#include "fleet.h"

#ifndef CENSYS_CSV
#error "CENSYS_CSV must name the bucket file"
#endif

/* Splits one HTTP response from respond.c into a probe result. */
static void fill_probe(struct kc_probe_result *pr, const struct kc_buf *b)
{
    const char *s = (const char *)b->data;
    const char *end = strstr(s, "\r\n\r\n");
    assert_non_null(end);
    assert_int_equal(sscanf(s, "HTTP/1.1 %d", &pr->status), 1);
    pr->sent = pr->answered = true;
    pr->outcome = KC_OUTCOME_OK;
    for (const char *line = strstr(s, "\r\n") + 2; line < end;
         line = strstr(line, "\r\n") + 2) {
        const char *eol = strstr(line, "\r\n");
        if (strncmp(line, "Content-Type: ", 14) == 0)
            kc_bytes_set(&pr->content_type, line + 14,
                         (size_t)(eol - line - 14), KC_MAX_FIELD);
        pr->has_audit_id |= strncmp(line, "Audit-Id: ", 10) == 0;
        pr->has_pf_flowschema |=
            strncmp(line, "X-Kubernetes-Pf-Flowschema-Uid: ", 32) == 0;
        pr->has_pf_prioritylevel |=
            strncmp(line, "X-Kubernetes-Pf-Prioritylevel-Uid: ", 35) == 0;
    }
    size_t body_len = b->len - (size_t)(end + 4 - s);
    pr->body_total = body_len;
    kc_bytes_set(&pr->body, end + 4, body_len, KC_MAX_VERSION_BODY);
}

static void classify_member(const struct fleet_plan *p,
                            const struct fleet_member *m,
                            enum kc_probe_set set, struct kc_result *r)
{
    kc_result_init(r);
    r->outcome = KC_OUTCOME_OK;
    r->probe_set = set;
    r->n_probes = kc_probe_set_len(set);
    for (size_t i = 0; i < r->n_probes; i++) {
        struct kc_buf b;
        kc_buf_init(&b, 1 << 20);
        r->probes[i].id = kc_probe_set_at(set, i);
        assert_int_equal(fleet_respond(p, m, "GET",
                                       kc_probe_path(r->probes[i].id),
                                       FLEET_CRED_NONE, i, 1700000000,
                                       "Q0E=", &b), 0);
        b.data[b.len] = 0;
        fill_probe(&r->probes[i], &b);
        kc_buf_free(&b);
    }
    assert_int_equal(kc_classify(r), 0);
}

static void test_behaviours(void **state)
{
    (void)state;
    static const char *const versions[] = {
        "v1.28.5-eks-5e0fdde", "v1.29.2+k3s1", "v1.25.16+a4e782e",
        "v1.27.8-gke.1067004", "v1.12.10", "v1.33.1",
        "v1.15.12", "v1.16.0"}; /* either side of /livez's arrival */
    for (int b = 0; b < FLEET_B__COUNT; b++) {
        for (size_t v = 0; v < KC_ARRAY_LEN(versions); v++) {
            bool k8s = b != FLEET_B_NOT_K8S_HTML && b != FLEET_B_NOT_K8S_JSON;
            struct fleet_member m = {
                .addr = 0x7f100007u, .id = 7, .behaviour = b,
                .port_mask = 1, .cert = FLEET_CERT_KUBEADM,
                .git_version = k8s ? versions[v] : NULL,
                .vendor = k8s ? fleet_vendor_of(versions[v]) : KC_VENDOR_NONE};
            struct fleet_plan p = {.base = m.addr, .n_members = 1,
                                   .members = &m, .n_ports = 1,
                                   .ports = {443}};
            struct fleet_truth t;
            fleet_truth_of(&p, &m, 0, &t);
            struct kc_result r, x;
            classify_member(&p, &m, KC_PROBES_DEFAULT, &r);
            classify_member(&p, &m, KC_PROBES_EXTENDED, &x);
            const char *gv = kc_bytes_present(&r.git_version)
                                 ? r.git_version.data : NULL;
            bool same_gv = (gv == NULL && t.git_version == NULL) ||
                           (gv && t.git_version &&
                            strcmp(gv, t.git_version) == 0);
            if (r.is_kubernetes != t.is_kubernetes ||
                r.posture != t.posture || x.posture != t.posture_extended ||
                !same_gv || (t.git_version && r.vendor != t.vendor))
                fail_msg("%s %s: classify k8s=%d %s/%s gv=%s vendor=%s; "
                         "truth k8s=%d %s/%s gv=%s vendor=%s (evidence %s)",
                         fleet_behaviour_str(b), versions[v], r.is_kubernetes,
                         kc_posture_str(r.posture), kc_posture_str(x.posture),
                         gv ? gv : "NULL", kc_vendor_str(r.vendor),
                         t.is_kubernetes, kc_posture_str(t.posture),
                         kc_posture_str(t.posture_extended),
                         t.git_version ? t.git_version : "NULL",
                         kc_vendor_str(t.vendor), r.evidence);
            kc_result_clear(&r);
            kc_result_clear(&x);
        }
    }
}

static void test_vendor_agree(void **state)
{
    (void)state;
    FILE *f = fopen(CENSYS_CSV, "r");
    assert_non_null(f);
    char line[512];
    unsigned n = 0, bad = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *comma = strrchr(line, ',');
        if (!comma || strncmp(line, "git_version,", 12) == 0)
            continue;
        *comma = 0;
        char suffix[64];
        enum kc_vendor mine = fleet_vendor_of(line);
        enum kc_vendor theirs =
            kc_vendor_classify(line, strlen(line), suffix, sizeof(suffix));
        n++;
        if (mine != theirs && bad++ < 10)
            print_error("%s: fleet %s, classify %s\n", line,
                        kc_vendor_str(mine), kc_vendor_str(theirs));
    }
    fclose(f);
    assert_true(n >= 1000);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_behaviours),
        cmocka_unit_test(test_vendor_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
