/* cmd_report.c - kcensus report: one scan's distributions (or the trend
 * across scans, or the changes between two) as tables, CSV, JSON, charts
 * and one HTML page. Reads the database only. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "report.h"
#include "storage.h"

enum {
    OPT_SCAN = 256,
    OPT_FORMAT,
    OPT_BY,
    OPT_HTML,
    OPT_TREND,
    OPT_DIFF,
    OPT_UNIT,
    OPT_RELEASES,
};

static const struct cli_option options[] = {
    {"scan", OPT_SCAN, "ID", "scan to report (default: latest finished)"},
    {"format", OPT_FORMAT, "FMT", "table (default), csv or json"},
    {"output", 'o', "DIR",
     "write every aggregation as DIR/<name>.csv and the charts as SVG+PNG"},
    {"by", OPT_BY, "AGG",
     "only this aggregation: minor, git_version, vendor, posture, port, "
     "country, asn, upstream_eol, posture_vendor, minor_vendor"},
    {"html", OPT_HTML, "FILE", "write one self-contained HTML page"},
    {"trend", OPT_TREND, NULL, "per scan date: minors, EOL share, postures"},
    {"diff", OPT_DIFF, "A B", "endpoints that changed from scan A to B"},
    {"unit", OPT_UNIT, "UNIT", "count endpoint (default), ip or cluster"},
    {"releases", OPT_RELEASES, "FILE",
     "extra/replacement release table (minor,released,maintenance_mode,"
     "end_of_life)"},
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

struct report_opts {
    struct cli_common common;
    int64_t scan_id; /* 0: latest */
    enum kc_report_format format;
    const char *out_dir;
    bool has_by;
    enum kc_agg by;
    const char *html;
    bool trend;
    bool diff;
    int64_t diff_a, diff_b;
    enum kc_count_unit unit;
    const char *releases;
};

/* The run's owned state: one teardown path. */
struct report_run {
    const struct cli_command *cmd;
    const struct report_opts *o;
    struct kc_store *store;
    struct kc_releases *rel;
    struct kc_report *report; /* the scan reported (not in trend) */
    struct kc_trend *trend;
    struct kc_error err;
};

/* ------------------------------------------------------------------ */
/* Building reports from the store                                     */
/* ------------------------------------------------------------------ */

static int add_group(void *ctx, const struct kc_report_row *g)
{
    return kc_report_add(ctx, g);
}

/* Scans this large are read in two halves on two threads (each with its
 * own connection): SQLite's row decoding is most of a report's time. */
#define PARALLEL_MIN_ROWS 200000

struct part {
    const char *db;
    int64_t scan_id;
    uint64_t lo, hi;
    struct kc_report *report;
    struct kc_error err;
    int rc;
};

static void *part_main(void *arg)
{
    struct part *p = arg;
    struct kc_store *store = NULL;
    p->rc = kc_store_open(p->db, KC_STORE_READONLY, &store, &p->err);
    if (p->rc == 0)
        p->rc = kc_store_report_groups_part(store, p->scan_id, p->lo, p->hi,
                                            add_group, p->report, &p->err);
    kc_store_close(store);
    return NULL;
}

/* Endpoint unit over a large scan: the upper half on a second thread,
 * merged into r. *done false when the scan is small (caller reads it
 * whole). */
static int read_parallel(struct report_run *run, int64_t scan_id,
                         const struct kc_report_meta *m, struct kc_report *r,
                         bool *done)
{
    struct part p = {.db = run->o->common.db, .scan_id = scan_id};
    uint64_t lo, hi;
    pthread_t th;
    int rc;

    *done = false;
    if (run->o->unit != KC_UNIT_ENDPOINT ||
        kc_store_report_index_range(run->store, scan_id, &lo, &hi, NULL) < 0 ||
        hi - lo < PARALLEL_MIN_ROWS)
        return 0;
    *done = true;
    p.lo = lo + (hi - lo) / 2 + 1;
    p.hi = hi;
    kc_error_clear(&p.err);
    rc = kc_report_new(run->rel, m, &p.report, &run->err);
    if (rc < 0)
        return rc;
    if (pthread_create(&th, NULL, part_main, &p) != 0) {
        part_main(&p); /* no thread: the same work, in turn */
    } else {
        rc = kc_store_report_groups_part(run->store, scan_id, lo, p.lo - 1,
                                         add_group, r, &run->err);
        pthread_join(th, NULL);
    }
    if (rc == 0 && p.rc < 0) {
        rc = p.rc;
        run->err = p.err;
    }
    if (rc == 0)
        rc = kc_report_merge(r, p.report);
    kc_report_free(p.report);
    return rc;
}

static int build_report(struct report_run *run,
                        const struct kc_report_scan *sc,
                        struct kc_report **out)
{
    struct kc_report_meta m = {
        .scan_id = sc->id,
        .label = sc->has_label ? sc->label : NULL,
        .started_at = sc->started_at,
        .unit = kc_count_unit_str(run->o->unit),
        .results = sc->results,
    };
    struct kc_report *r = NULL;
    bool done;
    int rc = kc_report_new(run->rel, &m, &r, &run->err);
    if (rc < 0)
        return rc;
    rc = read_parallel(run, sc->id, &m, r, &done);
    if (rc == 0 && !done)
        rc = kc_store_report_groups(run->store, sc->id, run->o->unit,
                                    add_group, r, &run->err);
    if (rc == -ENOMEM)
        kc_error_set(&run->err, rc, "out of memory");
    if (rc == 0 && (rc = kc_report_finish(r)) < 0)
        kc_error_set(&run->err, rc, "out of memory");
    if (rc < 0) {
        kc_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int build_trend(struct report_run *run)
{
    struct kc_report_scan *scans = NULL;
    size_t n = 0;
    int rc = kc_store_report_scans(run->store, &scans, &n, &run->err);
    if (rc < 0)
        return rc;
    run->trend = kc_trend_new();
    if (run->trend == NULL)
        rc = kc_error_set(&run->err, -ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct kc_report *r = NULL;
        rc = build_report(run, &scans[i], &r);
        if (rc == 0 && (rc = kc_trend_add(run->trend, r)) < 0)
            kc_error_set(&run->err, rc, "out of memory");
    }
    free(scans);
    if (rc == 0 && n == 0)
        rc = kc_error_set(&run->err, -ENOENT,
                          "no finished scan in the database");
    return rc;
}

static int build_one(struct report_run *run)
{
    struct kc_report_scan sc;
    int rc;
    if (run->o->scan_id > 0) {
        rc = kc_store_report_scan(run->store, run->o->scan_id, &sc,
                                  &run->err);
    } else {
        struct kc_report_scan *scans = NULL;
        size_t n = 0;
        rc = kc_store_report_scans(run->store, &scans, &n, &run->err);
        if (rc == 0 && n == 0)
            rc = kc_error_set(&run->err, -ENOENT,
                              "no finished scan in the database (import "
                              "one or finish a scan, or pick --scan ID)");
        if (rc == 0)
            sc = scans[n - 1];
        free(scans);
    }
    if (rc == 0)
        rc = build_report(run, &sc, &run->report);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static FILE *open_out(struct report_run *run, const char *dir,
                      const char *name, const char *ext)
{
    char path[4096];
    FILE *f;
    kc_snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
    f = fopen(path, "wb");
    if (f == NULL)
        kc_error_set(&run->err, -errno, "%s: %s", path, strerror(errno));
    return f;
}

static int close_out(struct report_run *run, FILE *f, const char *what)
{
    if (ferror(f) | (fclose(f) != 0))
        return kc_error_set(&run->err, -EIO, "writing %s failed", what);
    return 0;
}

static int write_image(struct report_run *run, const char *dir,
                       const char *name, enum kc_image_format fmt,
                       const struct kc_buf *b)
{
    FILE *f = open_out(run, dir, name, fmt == KC_IMAGE_SVG ? "svg" : "png");
    if (f == NULL)
        return run->err.code;
    fwrite(b->data, 1, b->len, f);
    return close_out(run, f, name);
}

static int write_charts(struct report_run *run, const char *dir)
{
    static const enum kc_image_format fmts[] = {KC_IMAGE_SVG, KC_IMAGE_PNG};
    struct kc_buf b;
    int rc = 0;
    kc_buf_init(&b, 32u << 20);
    for (size_t f = 0; f < 2 && rc == 0; f++) {
        for (size_t c = 0; run->report && c < KC_CHART__COUNT && rc == 0;
             c++) {
            kc_buf_reset(&b);
            rc = kc_report_chart(run->report, (enum kc_chart)c, fmts[f], &b,
                                 &run->err);
            if (rc == 0)
                rc = write_image(run, dir, kc_chart_str((enum kc_chart)c),
                                 fmts[f], &b);
        }
        if (rc == 0 && run->trend != NULL) {
            kc_buf_reset(&b);
            rc = kc_trend_chart(run->trend, fmts[f], &b, &run->err);
            if (rc == 0)
                rc = write_image(run, dir, "trend", fmts[f], &b);
        }
    }
    kc_buf_free(&b);
    return rc;
}

static int write_dir(struct report_run *run, const char *dir)
{
    int rc = 0;
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        return kc_error_set(&run->err, -errno, "%s: %s", dir,
                            strerror(errno));
    for (size_t a = 0; run->report && a < KC_AGG__COUNT && rc == 0; a++) {
        FILE *f = open_out(run, dir, kc_agg_str((enum kc_agg)a), "csv");
        if (f == NULL)
            return run->err.code;
        kc_report_write_csv(f, run->report, (enum kc_agg)a);
        rc = close_out(run, f, kc_agg_str((enum kc_agg)a));
    }
    if (rc == 0 && run->trend != NULL) {
        FILE *f = open_out(run, dir, "trend", "csv");
        if (f == NULL)
            return run->err.code;
        kc_trend_write_csv(f, run->trend);
        rc = close_out(run, f, "trend.csv");
    }
    if (rc == 0)
        rc = write_charts(run, dir);
    return rc;
}

static int write_html(struct report_run *run)
{
    FILE *f = fopen(run->o->html, "wb");
    int rc;
    if (f == NULL)
        return kc_error_set(&run->err, -errno, "%s: %s", run->o->html,
                            strerror(errno));
    rc = kc_report_write_html(f, run->report, run->trend, &run->err);
    if (close_out(run, f, run->o->html) < 0 && rc == 0)
        rc = run->err.code;
    return rc;
}

static int write_stdout(struct report_run *run)
{
    enum kc_agg all[KC_AGG__COUNT];
    size_t n = 0;
    const struct report_opts *o = run->o;

    if (o->trend) {
        switch (o->format) {
        case KC_FORMAT_TABLE:
            return kc_trend_write_table(stdout, run->trend);
        case KC_FORMAT_CSV:
            return kc_trend_write_csv(stdout, run->trend);
        case KC_FORMAT_JSON:
        case KC_FORMAT__COUNT:
            return kc_trend_write_json(stdout, run->trend);
        }
    }
    if (o->has_by)
        all[n++] = o->by;
    else
        for (size_t a = 0; a < KC_AGG__COUNT; a++)
            all[n++] = (enum kc_agg)a;
    switch (o->format) {
    case KC_FORMAT_TABLE:
        return kc_report_write_table(stdout, run->report, all, n);
    case KC_FORMAT_CSV:
        /* One aggregation per CSV document: --by, or minor. */
        return kc_report_write_csv(stdout, run->report,
                                   o->has_by ? o->by : KC_AGG_MINOR);
    case KC_FORMAT_JSON:
    case KC_FORMAT__COUNT:
        break;
    }
    return kc_report_write_json(stdout, run->report, all, n);
}

/* ------------------------------------------------------------------ */
/* Diff                                                                */
/* ------------------------------------------------------------------ */

struct diff_rows {
    struct kc_diff_row *v;
    size_t n, cap;
};

/* A NUL-terminated copy of n bytes that may themselves hold NUL. */
static char *dup_or_null(const char *s, size_t n)
{
    char *d;
    if (s == NULL || (d = malloc(n + 1)) == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int add_change(void *ctx, const struct kc_report_change *c)
{
    struct diff_rows *d = ctx;
    char ep[KC_MAX_SNI + 128];
    struct kc_diff_row *row;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct kc_diff_row *v = realloc(d->v, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    if (c->sni && *c->sni)
        kc_snprintf(ep, sizeof(ep), "%s%s%s:%d %s",
                    strchr(c->ip, ':') ? "[" : "", c->ip,
                    strchr(c->ip, ':') ? "]" : "", c->port, c->sni);
    else
        kc_snprintf(ep, sizeof(ep), "%s%s%s:%d",
                    strchr(c->ip, ':') ? "[" : "", c->ip,
                    strchr(c->ip, ':') ? "]" : "", c->port);
    row = &d->v[d->n];
    row->kind = (enum kc_diff_kind)c->kind;
    row->endpoint = strdup(ep);
    row->old_value = dup_or_null(c->old_value, c->old_len);
    row->new_value = dup_or_null(c->new_value, c->new_len);
    row->old_len = c->old_value ? c->old_len : 0;
    row->new_len = c->new_value ? c->new_len : 0;
    d->n++;
    if (!row->endpoint || (c->old_value && !row->old_value) ||
        (c->new_value && !row->new_value))
        return -ENOMEM;
    return 0;
}

static void diff_rows_free(struct diff_rows *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free((char *)d->v[i].endpoint);
        free((char *)d->v[i].old_value);
        free((char *)d->v[i].new_value);
    }
    free(d->v);
}

static int run_diff(struct report_run *run)
{
    struct diff_rows d = {0};
    struct kc_report_scan sc;
    int rc = kc_store_report_scan(run->store, run->o->diff_a, &sc, &run->err);
    if (rc == 0)
        rc = kc_store_report_scan(run->store, run->o->diff_b, &sc,
                                  &run->err);
    if (rc == 0)
        rc = kc_store_report_diff(run->store, run->o->diff_a,
                                  run->o->diff_b, add_change, &d, &run->err);
    if (rc == -ENOMEM)
        kc_error_set(&run->err, rc, "out of memory");
    if (rc == 0)
        rc = kc_diff_write(stdout, run->o->format, run->o->diff_a,
                           run->o->diff_b, d.v, d.n);
    diff_rows_free(&d);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

static int run_report(struct report_run *run)
{
    const struct report_opts *o = run->o;
    int rc = kc_releases_default(&run->rel, &run->err);
    if (rc == 0 && o->releases)
        rc = kc_releases_merge_file(run->rel, o->releases, &run->err);
    if (rc == 0)
        rc = kc_store_open(o->common.db, KC_STORE_READONLY, &run->store,
                           &run->err);
    if (rc < 0)
        return rc;
    if (o->diff)
        return run_diff(run);
    if (o->trend)
        rc = build_trend(run);
    /* The page and the files describe one scan even with --trend. */
    if (rc == 0 && (!o->trend || o->html || o->out_dir))
        rc = build_one(run);
    if (rc == 0 && o->out_dir)
        rc = write_dir(run, o->out_dir);
    if (rc == 0 && o->html)
        rc = write_html(run);
    if (rc == 0 && !o->out_dir && !o->html) {
        rc = write_stdout(run);
        if (rc < 0)
            kc_error_set(&run->err, rc, "writing the report failed");
    }
    return rc;
}

static bool parse_scan_id(const char *s, int64_t *out)
{
    return kc_parse_i64(s, 1, INT64_MAX, out);
}

static int parse_opt(const struct cli_command *cmd, struct report_opts *o,
                     int c, int argc, char **argv)
{
    switch (c) {
    case OPT_SCAN:
        if (!parse_scan_id(optarg, &o->scan_id))
            return cli_usage_error(cmd, "--scan '%s' is not a scan id",
                                   optarg);
        return -1;
    case OPT_FORMAT:
        if (!kc_report_format_parse(optarg, &o->format))
            return cli_usage_error(cmd, "--format '%s': table, csv or json",
                                   optarg);
        return -1;
    case 'o':
        o->out_dir = optarg;
        return -1;
    case OPT_BY:
        if (!kc_agg_parse(optarg, &o->by))
            return cli_usage_error(cmd, "--by '%s' is not an aggregation",
                                   optarg);
        o->has_by = true;
        return -1;
    case OPT_HTML:
        o->html = optarg;
        return -1;
    case OPT_TREND:
        o->trend = true;
        return -1;
    case OPT_DIFF:
        /* --diff A B: B is the next word on the command line. */
        if (optind >= argc || !parse_scan_id(optarg, &o->diff_a) ||
            !parse_scan_id(argv[optind], &o->diff_b))
            return cli_usage_error(cmd, "--diff needs two scan ids: A B");
        optind++;
        o->diff = true;
        return -1;
    case OPT_UNIT:
        if (!kc_count_unit_parse(optarg, &o->unit))
            return cli_usage_error(cmd, "--unit '%s': endpoint, ip or "
                                        "cluster",
                                   optarg);
        return -1;
    case OPT_RELEASES:
        o->releases = optarg;
        return -1;
    default:
        return cli_usage_error(cmd, "unhandled option");
    }
}

static int report_main(const struct cli_command *cmd, int argc, char **argv)
{
    struct report_opts o = {.format = KC_FORMAT_TABLE};
    struct report_run run = {.cmd = cmd, .o = &o};
    struct cli_parser p;
    int c, rc;

    cli_parser_init(&p, cmd, &o.common);
    while ((c = cli_parser_next(&p, argc, argv)) != -1) {
        rc = parse_opt(cmd, &o, c, argc, argv);
        if (rc >= 0)
            return rc;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (o.diff && (o.trend || o.html || o.out_dir))
        return cli_usage_error(cmd, "--diff goes alone (with --format)");
    if (o.trend && o.scan_id > 0)
        return cli_usage_error(cmd, "--trend covers every finished scan; "
                                    "drop --scan");
    kc_error_clear(&run.err);
    rc = run_report(&run);
    kc_report_free(run.report);
    kc_trend_free(run.trend);
    kc_releases_free(run.rel);
    kc_store_close(run.store);
    /* Charts drawn: every cairo object is gone (and the reading threads
     * joined), so cairo's and fontconfig's process-wide caches can go. */
    if (o.html || o.out_dir)
        kc_report_graphics_release();
    if (rc < 0)
        return cli_fail(cmd, "%s", run.err.msg[0] ? run.err.msg
                                                  : strerror(-rc));
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_report = {
    .name = "report",
    .summary = "version and posture distributions as tables, CSV, charts, HTML",
    .usage = "[options]  |  --trend  |  --diff A B",
    .options = options,
    .run = report_main,
};
