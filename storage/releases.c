/* releases.c - the upstream release table kept in the database, so SQL
 * (the kubernetes_eol view) judges versions by the same table as
 * `kcensus report`. */
#include "storage-private.h"

static int put_rows(struct kc_store *s, const struct kc_store_release *v,
                    size_t n, const char *source, struct kc_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = kc_store_prepare(s,
                              "INSERT OR REPLACE INTO releases"
                              " (minor, end_of_life, source)"
                              " VALUES (:minor, :end_of_life, :source)",
                              &st, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int(st, kc_param(st, ":minor"), v[i].minor);
        kc_bind_text_or_null(st, kc_param(st, ":end_of_life"),
                             v[i].end_of_life);
        sqlite3_bind_text(st, kc_param(st, ":source"), source, -1,
                          SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE)
            rc = kc_store_fail(s, err, step, "storing the release table");
    }
    if (st != NULL)
        sqlite3_finalize(st);
    return rc;
}

/* True when the stored table is v, row for row, from the same source: then
 * nothing is written (a report beside a running scan would otherwise wait
 * for the write lock every time). Read errors count as "not the same". */
static bool releases_same(struct kc_store *s, const struct kc_store_release *v,
                          size_t n, const char *source)
{
    sqlite3_stmt *st = NULL;
    struct kc_error ignored = {0};
    bool same = kc_store_prepare(s, "SELECT count(*) FROM releases", &st,
                                 &ignored) == 0 &&
                sqlite3_step(st) == SQLITE_ROW &&
                sqlite3_column_int64(st, 0) == (sqlite3_int64)n;
    if (st != NULL)
        sqlite3_finalize(st);
    st = NULL;
    if (same)
        same = kc_store_prepare(s,
                                "SELECT 1 FROM releases WHERE minor = :minor"
                                " AND end_of_life IS :end_of_life"
                                " AND source = :source",
                                &st, &ignored) == 0;
    for (size_t i = 0; same && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int(st, kc_param(st, ":minor"), v[i].minor);
        kc_bind_text_or_null(st, kc_param(st, ":end_of_life"),
                             v[i].end_of_life);
        sqlite3_bind_text(st, kc_param(st, ":source"), source, -1,
                          SQLITE_STATIC);
        same = sqlite3_step(st) == SQLITE_ROW;
    }
    if (st != NULL)
        sqlite3_finalize(st);
    return same;
}

int kc_store_releases_set(struct kc_store *s, const struct kc_store_release *v,
                          size_t n, const char *source, struct kc_error *err)
{
    int rc;
    kc_store_lock(s);
    if (releases_same(s, v, n, source)) {
        kc_store_unlock(s);
        return 0;
    }
    rc = kc_store_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != 0) {
        kc_store_unlock(s);
        return rc;
    }
    rc = kc_store_exec(s, "DELETE FROM releases", err);
    if (rc == 0)
        rc = put_rows(s, v, n, source, err);
    rc = kc_store_end(s, rc, err);
    kc_store_unlock(s);
    return rc;
}
