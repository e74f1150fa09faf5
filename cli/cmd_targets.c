/* cmd_targets.c - kcensus targets: what a scan would visit, in scan order. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "target_opts.h"

enum { OPT_COUNT = 300, OPT_WALK };

static const struct cli_option options[] = {
    CLI_TARGET_OPTIONS,
    {"count", OPT_COUNT, NULL,
     "print totals: targets, excluded, duplicates, invalid"},
    {"walk", OPT_WALK, NULL,
     "generate every target in order, print only the count (benchmark)"},
    /* Taken like every subcommand's; targets reads no database. */
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

enum targets_mode { MODE_PRINT = 0, MODE_COUNT, MODE_WALK };

/* Calls fn for every target of the shard; waits on stdin when a stream has
 * no complete line yet (the library never blocks, we may). */
static int walk(struct kc_targets *t, uint64_t *n, bool print,
                struct kc_error *err)
{
    struct kc_target_iter *it;
    struct kc_target tg;
    int rc = kc_target_iter_new(t, 0, &it, err);
    if (rc < 0)
        return rc;
    while ((rc = kc_target_iter_next(it, &tg, err)) != 0) {
        if (rc == -EAGAIN) {
            struct pollfd p = {.fd = 0, .events = POLLIN};
            poll(&p, 1, -1);
            continue;
        }
        if (rc < 0)
            break;
        (*n)++;
        if (!print)
            continue;
        if (tg.host[0] != '\0') {
            printf("%s:%u\n", tg.host, tg.port);
        } else {
            char ep[80];
            kc_endpoint_format(&tg.addr, tg.port, ep, sizeof(ep));
            puts(ep);
        }
    }
    kc_target_iter_free(it);
    return rc;
}

static void print_counts(const struct kc_targets *t)
{
    struct kc_targets_counts c;
    kc_targets_counts(t, &c);
    printf("targets %llu\nexcluded %llu\nduplicates %llu\ninvalid %llu\n",
           (unsigned long long)c.targets, (unsigned long long)c.excluded,
           (unsigned long long)c.duplicates, (unsigned long long)c.invalid);
}

static void print_warnings(const struct cli_common *cc, const char *w)
{
    while (*w != '\0') {
        size_t n = strcspn(w, "\n");
        cli_info(cc, "kcensus targets: warning: %.*s", (int)n, w);
        w += n + (w[n] == '\n');
    }
}

static int run_plan(const struct cli_command *cmd, const struct cli_common *cc,
                    const struct kc_targets_config *cfg, enum targets_mode mode)
{
    static char outbuf[1 << 16];
    struct kc_targets *t;
    struct kc_error err = {0};
    uint64_t n = 0, t0;
    size_t warned;
    int rc;

    if (kc_targets_new(cfg, &t, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    print_warnings(cc, kc_targets_warnings(t));
    warned = strlen(kc_targets_warnings(t));
    if (!cfg->seed_set)
        cli_info(cc, "kcensus targets: seed %llu",
                 (unsigned long long)kc_targets_seed(t));
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    t0 = kc_mono_us();
    if (mode == MODE_COUNT && !kc_targets_is_stream(t))
        rc = 0; /* closed form */
    else
        rc = walk(t, &n, mode == MODE_PRINT, &err);
    if (rc < 0) {
        fflush(stdout);
        kc_targets_free(t);
        return cli_fail(cmd, "%s", err.msg);
    }
    /* Warnings raised while reading the stream (skipped lines). */
    print_warnings(cc, kc_targets_warnings(t) + warned);
    if (mode == MODE_COUNT) {
        print_counts(t);
    } else if (mode == MODE_WALK) {
        double s = (double)(kc_mono_us() - t0) / 1e6;
        printf("targets %llu\n", (unsigned long long)n);
        cli_info(cc, "kcensus targets: walked %llu targets in %.3f s "
                     "(%.1f M/s)",
                 (unsigned long long)n, s, s > 0 ? (double)n / s / 1e6 : 0.0);
    }
    kc_targets_free(t);
    return fflush(stdout) == 0 ? CLI_EXIT_OK
                               : cli_fail(cmd, "stdout: write error");
}

static int run(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common cc = {0};
    struct cli_parser p;
    struct cli_target_opts to;
    enum targets_mode mode = MODE_PRINT;
    int id;

    cli_target_opts_init(&to);
    cli_parser_init(&p, cmd, &cc);
    while ((id = cli_parser_next(&p, argc, argv)) >= 0) {
        switch (cli_target_opts_handle(&to, cmd, id, optarg)) {
        case CLI_TOPT_TAKEN:
            continue;
        case CLI_TOPT_ERROR:
            return CLI_EXIT_USAGE;
        case CLI_TOPT_NOT_MINE:
            break;
        }
        if (id == OPT_COUNT)
            mode = MODE_COUNT;
        else if (id == OPT_WALK)
            mode = MODE_WALK;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    cli_target_opts_specs(&to, argc, argv, optind);
    if (to.cfg.n_specs == 0 && to.cfg.n_inputs == 0)
        return cli_usage_error(cmd, "give target specs or -i FILE");
    return run_plan(cmd, &cc, &to.cfg, mode);
}

const struct cli_command cli_cmd_targets = {
    .name = "targets",
    .summary = "print the targets a scan would visit, in scan order",
    .usage = "[options] [SPECS...]",
    .options = options,
    .run = run,
};
