/* test_read.c - storage/read.c: a stored result rebuilds byte for byte;
 * verdict and geo updates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"
#include "storage-private.h"
#include "tmpdb.h"

static void assert_bytes_eq(const struct kc_bytes *a, const struct kc_bytes *b)
{
    assert_int_equal(a->data == NULL, b->data == NULL);
    if (a->data == NULL)
        return;
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

static void assert_same(const struct kc_result *a, const struct kc_result *b)
{
    char ia[64], ib[64];
    kc_addr_format(&a->addr, ia, sizeof(ia));
    kc_addr_format(&b->addr, ib, sizeof(ib));
    assert_string_equal(ia, ib);
    assert_int_equal(a->target_index, b->target_index);
    assert_int_equal(a->port, b->port);
    assert_string_equal(a->sni, b->sni);
    assert_int_equal(a->outcome, b->outcome);
    assert_int_equal(a->phase, b->phase);
    assert_string_equal(a->detail, b->detail);
    assert_int_equal(a->started_us, b->started_us);
    assert_int_equal(a->finished_us, b->finished_us);
    assert_int_equal(a->rtt_us, b->rtt_us);
    assert_string_equal(a->tls_version, b->tls_version);
    assert_string_equal(a->cipher, b->cipher);
    assert_int_equal(a->cert.present, b->cert.present);
    assert_string_equal(a->cert.sha256, b->cert.sha256);
    assert_bytes_eq(&a->cert.subject_cn, &b->cert.subject_cn);
    assert_bytes_eq(&a->cert.sans, &b->cert.sans);
    assert_bytes_eq(&a->cert.der, &b->cert.der);
    assert_int_equal(a->cert.not_after, b->cert.not_after);
    assert_int_equal(a->cert.key_bits, b->cert.key_bits);
    assert_int_equal(a->n_probes, b->n_probes);
    for (size_t i = 0; i < a->n_probes; i++) {
        const struct kc_probe_result *p = &a->probes[i], *q = &b->probes[i];
        assert_int_equal(p->id, q->id);
        assert_int_equal(p->sent, q->sent);
        assert_int_equal(p->answered, q->answered);
        assert_int_equal(p->status, q->status);
        assert_int_equal(p->has_audit_id, q->has_audit_id);
        assert_int_equal(p->has_pf_flowschema, q->has_pf_flowschema);
        assert_bytes_eq(&p->content_type, &q->content_type);
        assert_bytes_eq(&p->body, &q->body);
        assert_int_equal(p->body_total, q->body_total);
    }
    assert_int_equal(a->is_kubernetes, b->is_kubernetes);
    assert_string_equal(a->evidence, b->evidence);
    assert_int_equal(a->posture, b->posture);
    assert_bytes_eq(&a->git_version, &b->git_version);
    assert_int_equal(a->major, b->major);
    assert_int_equal(a->minor, b->minor);
    assert_int_equal(a->patch, b->patch);
    assert_int_equal(a->vendor, b->vendor);
    assert_bytes_eq(&a->version.go_version, &b->version.go_version);
    assert_bytes_eq(&a->version.platform, &b->version.platform);
    assert_int_equal(a->cluster_info_readable, b->cluster_info_readable);
    assert_int_equal(a->jws_keys, b->jws_keys);
    assert_string_equal(a->country, b->country);
    assert_int_equal(a->asn, b->asn);
    assert_int_equal(a->provider, b->provider);
    assert_string_equal(a->classifier_version ? a->classifier_version : "",
                        b->classifier_version ? b->classifier_version : "");
}

/* Six rows: kinds and address families alternate, so the writer's
 * reused statements see values change, go NULL and come back (it binds
 * only the parameters that changed since the previous row). */
#define ROWS 6

struct walk {
    struct kc_result want[ROWS];
    size_t seen;
    int64_t ids[ROWS];
};

static int check_cb(void *ctx, int64_t id, const struct kc_result *r)
{
    struct walk *w = ctx;
    assert_true(w->seen < ROWS);
    assert_same(&w->want[w->seen], r);
    w->ids[w->seen++] = id;
    return 0;
}

static int stop_cb(void *ctx, int64_t id, const struct kc_result *r)
{
    (void)ctx, (void)id, (void)r;
    return 42;
}

/* Re-classification: flips every result's verdict from inside the walk. */
static int reclassify_cb(void *ctx, int64_t id, const struct kc_result *r)
{
    struct kc_store *s = ctx;
    struct kc_result c;
    struct kc_error err = {0};
    int rc;
    kc_result_copy(&c, r);
    c.is_kubernetes = 1;
    c.posture = KC_POSTURE_OPEN;
    kc_bytes_set(&c.git_version, "v1.30.0\0evil", 12, 0);
    c.minor = 30;
    c.classifier_version = "test-2";
    rc = kc_store_update_verdict(s, id, &c, &err);
    kc_strlcpy(c.country, "DE", sizeof(c.country));
    c.asn = 24940;
    c.provider = KC_PROVIDER_HETZNER;
    if (rc == 0)
        rc = kc_store_update_geo(s, id, &c, "test.mmdb 2026-11-01", &err);
    kc_result_clear(&c);
    return rc;
}

static void test_roundtrip_and_update(void **state)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "r"};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    struct walk w = {0};
    int64_t id;
    char path[256];
    (void)state;
    s = tmpdb_open(path, sizeof(path), "r.db", &p, &id);
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    static const enum sample_kind kinds[ROWS] = {
        SAMPLE_REFUSED, SAMPLE_WEB, SAMPLE_KUBERNETES, SAMPLE_KUBERNETES,
        SAMPLE_WEB, SAMPLE_REFUSED};
    for (int i = 0; i < ROWS; i++) {
        kc_result_init(&w.want[i]);
        sample_result(&w.want[i], (uint64_t)i, kinds[i]);
    }
    /* Byte-exact: a gitVersion with a NUL and invalid UTF-8 inside. */
    kc_bytes_set(&w.want[3].git_version, "v1.29.4\0\xff-x", 11, 0);
    kc_addr_parse("2001:db8::7", &w.want[3].addr);
    kc_strlcpy(w.want[3].sni, "api.example.test", sizeof(w.want[3].sni));
    /* after the IPv6 row: IPv4 again, a timeout phase, no TLS text */
    w.want[4].outcome = KC_OUTCOME_TIMEOUT;
    w.want[4].phase = KC_PHASE_RESPONSE;
    w.want[4].tls_version[0] = '\0';
    w.want[4].rtt_us = 0;
    w.want[5].port = 6443;
    for (int i = 0; i < ROWS; i++)
        assert_int_equal(kc_sink_write(sink, &w.want[i]), 0);
    kc_sink_free(sink);

    assert_int_equal(kc_store_foreach_result(s, id, check_cb, &w, &err), 0);
    assert_int_equal(w.seen, ROWS);
    assert_int_equal(kc_store_foreach_result(s, 0, stop_cb, NULL, &err), 42);
    assert_int_equal(kc_store_foreach_result(s, id + 1, check_cb, &w, &err), 0);
    assert_int_equal(w.seen, ROWS);

    assert_int_equal(kc_store_foreach_result(s, 0, reclassify_cb, s, &err), 0);
    w.seen = 0;
    for (int i = 0; i < ROWS; i++) {
        w.want[i].is_kubernetes = 1;
        w.want[i].posture = KC_POSTURE_OPEN;
        kc_bytes_set(&w.want[i].git_version, "v1.30.0\0evil", 12, 0);
        w.want[i].minor = 30;
        w.want[i].classifier_version = "test-2";
        kc_strlcpy(w.want[i].country, "DE", sizeof(w.want[i].country));
        w.want[i].asn = 24940;
        w.want[i].provider = KC_PROVIDER_HETZNER;
    }
    assert_int_equal(kc_store_foreach_result(s, id, check_cb, &w, &err), 0);
    assert_int_equal(w.seen, ROWS);
    assert_int_equal(kc_store_update_verdict(s, 999, &w.want[0], &err),
                     -ENOENT);
    for (int i = 0; i < ROWS; i++)
        kc_result_clear(&w.want[i]);
    kc_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
