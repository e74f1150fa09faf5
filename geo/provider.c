/*
 * provider.c - which provider runs an endpoint, by a table of rules over
 * what a scan learns: the ASN, the certificate's DNS SANs, the vendor
 * classify/ found and the raw gitVersion. docs/geo.md prints this table;
 * tests/unit/geo/test_provider.c checks that it does.
 */
#include <string.h>
#include <strings.h>

#include "geo.h"

#define ASN(n, p) {KC_GEO_RULE_ASN, (n), NULL, KC_VENDOR_NONE, KC_PROVIDER_##p}
#define SAN(s, p) {KC_GEO_RULE_SAN_SUFFIX, 0, (s), KC_VENDOR_NONE, KC_PROVIDER_##p}
#define VENDOR(v, p) {KC_GEO_RULE_VENDOR, 0, NULL, KC_VENDOR_##v, KC_PROVIDER_##p}
#define GIT(s, p) {KC_GEO_RULE_GIT_CONTAINS, 0, (s), KC_VENDOR_NONE, KC_PROVIDER_##p}

/*
 * First match wins. ASN rules come first: the network that announces the
 * address is direct evidence of where it runs, while a SAN or an EKS-D
 * build string can also appear on a cluster hosted elsewhere (EKS Anywhere
 * on premises, say). The others fill in when the ASN is unknown or is not
 * a provider's.
 */
static const struct kc_geo_rule rules[] = {
    ASN(16509, AWS),
    ASN(14618, AWS),
    ASN(15169, GCP),
    ASN(396982, GCP),
    ASN(8075, AZURE),
    ASN(45102, ALIBABA),
    ASN(37963, ALIBABA),
    ASN(45090, TENCENT),
    ASN(132203, TENCENT),
    ASN(36351, IBM),
    ASN(31898, ORACLE),
    ASN(14061, DIGITALOCEAN),
    ASN(24940, HETZNER),
    ASN(213230, HETZNER),
    ASN(16276, OVH),

    SAN(".eks.amazonaws.com", AWS),
    SAN(".amazonaws.com", AWS),
    SAN(".azmk8s.io", AZURE),
    SAN(".cloudapp.azure.com", AZURE),
    SAN(".gke.goog", GCP),
    SAN(".aliyuncs.com", ALIBABA),
    SAN(".containers.cloud.ibm.com", IBM),
    SAN(".containers.appdomain.cloud", IBM),
    SAN(".oraclecloud.com", ORACLE),
    SAN(".oraclevcn.com", ORACLE),
    SAN(".k8s.ondigitalocean.com", DIGITALOCEAN),

    VENDOR(EKS, AWS),
    VENDOR(GKE, GCP),
    VENDOR(IKS, IBM),
    VENDOR(ALIYUN, ALIBABA),
    VENDOR(TKE, TENCENT),

    GIT("-eks-", AWS),
    GIT("-gke.", GCP),
    GIT("-aliyun.", ALIBABA),
    GIT("-tke.", TENCENT),
    GIT("+IKS", IBM),
};

size_t kc_geo_rule_count(void)
{
    return KC_ARRAY_LEN(rules);
}

const struct kc_geo_rule *kc_geo_rule_at(size_t i)
{
    return i < KC_ARRAY_LEN(rules) ? &rules[i] : NULL;
}

static bool ends_with_nocase(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

/* Does one "DNS:name" line of the newline-separated SAN list end with the
 * suffix? IP: and other entries never match. */
static bool san_matches(const struct kc_bytes *sans, const char *suffix)
{
    const char *p = sans->data, *end = sans->data + sans->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);

        if (n > 4 && strncmp(p, "DNS:", 4) == 0 &&
            ends_with_nocase(p + 4, n - 4, suffix))
            return true;
        p = eol + 1;
    }
    return false;
}

static bool memmem_str(const struct kc_bytes *b, const char *needle)
{
    return memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

static bool rule_matches(const struct kc_geo_rule *rule,
                         const struct kc_result *r)
{
    switch (rule->field) {
    case KC_GEO_RULE_ASN:
        return r->asn != 0 && r->asn == rule->asn;
    case KC_GEO_RULE_SAN_SUFFIX:
        return r->cert.present && kc_bytes_present(&r->cert.sans) &&
               san_matches(&r->cert.sans, rule->pattern);
    case KC_GEO_RULE_VENDOR:
        return r->vendor != KC_VENDOR_NONE && r->vendor == rule->vendor;
    case KC_GEO_RULE_GIT_CONTAINS:
        return kc_bytes_present(&r->git_version) &&
               memmem_str(&r->git_version, rule->pattern);
    }
    return false;
}

enum kc_provider kc_geo_infer_provider(const struct kc_result *r)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(rules); i++)
        if (rule_matches(&rules[i], r))
            return rules[i].provider;
    return r->asn != 0 ? KC_PROVIDER_OTHER : KC_PROVIDER_NONE;
}
