/* cmd_report.c - kcensus report: one scan's distributions (or the trend
 * across scans, or the changes between two) as tables, CSV, JSON, charts
 * and one HTML page. Reads the database only. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    OPT_SITE,
};

static const struct cli_option options[] = {
    {"scan", OPT_SCAN, "ID", "scan to report (default: latest finished)"},
    {"format", OPT_FORMAT, "FMT", "table (default), csv or json"},
    {"output", 'o', "DIR",
     "write every aggregation as DIR/<name>.csv and the charts as SVG+PNG"},
    {"by", OPT_BY, "AGG",
     "only this aggregation: minor, git_version, vendor, posture, port, "
     "country, asn, upstream_eol, posture_vendor, minor_vendor"},
    {"html", OPT_HTML, "FILE",
     "write one self-contained HTML page (the census over time first when "
     "there are 2+ finished scans)"},
    {"site", OPT_SITE, "DIR",
     "a static site over every finished scan: DIR/index.html and a page per "
     "scan with CSVs; run again after a scan to add it"},
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
    const char *site;
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

/* An output file written under a temporary name and renamed into place
 * when complete, so that a reader (a web server, a re-run) never sees
 * half a file. */
struct out_file {
    FILE *f;
    char path[4096];
    char tmp[4100];
};

/* Opens PATH.tmp for writing; close_out renames it to path. */
static int open_out_path(struct report_run *run, struct out_file *o,
                         const char *path)
{
    /* kc_snprintf truncates: a full buffer may be a cut path */
    if (kc_snprintf(o->path, sizeof(o->path), "%s", path) >=
        sizeof(o->path) - 1)
        return kc_error_set(&run->err, -ENAMETOOLONG, "%s: path too long",
                            path);
    kc_snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", o->path);
    o->f = fopen(o->tmp, "wb");
    if (o->f == NULL)
        return kc_error_set(&run->err, -errno, "%s: %s", o->tmp,
                            strerror(errno));
    return 0;
}

/* DIR/NAME.EXT, through open_out_path. */
static int open_out(struct report_run *run, struct out_file *o,
                    const char *dir, const char *name, const char *ext)
{
    char path[sizeof(o->path)];
    if (kc_snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext) >=
        sizeof(path) - 1)
        return kc_error_set(&run->err, -ENAMETOOLONG, "%s: path too long",
                            dir);
    return open_out_path(run, o, path);
}

/* rc: the writer's result; the file is kept only when it and the close
 * succeeded. */
static int close_out(struct report_run *run, struct out_file *o, int rc)
{
    bool bad = ferror(o->f) != 0;
    bad |= fclose(o->f) != 0;
    if (rc == 0 && !bad && rename(o->tmp, o->path) == 0)
        return 0;
    unlink(o->tmp);
    if (rc < 0)
        return rc;
    return kc_error_set(&run->err, -EIO, "writing %s failed", o->path);
}

static int write_image(struct report_run *run, const char *dir,
                       const char *name, enum kc_image_format fmt,
                       const struct kc_buf *b)
{
    struct out_file o;
    int rc = open_out(run, &o, dir, name, fmt == KC_IMAGE_SVG ? "svg" : "png");
    if (rc < 0)
        return rc;
    fwrite(b->data, 1, b->len, o.f);
    return close_out(run, &o, 0);
}

/* The file of a chart over time: trend (the minor one, the only one
 * before there were more), else trend_<aggregation>. */
static void trend_chart_file(enum kc_agg a, char *out, size_t size)
{
    if (a == KC_AGG_MINOR)
        kc_strlcpy(out, "trend", size);
    else
        kc_snprintf(out, size, "trend_%s", kc_agg_str(a));
}

/* The charts over time (--trend). */
static int write_trend_charts(struct report_run *run, const char *dir,
                              enum kc_image_format fmt, struct kc_buf *b)
{
    static const enum kc_agg charts[] = KC_TREND_CHARTS;
    char file[64];
    int rc = 0;
    for (size_t c = 0; c < KC_ARRAY_LEN(charts) && rc == 0; c++) {
        kc_buf_reset(b);
        rc = kc_trend_chart(run->trend, charts[c], fmt, b, &run->err);
        trend_chart_file(charts[c], file, sizeof(file));
        if (rc == 0)
            rc = write_image(run, dir, file, fmt, b);
    }
    return rc;
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
        if (rc == 0 && run->o->trend)
            rc = write_trend_charts(run, dir, fmts[f], &b);
    }
    kc_buf_free(&b);
    return rc;
}

static int make_dir(struct report_run *run, const char *dir)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        return kc_error_set(&run->err, -errno, "%s: %s", dir,
                            strerror(errno));
    return 0;
}

/* Every aggregation's CSV and metadata.json of one report. */
static int write_csvs(struct report_run *run, const char *dir,
                      const struct kc_report *r)
{
    struct out_file o;
    int rc = 0;
    for (size_t a = 0; a < KC_AGG__COUNT && rc == 0; a++) {
        rc = open_out(run, &o, dir, kc_agg_str((enum kc_agg)a), "csv");
        if (rc == 0)
            rc = close_out(run, &o,
                           kc_report_write_csv(o.f, r, (enum kc_agg)a));
    }
    if (rc == 0 && (rc = open_out(run, &o, dir, "metadata", "json")) == 0)
        rc = close_out(run, &o, kc_report_write_metadata(o.f, r, run->rel));
    return rc;
}

static int write_trend_csv(struct report_run *run, const char *dir)
{
    struct out_file o;
    int rc = open_out(run, &o, dir, "trend", "csv");
    if (rc == 0)
        rc = close_out(run, &o, kc_trend_write_csv(o.f, run->trend));
    return rc;
}

static int write_dir(struct report_run *run, const char *dir)
{
    int rc = make_dir(run, dir);
    if (rc == 0 && run->report)
        rc = write_csvs(run, dir, run->report);
    if (rc == 0 && run->o->trend) /* not the page's trend of --html */
        rc = write_trend_csv(run, dir);
    if (rc == 0)
        rc = write_charts(run, dir);
    return rc;
}

static int write_html(struct report_run *run)
{
    struct out_file o;
    int rc = open_out_path(run, &o, run->o->html);
    if (rc < 0)
        return rc;
    return close_out(run, &o, kc_report_write_html(o.f, run->report,
                                                   run->trend, &run->err));
}

/* One scan's directory of the site: its CSVs and its page. */
static int write_site_scan(struct report_run *run, const struct kc_report *r)
{
    char name[64], dir[4096];
    struct out_file o;
    int rc;
    kc_site_scan_dir(r, name, sizeof(name));
    if (kc_snprintf(dir, sizeof(dir), "%s/%s", run->o->site, name) >=
        sizeof(dir) - 1)
        return kc_error_set(&run->err, -ENAMETOOLONG, "%s: path too long",
                            run->o->site);
    rc = make_dir(run, dir);
    if (rc == 0)
        rc = write_csvs(run, dir, r);
    if (rc == 0 && (rc = open_out(run, &o, dir, "index", "html")) == 0)
        rc = close_out(run, &o, kc_site_write_scan(o.f, r, &run->err));
    return rc;
}

/* Every scan's page (rewritten byte for byte the same when nothing
 * changed), then the trend and the index, which link to them. */
static int write_site(struct report_run *run)
{
    struct out_file o;
    int rc = make_dir(run, run->o->site);
    for (size_t i = 0; rc == 0 && i < kc_trend_len(run->trend); i++)
        rc = write_site_scan(run, kc_trend_at(run->trend, i));
    if (rc == 0)
        rc = write_trend_csv(run, run->o->site);
    if (rc == 0 &&
        (rc = open_out(run, &o, run->o->site, "index", "html")) == 0)
        rc = close_out(run, &o,
                       kc_site_write_index(o.f, run->trend, &run->err));
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

/* The release table this report judges by, stored for SQL's
 * kubernetes_eol view. A database this user cannot write (or one a scan
 * holds locked) keeps the table it has. */
static void store_releases(const struct report_run *run)
{
    struct kc_store *s;
    struct kc_error err = {0};
    if (kc_store_open(run->o->common.db, 0, &s, &err) != 0)
        return;
    cli_store_release_table(s, run->rel, run->o->releases, &err);
    kc_store_close(s);
}

static int run_report(struct report_run *run)
{
    const struct report_opts *o = run->o;
    int rc = kc_releases_default(&run->rel, &run->err);
    if (rc == 0 && o->releases)
        rc = kc_releases_merge_file(run->rel, o->releases, &run->err);
    if (rc == 0)
        store_releases(run);
    if (rc == 0)
        rc = kc_store_open(o->common.db, KC_STORE_READONLY, &run->store,
                           &run->err);
    if (rc < 0)
        return rc;
    if (o->diff)
        return run_diff(run);
    if (o->site) {
        rc = build_trend(run);
        return rc == 0 ? write_site(run) : rc;
    }
    /* The page opens with the census over time when there is one. */
    if (o->trend || o->html)
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
    case OPT_SITE:
        o->site = optarg;
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
    if (o.site && (o.trend || o.html || o.out_dir || o.scan_id > 0 ||
                   o.has_by || o.format != KC_FORMAT_TABLE))
        return cli_usage_error(cmd, "--site covers every finished scan and "
                                    "takes only --unit and --releases");
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
    if (o.html || o.out_dir || o.site)
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
