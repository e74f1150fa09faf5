/* html.c - self-contained HTML pages: the census over time, one scan's
 * headline, charts and tables. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "report.h"

#define CHART_LIMIT (32u << 20)

/* Base64 of (p, n) to f, 3 KiB of input at a time (a multiple of 3, so
 * the pieces join without padding between them). */
static void base64(FILE *f, const uint8_t *p, size_t n)
{
    enum { PIECE = 3072 };
    char out[KC_BASE64_LEN(PIECE) + 1];
    for (size_t i = 0; i < n; i += PIECE) {
        size_t take = n - i < PIECE ? n - i : PIECE;
        fwrite(out, 1, kc_base64_encode(p + i, take, out, sizeof out), f);
    }
}

/* An <img> with an SVG data URI: each chart is its own document, so
 * cairo's per-file glyph ids cannot clash across charts. */
static int write_img(FILE *f, struct kc_buf *svg, const char *alt)
{
    fputs("<figure><img width=\"900\" height=\"500\" alt=\"", f);
    kc_html_write_text(f, alt);
    fputs("\" title=\"", f);
    kc_html_write_text(f, alt);
    fputs("\" src=\"data:image/svg+xml;base64,", f);
    base64(f, svg->data, svg->len);
    fputs("\"></figure>\n", f);
    return 0;
}

static int chart(FILE *f, const struct kc_report *r, enum kc_chart c,
                 struct kc_error *err)
{
    struct kc_buf b;
    char alt[256];
    int rc;
    kc_buf_init(&b, CHART_LIMIT);
    rc = kc_report_chart(r, c, KC_IMAGE_SVG, &b, err);
    if (rc == 0) {
        kc_snprintf(alt, sizeof(alt), "Kubernetes API servers by %s, %s",
                    kc_chart_str(c), kc_report_date(r));
        write_img(f, &b, alt);
    }
    kc_buf_free(&b);
    return rc;
}

static void html_table(FILE *f, const struct kc_report *r, enum kc_agg a)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    bool two = a == KC_AGG_ASN || a == KC_AGG_POSTURE_VENDOR ||
               a == KC_AGG_MINOR_VENDOR;
    bool eol = a == KC_AGG_MINOR;

    fprintf(f, "<h2>By %s</h2>\n<table><tr><th>%s</th>%s<th>hosts</th>"
               "<th>share</th>%s</tr>\n",
            kc_agg_str(a), kc_agg_str(a), two ? "<th></th>" : "",
            eol ? "<th>upstream</th>" : "");
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td>", f);
        if (v[i].key_len > 0) /* may hold NUL bytes: shown as \x00 */
            kc_html_write_text_n(f, v[i].key, v[i].key_len);
        else
            kc_html_write_text(f, "(none)");
        fputs("</td>", f);
        if (two) {
            fputs("<td>", f);
            kc_html_write_text_n(f, v[i].key2, v[i].key2_len);
            fputs("</td>", f);
        }
        fprintf(f, "<td class=n>%" PRIu64 "</td><td class=n>", v[i].hosts);
        if (v[i].has_share)
            fprintf(f, "%.2f%%", v[i].share * 100.0);
        fputs("</td>", f);
        if (eol)
            fprintf(f, "<td class=%s>%s</td>", kc_eol_str(v[i].eol),
                    kc_eol_str(v[i].eol));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The scan's figures; level 1 on a one-scan page, 2 below a trend. */
static void headline(FILE *f, const struct kc_report *r, int level)
{
    const struct kc_report_meta *m = kc_report_meta(r);
    uint64_t past = kc_report_eol_count(r, KC_EOL_PAST);
    uint64_t v1 = kc_report_denominator(r, KC_AGG_EOL);
    uint64_t total = kc_report_total(r);
    uint64_t unversioned = total - kc_report_versioned(r);

    fprintf(f, "<h%d>Kubernetes census: scan %" PRId64 " (", level,
            m->scan_id);
    kc_html_write_text(f, m->label ? m->label : "no label");
    fprintf(f, "), %s</h%d>\n<ul>\n", kc_report_date(r), level);
    fprintf(f, "<li>Kubernetes %ss: <b>%" PRIu64 "</b> (of %" PRIu64
               " results stored)</li>\n",
            m->unit, total, m->results);
    fprintf(f, "<li>Showed a version: <b>%" PRIu64 "</b>, the denominator "
               "of every version share; no version: <b>%" PRIu64 "</b> "
               "(%.1f%% of Kubernetes %ss)</li>\n",
            kc_report_versioned(r), unversioned,
            total ? 100.0 * unversioned / total : 0.0, m->unit);
    fprintf(f, "<li>Past upstream end of life: <b>%" PRIu64 "</b> of %" PRIu64
               " showing a 1.x version (<b>%.1f%%</b>); newer than the "
               "release table: %" PRIu64 "</li>\n",
            past, v1, v1 ? 100.0 * past / v1 : 0.0,
            kc_report_eol_count(r, KC_EOL_NEWER));
    fputs("<li>Upstream end of life only: GKE, EKS and OpenShift support "
          "minors on their own calendars.</li>\n</ul>\n",
          f);
}

/* A share in percent, or an empty cell when there is no denominator. */
static void pct_cell(FILE *f, uint64_t part, uint64_t whole)
{
    if (whole > 0)
        fprintf(f, "<td class=n>%.1f%%</td>", 100.0 * part / whole);
    else
        fputs("<td class=n></td>", f);
}

static void trend_table(FILE *f, const struct kc_trend *t, bool links)
{
    fputs("<h2>Scans</h2>\n<table><tr><th>date</th><th>scan</th><th>label"
          "</th><th>kubernetes</th><th>showed a version</th><th>no version"
          "</th><th>past EOL (of 1.x)</th></tr>\n",
          f);
    for (size_t s = 0; s < kc_trend_len(t); s++) {
        const struct kc_report *r = kc_trend_at(t, s);
        const struct kc_report_meta *m = kc_report_meta(r);
        uint64_t total = kc_report_total(r);
        fprintf(f, "<tr><td>%s</td><td class=n>", kc_report_date(r));
        if (links) { /* "scan-<digits>": nothing to escape in the href */
            char dir[64];
            kc_site_scan_dir(r, dir, sizeof(dir));
            fprintf(f, "<a href=\"%s/index.html\">%" PRId64 "</a>", dir,
                    m->scan_id);
        } else
            fprintf(f, "%" PRId64, m->scan_id);
        fputs("</td><td>", f);
        kc_html_write_text(f, m->label);
        fprintf(f, "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64
                   "</td><td class=n>%" PRIu64 "</td>",
                total, kc_report_versioned(r),
                total - kc_report_versioned(r));
        pct_cell(f, kc_report_eol_count(r, KC_EOL_PAST),
                 kc_report_denominator(r, KC_AGG_EOL));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static int trend_chart(FILE *f, const struct kc_trend *t, enum kc_agg a,
                       struct kc_error *err)
{
    static const char *const alt[KC_AGG__COUNT] = {
        [KC_AGG_MINOR] = "Kubernetes minor versions over time, share of "
                         "endpoints that showed a version",
        [KC_AGG_EOL] = "Upstream end of life over time",
        [KC_AGG_POSTURE] = "Anonymous-access posture over time",
    };
    struct kc_buf b;
    int rc;
    kc_buf_init(&b, CHART_LIMIT);
    rc = kc_trend_chart(t, a, KC_IMAGE_SVG, &b, err);
    if (rc == 0)
        write_img(f, &b, alt[a] ? alt[a] : kc_agg_str(a));
    kc_buf_free(&b);
    return rc;
}

void kc_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src"
          " 'none'; img-src data:; style-src 'unsafe-inline'\">\n<title>",
          f);
    kc_html_write_text(f, title);
    fputs("</title>\n<style>body{font-family:sans-serif;margin:2em}"
          "table{border-collapse:collapse;margin-bottom:1.5em}"
          "td,th{border:1px solid #ccc;padding:2px 8px}td.n{text-align:right}"
          "td.past_eol{color:#b00}td.supported{color:#070}"
          "img{max-width:100%;height:auto}</style></head><body>\n",
          f);
}

int kc_html_end(FILE *f, int rc, struct kc_error *err)
{
    fputs("</body></html>\n", f);
    if (rc == 0 && ferror(f))
        rc = kc_error_set(err, -EIO, "write error");
    return rc;
}

int kc_html_trend(FILE *f, const struct kc_trend *t, bool links,
                  struct kc_error *err)
{
    static const enum kc_agg charts[] = KC_TREND_CHARTS;
    size_t n = kc_trend_len(t);
    int rc = 0;
    fprintf(f, "<h1>Kubernetes census, %s to %s</h1>\n<p>%zu scans. Version "
               "shares are taken over the endpoints that showed a version, "
               "the end-of-life share over those showing a 1.x version, "
               "postures over every Kubernetes endpoint.</p>\n",
            n ? kc_report_date(kc_trend_at(t, 0)) : "-",
            n ? kc_report_date(kc_trend_at(t, n - 1)) : "-", n);
    for (size_t c = 0; c < KC_ARRAY_LEN(charts) && rc == 0; c++)
        rc = trend_chart(f, t, charts[c], err);
    if (rc == 0)
        trend_table(f, t, links);
    return rc;
}

int kc_html_scan(FILE *f, const struct kc_report *r, int level,
                 struct kc_error *err)
{
    int rc = 0;
    headline(f, r, level);
    for (size_t c = 0; c < KC_CHART__COUNT && rc == 0; c++)
        rc = chart(f, r, (enum kc_chart)c, err);
    for (size_t a = 0; a < KC_AGG__COUNT && rc == 0; a++)
        html_table(f, r, (enum kc_agg)a);
    return rc;
}

int kc_report_write_html(FILE *f, const struct kc_report *r,
                         const struct kc_trend *trend, struct kc_error *err)
{
    char title[64];
    bool series = trend != NULL && kc_trend_len(trend) >= 2;
    int rc = 0;
    kc_snprintf(title, sizeof(title), "kcensus report, %s",
                kc_report_date(r));
    kc_html_begin(f, title);
    /* More than one scan: the census over time first, then the detail. */
    if (series)
        rc = kc_html_trend(f, trend, false, err);
    if (rc == 0)
        rc = kc_html_scan(f, r, series ? 2 : 1, err);
    return kc_html_end(f, rc, err);
}
