/*
 * cmd_enrich.c - kcensus enrich: country, ASN, AS organisation and provider
 * for results already stored (a newer database, or a scan made without
 * one), recording which database builds produced them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "geo.h"
#include "storage.h"

enum { OPT_SCAN = 256, OPT_GEOIP };

static const struct cli_option options[] = {
    CLI_OPT_DB,
    {"scan", OPT_SCAN, "ID", "only this scan (default: every scan)"},
    {"geoip", OPT_GEOIP, "FILE",
     "Country, City or ASN .mmdb file (repeatable)"},
    CLI_OPT_QUIET,
    CLI_OPT_VERBOSE,
    CLI_OPT_HELP,
    CLI_OPT_END,
};

struct enrich_opts {
    struct cli_common common;
    int64_t scan_id; /* 0 = every scan */
    const char *files[KC_GEO_MAX_DBS];
    size_t n_files;
};

struct enrich_run {
    struct kc_store *store;
    const struct kc_geo *geo;
    uint64_t seen, with_country, with_asn, lookup_errors;
    struct kc_error err;
};

static int add_file(const struct cli_command *cmd, struct enrich_opts *o,
                    const char *path)
{
    if (o->n_files == KC_GEO_MAX_DBS)
        return cli_usage_error(cmd, "at most %d --geoip files",
                               KC_GEO_MAX_DBS);
    o->files[o->n_files++] = path;
    return -1;
}

/* -1 to go on, else the exit code. */
static int parse(const struct cli_command *cmd, int argc, char **argv,
                 struct enrich_opts *o)
{
    struct cli_parser p;
    int c, rc;
    uint64_t id;

    cli_parser_init(&p, cmd, &o->common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        switch (c) {
        case OPT_SCAN:
            if (!kc_parse_u64(optarg, 1, INT64_MAX, &id))
                return cli_usage_error(cmd, "--scan: not a scan id: '%s'",
                                       optarg);
            o->scan_id = (int64_t)id;
            break;
        case OPT_GEOIP:
            if ((rc = add_file(cmd, o, optarg)) >= 0)
                return rc;
            break;
        default:
            return cli_usage_error(cmd, "unexpected option");
        }
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    /* "--geoip FILE...": files after the options count too */
    for (int i = optind; i < argc; i++)
        if ((rc = add_file(cmd, o, argv[i])) >= 0)
            return rc;
    if (o->n_files == 0)
        return cli_usage_error(cmd, "--geoip FILE is required");
    return -1;
}

static int enrich_one(void *ctx, int64_t result_id,
                      const struct kc_result *stored)
{
    struct enrich_run *run = ctx;
    /* Shallow copy: the owned strings stay the store's, valid during the
     * call; only the inline geo fields change. Never cleared. */
    struct kc_result r = *stored;

    run->seen++;
    if (kc_geo_lookup(run->geo, &r, NULL) < 0)
        run->lookup_errors++;
    r.provider = kc_geo_infer_provider(&r);
    if (r.country[0] != '\0')
        run->with_country++;
    if (r.asn != 0)
        run->with_asn++;
    return kc_store_update_geo(run->store, result_id, &r,
                               kc_geo_source(run->geo), &run->err);
}

static int find_scan_cb(void *ctx, const struct kc_scan_info *si)
{
    return si->id == *(const int64_t *)ctx; /* 1 stops the walk: found */
}

/* 1 if the scan exists, 0 if not, -errno (message in err). */
static int scan_exists(struct kc_store *s, int64_t id, struct kc_error *err)
{
    return kc_store_list_scans(s, find_scan_cb, &id, err);
}

/* The walk over an open store; returns the exit code. */
static int enrich_store(const struct cli_command *cmd,
                        const struct enrich_opts *o, struct enrich_run *run)
{
    struct kc_error err = {0};
    int rc;

    if (o->scan_id != 0) {
        rc = scan_exists(run->store, o->scan_id, &err);
        if (rc < 0)
            return cli_fail(cmd, "%s", err.msg);
        if (rc == 0)
            return cli_fail(cmd, "%s: no scan %" PRId64, o->common.db,
                            o->scan_id);
    }
    rc = kc_store_foreach_result(run->store, o->scan_id, enrich_one, run,
                                 &err);
    if (rc != 0)
        return cli_fail(cmd, "%s", run->err.code ? run->err.msg : err.msg);
    cli_info(&o->common,
             "enriched %" PRIu64 " results (%" PRIu64 " with country, %" PRIu64
             " with ASN) from %s",
             run->seen, run->with_country, run->with_asn,
             kc_geo_source(run->geo));
    if (run->lookup_errors)
        cli_info(&o->common,
                 "warning: %" PRIu64 " lookups hit a corrupt database",
                 run->lookup_errors);
    return CLI_EXIT_OK;
}

static int run_enrich(const struct cli_command *cmd, int argc, char **argv)
{
    struct enrich_opts o = {0};
    struct enrich_run run = {0};
    struct kc_geo *geo = NULL;
    struct kc_error err = {0};
    int rc = parse(cmd, argc, argv, &o);

    if (rc >= 0)
        return rc;
    /* Bad databases are reported before the census is touched. */
    if (kc_geo_open(o.files, o.n_files, &geo, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    if (kc_store_open(o.common.db, 0, &run.store, &err) < 0) {
        kc_geo_free(geo);
        return cli_fail(cmd, "%s", err.msg);
    }
    run.geo = geo;
    rc = enrich_store(cmd, &o, &run);
    kc_store_close(run.store);
    kc_geo_free(geo);
    return rc;
}

const struct cli_command cli_cmd_enrich = {
    .name = "enrich",
    .summary = "add country, ASN and provider to stored results",
    .usage = "[options] --geoip FILE...",
    .options = options,
    .run = run_enrich,
};
