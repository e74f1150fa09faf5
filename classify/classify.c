/*
 * classify.c - the verdict: is it Kubernetes, anonymous posture, version,
 * vendor, and what cluster-info / the namespace list reveal. The rules are
 * written out in docs/classification.md.
 */
#include <jansson.h>
#include <string.h>

#include "classify-private.h"

/* Evidence tokens, in the order they are written. */
static const struct {
    unsigned bit;
    const char *token;
} positive_tokens[] = {
    {KC_FIND_VERSION_JSON, "version_json"},
    {KC_FIND_STATUS, "status_body"},
    {KC_FIND_PF, "pf_header"},
    {KC_FIND_HEALTH_OK, "health_ok"},
    {KC_FIND_AUDIT_ID, "audit_id"}, /* evidence only, decides nothing */
};

static const struct {
    unsigned bit;
    const char *token;
} contradiction_tokens[] = {
    {KC_FIND_HTML, "!html:"},
    {KC_FIND_404_NOT_STATUS, "!404:"},
    {KC_FIND_HEALTH_BAD, "!health_body:"},
};

#define KC_POSITIVE \
    (KC_FIND_VERSION_JSON | KC_FIND_STATUS | KC_FIND_PF | KC_FIND_HEALTH_OK)

/* Appends ",a b" as one token; a token that would not fit whole is left
 * out (the field is bounded; positives come first so they always fit). */
static void evidence_add(struct kc_result *r, const char *a, const char *b)
{
    size_t len = strlen(r->evidence);
    size_t need = (len ? 1 : 0) + strlen(a) + (b ? strlen(b) : 0);
    if (len + need >= sizeof r->evidence)
        return;
    kc_snprintf(r->evidence + len, sizeof r->evidence - len, "%s%s%s",
                len ? "," : "", a, b ? b : "");
}

static bool cert_looks_kubernetes(const struct kc_cert_info *c)
{
    const struct kc_bytes *cn = &c->issuer_cn, *sans = &c->sans;
    if (!c->present)
        return false;
    if (kc_bytes_present(cn) && cn->len == 10 &&
        memcmp(cn->data, "kubernetes", 10) == 0)
        return true;
    return kc_bytes_present(sans) &&
           memmem(sans->data, sans->len, "DNS:kubernetes.default.svc", 26);
}

/*
 * True when /version answered a Kubernetes version document older than
 * 1.16. Those servers have no /livez or /readyz: behind RBAC they answer
 * 403 there, but one that authorizes everyone (AlwaysAllow, the most
 * dangerous kind) answers Go's plain "404 page not found", which must not
 * count against it.
 */
static bool predates_livez(const struct kc_result *r)
{
    const struct kc_probe_result *p = kc_result_probe(r, KC_PROBE_VERSION);
    if (p == NULL || !p->answered || p->status != 200 ||
        !(kc_probe_findings(p) & KC_FIND_VERSION_JSON))
        return false;
    json_t *o = kc_json_object(&p->body);
    json_t *g = json_object_get(o, "gitVersion");
    int major = -1, minor = -1, patch = -1;
    bool pre = false;
    bool old = json_is_string(g) &&
               kc_git_version_parse(json_string_value(g), json_string_length(g),
                                    &major, &minor, &patch, &pre) &&
               major == 1 && minor >= 0 && minor < 16;
    json_decref(o);
    return old;
}

/* The contradictions of one probe, minus what its server's age excuses
 * (the age is only looked up in that rare case: it parses /version). */
static unsigned contradictions(const struct kc_result *r,
                               const struct kc_probe_result *p,
                               unsigned findings)
{
    unsigned c = findings & kc_contradiction_mask(p->id);
    if ((c & KC_FIND_404_NOT_STATUS) &&
        (p->id == KC_PROBE_LIVEZ || p->id == KC_PROBE_READYZ) &&
        predates_livez(r))
        c &= ~(unsigned)KC_FIND_404_NOT_STATUS;
    return c;
}

/* Sets is_kubernetes and evidence. */
static void decide_kubernetes(struct kc_result *r)
{
    unsigned found[KC_PROBE__COUNT], all = 0;
    bool contradicted = false;
    size_t n = r->n_probes < KC_PROBE__COUNT ? r->n_probes : KC_PROBE__COUNT;
    r->evidence[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        found[i] = kc_probe_findings(&r->probes[i]); /* parses once */
        all |= found[i];
    }
    for (size_t t = 0; t < KC_ARRAY_LEN(positive_tokens); t++)
        if (all & positive_tokens[t].bit)
            evidence_add(r, positive_tokens[t].token, NULL);
    if (cert_looks_kubernetes(&r->cert))
        evidence_add(r, "cert_k8s", NULL);
    for (size_t i = 0; i < n; i++) {
        enum kc_probe_id id = r->probes[i].id;
        unsigned c = contradictions(r, &r->probes[i], found[i]);
        for (size_t t = 0; t < KC_ARRAY_LEN(contradiction_tokens); t++)
            if (c & contradiction_tokens[t].bit)
                evidence_add(r, contradiction_tokens[t].token,
                             kc_probe_str(id));
        contradicted |= c != 0;
    }
    r->is_kubernetes = (all & KC_POSITIVE) && !contradicted ? 1 : 0;
}

static bool answered_with(const struct kc_result *r, enum kc_probe_id id,
                          int status)
{
    const struct kc_probe_result *p = kc_result_probe(r, id);
    return p != NULL && p->answered && p->status == status;
}

/* Rules 1-6 of the posture, first that applies. Answered statuses other
 * than 401 (R) and 200/403/404 (A), e.g. 429 or 5xx, say nothing about
 * authentication and are left out of rules 3-5. */
enum kc_posture kc_posture_of(const struct kc_result *r)
{
    size_t n_r = 0, n_a = 0;
    if (answered_with(r, KC_PROBE_NAMESPACES, 200))
        return KC_POSTURE_WIDE_OPEN;
    /* A probe the scanner never sent (the server closed and the
     * reconnects ran out) is unknown, not a negative answer: only rule 1's
     * positive evidence stands without it. */
    for (size_t i = 0; i < r->n_probes && i < KC_PROBE__COUNT; i++)
        if (!r->probes[i].sent && !r->probes[i].answered)
            return KC_POSTURE_UNKNOWN;
    if (answered_with(r, KC_PROBE_API, 200))
        return KC_POSTURE_LEGACY;
    for (size_t i = 0; i < r->n_probes && i < KC_PROBE__COUNT; i++) {
        const struct kc_probe_result *p = &r->probes[i];
        if (!p->answered)
            continue;
        if (p->status == 401)
            n_r++;
        else if (p->status == 200 || p->status == 403 || p->status == 404)
            n_a++;
    }
    if (n_r > 0 && n_a == 0)
        return KC_POSTURE_DISABLED;
    if (n_r > 0 && n_a > 0)
        return KC_POSTURE_LIMITED;
    if (n_a > 0 && answered_with(r, KC_PROBE_VERSION, 200))
        return KC_POSTURE_OPEN;
    if (n_a > 0 && answered_with(r, KC_PROBE_VERSION, 403))
        return KC_POSTURE_RBAC_DENIED;
    return KC_POSTURE_UNKNOWN;
}

/* Copies a JSON string member into b (absent -> NULL); 0 or -ENOMEM. */
static int take_string(json_t *o, const char *key, struct kc_bytes *b)
{
    json_t *v = json_object_get(o, key);
    kc_bytes_free(b);
    if (!json_is_string(v))
        return 0;
    return kc_bytes_set(b, json_string_value(v), json_string_length(v),
                        KC_MAX_FIELD);
}

static void clear_version(struct kc_result *r)
{
    struct kc_version_info *v = &r->version;
    struct kc_bytes *all[] = {&r->git_version, &v->major, &v->minor,
                              &v->git_commit, &v->git_tree_state,
                              &v->build_date, &v->go_version, &v->compiler,
                              &v->platform};
    for (size_t i = 0; i < KC_ARRAY_LEN(all); i++)
        kc_bytes_free(all[i]);
    r->major = r->minor = r->patch = -1;
    r->prerelease = false;
    r->vendor = KC_VENDOR_NONE;
    r->vendor_suffix[0] = '\0';
}

static int version_fields(struct kc_result *r, json_t *o)
{
    struct kc_version_info *v = &r->version;
    const struct {
        const char *key;
        struct kc_bytes *dst;
    } map[] = {
        {"gitVersion", &r->git_version}, {"major", &v->major},
        {"minor", &v->minor},            {"gitCommit", &v->git_commit},
        {"gitTreeState", &v->git_tree_state},
        {"buildDate", &v->build_date},   {"goVersion", &v->go_version},
        {"compiler", &v->compiler},      {"platform", &v->platform},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(map); i++)
        if (take_string(o, map[i].key, map[i].dst) < 0)
            return -ENOMEM;
    return 0;
}

/* Version and vendor from a /version 200 JSON (the server's claim, kept
 * even when it is not judged Kubernetes, so impostors can be studied). */
static int classify_version(struct kc_result *r)
{
    const struct kc_probe_result *p = kc_result_probe(r, KC_PROBE_VERSION);
    clear_version(r);
    if (p == NULL || !p->answered || p->status != 200)
        return 0;
    json_t *o = kc_json_object(&p->body);
    if (o == NULL || !json_is_string(json_object_get(o, "gitVersion"))) {
        json_decref(o);
        return 0;
    }
    int rc = version_fields(r, o);
    json_decref(o);
    if (rc < 0)
        return rc;
    const struct kc_bytes *g = &r->git_version;
    kc_git_version_parse(g->data, g->len, &r->major, &r->minor, &r->patch,
                         &r->prerelease);
    r->vendor = kc_vendor_classify(g->data, g->len, r->vendor_suffix,
                                   sizeof r->vendor_suffix);
    if (r->vendor != KC_VENDOR_OTHER)
        r->vendor_suffix[0] = '\0';
    return 0;
}

/* Keys of data starting with jws-kubeconfig- (bootstrap token signatures). */
static int count_jws(json_t *data)
{
    const char *key;
    json_t *v;
    int n = 0;
    json_object_foreach(data, key, v)
    {
        if (strncmp(key, "jws-kubeconfig-", 15) == 0)
            n++;
    }
    return n;
}

/* Counts "jws-kubeconfig- in raw text (a body cut at its bound). */
static int count_jws_raw(const struct kc_bytes *b)
{
    int n = 0;
    const char *p = b->data, *end = b->data + b->len;
    while ((p = memmem(p, (size_t)(end - p), "\"jws-kubeconfig-", 16))) {
        n++;
        p += 16;
    }
    return n;
}

static void classify_cluster_info(struct kc_result *r)
{
    const struct kc_probe_result *p = kc_result_probe(r, KC_PROBE_CLUSTER_INFO);
    r->cluster_info_readable = -1;
    r->cluster_ca_sha256[0] = '\0';
    r->jws_keys = -1;
    if (p == NULL || !p->answered)
        return;
    r->cluster_info_readable = p->status == 200;
    if (p->status != 200 || !kc_bytes_present(&p->body))
        return;
    json_t *o = kc_json_object(&p->body);
    json_t *data = json_object_get(o, "data");
    json_t *kc = json_object_get(data, "kubeconfig");
    if (json_is_object(data)) {
        r->jws_keys = count_jws(data);
        if (json_is_string(kc))
            kc_kubeconfig_ca_sha256(json_string_value(kc),
                                    json_string_length(kc),
                                    r->cluster_ca_sha256);
    } else if (o == NULL) {
        /* Cut at the body bound (or not JSON): read what is there. In the
         * raw JSON text the kubeconfig's newlines are "\n" escapes, which
         * end the base64 run just as real newlines do. */
        r->jws_keys = count_jws_raw(&p->body);
        kc_kubeconfig_ca_sha256(p->body.data, p->body.len,
                                r->cluster_ca_sha256);
    }
    json_decref(o);
}

/* The count only: never the names (they may be sensitive). A list cut at
 * the body bound does not parse and leaves the count NULL rather than
 * a wrong number. */
static void classify_namespaces(struct kc_result *r)
{
    const struct kc_probe_result *p = kc_result_probe(r, KC_PROBE_NAMESPACES);
    r->namespaces_count = -1;
    if (p == NULL || !p->answered || p->status != 200)
        return;
    json_t *o = kc_json_object(&p->body);
    json_t *items = json_object_get(o, "items");
    if (json_is_array(items) && json_array_size(items) <= INT32_MAX)
        r->namespaces_count = (int)json_array_size(items);
    json_decref(o);
}

int kc_classify(struct kc_result *r)
{
    decide_kubernetes(r);
    r->posture = r->is_kubernetes == 1 ? kc_posture_of(r) : KC_POSTURE_NONE;
    int rc = classify_version(r);
    if (rc < 0)
        return rc;
    classify_cluster_info(r);
    classify_namespaces(r);
    r->classifier_version = KC_CLASSIFIER_VERSION;
    return 0;
}

/*
 * /version is served by every kube-apiserver (200 JSON, or a 401/403
 * Status): an HTML page, a 404 that is not a Status, or a 200 that is not a
 * JSON object cannot come from one. Neither can any contradiction.
 */
static bool probe_allows_continue(const struct kc_result *r,
                                  const struct kc_probe_result *p)
{
    if (!p->answered)
        return true;
    unsigned f = kc_probe_findings(p);
    if (contradictions(r, p, f) != 0)
        return false;
    if (p->id != KC_PROBE_VERSION)
        return true;
    if (f & KC_FIND_PF)
        return true;
    if (f & (KC_FIND_HTML | KC_FIND_404_NOT_STATUS))
        return false;
    if (p->status == 200 && !(f & KC_FIND_VERSION_JSON)) {
        json_t *o = kc_json_object(&p->body);
        bool obj = o != NULL;
        json_decref(o);
        if (!obj)
            return false;
    }
    return true;
}

bool kc_classify_continue(const struct kc_result *r)
{
    for (size_t i = 0; i < r->n_probes && i < KC_PROBE__COUNT; i++)
        if (!probe_allows_continue(r, &r->probes[i]))
            return false;
    return true;
}

bool kc_classify_continue_newest(const struct kc_result *r)
{
    if (r->n_probes == 0 || r->n_probes > KC_PROBE__COUNT)
        return kc_classify_continue(r);
    return probe_allows_continue(r, &r->probes[r->n_probes - 1]);
}

/* The columns a re-classification may change, for comparison. */
struct verdict {
    int is_kubernetes;
    enum kc_posture posture;
    enum kc_vendor vendor;
    int major, minor, patch;
    bool prerelease;
    int cluster_info_readable, jws_keys, namespaces_count;
    char evidence[sizeof ((struct kc_result *)0)->evidence];
    char ca[sizeof ((struct kc_result *)0)->cluster_ca_sha256];
    char suffix[sizeof ((struct kc_result *)0)->vendor_suffix];
};

static void verdict_take(struct verdict *v, const struct kc_result *r)
{
    v->is_kubernetes = r->is_kubernetes;
    v->posture = r->posture;
    v->vendor = r->vendor;
    v->major = r->major;
    v->minor = r->minor;
    v->patch = r->patch;
    v->prerelease = r->prerelease;
    v->cluster_info_readable = r->cluster_info_readable;
    v->jws_keys = r->jws_keys;
    v->namespaces_count = r->namespaces_count;
    kc_strlcpy(v->evidence, r->evidence, sizeof v->evidence);
    kc_strlcpy(v->ca, r->cluster_ca_sha256, sizeof v->ca);
    kc_strlcpy(v->suffix, r->vendor_suffix, sizeof v->suffix);
}

/* Field by field (memcmp would compare padding). */
static bool verdict_equal(const struct verdict *a, const struct verdict *b)
{
    return a->is_kubernetes == b->is_kubernetes && a->posture == b->posture &&
           a->vendor == b->vendor && a->major == b->major &&
           a->minor == b->minor && a->patch == b->patch &&
           a->prerelease == b->prerelease &&
           a->cluster_info_readable == b->cluster_info_readable &&
           a->jws_keys == b->jws_keys &&
           a->namespaces_count == b->namespaces_count &&
           strcmp(a->evidence, b->evidence) == 0 &&
           strcmp(a->ca, b->ca) == 0 && strcmp(a->suffix, b->suffix) == 0;
}

int kc_reclassify(struct kc_result *r, bool *changed)
{
    struct verdict before, after;
    verdict_take(&before, r);
    int rc = kc_classify(r);
    if (rc < 0)
        return rc;
    verdict_take(&after, r);
    if (changed != NULL)
        *changed = !verdict_equal(&before, &after);
    return 0;
}
