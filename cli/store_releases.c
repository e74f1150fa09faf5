/* store_releases.c - the report's release table copied into the database,
 * so the SQL view kubernetes_eol and `kcensus report` agree. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "report.h"
#include "storage.h"

int cli_store_release_table(struct kc_store *store,
                            const struct kc_releases *rel,
                            const char *releases_file, struct kc_error *err)
{
    size_t n = kc_releases_count(rel);
    struct kc_store_release *v = calloc(n ? n : 1, sizeof(*v));
    char source[1100];
    int rc;
    if (v == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        kc_releases_row(rel, i, &v[i].minor, &v[i].end_of_life);
    kc_snprintf(source, sizeof(source), "built-in%s%s",
                releases_file ? " + " : "", releases_file ? releases_file : "");
    rc = kc_store_releases_set(store, v, n, source, err);
    free(v);
    return rc;
}

int cli_store_releases(struct kc_store *store, struct kc_error *err)
{
    struct kc_releases *rel = NULL;
    int rc = kc_releases_default(&rel, err);
    if (rc == 0)
        rc = cli_store_release_table(store, rel, NULL, err);
    kc_releases_free(rel);
    return rc;
}
