/* tmpdb.h - shared by the storage unit tests (header-only, needs cmocka
 * and storage-private.h included first): databases in fresh temporary
 * directories, and one-integer SQL queries against them. */
#ifndef KC_TEST_STORAGE_TMPDB_H
#define KC_TEST_STORAGE_TMPDB_H

#include <stdlib.h>
#include <unistd.h>

#include "storage-private.h"

/* out = a fresh temporary directory + "/" + name (the file not created). */
__attribute__((unused)) static void tmpdb_path(char *out, size_t size,
                                               const char *name)
{
    char dir[] = "/tmp/kc-storage-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    kc_snprintf(out, size, "%s/%s", dir, name);
}

/* A new database at a fresh path (returned in path) with scan p begun. */
__attribute__((unused)) static struct kc_store *
tmpdb_open(char *path, size_t size, const char *name,
           const struct kc_scan_params *p, int64_t *scan_id)
{
    struct kc_store *s;
    struct kc_error err = {0};
    tmpdb_path(path, size, name);
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, p, scan_id, &err), 0);
    return s;
}

/* The first column of the first row of sql, -1 when there is no row. */
__attribute__((unused)) static int64_t tmpdb_int(struct kc_store *s,
                                                 const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    assert_int_equal(sqlite3_prepare_v2(kc_store_sqlite(s), sql, -1, &st,
                                        NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#endif
