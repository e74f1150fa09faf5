/* insert.c - one result into result_rows, probe_rows, bodies, texts,
 * versions and certificates (schema v4), with prepared statements reused
 * for the whole batch and small caches for the deduplicated tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "storage-private.h"

/* Recently seen certificates: census scans meet the same cloud
 * certificates over and over, so most rows skip the lookup. */
#define CERT_CACHE 256

struct cert_slot {
    char sha256[KC_SHA256_HEX];
    int64_t id;
};

/* Recently stored probe bodies (with their content type), and /version
 * documents, verified byte for byte: a hash alone could be forged by a
 * hostile server. */
#define BODY_CACHE 1024
#define BODY_CACHE_BYTES 496

struct body_slot {
    int64_t id; /* 0 = empty */
    uint64_t hash;
    uint16_t ct_len, body_len;
    bool has_ct, has_body;
    char bytes[BODY_CACHE_BYTES]; /* content type, then body */
};

/* /version documents: the eight fields after gitVersion. */
#define VERSION_CACHE 256
#define VERSION_FIELDS 8
#define VERSION_CACHE_BYTES 376

struct version_slot {
    int64_t id; /* 0 = empty */
    uint64_t hash;
    uint16_t len[VERSION_FIELDS]; /* 0xffff = absent */
    char bytes[VERSION_CACHE_BYTES];
};

/* Short repeated text (cipher, evidence, AS organisation ...) -> texts.id. */
#define TEXT_CACHE 512
#define TEXT_CACHE_BYTES 120

struct text_slot {
    int64_t id; /* 0 = empty */
    uint32_t hash;
    char s[TEXT_CACHE_BYTES];
};

/* Parameter values bound last time, per reused statement: sqlite3_reset
 * keeps bindings, and most of a row's integers (scan, codes, flags, NULLs)
 * repeat from row to row, so only the changed ones are bound again
 * (binding was ~11% of a web row's instructions). */
#define BIND_SLOTS 64 /* > KC_RP_P0_RTT_US (result_sql) and 6 x 9 (probes) */

enum bind_state { BOUND_UNKNOWN = 0, BOUND_INT, BOUND_NULL };

struct kc_bind_cache {
    uint8_t state[BIND_SLOTS];
    int64_t v[BIND_SLOTS];
};

struct kc_insert {
    struct kc_store *s;
    int64_t scan_id;
    uint64_t generation; /* s->rollbacks when the caches were last valid */
    sqlite3_stmt *result, *result_short, *cert_add, *cert_get, *body_add,
        *body_get;
    sqlite3_stmt *text_add, *text_get, *version_add, *version_get;
    /* INSERT of 1..KC_PROBE__COUNT probe rows in one statement (a
     * Kubernetes row has six: one VDBE run instead of six) */
    sqlite3_stmt *probes[KC_PROBE__COUNT + 1];
    /* bindings of result, result_short and probes[n] */
    struct kc_bind_cache result_bound, short_bound;
    struct kc_bind_cache probes_bound[KC_PROBE__COUNT + 1];
    struct cert_slot cache[CERT_CACHE];
    struct body_slot *bodies;     /* BODY_CACHE slots */
    struct version_slot *versions; /* VERSION_CACHE slots */
    struct text_slot *texts;       /* TEXT_CACHE slots */
};

/* The first probe, inline in the result row (schema v4): its parameters
 * are a probe row's columns 3..9 (bind_probe_fields, KC_RP_P0_BASE). */
#define P0_COLS                                                            \
    ", p0_probe, p0_flags, p0_outcome, p0_status, p0_body_id,"            \
    " p0_body_total, p0_rtt_us"
#define P0_PARAMS                                                          \
    ", " KC_SQLP(KC_RP_P0_PROBE) ", " KC_SQLP(KC_RP_P0_FLAGS)               \
    ", " KC_SQLP(KC_RP_P0_OUTCOME) ", " KC_SQLP(KC_RP_P0_STATUS)            \
    ", " KC_SQLP(KC_RP_P0_BODY_ID) ", " KC_SQLP(KC_RP_P0_BODY_TOTAL)        \
    ", " KC_SQLP(KC_RP_P0_RTT_US)

/* The parameters of the result-row INSERTs, in column order: those both
 * have, the verdict's, then classifier and geo (KC_RP_*, in
 * storage-private.h: update statements in read.c bind the same numbers
 * through kc_bind_verdict / kc_bind_geo). */
#define HEAD_PARAMS                                                        \
    KC_SQLP(KC_RP_SCAN_ID) ", " KC_SQLP(KC_RP_TARGET_INDEX)                \
    ", " KC_SQLP(KC_RP_ADDR) ", " KC_SQLP(KC_RP_IP6)                       \
    ", " KC_SQLP(KC_RP_PORT) ", " KC_SQLP(KC_RP_SNI)                       \
    ", " KC_SQLP(KC_RP_OUTCOME) ", " KC_SQLP(KC_RP_PHASE)                  \
    ", " KC_SQLP(KC_RP_DETAIL) ", " KC_SQLP(KC_RP_STARTED_AT)              \
    ", " KC_SQLP(KC_RP_DURATION_MS) ", " KC_SQLP(KC_RP_CONNECT_US)         \
    ", " KC_SQLP(KC_RP_TLS_US) ", " KC_SQLP(KC_RP_RTT_US)                  \
    ", " KC_SQLP(KC_RP_ATTEMPTS) ", " KC_SQLP(KC_RP_TLS_VERSION)           \
    ", " KC_SQLP(KC_RP_CIPHER) ", " KC_SQLP(KC_RP_ALPN)                    \
    ", " KC_SQLP(KC_RP_CERT_ID) ", " KC_SQLP(KC_RP_PROBE_SET)              \
    ", " KC_SQLP(KC_RP_IS_KUBERNETES)
#define VERDICT_PARAMS                                                     \
    KC_SQLP(KC_RP_EVIDENCE) ", " KC_SQLP(KC_RP_POSTURE)                    \
    ", " KC_SQLP(KC_RP_GIT_VERSION) ", " KC_SQLP(KC_RP_MAJOR)              \
    ", " KC_SQLP(KC_RP_MINOR) ", " KC_SQLP(KC_RP_PATCH)                    \
    ", " KC_SQLP(KC_RP_PRERELEASE) ", " KC_SQLP(KC_RP_VENDOR)              \
    ", " KC_SQLP(KC_RP_VENDOR_SUFFIX) ", " KC_SQLP(KC_RP_VERSION_ID)       \
    ", " KC_SQLP(KC_RP_CLUSTER_INFO_READABLE)                              \
    ", " KC_SQLP(KC_RP_CLUSTER_CA_SHA256) ", " KC_SQLP(KC_RP_JWS_KEYS)     \
    ", " KC_SQLP(KC_RP_NAMESPACES_COUNT)
#define TAIL_PARAMS                                                        \
    KC_SQLP(KC_RP_CLASSIFIER_VERSION) ", " KC_SQLP(KC_RP_COUNTRY)          \
    ", " KC_SQLP(KC_RP_ASN) ", " KC_SQLP(KC_RP_AS_ORG)                     \
    ", " KC_SQLP(KC_RP_PROVIDER)

/* Schema v5: the connections the recorded attempt used. */
#define CONNECTIONS_COL ", connections"
#define CONNECTIONS_PARAM ", " KC_SQLP(KC_RP_CONNECTIONS)

static const char result_sql[] =
    "INSERT OR IGNORE INTO result_rows (scan_id, target_index, addr, ip6,"
    " port, sni, outcome, phase, detail, started_at, duration_ms,"
    " connect_us, tls_us, rtt_us, attempts, tls_version, cipher, alpn,"
    " cert_id, probe_set, is_kubernetes, evidence, posture, git_version,"
    " major, minor, patch, prerelease, vendor, vendor_suffix, version_id,"
    " cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count,"
    " classifier_version, country, asn, as_org, provider" P0_COLS
    CONNECTIONS_COL ")"
    " VALUES (" HEAD_PARAMS ", " VERDICT_PARAMS ", " TAIL_PARAMS P0_PARAMS
    CONNECTIONS_PARAM ")";

/* The same without the Kubernetes columns (NULL by omission), for the
 * common row that has no verdict beyond is_kubernetes: ~20 fewer bound
 * parameters per row. Same parameters. */
static const char result_short_sql[] =
    "INSERT OR IGNORE INTO result_rows (scan_id, target_index, addr, ip6,"
    " port, sni, outcome, phase, detail, started_at, duration_ms,"
    " connect_us, tls_us, rtt_us, attempts, tls_version, cipher, alpn,"
    " cert_id, probe_set, is_kubernetes, classifier_version, country, asn,"
    " as_org, provider" P0_COLS CONNECTIONS_COL ")"
    " VALUES (" HEAD_PARAMS ", " TAIL_PARAMS P0_PARAMS CONNECTIONS_PARAM ")";

#define PROBE_COLS 9
static const char probe_head_sql[] =
    "INSERT OR IGNORE INTO probe_rows (result_id, seq, probe, flags, outcome,"
    " status, body_id, body_total, rtt_us) VALUES ";

static const char body_add_sql[] =
    "INSERT INTO bodies (hash, content_type, body) VALUES (?, ?, ?)";

static const char body_get_sql[] =
    "SELECT id FROM bodies WHERE hash = ? AND content_type IS ?"
    " AND body IS ?";

static const char text_add_sql[] = "INSERT INTO texts (value) VALUES (?)";
static const char text_get_sql[] = "SELECT id FROM texts WHERE value = ?";

static const char version_add_sql[] =
    "INSERT INTO versions (v_major, v_minor, git_commit, git_tree_state,"
    " build_date, go_version, compiler, platform)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/* The same eight fields in the same order (version_step binds both). */
static const char version_get_sql[] =
    "SELECT id FROM versions WHERE v_major IS ? AND v_minor IS ?"
    " AND git_commit IS ? AND git_tree_state IS ? AND build_date IS ?"
    " AND go_version IS ? AND compiler IS ? AND platform IS ?";

static const char cert_add_sql[] =
    "INSERT OR IGNORE INTO certificates (sha256, subject, subject_cn, issuer,"
    " issuer_cn, sans, san_count, key_type, key_bits, key_curve, sig_alg,"
    " not_before, not_after, chain_len, der)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static const char cert_get_sql[] =
    "SELECT id FROM certificates WHERE sha256 = ?";

void kc_insert_free(struct kc_insert *ins)
{
    if (ins == NULL)
        return;
    sqlite3_finalize(ins->result);
    sqlite3_finalize(ins->result_short);
    for (size_t i = 0; i < KC_ARRAY_LEN(ins->probes); i++)
        sqlite3_finalize(ins->probes[i]);
    sqlite3_finalize(ins->cert_add);
    sqlite3_finalize(ins->cert_get);
    sqlite3_finalize(ins->body_add);
    sqlite3_finalize(ins->body_get);
    sqlite3_finalize(ins->text_add);
    sqlite3_finalize(ins->text_get);
    sqlite3_finalize(ins->version_add);
    sqlite3_finalize(ins->version_get);
    free(ins->bodies);
    free(ins->versions);
    free(ins->texts);
    free(ins);
}

int kc_insert_new(struct kc_store *s, int64_t scan_id, struct kc_insert **out,
                  struct kc_error *err)
{
    struct kc_insert *ins = calloc(1, sizeof(*ins));
    int rc;
    if (ins == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    ins->bodies = calloc(BODY_CACHE, sizeof(*ins->bodies));
    ins->versions = calloc(VERSION_CACHE, sizeof(*ins->versions));
    ins->texts = calloc(TEXT_CACHE, sizeof(*ins->texts));
    if (!ins->bodies || !ins->versions || !ins->texts) {
        kc_insert_free(ins);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    ins->s = s;
    ins->scan_id = scan_id;
    ins->generation = s->rollbacks;
    rc = kc_store_prepare(s, result_sql, &ins->result, err);
    if (rc == 0)
        rc = kc_store_prepare(s, result_short_sql, &ins->result_short, err);
    if (rc == 0)
        rc = kc_store_prepare(s, text_add_sql, &ins->text_add, err);
    if (rc == 0)
        rc = kc_store_prepare(s, text_get_sql, &ins->text_get, err);
    if (rc == 0)
        rc = kc_store_prepare(s, version_add_sql, &ins->version_add, err);
    if (rc == 0)
        rc = kc_store_prepare(s, version_get_sql, &ins->version_get, err);
    if (rc == 0)
        rc = kc_store_prepare(s, cert_add_sql, &ins->cert_add, err);
    if (rc == 0)
        rc = kc_store_prepare(s, cert_get_sql, &ins->cert_get, err);
    if (rc == 0)
        rc = kc_store_prepare(s, body_add_sql, &ins->body_add, err);
    if (rc == 0)
        rc = kc_store_prepare(s, body_get_sql, &ins->body_get, err);
    if (rc != 0) {
        kc_insert_free(ins);
        return rc;
    }
    *out = ins;
    return 0;
}

void kc_insert_forget(struct kc_insert *ins)
{
    memset(ins->cache, 0, sizeof(ins->cache));
    for (size_t i = 0; i < BODY_CACHE; i++)
        ins->bodies[i].id = 0;
    for (size_t i = 0; i < VERSION_CACHE; i++)
        ins->versions[i].id = 0;
    for (size_t i = 0; i < TEXT_CACHE; i++)
        ins->texts[i].id = 0;
    ins->generation = ins->s->rollbacks;
}

/* Ids cached before any rollback on this connection may name rows that
 * no longer exist (another kc_insert's batch, or a foreach, rolled back). */
static void check_generation(struct kc_insert *ins)
{
    if (ins->generation != ins->s->rollbacks)
        kc_insert_forget(ins);
}

/* The binding cache of st if it is one of ins's reused statements, else
 * NULL (read.c's one-off UPDATEs bind everything). */
static struct kc_bind_cache *cache_of(struct kc_insert *ins, sqlite3_stmt *st)
{
    if (st == ins->result)
        return &ins->result_bound;
    if (st == ins->result_short)
        return &ins->short_bound;
    for (size_t n = 1; n < KC_ARRAY_LEN(ins->probes); n++)
        if (st == ins->probes[n])
            return &ins->probes_bound[n];
    return NULL;
}

static void b_int(struct kc_bind_cache *c, sqlite3_stmt *st, int i, int64_t v)
{
    if (c != NULL && c->state[i] == BOUND_INT && c->v[i] == v)
        return;
    sqlite3_bind_int64(st, i, v);
    if (c != NULL) {
        c->state[i] = BOUND_INT;
        c->v[i] = v;
    }
}

static void b_null(struct kc_bind_cache *c, sqlite3_stmt *st, int i)
{
    if (c != NULL && c->state[i] == BOUND_NULL)
        return;
    sqlite3_bind_null(st, i);
    if (c != NULL)
        c->state[i] = BOUND_NULL;
}

void kc_bind_int_nullable(struct kc_bind_cache *c, sqlite3_stmt *st, int i,
                          int64_t v)
{
    if (v < 0)
        b_null(c, st, i);
    else
        b_int(c, st, i, v);
}

/* Parameter i was bound to text or a blob (always bound again: the
 * pointers are the row's). */
static void b_other(struct kc_bind_cache *c, int i)
{
    if (c != NULL)
        c->state[i] = BOUND_UNKNOWN;
}

/* bodies.hash: FNV-1a over (content type, body), each as its length + 1
 * (0 when absent) in 8 little-endian bytes, then its bytes. Stored, and
 * compared across databases by merge: it must not change. */
static uint64_t body_hash(const struct kc_bytes *ct, const struct kc_bytes *b)
{
    uint64_t h = KC_FNV1A_BASIS;
    const struct kc_bytes *parts[2] = {ct, b};
    for (int k = 0; k < 2; k++) {
        uint64_t len = parts[k]->data ? parts[k]->len + 1 : 0;
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)(len >> (8 * i));
        h = kc_fnv1a(h, le, sizeof(le));
        if (parts[k]->data)
            h = kc_fnv1a(h, parts[k]->data, parts[k]->len);
    }
    return h;
}

/* Cache slot hash of one nullable field, chained through h: memory only
 * (the stored bodies.hash is body_hash, computed on a cache miss). */
static uint64_t mix_bytes(uint64_t h, const struct kc_bytes *b)
{
    return kc_hash_bytes(h ^ (b->data != NULL), b->data,
                         b->data ? b->len : 0);
}

static bool slot_matches(const struct body_slot *sl, uint64_t h,
                         const struct kc_bytes *ct, const struct kc_bytes *b)
{
    return sl->id != 0 && sl->hash == h && sl->has_ct == (ct->data != NULL) &&
           sl->has_body == (b->data != NULL) && sl->ct_len == ct->len &&
           sl->body_len == b->len &&
           (ct->len == 0 || memcmp(sl->bytes, ct->data, ct->len) == 0) &&
           (b->len == 0 || memcmp(sl->bytes + ct->len, b->data, b->len) == 0);
}

static void slot_fill(struct body_slot *sl, uint64_t h, int64_t id,
                      const struct kc_bytes *ct, const struct kc_bytes *b)
{
    if (ct->len + b->len > BODY_CACHE_BYTES)
        return;
    sl->id = id;
    sl->hash = h;
    sl->has_ct = ct->data != NULL;
    sl->has_body = b->data != NULL;
    sl->ct_len = (uint16_t)ct->len;
    sl->body_len = (uint16_t)b->len;
    if (ct->len)
        memcpy(sl->bytes, ct->data, ct->len);
    if (b->len)
        memcpy(sl->bytes + ct->len, b->data, b->len);
}

static int body_step(struct kc_insert *ins, sqlite3_stmt *st, uint64_t h,
                     const struct kc_bytes *ct, const struct kc_bytes *b)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t)h);
    kc_bind_bytes(st, 2, ct);
    kc_bind_bytes(st, 3, b);
    int rc = sqlite3_step(st);
    (void)ins;
    return rc;
}

/* The bodies row of (content type, body), inserting it on first sight;
 * 0 when both are absent. */
static int body_id(struct kc_insert *ins, const struct kc_bytes *ct,
                   const struct kc_bytes *b, int64_t *id,
                   struct kc_error *err)
{
    uint64_t h, fast;
    struct body_slot *sl;
    int rc;
    *id = 0;
    if (ct->data == NULL && b->data == NULL)
        return 0;
    fast = mix_bytes(mix_bytes(0, ct), b);
    sl = &ins->bodies[fast % BODY_CACHE];
    if (slot_matches(sl, fast, ct, b)) {
        *id = sl->id;
        return 0;
    }
    h = body_hash(ct, b);
    rc = body_step(ins, ins->body_get, h, ct, b);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(ins->body_get, 0);
    sqlite3_reset(ins->body_get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "finding a probe body");
    if (*id == 0) {
        rc = body_step(ins, ins->body_add, h, ct, b);
        sqlite3_reset(ins->body_add);
        if (rc != SQLITE_DONE)
            return kc_store_fail(ins->s, err, rc, "storing a probe body");
        *id = sqlite3_last_insert_rowid(ins->s->db);
    }
    slot_fill(sl, fast, *id, ct, b);
    return 0;
}

/* The whole fingerprint: a prefix would do for real SHA-256 values, but
 * certificates that share one (crafted, or test data) would then all
 * fight over a single slot and miss on every row. */
static size_t cert_slot_of(const char *sha)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < 64 && sha[i]; i++)
        h = (h ^ (unsigned char)sha[i]) * 16777619u;
    return h % CERT_CACHE;
}

static void bind_time_text(sqlite3_stmt *st, int i, int64_t epoch_s)
{
    char t[40];
    kc_format_time_utc(epoch_s * 1000000, false, t, sizeof(t));
    sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
}

static int cert_add(struct kc_insert *ins, const struct kc_cert_info *c,
                    struct kc_error *err)
{
    sqlite3_stmt *st = ins->cert_add;
    int rc;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, c->sha256, -1, SQLITE_STATIC);
    kc_bind_bytes(st, 2, &c->subject);
    kc_bind_bytes(st, 3, &c->subject_cn);
    kc_bind_bytes(st, 4, &c->issuer);
    kc_bind_bytes(st, 5, &c->issuer_cn);
    kc_bind_bytes(st, 6, &c->sans);
    sqlite3_bind_int64(st, 7, c->san_count);
    kc_bind_text_or_null(st, 8, c->key_type);
    sqlite3_bind_int64(st, 9, c->key_bits);
    kc_bind_text_or_null(st, 10, c->key_curve);
    kc_bind_text_or_null(st, 11, c->sig_alg);
    bind_time_text(st, 12, c->not_before);
    bind_time_text(st, 13, c->not_after);
    sqlite3_bind_int64(st, 14, c->chain_len);
    kc_bind_bytes(st, 15, &c->der);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "storing a certificate");
    return 0;
}

/* The certificate's row id, inserting it on first sight; 0 when none. */
static int cert_id(struct kc_insert *ins, const struct kc_cert_info *c,
                   int64_t *id, struct kc_error *err)
{
    struct cert_slot *slot;
    int rc;
    *id = 0;
    if (!c->present || c->sha256[0] == '\0')
        return 0;
    slot = &ins->cache[cert_slot_of(c->sha256)];
    if (slot->id != 0 && strcmp(slot->sha256, c->sha256) == 0) {
        *id = slot->id;
        return 0;
    }
    rc = cert_add(ins, c, err);
    if (rc != 0)
        return rc;
    sqlite3_reset(ins->cert_get);
    sqlite3_bind_text(ins->cert_get, 1, c->sha256, -1, SQLITE_STATIC);
    rc = sqlite3_step(ins->cert_get);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(ins->cert_get, 0);
    sqlite3_reset(ins->cert_get);
    if (rc != SQLITE_ROW)
        return kc_store_fail(ins->s, err, rc, "finding a certificate");
    kc_strlcpy(slot->sha256, c->sha256, sizeof(slot->sha256));
    slot->id = *id;
    return 0;
}

/* ---- texts: short repeated strings stored once ---- */

static uint32_t text_hash(const char *v, size_t *len)
{
    *len = strlen(v);
    return (uint32_t)kc_hash_bytes(0, v, *len);
}

static int text_step(struct kc_insert *ins, sqlite3_stmt *st, const char *v,
                     size_t len)
{
    int rc;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, v, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    (void)ins;
    return rc;
}

int kc_insert_text_id(struct kc_insert *ins, const char *v, int64_t *id,
                      struct kc_error *err)
{
    size_t len;
    uint32_t h;
    struct text_slot *sl;
    int rc;
    *id = 0;
    if (v == NULL || *v == '\0')
        return 0; /* NULL, as the schema documents for empty text */
    check_generation(ins);
    h = text_hash(v, &len);
    sl = &ins->texts[h % TEXT_CACHE];
    if (sl->id != 0 && sl->hash == h && strcmp(sl->s, v) == 0) {
        *id = sl->id;
        return 0;
    }
    rc = text_step(ins, ins->text_get, v, len);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(ins->text_get, 0);
    sqlite3_reset(ins->text_get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "finding a text");
    if (*id == 0) {
        rc = text_step(ins, ins->text_add, v, len);
        sqlite3_reset(ins->text_add);
        if (rc != SQLITE_DONE)
            return kc_store_fail(ins->s, err, rc, "storing a text");
        *id = sqlite3_last_insert_rowid(ins->s->db);
    }
    if (len < TEXT_CACHE_BYTES) {
        memcpy(sl->s, v, len + 1);
        sl->hash = h;
        sl->id = *id;
    }
    return 0;
}

static void bind_id_or_null(struct kc_bind_cache *c, sqlite3_stmt *st, int i,
                            int64_t id)
{
    if (id != 0)
        b_int(c, st, i, id);
    else
        b_null(c, st, i);
}

/* Binds texts.id of v (NULL for empty) to parameter i. */
static int bind_text_id(struct kc_insert *ins, sqlite3_stmt *st, int i,
                        const char *v, struct kc_error *err)
{
    int64_t id;
    int rc = kc_insert_text_id(ins, v, &id, err);
    if (rc == 0)
        bind_id_or_null(cache_of(ins, st), st, i, id);
    return rc;
}

/* A nullable enum: NULL for its NONE value (0), else the code. */
static void bind_code_or_null(struct kc_bind_cache *c, sqlite3_stmt *st, int i,
                              int code)
{
    if (code > 0)
        b_int(c, st, i, code);
    else
        b_null(c, st, i);
}

/* ---- versions: the /version fields after gitVersion, once per build ---- */

static void version_fields(const struct kc_result *r,
                           const struct kc_bytes *f[VERSION_FIELDS])
{
    f[0] = &r->version.major;
    f[1] = &r->version.minor;
    f[2] = &r->version.git_commit;
    f[3] = &r->version.git_tree_state;
    f[4] = &r->version.build_date;
    f[5] = &r->version.go_version;
    f[6] = &r->version.compiler;
    f[7] = &r->version.platform;
}

static bool version_slot_matches(const struct version_slot *sl, uint64_t h,
                                 const struct kc_bytes *f[VERSION_FIELDS])
{
    size_t off = 0;
    if (sl->id == 0 || sl->hash != h)
        return false;
    for (int k = 0; k < VERSION_FIELDS; k++) {
        if (f[k]->data == NULL) {
            if (sl->len[k] != 0xffff)
                return false;
            continue;
        }
        if (sl->len[k] != f[k]->len ||
            (f[k]->len && memcmp(sl->bytes + off, f[k]->data, f[k]->len)))
            return false;
        off += f[k]->len;
    }
    return true;
}

static void version_slot_fill(struct version_slot *sl, uint64_t h, int64_t id,
                              const struct kc_bytes *f[VERSION_FIELDS])
{
    size_t off = 0;
    for (int k = 0; k < VERSION_FIELDS; k++)
        off += f[k]->data ? f[k]->len : 0;
    if (off > VERSION_CACHE_BYTES)
        return;
    off = 0;
    for (int k = 0; k < VERSION_FIELDS; k++) {
        if (f[k]->data == NULL) {
            sl->len[k] = 0xffff;
            continue;
        }
        sl->len[k] = (uint16_t)f[k]->len;
        if (f[k]->len)
            memcpy(sl->bytes + off, f[k]->data, f[k]->len);
        off += f[k]->len;
    }
    sl->hash = h;
    sl->id = id;
}

static int version_step(sqlite3_stmt *st,
                        const struct kc_bytes *f[VERSION_FIELDS])
{
    sqlite3_reset(st);
    for (int k = 0; k < VERSION_FIELDS; k++)
        kc_bind_bytes(st, k + 1, f[k]);
    return sqlite3_step(st);
}

/* The versions row of r's /version fields; 0 when all are absent. */
static int version_id(struct kc_insert *ins, const struct kc_result *r,
                      int64_t *id, struct kc_error *err)
{
    const struct kc_bytes *f[VERSION_FIELDS];
    uint64_t h = 0;
    bool any = false;
    struct version_slot *sl;
    int rc;
    *id = 0;
    version_fields(r, f);
    for (int k = 0; k < VERSION_FIELDS; k++) {
        any |= f[k]->data != NULL;
        h = mix_bytes(h, f[k]);
    }
    if (!any)
        return 0;
    check_generation(ins);
    sl = &ins->versions[h % VERSION_CACHE];
    if (version_slot_matches(sl, h, f)) {
        *id = sl->id;
        return 0;
    }
    rc = version_step(ins->version_get, f);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(ins->version_get, 0);
    sqlite3_reset(ins->version_get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "finding a /version document");
    if (*id == 0) {
        rc = version_step(ins->version_add, f);
        sqlite3_reset(ins->version_add);
        if (rc != SQLITE_DONE)
            return kc_store_fail(ins->s, err, rc,
                                 "storing a /version document");
        *id = sqlite3_last_insert_rowid(ins->s->db);
    }
    version_slot_fill(sl, h, *id, f);
    return 0;
}

/* ---- the result row ---- */

/* IPv4 as an integer; anything else as its text form (schema v4). */
static void bind_identity(struct kc_bind_cache *c, sqlite3_stmt *st,
                          int64_t scan_id, const struct kc_result *r, char *ip,
                          size_t ipsz)
{
    b_int(c, st, KC_RP_SCAN_ID, scan_id);
    b_int(c, st, KC_RP_TARGET_INDEX, (int64_t)r->target_index);
    if (r->addr.family == AF_INET) {
        b_int(c, st, KC_RP_ADDR, kc_addr_v4(&r->addr));
        b_null(c, st, KC_RP_IP6);
    } else {
        kc_addr_format(&r->addr, ip, ipsz);
        sqlite3_bind_text(st, KC_RP_ADDR, ip, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, KC_RP_IP6, r->addr.bytes, 16, SQLITE_STATIC);
        b_other(c, KC_RP_ADDR);
        b_other(c, KC_RP_IP6);
    }
    b_int(c, st, KC_RP_PORT, r->port);
    sqlite3_bind_text(st, KC_RP_SNI, r->sni, -1, SQLITE_STATIC);
    b_other(c, KC_RP_SNI);
}

/* started_at: integer ms since the epoch; finished_at as duration_ms. */
static int bind_transport(struct kc_insert *ins, sqlite3_stmt *st,
                          const struct kc_result *r, struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    int64_t started = kc_time_ms(r->started_us);
    int rc;
    b_int(c, st, KC_RP_OUTCOME, (int)r->outcome);
    bind_code_or_null(c, st, KC_RP_PHASE, (int)r->phase);
    b_int(c, st, KC_RP_STARTED_AT, started);
    b_int(c, st, KC_RP_DURATION_MS, kc_time_ms(r->finished_us) - started);
    b_int(c, st, KC_RP_CONNECT_US, r->connect_us);
    b_int(c, st, KC_RP_TLS_US, r->tls_us);
    b_int(c, st, KC_RP_RTT_US, r->rtt_us);
    b_int(c, st, KC_RP_ATTEMPTS, r->attempts);
    b_int(c, st, KC_RP_CONNECTIONS, r->connections);
    b_int(c, st, KC_RP_PROBE_SET, (int)r->probe_set);
    rc = bind_text_id(ins, st, KC_RP_DETAIL, r->detail, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, KC_RP_TLS_VERSION, r->tls_version, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, KC_RP_CIPHER, r->cipher, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, KC_RP_ALPN, r->alpn, err);
    return rc;
}

/* The verdict's parameters, shared with kc_store_update_verdict (read.c). */
int kc_bind_verdict(struct kc_insert *ins, sqlite3_stmt *st,
                    const struct kc_result *r, struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    int64_t vid;
    int rc;
    kc_bind_int_nullable(c, st, KC_RP_IS_KUBERNETES, r->is_kubernetes);
    bind_code_or_null(c, st, KC_RP_POSTURE, (int)r->posture);
    kc_bind_bytes(st, KC_RP_GIT_VERSION, &r->git_version);
    b_other(c, KC_RP_GIT_VERSION);
    kc_bind_int_nullable(c, st, KC_RP_MAJOR, r->major);
    kc_bind_int_nullable(c, st, KC_RP_MINOR, r->minor);
    kc_bind_int_nullable(c, st, KC_RP_PATCH, r->patch);
    if (r->major >= 0)
        b_int(c, st, KC_RP_PRERELEASE, r->prerelease);
    else
        b_null(c, st, KC_RP_PRERELEASE);
    bind_code_or_null(c, st, KC_RP_VENDOR, (int)r->vendor);
    kc_bind_int_nullable(c, st, KC_RP_CLUSTER_INFO_READABLE,
                         r->cluster_info_readable);
    kc_bind_text_or_null(st, KC_RP_CLUSTER_CA_SHA256, r->cluster_ca_sha256);
    b_other(c, KC_RP_CLUSTER_CA_SHA256);
    kc_bind_int_nullable(c, st, KC_RP_JWS_KEYS, r->jws_keys);
    kc_bind_int_nullable(c, st, KC_RP_NAMESPACES_COUNT, r->namespaces_count);
    rc = bind_text_id(ins, st, KC_RP_EVIDENCE, r->evidence, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, KC_RP_VENDOR_SUFFIX, r->vendor_suffix, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, KC_RP_CLASSIFIER_VERSION,
                          r->classifier_version, err);
    if (rc == 0)
        rc = version_id(ins, r, &vid, err);
    if (rc == 0)
        bind_id_or_null(c, st, KC_RP_VERSION_ID, vid);
    return rc;
}

/* The geo parameters, shared with kc_store_update_geo (read.c). */
int kc_bind_geo(struct kc_insert *ins, sqlite3_stmt *st,
                const struct kc_result *r, struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    kc_bind_text_or_null(st, KC_RP_COUNTRY, r->country);
    b_other(c, KC_RP_COUNTRY);
    if (r->asn != 0)
        b_int(c, st, KC_RP_ASN, r->asn);
    else
        b_null(c, st, KC_RP_ASN);
    bind_code_or_null(c, st, KC_RP_PROVIDER, (int)r->provider);
    return bind_text_id(ins, st, KC_RP_AS_ORG, r->as_org, err);
}

/* ---- probes ---- */

/* "INSERT ... VALUES (?,..),(?,..)" for n probe rows (seq >= 1), prepared
 * on first use. */
static int probe_stmt(struct kc_insert *ins, size_t n, sqlite3_stmt **out,
                      struct kc_error *err)
{
    char sql[sizeof(probe_head_sql) + KC_PROBE__COUNT * 24];
    size_t off;
    int rc;
    if (ins->probes[n] != NULL) {
        *out = ins->probes[n];
        return 0;
    }
    off = kc_snprintf(sql, sizeof(sql), "%s", probe_head_sql);
    for (size_t i = 0; i < n; i++)
        off += kc_snprintf(sql + off, sizeof(sql) - off,
                           "%s(?,?,?,?,?,?,?,?,?)", i ? "," : "");
    rc = kc_store_prepare(ins->s, sql, &ins->probes[n], err);
    *out = ins->probes[n];
    return rc;
}

/* A probe row's columns 3..9 (probe .. rtt_us) at parameters base + 3..9:
 * probe_rows' statements and the result row's p0_* columns. */
static int bind_probe_fields(struct kc_insert *ins, sqlite3_stmt *st,
                             int base, const struct kc_probe_result *p,
                             struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    int64_t bid;
    int rc = body_id(ins, &p->content_type, &p->body, &bid, err);
    if (rc != 0)
        return rc;
    b_int(c, st, base + 3, (int)p->id); /* the probes view names it */
    b_int(c, st, base + 4,
          (p->sent ? 1 : 0) | (p->answered ? 2 : 0) |
              (p->has_audit_id ? 4 : 0) | (p->has_pf_flowschema ? 8 : 0) |
              (p->has_pf_prioritylevel ? 16 : 0));
    if (p->answered || !p->sent)
        b_null(c, st, base + 5);
    else
        b_int(c, st, base + 5, (int)p->outcome);
    if (p->answered)
        b_int(c, st, base + 6, p->status);
    else
        b_null(c, st, base + 6);
    bind_id_or_null(c, st, base + 7, bid);
    b_int(c, st, base + 8, (int64_t)p->body_total);
    b_int(c, st, base + 9, p->rtt_us);
    return 0;
}

static int bind_probe(struct kc_insert *ins, sqlite3_stmt *st, int base,
                      int64_t result_id, int seq,
                      const struct kc_probe_result *p, struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    b_int(c, st, base + 1, result_id);
    b_int(c, st, base + 2, seq);
    return bind_probe_fields(ins, st, base, p, err);
}

/* Probe 0 into the result row's p0_* columns, or NULLs without probes. */
static int bind_probe0(struct kc_insert *ins, sqlite3_stmt *st,
                       const struct kc_result *r, struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    if (r->n_probes > 0)
        return bind_probe_fields(ins, st, KC_RP_P0_BASE, &r->probes[0], err);
    for (int i = KC_RP_P0_BASE + 3; i <= KC_RP_P0_BASE + 9; i++)
        b_null(c, st, i);
    return 0;
}

static int insert_probes(struct kc_insert *ins, int64_t result_id,
                         const struct kc_result *r, struct kc_error *err)
{
    size_t n = r->n_probes < KC_PROBE__COUNT ? r->n_probes : KC_PROBE__COUNT;
    sqlite3_stmt *st;
    int rc;
    if (n <= 1)
        return 0; /* none, or only probe 0: stored in the result row */
    rc = probe_stmt(ins, n - 1, &st, err);
    if (rc != 0)
        return rc;
    sqlite3_reset(st);
    for (size_t i = 1; rc == 0 && i < n; i++)
        rc = bind_probe(ins, st, (int)(i - 1) * PROBE_COLS, result_id,
                        (int)i, &r->probes[i], err);
    if (rc != 0)
        return rc;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "storing a probe");
    return 0;
}

/* No verdict but is_kubernetes and the classifier: result_short_sql. */
static bool verdict_empty(const struct kc_result *r)
{
    const struct kc_bytes *f[VERSION_FIELDS];
    version_fields(r, f);
    for (int k = 0; k < VERSION_FIELDS; k++)
        if (f[k]->data != NULL)
            return false;
    return r->git_version.data == NULL && r->evidence[0] == '\0' &&
           r->posture == KC_POSTURE_NONE && r->major < 0 && r->minor < 0 &&
           r->patch < 0 && r->vendor == KC_VENDOR_NONE &&
           r->vendor_suffix[0] == '\0' && r->cluster_info_readable < 0 &&
           r->cluster_ca_sha256[0] == '\0' && r->jws_keys < 0 &&
           r->namespaces_count < 0;
}

static int bind_result(struct kc_insert *ins, sqlite3_stmt *st,
                       const struct kc_result *r, bool full, char *ip,
                       size_t ipsz, struct kc_error *err)
{
    struct kc_bind_cache *c = cache_of(ins, st);
    int64_t cid, cls;
    int rc = cert_id(ins, &r->cert, &cid, err);
    if (rc != 0)
        return rc;
    sqlite3_reset(st);
    bind_identity(c, st, ins->scan_id, r, ip, ipsz);
    bind_id_or_null(c, st, KC_RP_CERT_ID, cid);
    rc = bind_transport(ins, st, r, err);
    if (rc == 0 && full) {
        rc = kc_bind_verdict(ins, st, r, err);
    } else if (rc == 0) {
        kc_bind_int_nullable(c, st, KC_RP_IS_KUBERNETES, r->is_kubernetes);
        rc = kc_insert_text_id(ins, r->classifier_version, &cls, err);
        bind_id_or_null(c, st, KC_RP_CLASSIFIER_VERSION, cls);
    }
    if (rc == 0)
        rc = kc_bind_geo(ins, st, r, err);
    if (rc == 0)
        rc = bind_probe0(ins, st, r, err);
    return rc;
}

int kc_insert_result(struct kc_insert *ins, const struct kc_result *r,
                     struct kc_error *err)
{
    bool full = !verdict_empty(r);
    sqlite3_stmt *st = full ? ins->result : ins->result_short;
    char ip[64];
    int64_t rid;
    int rc;
    check_generation(ins);
    rc = bind_result(ins, st, r, full, ip, sizeof(ip), err);
    if (rc != 0)
        return rc;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "storing a result");
    if (sqlite3_changes(ins->s->db) == 0)
        return 0; /* already stored: a re-dispatched target */
    rid = sqlite3_last_insert_rowid(ins->s->db);
    rc = insert_probes(ins, rid, r, err);
    return rc != 0 ? rc : 1;
}

int kc_insert_begin(struct kc_insert *ins, struct kc_error *err)
{
    /* A no-op inside a transaction, so it must precede BEGIN. */
    int rc = kc_store_exec(ins->s, "PRAGMA foreign_keys = OFF", err);
    if (rc == 0)
        rc = kc_store_exec(ins->s, "BEGIN IMMEDIATE", err);
    if (rc != 0)
        kc_store_exec(ins->s, "PRAGMA foreign_keys = ON", NULL);
    return rc;
}

int kc_insert_end(struct kc_insert *ins, int rc, struct kc_error *err)
{
    if (rc == 0)
        rc = kc_store_exec(ins->s, "COMMIT", err);
    if (rc != 0) {
        sqlite3_exec(ins->s->db, "ROLLBACK", NULL, NULL, NULL);
        ins->s->rollbacks++;
        kc_insert_forget(ins);
    }
    /* Outside any transaction again (COMMIT or ROLLBACK ended it). */
    kc_store_exec(ins->s, "PRAGMA foreign_keys = ON", NULL);
    return rc;
}
