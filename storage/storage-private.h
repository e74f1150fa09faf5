/*
 * storage-private.h - shared inside storage/ (and by storage/queries.c):
 * the store struct, SQLite helpers, the schema's migrations.
 */
#ifndef KCENSUS_STORAGE_PRIVATE_H
#define KCENSUS_STORAGE_PRIVATE_H

#include <pthread.h>
#include <sqlite3.h>

#include "storage.h"

struct kc_store {
    sqlite3 *db;
    char *path;
    bool readonly;
    /* Recursive: a foreach callback may call kc_store_update_*; the writer
     * thread takes it for each batch, so the API is safe to call while a
     * sink is alive (calls simply wait for the batch in progress). */
    pthread_mutex_t mu;
    /* Bumped by every ROLLBACK of a transaction that may have stored
     * texts, versions, bodies or certificates: kc_insert caches taken
     * before it are dropped (their ids may name rows that are gone). */
    uint64_t rollbacks;
    /* Statements and caches for kc_store_update_* (read.c), made on first
     * use and freed by kc_store_close. */
    struct kc_insert *upd;
};

/* The connection, for storage/queries.c. Callers hold no lock: do not use
 * it while a writer sink of this store is alive. */
struct sqlite3 *kc_store_sqlite(struct kc_store *s);

/* Migration taking user_version from -> from + 1, NULL past the last. */
const char *kc_schema_migration(int from_version);
int kc_schema_latest(void);

/* Maps an SQLite result code to a negative errno. */
int kc_sqlite_errno(int rc);
/* Fills err from the connection's last error: "<what>: <sqlite message>"
 * plus a hint for full disk, read-only, locked and corrupt files.
 * Returns the negative errno. */
int kc_store_fail(struct kc_store *s, struct kc_error *err, int rc,
                  const char *what);
/* Runs SQL without results; 0 or negative errno (err filled). */
int kc_store_exec(struct kc_store *s, const char *sql, struct kc_error *err);
int kc_store_prepare(struct kc_store *s, const char *sql, sqlite3_stmt **st,
                     struct kc_error *err);
/* Ends the caller's BEGIN: COMMIT when rc == 0, else ROLLBACK (the
 * first error stays in err). Returns rc, or the COMMIT's error. */
int kc_store_end(struct kc_store *s, int rc, struct kc_error *err);

void kc_store_lock(struct kc_store *s);
void kc_store_unlock(struct kc_store *s);

/*
 * Parameter numbers of the result-row INSERTs (insert.c) and of the
 * UPDATEs of a row's verdict or geo columns (read.c). Both bind through
 * kc_bind_verdict / kc_bind_geo, so a column has the same number in every
 * statement. SQL text names a parameter as KC_SQLP(KC_RP_...), never as a
 * literal "?NN", and C code binds the same name: a new column takes a free
 * number here and cannot shift the others. Free: 4, 33..39, 57..63 (the
 * binding cache has 64 slots). In the UPDATEs, KC_RP_ROW_ID and
 * KC_RP_GEO_SOURCE reuse 1 and 2, which they do not bind otherwise.
 */
#define KC_RP_SCAN_ID 1
#define KC_RP_TARGET_INDEX 2
#define KC_RP_ADDR 3
#define KC_RP_IP6 5
#define KC_RP_PORT 6
#define KC_RP_SNI 7
#define KC_RP_OUTCOME 8
#define KC_RP_PHASE 9
#define KC_RP_DETAIL 10
#define KC_RP_STARTED_AT 11
#define KC_RP_DURATION_MS 12
#define KC_RP_CONNECT_US 13
#define KC_RP_TLS_US 14
#define KC_RP_RTT_US 15
#define KC_RP_ATTEMPTS 16
#define KC_RP_TLS_VERSION 17
#define KC_RP_CIPHER 18
#define KC_RP_ALPN 19
#define KC_RP_CERT_ID 20
#define KC_RP_PROBE_SET 21
#define KC_RP_IS_KUBERNETES 22
#define KC_RP_EVIDENCE 23
#define KC_RP_POSTURE 24
#define KC_RP_GIT_VERSION 25
#define KC_RP_MAJOR 26
#define KC_RP_MINOR 27
#define KC_RP_PATCH 28
#define KC_RP_PRERELEASE 29
#define KC_RP_VENDOR 30
#define KC_RP_VENDOR_SUFFIX 31
#define KC_RP_VERSION_ID 32
#define KC_RP_CLUSTER_INFO_READABLE 40
#define KC_RP_CLUSTER_CA_SHA256 41
#define KC_RP_JWS_KEYS 42
#define KC_RP_NAMESPACES_COUNT 43
#define KC_RP_CLASSIFIER_VERSION 44
#define KC_RP_COUNTRY 45
#define KC_RP_ASN 46
#define KC_RP_AS_ORG 47
#define KC_RP_PROVIDER 48
#define KC_RP_P0_PROBE 49
#define KC_RP_P0_FLAGS 50
#define KC_RP_P0_OUTCOME 51
#define KC_RP_P0_STATUS 52
#define KC_RP_P0_BODY_ID 53
#define KC_RP_P0_BODY_TOTAL 54
#define KC_RP_P0_RTT_US 55
#define KC_RP_CONNECTIONS 56
#define KC_RP_ROW_ID 1
#define KC_RP_GEO_SOURCE 2
/* A probe row's columns 3..9 (probe .. rtt_us) sit at base + 3..9: for
 * the result row's p0_* columns, base is KC_RP_P0_BASE. */
#define KC_RP_P0_BASE (KC_RP_P0_PROBE - 3)
_Static_assert(KC_RP_P0_RTT_US == KC_RP_P0_BASE + 9,
               "p0_* parameters are consecutive");

/* "?N" for a parameter number defined above. */
#define KC_SQLP(n) KC_SQLP_(n)
#define KC_SQLP_(n) "?" #n

/* The index of parameter name (":scan_id") in st, for the sqlite3_bind_*
 * calls: statements with more than one parameter name them, so a new one
 * cannot shift the others. 0 when st has no such name, which every
 * sqlite3_bind_* refuses (SQLITE_RANGE). */
int kc_param(sqlite3_stmt *st, const char *name);

/* Binding helpers: NULL for absent/empty as the schema documents. */
void kc_bind_text_or_null(sqlite3_stmt *st, int i, const char *v);
void kc_bind_bytes(sqlite3_stmt *st, int i, const struct kc_bytes *b);
/* Binds v, or NULL for a negative v (the -1 markers of struct kc_result).
 * c is the statement's record of its current bindings (insert.c), which
 * skips a rebind of the same value; NULL binds every time. */
struct kc_bind_cache;
void kc_bind_int_nullable(struct kc_bind_cache *c, sqlite3_stmt *st, int i,
                          int64_t v);
/* Copies a column into b (NULL column -> absent). 0 or -ENOMEM. */
int kc_column_bytes(sqlite3_stmt *st, int i, struct kc_bytes *b);
void kc_column_str(sqlite3_stmt *st, int i, char *out, size_t size);
/* An integer column, null_value for NULL. */
int kc_column_int(sqlite3_stmt *st, int i, int null_value);

/* results.started_at/finished_at: integer milliseconds since the epoch
 * (floor, so a negative time still rounds towards the past). */
static inline int64_t kc_time_ms(int64_t us)
{
    return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

/* ISO-8601 UTC text <-> microseconds since the epoch. */
void kc_time_text(int64_t us, char *out, size_t size);
bool kc_time_parse(const char *s, int64_t *us);

/* Inserting one result (insert.c), inside the caller's transaction. */
struct kc_insert;
int kc_insert_new(struct kc_store *s, int64_t scan_id, struct kc_insert **out,
                  struct kc_error *err);
/* 1 when stored, 0 when the unique key already existed, or -errno. */
int kc_insert_result(struct kc_insert *ins, const struct kc_result *r,
                     struct kc_error *err);
void kc_insert_free(struct kc_insert *ins);
/* A batch transaction for kc_insert_result: BEGIN IMMEDIATE with foreign
 * key enforcement off for the batch (every reference the writer stores
 * comes from a lookup or insert in the same transaction; the checks cost
 * ~15-20% of the insert time, mostly per-statement savepoints), and
 * kc_insert_end: COMMIT when rc == 0, else ROLLBACK and forget cached ids;
 * enforcement is on again afterwards either way. Returns rc, or the
 * COMMIT's error. */
int kc_insert_begin(struct kc_insert *ins, struct kc_error *err);
int kc_insert_end(struct kc_insert *ins, int rc, struct kc_error *err);
/* Drops cached certificate ids (after a rollback). */
void kc_insert_forget(struct kc_insert *ins);
/* Column binders shared by insert.c and read.c (numbering of result_sql);
 * they store texts and /version documents on first sight, hence ins. */
int kc_bind_verdict(struct kc_insert *ins, sqlite3_stmt *st,
                    const struct kc_result *r, struct kc_error *err);
int kc_bind_geo(struct kc_insert *ins, sqlite3_stmt *st,
                const struct kc_result *r, struct kc_error *err);
/* texts.id of v, inserting it on first sight; 0 for NULL or "". */
int kc_insert_text_id(struct kc_insert *ins, const char *v, int64_t *id,
                      struct kc_error *err);

/* Saves a checkpoint and counters into scans (inside a transaction). */
int kc_store_save_progress(struct kc_store *s, int64_t scan_id,
                           const struct kc_checkpoint *cp,
                           const struct kc_scan_counters *c,
                           struct kc_error *err);
/* Updates only the stored counter (every batch). */
int kc_store_save_stored(struct kc_store *s, int64_t scan_id, uint64_t stored,
                         struct kc_error *err);
/* The targets a scan counted but did not store (store policy), per
 * outcome, as of its last checkpoint (inside the caller's transaction /
 * under the store lock). */
int kc_store_save_unstored(struct kc_store *s, int64_t scan_id,
                           const uint64_t n[KC_OUTCOME__COUNT],
                           struct kc_error *err);
int kc_store_load_unstored(struct kc_store *s, int64_t scan_id,
                           uint64_t n[KC_OUTCOME__COUNT], struct kc_error *err);
/* Loads a scan's counters (for a resumed writer). */
int kc_store_load_counters(struct kc_store *s, int64_t scan_id,
                           struct kc_scan_counters *c, struct kc_error *err);

#endif
