/* vocab.c - the one string table per enum (see common.h). */
#include <string.h>

#include "common.h"

static const char *const outcome_names[KC_OUTCOME__COUNT] = {
    [KC_OUTCOME_OK] = "ok",
    [KC_OUTCOME_REFUSED] = "refused",
    [KC_OUTCOME_TIMEOUT] = "timeout",
    [KC_OUTCOME_TLS_ERROR] = "tls_error",
    [KC_OUTCOME_PROTOCOL_ERROR] = "protocol_error",
    [KC_OUTCOME_TOO_LARGE] = "too_large",
    [KC_OUTCOME_CLOSED] = "closed",
    [KC_OUTCOME_BLOCKED] = "blocked",
    [KC_OUTCOME_DNS_ERROR] = "dns_error",
    [KC_OUTCOME_UNREACHABLE] = "unreachable",
};

static const char *const phase_names[KC_PHASE__COUNT] = {
    [KC_PHASE_NONE] = "",
    [KC_PHASE_CONNECT] = "connect",
    [KC_PHASE_TLS] = "tls",
    [KC_PHASE_RESPONSE] = "response",
};

static const char *const posture_names[KC_POSTURE__COUNT] = {
    [KC_POSTURE_NONE] = "",
    [KC_POSTURE_OPEN] = "open",
    [KC_POSTURE_LIMITED] = "limited",
    [KC_POSTURE_RBAC_DENIED] = "rbac_denied",
    [KC_POSTURE_DISABLED] = "disabled",
    [KC_POSTURE_WIDE_OPEN] = "wide_open",
    [KC_POSTURE_LEGACY] = "legacy",
    [KC_POSTURE_UNKNOWN] = "unknown",
};

static const char *const vendor_names[KC_VENDOR__COUNT] = {
    [KC_VENDOR_NONE] = "",
    [KC_VENDOR_UPSTREAM] = "upstream",
    [KC_VENDOR_GKE] = "gke",
    [KC_VENDOR_EKS] = "eks",
    [KC_VENDOR_OPENSHIFT] = "openshift",
    [KC_VENDOR_IKS] = "iks",
    [KC_VENDOR_ALIYUN] = "aliyun",
    [KC_VENDOR_TKE] = "tke",
    [KC_VENDOR_K3S] = "k3s",
    [KC_VENDOR_RKE2] = "rke2",
    [KC_VENDOR_K0S] = "k0s",
    [KC_VENDOR_VMWARE] = "vmware",
    [KC_VENDOR_MICROK8S] = "microk8s",
    [KC_VENDOR_HPE] = "hpe",
    [KC_VENDOR_VKE] = "vke",
    [KC_VENDOR_OTHER] = "other",
};

static const char *const provider_names[KC_PROVIDER__COUNT] = {
    [KC_PROVIDER_NONE] = "",
    [KC_PROVIDER_AWS] = "aws",
    [KC_PROVIDER_GCP] = "gcp",
    [KC_PROVIDER_AZURE] = "azure",
    [KC_PROVIDER_ALIBABA] = "alibaba",
    [KC_PROVIDER_TENCENT] = "tencent",
    [KC_PROVIDER_IBM] = "ibm",
    [KC_PROVIDER_ORACLE] = "oracle",
    [KC_PROVIDER_DIGITALOCEAN] = "digitalocean",
    [KC_PROVIDER_HETZNER] = "hetzner",
    [KC_PROVIDER_OVH] = "ovh",
    [KC_PROVIDER_OTHER] = "other",
};

static const char *const probe_names[KC_PROBE__COUNT] = {
    [KC_PROBE_VERSION] = "version",
    [KC_PROBE_HEALTHZ] = "healthz",
    [KC_PROBE_LIVEZ] = "livez",
    [KC_PROBE_READYZ] = "readyz",
    [KC_PROBE_CLUSTER_INFO] = "cluster_info",
    [KC_PROBE_API] = "api",
    [KC_PROBE_NAMESPACES] = "namespaces",
};

static const char *const probe_paths[KC_PROBE__COUNT] = {
    [KC_PROBE_VERSION] = "/version",
    [KC_PROBE_HEALTHZ] = "/healthz",
    [KC_PROBE_LIVEZ] = "/livez",
    [KC_PROBE_READYZ] = "/readyz",
    [KC_PROBE_CLUSTER_INFO] =
        "/api/v1/namespaces/kube-public/configmaps/cluster-info",
    [KC_PROBE_API] = "/api",
    [KC_PROBE_NAMESPACES] = "/api/v1/namespaces",
};

static const char *const probe_set_names[KC_PROBES__COUNT] = {
    [KC_PROBES_DEFAULT] = "default",
    [KC_PROBES_EXTENDED] = "extended",
    [KC_PROBES_VERSION] = "version",
};

static const char *name_at(const char *const *names, size_t n, int v)
{
    if (v < 0 || (size_t)v >= n || names[v] == NULL)
        return "?";
    return names[v];
}

/* Exact match; the empty string never parses (it is the NULL marker). */
static bool name_find(const char *const *names, size_t n, const char *s,
                      int *out)
{
    if (s == NULL || *s == '\0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (names[i] != NULL && strcmp(names[i], s) == 0) {
            *out = (int)i;
            return true;
        }
    }
    return false;
}

#define VOCAB(prefix, type, table)                                  \
    const char *kc_##prefix##_str(type v)                           \
    {                                                               \
        return name_at(table, KC_ARRAY_LEN(table), (int)v);         \
    }                                                               \
    bool kc_##prefix##_parse(const char *s, type *out)              \
    {                                                               \
        int v;                                                      \
        if (!name_find(table, KC_ARRAY_LEN(table), s, &v))          \
            return false;                                           \
        *out = (type)v;                                             \
        return true;                                                \
    }

VOCAB(outcome, enum kc_outcome, outcome_names)
VOCAB(phase, enum kc_phase, phase_names)
VOCAB(posture, enum kc_posture, posture_names)
VOCAB(vendor, enum kc_vendor, vendor_names)
VOCAB(provider, enum kc_provider, provider_names)
VOCAB(probe, enum kc_probe_id, probe_names)
VOCAB(probe_set, enum kc_probe_set, probe_set_names)

const char *kc_probe_path(enum kc_probe_id v)
{
    return name_at(probe_paths, KC_ARRAY_LEN(probe_paths), (int)v);
}

size_t kc_probe_set_len(enum kc_probe_set set)
{
    switch (set) {
    case KC_PROBES_DEFAULT:
        return KC_PROBE_API + 1;
    case KC_PROBES_EXTENDED:
        return KC_PROBE_NAMESPACES + 1;
    case KC_PROBES_VERSION:
        return 1;
    case KC_PROBES__COUNT:
        break;
    }
    return 0;
}

/* The sets are prefixes of enum kc_probe_id's order. */
enum kc_probe_id kc_probe_set_at(enum kc_probe_set set, size_t i)
{
    (void)set;
    return (enum kc_probe_id)i;
}
