/* cmd_scans.c - kcensus scans: the scans in a database, as a table, CSV or
 * JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "storage.h"

enum { OPT_CSV = 256, OPT_FORMAT };

static const struct cli_option options[] = {
    CLI_OPT_DB,
    {"format", OPT_FORMAT, "FMT", "table|csv|json (default table)"},
    {"csv", OPT_CSV, NULL, "the same as --format csv"},
    CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

struct scans_out {
    enum kc_report_format format;
    bool verbose;
    size_t n;
};

/*
 * What one scan covered, as the table shows it. A scan: targets completed
 * of the planned total (the stored targets_total; 0 for a stream, whose
 * total is not known). An import's rows are buckets of a published census:
 * it counts the hosts in them, so completed and total are those hosts.
 */
struct scan_figures {
    bool import;
    uint64_t completed, total, stored, kubernetes;
};

static void scan_figures(const struct kc_scan_info *si,
                         struct scan_figures *f)
{
    f->import = si->imported;
    f->completed = si->counters.completed;
    f->total = si->counters.targets_total;
    f->stored = si->results;
    f->kubernetes = si->counters.kubernetes;
    if (f->import)
        f->completed = f->total = f->kubernetes = si->results;
}

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

static void print_csv(const struct kc_scan_info *si, const char *label,
                      const char *shard, const struct scan_figures *f,
                      bool header)
{
    if (header)
        printf("id,label,started_at,finished_at,duration_s,status,shard,"
               "targets,completed,stored,kubernetes,kind\n");
    printf("%lld,\"", (long long)si->id);
    for (const char *p = label; *p; p++)
        printf(*p == '"' ? "\"\"" : "%c", *p);
    printf("\",%s,%s,%.0f,%s,%s,%llu,%llu,%llu,%llu,%s\n", si->started_at,
           si->finished_at ? si->finished_at : "", si->duration_s, si->status,
           shard, (unsigned long long)f->total,
           (unsigned long long)f->completed, (unsigned long long)f->stored,
           (unsigned long long)f->kubernetes, f->import ? "import" : "scan");
}

static void json_field(const char *key, const char *v, bool comma)
{
    printf("\"%s\": ", key);
    if (v == NULL)
        fputs("null", stdout);
    else
        kc_json_write_string(stdout, v, strlen(v));
    fputs(comma ? ", " : "", stdout);
}

static void print_json(const struct kc_scan_info *si, const char *shard,
                       const struct scan_figures *f, bool first)
{
    printf("%s {\"id\": %lld, ", first ? "[\n" : ",\n", (long long)si->id);
    json_field("kind", f->import ? "import" : "scan", true);
    json_field("uid", si->uid, true);
    json_field("label", si->label, true);
    json_field("started_at", si->started_at, true);
    json_field("finished_at", si->finished_at, true);
    if (si->duration_s >= 0)
        printf("\"duration_s\": %.0f, ", si->duration_s);
    else
        fputs("\"duration_s\": null, ", stdout);
    json_field("status", si->status, true);
    json_field("shard", shard, true);
    printf("\"seed\": %llu, \"targets\": %llu, \"completed\": %llu, "
           "\"stored\": %llu, \"kubernetes\": %llu}",
           (unsigned long long)si->seed, (unsigned long long)f->total,
           (unsigned long long)f->completed, (unsigned long long)f->stored,
           (unsigned long long)f->kubernetes);
}

/* TARGETS: "completed of total" as "1795/8000"; alone when the total is
 * not known (a stream) or when they are the same hosts (an import). */
static void print_table(const struct kc_scan_info *si, const char *label,
                        const char *shard, const struct scan_figures *f,
                        bool header, bool verbose)
{
    char dur[32], targets[48];
    format_duration(si->duration_s, dur, sizeof(dur));
    if (f->import || f->total == 0)
        kc_snprintf(targets, sizeof(targets), "%llu",
                    (unsigned long long)f->completed);
    else
        kc_snprintf(targets, sizeof(targets), "%llu/%llu",
                    (unsigned long long)f->completed,
                    (unsigned long long)f->total);
    if (header)
        printf("%4s  %-24s %-20s %9s  %-11s %7s %21s %12s %10s\n", "ID",
               "LABEL", "STARTED", "DURATION", "STATUS", "SHARD", "TARGETS",
               "STORED", "KUBERNETES");
    printf("%4lld  %-24.24s %-20.19s %9s  %-11s %7s %21s %12llu %10llu\n",
           (long long)si->id, label, si->started_at, dur,
           f->import ? "imported" : si->status, shard, targets,
           (unsigned long long)f->stored, (unsigned long long)f->kubernetes);
    if (verbose)
        printf("      uid %s, seed %llu, checkpoint next %llu low %llu\n",
               si->uid, (unsigned long long)si->seed,
               (unsigned long long)si->checkpoint.next_dispatch,
               (unsigned long long)si->checkpoint.low_uncommitted);
}

static int print_scan(void *ctx, const struct kc_scan_info *si)
{
    struct scans_out *o = ctx;
    struct scan_figures f;
    char label[41], shard[32];
    safe_label(si->label, label, sizeof(label));
    if (si->shard_index < 0)
        kc_snprintf(shard, sizeof(shard), "all/%u", si->shard_count);
    else
        kc_snprintf(shard, sizeof(shard), "%lld/%u",
                    (long long)si->shard_index, si->shard_count);
    scan_figures(si, &f);
    switch (o->format) {
    case KC_FORMAT_TABLE:
        print_table(si, label, shard, &f, o->n == 0, o->verbose);
        break;
    case KC_FORMAT_CSV:
        print_csv(si, label, shard, &f, o->n == 0);
        break;
    case KC_FORMAT_JSON:
        print_json(si, shard, &f, o->n == 0);
        break;
    case KC_FORMAT__COUNT:
        break;
    }
    o->n++;
    return 0;
}

static int list_scans(struct kc_store *s, struct scans_out *out,
                      struct kc_error *err)
{
    int rc = kc_store_list_scans(s, print_scan, out, err);
    if (rc == 0 && out->format == KC_FORMAT_JSON)
        fputs(out->n > 0 ? "\n]\n" : "[]\n", stdout);
    return rc;
}

static int run(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct cli_parser p;
    struct scans_out out = {.format = KC_FORMAT_TABLE};
    struct kc_store *s;
    struct kc_error err = {0};
    int c, rc;
    cli_parser_init(&p, cmd, &common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        if (c == OPT_CSV)
            out.format = KC_FORMAT_CSV;
        else if (c == OPT_FORMAT && !kc_report_format_parse(optarg, &out.format))
            return cli_usage_error(cmd, "--format '%s': table, csv or json",
                                   optarg);
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
    rc = list_scans(s, &out, &err);
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
