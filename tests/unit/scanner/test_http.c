/* Tests scanner/http.c: responses fed whole and byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scanner-private.h"

struct http_case {
    const char *name;
    enum kc_probe_id probe;
    const char *wire;   /* what the peer sends */
    bool eof;           /* peer closes after wire */
    enum kc_http_status want;
    int status;
    const char *body;   /* NULL: don't check */
    const char *ctype;
    bool audit, pf;
    bool keep_alive;
};

static const struct http_case cases[] = {
    {"content-length", KC_PROBE_VERSION,
     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nAudit-Id: x\r\n"
     "Content-Length: 2\r\n\r\n{}",
     false, KC_HTTP_COMPLETE, 200, "{}", "application/json", true, false, true},
    {"chunked", KC_PROBE_HEALTHZ,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
     "X-Kubernetes-PF-FlowSchema-UID: a\r\n\r\n2\r\nok\r\n0\r\n\r\n",
     false, KC_HTTP_COMPLETE, 200, "ok", NULL, false, true, true},
    {"close-delimited", KC_PROBE_API,
     "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\ndenied", true,
     KC_HTTP_COMPLETE, 403, "denied", NULL, false, false, false},
    {"100 then 200", KC_PROBE_LIVEZ,
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false,
     KC_HTTP_COMPLETE, 204, "", NULL, false, false, true},
    {"http/1.0 no length", KC_PROBE_READYZ,
     "HTTP/1.0 200 OK\r\n\r\nbody", true, KC_HTTP_COMPLETE, 200, "body", NULL,
     false, false, false},
    {"101 is final", KC_PROBE_VERSION,
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", false,
     KC_HTTP_COMPLETE, 101, NULL, NULL, false, false, false},
    {"two 1xx then 200", KC_PROBE_VERSION,
     "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
     "HTTP/1.1 199 Misc\r\n\r\n"
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     false, KC_HTTP_COMPLETE, 200, "ok", NULL, false, false, true},
    {"1xx alone is not an answer", KC_PROBE_VERSION,
     "HTTP/1.1 100 Continue\r\n\r\n", false, KC_HTTP_MORE, 0, NULL, NULL,
     false, false, false},
    {"status 0", KC_PROBE_VERSION,
     "HTTP/1.1 0 OK\r\nContent-Length: 2\r\n\r\n{}", false, KC_HTTP_ERROR,
     0, NULL, NULL, false, false, false},
    {"status 99", KC_PROBE_VERSION,
     "HTTP/1.1 99 OK\r\nContent-Length: 0\r\n\r\n", false, KC_HTTP_ERROR,
     0, NULL, NULL, false, false, false},
    {"status 099", KC_PROBE_VERSION,
     "HTTP/1.1 099 OK\r\nContent-Length: 0\r\n\r\n", false, KC_HTTP_ERROR,
     0, NULL, NULL, false, false, false},
    {"status 0 close-delimited", KC_PROBE_VERSION,
     "HTTP/1.1 0 OK\r\n\r\nbody", true, KC_HTTP_ERROR, 0, NULL, NULL,
     false, false, false},
    {"status 999 accepted", KC_PROBE_VERSION,
     "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n", false,
     KC_HTTP_COMPLETE, 999, "", NULL, false, false, true},
    {"malformed status line", KC_PROBE_VERSION, "HTXP/9 hello\r\n\r\n", false,
     KC_HTTP_ERROR, 0, NULL, NULL, false, false, false},
    {"eof in headers", KC_PROBE_VERSION, "HTTP/1.1 200 OK\r\nFoo: b", true,
     KC_HTTP_ERROR, 0, NULL, NULL, false, false, false},
    {"eof in body", KC_PROBE_VERSION,
     "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, KC_HTTP_ERROR,
     0, NULL, NULL, false, false, false},
    {"incomplete", KC_PROBE_VERSION, "HTTP/1.1 200 OK\r\n", false,
     KC_HTTP_MORE, 0, NULL, NULL, false, false, false},
    {"body over 1 MiB", KC_PROBE_VERSION,
     "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", false,
     KC_HTTP_TOO_LARGE, 0, NULL, NULL, false, false, false},
};

static enum kc_http_status feed_all(struct kc_http_rx *rx, const char *p,
                                    size_t n, bool bytewise)
{
    enum kc_http_status st = KC_HTTP_MORE;
    size_t step = bytewise ? 1 : n;
    for (size_t off = 0; off < n && st == KC_HTTP_MORE; off += step) {
        size_t used;
        size_t len = n - off < step ? n - off : step;
        st = kc_http_rx_feed(rx, p + off, len, &used);
    }
    return st;
}

/* The 1 MiB case needs a body streamed after the headers. */
static enum kc_http_status feed_big_body(struct kc_http_rx *rx)
{
    static char chunk[65536];
    enum kc_http_status st = KC_HTTP_MORE;
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 40 && st == KC_HTTP_MORE; i++) {
        size_t used;
        st = kc_http_rx_feed(rx, chunk, sizeof(chunk), &used);
    }
    return st;
}

static void run_case(const struct http_case *c, bool bytewise)
{
    struct kc_http_rx rx;
    struct kc_probe_result pr;
    memset(&rx, 0, sizeof(rx));
    memset(&pr, 0, sizeof(pr));
    pr.id = c->probe;
    kc_http_rx_begin(&rx, &pr);
    enum kc_http_status st = feed_all(&rx, c->wire, strlen(c->wire), bytewise);
    if (st == KC_HTTP_MORE && strstr(c->name, "1 MiB"))
        st = feed_big_body(&rx);
    if (st == KC_HTTP_MORE && c->eof) {
        size_t used;
        st = kc_http_rx_feed(&rx, NULL, 0, &used);
    }
    if (st != c->want)
        print_error("case '%s' (bytewise %d): status %d, want %d\n", c->name,
                    bytewise, st, c->want);
    assert_int_equal(st, c->want);
    if (c->want == KC_HTTP_COMPLETE) {
        assert_int_equal(pr.status, c->status);
        assert_int_equal(rx.keep_alive, c->keep_alive);
        assert_int_equal(pr.has_audit_id, c->audit);
        assert_int_equal(pr.has_pf_flowschema, c->pf);
        if (c->body != NULL) {
            assert_non_null(pr.body.data);
            assert_int_equal(pr.body.len, strlen(c->body));
            assert_memory_equal(pr.body.data, c->body, pr.body.len);
        }
        if (c->ctype != NULL)
            assert_string_equal(pr.content_type.data, c->ctype);
    }
    kc_bytes_free(&pr.body);
    kc_bytes_free(&pr.content_type);
    kc_http_rx_free(&rx);
}

static void test_cases(void **state)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        run_case(&cases[i], false);
        run_case(&cases[i], true);
    }
}

/* Headers beyond KC_HTTP_MAX_HEADER are too_large, not a realloc. */
static void test_header_ceiling(void **state)
{
    struct kc_http_rx rx;
    struct kc_probe_result pr;
    memset(&rx, 0, sizeof(rx));
    memset(&pr, 0, sizeof(pr));
    http_parser_set_max_header_size(KC_HTTP_MAX_HEADER);
    kc_http_rx_begin(&rx, &pr);
    const char *head = "HTTP/1.1 200 OK\r\n";
    size_t used;
    assert_int_equal(kc_http_rx_feed(&rx, head, strlen(head), &used),
                     KC_HTTP_MORE);
    char line[1024];
    memset(line, 'a', sizeof(line));
    memcpy(line, "X-Big: ", 7);
    line[sizeof(line) - 2] = '\r';
    line[sizeof(line) - 1] = '\n';
    enum kc_http_status st = KC_HTTP_MORE;
    for (int i = 0; i < 100 && st == KC_HTTP_MORE; i++)
        st = kc_http_rx_feed(&rx, line, sizeof(line), &used);
    assert_int_equal(st, KC_HTTP_TOO_LARGE);
    kc_http_rx_free(&rx);
}

/* Interim answers are bounded: KC_HTTP_MAX_INTERIM before the answer are
 * skipped, 10,000 are too_large (not a wait until the deadline). */
static void test_interim_ceiling(void **state)
{
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    static const int counts[] = {KC_HTTP_MAX_INTERIM, 10000};
    http_parser_set_max_header_size(KC_HTTP_MAX_HEADER);
    for (size_t k = 0; k < 2; k++) {
        struct kc_http_rx rx;
        struct kc_probe_result pr;
        memset(&rx, 0, sizeof(rx));
        memset(&pr, 0, sizeof(pr));
        kc_http_rx_begin(&rx, &pr);
        enum kc_http_status st = KC_HTTP_MORE;
        size_t used;
        for (int i = 0; i < counts[k] && st == KC_HTTP_MORE; i++)
            st = kc_http_rx_feed(&rx, interim, sizeof(interim) - 1, &used);
        if (st == KC_HTTP_MORE)
            st = kc_http_rx_feed(&rx, answer, sizeof(answer) - 1, &used);
        assert_int_equal(st, k == 0 ? KC_HTTP_COMPLETE : KC_HTTP_TOO_LARGE);
        if (k == 0)
            assert_int_equal(pr.status, 200);
        kc_http_rx_free(&rx);
        kc_bytes_free(&pr.body);
        kc_bytes_free(&pr.content_type);
    }
}

/* Two responses on one connection: the reader is reused. */
static void test_keep_alive_reuse(void **state)
{
    struct kc_http_rx rx;
    struct kc_probe_result a, b;
    memset(&rx, 0, sizeof(rx));
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    const char *r1 = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 1\r\n\r\nx";
    const char *r2 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nyz";
    size_t used;
    kc_http_rx_begin(&rx, &a);
    assert_int_equal(kc_http_rx_feed(&rx, r1, strlen(r1), &used),
                     KC_HTTP_COMPLETE);
    kc_http_rx_begin(&rx, &b);
    assert_int_equal(kc_http_rx_feed(&rx, r2, strlen(r2), &used),
                     KC_HTTP_COMPLETE);
    assert_int_equal(a.status, 401);
    assert_int_equal(b.status, 200);
    assert_string_equal(b.body.data, "yz");
    kc_bytes_free(&a.body);
    kc_bytes_free(&b.body);
    kc_http_rx_free(&rx);
}

static void test_request(void **state)
{
    char out[512];
    size_t n = kc_http_request(out, sizeof(out), KC_PROBE_CLUSTER_INFO,
                               "[::1]:6443", "ua/1");
    assert_true(n > 0);
    assert_non_null(strstr(out, "GET /api/v1/namespaces/kube-public/"
                                "configmaps/cluster-info HTTP/1.1\r\n"));
    assert_non_null(strstr(out, "Host: [::1]:6443\r\n"));
    assert_non_null(strstr(out, "User-Agent: ua/1\r\n"));
    assert_null(strstr(out, "Authorization"));
    assert_int_equal(kc_http_request(out, 16, KC_PROBE_VERSION, "h", "u"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_header_ceiling),
        cmocka_unit_test(test_interim_ceiling),
        cmocka_unit_test(test_keep_alive_reuse),
        cmocka_unit_test(test_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
