/* test_respond.c - tests/fleet/respond.c: status per (behaviour, path,
 * credential), header sets, exact bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fleet.h"

#define CI "/api/v1/namespaces/kube-public/configmaps/cluster-info"
#define NS "/api/v1/namespaces"

struct reply {
    int status;
    char head[2048];
    const char *body;
    struct kc_buf buf;
};

static void get(enum fleet_behaviour b, const char *version, const char *path,
                enum fleet_cred cred, struct reply *r)
{
    struct fleet_member m = {.addr = 0x7f100005u, .id = 5, .behaviour = b,
                             .git_version = version,
                             .vendor = fleet_vendor_of(version)};
    struct fleet_plan p = {.base = m.addr, .n_members = 1, .members = &m};
    kc_buf_init(&r->buf, 1 << 20);
    assert_int_equal(fleet_respond(&p, &m, "GET", path, cred, 1, 1700000000,
                                   "Q0E=", &r->buf), 0);
    r->buf.data[r->buf.len] = 0;
    char *s = (char *)r->buf.data;
    assert_int_equal(sscanf(s, "HTTP/1.1 %d ", &r->status), 1);
    char *end = strstr(s, "\r\n\r\n");
    assert_non_null(end);
    size_t hl = (size_t)(end - s);
    assert_true(hl < sizeof(r->head));
    memcpy(r->head, s, hl);
    r->head[hl] = 0;
    r->body = end + 4;
    unsigned long clen;
    char *cl = strstr(r->head, "Content-Length: ");
    assert_non_null(cl);
    clen = strtoul(cl + 16, NULL, 10);
    assert_int_equal(clen, strlen(r->body));
}

static const struct status_case {
    enum fleet_behaviour b;
    const char *path;
    enum fleet_cred cred;
    int status;
} status_cases[] = {
    {FLEET_B_OPEN, "/version", FLEET_CRED_NONE, 200},
    {FLEET_B_OPEN, "/healthz", FLEET_CRED_NONE, 200},
    {FLEET_B_OPEN, "/livez", FLEET_CRED_NONE, 200},
    {FLEET_B_OPEN, "/readyz?verbose", FLEET_CRED_NONE, 200},
    {FLEET_B_OPEN, CI, FLEET_CRED_NONE, 200},
    {FLEET_B_OPEN, "/api", FLEET_CRED_NONE, 403},
    {FLEET_B_OPEN, NS, FLEET_CRED_NONE, 403},
    {FLEET_B_OPEN, "/version", FLEET_CRED_BASIC, 200}, /* still anonymous */
    {FLEET_B_OPEN, "/version", FLEET_CRED_BEARER, 401},
    {FLEET_B_LIMITED, "/version", FLEET_CRED_NONE, 401},
    {FLEET_B_LIMITED, "/healthz", FLEET_CRED_NONE, 200},
    {FLEET_B_LIMITED, CI, FLEET_CRED_NONE, 200},
    {FLEET_B_LIMITED, "/api", FLEET_CRED_NONE, 401},
    {FLEET_B_LIMITED, NS, FLEET_CRED_NONE, 401},
    {FLEET_B_RBAC_DENIED, "/version", FLEET_CRED_NONE, 403},
    {FLEET_B_RBAC_DENIED, "/healthz", FLEET_CRED_NONE, 403},
    {FLEET_B_RBAC_DENIED, CI, FLEET_CRED_NONE, 403},
    {FLEET_B_RBAC_DENIED, "/api", FLEET_CRED_NONE, 403},
    {FLEET_B_DISABLED, "/version", FLEET_CRED_NONE, 401},
    {FLEET_B_DISABLED, "/healthz", FLEET_CRED_BASIC, 401},
    {FLEET_B_DISABLED, "/api", FLEET_CRED_NONE, 401},
    {FLEET_B_WIDE_OPEN, "/api", FLEET_CRED_NONE, 200},
    {FLEET_B_WIDE_OPEN, NS, FLEET_CRED_NONE, 200},
    {FLEET_B_WIDE_OPEN, "/api/v1", FLEET_CRED_NONE, 200},
    {FLEET_B_WIDE_OPEN, "/nothing", FLEET_CRED_NONE, 404},
    {FLEET_B_LEGACY, "/version", FLEET_CRED_NONE, 200},
    {FLEET_B_LEGACY, "/healthz", FLEET_CRED_NONE, 200},
    {FLEET_B_LEGACY, "/livez", FLEET_CRED_NONE, 403}, /* no livez pre-1.16 */
    {FLEET_B_LEGACY, "/api", FLEET_CRED_NONE, 200},
    {FLEET_B_LEGACY, NS, FLEET_CRED_NONE, 403},
    {FLEET_B_ALWAYS_ALLOW, "/version", FLEET_CRED_NONE, 200},
    {FLEET_B_ALWAYS_ALLOW, "/livez", FLEET_CRED_NONE, 200}, /* 1.28 has it */
    {FLEET_B_ALWAYS_ALLOW, CI, FLEET_CRED_NONE, 200},
    {FLEET_B_ALWAYS_ALLOW, "/api", FLEET_CRED_BASIC, 200},
    {FLEET_B_ALWAYS_ALLOW, NS, FLEET_CRED_NONE, 200},
    {FLEET_B_ALWAYS_ALLOW, NS, FLEET_CRED_BEARER, 401}, /* authn first */
    {FLEET_B_NOT_K8S_HTML, "/version", FLEET_CRED_NONE, 404},
    {FLEET_B_NOT_K8S_HTML, "/healthz", FLEET_CRED_BEARER, 404},
    {FLEET_B_NOT_K8S_JSON, "/version", FLEET_CRED_NONE, 200},
    {FLEET_B_NOT_K8S_JSON, "/healthz", FLEET_CRED_NONE, 404},
};

static void test_statuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(status_cases); i++) {
        const struct status_case *c = &status_cases[i];
        struct reply r;
        get(c->b, "v1.28.5", c->path, c->cred, &r);
        if (r.status != c->status)
            fail_msg("case %zu %s %s: got %d want %d", i,
                     fleet_behaviour_str(c->b), c->path, r.status, c->status);
        bool k8s = c->b != FLEET_B_NOT_K8S_HTML && c->b != FLEET_B_NOT_K8S_JSON;
        /* 401 is decided before priority and fairness: no Pf headers. */
        bool pf = strstr(r.head, "X-Kubernetes-Pf-Flowschema-Uid: ") != NULL;
        assert_int_equal(pf, k8s && r.status != 401);
        assert_int_equal(strstr(r.head, "Audit-Id: ") != NULL, k8s);
        kc_buf_free(&r.buf);
    }
}

static void test_exact_bodies(void **state)
{
    (void)state;
    struct reply r;
    get(FLEET_B_DISABLED, "v1.29.2+k3s1", "/version", FLEET_CRED_NONE, &r);
    assert_string_equal(r.body,
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":"
                        "{},\"status\":\"Failure\",\"message\":\"Unauthorized\","
                        "\"reason\":\"Unauthorized\",\"code\":401}\n");
    kc_buf_free(&r.buf);
    get(FLEET_B_OPEN, "v1.28.5", "/api", FLEET_CRED_NONE, &r);
    assert_string_equal(
        r.body,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
        "\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" "
        "cannot get path \\\"/api\\\"\",\"reason\":\"Forbidden\",\"details\":"
        "{},\"code\":403}\n");
    assert_non_null(strstr(r.head, "X-Content-Type-Options: nosniff"));
    kc_buf_free(&r.buf);
    get(FLEET_B_OPEN, "v1.28.5", "/healthz", FLEET_CRED_NONE, &r);
    assert_string_equal(r.body, "ok");
    assert_non_null(
        strstr(r.head, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    kc_buf_free(&r.buf);
}

/* AlwaysAllow before 1.16: every path that exists answers 200, /livez and
 * /readyz are Go's plain 404 (net/http NotFound), 1.16 on has them. */
static const struct pre116_case {
    const char *version;
    const char *path;
    int status;
} pre116_cases[] = {
    {"v1.13.12", "/livez", 404},   {"v1.13.12", "/readyz", 404},
    {"v1.15.12", "/readyz?verbose", 404},
    {"v1.13.12", "/healthz", 200}, {"v1.13.12", "/version", 200},
    {"v1.13.12", CI, 200},         {"v1.13.12", "/api", 200},
    {"v1.15.12", NS, 200},         {"v1.16.0", "/livez", 200},
    {"v1.16.0", "/readyz", 200},
};

static void test_always_allow_pre116(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(pre116_cases); i++) {
        const struct pre116_case *c = &pre116_cases[i];
        struct reply r;
        get(FLEET_B_ALWAYS_ALLOW, c->version, c->path, FLEET_CRED_NONE, &r);
        if (r.status != c->status)
            fail_msg("case %zu %s %s: got %d want %d", i, c->version,
                     c->path, r.status, c->status);
        if (c->status == 404) {
            assert_string_equal(r.body, "404 page not found\n");
            assert_non_null(strstr(
                r.head, "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "X-Content-Type-Options: nosniff\r\n"));
            /* priority and fairness came in 1.18-1.20 */
            assert_null(strstr(r.head, "X-Kubernetes-Pf-"));
        }
        kc_buf_free(&r.buf);
    }
    /* /version shaped like those releases: no emulation fields */
    struct reply r;
    get(FLEET_B_ALWAYS_ALLOW, "v1.13.12", "/version", FLEET_CRED_NONE, &r);
    json_error_t e;
    json_t *j = json_loads(r.body, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "minor")), "13");
    assert_string_equal(json_string_value(json_object_get(j, "goVersion")),
                        "go1.11.13");
    assert_null(json_object_get(j, "emulationMajor"));
    json_decref(j);
    kc_buf_free(&r.buf);
}

static const struct version_case {
    const char *git_version;
    const char *minor;
    bool emulation;
} version_cases[] = {
    {"v1.28.5-eks-5e0fdde", "28+", false},
    {"v1.27.8-gke.1067004", "27", false},
    {"v1.33.1", "33", true},
    {"v1.12.10", "12", false},
};

static void test_version_json(void **state)
{
    (void)state;
    static const char *const order[] = {
        "\"major\"", "\"minor\"", "\"gitVersion\"", "\"gitCommit\"",
        "\"gitTreeState\"", "\"buildDate\"", "\"goVersion\"", "\"compiler\"",
        "\"platform\""};
    for (size_t i = 0; i < KC_ARRAY_LEN(version_cases); i++) {
        struct reply r;
        get(FLEET_B_OPEN, version_cases[i].git_version, "/version",
            FLEET_CRED_NONE, &r);
        assert_true(strncmp(r.body, "{\n  \"major\": \"1\",\n", 18) == 0);
        assert_int_not_equal(r.body[strlen(r.body) - 1], '\n');
        json_error_t e;
        json_t *j = json_loads(r.body, 0, &e);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "gitVersion")),
                            version_cases[i].git_version);
        assert_string_equal(json_string_value(json_object_get(j, "minor")),
                            version_cases[i].minor);
        assert_int_equal(json_object_get(j, "emulationMajor") != NULL,
                         version_cases[i].emulation);
        json_decref(j);
        const char *prev = r.body;
        for (size_t k = 0; k < KC_ARRAY_LEN(order); k++) {
            const char *at = strstr(r.body, order[k]);
            assert_non_null(at);
            assert_true(at >= prev);
            prev = at;
        }
        kc_buf_free(&r.buf);
    }
}

static void test_cluster_info(void **state)
{
    (void)state;
    struct reply r;
    get(FLEET_B_OPEN, "v1.28.5", CI, FLEET_CRED_NONE, &r);
    json_error_t e;
    json_t *j = json_loads(r.body, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")),
                        "ConfigMap");
    json_t *data = json_object_get(j, "data");
    const char *kc = json_string_value(json_object_get(data, "kubeconfig"));
    assert_non_null(kc);
    assert_non_null(strstr(kc, "certificate-authority-data: Q0E=\n"));
    const char *key;
    json_t *v;
    int jws = 0;
    json_object_foreach(data, key, v) jws += strncmp(key, "jws-kubeconfig-",
                                                     15) == 0;
    assert_int_equal(jws, 1);
    json_decref(j);
    kc_buf_free(&r.buf);
}

/* Each HTTP framing: the same answer, framed as the member's stack would
 * (status line, length, Connection), Kubernetes and plain replies alike. */
static void test_http_framings(void **state)
{
    static const struct {
        enum fleet_http h;
        const char *prefix; /* up to the status code */
        bool length, close;
    } cases[] = {
        {FLEET_H_KEEP_ALIVE, "HTTP/1.1 ", true, false},
        {FLEET_H_CLOSE, "HTTP/1.1 ", true, true},
        {FLEET_H_HTTP10, "HTTP/1.0 ", true, false},
        {FLEET_H_EOF_BODY, "HTTP/1.1 ", false, true},
        {FLEET_H_INTERIM, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 ", true,
         false},
        {FLEET_H_RENEGOTIATE, "HTTP/1.1 ", true, false},
        {FLEET_H_CHUNKED, "HTTP/1.1 ", false, false},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        for (int plain = 0; plain < 2; plain++) {
            struct fleet_member m = {
                .addr = 0x7f100005u, .id = 5, .http = cases[i].h,
                .behaviour = plain ? FLEET_B_NOT_K8S_HTML : FLEET_B_DISABLED,
                .git_version = "v1.29.2", .vendor = KC_VENDOR_UPSTREAM};
            struct fleet_plan p = {.base = m.addr, .n_members = 1,
                                   .members = &m};
            struct kc_buf b;
            char want[64];
            kc_buf_init(&b, 1 << 20);
            assert_int_equal(fleet_respond(&p, &m, "GET", "/version",
                                           FLEET_CRED_NONE, 1, 1700000000,
                                           "Q0E=", &b), 0);
            assert_int_equal(kc_buf_append(&b, "", 1), 0);
            const char *r = (const char *)b.data;
            kc_snprintf(want, sizeof(want), "%s%s", cases[i].prefix,
                        plain ? "404 " : "401 ");
            assert_memory_equal(r, want, strlen(want));
            assert_int_equal(strstr(r, "Content-Length: ") != NULL,
                             cases[i].length);
            assert_int_equal(strstr(r, "Connection: close\r\n") != NULL,
                             cases[i].close);
            assert_int_equal(strstr(r, "Transfer-Encoding: chunked\r\n") !=
                                 NULL,
                             cases[i].h == FLEET_H_CHUNKED);
            if (cases[i].h == FLEET_H_CHUNKED) /* last chunk, trailer */
                assert_non_null(strstr(r, "\r\n0\r\nX-Fleet-Trailer: end"
                                          "\r\n\r\n"));
            if (plain) /* nginx says keep-alive unless it closes */
                assert_int_equal(strstr(r, "Connection: keep-alive") != NULL,
                                 !fleet_http_closes(cases[i].h));
            kc_buf_free(&b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_exact_bodies),
        cmocka_unit_test(test_version_json),
        cmocka_unit_test(test_always_allow_pre116),
        cmocka_unit_test(test_cluster_info),
        cmocka_unit_test(test_http_framings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
