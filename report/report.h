/*
 * report.h - the census report: formats only, no SQL.
 *
 * The caller (cli/cmd_report.c) streams one scan's Kubernetes rows, already
 * reduced to the unit it counts (endpoint, ip or cluster) and carrying a
 * weight, into a struct kc_report. report/ aggregates them (by minor version,
 * gitVersion, vendor, posture, port, country, ASN, upstream end-of-life
 * status, posture x vendor, minor x vendor) and writes tables, RFC 4180 CSV,
 * JSON, cairo charts (SVG and PNG from one drawing code) and one
 * self-contained HTML page. Several reports make a trend; diff rows are
 * formatted too.
 *
 * Every string from a server (gitVersion, country, AS organisation...) is
 * treated as hostile: escaped for terminals, neutralised for spreadsheets,
 * HTML-escaped for the page, made valid UTF-8 for the charts.
 */
#ifndef KCENSUS_REPORT_H
#define KCENSUS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* Release table and upstream end of life                              */
/* ------------------------------------------------------------------ */

struct kc_releases;

/* The table embedded at build time (report/data/kubernetes-releases.csv).
 * Returns 0, -ENOMEM. Free with kc_releases_free(). */
int kc_releases_default(struct kc_releases **out, struct kc_error *err);

/* Adds or replaces minors from CSV text with the header
 * `minor,released,maintenance_mode,end_of_life[,note]` (only `minor` and
 * `end_of_life` are used; dates YYYY-MM-DD or empty). -EINVAL with the line
 * number on malformed input. */
int kc_releases_merge(struct kc_releases *rel, const char *text, size_t n,
                      struct kc_error *err);

/* kc_releases_merge() over a file's contents (at most 1 MiB). */
int kc_releases_merge_file(struct kc_releases *rel, const char *path,
                           struct kc_error *err);

void kc_releases_free(struct kc_releases *rel);

/* The table's rows, for storing it beside the scans: row i (< count) is
 * 1.*minor with *eol its end-of-life date, NULL when none was published
 * (the string belongs to rel). */
size_t kc_releases_count(const struct kc_releases *rel);
void kc_releases_row(const struct kc_releases *rel, size_t i, int *minor,
                     const char **eol);

/* The table as a JSON array, oldest minor first:
 * [{"minor":"1.26","end_of_life":"2024-02-28"},...] (null: no date). */
void kc_releases_write_json(FILE *f, const struct kc_releases *rel);

/* Upstream end-of-life status of one endpoint's version on a date. */
enum kc_eol {
    KC_EOL_PAST = 0,  /* date after end_of_life, or no published date */
    KC_EOL_SUPPORTED, /* on or before end_of_life */
    KC_EOL_NEWER,     /* minor newer than the release table: unknown */
    KC_EOL_NO_VERSION,/* Kubernetes, but showed no 1.x version */
    KC_EOL__COUNT
};
const char *kc_eol_str(enum kc_eol v);

/* The rules (docs/report.md): 1.x only; a minor is past when `date` (YYYY-MM-DD,
 * the scan's UTC start date) is after its end_of_life; minors in the table
 * without a date, or older than the table, count as past; a minor newer
 * than every minor in the table is KC_EOL_NEWER. major != 1 or minor < 0
 * gives KC_EOL_NO_VERSION. */
enum kc_eol kc_releases_status(const struct kc_releases *rel, int major,
                               int minor, const char *date);

/* Versions compared as versions: runs of digits numerically, the rest
 * bytewise ("1.9" < "1.10", "v1.2.3" < "v1.2.10"). The empty string sorts
 * after everything. */
int kc_version_cmp(const char *a, const char *b);

/* ------------------------------------------------------------------ */
/* One scan's report                                                   */
/* ------------------------------------------------------------------ */

enum kc_agg {
    KC_AGG_MINOR = 0,
    KC_AGG_GIT_VERSION,
    KC_AGG_VENDOR,
    KC_AGG_POSTURE,
    KC_AGG_PORT,
    KC_AGG_COUNTRY,
    KC_AGG_ASN,
    KC_AGG_EOL,
    KC_AGG_POSTURE_VENDOR,
    KC_AGG_MINOR_VENDOR,
    KC_AGG__COUNT
};
/* "minor", "git_version", "vendor", "posture", "port", "country", "asn",
 * "upstream_eol", "posture_vendor", "minor_vendor" (also the CSV file
 * names and --by values). */
const char *kc_agg_str(enum kc_agg a);
bool kc_agg_parse(const char *s, enum kc_agg *out);

/* What the report says about its scan (strings copied). */
struct kc_report_meta {
    int64_t scan_id;
    const char *label;      /* may be NULL */
    const char *started_at; /* ISO-8601 UTC; its first 10 chars are the date */
    const char *unit;       /* "endpoint", "ip", "cluster" */
    uint64_t results;       /* rows stored for the scan (all outcomes) */
};

struct kc_report;

/* rel must outlive the report. -EINVAL if started_at has no date. */
int kc_report_new(const struct kc_releases *rel,
                  const struct kc_report_meta *meta, struct kc_report **out,
                  struct kc_error *err);
/* Adds a group of Kubernetes units. 0 or -ENOMEM, -EINVAL after finish. */
int kc_report_add(struct kc_report *r, const struct kc_report_row *row);
/* Adds everything src was given to dst (both not finished; src is left
 * as it was): reports built in parallel over parts of one scan. 0,
 * -ENOMEM or -EINVAL. */
int kc_report_merge(struct kc_report *dst, const struct kc_report *src);
/* Builds and sorts the aggregations; call once after the last add. */
int kc_report_finish(struct kc_report *r);
void kc_report_free(struct kc_report *r);

/* The names missing values take as keys (SQL NULL, no address data, a
 * server that showed no version), so that no key of any output is empty. */
#define KC_KEY_NO_VERSION "no_version"     /* minor, git_version, EOL */
#define KC_KEY_NOT_RECORDED "not_recorded" /* vendor, posture (imports) */
#define KC_KEY_UNKNOWN "unknown"           /* port, country, asn */

/* One line of an aggregation. key and key2 are key_len / key2_len bytes
 * that may hold NUL bytes (a gitVersion BLOB), each followed by a NUL
 * terminator: writers use the lengths. key2 is set for the crossed ones
 * (vendor) and for asn (the AS organisation, "" when unknown); a missing
 * key is named (KC_KEY_*), never empty. share is hosts over
 * kc_report_denominator() of the aggregation, rounded to millionths by
 * largest remainder so that an aggregation's shares add up to exactly 1;
 * has_share is false on rows outside the denominator (no_version: the
 * units that showed no version, or for upstream_eol no 1.x version).
 * eol is meaningful for minor, git_version, minor_vendor and upstream_eol
 * entries. */
struct kc_agg_entry {
    const char *key;
    const char *key2;
    uint64_t hosts;
    bool has_share;
    bool no_version; /* units that showed no version (outside the share) */
    double share;    /* share_ppm / 1e6 */
    uint32_t share_ppm;
    enum kc_eol eol;
    size_t key_len, key2_len;
};

const char *kc_report_date(const struct kc_report *r);
const struct kc_report_meta *kc_report_meta(const struct kc_report *r);
/* Kubernetes units counted (sum of weights). */
uint64_t kc_report_total(const struct kc_report *r);
/* Kubernetes units whose gitVersion parsed (any major: v0.x and v2.x
 * count): the denominator of every version share. */
uint64_t kc_report_versioned(const struct kc_report *r);
/* The denominator of an aggregation's shares: kc_report_versioned() for
 * minor, git_version and minor_vendor; the units that showed a 1.x
 * version for upstream_eol; every Kubernetes unit for the others. */
uint64_t kc_report_denominator(const struct kc_report *r, enum kc_agg a);
/* Its name: "versioned", "versioned_1x" or "kubernetes" (the JSON fields
 * that hold those counts). */
const char *kc_agg_denominator_str(enum kc_agg a);
/* Units per end-of-life status. */
uint64_t kc_report_eol_count(const struct kc_report *r, enum kc_eol e);
/* The entries of one aggregation, sorted (after finish). */
const struct kc_agg_entry *kc_report_entries(const struct kc_report *r,
                                             enum kc_agg a, size_t *n);

/* ------------------------------------------------------------------ */
/* Writers                                                             */
/* ------------------------------------------------------------------ */

enum kc_report_format {
    KC_FORMAT_TABLE = 0,
    KC_FORMAT_CSV,
    KC_FORMAT_JSON,
    KC_FORMAT__COUNT
};
bool kc_report_format_parse(const char *s, enum kc_report_format *out);

/* Aligned terminal tables with a text bar chart, every server string
 * escaped (no raw control bytes reach the terminal). */
int kc_report_write_table(FILE *f, const struct kc_report *r,
                          const enum kc_agg *aggs, size_t n);
/* RFC 4180 CSV of one aggregation: header, CRLF line ends, formula
 * neutralised. */
int kc_report_write_csv(FILE *f, const struct kc_report *r, enum kc_agg a);
/* One JSON object with the metadata and every listed aggregation. */
int kc_report_write_json(FILE *f, const struct kc_report *r,
                         const enum kc_agg *aggs, size_t n);
/* metadata.json of an -o DIR or a site page: the scan (id, label, start,
 * date), the counting unit, the Kubernetes, versioned and unversioned
 * counts, each CSV's denominator, the kcensus version and the release
 * table the EOL statuses came from. */
int kc_report_write_metadata(FILE *f, const struct kc_report *r,
                             const struct kc_releases *rel);

/* ------------------------------------------------------------------ */
/* Trend: reports of several scans, oldest first                       */
/* ------------------------------------------------------------------ */

struct kc_trend;
struct kc_trend *kc_trend_new(void);
/* Takes ownership of a finished report (freed with the trend, also on
 * error). Reports are kept sorted by date, then scan id. */
int kc_trend_add(struct kc_trend *t, struct kc_report *r);
size_t kc_trend_len(const struct kc_trend *t);
const struct kc_report *kc_trend_at(const struct kc_trend *t, size_t i);
void kc_trend_free(struct kc_trend *t);

/* Long CSV: date,scan_id,label,series,key,hosts,share with series minor,
 * upstream_eol, posture. */
int kc_trend_write_csv(FILE *f, const struct kc_trend *t);
int kc_trend_write_table(FILE *f, const struct kc_trend *t);
int kc_trend_write_json(FILE *f, const struct kc_trend *t);

/* ------------------------------------------------------------------ */
/* Diff between two scans                                              */
/* ------------------------------------------------------------------ */

enum kc_diff_kind {
    KC_DIFF_APPEARED = 0,
    KC_DIFF_DISAPPEARED,
    KC_DIFF_VERSION,  /* changed version */
    KC_DIFF_POSTURE,  /* changed posture (and maybe version: both rows) */
    KC_DIFF__COUNT
};
const char *kc_diff_kind_str(enum kc_diff_kind k);

/* One change (strings may be NULL). */
struct kc_diff_row {
    enum kc_diff_kind kind;
    const char *endpoint; /* "ip:port" or "ip:port sni" */
    const char *old_value, *new_value; /* NUL-terminated copies... */
    size_t old_len, new_len;           /* ...whose bytes may hold NUL */
};

/* Writes the rows with a per-kind summary. */
int kc_diff_write(FILE *f, enum kc_report_format fmt, int64_t scan_a,
                  int64_t scan_b, const struct kc_diff_row *rows, size_t n);

/* ------------------------------------------------------------------ */
/* Charts (cairo) and the HTML page                                    */
/* ------------------------------------------------------------------ */

enum kc_chart {
    KC_CHART_MINOR = 0, /* hosts per minor, coloured by upstream support */
    KC_CHART_VENDOR,
    KC_CHART_POSTURE,
    KC_CHART__COUNT
};
const char *kc_chart_str(enum kc_chart c); /* "minor", "vendor", "posture" */

enum kc_image_format { KC_IMAGE_SVG = 0, KC_IMAGE_PNG };

/* Draws one chart of a report into out (a kc_buf the caller initialised,
 * e.g. with a 32 MiB limit). 0, -ENOMEM, -ENOBUFS, -EIO (cairo error). */
int kc_report_chart(const struct kc_report *r, enum kc_chart c,
                    enum kc_image_format fmt, struct kc_buf *out,
                    struct kc_error *err);
/* The aggregations followed over time: each has a chart over time
 * (kc_trend_chart) and is a series of the trend's CSV and JSON. */
#define KC_TREND_CHARTS {KC_AGG_MINOR, KC_AGG_EOL, KC_AGG_POSTURE}

/* Stacked shares per scan date of one aggregation: minor (over the units
 * that showed a version), upstream_eol (over those showing 1.x) or posture
 * (over every Kubernetes unit); the ten keys with the largest peak share,
 * the rest as "other"; dates spaced so that their labels never overlap.
 * -EINVAL for another aggregation. */
int kc_trend_chart(const struct kc_trend *t, enum kc_agg a,
                   enum kc_image_format fmt, struct kc_buf *out,
                   struct kc_error *err);

/* Releases the font caches cairo's text fills process-wide (cairo's
 * static data, then fontconfig's: FcFini), so a leak checker sees none at
 * exit. Call once at the end, after every chart and page is written: no
 * cairo object may be alive, and no thread may be drawing. */
void kc_report_graphics_release(void);

/* One self-contained page: charts as
 * <img src="data:image/svg+xml;base64,..."> (no network, no glyph-id
 * clashes between SVGs). With a trend of 2+ scans it opens with the
 * census over time (kc_html_trend), then r's detail (kc_html_scan);
 * trend may be NULL. */
int kc_report_write_html(FILE *f, const struct kc_report *r,
                         const struct kc_trend *trend, struct kc_error *err);

/* The pieces of the pages, for the site writer (site.c). The head with
 * its CSP (images from data: only, nothing fetched) and an escaped
 * title; the end, returning rc or -EIO on a write error. */
void kc_html_begin(FILE *f, const char *title);
int kc_html_end(FILE *f, int rc, struct kc_error *err);
/* The census over time: the stacked minor, EOL and posture charts, then
 * the table of scans (with links to scan-<id>/index.html when links). */
int kc_html_trend(FILE *f, const struct kc_trend *t, bool links,
                  struct kc_error *err);
/* One scan: headline figures (an <h1> or <h2> as level), charts and
 * every aggregation's table. */
int kc_html_scan(FILE *f, const struct kc_report *r, int level,
                 struct kc_error *err);

/* ------------------------------------------------------------------ */
/* Static site over a series of scans (kcensus report --site DIR)      */
/* ------------------------------------------------------------------ */

/* DIR/index.html           the census over time and the list of scans
 * DIR/trend.csv            kc_trend_write_csv()
 * DIR/scan-<id>/index.html one scan: figures, charts, tables, downloads
 * DIR/scan-<id>/<agg>.csv  kc_report_write_csv() of every aggregation
 * DIR/scan-<id>/metadata.json
 * A scan's page depends on that scan and the release table only, so a
 * new scan changes the index and adds its own directory. */

/* "scan-<id>": the directory of a scan's page, relative to DIR. */
void kc_site_scan_dir(const struct kc_report *r, char *out, size_t size);
/* scan-<id>/index.html. */
int kc_site_write_scan(FILE *f, const struct kc_report *r,
                       struct kc_error *err);
/* index.html over every scan of t. */
int kc_site_write_index(FILE *f, const struct kc_trend *t,
                        struct kc_error *err);

/* ------------------------------------------------------------------ */
/* Escaping (exposed for tests and for cli/)                           */
/* ------------------------------------------------------------------ */

/* Terminal-safe, valid UTF-8 copy of n bytes: control characters, DEL,
 * C1 controls, backslash and invalid UTF-8 bytes become \xNN (or \\).
 * Always NUL-terminates; truncates at a character boundary. Returns the
 * length written. */
size_t kc_text_sanitize(const char *s, size_t n, char *out, size_t size);
/* Writes one CSV field: neutralises leading = + - @ TAB CR with a single
 * quote, quotes when needed, doubles quotes. */
void kc_csv_write_field(FILE *f, const char *s);
/* The same for n bytes, which may hold NUL bytes (written as they are). */
void kc_csv_write_field_n(FILE *f, const char *s, size_t n);
/* Writes s sanitized then HTML-escaped (& < > " '). */
void kc_html_write_text(FILE *f, const char *s);
/* The same for n bytes (a NUL byte shows as \x00). */
void kc_html_write_text_n(FILE *f, const char *s, size_t n);

#endif
