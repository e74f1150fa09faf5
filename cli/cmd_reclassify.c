/* cmd_reclassify.c - kcensus reclassify: re-derive is-Kubernetes, posture,
 * version and vendor from the stored evidence with the current rules, and
 * record the new classifier_version, so history stays comparable. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "cli.h"
#include "storage.h"

enum { OPT_SCAN = 256, OPT_DRY_RUN };

static const struct cli_option options[] = {
    CLI_OPT_DB,
    {"scan", OPT_SCAN, "ID", "only this scan (default: every scan)"},
    {"dry-run", OPT_DRY_RUN, NULL, "count what would change, write nothing"},
    CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

struct reclassify_run {
    struct kc_store *store;
    bool dry_run;
    uint64_t seen, changed;
    uint64_t restamped; /* same verdict, older classifier_version */
    struct kc_error err;
};

static int reclassify_one(void *ctx, int64_t result_id,
                          const struct kc_result *stored)
{
    struct reclassify_run *run = ctx;
    struct kc_result r;
    bool changed = false;
    int rc;
    /* The scanner classifies answered targets only: any other verdict is
     * NULL, "not evaluated", and stays so. An imported bucket has no
     * probes: its verdict came from its gitVersion at import. */
    if (stored->outcome != KC_OUTCOME_OK || stored->port == 0) {
        run->seen++;
        return 0;
    }
    rc = kc_result_copy(&r, stored);
    if (rc == 0)
        rc = kc_reclassify(&r, &changed);
    if (rc != 0) {
        kc_result_clear(&r);
        return kc_error_set(&run->err, rc, "out of memory");
    }
    run->seen++;
    /* A row the current rules judge the same still records that they
     * judged it, so every row names the classifier of its verdict. */
    bool restamp = !changed && (stored->classifier_version == NULL ||
                                strcmp(stored->classifier_version,
                                       KC_CLASSIFIER_VERSION) != 0);
    run->changed += changed;
    run->restamped += restamp;
    if ((changed || restamp) && !run->dry_run)
        rc = kc_store_update_verdict(run->store, result_id, &r, &run->err);
    kc_result_clear(&r);
    return rc;
}

static int run_reclassify(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct cli_parser p;
    struct reclassify_run run = {0};
    int64_t scan_id = 0;
    int c, rc;

    cli_parser_init(&p, cmd, &common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        switch (c) {
        case OPT_SCAN:
            if (!kc_parse_i64(optarg, 1, INT64_MAX, &scan_id))
                return cli_usage_error(cmd, "--scan needs a scan id, not '%s'",
                                       optarg);
            break;
        case OPT_DRY_RUN:
            run.dry_run = true;
            break;
        default:
            return cli_usage_error(cmd, "unhandled option");
        }
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);

    rc = kc_store_open(common.db, run.dry_run ? KC_STORE_READONLY : 0,
                       &run.store, &run.err);
    if (rc != 0)
        return cli_fail(cmd, "%s", run.err.msg);
    /* An unknown scan is an error, as in report and enrich. */
    if (scan_id != 0) {
        struct kc_report_scan info;
        rc = kc_store_report_scan(run.store, scan_id, &info, &run.err);
        if (rc != 0) {
            kc_store_close(run.store);
            return cli_fail(cmd, "%s", run.err.msg);
        }
    }
    rc = kc_store_foreach_result(run.store, scan_id, reclassify_one, &run,
                                 &run.err);
    if (rc == 0 && !run.dry_run)
        rc = kc_store_stamp_classifier(run.store, scan_id,
                                       KC_CLASSIFIER_VERSION, &run.err);
    kc_store_close(run.store);
    if (rc != 0)
        return cli_fail(cmd, "%s", run.err.msg[0] ? run.err.msg
                                                  : "reclassification failed");
    cli_info(&common, "%s %llu results with classifier %s: %llu changed, "
             "%llu unchanged but judged by an older classifier%s",
             run.dry_run ? "checked" : "reclassified",
             (unsigned long long)run.seen, KC_CLASSIFIER_VERSION,
             (unsigned long long)run.changed,
             (unsigned long long)run.restamped,
             run.dry_run ? "" : " (now stamped)");
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_reclassify = {
    .name = "reclassify",
    .summary = "re-derive verdicts from stored evidence with current rules",
    .usage = "[options]",
    .options = options,
    .run = run_reclassify,
};
