/* test_memo.c - each answer's body is parsed at most once per target
 * (the probe memos of kc_probe_read), whether the scanner's early-stop hook
 * ran first or not, and the verdict equals one made without the hook.
 * json_loadb is wrapped at link time (-Wl,--wrap) to count the parses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"

json_t *__real_json_loadb(const char *buffer, size_t buflen, size_t flags,
                          json_error_t *error);
json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags,
                          json_error_t *error);

static unsigned parses;

json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags,
                          json_error_t *error)
{
    parses++;
    return __real_json_loadb(buffer, buflen, flags, error);
}

struct memo_case {
    const char *name;
    struct canned probes[KC_PROBE__COUNT];
    size_t n;
    size_t n_stop; /* probes the hook lets through (the scanner stops) */
};

static const struct memo_case cases[] = {
    {"open, stock rules",
     {{V, 200, CT_JSON, B_VERSION, H_AUDIT | H_PF},
      {HZ, 200, CT_TEXT, "ok", H_AUDIT}, {LZ, 200, CT_TEXT, "ok", H_AUDIT},
      {RZ, 200, CT_TEXT, "ok", H_AUDIT}, {CI, 403, CT_JSON, B_403_CI, H_PF},
      {API, 403, CT_JSON, B_403_API, H_PF}},
     6, 6},
    {"wide open 1.13: /livez 404 excused by /version, cluster-info, list",
     {{V, 200, CT_JSON, B_VERSION_113, 0}, {HZ, 200, CT_TEXT, "ok", 0},
      {LZ, 404, CT_TEXT, B_GO_404, 0}, {RZ, 404, CT_TEXT, B_GO_404, 0},
      {CI, 200, CT_JSON,
       "{\"kind\":\"ConfigMap\",\"data\":{\"jws-kubeconfig-abcdef\":\"x\","
       "\"kubeconfig\":\"certificate-authority-data: bm90IGEgY2VydA==\"}}",
       0},
      {API, 200, CT_JSON, B_API_200, 0}, {NS, 200, CT_JSON, B_NS_200, 0}},
     7, 7},
    {"disabled, one unanswered",
     {{V, 401, CT_JSON, B_401, 0}, {HZ, 0, NULL, NULL, 0},
      {API, 401, CT_JSON, B_401, 0}},
     3, 3},
    {"/version 200 other JSON, then nginx",
     {{V, 200, CT_JSON, "{\"ok\":true}", 0},
      {HZ, 404, CT_HTML, B_NGINX_404, 0}, {API, 404, CT_HTML, B_NGINX_404, 0}},
     3, 2},
};

/* Parses the answers of the first n probes of c should cost: one per
 * answered probe with a body. */
static unsigned bodies(const struct memo_case *c, size_t n)
{
    unsigned b = 0;
    for (size_t i = 0; i < n; i++)
        b += c->probes[i].status != 0 && c->probes[i].body != NULL;
    return b;
}

static void assert_same_verdict(const struct kc_result *a,
                                const struct kc_result *b)
{
    assert_int_equal(a->is_kubernetes, b->is_kubernetes);
    assert_string_equal(a->evidence, b->evidence);
    assert_int_equal(a->posture, b->posture);
    assert_int_equal(a->git_version.len, b->git_version.len);
    if (a->git_version.len > 0)
        assert_memory_equal(a->git_version.data, b->git_version.data,
                            a->git_version.len);
    assert_int_equal(a->major, b->major);
    assert_int_equal(a->minor, b->minor);
    assert_int_equal(a->patch, b->patch);
    assert_int_equal(a->prerelease, b->prerelease);
    assert_int_equal(a->vendor, b->vendor);
    assert_string_equal(a->vendor_suffix, b->vendor_suffix);
    assert_int_equal(a->version.build_date.len, b->version.build_date.len);
    assert_int_equal(a->cluster_info_readable, b->cluster_info_readable);
    assert_string_equal(a->cluster_ca_sha256, b->cluster_ca_sha256);
    assert_int_equal(a->jws_keys, b->jws_keys);
    assert_int_equal(a->namespaces_count, b->namespaces_count);
}

static void test_parsed_once(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        const struct memo_case *c = &cases[i];
        struct kc_result hooked, plain, copy;
        kc_result_init(&hooked);
        kc_result_init(&plain);

        /* As the scanner does: the hook after each answer, then the
         * verdict (twice: kc_classify is idempotent and parses nothing
         * new). */
        parses = 0;
        size_t k = 0;
        bool go = true;
        while (go && k < c->n) {
            fixture_add(&hooked, &c->probes[k++]);
            go = kc_classify_continue_newest(&hooked);
        }
        if (k != c->n_stop)
            fail_msg("%s: stopped after %zu probes", c->name, k);
        assert_int_equal(kc_classify(&hooked), 0);
        assert_int_equal(kc_classify(&hooked), 0);
        if (parses != bodies(c, k))
            fail_msg("%s: %u parses for %u bodies", c->name, parses,
                     bodies(c, k));

        /* The same answers without the hook. */
        for (size_t j = 0; j < k; j++)
            fixture_add(&plain, &c->probes[j]);
        parses = 0;
        assert_int_equal(kc_classify(&plain), 0);
        assert_int_equal(parses, bodies(c, k));
        assert_same_verdict(&hooked, &plain);

        /* A copy carries no memo: it reads its own bodies, same verdict. */
        assert_int_equal(kc_result_copy(&copy, &hooked), 0);
        parses = 0;
        assert_int_equal(kc_classify(&copy), 0);
        assert_int_equal(parses, bodies(c, k));
        assert_same_verdict(&copy, &plain);

        kc_result_clear(&copy);
        kc_result_clear(&hooked);
        kc_result_clear(&plain);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsed_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
