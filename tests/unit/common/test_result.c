/* test_result.c - common/result.c and sink.c: copy, clear, JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common.h"

static char *json_of(const char *p, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    kc_json_write_string(f, p, n);
    fclose(f);
    return out;
}

static const struct {
    const char *in;
    size_t n;
    const char *want;
} esc_cases[] = {
    {"plain", 5, "\"plain\""},
    {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
    {"\r\n\t", 3, "\"\\r\\n\\t\""},
    {"a\0b", 3, "\"a\\u0000b\""},
    {"\x1b[31m", 5, "\"\\u001b[31m\""},
    {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},      /* valid UTF-8 kept */
    {"\xff\xfe", 2, "\"\\u00ff\\u00fe\""},     /* invalid bytes escaped */
    {"\xc0\xaf", 2, "\"\\u00c0\\u00af\""},     /* overlong rejected */
    {"\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""}, /* lone surrogate */
    {"\xe2\x80\xa8", 3, "\"\\u2028\""},
    {"</script>", 9, "\"</script>\""},
};

static void test_json_escape(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(esc_cases); i++) {
        char *got = json_of(esc_cases[i].in, esc_cases[i].n);
        assert_string_equal(got, esc_cases[i].want);
        free(got);
    }
}

static void fill(struct kc_result *r)
{
    kc_result_init(r);
    kc_addr_parse("127.16.0.5", &r->addr);
    r->port = 6443;
    r->outcome = KC_OUTCOME_OK;
    r->is_kubernetes = 1;
    r->posture = KC_POSTURE_OPEN;
    r->vendor = KC_VENDOR_GKE;
    r->major = 1;
    r->minor = 27;
    r->patch = 8;
    kc_bytes_set_str(&r->git_version, "v1.27.8-gke.1067004");
    kc_bytes_set_str(&r->cert.subject_cn, "kube-apiserver");
    r->n_probes = 1;
    r->probes[0].id = KC_PROBE_VERSION;
    r->probes[0].sent = r->probes[0].answered = true;
    r->probes[0].status = 200;
    kc_bytes_set_str(&r->probes[0].body, "{\"major\":\"1\"}");
}

static void test_copy_clear(void **state)
{
    struct kc_result a, b;
    (void)state;
    fill(&a);
    assert_int_equal(kc_result_copy(&b, &a), 0);
    assert_ptr_not_equal(a.git_version.data, b.git_version.data);
    assert_string_equal(b.git_version.data, "v1.27.8-gke.1067004");
    assert_string_equal(b.probes[0].body.data, "{\"major\":\"1\"}");
    kc_result_clear(&a);
    assert_null(a.git_version.data);
    assert_int_equal(a.major, -1);
    assert_string_equal(b.cert.subject_cn.data, "kube-apiserver");
    assert_non_null(kc_result_probe(&b, KC_PROBE_VERSION));
    assert_null(kc_result_probe(&b, KC_PROBE_API));
    kc_result_clear(&b);
}

static void test_jsonl_sink(void **state)
{
    struct kc_result r;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct kc_sink *s = kc_jsonl_sink_new(f, true, "0123abcd");
    (void)state;
    fill(&r);
    assert_int_equal(kc_sink_write(s, &r), 0);
    kc_sink_free(s);
    /* The scan's uid first, the target's index: a repeated target of a
     * resumed run is recognisable. */
    assert_ptr_equal(strstr(out, "{\"scan_uid\":\"0123abcd\","), out);
    assert_non_null(strstr(out, "\"target_index\":"));
    assert_non_null(strstr(out, "\"ip\":\"127.16.0.5\""));
    assert_non_null(strstr(out, "\"port\":6443"));
    assert_non_null(strstr(out, "\"posture\":\"open\""));
    assert_non_null(strstr(out, "\"git_version\":\"v1.27.8-gke.1067004\""));
    assert_non_null(strstr(out, "\"phase\":null"));
    assert_non_null(strstr(out, "\"probes\":{\"version\":{\"status\":200"));
    assert_int_equal(out[len - 1], '\n');
    /* Exactly one line. */
    assert_ptr_equal(strchr(out, '\n'), out + len - 1);
    free(out);
    kc_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_copy_clear),
        cmocka_unit_test(test_jsonl_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
