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
    char sha256[65];
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
#define BIND_SLOTS 64 /* > 55 (result_sql) and 6 x 9 (probes) */

enum bind_state { BOUND_UNKNOWN = 0, BOUND_INT, BOUND_NULL };

struct bind_cache {
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
    struct bind_cache result_bound, short_bound;
    struct bind_cache probes_bound[KC_PROBE__COUNT + 1];
    struct cert_slot cache[CERT_CACHE];
    struct body_slot *bodies;     /* BODY_CACHE slots */
    struct version_slot *versions; /* VERSION_CACHE slots */
    struct text_slot *texts;       /* TEXT_CACHE slots */
};

/* The first probe, inline in the result row (schema v4): parameters
 * 49..55 are a probe row's columns 3..9 (bind_probe_fields, base 46). */
#define P0_COLS                                                            \
    ", p0_probe, p0_flags, p0_outcome, p0_status, p0_body_id,"            \
    " p0_body_total, p0_rtt_us"
#define P0_PARAMS ", ?49, ?50, ?51, ?52, ?53, ?54, ?55"
#define P0_BASE 46

/* Schema v5: the connections the recorded attempt used. */
#define CONNECTIONS_COL ", connections"
#define CONNECTIONS_PARAM ", ?56"
#define CONNECTIONS_PARAM_NO 56

/* Column numbers of result_sql: update statements in read.c bind the same
 * numbers through kc_bind_verdict / kc_bind_geo. */
static const char result_sql[] =
    "INSERT OR IGNORE INTO result_rows (scan_id, target_index, addr, ip6,"
    " port, sni, outcome, phase, detail, started_at, duration_ms,"
    " connect_us, tls_us, rtt_us, attempts, tls_version, cipher, alpn,"
    " cert_id, probe_set, is_kubernetes, evidence, posture, git_version,"
    " major, minor, patch, prerelease, vendor, vendor_suffix, version_id,"
    " cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count,"
    " classifier_version, country, asn, as_org, provider" P0_COLS
    CONNECTIONS_COL ")"
    " VALUES (?1, ?2, ?3, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
    " ?29, ?30, ?31, ?32, ?40, ?41, ?42, ?43, ?44, ?45, ?46, ?47, ?48"
    P0_PARAMS CONNECTIONS_PARAM ")";

/* The same without the Kubernetes columns (NULL by omission), for the
 * common row that has no verdict beyond is_kubernetes: ~20 fewer bound
 * parameters per row. Same parameter numbers. */
static const char result_short_sql[] =
    "INSERT OR IGNORE INTO result_rows (scan_id, target_index, addr, ip6,"
    " port, sni, outcome, phase, detail, started_at, duration_ms,"
    " connect_us, tls_us, rtt_us, attempts, tls_version, cipher, alpn,"
    " cert_id, probe_set, is_kubernetes, classifier_version, country, asn,"
    " as_org, provider" P0_COLS CONNECTIONS_COL ")"
    " VALUES (?1, ?2, ?3, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?44, ?45, ?46, ?47, ?48"
    P0_PARAMS CONNECTIONS_PARAM ")";

#define PROBE_COLS 9
static const char probe_head_sql[] =
    "INSERT OR IGNORE INTO probe_rows (result_id, seq, probe, flags, outcome,"
    " status, body_id, body_total, rtt_us) VALUES ";

static const char body_add_sql[] =
    "INSERT INTO bodies (hash, content_type, body) VALUES (?1, ?2, ?3)";

static const char body_get_sql[] =
    "SELECT id FROM bodies WHERE hash = ?1 AND content_type IS ?2"
    " AND body IS ?3";

static const char text_add_sql[] = "INSERT INTO texts (value) VALUES (?1)";
static const char text_get_sql[] = "SELECT id FROM texts WHERE value = ?1";

static const char version_add_sql[] =
    "INSERT INTO versions (v_major, v_minor, git_commit, git_tree_state,"
    " build_date, go_version, compiler, platform)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static const char version_get_sql[] =
    "SELECT id FROM versions WHERE git_commit IS ?3 AND build_date IS ?5"
    " AND v_major IS ?1 AND v_minor IS ?2 AND git_tree_state IS ?4"
    " AND go_version IS ?6 AND compiler IS ?7 AND platform IS ?8";

static const char cert_add_sql[] =
    "INSERT OR IGNORE INTO certificates (sha256, subject, subject_cn, issuer,"
    " issuer_cn, sans, san_count, key_type, key_bits, key_curve, sig_alg,"
    " not_before, not_after, chain_len, der)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15)";

static const char cert_get_sql[] =
    "SELECT id FROM certificates WHERE sha256 = ?1";

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
static struct bind_cache *cache_of(struct kc_insert *ins, sqlite3_stmt *st)
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

static void b_int(struct bind_cache *c, sqlite3_stmt *st, int i, int64_t v)
{
    if (c != NULL && c->state[i] == BOUND_INT && c->v[i] == v)
        return;
    sqlite3_bind_int64(st, i, v);
    if (c != NULL) {
        c->state[i] = BOUND_INT;
        c->v[i] = v;
    }
}

static void b_null(struct bind_cache *c, sqlite3_stmt *st, int i)
{
    if (c != NULL && c->state[i] == BOUND_NULL)
        return;
    sqlite3_bind_null(st, i);
    if (c != NULL)
        c->state[i] = BOUND_NULL;
}

/* NULL for negative values (the -1 markers of struct kc_result). */
static void b_int_or_null(struct bind_cache *c, sqlite3_stmt *st, int i,
                          int64_t v)
{
    if (v < 0)
        b_null(c, st, i);
    else
        b_int(c, st, i, v);
}

/* Parameter i was bound to text or a blob (always bound again: the
 * pointers are the row's). */
static void b_other(struct bind_cache *c, int i)
{
    if (c != NULL)
        c->state[i] = BOUND_UNKNOWN;
}

/* FNV-1a over (content type, body), presence and lengths included. */
static uint64_t body_hash(const struct kc_bytes *ct, const struct kc_bytes *b)
{
    uint64_t h = 14695981039346656037ull;
    const struct kc_bytes *parts[2] = {ct, b};
    for (int k = 0; k < 2; k++) {
        uint64_t len = parts[k]->data ? parts[k]->len + 1 : 0;
        for (int i = 0; i < 8; i++)
            h = (h ^ ((len >> (8 * i)) & 0xff)) * 1099511628211ull;
        for (size_t i = 0; parts[k]->data && i < parts[k]->len; i++)
            h = (h ^ (unsigned char)parts[k]->data[i]) * 1099511628211ull;
    }
    return h;
}

/* Cache slot hash of (content type, body): 8 bytes per step, memory only
 * (the stored bodies.hash stays FNV-1a, computed on a cache miss). */
static uint64_t mix_bytes(uint64_t h, const struct kc_bytes *b)
{
    const unsigned char *p = (const unsigned char *)b->data;
    size_t n = b->data ? b->len : 0;
    h = (h ^ (b->data ? n + 1 : 0)) * 0x9e3779b97f4a7c15ull;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    for (; n > 0; n--, p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h ^ (h >> 32);
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
    uint32_t h = 2166136261u;
    size_t n = 0;
    for (; v[n]; n++)
        h = (h ^ (unsigned char)v[n]) * 16777619u;
    *len = n;
    return h;
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

static void bind_id_or_null(struct bind_cache *c, sqlite3_stmt *st, int i,
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
static void bind_code_or_null(struct bind_cache *c, sqlite3_stmt *st, int i,
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
static void bind_identity(struct bind_cache *c, sqlite3_stmt *st,
                          int64_t scan_id, const struct kc_result *r, char *ip,
                          size_t ipsz)
{
    b_int(c, st, 1, scan_id);
    b_int(c, st, 2, (int64_t)r->target_index);
    if (r->addr.family == AF_INET) {
        b_int(c, st, 3, kc_addr_v4(&r->addr));
        b_null(c, st, 5);
    } else {
        kc_addr_format(&r->addr, ip, ipsz);
        sqlite3_bind_text(st, 3, ip, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, r->addr.bytes, 16, SQLITE_STATIC);
        b_other(c, 3);
        b_other(c, 5);
    }
    b_int(c, st, 6, r->port);
    sqlite3_bind_text(st, 7, r->sni, -1, SQLITE_STATIC);
    b_other(c, 7);
}

/* started_at: integer ms since the epoch; finished_at as duration_ms. */
static int bind_transport(struct kc_insert *ins, sqlite3_stmt *st,
                          const struct kc_result *r, struct kc_error *err)
{
    struct bind_cache *c = cache_of(ins, st);
    int64_t started = kc_time_ms(r->started_us);
    int rc;
    b_int(c, st, 8, (int)r->outcome);
    bind_code_or_null(c, st, 9, (int)r->phase);
    b_int(c, st, 11, started);
    b_int(c, st, 12, kc_time_ms(r->finished_us) - started);
    b_int(c, st, 13, r->connect_us);
    b_int(c, st, 14, r->tls_us);
    b_int(c, st, 15, r->rtt_us);
    b_int(c, st, 16, r->attempts);
    b_int(c, st, CONNECTIONS_PARAM_NO, r->connections);
    b_int(c, st, 21, (int)r->probe_set);
    rc = bind_text_id(ins, st, 10, r->detail, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, 17, r->tls_version, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, 18, r->cipher, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, 19, r->alpn, err);
    return rc;
}

/* Verdict parameters 22..32 and 40..44, shared with kc_store_update_verdict
 * via the same numbering (see read.c). */
int kc_bind_verdict(struct kc_insert *ins, sqlite3_stmt *st,
                    const struct kc_result *r, struct kc_error *err)
{
    struct bind_cache *c = cache_of(ins, st);
    int64_t vid;
    int rc;
    b_int_or_null(c, st, 22, r->is_kubernetes);
    bind_code_or_null(c, st, 24, (int)r->posture);
    kc_bind_bytes(st, 25, &r->git_version);
    b_other(c, 25);
    b_int_or_null(c, st, 26, r->major);
    b_int_or_null(c, st, 27, r->minor);
    b_int_or_null(c, st, 28, r->patch);
    if (r->major >= 0)
        b_int(c, st, 29, r->prerelease);
    else
        b_null(c, st, 29);
    bind_code_or_null(c, st, 30, (int)r->vendor);
    b_int_or_null(c, st, 40, r->cluster_info_readable);
    kc_bind_text_or_null(st, 41, r->cluster_ca_sha256);
    b_other(c, 41);
    b_int_or_null(c, st, 42, r->jws_keys);
    b_int_or_null(c, st, 43, r->namespaces_count);
    rc = bind_text_id(ins, st, 23, r->evidence, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, 31, r->vendor_suffix, err);
    if (rc == 0)
        rc = bind_text_id(ins, st, 44, r->classifier_version, err);
    if (rc == 0)
        rc = version_id(ins, r, &vid, err);
    if (rc == 0)
        bind_id_or_null(c, st, 32, vid);
    return rc;
}

/* Geo parameters 45..48 (same numbering in kc_store_update_geo). */
int kc_bind_geo(struct kc_insert *ins, sqlite3_stmt *st,
                const struct kc_result *r, struct kc_error *err)
{
    struct bind_cache *c = cache_of(ins, st);
    kc_bind_text_or_null(st, 45, r->country);
    b_other(c, 45);
    if (r->asn != 0)
        b_int(c, st, 46, r->asn);
    else
        b_null(c, st, 46);
    bind_code_or_null(c, st, 48, (int)r->provider);
    return bind_text_id(ins, st, 47, r->as_org, err);
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
    struct bind_cache *c = cache_of(ins, st);
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
    struct bind_cache *c = cache_of(ins, st);
    b_int(c, st, base + 1, result_id);
    b_int(c, st, base + 2, seq);
    return bind_probe_fields(ins, st, base, p, err);
}

/* Probe 0 into the result row's p0_* columns, or NULLs without probes. */
static int bind_probe0(struct kc_insert *ins, sqlite3_stmt *st,
                       const struct kc_result *r, struct kc_error *err)
{
    struct bind_cache *c = cache_of(ins, st);
    if (r->n_probes > 0)
        return bind_probe_fields(ins, st, P0_BASE, &r->probes[0], err);
    for (int i = P0_BASE + 3; i <= P0_BASE + 9; i++)
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
    struct bind_cache *c = cache_of(ins, st);
    int64_t cid, cls;
    int rc = cert_id(ins, &r->cert, &cid, err);
    if (rc != 0)
        return rc;
    sqlite3_reset(st);
    bind_identity(c, st, ins->scan_id, r, ip, ipsz);
    bind_id_or_null(c, st, 20, cid);
    rc = bind_transport(ins, st, r, err);
    if (rc == 0 && full) {
        rc = kc_bind_verdict(ins, st, r, err);
    } else if (rc == 0) {
        b_int_or_null(c, st, 22, r->is_kubernetes);
        rc = kc_insert_text_id(ins, r->classifier_version, &cls, err);
        bind_id_or_null(c, st, 44, cls);
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
