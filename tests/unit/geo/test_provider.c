/* test_provider.c - geo/provider.c: the provider rules, and that
 * docs/geo.md lists every one of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "geo.h"

struct provider_case {
    const char *name;
    uint32_t asn;
    const char *sans;        /* NULL = no certificate */
    enum kc_vendor vendor;
    const char *git_version; /* NULL = none */
    enum kc_provider want;
};

static const struct provider_case cases[] = {
    /* ASN */
    {"aws 16509", 16509, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_AWS},
    {"aws 14618", 14618, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_AWS},
    {"gcp 15169", 15169, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_GCP},
    {"gcp 396982", 396982, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_GCP},
    {"azure 8075", 8075, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_AZURE},
    {"alibaba 45102", 45102, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_ALIBABA},
    {"alibaba 37963", 37963, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_ALIBABA},
    {"tencent 45090", 45090, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_TENCENT},
    {"tencent 132203", 132203, NULL, KC_VENDOR_NONE, NULL,
     KC_PROVIDER_TENCENT},
    {"ibm 36351", 36351, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_IBM},
    {"oracle 31898", 31898, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_ORACLE},
    {"do 14061", 14061, NULL, KC_VENDOR_NONE, NULL,
     KC_PROVIDER_DIGITALOCEAN},
    {"hetzner 24940", 24940, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_HETZNER},
    {"ovh 16276", 16276, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_OVH},
    {"unknown asn is other", 64512, NULL, KC_VENDOR_NONE, NULL,
     KC_PROVIDER_OTHER},
    {"nothing known", 0, NULL, KC_VENDOR_NONE, NULL, KC_PROVIDER_NONE},
    {"unrelated everything", 0, "DNS:kubernetes\nDNS:api.example.com",
     KC_VENDOR_UPSTREAM, "v1.29.1", KC_PROVIDER_NONE},

    /* SANs */
    {"eks san", 0,
     "DNS:kubernetes\nDNS:ABCDEF0123.gr7.us-west-2.eks.amazonaws.com\n"
     "IP:10.100.0.1",
     KC_VENDOR_NONE, NULL, KC_PROVIDER_AWS},
    {"aks san", 0, "DNS:kubernetes.default\nDNS:myaks-dns-1a2b3c.hcp.westeurope.azmk8s.io",
     KC_VENDOR_NONE, NULL, KC_PROVIDER_AZURE},
    {"aks san upper case", 0, "DNS:X.HCP.EASTUS.AZMK8S.IO", KC_VENDOR_NONE,
     NULL, KC_PROVIDER_AZURE},
    {"wildcard san", 0, "DNS:*.k8s.ondigitalocean.com", KC_VENDOR_NONE, NULL,
     KC_PROVIDER_DIGITALOCEAN},
    {"iks san", 0, "DNS:c100.us-south.containers.cloud.ibm.com",
     KC_VENDOR_NONE, NULL, KC_PROVIDER_IBM},
    {"ip san never matches", 0, "IP:azmk8s.io\nURI:https://x.azmk8s.io",
     KC_VENDOR_NONE, NULL, KC_PROVIDER_NONE},
    {"suffix must be a label boundary", 0, "DNS:evilazmk8s.io",
     KC_VENDOR_NONE, NULL, KC_PROVIDER_NONE},
    {"bare domain is not a subdomain", 0, "DNS:azmk8s.io", KC_VENDOR_NONE,
     NULL, KC_PROVIDER_NONE},
    {"last line without newline", 0, "DNS:a\nDNS:b.gke.goog",
     KC_VENDOR_NONE, NULL, KC_PROVIDER_GCP},
    {"empty lines", 0, "\n\nDNS:\n", KC_VENDOR_NONE, NULL, KC_PROVIDER_NONE},

    /* vendor and gitVersion */
    {"vendor eks", 0, NULL, KC_VENDOR_EKS, NULL, KC_PROVIDER_AWS},
    {"vendor gke", 0, NULL, KC_VENDOR_GKE, NULL, KC_PROVIDER_GCP},
    {"vendor iks", 0, NULL, KC_VENDOR_IKS, NULL, KC_PROVIDER_IBM},
    {"vendor aliyun", 0, NULL, KC_VENDOR_ALIYUN, NULL, KC_PROVIDER_ALIBABA},
    {"vendor tke", 0, NULL, KC_VENDOR_TKE, NULL, KC_PROVIDER_TENCENT},
    {"vendor k3s says nothing", 0, NULL, KC_VENDOR_K3S, "v1.28.5+k3s1",
     KC_PROVIDER_NONE},
    {"git eks", 0, NULL, KC_VENDOR_NONE, "v1.28.5-eks-5e0fdde",
     KC_PROVIDER_AWS},
    {"git gke", 0, NULL, KC_VENDOR_NONE, "v1.27.8-gke.1067004",
     KC_PROVIDER_GCP},
    {"git aliyun", 0, NULL, KC_VENDOR_NONE, "v1.22.15-aliyun.1",
     KC_PROVIDER_ALIBABA},
    {"git tke", 0, NULL, KC_VENDOR_NONE, "v1.20.6-tke.12",
     KC_PROVIDER_TENCENT},
    {"git iks", 0, NULL, KC_VENDOR_NONE, "v1.28.4+IKS", KC_PROVIDER_IBM},

    /* precedence: ASN first, then SANs, vendor, gitVersion */
    {"asn beats san", 24940, "DNS:x.eks.amazonaws.com", KC_VENDOR_EKS,
     "v1.28.5-eks-5e0fdde", KC_PROVIDER_HETZNER},
    {"san beats unknown asn", 64512, "DNS:x.azmk8s.io", KC_VENDOR_NONE, NULL,
     KC_PROVIDER_AZURE},
    {"vendor beats unknown asn", 64512, NULL, KC_VENDOR_GKE, NULL,
     KC_PROVIDER_GCP},
    {"san beats vendor", 0, "DNS:x.azmk8s.io", KC_VENDOR_EKS, NULL,
     KC_PROVIDER_AZURE},
    {"vendor beats git", 0, NULL, KC_VENDOR_GKE, "v1.28.5-eks-1",
     KC_PROVIDER_GCP},
};

static void fill(struct kc_result *r, const struct provider_case *c)
{
    kc_result_init(r);
    r->asn = c->asn;
    r->vendor = c->vendor;
    if (c->sans != NULL) {
        r->cert.present = true;
        assert_int_equal(kc_bytes_set_str(&r->cert.sans, c->sans), 0);
    }
    if (c->git_version != NULL)
        assert_int_equal(kc_bytes_set_str(&r->git_version, c->git_version),
                         0);
}

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        fill(&r, &cases[i]);
        enum kc_provider got = kc_geo_infer_provider(&r);
        if (got != cases[i].want)
            fail_msg("%s: got '%s', want '%s'", cases[i].name,
                     kc_provider_str(got), kc_provider_str(cases[i].want));
        kc_result_clear(&r);
    }
}

/* SANs are ignored when the certificate is absent, even if bytes linger. */
static void test_sans_need_cert(void **state)
{
    struct kc_result r;
    (void)state;
    kc_result_init(&r);
    assert_int_equal(kc_bytes_set_str(&r.cert.sans, "DNS:a.azmk8s.io"), 0);
    assert_int_equal(kc_geo_infer_provider(&r), KC_PROVIDER_NONE);
    r.cert.present = true;
    assert_int_equal(kc_geo_infer_provider(&r), KC_PROVIDER_AZURE);
    kc_result_clear(&r);
}

/* Every rule of the table appears in docs/geo.md as a table row naming
 * the matched value and the provider token. */
static void test_doc_lists_rules(void **state)
{
    const char *path = getenv("KC_GEO_DOC");
    static char doc[1 << 16];
    (void)state;
    assert_non_null(path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[n] = '\0';

    assert_true(kc_geo_rule_count() > 0);
    assert_null(kc_geo_rule_at(kc_geo_rule_count()));
    for (size_t i = 0; i < kc_geo_rule_count(); i++) {
        const struct kc_geo_rule *rule = kc_geo_rule_at(i);
        char row[256];
        switch (rule->field) {
        case KC_GEO_RULE_ASN:
            snprintf(row, sizeof(row), "| %zu | asn | %u | %s |", i + 1,
                     rule->asn, kc_provider_str(rule->provider));
            break;
        case KC_GEO_RULE_SAN_SUFFIX:
            snprintf(row, sizeof(row), "| %zu | SAN ends with | `%s` | %s |",
                     i + 1, rule->pattern, kc_provider_str(rule->provider));
            break;
        case KC_GEO_RULE_VENDOR:
            snprintf(row, sizeof(row), "| %zu | vendor | `%s` | %s |", i + 1,
                     kc_vendor_str(rule->vendor),
                     kc_provider_str(rule->provider));
            break;
        case KC_GEO_RULE_GIT_CONTAINS:
            snprintf(row, sizeof(row),
                     "| %zu | gitVersion contains | `%s` | %s |", i + 1,
                     rule->pattern, kc_provider_str(rule->provider));
            break;
        }
        if (strstr(doc, row) == NULL)
            fail_msg("docs/geo.md lacks the row: %s", row);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_sans_need_cert),
        cmocka_unit_test(test_doc_lists_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
