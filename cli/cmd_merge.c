/* cmd_merge.c - kcensus merge OUT.db IN.db...: shards of one scan become
 * one scan, other scans are copied; running it twice changes nothing. */
#include <stdio.h>

#include "cli.h"
#include "storage.h"

enum { OPT_ALLOW_PARTIAL = 256 };

static const struct cli_option options[] = {
    {"allow-partial", OPT_ALLOW_PARTIAL, NULL,
     "merge an incomplete shard set (the merged scan stays running)"},
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

static int run(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct cli_parser p;
    struct kc_store *s;
    struct kc_error err = {0};
    uint64_t scans = 0, rows = 0;
    bool allow_partial = false;
    int rc = 0, c;
    static const char no_db[] = ""; /* marks "no -d given" */
    common.db = no_db;
    cli_parser_init(&p, cmd, &common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        if (c != OPT_ALLOW_PARTIAL)
            return cli_usage_error(cmd, "unhandled option");
        allow_partial = true;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    /* -d names OUT, like every subcommand's database; then every
     * argument is an input. */
    bool out_from_db = common.db != no_db;
    if (argc - optind < (out_from_db ? 1 : 2))
        return cli_usage_error(cmd, "needs OUT.db (or -d OUT.db) and at "
                                    "least one IN.db");
    const char *out = out_from_db ? common.db : argv[optind];
    const char *const *ins =
        (const char *const *)argv + optind + (out_from_db ? 0 : 1);
    size_t n = (size_t)(argc - optind - (out_from_db ? 0 : 1));
    /* Every input is checked against the others before anything moves. */
    if (kc_store_merge_check(out, ins, n, allow_partial, &err) != 0)
        return cli_fail(cmd, "%s", err.msg);
    if (kc_store_open(out, KC_STORE_CREATE, &s, &err) != 0)
        return cli_fail(cmd, "%s", err.msg);
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint64_t sc = 0, rw = 0;
        rc = kc_store_merge(s, ins[i], &sc, &rw, &err);
        if (rc == 0 && common.verbosity > 0)
            cli_info(&common, "%s: %llu scans, %llu new results", ins[i],
                     (unsigned long long)sc, (unsigned long long)rw);
        scans += sc;
        rows += rw;
    }
    if (rc == 0)
        rc = cli_store_releases(s, &err);
    kc_store_close(s);
    if (rc != 0)
        return cli_fail(cmd, "%s", err.msg);
    cli_info(&common, "merged %zu databases (%llu scans) into %s: %llu new "
             "results", n, (unsigned long long)scans, out,
             (unsigned long long)rows);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_merge = {
    .name = "merge",
    .summary = "combine shard databases or scan histories into one",
    .usage = "[options] OUT.db IN.db... | -d OUT.db IN.db...",
    .options = options,
    .run = run,
};
