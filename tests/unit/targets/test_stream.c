/* test_stream.c - stdin streams: non-blocking, arrival order, dedupe,
 * blocklist, shards (targets/stream.c). A pipe stands in for stdin. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "targets.h"

struct fixture {
    int fds[2];
    struct kc_targets *t;
    struct kc_target_iter *it;
    struct kc_error err;
};

static void open_stream(struct fixture *f, struct kc_targets_config *cfg)
{
    static const char *inputs[] = {"-"};
    assert_int_equal(pipe(f->fds), 0);
    cfg->inputs = inputs;
    cfg->n_inputs = 1;
    cfg->stream_fd = f->fds[0];
    assert_int_equal(kc_targets_new(cfg, &f->t, &f->err), 0);
    assert_true(kc_targets_is_stream(f->t));
    assert_int_equal(kc_target_iter_new(f->t, 0, &f->it, &f->err), 0);
}

static void close_stream(struct fixture *f)
{
    kc_target_iter_free(f->it);
    kc_targets_free(f->t);
    close(f->fds[0]);
    if (f->fds[1] >= 0)
        close(f->fds[1]);
}

static void feed(struct fixture *f, const char *s)
{
    assert_int_equal(write(f->fds[1], s, strlen(s)), (ssize_t)strlen(s));
}

static void eof(struct fixture *f)
{
    close(f->fds[1]);
    f->fds[1] = -1;
}

/* Next target as text, "" for done, "EAGAIN", or "ERR". */
static const char *next(struct fixture *f)
{
    static char buf[300];
    struct kc_target tg;
    int rc = kc_target_iter_next(f->it, &tg, &f->err);
    if (rc == 0)
        return "";
    if (rc == -EAGAIN)
        return "EAGAIN";
    if (rc < 0)
        return "ERR";
    if (tg.host[0])
        kc_snprintf(buf, sizeof(buf), "%s:%u", tg.host, tg.port);
    else
        kc_endpoint_format(&tg.addr, tg.port, buf, sizeof(buf));
    return buf;
}

static void test_nonblocking_order(void **state)
{
    struct kc_targets_config cfg = {0};
    struct fixture f = {0};
    struct kc_targets_counts c;
    (void)state;
    cfg.ports[0] = 6443;
    cfg.n_ports = 1;
    cfg.ports_explicit = true;
    open_stream(&f, &cfg);
    assert_string_equal(next(&f), "EAGAIN");
    feed(&f, "saddr\n1.2.3");
    assert_string_equal(next(&f), "EAGAIN"); /* no complete line yet */
    feed(&f, ".4\n5.6.7.8\n1.2.3.4\n10.0.0.1\n");
    assert_string_equal(next(&f), "1.2.3.4:6443");
    assert_string_equal(next(&f), "5.6.7.8:6443");
    assert_string_equal(next(&f), "EAGAIN"); /* dup and blocked dropped */
    feed(&f, "9.9.9.9");
    assert_string_equal(next(&f), "EAGAIN");
    eof(&f);
    assert_string_equal(next(&f), "9.9.9.9:6443"); /* last line, no \n */
    assert_string_equal(next(&f), "");
    kc_targets_counts(f.t, &c);
    assert_int_equal(c.targets, 3);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.excluded, 1);
    assert_int_equal(kc_target_iter_position(f.it), 3);
    close_stream(&f);
}

static void test_static_first_and_dedupe(void **state)
{
    struct kc_targets_config cfg = {0};
    struct fixture f = {0};
    const char *specs[] = {"1.2.3.4:443"};
    (void)state;
    cfg.specs = specs;
    cfg.n_specs = 1;
    open_stream(&f, &cfg);
    feed(&f, "open tcp 443 1.2.3.4 1\nopen tcp 8443 2001:4860::1 1\n"
             "open tcp 8443 2001:4860::1 1\n");
    eof(&f);
    assert_string_equal(next(&f), "1.2.3.4:443");
    assert_string_equal(next(&f), "[2001:4860::1]:8443");
    assert_string_equal(next(&f), "");
    assert_non_null(strstr(kc_targets_warnings(f.t), "default ports"));
    close_stream(&f);
}

static void test_bad_lines(void **state)
{
    struct kc_targets_config cfg = {0};
    struct fixture f = {0};
    struct kc_targets_counts c;
    char longline[9000];
    (void)state;
    open_stream(&f, &cfg);
    feed(&f, "1.2.3.4:443\nbogus!\n");
    assert_string_equal(next(&f), "1.2.3.4:443");
    assert_string_equal(next(&f), "ERR");
    assert_non_null(strstr(f.err.msg, "<stdin>:2: bad target 'bogus!'"));
    eof(&f);
    close_stream(&f);

    memset(&f, 0, sizeof(f));
    cfg.skip_bad = true;
    open_stream(&f, &cfg);
    memset(longline, 'a', sizeof(longline) - 2);
    longline[sizeof(longline) - 2] = '\n';
    longline[sizeof(longline) - 1] = '\0';
    feed(&f, "bogus!\n");
    feed(&f, longline);
    feed(&f, "h.example:8443\n");
    eof(&f);
    assert_string_equal(next(&f), "h.example:8443");
    assert_string_equal(next(&f), "");
    kc_targets_counts(f.t, &c);
    assert_int_equal(c.invalid, 2);
    close_stream(&f);

    memset(&f, 0, sizeof(f));
    cfg.skip_bad = false;
    open_stream(&f, &cfg);
    feed(&f, "10.0.0.0/8\n");
    assert_string_equal(next(&f), "ERR");
    assert_non_null(strstr(f.err.msg, "ranges are not taken from a stream"));
    eof(&f);
    close_stream(&f);
}

static void test_no_resume_and_shards(void **state)
{
    struct kc_targets_config cfg = {0};
    struct fixture f = {0};
    struct kc_target_iter *it2 = (void *)1;
    char seen[2][64][32];
    size_t n[2] = {0, 0};
    (void)state;
    open_stream(&f, &cfg);
    assert_int_equal(kc_target_iter_new(f.t, 5, &it2, &f.err), -ENOTSUP);
    assert_null(it2);
    eof(&f);
    close_stream(&f);

    /* Two shards over the same stream: disjoint, together everything. */
    for (uint32_t s = 0; s < 2; s++) {
        const char *r;
        memset(&f, 0, sizeof(f));
        cfg.shard_index = s;
        cfg.shard_count = 2;
        cfg.ports[0] = 443;
        cfg.n_ports = 1;
        open_stream(&f, &cfg);
        feed(&f, "1.1.1.1\n1.1.1.2\n1.1.1.1\n1.1.1.3\n1.1.1.4\n1.1.1.5\n");
        eof(&f);
        while ((r = next(&f))[0] != '\0') {
            assert_string_not_equal(r, "ERR");
            kc_strlcpy(seen[s][n[s]++], r, 32);
        }
        close_stream(&f);
    }
    assert_int_equal(n[0] + n[1], 5);
    for (size_t i = 0; i < n[0]; i++)
        for (size_t j = 0; j < n[1]; j++)
            assert_string_not_equal(seen[0][i], seen[1][j]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonblocking_order),
        cmocka_unit_test(test_static_first_and_dedupe),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_no_resume_and_shards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
