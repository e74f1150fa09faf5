/* test_classify.c - is-Kubernetes, posture and early stop (classify.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fixture.h"

#define V KC_PROBE_VERSION
#define HZ KC_PROBE_HEALTHZ
#define LZ KC_PROBE_LIVEZ
#define RZ KC_PROBE_READYZ
#define CI KC_PROBE_CLUSTER_INFO
#define API KC_PROBE_API
#define NS KC_PROBE_NAMESPACES

struct scenario {
    const char *name;
    struct canned probes[KC_PROBE__COUNT];
    size_t n;
    int is_k8s;
    enum kc_posture posture;
    const char *evidence_has;  /* substring expected in evidence, or NULL */
    const char *evidence_not;  /* substring that must be absent, or NULL */
    bool continue_after_first; /* kc_classify_continue after probe 0 */
};

/* The default sequence of a cluster with the stock anonymous rules
 * (system:public-info-viewer: /version, health paths; rest 403). */
#define OPEN_DEFAULT(vbody)                                                  \
    {V, 200, CT_JSON, vbody, H_AUDIT | H_PF}, {HZ, 200, CT_TEXT, "ok", H_AUDIT}, \
        {LZ, 200, CT_TEXT, "ok", H_AUDIT}, {RZ, 200, CT_TEXT, "ok", H_AUDIT},    \
        {CI, 403, CT_JSON, B_403_CI, H_AUDIT | H_PF},                            \
        {API, 403, CT_JSON, B_403_API, H_AUDIT | H_PF}

static const struct scenario scenarios[] = {
    {"open: stock anonymous rules", {OPEN_DEFAULT(B_VERSION)}, 6, 1,
     KC_POSTURE_OPEN, "version_json,status_body,pf_header,health_ok,audit_id",
     "!", true},
    {"open: EKS minor 28+", {OPEN_DEFAULT(B_VERSION_EKS)}, 6, 1,
     KC_POSTURE_OPEN, "version_json", NULL, true},
    {"disabled: every probe 401 (k3s, AKS, --anonymous-auth=false)",
     {{V, 401, CT_JSON, B_401, 0}, {HZ, 401, CT_JSON, B_401, 0},
      {LZ, 401, CT_JSON, B_401, 0}, {RZ, 401, CT_JSON, B_401, 0},
      {CI, 401, CT_JSON, B_401, 0}, {API, 401, CT_JSON, B_401, 0}},
     6, 1, KC_POSTURE_DISABLED, "status_body", "version_json", true},
    {"disabled: 401 with one probe unanswered",
     {{V, 401, CT_JSON, B_401, 0}, {HZ, 0, NULL, NULL, 0},
      {API, 401, CT_JSON, B_401, 0}},
     3, 1, KC_POSTURE_DISABLED, "status_body", NULL, true},
    {"limited: /version 200 but /api 401",
     {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_TEXT, "ok", 0},
      {LZ, 200, CT_TEXT, "ok", 0}, {RZ, 200, CT_TEXT, "ok", 0},
      {CI, 401, CT_JSON, B_401, 0}, {API, 401, CT_JSON, B_401, 0}},
     6, 1, KC_POSTURE_LIMITED, "version_json", NULL, true},
    {"rbac_denied: /version 403, all 403",
     {{V, 403, CT_JSON, B_403_VERSION, H_PF}, {HZ, 403, CT_JSON, B_403_API, 0},
      {LZ, 403, CT_JSON, B_403_API, 0}, {RZ, 403, CT_JSON, B_403_API, 0},
      {CI, 403, CT_JSON, B_403_CI, 0}, {API, 403, CT_JSON, B_403_API, 0}},
     6, 1, KC_POSTURE_RBAC_DENIED, "status_body,pf_header", NULL, true},
    {"legacy: /api 200 anonymously",
     {OPEN_DEFAULT(B_VERSION)}, 0, 0, KC_POSTURE_NONE, NULL, NULL, true},
    {"wide_open: namespace list 200",
     {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_TEXT, "ok", 0},
      {LZ, 200, CT_TEXT, "ok", 0}, {RZ, 200, CT_TEXT, "ok", 0},
      {CI, 200, CT_JSON, "{\"kind\":\"ConfigMap\",\"data\":{}}", 0},
      {API, 200, CT_JSON, B_API_200, 0}, {NS, 200, CT_JSON, B_NS_200, 0}},
     7, 1, KC_POSTURE_WIDE_OPEN, NULL, "!", true},
    /* Pre-1.16 and AlwaysAllow: /livez and /readyz do not exist, Go's
     * mux answers its plain 404; the server must still count. */
    {"wide_open: 1.13 AlwaysAllow, plain 404 on /livez and /readyz",
     {{V, 200, CT_JSON, B_VERSION_113, 0}, {HZ, 200, CT_TEXT, "ok", 0},
      {LZ, 404, CT_TEXT, B_GO_404, 0}, {RZ, 404, CT_TEXT, B_GO_404, 0},
      {CI, 200, CT_JSON, "{\"kind\":\"ConfigMap\",\"data\":{}}", 0},
      {API, 200, CT_JSON, B_API_200, 0}, {NS, 200, CT_JSON, B_NS_200, 0}},
     7, 1, KC_POSTURE_WIDE_OPEN, "version_json,health_ok", "!", true},
    /* ... but the same 404 from a server that claims 1.28 is wrong. */
    {"not k8s: 1.28 /version with a plain 404 on /livez",
     {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_TEXT, "ok", 0},
      {LZ, 404, CT_TEXT, B_GO_404, 0}},
     3, 0, KC_POSTURE_NONE, "!404:livez", NULL, true},
    /* The excuse covers /livez and /readyz only, not /healthz. */
    {"not k8s: 1.13 /version with a plain 404 on /healthz",
     {{V, 200, CT_JSON, B_VERSION_113, 0}, {HZ, 404, CT_TEXT, B_GO_404, 0}},
     2, 0, KC_POSTURE_NONE, "!404:healthz", NULL, true},
    {"unknown: only 5xx besides a pf header",
     {{V, 503, CT_TEXT, "unavailable", H_PF}},
     1, 1, KC_POSTURE_UNKNOWN, "pf_header", NULL, true},
    {"open: verbose health form, cluster-info 404 Status",
     {{V, 200, CT_JSON, B_VERSION, 0},
      {HZ, 200, CT_TEXT, B_HEALTH_VERBOSE, 0},
      {CI, 404, CT_JSON, B_404_CI, 0}, {API, 403, CT_JSON, B_403_API, 0}},
     4, 1, KC_POSTURE_OPEN, "health_ok", "!", true},
    {"not k8s: nginx 404 on every path",
     {{V, 404, CT_HTML, B_NGINX_404, 0}, {HZ, 404, CT_HTML, B_NGINX_404, 0},
      {API, 404, CT_HTML, B_NGINX_404, 0}},
     3, 0, KC_POSTURE_NONE, "!html:healthz,!404:healthz,!html:api,!404:api", NULL,
     false},
    {"not k8s: Go default 404 text",
     {{V, 404, CT_TEXT, B_GO_404, 0}, {HZ, 404, CT_TEXT, B_GO_404, 0}},
     2, 0, KC_POSTURE_NONE, "!404:healthz", "!html", false},
    {"not k8s: HTML 200 home page on /version",
     {{V, 200, "text/html; charset=UTF-8",
       "<!DOCTYPE html><html><body>Welcome</body></html>", 0}},
     1, 0, KC_POSTURE_NONE, NULL, NULL, false},
    {"impostor: same /version JSON on every path",
     {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_JSON, B_VERSION, 0},
      {LZ, 200, CT_JSON, B_VERSION, 0}, {RZ, 200, CT_JSON, B_VERSION, 0},
      {CI, 200, CT_JSON, B_VERSION, 0}, {API, 200, CT_JSON, B_VERSION, 0}},
     6, 0, KC_POSTURE_NONE,
     "version_json,!health_body:healthz,!health_body:livez", NULL, true},
    {"impostor: /version JSON, nginx behind the rest",
     {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 404, CT_HTML, B_NGINX_404, 0}},
     2, 0, KC_POSTURE_NONE, "version_json,!html:healthz,!404:healthz", NULL,
     true},
    {"not k8s: health 200 but body is not ok",
     {{V, 401, CT_JSON, B_401, 0}, {HZ, 200, CT_TEXT, "healthy", 0}},
     2, 0, KC_POSTURE_NONE, "status_body,!health_body:healthz", NULL, true},
    {"not k8s: Status whose code differs from the HTTP status",
     {{V, 200, CT_JSON, B_401, 0}},
     1, 0, KC_POSTURE_NONE, NULL, "status_body", true},
    {"not k8s: /version JSON lacking gitVersion",
     {{V, 200, CT_JSON, "{\"major\":\"1\",\"minor\":\"28\"}", 0}},
     1, 0, KC_POSTURE_NONE, NULL, "version_json", true},
    {"not k8s: nothing answered",
     {{V, 0, NULL, NULL, 0}}, 1, 0, KC_POSTURE_NONE, NULL, NULL, true},
    {"k8s: health ok alone is a positive signal",
     {{V, 0, NULL, NULL, 0}, {HZ, 200, CT_TEXT, "ok", 0}},
     2, 1, KC_POSTURE_UNKNOWN, "health_ok", NULL, true},
};

/* The legacy row is built from OPEN_DEFAULT with /api replaced. */
static void legacy_fixup(struct kc_result *r)
{
    static const struct canned api = {API, 200, CT_JSON, B_API_200, 0};
    static const struct canned base[] = {OPEN_DEFAULT(B_VERSION)};
    for (size_t i = 0; i < KC_ARRAY_LEN(base); i++)
        fixture_add(r, base[i].id == API ? &api : &base[i]);
}

static void run_scenario(const struct scenario *s)
{
    struct kc_result r;
    kc_result_init(&r);
    bool legacy = strncmp(s->name, "legacy", 6) == 0;
    if (legacy)
        legacy_fixup(&r);
    for (size_t i = 0; i < s->n; i++) {
        fixture_add(&r, &s->probes[i]);
        if (i == 0 && kc_classify_continue(&r) != s->continue_after_first)
            fail_msg("%s: continue after first", s->name);
    }
    assert_int_equal(kc_classify(&r), 0);
    int want_k8s = legacy ? 1 : s->is_k8s;
    enum kc_posture want_p = legacy ? KC_POSTURE_LEGACY : s->posture;
    if (r.is_kubernetes != want_k8s || r.posture != want_p)
        fail_msg("%s: got k8s=%d posture=%s evidence=%s", s->name,
                 r.is_kubernetes, kc_posture_str(r.posture), r.evidence);
    if (s->evidence_has && !strstr(r.evidence, s->evidence_has))
        fail_msg("%s: evidence '%s' lacks '%s'", s->name, r.evidence,
                 s->evidence_has);
    if (s->evidence_not && strstr(r.evidence, s->evidence_not))
        fail_msg("%s: evidence '%s' has '%s'", s->name, r.evidence,
                 s->evidence_not);
    assert_string_equal(r.classifier_version, KC_CLASSIFIER_VERSION);
    /* Idempotent: a second pass gives the same verdict. */
    char ev[sizeof r.evidence];
    memcpy(ev, r.evidence, sizeof ev);
    assert_int_equal(kc_classify(&r), 0);
    assert_string_equal(ev, r.evidence);
    assert_int_equal(r.posture, want_p);
    kc_result_clear(&r);
}

static void test_scenarios(void **state)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(scenarios); i++)
        run_scenario(&scenarios[i]);
}

/* Version columns and vendor land in the result from the /version body. */
static void test_version_fields(void **state)
{
    struct kc_result r;
    kc_result_init(&r);
    const struct canned c[] = {OPEN_DEFAULT(B_VERSION_EKS)};
    for (size_t i = 0; i < KC_ARRAY_LEN(c); i++)
        fixture_add(&r, &c[i]);
    assert_int_equal(kc_classify(&r), 0);
    assert_string_equal(r.git_version.data, "v1.28.5-eks-5e0fdde");
    assert_int_equal(r.major, 1);
    assert_int_equal(r.minor, 28);
    assert_int_equal(r.patch, 5);
    assert_false(r.prerelease);
    assert_int_equal(r.vendor, KC_VENDOR_EKS);
    assert_string_equal(r.vendor_suffix, "");
    assert_string_equal(r.version.minor.data, "28+");
    assert_string_equal(r.version.go_version.data, "go1.20.12");
    assert_string_equal(r.version.platform.data, "linux/amd64");
    assert_int_equal(r.cluster_info_readable, 0);
    assert_int_equal(r.jws_keys, -1);
    assert_int_equal(r.namespaces_count, -1);
    kc_result_clear(&r);
}

/* gitVersion is stored byte-exact, NUL bytes included (JSON_ALLOW_NUL);
 * an unknown build keeps its suffix; a repeated key: the last wins. */
static void test_version_odd_bodies(void **state)
{
    static const struct {
        const char *body;
        const char *git;
        size_t git_len;
        enum kc_vendor vendor;
        const char *suffix;
    } cases[] = {
        {"{\"major\":\"1\",\"minor\":\"2\",\"gitVersion\":\"v1.2\\u0000x\"}",
         "v1.2\0x", 6, KC_VENDOR_OTHER, ""},
        {"{\"major\":\"1\",\"minor\":\"20\",\"gitVersion\":\"v1.20.14-es\"}",
         "v1.20.14-es", 11, KC_VENDOR_OTHER, "-es"},
        {"{\"major\":\"1\",\"minor\":\"2\",\"gitVersion\":\"v9.9.9-gke.1\","
         "\"gitVersion\":\"v1.27.3\"}",
         "v1.27.3", 7, KC_VENDOR_UPSTREAM, ""},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        struct canned c = {V, 200, CT_JSON, cases[i].body, 0};
        fixture_add(&r, &c);
        assert_int_equal(kc_classify(&r), 0);
        assert_int_equal(r.is_kubernetes, 1);
        assert_int_equal(r.git_version.len, cases[i].git_len);
        assert_memory_equal(r.git_version.data, cases[i].git,
                            cases[i].git_len);
        assert_int_equal(r.vendor, cases[i].vendor);
        assert_string_equal(r.vendor_suffix, cases[i].suffix);
        kc_result_clear(&r);
    }
}

/* Invalid UTF-8 in the body: jansson rejects it, the verdict does not
 * crash and leaves the version NULL (the raw body stays in probes[]). */
static void test_invalid_utf8(void **state)
{
    struct kc_result r;
    kc_result_init(&r);
    struct canned c = {V, 200, CT_JSON,
                       "{\"major\":\"1\",\"minor\":\"2\",\"gitVersion\":"
                       "\"v1.2.3\xff\"}",
                       0};
    fixture_add(&r, &c);
    assert_int_equal(kc_classify(&r), 0);
    assert_false(kc_bytes_present(&r.git_version));
    assert_int_equal(r.major, -1);
    assert_int_equal(r.vendor, KC_VENDOR_NONE);
    assert_int_equal(r.is_kubernetes, 0);
    assert_true(kc_bytes_present(&r.probes[0].body));
    kc_result_clear(&r);
}

/* Reclassification input: a record rebuilt from stored fields only (no
 * transport data) gives the same verdict as the live one. */
static void test_from_stored_fields(void **state)
{
    struct kc_result live, stored;
    kc_result_init(&live);
    kc_result_init(&stored);
    const struct canned c[] = {OPEN_DEFAULT(B_VERSION)};
    for (size_t i = 0; i < KC_ARRAY_LEN(c); i++)
        fixture_add(&live, &c[i]);
    live.rtt_us = 1234;
    live.outcome = KC_OUTCOME_OK;
    assert_int_equal(kc_classify(&live), 0);
    for (size_t i = 0; i < KC_ARRAY_LEN(c); i++)
        fixture_add(&stored, &c[i]);
    for (size_t i = 0; i < stored.n_probes; i++)
        stored.probes[i].sent = false; /* storage need not keep it */
    assert_int_equal(kc_classify(&stored), 0);
    assert_int_equal(live.is_kubernetes, stored.is_kubernetes);
    assert_int_equal(live.posture, stored.posture);
    assert_string_equal(live.evidence, stored.evidence);
    assert_int_equal(live.vendor, stored.vendor);
    kc_result_clear(&live);
    kc_result_clear(&stored);
}

static void test_cert_evidence(void **state)
{
    static const struct {
        const char *issuer_cn, *sans;
        bool k8s;
    } cases[] = {
        {"kubernetes", "DNS:api.example.com", true},
        {"Let's Encrypt R3", "DNS:kubernetes.default.svc.cluster.local", true},
        {"Let's Encrypt R3", "DNS:www.example.com\nIP:1.2.3.4", false},
        {"kubernetes-ca", "", false},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        r.cert.present = true;
        kc_bytes_set_str(&r.cert.issuer_cn, cases[i].issuer_cn);
        kc_bytes_set_str(&r.cert.sans, cases[i].sans);
        struct canned c = {V, 404, CT_HTML, B_NGINX_404, 0};
        fixture_add(&r, &c);
        assert_int_equal(kc_classify(&r), 0);
        /* Evidence only: never decides. */
        assert_int_equal(r.is_kubernetes, 0);
        assert_int_equal(strstr(r.evidence, "cert_k8s") != NULL, cases[i].k8s);
        kc_result_clear(&r);
    }
}

/* Early stop along a sequence: continue[i] after probe i is answered. */
static void test_continue(void **state)
{
    static const struct {
        const char *name;
        struct canned probes[4];
        size_t n;
        bool cont[4];
    } cases[] = {
        {"kube open",
         {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_TEXT, "ok", 0},
          {CI, 403, CT_JSON, B_403_CI, 0}, {API, 403, CT_JSON, B_403_API, 0}},
         4, {true, true, true, true}},
        {"kube disabled",
         {{V, 401, CT_JSON, B_401, 0}, {HZ, 401, CT_JSON, B_401, 0}},
         2, {true, true}},
        {"impostor: health answered with JSON",
         {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_JSON, B_VERSION, 0},
          {LZ, 200, CT_TEXT, "ok", 0}},
         3, {true, false, false}},
        {"1.13 AlwaysAllow: plain 404 on /livez and /readyz, keep going",
         {{V, 200, CT_JSON, B_VERSION_113, 0}, {HZ, 200, CT_TEXT, "ok", 0},
          {LZ, 404, CT_TEXT, B_GO_404, 0}, {RZ, 404, CT_TEXT, B_GO_404, 0}},
         4, {true, true, true, true}},
        {"1.28: plain 404 on /livez stops",
         {{V, 200, CT_JSON, B_VERSION, 0}, {HZ, 200, CT_TEXT, "ok", 0},
          {LZ, 404, CT_TEXT, B_GO_404, 0}},
         3, {true, true, false}},
        {"nginx 404 on /version", {{V, 404, CT_HTML, B_NGINX_404, 0}}, 1,
         {false}},
        {"Go 404 on /version", {{V, 404, CT_TEXT, B_GO_404, 0}}, 1, {false}},
        {"/version 200 plain text", {{V, 200, CT_TEXT, "hello", 0}}, 1,
         {false}},
        {"/version 200 other JSON: maybe a proxy, keep going",
         {{V, 200, CT_JSON, "{\"ok\":true}", 0}}, 1, {true}},
        {"/version HTML but a pf header", {{V, 404, CT_HTML, "<p>", H_PF}}, 1,
         {true}},
        {"/version unanswered, /api nginx",
         {{V, 0, NULL, NULL, 0}, {API, 404, CT_HTML, B_NGINX_404, 0}}, 2,
         {true, false}},
        {"/version 503 text (starting up)", {{V, 503, CT_TEXT, "x", 0}}, 1,
         {true}},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        for (size_t k = 0; k < cases[i].n; k++) {
            fixture_add(&r, &cases[i].probes[k]);
            if (kc_classify_continue(&r) != cases[i].cont[k])
                fail_msg("%s: after probe %zu", cases[i].name, k);
            /* The scanner's variant agrees up to the first stop (it is
             * never asked again after one). */
            bool stopped = false;
            for (size_t j = 0; j < k; j++)
                stopped |= !cases[i].cont[j];
            if (!stopped && kc_classify_continue_newest(&r) != cases[i].cont[k])
                fail_msg("%s: newest, after probe %zu", cases[i].name, k);
        }
        kc_result_clear(&r);
    }
}

/* A probe never sent (the server closed, the reconnects ran out) is
 * unknown: the rules that conclude from its absence give way to unknown;
 * rule 1's positive answer stands. Sent-but-unanswered stays as before. */
static void test_unsent_probe_is_unknown(void **state)
{
    static const struct canned open[] = {OPEN_DEFAULT(B_VERSION)};
    static const struct canned api200 = {API, 200, CT_JSON, B_API_200, 0};
    static const struct canned ns200 = {NS, 200, CT_JSON, B_NS_200, 0};
    static const struct {
        const char *name;
        size_t unsent_from;  /* probes of open[] from here not sent */
        bool api_200, ns_unsent, ns_200;
        enum kc_posture want;
    } cases[] = {
        {"all answered", 6, false, false, false, KC_POSTURE_OPEN},
        {"/api not sent", 5, false, false, false, KC_POSTURE_UNKNOWN},
        {"health onwards not sent", 1, false, false, false, KC_POSTURE_UNKNOWN},
        {"/api 200, namespaces not sent", 6, true, true, false,
         KC_POSTURE_UNKNOWN},
        {"namespaces 200", 6, true, false, true, KC_POSTURE_WIDE_OPEN},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        for (size_t k = 0; k < KC_ARRAY_LEN(open); k++) {
            fixture_add(&r, open[k].id == API && cases[i].api_200 ? &api200
                                                                  : &open[k]);
            struct kc_probe_result *p = &r.probes[r.n_probes - 1];
            p->sent = k < cases[i].unsent_from;
            if (!p->sent) {
                p->answered = false;
                p->status = 0;
            }
        }
        if (cases[i].ns_200)
            fixture_add(&r, &ns200);
        if (cases[i].ns_unsent) {
            struct kc_probe_result *p = &r.probes[r.n_probes++];
            p->id = KC_PROBE_NAMESPACES;
        }
        assert_int_equal(kc_classify(&r), 0);
        if (r.posture != cases[i].want)
            fail_msg("%s: posture %s", cases[i].name,
                     kc_posture_str(r.posture));
        assert_int_equal(r.is_kubernetes, 1);
        kc_result_clear(&r);
    }
}

/* kc_reclassify reports whether the stored verdict changes. */
static void test_reclassify_changed(void **state)
{
    struct kc_result r;
    kc_result_init(&r);
    const struct canned c[] = {OPEN_DEFAULT(B_VERSION_EKS)};
    for (size_t i = 0; i < KC_ARRAY_LEN(c); i++)
        fixture_add(&r, &c[i]);
    bool changed = false;
    /* Never classified: everything changes. */
    assert_int_equal(kc_reclassify(&r, &changed), 0);
    assert_true(changed);
    /* Same rules, same evidence: nothing changes. */
    assert_int_equal(kc_reclassify(&r, &changed), 0);
    assert_false(changed);
    /* A stored verdict from older rules differs in one column. */
    r.vendor = KC_VENDOR_OTHER;
    assert_int_equal(kc_reclassify(&r, &changed), 0);
    assert_true(changed);
    assert_int_equal(r.vendor, KC_VENDOR_EKS);
    r.posture = KC_POSTURE_UNKNOWN;
    assert_int_equal(kc_reclassify(&r, NULL), 0);
    assert_int_equal(r.posture, KC_POSTURE_OPEN);
    kc_result_clear(&r);
}

/* The evidence field is bounded: whole tokens only, positives kept. */
static void test_evidence_bound(void **state)
{
    static const char head[] = "version_json,pf_header,audit_id,cert_k8s,"
                               "!html:cluster_info,!404:cluster_info";
    const struct canned v = {V, 200, CT_JSON, B_VERSION, H_PF | H_AUDIT};
    const struct canned ci = {CI, 404, CT_HTML, B_NGINX_404, 0};
    struct kc_result r;
    kc_result_init(&r);
    r.cert.present = true;
    kc_bytes_set_str(&r.cert.issuer_cn, "kubernetes");
    fixture_add(&r, &v);
    /* A damaged record: cluster-info six times, 12 long tokens, more than
     * the field holds. */
    while (r.n_probes < KC_PROBE__COUNT)
        fixture_add(&r, &ci);
    assert_int_equal(kc_classify(&r), 0);
    size_t len = strlen(r.evidence), tokens = 1;
    assert_true(len < sizeof r.evidence);
    assert_true(len > sizeof r.evidence - 40);
    for (const char *p = r.evidence; *p; p++)
        tokens += *p == ',';
    assert_true(tokens < 4 + 12); /* some were left out */
    assert_int_equal(strncmp(r.evidence, head, sizeof head - 1), 0);
    /* Ends on a whole token. */
    const char *last = strrchr(r.evidence, ',') + 1;
    assert_true(strcmp(last, "!404:cluster_info") == 0 ||
                strcmp(last, "!html:cluster_info") == 0);
    assert_int_equal(r.is_kubernetes, 0);
    kc_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_version_fields),
        cmocka_unit_test(test_version_odd_bodies),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_from_stored_fields),
        cmocka_unit_test(test_cert_evidence),
        cmocka_unit_test(test_continue),
        cmocka_unit_test(test_unsent_probe_is_unknown),
        cmocka_unit_test(test_reclassify_changed),
        cmocka_unit_test(test_evidence_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
