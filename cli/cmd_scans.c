/* cmd_scans.c - kcensus scans: a table of the scans in a database. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "storage.h"

enum { OPT_CSV = 256 };

static const struct cli_option options[] = {
    CLI_OPT_DB,
    {"csv", OPT_CSV, NULL, "print CSV instead of a table"},
    CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

struct scans_out {
    bool csv;
    bool verbose;
    size_t n;
};

static void format_duration(double s, char *out, size_t size)
{
    long t = (long)(s + 0.5);
    if (s < 0)
        kc_snprintf(out, size, "-");
    else if (t < 60)
        kc_snprintf(out, size, "%lds", t);
    else if (t < 3600)
        kc_snprintf(out, size, "%ldm%02lds", t / 60, t % 60);
    else
        kc_snprintf(out, size, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

/* Labels come from users, but keep the table one line per scan. */
static void safe_label(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; in && *in && o + 1 < size; in++)
        out[o++] = (unsigned char)*in < 0x20 || *in == 0x7f ? '?' : *in;
    out[o] = '\0';
    if (o == 0)
        kc_strlcpy(out, "-", size);
}

static int print_scan(void *ctx, const struct kc_scan_info *si)
{
    struct scans_out *o = ctx;
    char dur[32], label[41], shard[32];
    format_duration(si->duration_s, dur, sizeof(dur));
    safe_label(si->label, label, sizeof(label));
    if (si->shard_index < 0)
        kc_snprintf(shard, sizeof(shard), "all/%u", si->shard_count);
    else
        kc_snprintf(shard, sizeof(shard), "%lld/%u",
                    (long long)si->shard_index, si->shard_count);
    if (o->csv) {
        if (o->n == 0)
            printf("id,label,started_at,finished_at,duration_s,status,shard,"
                   "targets,completed,stored,kubernetes\n");
        printf("%lld,\"", (long long)si->id);
        for (const char *p = label; *p; p++)
            printf(*p == '"' ? "\"\"" : "%c", *p);
        printf("\",%s,%s,%.0f,%s,%s,%llu,%llu,%llu,%llu\n", si->started_at,
               si->finished_at ? si->finished_at : "", si->duration_s,
               si->status, shard,
               (unsigned long long)si->counters.targets_total,
               (unsigned long long)si->counters.completed,
               (unsigned long long)si->results,
               (unsigned long long)si->counters.kubernetes);
    } else {
        if (o->n == 0)
            printf("%4s  %-24s %-20s %9s  %-11s %7s %12s %12s %10s\n", "ID",
                   "LABEL", "STARTED", "DURATION", "STATUS", "SHARD",
                   "TARGETS", "STORED", "KUBERNETES");
        printf("%4lld  %-24.24s %-20.19s %9s  %-11s %7s %12llu %12llu %10llu\n",
               (long long)si->id, label, si->started_at, dur, si->status,
               shard, (unsigned long long)si->counters.completed,
               (unsigned long long)si->results,
               (unsigned long long)si->counters.kubernetes);
        if (o->verbose)
            printf("      uid %s, seed %llu, checkpoint next %llu low %llu\n",
                   si->uid, (unsigned long long)si->seed,
                   (unsigned long long)si->checkpoint.next_dispatch,
                   (unsigned long long)si->checkpoint.low_uncommitted);
    }
    o->n++;
    return 0;
}

static int run(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct cli_parser p;
    struct scans_out out = {0};
    struct kc_store *s;
    struct kc_error err = {0};
    int c, rc;
    cli_parser_init(&p, cmd, &common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        if (c == OPT_CSV)
            out.csv = true;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    out.verbose = common.verbosity > 0;
    /* Read-write when possible, so an older database is upgraded;
     * a read-only file is still readable. */
    rc = kc_store_open(common.db, 0, &s, &err);
    if (rc == -EROFS || rc == -EACCES)
        rc = kc_store_open(common.db, KC_STORE_READONLY, &s, &err);
    if (rc != 0)
        return cli_fail(cmd, "%s", err.msg);
    rc = kc_store_list_scans(s, print_scan, &out, &err);
    kc_store_close(s);
    if (rc != 0)
        return cli_fail(cmd, "%s", err.msg);
    if (out.n == 0)
        cli_info(&common, "no scans in %s", common.db);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_scans = {
    .name = "scans",
    .summary = "list the scans in the database",
    .usage = "[options]",
    .options = options,
    .run = run,
};
