/* query.c - `kcensus sql`: one statement, rows handed out as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage-private.h"

#define QUERY_MAX_COLS 256

static int emit_row(sqlite3_stmt *st, int n, size_t row,
                    int (*cb)(void *, size_t, int, const char *const *,
                              const size_t *),
                    void *ctx)
{
    const char *vals[QUERY_MAX_COLS];
    size_t lens[QUERY_MAX_COLS];
    for (int i = 0; i < n; i++) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
            vals[i] = NULL;
            lens[i] = 0;
        } else {
            /* Blobs (git_version, bodies) as their exact bytes. */
            const void *p = sqlite3_column_type(st, i) == SQLITE_BLOB
                                ? sqlite3_column_blob(st, i)
                                : (const void *)sqlite3_column_text(st, i);
            vals[i] = p ? p : "";
            lens[i] = (size_t)sqlite3_column_bytes(st, i);
        }
    }
    return cb(ctx, row, n, vals, lens);
}

static int emit_header(sqlite3_stmt *st, int n,
                       int (*cb)(void *, size_t, int, const char *const *,
                                 const size_t *),
                       void *ctx)
{
    const char *vals[QUERY_MAX_COLS];
    size_t lens[QUERY_MAX_COLS];
    for (int i = 0; i < n; i++) {
        vals[i] = sqlite3_column_name(st, i);
        lens[i] = strlen(vals[i]);
    }
    return cb(ctx, 0, n, vals, lens);
}

int kc_store_query(struct kc_store *s, const char *sql, bool allow_write,
                   int (*cb)(void *ctx, size_t row, int ncols,
                             const char *const *vals, const size_t *lens),
                   void *ctx, struct kc_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    size_t row = 0;
    int rc, step = SQLITE_DONE, n;
    kc_store_lock(s);
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK) {
        rc = kc_store_fail(s, err, rc, "in the query");
        goto out;
    }
    if (st == NULL) {
        rc = kc_error_set(err, -EINVAL, "empty query");
        goto out;
    }
    if (tail != NULL && tail[strspn(tail, " \t\r\n;")] != '\0') {
        rc = kc_error_set(err, -EINVAL, "one statement at a time, please "
                          "(extra text: \"%.40s\")", tail);
        goto out;
    }
    if (!allow_write && !sqlite3_stmt_readonly(st)) {
        rc = kc_error_set(err, -EPERM, "the query would modify the database "
                          "(pass --write to allow it)");
        goto out;
    }
    n = sqlite3_column_count(st);
    if (n > QUERY_MAX_COLS) {
        rc = kc_error_set(err, -E2BIG, "too many columns (%d, at most %d)", n,
                          QUERY_MAX_COLS);
        goto out;
    }
    if (n > 0)
        rc = emit_header(st, n, cb, ctx);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = emit_row(st, n, ++row, cb, ctx);
    if (rc == 0 && step != SQLITE_DONE)
        rc = kc_store_fail(s, err, step, "running the query");
out:
    sqlite3_finalize(st);
    kc_store_unlock(s);
    return rc;
}
