/* test_target_opts.c - the shared target flags (cli/target_opts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "target_opts.h"

static const struct cli_option opts[] = {
    CLI_TARGET_OPTIONS, CLI_OPT_QUIET, CLI_OPT_HELP, CLI_OPT_END,
};
static const struct cli_command cmd = {
    .name = "test", .summary = "", .usage = "", .options = opts,
};

/* Parses argv; returns 0 ok, 2 usage error. */
static int parse(struct cli_target_opts *o, int argc, char **argv)
{
    struct cli_common cc = {0};
    struct cli_parser p;
    int id;
    cli_target_opts_init(o);
    cli_parser_init(&p, &cmd, &cc);
    while ((id = cli_parser_next(&p, argc, argv)) >= 0) {
        enum cli_topt_result r = cli_target_opts_handle(o, &cmd, id, optarg);
        if (r == CLI_TOPT_ERROR)
            return 2;
        assert_int_equal(r, CLI_TOPT_TAKEN);
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    cli_target_opts_specs(o, argc, argv, optind);
    return 0;
}

static const struct {
    const char *args[8];
    int rc;
    size_t n_inputs, n_specs, n_ports, n_allow;
    uint16_t port0;
    uint64_t seed;
    uint32_t shard_i, shard_n;
} cases[] = {
    {{"x", "1.2.3.4"}, 0, 0, 1, 0, 0, 0, 0, 0, 0},
    {{"x", "-i", "a.txt", "--input", "-", "-p", "6443,443"}, 0, 2, 0, 2, 0,
     6443, 0, 0, 0},
    {{"x", "--seed", "42", "--shard", "3/8", "10.0.0.0/8"}, 0, 0, 1, 0, 0, 0,
     42, 3, 8},
    {{"x", "--allow", "10.0.0.0/8", "--allow", "::1", "--allow-loopback"}, 0,
     0, 0, 0, 2, 0, 0, 0, 0},
    {{"x", "--shard", "auto/4"}, 0, 0, 0, 0, 0, 0, 0, 2, 4},
    {{"x", "-p", "0"}, 2},
    /* scans.seed shows seeds of 2^63 and more as SQLite's signed integer:
     * --seed takes that value back as the same 64 bits. */
    {{"x", "--seed", "-1"}, 0, 0, 0, 0, 0, 0, UINT64_MAX, 0, 0},
    {{"x", "--seed", "-9223372036854775808"}, 0, 0, 0, 0, 0, 0,
     1ull << 63, 0, 0},
    {{"x", "--seed", "-9223372036854775809"}, 2},
    {{"x", "--seed", "-"}, 2},
    {{"x", "--seed", "18446744073709551616"}, 2},
    {{"x", "--shard", "8/8"}, 2},
    {{"x", "--input-format", "csv"}, 2},
    {{"x", "--bogus"}, 2},
};

static void test_table(void **state)
{
    (void)state;
    setenv("JOB_COMPLETION_INDEX", "2", 1);
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct cli_target_opts o;
        char *argv[8];
        int argc = 0;
        while (argc < 8 && cases[i].args[argc]) {
            argv[argc] = (char *)cases[i].args[argc];
            argc++;
        }
        print_message("case %zu\n", i);
        assert_int_equal(parse(&o, argc, argv), cases[i].rc);
        if (cases[i].rc != 0)
            continue;
        assert_int_equal(o.cfg.n_inputs, cases[i].n_inputs);
        assert_int_equal(o.cfg.n_specs, cases[i].n_specs);
        assert_int_equal(o.cfg.n_ports, cases[i].n_ports);
        assert_int_equal(o.cfg.ports_explicit, cases[i].n_ports > 0);
        assert_int_equal(o.cfg.n_allow, cases[i].n_allow);
        if (cases[i].n_ports)
            assert_int_equal(o.cfg.ports[0], cases[i].port0);
        assert_int_equal(o.cfg.seed, cases[i].seed);
        assert_int_equal(o.cfg.shard_index, cases[i].shard_i);
        assert_int_equal(o.cfg.shard_count, cases[i].shard_n);
    }
    unsetenv("JOB_COMPLETION_INDEX");
}

static void test_format_and_flags(void **state)
{
    struct cli_target_opts o;
    char *argv[] = {"x", "--input-format", "masscan-json", "--skip-bad",
                    "--blocklist", "b.txt", "--allowlist", "a.txt"};
    (void)state;
    assert_int_equal(parse(&o, 8, argv), 0);
    assert_int_equal(o.cfg.input_format, KC_INPUT_MASSCAN_JSON);
    assert_true(o.cfg.skip_bad);
    assert_string_equal(o.cfg.blocklist_file, "b.txt");
    assert_string_equal(o.cfg.allowlist_file, "a.txt");
    /* A command's own option ids are left to it. */
    assert_int_equal(cli_target_opts_handle(&o, &cmd, 300, NULL),
                     CLI_TOPT_NOT_MINE);
    assert_true(CLI_TOPT__END <= 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_format_and_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
