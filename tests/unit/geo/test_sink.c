/* test_sink.c - geo/sink.c: the scan-pipeline filter fills location and
 * provider, passes everything else through, owns downstream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "geo.h"
#include "helpers.h"

/* A downstream that keeps deep copies of what it is given. */
struct capture {
    struct kc_sink base;
    struct kc_result got[8];
    size_t n;
    int checkpoints, flushes;
    bool busy;
    int fail_write; /* returned by write when nonzero */
    bool *freed;
};

static struct capture *to_cap(struct kc_sink *s)
{
    return container_of(s, struct capture, base);
}

static int cap_write(struct kc_sink *s, const struct kc_result *r)
{
    struct capture *c = to_cap(s);
    if (c->fail_write)
        return kc_error_set(&s->err, c->fail_write, "capture: full");
    assert_true(c->n < KC_ARRAY_LEN(c->got));
    return kc_result_copy(&c->got[c->n++], r);
}

static int cap_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp)
{
    (void)cp;
    to_cap(s)->checkpoints++;
    return 0;
}

static int cap_flush(struct kc_sink *s)
{
    to_cap(s)->flushes++;
    return 0;
}

static bool cap_busy(struct kc_sink *s)
{
    return to_cap(s)->busy;
}

static void cap_free(struct kc_sink *s)
{
    struct capture *c = to_cap(s);
    for (size_t i = 0; i < c->n; i++)
        kc_result_clear(&c->got[i]);
    *c->freed = true;
    free(c);
}

static const struct kc_sink_ops cap_ops = {
    .write = cap_write,
    .checkpoint = cap_checkpoint,
    .flush = cap_flush,
    .free = cap_free,
    .busy = cap_busy,
};

static struct capture *cap_new(bool *freed)
{
    struct capture *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->base.ops = &cap_ops;
    c->freed = freed;
    *freed = false;
    return c;
}

static struct kc_geo *open_fleet_dbs(void)
{
    char a[512], b[512];
    const char *paths[] = {data_path("country.mmdb", a, sizeof(a)),
                           data_path("asn.mmdb", b, sizeof(b))};
    struct kc_geo *g = NULL;
    assert_int_equal(kc_geo_open(paths, 2, &g, NULL), 0);
    return g;
}

static void test_sink_fills(void **state)
{
    static const struct {
        const char *addr;
        const char *sans;
        const char *country;
        uint32_t asn;
        enum kc_provider provider;
    } cases[] = {
        {"127.16.0.7", NULL, "DE", 16509, KC_PROVIDER_AWS},
        {"127.21.0.7", NULL, "FI", 24940, KC_PROVIDER_HETZNER},
        {"127.22.0.7", "DNS:x.hcp.eastus.azmk8s.io", "JP", 64512,
         KC_PROVIDER_AZURE},
        {"127.22.0.8", NULL, "JP", 64512, KC_PROVIDER_OTHER},
        {"127.30.0.1", NULL, "", 0, KC_PROVIDER_NONE},
    };
    bool freed;
    struct capture *cap = cap_new(&freed);
    struct kc_geo *g = open_fleet_dbs();
    struct kc_sink *s = kc_geo_sink_new(g, &cap->base);
    (void)state;
    assert_non_null(s);

    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        assert_true(kc_addr_parse(cases[i].addr, &r.addr));
        r.port = 6443;
        assert_int_equal(kc_bytes_set_str(&r.git_version, "v1.29.0"), 0);
        if (cases[i].sans) {
            r.cert.present = true;
            assert_int_equal(kc_bytes_set_str(&r.cert.sans, cases[i].sans),
                             0);
        }
        assert_int_equal(kc_sink_write(s, &r), 0);
        /* the caller's record is not modified */
        assert_string_equal(r.country, "");
        assert_int_equal(r.asn, 0);
        assert_int_equal(r.provider, KC_PROVIDER_NONE);
        kc_result_clear(&r);

        const struct kc_result *got = &cap->got[i];
        assert_string_equal(got->country, cases[i].country);
        assert_int_equal(got->asn, cases[i].asn);
        assert_int_equal(got->provider, cases[i].provider);
        assert_int_equal(got->port, 6443);
        assert_string_equal(got->git_version.data, "v1.29.0");
    }
    assert_int_equal(cap->n, KC_ARRAY_LEN(cases));

    /* pass-through of the rest of the interface */
    struct kc_checkpoint cp = {10, 5};
    assert_int_equal(kc_sink_checkpoint(s, &cp), 0);
    assert_int_equal(kc_sink_flush(s), 0);
    assert_int_equal(cap->checkpoints, 1);
    assert_int_equal(cap->flushes, 1);
    assert_false(kc_sink_busy(s));
    cap->busy = true;
    assert_true(kc_sink_busy(s));

    /* a downstream error comes back with its message */
    struct kc_result r;
    kc_result_init(&r);
    kc_addr_parse("127.16.0.1", &r.addr);
    cap->fail_write = -ENOSPC;
    assert_int_equal(kc_sink_write(s, &r), -ENOSPC);
    assert_string_equal(s->err.msg, "capture: full");
    assert_int_equal(kc_geo_sink_errors(s), 0);
    assert_int_equal(kc_geo_sink_errors(&cap->base), 0);

    kc_sink_free(s);
    assert_true(freed);
    kc_geo_free(g);
}

/* A lookup error does not stop the scan: the result goes on without a
 * country, and the error is counted. */
static void test_sink_lookup_error(void **state)
{
    char src[512], bad[] = "/tmp/kc-geo-sink-XXXXXX";
    bool freed;
    struct kc_geo *g = NULL;
    struct capture *cap = cap_new(&freed);
    (void)state;

    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    close(fd);
    assert_true(make_corrupt_127_20(data_path("country.mmdb", src,
                                              sizeof(src)), bad));
    const char *paths[] = {bad};
    assert_int_equal(kc_geo_open(paths, 1, &g, NULL), 0);
    struct kc_sink *s = kc_geo_sink_new(g, &cap->base);
    assert_non_null(s);

    static const char *const addrs[] = {"127.22.0.1", "127.16.0.1",
                                        "127.23.0.1"};
    for (size_t i = 0; i < KC_ARRAY_LEN(addrs); i++) {
        struct kc_result r;
        kc_result_init(&r);
        assert_true(kc_addr_parse(addrs[i], &r.addr));
        assert_int_equal(kc_sink_write(s, &r), 0);
        kc_result_clear(&r);
    }
    assert_int_equal(cap->n, 3);
    assert_string_equal(cap->got[0].country, "");
    assert_string_equal(cap->got[1].country, "DE");
    assert_string_equal(cap->got[2].country, "");
    assert_int_equal(kc_geo_sink_errors(s), 2);
    kc_sink_free(s);
    assert_true(freed);
    kc_geo_free(g);
    unlink(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sink_fills),
        cmocka_unit_test(test_sink_lookup_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
