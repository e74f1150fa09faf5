/* site.c - the pages of a static site over a series of scans: an index
 * with the census over time and the list of scans, and one page per scan
 * with its tables, charts and CSV downloads. Links are relative, images
 * are data: URIs, so the site works from disk or any web server. */
#include <inttypes.h>

#include "report.h"

void kc_site_scan_dir(const struct kc_report *r, char *out, size_t size)
{
    kc_snprintf(out, size, "scan-%" PRId64, kc_report_meta(r)->scan_id);
}

/* Download links; the file names are ours (aggregation names). */
static void downloads(FILE *f)
{
    fputs("<h2>Downloads</h2>\n<ul>\n", f);
    for (size_t a = 0; a < KC_AGG__COUNT; a++)
        fprintf(f, "<li><a href=\"%s.csv\">%s.csv</a></li>\n",
                kc_agg_str((enum kc_agg)a), kc_agg_str((enum kc_agg)a));
    fputs("<li><a href=\"metadata.json\">metadata.json</a> (scan, date, "
          "unit, denominators, release table)</li>\n</ul>\n",
          f);
}

int kc_site_write_scan(FILE *f, const struct kc_report *r,
                       struct kc_error *err)
{
    char title[80];
    int rc;
    kc_snprintf(title, sizeof(title), "kcensus scan %" PRId64 ", %s",
                kc_report_meta(r)->scan_id, kc_report_date(r));
    kc_html_begin(f, title);
    fputs("<p><a href=\"../index.html\">All scans</a></p>\n", f);
    rc = kc_html_scan(f, r, 1, err);
    if (rc == 0)
        downloads(f);
    return kc_html_end(f, rc, err);
}

int kc_site_write_index(FILE *f, const struct kc_trend *t,
                        struct kc_error *err)
{
    int rc;
    kc_html_begin(f, "kcensus: Kubernetes census over time");
    rc = kc_html_trend(f, t, true, err);
    if (rc == 0)
        fputs("<p><a href=\"trend.csv\">trend.csv</a> (every scan's minor, "
              "upstream_eol, posture and version_shown shares)</p>\n",
              f);
    return kc_html_end(f, rc, err);
}
