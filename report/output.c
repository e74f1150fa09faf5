/* output.c - terminal tables, CSV and JSON of reports, trends and diffs. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "report.h"

static const char *const format_names[KC_FORMAT__COUNT] = {
    [KC_FORMAT_TABLE] = "table",
    [KC_FORMAT_CSV] = "csv",
    [KC_FORMAT_JSON] = "json",
};

bool kc_report_format_parse(const char *s, enum kc_report_format *out)
{
    for (size_t i = 0; i < KC_FORMAT__COUNT; i++)
        if (strcmp(s, format_names[i]) == 0) {
            *out = (enum kc_report_format)i;
            return true;
        }
    return false;
}

/* Column names of an aggregation's keys (second NULL when single). */
static void key_names(enum kc_agg a, const char **k1, const char **k2)
{
    *k2 = NULL;
    switch (a) {
    case KC_AGG_POSTURE_VENDOR:
        *k1 = "posture";
        *k2 = "vendor";
        return;
    case KC_AGG_MINOR_VENDOR:
        *k1 = "minor";
        *k2 = "vendor";
        return;
    case KC_AGG_ASN:
        *k1 = "asn";
        *k2 = "as_org";
        return;
    case KC_AGG_MINOR:
    case KC_AGG_GIT_VERSION:
    case KC_AGG_VENDOR:
    case KC_AGG_POSTURE:
    case KC_AGG_PORT:
    case KC_AGG_COUNTRY:
    case KC_AGG_EOL:
    case KC_AGG__COUNT:
        break;
    }
    *k1 = kc_agg_str(a);
}

/* ------------------------------------------------------------------ */
/* Table                                                               */
/* ------------------------------------------------------------------ */

#define CELL_MAX 160 /* bytes of a sanitized cell (truncated beyond) */
#define BAR_WIDTH 30

/* Display columns of valid UTF-8 (one per code point). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

/* n bytes of s (which may hold NUL bytes: shown as \x00). */
static void cell_n(const char *s, size_t n, char *out)
{
    if (s == NULL || n == 0)
        kc_strlcpy(out, "(none)", CELL_MAX);
    else
        kc_text_sanitize(s, n, out, CELL_MAX);
}

static void cell(const char *s, char *out)
{
    cell_n(s, s ? strlen(s) : 0, out);
}

static void pad(FILE *f, const char *s, size_t width)
{
    size_t w = text_width(s);
    fputs(s, f);
    for (; w < width; w++)
        fputc(' ', f);
}

static void write_bar(FILE *f, uint64_t v, uint64_t max)
{
    size_t n = max ? (size_t)((v * BAR_WIDTH + max - 1) / max) : 0;
    for (size_t i = 0; i < n && i < BAR_WIDTH; i++)
        fputc('#', f);
}

static void write_agg_table(FILE *f, const struct kc_report *r, enum kc_agg a)
{
    size_t n, w1, w2 = 0;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    const char *k1, *k2;
    uint64_t max = 0;
    char c1[CELL_MAX], c2[CELL_MAX];
    bool eol_col = a == KC_AGG_MINOR;

    key_names(a, &k1, &k2);
    w1 = strlen(k1);
    if (k2)
        w2 = strlen(k2);
    for (size_t i = 0; i < n; i++) {
        cell_n(v[i].key, v[i].key_len, c1);
        if (text_width(c1) > w1)
            w1 = text_width(c1);
        if (k2) {
            cell_n(v[i].key2, v[i].key2_len, c2);
            if (text_width(c2) > w2)
                w2 = text_width(c2);
        }
        if (v[i].hosts > max)
            max = v[i].hosts;
    }
    fprintf(f, "\nby %s\n", kc_agg_str(a));
    pad(f, k1, w1 + 2);
    if (k2)
        pad(f, k2, w2 + 2);
    fprintf(f, "%12s %8s  %s%s\n", "hosts", "share",
            eol_col ? "upstream          " : "", "");
    for (size_t i = 0; i < n; i++) {
        cell_n(v[i].key, v[i].key_len, c1);
        pad(f, c1, w1 + 2);
        if (k2) {
            cell_n(v[i].key2, v[i].key2_len, c2);
            pad(f, c2, w2 + 2);
        }
        fprintf(f, "%12" PRIu64 " ", v[i].hosts);
        if (v[i].has_share)
            fprintf(f, "%7.2f%%  ", v[i].share * 100.0);
        else
            fprintf(f, "%8s  ", "");
        if (eol_col)
            fprintf(f, "%-18s", kc_eol_str(v[i].eol));
        write_bar(f, v[i].hosts, max);
        fputc('\n', f);
    }
}

static void write_headline(FILE *f, const struct kc_report *r)
{
    const struct kc_report_meta *m = kc_report_meta(r);
    char label[CELL_MAX];
    uint64_t past = kc_report_eol_count(r, KC_EOL_PAST);
    uint64_t v1 = kc_report_denominator(r, KC_AGG_EOL);
    uint64_t total = kc_report_total(r);
    uint64_t unversioned = total - kc_report_versioned(r);

    cell(m->label, label);
    fprintf(f, "scan %" PRId64 " (%s) started %s, counting by %s\n",
            m->scan_id, label, kc_report_date(r), m->unit);
    fprintf(f, "Kubernetes %ss: %" PRIu64 " (of %" PRIu64 " results)\n",
            m->unit, total, m->results);
    fprintf(f,
            "showed a version: %" PRIu64 " (the denominator of version "
            "shares); no version: %" PRIu64 " (%.1f%% of Kubernetes %ss)\n",
            kc_report_versioned(r), unversioned,
            total ? 100.0 * unversioned / total : 0.0, m->unit);
    fprintf(f,
            "past upstream end of life: %" PRIu64 " of %" PRIu64
            " showing a 1.x version (%.1f%%); newer than the release "
            "table: %" PRIu64 "\n",
            past, v1, v1 ? 100.0 * past / v1 : 0.0,
            kc_report_eol_count(r, KC_EOL_NEWER));
}

int kc_report_write_table(FILE *f, const struct kc_report *r,
                          const enum kc_agg *aggs, size_t n)
{
    write_headline(f, r);
    for (size_t i = 0; i < n; i++)
        write_agg_table(f, r, aggs[i]);
    return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

/* Aggregations whose rows carry a version's upstream status. */
static bool has_eol_column(enum kc_agg a)
{
    return a == KC_AGG_MINOR || a == KC_AGG_GIT_VERSION ||
           a == KC_AGG_MINOR_VENDOR;
}

/* Aggregations keyed by "1.26", which get integer major and minor
 * columns beside it (the key reads as a float in spreadsheets). */
static bool has_minor_columns(enum kc_agg a)
{
    return a == KC_AGG_MINOR || a == KC_AGG_MINOR_VENDOR;
}

/* The integers of a "1.26" key; empty cells on the no_version row. */
static void csv_major_minor(FILE *f, const struct kc_agg_entry *e)
{
    unsigned major, minor;
    char tail;
    if (!e->no_version &&
        sscanf(e->key, "%u.%u%c", &major, &minor, &tail) == 2)
        fprintf(f, "%u,%u,", major, minor);
    else
        fputs(",,", f);
}

static void csv_header(FILE *f, enum kc_agg a)
{
    const char *k1, *k2;
    bool asn = a == KC_AGG_ASN;
    key_names(a, &k1, &k2);
    if (has_minor_columns(a))
        k1 = "version"; /* "major" and "minor" are the integers */
    fprintf(f, "%s,%s%s%shosts,share%s%s\r\n", k1, (k2 && !asn) ? k2 : "",
            (k2 && !asn) ? "," : "",
            has_minor_columns(a) ? "major,minor," : "",
            asn ? ",as_org" : "", has_eol_column(a) ? ",upstream_eol" : "");
}

int kc_report_write_csv(FILE *f, const struct kc_report *r, enum kc_agg a)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    const char *k1, *k2;
    bool asn = a == KC_AGG_ASN;

    key_names(a, &k1, &k2);
    /* The key column(s), then hosts and share; as_org trails for asn. */
    csv_header(f, a);
    for (size_t i = 0; i < n; i++) {
        kc_csv_write_field_n(f, v[i].key, v[i].key_len);
        fputc(',', f);
        if (k2 && !asn) {
            kc_csv_write_field_n(f, v[i].key2, v[i].key2_len);
            fputc(',', f);
        }
        if (has_minor_columns(a))
            csv_major_minor(f, &v[i]);
        fprintf(f, "%" PRIu64 ",", v[i].hosts);
        if (v[i].has_share)
            fprintf(f, "%.6f", v[i].share);
        if (asn) {
            fputc(',', f);
            kc_csv_write_field_n(f, v[i].key2, v[i].key2_len);
        }
        if (has_eol_column(a))
            fprintf(f, ",%s", kc_eol_str(v[i].eol));
        fputs("\r\n", f);
    }
    return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
    if (s == NULL)
        fputs("null", f);
    else
        kc_json_write_string(f, s, strlen(s));
}

/* n bytes (NUL bytes become \u0000); NULL is null, empty is "". */
static void json_str_n(FILE *f, const char *s, size_t n)
{
    if (s == NULL)
        fputs("null", f);
    else
        kc_json_write_string(f, s, n);
}

/* A key of n bytes (NUL bytes become \u0000); empty is null. */
static void json_key(FILE *f, const char *s, size_t n)
{
    if (s == NULL || n == 0)
        fputs("null", f);
    else
        kc_json_write_string(f, s, n);
}

static void json_agg(FILE *f, const struct kc_report *r, enum kc_agg a)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    const char *k1, *k2;

    key_names(a, &k1, &k2);
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"%s\":", i ? "," : "", k1);
        json_key(f, v[i].key, v[i].key_len);
        if (k2) {
            fprintf(f, ",\"%s\":", k2);
            json_key(f, v[i].key2, v[i].key2_len);
        }
        fprintf(f, ",\"hosts\":%" PRIu64, v[i].hosts);
        if (v[i].has_share)
            fprintf(f, ",\"share\":%.6f", v[i].share);
        else
            fputs(",\"share\":null", f);
        if (has_eol_column(a))
            fprintf(f, ",\"upstream_eol\":\"%s\"", kc_eol_str(v[i].eol));
        fputc('}', f);
    }
    fputc(']', f);
}

/* The scan's identity and counts, as members of a JSON object. */
static void json_scan_fields(FILE *f, const struct kc_report *r)
{
    const struct kc_report_meta *m = kc_report_meta(r);
    uint64_t total = kc_report_total(r);
    uint64_t unversioned = total - kc_report_versioned(r);

    fprintf(f, "\"scan_id\":%" PRId64 ",\"label\":", m->scan_id);
    json_str(f, m->label);
    fputs(",\"started_at\":", f);
    json_str(f, m->started_at);
    fprintf(f,
            ",\"date\":\"%s\",\"unit\":\"%s\",\"results\":%" PRIu64
            ",\"kubernetes\":%" PRIu64 ",\"versioned\":%" PRIu64
            ",\"unversioned\":%" PRIu64 ",\"unversioned_share\":%.6f"
            ",\"versioned_1x\":%" PRIu64,
            kc_report_date(r), m->unit, m->results, total,
            kc_report_versioned(r), unversioned,
            total ? (double)unversioned / (double)total : 0.0,
            kc_report_denominator(r, KC_AGG_EOL));
}

static void json_report(FILE *f, const struct kc_report *r,
                        const enum kc_agg *aggs, size_t n)
{
    uint64_t v1 = kc_report_denominator(r, KC_AGG_EOL);

    fputc('{', f);
    json_scan_fields(f, r);
    for (size_t e = 0; e < KC_EOL__COUNT; e++)
        fprintf(f, ",\"%s\":%" PRIu64, kc_eol_str((enum kc_eol)e),
                kc_report_eol_count(r, (enum kc_eol)e));
    fprintf(f, ",\"past_eol_share\":%.6f,\"aggregations\":{",
            v1 ? (double)kc_report_eol_count(r, KC_EOL_PAST) / (double)v1
               : 0.0);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\"%s\":", i ? "," : "", kc_agg_str(aggs[i]));
        json_agg(f, r, aggs[i]);
    }
    fputs("}}", f);
}

int kc_report_write_json(FILE *f, const struct kc_report *r,
                         const enum kc_agg *aggs, size_t n)
{
    json_report(f, r, aggs, n);
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

int kc_report_write_metadata(FILE *f, const struct kc_report *r,
                             const struct kc_releases *rel)
{
    fprintf(f, "{\"kcensus_version\":\"%s\",", KC_VERSION_STRING);
    json_scan_fields(f, r);
    fputs(",\"denominators\":{", f);
    for (size_t a = 0; a < KC_AGG__COUNT; a++)
        fprintf(f, "%s\"%s.csv\":{\"of\":\"%s\",\"units\":%" PRIu64 "}",
                a ? "," : "", kc_agg_str((enum kc_agg)a),
                kc_agg_denominator_str((enum kc_agg)a),
                kc_report_denominator(r, (enum kc_agg)a));
    fputs("},\"missing_keys\":{\"" KC_KEY_NO_VERSION "\":\"showed no "
          "version\",\"" KC_KEY_NOT_RECORDED "\":\"not recorded (imports)"
          " or not derivable\",\"" KC_KEY_UNKNOWN "\":\"no address data\"}"
          ",\"release_table\":",
          f);
    kc_releases_write_json(f, rel);
    fputs("}\n", f);
    return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* Trend                                                               */
/* ------------------------------------------------------------------ */

static const enum kc_agg trend_aggs[] = KC_TREND_CHARTS;

/* One line of the long trend CSV; share < 0 leaves the cell empty. */
static void trend_line(FILE *f, const struct kc_report *r,
                       const char *series, const char *key, size_t klen,
                       uint64_t hosts, double share)
{
    const struct kc_report_meta *m = kc_report_meta(r);
    fprintf(f, "%s,%" PRId64 ",", kc_report_date(r), m->scan_id);
    kc_csv_write_field(f, m->label);
    fprintf(f, ",%s,", series);
    kc_csv_write_field_n(f, key, klen);
    fprintf(f, ",%" PRIu64 ",", hosts);
    if (share >= 0)
        fprintf(f, "%.6f", share);
    fputs("\r\n", f);
}

/* The version_shown series: units that showed a version and those that
 * did not, as shares of every Kubernetes unit (the figure kept beside
 * the version shares). */
static void trend_version_shown(FILE *f, const struct kc_report *r)
{
    uint64_t total = kc_report_total(r), v = kc_report_versioned(r);
    uint32_t ppm = total ? (uint32_t)((v * 1000000u + total / 2) / total) : 0;
    static const char versioned[] = "versioned";
    trend_line(f, r, "version_shown", versioned, sizeof(versioned) - 1, v,
               total ? ppm / 1e6 : -1);
    trend_line(f, r, "version_shown", KC_KEY_NO_VERSION,
               strlen(KC_KEY_NO_VERSION), total - v,
               total ? (1000000u - ppm) / 1e6 : -1);
}

int kc_trend_write_csv(FILE *f, const struct kc_trend *t)
{
    fputs("date,scan_id,label,series,key,hosts,share\r\n", f);
    for (size_t s = 0; s < kc_trend_len(t); s++) {
        const struct kc_report *r = kc_trend_at(t, s);
        for (size_t a = 0; a < KC_ARRAY_LEN(trend_aggs); a++) {
            size_t n;
            const struct kc_agg_entry *v =
                kc_report_entries(r, trend_aggs[a], &n);
            for (size_t i = 0; i < n; i++)
                trend_line(f, r, kc_agg_str(trend_aggs[a]), v[i].key,
                           v[i].key_len, v[i].hosts,
                           v[i].has_share ? v[i].share : -1);
        }
        trend_version_shown(f, r);
    }
    return ferror(f) ? -EIO : 0;
}

int kc_trend_write_table(FILE *f, const struct kc_trend *t)
{
    fprintf(f, "%-10s %8s %-20s %12s %9s  %s\n", "date", "scan", "label",
            "kubernetes", "past_eol", "top minors (share)");
    for (size_t s = 0; s < kc_trend_len(t); s++) {
        const struct kc_report *r = kc_trend_at(t, s);
        const struct kc_report_meta *m = kc_report_meta(r);
        size_t n, shown = 0;
        const struct kc_agg_entry *v = kc_report_entries(r, KC_AGG_EOL, &n);
        char label[CELL_MAX];
        double past = 0;

        for (size_t i = 0; i < n; i++)
            if (v[i].eol == KC_EOL_PAST && v[i].has_share)
                past = v[i].share;
        if (m->label == NULL || *m->label == '\0')
            kc_strlcpy(label, "(none)", sizeof(label));
        else /* cut at a character boundary, 20 bytes at most */
            kc_text_sanitize(m->label, strlen(m->label), label, 21);
        fprintf(f, "%-10s %8" PRId64 " ", kc_report_date(r), m->scan_id);
        pad(f, label, 21);
        fprintf(f, "%12" PRIu64 " %8.1f%%  ", kc_report_total(r),
                past * 100.0);
        /* The five largest minors, in version order. */
        v = kc_report_entries(r, KC_AGG_MINOR, &n);
        for (size_t i = 0; i < n && shown < 5; i++) {
            size_t larger = 0;
            for (size_t j = 0; j < n; j++)
                if (v[j].hosts > v[i].hosts)
                    larger++;
            if (larger < 5 && v[i].has_share) {
                fprintf(f, "%s%s %.1f%%", shown ? ", " : "", v[i].key,
                        v[i].share * 100.0);
                shown++;
            }
        }
        fputc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

int kc_trend_write_json(FILE *f, const struct kc_trend *t)
{
    fputs("{\"scans\":[", f);
    for (size_t s = 0; s < kc_trend_len(t); s++) {
        if (s)
            fputc(',', f);
        json_report(f, kc_trend_at(t, s), trend_aggs,
                    KC_ARRAY_LEN(trend_aggs));
    }
    fputs("]}\n", f);
    return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* Diff                                                                */
/* ------------------------------------------------------------------ */

static const char *const diff_names[KC_DIFF__COUNT] = {
    [KC_DIFF_APPEARED] = "appeared",
    [KC_DIFF_DISAPPEARED] = "disappeared",
    [KC_DIFF_VERSION] = "changed_version",
    [KC_DIFF_POSTURE] = "changed_posture",
};

const char *kc_diff_kind_str(enum kc_diff_kind k)
{
    return (unsigned)k < KC_DIFF__COUNT ? diff_names[k] : "?";
}

static void diff_table(FILE *f, int64_t a, int64_t b,
                       const struct kc_diff_row *rows, size_t n,
                       const uint64_t *count)
{
    fprintf(f, "scan %" PRId64 " -> scan %" PRId64 ":", a, b);
    for (size_t k = 0; k < KC_DIFF__COUNT; k++)
        fprintf(f, " %s %" PRIu64 "%s", diff_names[k], count[k],
                k + 1 < KC_DIFF__COUNT ? "," : "\n");
    for (size_t i = 0; i < n; i++) {
        char e[CELL_MAX], o[CELL_MAX], w[CELL_MAX];
        cell(rows[i].endpoint, e);
        cell_n(rows[i].old_value, rows[i].old_len, o);
        cell_n(rows[i].new_value, rows[i].new_len, w);
        fprintf(f, "%-16s ", kc_diff_kind_str(rows[i].kind));
        pad(f, e, 28);
        fprintf(f, " %s -> %s\n", o, w);
    }
}

int kc_diff_write(FILE *f, enum kc_report_format fmt, int64_t scan_a,
                  int64_t scan_b, const struct kc_diff_row *rows, size_t n)
{
    uint64_t count[KC_DIFF__COUNT] = {0};
    for (size_t i = 0; i < n; i++)
        if ((unsigned)rows[i].kind < KC_DIFF__COUNT)
            count[rows[i].kind]++;
    switch (fmt) {
    case KC_FORMAT_TABLE:
        diff_table(f, scan_a, scan_b, rows, n, count);
        break;
    case KC_FORMAT_CSV:
        fputs("change,endpoint,old,new\r\n", f);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%s,", kc_diff_kind_str(rows[i].kind));
            kc_csv_write_field(f, rows[i].endpoint);
            fputc(',', f);
            kc_csv_write_field_n(f, rows[i].old_value, rows[i].old_len);
            fputc(',', f);
            kc_csv_write_field_n(f, rows[i].new_value, rows[i].new_len);
            fputs("\r\n", f);
        }
        break;
    case KC_FORMAT_JSON:
        fprintf(f, "{\"from\":%" PRId64 ",\"to\":%" PRId64 ",\"summary\":{",
                scan_a, scan_b);
        for (size_t k = 0; k < KC_DIFF__COUNT; k++)
            fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", diff_names[k],
                    count[k]);
        fputs("},\"changes\":[", f);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%s{\"change\":\"%s\",\"endpoint\":", i ? "," : "",
                    kc_diff_kind_str(rows[i].kind));
            json_str(f, rows[i].endpoint);
            fputs(",\"old\":", f);
            json_str_n(f, rows[i].old_value, rows[i].old_len);
            fputs(",\"new\":", f);
            json_str_n(f, rows[i].new_value, rows[i].new_len);
            fputc('}', f);
        }
        fputs("]}\n", f);
        break;
    case KC_FORMAT__COUNT:
        return -EINVAL;
    }
    return ferror(f) ? -EIO : 0;
}
