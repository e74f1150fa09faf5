/*
 * truth.c - what a correct scan of the fleet must store, per (ip, port).
 *
 * The posture columns follow the rules of docs/classification.md applied
 * to the answers respond.c gives; they are derived here independently (a table per
 * behaviour) so that the truth cross-checks classify/ rather than copying
 * it. The vendor rules are likewise a separate copy of that document's table.
 */
#include <regex.h>
#include <string.h>

#include "fleet.h"

/* What the probes of one behaviour yield under the issue-6 rules. */
struct behaviour_truth {
    int is_kubernetes;
    enum kc_posture posture;          /* default probes */
    enum kc_posture posture_extended; /* + /api/v1/namespaces */
    bool version_readable;            /* /version answers 200 */
};

static const struct behaviour_truth behaviour_truths[FLEET_B__COUNT] = {
    /* /version 200, health 200, cluster-info 200, /api 403, ns 403 */
    [FLEET_B_OPEN] = {1, KC_POSTURE_OPEN, KC_POSTURE_OPEN, true},
    /* health + cluster-info 200, /version, /api, ns 401: some R, some A */
    [FLEET_B_LIMITED] = {1, KC_POSTURE_LIMITED, KC_POSTURE_LIMITED, false},
    /* 403 everywhere: all A, /version 403 */
    [FLEET_B_RBAC_DENIED] = {1, KC_POSTURE_RBAC_DENIED,
                             KC_POSTURE_RBAC_DENIED, false},
    /* 401 everywhere */
    [FLEET_B_DISABLED] = {1, KC_POSTURE_DISABLED, KC_POSTURE_DISABLED, false},
    /* /api 200 -> legacy (rule 2) unless /api/v1/namespaces is probed
     * (200 -> wide_open, rule 1) */
    [FLEET_B_WIDE_OPEN] = {1, KC_POSTURE_LEGACY, KC_POSTURE_WIDE_OPEN, true},
    /* /api 200, ns 403 */
    [FLEET_B_LEGACY] = {1, KC_POSTURE_LEGACY, KC_POSTURE_LEGACY, true},
    /* everything 200 (pre-1.16: /livez and /readyz Go's plain 404, which
     * the classifier excuses from /version's age): like wide_open */
    [FLEET_B_ALWAYS_ALLOW] = {1, KC_POSTURE_LEGACY, KC_POSTURE_WIDE_OPEN,
                              true},
    [FLEET_B_NOT_K8S_HTML] = {0, KC_POSTURE_NONE, KC_POSTURE_NONE, false},
    [FLEET_B_NOT_K8S_JSON] = {0, KC_POSTURE_NONE, KC_POSTURE_NONE, false},
};

/* docs/classification.md, "Version and vendor": ordered, first match wins. */
static const struct vendor_rule {
    enum kc_vendor vendor;
    const char *ere;
} vendor_rules[] = {
    {KC_VENDOR_GKE, "-gke\\."},
    {KC_VENDOR_EKS, "-eks[-.]"},
    {KC_VENDOR_IKS, "\\+IKS"},
    {KC_VENDOR_ALIYUN, "-(aliyun|alibaba)"},
    {KC_VENDOR_TKE, "-tke\\."},
    {KC_VENDOR_K3S, "\\+k3s"},
    {KC_VENDOR_RKE2, "\\+rke2r"},
    {KC_VENDOR_K0S, "\\+k0s"},
    {KC_VENDOR_VMWARE, "\\+vmware"},
    {KC_VENDOR_VKE, "-vke\\."},
    {KC_VENDOR_HPE, "-hpe"},
    {KC_VENDOR_MICROK8S, "^v[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+\\+[0-9a-f]{14}$"},
    {KC_VENDOR_OPENSHIFT, "^v[0-9]+\\.[0-9]+\\.[0-9]+\\+[0-9a-f]{7,10}$"},
    /* openshift/kubernetes fork builds thousands of commits past the tag
     * (classify/version.c explains the 4+ digits) */
    {KC_VENDOR_OPENSHIFT,
     "^v[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]{4,}\\+[0-9a-f]{14}-dirty$"},
    {KC_VENDOR_UPSTREAM,
     "^v[0-9]+\\.[0-9]+\\.[0-9]+(-(alpha|beta|rc)\\.[0-9]+)?$"},
};

enum kc_vendor fleet_vendor_of(const char *git_version)
{
    if (!git_version)
        return KC_VENDOR_NONE;
    for (size_t i = 0; i < KC_ARRAY_LEN(vendor_rules); i++) {
        regex_t re;
        if (regcomp(&re, vendor_rules[i].ere, REG_EXTENDED | REG_NOSUB) != 0)
            continue;
        int hit = regexec(&re, git_version, 0, NULL, 0) == 0;
        regfree(&re);
        if (hit)
            return vendor_rules[i].vendor;
    }
    return KC_VENDOR_OTHER;
}

const char *fleet_cert_cn(enum fleet_cert_profile p)
{
    switch (p) {
    case FLEET_CERT_KUBEADM:
    case FLEET_CERT_EKS:
        return "kube-apiserver";
    case FLEET_CERT_K3S:
        return "k3s";
    case FLEET_CERT_WEB:
        return "www.example.net";
    case FLEET_CERT__COUNT:
        break;
    }
    return "";
}

static void truth_transport(const struct fleet_member *m, bool listens,
                            struct fleet_truth *t)
{
    t->outcome = KC_OUTCOME_OK;
    t->phase = KC_PHASE_NONE;
    if (!listens) {
        t->outcome = KC_OUTCOME_REFUSED;
        return;
    }
    switch (m->fault) {
    case FLEET_F_NONE:
        break;
    case FLEET_F_REFUSED: /* listens is false then */
        t->outcome = KC_OUTCOME_REFUSED;
        break;
    case FLEET_F_SILENT_TLS:
        t->outcome = KC_OUTCOME_TIMEOUT;
        t->phase = KC_PHASE_TLS;
        break;
    case FLEET_F_SILENT_RESPONSE:
        t->outcome = KC_OUTCOME_TIMEOUT;
        t->phase = KC_PHASE_RESPONSE;
        break;
    case FLEET_F_RESET:
        t->outcome = KC_OUTCOME_CLOSED;
        break;
    case FLEET_F_TLS_GARBAGE:
        t->outcome = KC_OUTCOME_TLS_ERROR;
        break;
    case FLEET_F__COUNT:
        break;
    }
}

/* The member's HTTP framing (m->http) is not in the row: a correct scanner
 * reconnects after each closing answer (kcensus: --reconnects, default 6,
 * one per probe of either set), follows the one renegotiation and skips
 * the interim answer, so every probe is answered as with keep-alive. */
void fleet_truth_of(const struct fleet_plan *plan, const struct fleet_member *m,
                    size_t port_index, struct fleet_truth *t)
{
    memset(t, 0, sizeof(*t));
    t->is_kubernetes = -1;
    truth_transport(m, fleet_member_listens(plan, m, port_index), t);
    /* The leaf was seen whenever the handshake completed. */
    if (t->outcome == KC_OUTCOME_OK ||
        (t->outcome == KC_OUTCOME_TIMEOUT && t->phase == KC_PHASE_RESPONSE))
        t->cert_cn = fleet_cert_cn(m->cert);
    if (t->outcome != KC_OUTCOME_OK)
        return;
    const struct behaviour_truth *bt = &behaviour_truths[m->behaviour];
    t->is_kubernetes = bt->is_kubernetes;
    t->posture = bt->posture;
    t->posture_extended = bt->posture_extended;
    if (bt->version_readable && m->git_version) {
        t->git_version = m->git_version;
        t->vendor = m->vendor;
    }
}

/* CSV field: quoted only when it needs to be (RFC 4180). */
static void csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int fleet_truth_write(const struct fleet_plan *plan, FILE *f)
{
    fprintf(f, "%s\n", FLEET_TRUTH_HEADER);
    for (uint32_t i = 0; i < plan->n_members; i++) {
        const struct fleet_member *m = &plan->members[i];
        struct kc_addr a;
        char ip[64];
        kc_addr_set_v4(&a, m->addr);
        kc_addr_format(&a, ip, sizeof(ip));
        for (size_t p = 0; p < plan->n_ports; p++) {
            struct fleet_truth t;
            fleet_truth_of(plan, m, p, &t);
            fprintf(f, "%s,%u,%s,%s,", ip, plan->ports[p],
                    kc_outcome_str(t.outcome), kc_phase_str(t.phase));
            if (t.is_kubernetes >= 0)
                fprintf(f, "%d", t.is_kubernetes);
            fprintf(f, ",%s,%s,", kc_posture_str(t.posture),
                    kc_posture_str(t.posture_extended));
            csv_field(f, t.git_version);
            fprintf(f, ",%s,", kc_vendor_str(t.vendor));
            csv_field(f, t.cert_cn);
            fputc('\n', f);
        }
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -5 /* -EIO */;
}
