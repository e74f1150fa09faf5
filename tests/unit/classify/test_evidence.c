/* test_evidence.c - per-probe findings, JSON loading, cluster-info and the
 * namespace count (evidence.c, the extraction half of classify.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "classify-private.h"
#include "fixture.h"

/* The fingerprint of tests/data/cluster-ca.pem:
 * openssl x509 -in cluster-ca.pem -outform der | sha256sum */
#define CA_SHA256 \
    "cc9bb5eb1c97cf8c4d9c2bfd3b7ed5477fefcbf3de3394a5bf9c6d4e9452c293"

static void test_findings(void **state)
{
    static const struct {
        struct canned c;
        unsigned want;
    } cases[] = {
        {{KC_PROBE_VERSION, 200, CT_JSON, B_VERSION, H_PF | H_AUDIT},
         KC_FIND_VERSION_JSON | KC_FIND_PF | KC_FIND_AUDIT_ID},
        {{KC_PROBE_VERSION, 200, CT_JSON, B_VERSION_EKS, 0},
         KC_FIND_VERSION_JSON},
        {{KC_PROBE_VERSION, 403, CT_JSON, B_403_VERSION, 0}, KC_FIND_STATUS},
        {{KC_PROBE_API, 401, CT_JSON, B_401, 0}, KC_FIND_STATUS},
        {{KC_PROBE_CLUSTER_INFO, 404, CT_JSON, B_404_CI, 0}, KC_FIND_STATUS},
        {{KC_PROBE_CLUSTER_INFO, 403, CT_JSON, B_401, 0}, 0},
        {{KC_PROBE_HEALTHZ, 200, CT_TEXT, "ok", 0}, KC_FIND_HEALTH_OK},
        {{KC_PROBE_LIVEZ, 200, "text/plain", B_HEALTH_VERBOSE, 0},
         KC_FIND_HEALTH_OK},
        {{KC_PROBE_READYZ, 200, CT_TEXT, "[+]ping ok\n[-]etcd failed\n"
                                         "readyz check passed\n", 0},
         KC_FIND_HEALTH_BAD},
        {{KC_PROBE_READYZ, 200, CT_JSON, "ok", 0}, KC_FIND_HEALTH_BAD},
        {{KC_PROBE_READYZ, 200, CT_TEXT, "ok\n", 0}, KC_FIND_HEALTH_BAD},
        {{KC_PROBE_HEALTHZ, 404, CT_HTML, B_NGINX_404, 0},
         KC_FIND_HTML | KC_FIND_404_NOT_STATUS},
        {{KC_PROBE_HEALTHZ, 200, NULL, "  <html>", 0},
         KC_FIND_HTML | KC_FIND_HEALTH_BAD},
        {{KC_PROBE_API, 404, CT_TEXT, B_GO_404, 0}, KC_FIND_404_NOT_STATUS},
        {{KC_PROBE_API, 0, NULL, NULL, H_PF}, 0}, /* unanswered: nothing */
        {{KC_PROBE_VERSION, 200, CT_JSON, "[1,2]", 0}, 0},
        {{KC_PROBE_VERSION, 200, CT_JSON,
          "{\"major\":1,\"minor\":\"2\",\"gitVersion\":\"v1.2.3\"}", 0}, 0},
        /* A Status body with kind wrong, apiVersion wrong, code a string. */
        {{KC_PROBE_API, 401, CT_JSON,
          "{\"kind\":\"status\",\"apiVersion\":\"v1\",\"code\":401}", 0}, 0},
        {{KC_PROBE_API, 401, CT_JSON,
          "{\"kind\":\"Status\",\"apiVersion\":\"v2\",\"code\":401}", 0}, 0},
        {{KC_PROBE_API, 401, CT_JSON,
          "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"code\":\"401\"}", 0},
         0},
        /* Trailing garbage after the object: not JSON (as Go decodes it). */
        {{KC_PROBE_API, 401, CT_JSON, B_401 "x", 0}, 0},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        fixture_add(&r, &cases[i].c);
        unsigned got = kc_probe_read(&r, &r.probes[0])->findings;
        if (got != cases[i].want)
            fail_msg("case %zu (%s %d): got 0x%x want 0x%x", i,
                     kc_probe_str(cases[i].c.id), cases[i].c.status, got,
                     cases[i].want);
        kc_result_clear(&r);
    }
}

/* Contradictions count on health paths, /api and cluster-info only. */
static void test_contradiction_paths(void **state)
{
    for (int id = 0; id < KC_PROBE__COUNT; id++) {
        struct kc_result r;
        kc_result_init(&r);
        struct canned c = {(enum kc_probe_id)id, 404, CT_HTML, B_NGINX_404, 0};
        fixture_add(&r, &c);
        bool counts = id != KC_PROBE_VERSION && id != KC_PROBE_NAMESPACES;
        unsigned found = kc_probe_read(&r, &r.probes[0])->findings;
        assert_int_equal((found & kc_contradiction_mask(c.id)) != 0, counts);
        kc_result_clear(&r);
    }
}

static void test_json_loading(void **state)
{
    struct kc_bytes b = {0};
    /* Duplicate keys: last wins. */
    kc_bytes_set_str(&b, "{\"a\":\"first\",\"a\":\"last\"}");
    json_t *o = kc_json_object(&b);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "a")), "last");
    json_decref(o);
    /* \u0000 inside a string is allowed. */
    kc_bytes_set_str(&b, "{\"a\":\"x\\u0000y\"}");
    o = kc_json_object(&b);
    assert_non_null(o);
    assert_int_equal(json_string_length(json_object_get(o, "a")), 3);
    json_decref(o);
    /* Not objects, broken, empty, absent. */
    static const char *const bad[] = {"", "[]", "\"s\"", "{", "{} {}", "nul"};
    for (size_t i = 0; i < KC_ARRAY_LEN(bad); i++) {
        kc_bytes_set_str(&b, bad[i]);
        assert_null(kc_json_object(&b));
    }
    kc_bytes_free(&b);
    assert_null(kc_json_object(&b));
}

static void classify_ci(struct kc_result *r, int status, const char *body)
{
    kc_result_init(r);
    struct canned c[] = {
        {KC_PROBE_VERSION, 200, CT_JSON, B_VERSION, 0},
        {KC_PROBE_CLUSTER_INFO, status, CT_JSON, body, 0},
    };
    fixture_add(r, &c[0]);
    fixture_add(r, &c[1]);
    assert_int_equal(kc_classify(r), 0);
}

static void test_cluster_info(void **state)
{
    size_t len;
    char *body = fixture_read("cluster-info-200.json", &len);
    struct kc_result r;

    classify_ci(&r, 200, body);
    assert_int_equal(r.cluster_info_readable, 1);
    assert_string_equal(r.cluster_ca_sha256, CA_SHA256);
    assert_int_equal(r.jws_keys, 2);
    assert_int_equal(r.posture, KC_POSTURE_OPEN);
    kc_result_clear(&r);

    /* Body cut at its bound just after the CA: raw text still yields it. */
    char *cut = strstr(body, "server:");
    assert_non_null(cut);
    *cut = '\0';
    classify_ci(&r, 200, body);
    assert_int_equal(r.cluster_info_readable, 1);
    assert_string_equal(r.cluster_ca_sha256, CA_SHA256);
    assert_int_equal(r.jws_keys, 2);
    kc_result_clear(&r);

    /* Cut inside the base64: the PEM end marker is missing, no CA. */
    char *ca = strstr(body, "certificate-authority-data: ");
    ca[60] = '\0';
    classify_ci(&r, 200, body);
    assert_string_equal(r.cluster_ca_sha256, "");
    kc_result_clear(&r);
    free(body);

    static const struct {
        int status;
        const char *body;
        int readable, jws;
    } cases[] = {
        {403, B_403_CI, 0, -1},
        {404, B_404_CI, 0, -1},
        {200, "{\"kind\":\"ConfigMap\",\"data\":{}}", 1, 0},
        {200, "{\"kind\":\"ConfigMap\",\"data\":{\"kubeconfig\":"
              "\"certificate-authority-data: !!!\"}}", 1, 0},
        {200, "{\"kind\":\"ConfigMap\"}", 1, -1},
        {0, NULL, -1, -1},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        classify_ci(&r, cases[i].status, cases[i].body);
        assert_int_equal(r.cluster_info_readable, cases[i].readable);
        assert_int_equal(r.jws_keys, cases[i].jws);
        assert_string_equal(r.cluster_ca_sha256, "");
        kc_result_clear(&r);
    }
}

/* certificate-authority-data holding DER directly (no PEM armour). */
static void test_kubeconfig_der(void **state)
{
    char *pem = fixture_read("cluster-ca.pem", NULL);
    char *b = strstr(pem, "-----\n") + 6;
    char *e = strstr(b, "-----END");
    uint8_t der[4096];
    ssize_t n = kc_base64_decode(b, (size_t)(e - b), der, sizeof der);
    assert_true(n > 0);
    char hex[KC_SHA256_HEX];
    kc_sha256_hex(der, (size_t)n, hex);
    assert_string_equal(hex, CA_SHA256);
    /* Re-encode the base64 PEM body as-is on one line: that is DER b64. */
    char text[4096] = "certificate-authority-data: ";
    size_t k = strlen(text);
    for (char *p = b; p < e && k < sizeof text - 1; p++)
        if (*p != '\n')
            text[k++] = *p;
    text[k] = '\0';
    char out[KC_SHA256_HEX] = "";
    assert_true(kc_kubeconfig_ca_sha256(text, k, out));
    assert_string_equal(out, CA_SHA256);
    assert_false(kc_kubeconfig_ca_sha256("no key here", 11, out));
    free(pem);
}

static void test_namespaces(void **state)
{
    static const struct {
        int status;
        const char *body;
        int count;
        enum kc_posture posture;
    } cases[] = {
        {200, B_NS_200, 4, KC_POSTURE_WIDE_OPEN},
        {200, "{\"kind\":\"NamespaceList\",\"items\":[]}", 0,
         KC_POSTURE_WIDE_OPEN},
        {200, "{\"kind\":\"NamespaceList\",\"items\":[{\"metadata\":", -1,
         KC_POSTURE_WIDE_OPEN}, /* cut at the bound: no guess */
        {403, B_403_API, -1, KC_POSTURE_OPEN},
        {401, B_401, -1, KC_POSTURE_LIMITED},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        struct canned c[] = {
            {KC_PROBE_VERSION, 200, CT_JSON, B_VERSION, 0},
            {KC_PROBE_NAMESPACES, cases[i].status, CT_JSON, cases[i].body, 0},
        };
        fixture_add(&r, &c[0]);
        fixture_add(&r, &c[1]);
        assert_int_equal(kc_classify(&r), 0);
        assert_int_equal(r.namespaces_count, cases[i].count);
        assert_int_equal(r.posture, cases[i].posture);
        kc_result_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_findings),
        cmocka_unit_test(test_contradiction_paths),
        cmocka_unit_test(test_json_loading),
        cmocka_unit_test(test_cluster_info),
        cmocka_unit_test(test_kubeconfig_der),
        cmocka_unit_test(test_namespaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
