/* store_releases.c - the report's release table copied into the database,
 * so the SQL view kubernetes_eol and `kcensus report` agree. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "report.h"
#include "storage.h"

static int copy_rows(struct kc_store *store, const struct kc_releases *rel,
                     const char *source, struct kc_error *err)
{
    size_t n = kc_releases_count(rel);
    struct kc_store_release *v = calloc(n ? n : 1, sizeof(*v));
    int rc;
    if (v == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        kc_releases_row(rel, i, &v[i].minor, &v[i].end_of_life);
    rc = kc_store_releases_set(store, v, n, source, err);
    free(v);
    return rc;
}

int cli_store_releases(struct kc_store *store, const char *releases_file,
                       struct kc_error *err)
{
    struct kc_releases *rel = NULL;
    char source[1100];
    int rc = kc_releases_default(&rel, err);
    if (rc == 0 && releases_file != NULL)
        rc = kc_releases_merge_file(rel, releases_file, err);
    kc_snprintf(source, sizeof(source), "built-in%s%s",
                releases_file ? " + " : "", releases_file ? releases_file : "");
    if (rc == 0)
        rc = copy_rows(store, rel, source, err);
    kc_releases_free(rel);
    return rc;
}
