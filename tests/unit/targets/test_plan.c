/*
 * test_plan.c - building the plan and walking it (targets/plan.c,
 * targets/iter.c, targets/blocklist.c): counts, blocklist and lifts, files,
 * errors, shards (disjoint, covering), resume, seeds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "targets.h"

#define MAXT 4096

struct walk {
    size_t n;
    char (*t)[280];
};

static void walk_from(const struct kc_targets_config *cfg, uint64_t start,
                      struct walk *w)
{
    struct kc_targets *t;
    struct kc_target_iter *it;
    struct kc_target tg;
    struct kc_error err = {0};
    int rc;
    assert_int_equal(kc_targets_new(cfg, &t, &err), 0);
    assert_int_equal(kc_target_iter_new(t, start, &it, &err), 0);
    w->n = 0;
    w->t = calloc(MAXT, sizeof(*w->t));
    assert_non_null(w->t);
    while ((rc = kc_target_iter_next(it, &tg, &err)) == 1) {
        assert_true(w->n < MAXT);
        assert_int_equal(tg.index, start + w->n);
        if (tg.host[0])
            kc_snprintf(w->t[w->n], 280, "%s:%u", tg.host, tg.port);
        else
            assert_true(kc_endpoint_format(&tg.addr, tg.port, w->t[w->n], 280));
        w->n++;
        assert_int_equal(kc_target_iter_position(it), start + w->n);
    }
    assert_int_equal(rc, 0);
    struct kc_targets_counts c;
    kc_targets_counts(t, &c);
    assert_int_equal(c.targets, start + w->n);
    kc_target_iter_free(it);
    kc_targets_free(t);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void walk_sorted(const struct kc_targets_config *cfg, struct walk *w)
{
    walk_from(cfg, 0, w);
    qsort(w->t, w->n, sizeof(*w->t), str_cmp);
}

static char tmp_paths[64][64];
static size_t n_tmp;

static const char *tmpfile_with(const char *content)
{
    char *p;
    assert_true(n_tmp < KC_ARRAY_LEN(tmp_paths));
    p = tmp_paths[n_tmp++];
    int fd;
    kc_strlcpy(p, "/tmp/kc_test_targets_XXXXXX", 64);
    fd = mkstemp(p);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)),
                     (ssize_t)strlen(content));
    close(fd);
    return p;
}

/* ---- counts ---- */

static const struct {
    const char *specs[4];
    bool loopback;
    const char *allow;
    const char *ports;
    uint64_t targets, excluded, duplicates;
} count_cases[] = {
    {{"1.2.3.4"}, false, NULL, NULL, 2, 0, 0},
    {{"1.2.3.4", "1.2.3.4:443"}, false, NULL, NULL, 2, 0, 1},
    {{"1.2.3.4", "1.2.3.4"}, false, NULL, NULL, 2, 0, 2},
    {{"1.2.3.0/24", "1.2.3.4"}, false, NULL, NULL, 512, 0, 2},
    {{"1.2.3.0/24:443", "1.2.3.4"}, false, NULL, NULL, 257, 0, 1},
    {{"1.2.3.0/24", "1.2.3.128/25"}, false, NULL, "443", 256, 0, 128},
    {{"1.2.3.0/24:443", "1.2.3.4:443"}, false, NULL, NULL, 256, 0, 1},
    {{"10.0.0.0/24"}, false, NULL, NULL, 0, 512, 0},
    {{"127.0.0.1"}, false, NULL, NULL, 0, 2, 0},
    {{"127.0.0.1"}, true, NULL, NULL, 2, 0, 0},
    {{"127.0.0.1", "10.0.0.1:443"}, true, NULL, NULL, 2, 1, 0},
    {{"::1"}, true, NULL, "443", 1, 0, 0},
    {{"::1", "[2001:db8::1]:443"}, true, NULL, "443", 1, 1, 0},
    {{"10.0.0.0/30"}, false, "10.0.0.2/31", NULL, 4, 4, 0},
    {{"192.168.1.0/24"}, true, "192.168.1.0/25", "6443", 128, 128, 0},
    {{"h.example", "H.example:443"}, false, NULL, NULL, 2, 0, 1},
    {{"h.example:8443", "10.0.0.1"}, false, NULL, NULL, 1, 2, 0},
    {{"1.2.3.4", "1.2.3.4:80"}, false, NULL, "80,443", 2, 0, 1},
    {{"0.0.0.0/0"}, false, NULL, "443", 3702258432ULL, 592708864ULL, 0},
    {{"0.0.0.0/0"}, true, NULL, "443,6443", 2 * (3702258432ULL + 16777216),
     2 * (592708864ULL - 16777216), 0},
};

static void test_counts(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(count_cases); i++) {
        struct kc_targets_config cfg = {0};
        struct kc_targets *t;
        struct kc_targets_counts c;
        struct kc_error err = {0};
        const char *allow[1] = {count_cases[i].allow};
        size_t n = 0;
        while (n < 4 && count_cases[i].specs[n])
            n++;
        cfg.specs = count_cases[i].specs;
        cfg.n_specs = n;
        cfg.allow_loopback = count_cases[i].loopback;
        cfg.allow_cidrs = allow;
        cfg.n_allow = count_cases[i].allow ? 1 : 0;
        if (count_cases[i].ports)
            assert_true(kc_ports_parse(count_cases[i].ports, cfg.ports,
                                       KC_TARGETS_MAX_PORTS, &cfg.n_ports));
        print_message("case %zu\n", i);
        assert_int_equal(kc_targets_new(&cfg, &t, &err), 0);
        kc_targets_counts(t, &c);
        assert_int_equal(c.targets, count_cases[i].targets);
        assert_int_equal(c.excluded, count_cases[i].excluded);
        assert_int_equal(c.duplicates, count_cases[i].duplicates);
        assert_int_equal(c.invalid, 0);
        assert_false(kc_targets_is_stream(t));
        kc_targets_free(t);
    }
}

/* ---- errors ---- */

static void expect_error(const struct kc_targets_config *cfg, int code,
                         const char *needle)
{
    struct kc_targets *t = (void *)1;
    struct kc_error err = {0};
    assert_int_equal(kc_targets_new(cfg, &t, &err), code);
    assert_null(t);
    print_message("  error: %s\n", err.msg);
    assert_non_null(strstr(err.msg, needle));
}

static void test_errors(void **state)
{
    struct kc_targets_config cfg = {0};
    const char *bad_spec[] = {"1.2.3.4", "1.2.3.999:443"};
    const char *huge[] = {"2001::/16"};
    const char *bad_allow[] = {"10.0.0.0/99"};
    const char *inputs[1];
    const char *f = tmpfile_with("# list\n1.2.3.4\n\nnot a target!\n5.6.7.8\n");
    (void)state;

    cfg.specs = bad_spec;
    cfg.n_specs = 2;
    expect_error(&cfg, -EINVAL, "'1.2.3.999:443'");

    cfg.specs = huge;
    cfg.n_specs = 1;
    cfg.allow_cidrs = (const char *[]){"2001::/16"};
    cfg.n_allow = 1;
    expect_error(&cfg, -E2BIG, "too many targets");
    cfg.n_allow = 0;

    cfg.n_specs = 0;
    cfg.inputs = inputs;
    cfg.n_inputs = 1;
    inputs[0] = f;
    expect_error(&cfg, -EINVAL, ":4: bad target 'not a target!'");
    assert_non_null(strstr(f, "kc_test_targets"));

    inputs[0] = "/nonexistent/targets.txt";
    expect_error(&cfg, -ENOENT, "/nonexistent/targets.txt");

    cfg.n_inputs = 0;
    cfg.specs = bad_spec;
    cfg.n_specs = 1;
    cfg.allow_cidrs = bad_allow;
    cfg.n_allow = 1;
    expect_error(&cfg, -EINVAL, "--allow: bad CIDR or range '10.0.0.0/99'");
    cfg.n_allow = 0;

    cfg.blocklist_file = tmpfile_with("10.0.0.0/8\n\n  # x\nbogus\n");
    expect_error(&cfg, -EINVAL, ":4: bad CIDR or range 'bogus'");
    cfg.blocklist_file = NULL;

    cfg.shard_count = 4;
    cfg.shard_index = 4;
    expect_error(&cfg, -EINVAL, "shard");
}

static void test_skip_bad(void **state)
{
    struct kc_targets_config cfg = {0};
    struct kc_targets *t;
    struct kc_targets_counts c;
    struct kc_error err = {0};
    const char *inputs[1] = {
        tmpfile_with("1.2.3.4\nno pe\n5.6.7.8:443\n1.2.3.4:99999\n")};
    (void)state;
    cfg.inputs = inputs;
    cfg.n_inputs = 1;
    cfg.skip_bad = true;
    assert_int_equal(kc_targets_new(&cfg, &t, &err), 0);
    kc_targets_counts(t, &c);
    assert_int_equal(c.targets, 3);
    assert_int_equal(c.invalid, 2);
    assert_non_null(strstr(kc_targets_warnings(t), ":2: skipped bad target 'no pe'"));
    assert_non_null(strstr(kc_targets_warnings(t), "default ports"));
    kc_targets_free(t);
}

/* ---- formats end to end ---- */

static const struct {
    const char *content;
    enum kc_input_format fmt;
    const char *want[6]; /* sorted */
} file_cases[] = {
    {"# plain\n1.2.3.4:6443\n5.6.7.8\nhost.example:8443 # api\n", KC_INPUT_AUTO,
     {"1.2.3.4:6443", "5.6.7.8:443", "5.6.7.8:6443", "host.example:8443"}},
    {"saddr,sport\n1.2.3.4,6443\n5.6.7.8,443\n1.2.3.4,6443\n", KC_INPUT_AUTO,
     {"1.2.3.4:6443", "5.6.7.8:443"}},
    {"1.2.3.4\n5.6.7.8\n", KC_INPUT_ZMAP,
     {"1.2.3.4:443", "1.2.3.4:6443", "5.6.7.8:443", "5.6.7.8:6443"}},
    {"#masscan\nopen tcp 6443 1.2.3.4 1700000000\nopen tcp 443 10.0.0.1 1\n"
     "# end\n",
     KC_INPUT_AUTO, {"1.2.3.4:6443"}},
    {"[\n{   \"ip\": \"1.2.3.4\",   \"timestamp\": \"1700000000\", \"ports\": "
     "[ {\"port\": 6443, \"proto\": \"tcp\", \"status\": \"open\"} ] },\n"
     "{   \"ip\": \"5.6.7.8\", \"ports\": [ {\"port\": 443} ] }\n]\n",
     KC_INPUT_AUTO, {"1.2.3.4:6443", "5.6.7.8:443"}},
    {"{\"ip\": \"1.2.3.4\", \"port\": 443}\n{\"ip_str\": \"2606:4700::1\", "
     "\"port\": 6443}\n",
     KC_INPUT_AUTO, {"1.2.3.4:443", "[2606:4700::1]:6443"}},
    {"1.2.3.0/31:443\n1.2.3.1:443\n", KC_INPUT_PLAIN,
     {"1.2.3.0:443", "1.2.3.1:443"}},
};

static void test_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(file_cases); i++) {
        struct kc_targets_config cfg = {0};
        const char *inputs[1] = {tmpfile_with(file_cases[i].content)};
        struct walk w;
        size_t n = 0;
        cfg.inputs = inputs;
        cfg.n_inputs = 1;
        cfg.input_format = file_cases[i].fmt;
        print_message("case %zu\n", i);
        walk_sorted(&cfg, &w);
        while (n < 6 && file_cases[i].want[n])
            n++;
        assert_int_equal(w.n, n);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(w.t[k], file_cases[i].want[k]);
        free(w.t);
    }
}

/* ---- blocklist, allowlist, lifts ---- */

/* ---- endpoints (kcensus scan --from-scan) ---- */

static void test_endpoints(void **state)
{
    struct kc_endpoint ep[7];
    struct kc_targets_config cfg = {0};
    struct kc_targets *t;
    struct kc_targets_counts c;
    struct kc_error err = {0};
    const char *block = tmpfile_with("192.0.2.8/29\n");
    const uint16_t ports[] = {80};
    struct walk w;
    (void)state;
    memset(ep, 0, sizeof(ep));
    assert_true(kc_addr_parse("192.0.2.1", &ep[0].addr));
    ep[0].port = 6443;
    ep[1] = ep[0]; /* a duplicate */
    assert_true(kc_addr_parse("192.0.2.9", &ep[2].addr)); /* opted out */
    ep[2].port = 443;
    ep[3].host = "API.Example";
    ep[3].port = 443;
    ep[4].host = "bad name";
    ep[4].port = 443;
    ep[5].port = 443; /* neither address nor host */
    assert_true(kc_addr_parse("2001:db8::1", &ep[6].addr));
    ep[6].port = 8443;
    cfg.endpoints = ep;
    cfg.n_endpoints = KC_ARRAY_LEN(ep);
    cfg.blocklist_file = block;
    cfg.allow_cidrs = (const char *const[]){"192.0.2.0/24", "2001:db8::/32"};
    cfg.n_allow = 2;
    /* -p does not apply: endpoints keep their own ports. */
    memcpy(cfg.ports, ports, sizeof(ports));
    cfg.n_ports = 1;
    cfg.ports_explicit = true;
    walk_sorted(&cfg, &w);
    assert_int_equal(w.n, 3);
    assert_string_equal(w.t[0], "192.0.2.1:6443");
    assert_string_equal(w.t[1], "[2001:db8::1]:8443");
    assert_string_equal(w.t[2], "api.example:443");
    free(w.t);
    assert_int_equal(kc_targets_new(&cfg, &t, &err), 0);
    kc_targets_counts(t, &c);
    assert_int_equal(c.targets, 3);
    assert_int_equal(c.excluded, 1);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.invalid, 2);
    kc_targets_free(t);
}

static void test_blocklists(void **state)
{
    struct kc_targets_config cfg = {0};
    struct kc_targets *t, *t2;
    struct kc_error err = {0};
    struct kc_addr a;
    char h1[KC_SHA256_HEX], h2[KC_SHA256_HEX];
    const char *specs[] = {"8.8.8.0/30:443", "127.0.0.1:443"};
    const char *allow[] = {"10.1.0.0/16"};
    struct walk w;
    (void)state;

    assert_int_equal(kc_targets_new(&cfg, &t, &err), 0);
    assert_true(kc_addr_parse("10.1.2.3", &a));
    assert_true(kc_targets_blocked(t, &a));
    assert_true(kc_addr_parse("127.0.0.1", &a));
    assert_true(kc_targets_blocked(t, &a));
    assert_true(kc_addr_parse("fe80::1", &a));
    assert_true(kc_targets_blocked(t, &a));
    assert_true(kc_addr_parse("8.8.8.8", &a));
    assert_false(kc_targets_blocked(t, &a));
    assert_string_equal(kc_targets_lifts(t), "");
    kc_targets_blocklist_sha256(t, h1);
    assert_int_equal(strlen(h1), 64);

    cfg.allow_loopback = true;
    cfg.allow_cidrs = allow;
    cfg.n_allow = 1;
    assert_int_equal(kc_targets_new(&cfg, &t2, &err), 0);
    assert_true(kc_addr_parse("127.0.0.1", &a));
    assert_false(kc_targets_blocked(t2, &a));
    assert_true(kc_addr_parse("::1", &a));
    assert_false(kc_targets_blocked(t2, &a));
    assert_true(kc_addr_parse("10.1.2.3", &a));
    assert_false(kc_targets_blocked(t2, &a));
    assert_true(kc_addr_parse("10.2.0.1", &a));
    assert_true(kc_targets_blocked(t2, &a));
    assert_true(kc_addr_parse("169.254.0.1", &a));
    assert_true(kc_targets_blocked(t2, &a));
    assert_string_equal(kc_targets_lifts(t2), "127.0.0.0/8,::1/128,10.1.0.0/16");
    kc_targets_blocklist_sha256(t2, h2);
    assert_string_not_equal(h1, h2);
    kc_targets_free(t);
    kc_targets_free(t2);

    /* A user's opt-out wins over --allow; the allowlist restricts. */
    cfg.specs = specs;
    cfg.n_specs = 2;
    cfg.allow_cidrs = (const char *[]){"10.1.0.0/16", "8.8.8.0/24"};
    cfg.n_allow = 2;
    cfg.blocklist_file = tmpfile_with("# opt-out\n8.8.8.1\n8.8.8.2-8.8.8.2\n");
    walk_sorted(&cfg, &w);
    assert_int_equal(w.n, 3);
    assert_string_equal(w.t[0], "127.0.0.1:443");
    assert_string_equal(w.t[1], "8.8.8.0:443");
    assert_string_equal(w.t[2], "8.8.8.3:443");
    free(w.t);
    cfg.allowlist_file = tmpfile_with("8.8.0.0/16\n");
    walk_sorted(&cfg, &w);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.t[0], "8.8.8.0:443");
    assert_string_equal(w.t[1], "8.8.8.3:443");
    free(w.t);
}

/* ---- shards and resume ---- */

static void fill_mixed(struct kc_targets_config *cfg, bool blocklist)
{
    static const char *specs[] = {
        "127.0.0.0/25", "10.0.0.0/28:6443", "8.8.4.0/26:443", "h1.example",
        "h2.example:8443", "[::1]:443", "9.9.9.9", "9.9.9.9:6443",
        "2606:4700::/124",
    };
    static const char *allow[] = {"10.0.0.0/29"};
    memset(cfg, 0, sizeof(*cfg));
    cfg->specs = specs;
    cfg->n_specs = KC_ARRAY_LEN(specs);
    cfg->seed = 7;
    cfg->seed_set = true;
    cfg->allow_loopback = true;
    cfg->allow_cidrs = allow;
    cfg->n_allow = 1;
    if (blocklist)
        cfg->blocklist_file =
            tmpfile_with("127.0.0.0/28\n8.8.4.0/29\n9.9.9.9\n2606:4700::8/125\n");
}

static void test_shards(void **state)
{
    (void)state;
    for (int bl = 0; bl < 2; bl++) {
        struct kc_targets_config cfg;
        struct walk all;
        fill_mixed(&cfg, bl);
        walk_sorted(&cfg, &all);
        assert_true(all.n > 100);
        for (uint32_t n = 1; n <= 40; n += (n < 17 ? 1 : 7)) {
            struct walk u = {0, calloc(MAXT, 280)};
            assert_non_null(u.t);
            for (uint32_t i = 0; i < n; i++) {
                struct walk s;
                cfg.shard_index = i;
                cfg.shard_count = n;
                walk_from(&cfg, 0, &s);
                assert_true(u.n + s.n <= all.n);
                memcpy(u.t + u.n, s.t, s.n * 280);
                u.n += s.n;
                free(s.t);
            }
            /* Union equals the whole, with nothing twice. */
            qsort(u.t, u.n, 280, str_cmp);
            assert_int_equal(u.n, all.n);
            for (size_t k = 0; k < u.n; k++)
                assert_string_equal(u.t[k], all.t[k]);
            free(u.t);
        }
        free(all.t);
    }
}

static void test_resume(void **state)
{
    struct kc_targets_config cfg;
    struct walk full, part;
    const uint64_t starts[] = {0, 1, 2, 17, 50, 99};
    (void)state;
    fill_mixed(&cfg, true);
    cfg.shard_index = 1;
    cfg.shard_count = 3;
    walk_from(&cfg, 0, &full);
    for (size_t i = 0; i < KC_ARRAY_LEN(starts); i++) {
        assert_true(starts[i] <= full.n);
        walk_from(&cfg, starts[i], &part);
        assert_int_equal(part.n, full.n - starts[i]);
        for (size_t k = 0; k < part.n; k++)
            assert_string_equal(part.t[k], full.t[starts[i] + k]);
        free(part.t);
    }
    walk_from(&cfg, full.n, &part); /* at the end: nothing left */
    assert_int_equal(part.n, 0);
    free(part.t);

    struct kc_targets *t;
    struct kc_target_iter *it = (void *)1;
    struct kc_error err = {0};
    assert_int_equal(kc_targets_new(&cfg, &t, &err), 0);
    assert_int_equal(kc_target_iter_new(t, full.n + 1, &it, &err), -ERANGE);
    assert_null(it);
    kc_targets_free(t);
    free(full.t);
}

static void test_seed(void **state)
{
    struct kc_targets_config cfg;
    struct walk a, b, c;
    size_t same = 0;
    (void)state;
    fill_mixed(&cfg, false);
    walk_from(&cfg, 0, &a);
    walk_from(&cfg, 0, &b);
    cfg.seed = 8;
    walk_from(&cfg, 0, &c);
    assert_int_equal(a.n, c.n);
    for (size_t k = 0; k < a.n; k++) {
        assert_string_equal(a.t[k], b.t[k]);
        same += strcmp(a.t[k], c.t[k]) == 0;
    }
    assert_true(same < a.n / 4);
    free(a.t);
    free(b.t);
    free(c.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_skip_bad),   cmocka_unit_test(test_files),
        cmocka_unit_test(test_blocklists), cmocka_unit_test(test_shards),
        cmocka_unit_test(test_resume),     cmocka_unit_test(test_seed),
        cmocka_unit_test(test_endpoints),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    for (size_t i = 0; i < n_tmp; i++)
        unlink(tmp_paths[i]);
    return failed;
}
