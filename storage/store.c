/* store.c - opening, checking and migrating the database; SQLite helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "storage-private.h"

/* 'kcen': marks a file as a kcensus database (PRAGMA application_id). */
#define KC_APPLICATION_ID 0x6b63656e

int kc_store_schema_version(void)
{
    return kc_schema_latest();
}

struct sqlite3 *kc_store_sqlite(struct kc_store *s)
{
    return s->db;
}

void kc_store_lock(struct kc_store *s)
{
    pthread_mutex_lock(&s->mu);
}

void kc_store_unlock(struct kc_store *s)
{
    pthread_mutex_unlock(&s->mu);
}

int kc_sqlite_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return 0;
    case SQLITE_FULL: return -ENOSPC;
    case SQLITE_READONLY: return -EROFS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return -EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return -EBADMSG;
    case SQLITE_CANTOPEN: return -ENOENT;
    case SQLITE_PERM:
    case SQLITE_AUTH: return -EACCES;
    case SQLITE_NOMEM: return -ENOMEM;
    case SQLITE_CONSTRAINT: return -EEXIST;
    case SQLITE_TOOBIG: return -E2BIG;
    case SQLITE_ERROR: return -EINVAL;
    default: return -EIO;
    }
}

static const char *hint_for(int code)
{
    switch (code) {
    case -ENOSPC: return " (disk or database size limit full; the data "
                         "committed so far is intact)";
    case -EROFS: return " (the file or its directory is read-only)";
    case -EBUSY: return " (another process holds the database lock)";
    case -EBADMSG: return " (the file is corrupt, truncated or not a "
                          "database)";
    default: return "";
    }
}

int kc_store_fail(struct kc_store *s, struct kc_error *err, int rc,
                  const char *what)
{
    int code = kc_sqlite_errno(rc);
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    if (code == 0)
        code = -EIO;
    return kc_error_set(err, code, "%s%s%s: %s%s", s && s->path ? s->path : "",
                        s && s->path ? ": " : "", what, msg, hint_for(code));
}

int kc_store_exec(struct kc_store *s, const char *sql, struct kc_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return kc_store_fail(s, err, rc, "executing SQL");
    return 0;
}

int kc_store_prepare(struct kc_store *s, const char *sql, sqlite3_stmt **st,
                     struct kc_error *err)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                                NULL);
    if (rc != SQLITE_OK)
        return kc_store_fail(s, err, rc, "preparing SQL");
    return 0;
}

int kc_store_end(struct kc_store *s, int rc, struct kc_error *err)
{
    if (rc == 0)
        return kc_store_exec(s, "COMMIT", err);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int pragma_int(struct kc_store *s, const char *sql, int64_t *out,
                      struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return kc_store_fail(s, err, rc, "reading the database header");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kc_store_fail(s, err, rc, "reading the database header");
    return 0;
}

/* A truncated file still opens; its header says how many pages it should
 * have. Only trusted when the header's "valid-for" counter matches. */
static int check_truncated(struct kc_store *s, struct kc_error *err)
{
    unsigned char h[100];
    struct stat sb;
    char wal[4200];
    FILE *f;
    /* With a WAL beside it, the file may legitimately be shorter than its
     * header says (a checkpoint killed half-way); recovery redoes it. */
    kc_snprintf(wal, sizeof(wal), "%s-wal", s->path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
        return 0;
    f = fopen(s->path, "rb");
    if (f == NULL)
        return 0;
    size_t n = fread(h, 1, sizeof(h), f);
    int fd_ok = fstat(fileno(f), &sb);
    fclose(f);
    if (n == 0)
        return 0; /* empty file: a new database */
    if (n < sizeof(h) || memcmp(h, "SQLite format 3", 16) != 0)
        return kc_error_set(err, -EBADMSG,
                            "%s: not a kcensus database (not an SQLite file)",
                            s->path);
    uint32_t page = (uint32_t)h[16] << 8 | h[17];
    if (page == 1)
        page = 65536;
    uint32_t pages = (uint32_t)h[28] << 24 | h[29] << 16 | h[30] << 8 | h[31];
    bool valid = memcmp(h + 24, h + 92, 4) == 0 && pages > 0;
    if (fd_ok == 0 && valid && (uint64_t)sb.st_size < (uint64_t)page * pages)
        return kc_error_set(err, -EBADMSG,
                            "%s: database file is truncated (%lld bytes, "
                            "header says %llu); restore it from a copy",
                            s->path, (long long)sb.st_size,
                            (unsigned long long)page * pages);
    return 0;
}

/* Is this an empty file, a kcensus database, or something else? */
static int check_identity(struct kc_store *s, int64_t version,
                          struct kc_error *err)
{
    int64_t app = 0, tables = 0;
    int rc = pragma_int(s, "PRAGMA application_id", &app, err);
    if (rc == 0)
        rc = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &tables, err);
    if (rc != 0)
        return rc;
    if (app == KC_APPLICATION_ID || (version == 0 && tables == 0))
        return 0;
    return kc_error_set(err, -EBADMSG,
                        "%s: not a kcensus database (application_id %#llx, "
                        "%lld tables)", s->path, (unsigned long long)app,
                        (long long)tables);
}

static int migrate(struct kc_store *s, int64_t version, struct kc_error *err)
{
    char sql[64];
    int latest = kc_schema_latest();
    if (version > latest)
        return kc_error_set(err, -EPROTONOSUPPORT,
                            "%s: database schema version %lld is newer than "
                            "this kcensus (%s) understands (version %d); use "
                            "a newer kcensus", s->path, (long long)version,
                            KC_VERSION_STRING, latest);
    if (version == latest)
        return 0;
    if (s->readonly)
        return kc_error_set(err, -EROFS,
                            "%s: database schema version %lld needs an "
                            "upgrade to %d, which needs write access",
                            s->path, (long long)version, latest);
    int rc = kc_store_exec(s, "BEGIN IMMEDIATE", err);
    for (int v = (int)version; rc == 0 && v < latest; v++) {
        rc = kc_store_exec(s, kc_schema_migration(v), err);
        kc_snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (rc == 0)
            rc = kc_store_exec(s, sql, err);
    }
    kc_snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
                KC_APPLICATION_ID);
    if (rc == 0)
        rc = kc_store_exec(s, sql, err);
    if (rc == 0)
        rc = kc_store_exec(s, "COMMIT", err);
    if (rc != 0)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The integer codes stored since v4 are the enums of common/common.h:
 * the database's `codes` table must name them as this build does. New
 * enum values are added; a code that names something else (an enum
 * reordered in common/) is refused rather than silently misread. */
static const struct {
    const char *kind;
    int count;
} code_kinds[] = { /* in code_name's order */
    {"outcome", KC_OUTCOME__COUNT},  {"phase", KC_PHASE__COUNT},
    {"posture", KC_POSTURE__COUNT},  {"vendor", KC_VENDOR__COUNT},
    {"provider", KC_PROVIDER__COUNT}, {"probe", KC_PROBE__COUNT},
    {"probe_set", KC_PROBES__COUNT},
};

static const char *code_name(size_t kind, int code)
{
    switch (kind) {
    case 0: return kc_outcome_str((enum kc_outcome)code);
    case 1: return kc_phase_str((enum kc_phase)code);
    case 2: return kc_posture_str((enum kc_posture)code);
    case 3: return kc_vendor_str((enum kc_vendor)code);
    case 4: return kc_provider_str((enum kc_provider)code);
    case 5: return kc_probe_str((enum kc_probe_id)code);
    default: return kc_probe_set_str((enum kc_probe_set)code);
    }
}

static int sync_codes(struct kc_store *s, struct kc_error *err)
{
    sqlite3_stmt *add = NULL, *get = NULL;
    int rc = kc_store_prepare(s,
                              "INSERT INTO codes (kind, code, name)"
                              " VALUES (:kind, :code, :name)",
                              &add, err);
    if (rc == 0)
        rc = kc_store_prepare(s,
                              "SELECT name FROM codes"
                              " WHERE kind = :kind AND code = :code",
                              &get, err);
    for (size_t k = 0; rc == 0 && k < KC_ARRAY_LEN(code_kinds); k++) {
        for (int c = 0; rc == 0 && c < code_kinds[k].count; c++) {
            const char *name = code_name(k, c);
            int step;
            if (*name == '\0')
                continue; /* the NONE value: stored as NULL */
            sqlite3_reset(get);
            sqlite3_bind_text(get, kc_param(get, ":kind"), code_kinds[k].kind,
                              -1, SQLITE_STATIC);
            sqlite3_bind_int(get, kc_param(get, ":code"), c);
            step = sqlite3_step(get);
            if (step == SQLITE_ROW) {
                if (strcmp((const char *)sqlite3_column_text(get, 0), name))
                    rc = kc_error_set(
                        err, -EPROTO,
                        "%s: %s code %d does not mean '%s' in this database:"
                        " written by an incompatible kcensus", s->path,
                        code_kinds[k].kind, c, name);
                continue;
            }
            if (step != SQLITE_DONE) {
                rc = kc_store_fail(s, err, step, "reading codes");
                break;
            }
            /* A value this build added to the vocabulary. */
            sqlite3_reset(add);
            sqlite3_bind_text(add, kc_param(add, ":kind"), code_kinds[k].kind,
                              -1, SQLITE_STATIC);
            sqlite3_bind_int(add, kc_param(add, ":code"), c);
            sqlite3_bind_text(add, kc_param(add, ":name"), name, -1,
                              SQLITE_STATIC);
            step = sqlite3_step(add);
            sqlite3_reset(add);
            if (step != SQLITE_DONE)
                rc = kc_store_fail(s, err, step, "recording codes");
        }
    }
    sqlite3_finalize(add);
    sqlite3_finalize(get);
    return rc;
}

static int configure(struct kc_store *s, struct kc_error *err)
{
    int64_t version = 0;
    int rc;
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 1);
    rc = check_truncated(s, err);
    if (rc == 0)
        rc = pragma_int(s, "PRAGMA user_version", &version, err);
    if (rc == 0)
        rc = check_identity(s, version, err);
    if (rc == 0 && !s->readonly)
        /* WAL: readers never block the writer; NORMAL sync is durable
         * against a killed process (only power loss may drop the last
         * transactions, never corrupt). */
        rc = kc_store_exec(s, "PRAGMA journal_mode = WAL;"
                              "PRAGMA synchronous = NORMAL", err);
    /* Foreign keys off while migrating: rebuilding a referenced table
     * (v3) drops it, which with enforcement on would fail or cascade. */
    if (rc == 0)
        rc = migrate(s, version, err);
    if (rc == 0 && !s->readonly)
        rc = sync_codes(s, err);
    if (rc == 0)
        rc = kc_store_exec(s, "PRAGMA foreign_keys = ON", err);
    return rc;
}

/* SQLite's memory statistics take a global mutex on every allocation
 * (~3% of an insert); kcensus never reads them. Must precede the first
 * use of SQLite in the process; a no-op (SQLITE_MISUSE) after it. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int kc_store_open(const char *path, int flags, struct kc_store **out,
                  struct kc_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct kc_store *s;
    pthread_mutexattr_t attr;
    int oflags, rc;
    pthread_once(&once, sqlite_setup);
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    s->readonly = flags & KC_STORE_READONLY;
    oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!s->readonly && (flags & KC_STORE_CREATE))
        oflags |= SQLITE_OPEN_CREATE;
    /* Our own mutex serialises use of the connection. */
    oflags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        rc = kc_error_set(err, kc_sqlite_errno(rc), "%s: cannot open: %s%s",
                          path, s->db ? sqlite3_errmsg(s->db)
                                      : sqlite3_errstr(rc),
                          (flags & KC_STORE_CREATE) ? "" : " (no such file?)");
    } else {
        rc = configure(s, err);
    }
    if (rc != 0) {
        kc_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void kc_store_close(struct kc_store *s)
{
    if (s == NULL)
        return;
    kc_insert_free(s->upd);
    if (s->db != NULL)
        sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

/* ---- policy ---- */

static const char *const policy_names[] = {
    [KC_STORE_RESPONSIVE] = "responsive",
    [KC_STORE_ALL] = "all",
    [KC_STORE_KUBERNETES] = "kubernetes",
};

const char *kc_store_policy_str(enum kc_store_policy p)
{
    if ((size_t)p >= KC_ARRAY_LEN(policy_names))
        return "?";
    return policy_names[p];
}

bool kc_store_policy_parse(const char *s, enum kc_store_policy *out)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(policy_names); i++) {
        if (strcmp(s, policy_names[i]) == 0) {
            *out = (enum kc_store_policy)i;
            return true;
        }
    }
    return false;
}

/* Did the target complete a TCP connection? */
static bool connected(const struct kc_result *r)
{
    switch (r->outcome) {
    case KC_OUTCOME_OK:
    case KC_OUTCOME_TLS_ERROR:
    case KC_OUTCOME_PROTOCOL_ERROR:
    case KC_OUTCOME_TOO_LARGE:
    case KC_OUTCOME_CLOSED:
        return true;
    case KC_OUTCOME_TIMEOUT:
        return r->phase != KC_PHASE_CONNECT && r->phase != KC_PHASE_NONE;
    case KC_OUTCOME_REFUSED:
    case KC_OUTCOME_BLOCKED:
    case KC_OUTCOME_DNS_ERROR:
    case KC_OUTCOME_UNREACHABLE:
    case KC_OUTCOME__COUNT:
        return false;
    }
    return false;
}

bool kc_store_policy_keeps(enum kc_store_policy p, const struct kc_result *r)
{
    switch (p) {
    case KC_STORE_ALL: return true;
    case KC_STORE_RESPONSIVE: return connected(r);
    case KC_STORE_KUBERNETES: return r->is_kubernetes == 1;
    }
    return true;
}

static const char *const status_names[] = {
    [KC_SCAN_RUNNING] = "running",
    [KC_SCAN_DONE] = "done",
    [KC_SCAN_INTERRUPTED] = "interrupted",
};

const char *kc_scan_status_str(enum kc_scan_status st)
{
    if ((size_t)st >= KC_ARRAY_LEN(status_names))
        return "?";
    return status_names[st];
}

/* ---- binding helpers ---- */

int kc_param(sqlite3_stmt *st, const char *name)
{
    return sqlite3_bind_parameter_index(st, name);
}

void kc_bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL || *v == '\0')
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

void kc_bind_bytes(sqlite3_stmt *st, int i, const struct kc_bytes *b)
{
    if (b->data == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_blob(st, i, b->len ? b->data : "", (int)b->len,
                          SQLITE_STATIC);
}

int kc_column_int(sqlite3_stmt *st, int i, int null_value)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? null_value
               : sqlite3_column_int(st, i);
}

int kc_column_bytes(sqlite3_stmt *st, int i, struct kc_bytes *b)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        kc_bytes_free(b);
        return 0;
    }
    const void *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    return kc_bytes_set(b, p ? p : "", (size_t)n, 0);
}

void kc_column_str(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    kc_strlcpy(out, p ? (const char *)p : "", size);
}

/* ---- time ---- */

/* Millisecond precision: durations have their own microsecond columns,
 * and three digits less on two timestamps per row add up in a census. */
void kc_time_text(int64_t us, char *out, size_t size)
{
    char base[40];
    kc_format_time_utc(us - us % 1000000, false, base, sizeof(base));
    size_t n = strlen(base);
    if (n > 0)
        base[n - 1] = '\0'; /* drop the Z */
    kc_snprintf(out, size, "%s.%03dZ", base, (int)(us % 1000000 / 1000));
}

bool kc_time_parse(const char *s, int64_t *us)
{
    struct tm tm;
    int frac = 0, nfrac = 0;
    memset(&tm, 0, sizeof(tm));
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return false;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9' && nfrac < 6; p++, nfrac++)
            frac = frac * 10 + (*p - '0');
        for (; nfrac < 6; nfrac++)
            frac *= 10;
    }
    if (*p != 'Z')
        return false;
    *us = (int64_t)timegm(&tm) * 1000000 + frac;
    return true;
}
