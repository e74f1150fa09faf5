/* fixture.h - small in-memory reports for the report/ tests. */
#ifndef KC_TEST_FIXTURE_H
#define KC_TEST_FIXTURE_H

#include <stdlib.h>

#include "report.h"

/* A fleet of 100 endpoints; the truth the expected outputs come from. */
static const struct kc_report_row fixture_rows[] = {
    {"v1.26.10-gke.1101000", 1, 26, "gke", "rbac_denied", 443, "US", 15169,
     "GOOGLE", 30},
    {"v1.27.8-eks-8cb36c9", 1, 27, "eks", "rbac_denied", 443, "DE", 16509,
     "AMAZON-02", 20},
    {"v1.9.11", 1, 9, "upstream", "open", 6443, "FR", 16276, "OVH SAS", 5},
    {"v1.10.13", 1, 10, "upstream", "open", 6443, "FR", 16276, "OVH SAS", 5},
    {"v1.25.16+k3s1", 1, 25, "k3s", "limited", 6443, "US", 0, NULL, 15},
    {"v1.38.0", 1, 38, "upstream", "disabled", 443, NULL, 0, NULL, 5},
    {NULL, -1, -1, NULL, "disabled", 443, NULL, 0, NULL, 10},
    {"v0.6.2", 0, 6, "other", "legacy", 8080, "CN", 4134, "CHINANET", 10},
};

static struct kc_releases *fixture_releases(void)
{
    struct kc_releases *rel = NULL;
    if (kc_releases_default(&rel, NULL) != 0)
        abort();
    return rel;
}

static struct kc_report *fixture_report_rows(const struct kc_releases *rel,
                                             int64_t id, const char *label,
                                             const char *started,
                                             const struct kc_report_row *rows,
                                             size_t n)
{
    struct kc_report_meta m = {
        .scan_id = id, .label = label, .started_at = started,
        .unit = "endpoint", .results = 250,
    };
    struct kc_report *r = NULL;
    if (kc_report_new(rel, &m, &r, NULL) != 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (kc_report_add(r, &rows[i]) != 0)
            abort();
    if (kc_report_finish(r) != 0)
        abort();
    return r;
}

static struct kc_report *fixture_report(const struct kc_releases *rel)
{
    return fixture_report_rows(rel, 7, "fleet", "2024-02-05T10:00:00Z",
                               fixture_rows, KC_ARRAY_LEN(fixture_rows));
}

#endif
