/* insert.c - one result into results, probe_rows, bodies and certificates, with
 * prepared statements reused for the whole batch. */
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

/* Recently stored probe bodies (with their content type), verified byte
 * for byte: a hash alone could be forged by a hostile server. */
#define BODY_CACHE 1024
#define BODY_CACHE_BYTES 496

struct body_slot {
    int64_t id; /* 0 = empty */
    uint64_t hash;
    uint16_t ct_len, body_len;
    bool has_ct, has_body;
    char bytes[BODY_CACHE_BYTES]; /* content type, then body */
};

struct kc_insert {
    struct kc_store *s;
    int64_t scan_id;
    sqlite3_stmt *result, *probe, *cert_add, *cert_get, *body_add, *body_get;
    struct cert_slot cache[CERT_CACHE];
    struct body_slot *bodies; /* BODY_CACHE slots */
};

static const char result_sql[] =
    "INSERT OR IGNORE INTO results (scan_id, target_index, ip, ip_int, ip6,"
    " port, sni, outcome, phase, detail, started_at, finished_at, connect_us,"
    " tls_us, rtt_us, attempts, tls_version, cipher, alpn, cert_id,"
    " probe_set, is_kubernetes, evidence, posture, git_version, major, minor,"
    " patch, prerelease, vendor, vendor_suffix, v_major, v_minor, git_commit,"
    " git_tree_state, build_date, go_version, compiler, platform,"
    " cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count,"
    " classifier_version, country, asn, as_org, provider)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
    " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42,"
    " ?43, ?44, ?45, ?46, ?47, ?48)";

static const char probe_sql[] =
    "INSERT OR IGNORE INTO probe_rows (result_id, seq, probe, sent, answered,"
    " outcome, status, has_audit_id, has_pf_flowschema, has_pf_prioritylevel,"
    " body_id, body_total, rtt_us)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?14)";

static const char body_add_sql[] =
    "INSERT INTO bodies (hash, content_type, body) VALUES (?1, ?2, ?3)";

static const char body_get_sql[] =
    "SELECT id FROM bodies WHERE hash = ?1 AND content_type IS ?2"
    " AND body IS ?3";

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
    sqlite3_finalize(ins->probe);
    sqlite3_finalize(ins->cert_add);
    sqlite3_finalize(ins->cert_get);
    sqlite3_finalize(ins->body_add);
    sqlite3_finalize(ins->body_get);
    free(ins->bodies);
    free(ins);
}

int kc_insert_new(struct kc_store *s, int64_t scan_id, struct kc_insert **out,
                  struct kc_error *err)
{
    struct kc_insert *ins = calloc(1, sizeof(*ins));
    int rc;
    if (ins == NULL || (ins->bodies = calloc(BODY_CACHE,
                                              sizeof(*ins->bodies))) == NULL) {
        free(ins);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    ins->s = s;
    ins->scan_id = scan_id;
    rc = kc_store_prepare(s, result_sql, &ins->result, err);
    if (rc == 0)
        rc = kc_store_prepare(s, probe_sql, &ins->probe, err);
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
    uint64_t h;
    struct body_slot *sl;
    int rc;
    *id = 0;
    if (ct->data == NULL && b->data == NULL)
        return 0;
    h = body_hash(ct, b);
    sl = &ins->bodies[h % BODY_CACHE];
    if (slot_matches(sl, h, ct, b)) {
        *id = sl->id;
        return 0;
    }
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
    slot_fill(sl, h, *id, ct, b);
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

static void bind_identity(sqlite3_stmt *st, int64_t scan_id,
                          const struct kc_result *r, char *ip, size_t ipsz)
{
    sqlite3_bind_int64(st, 1, scan_id);
    sqlite3_bind_int64(st, 2, (int64_t)r->target_index);
    kc_addr_format(&r->addr, ip, ipsz);
    sqlite3_bind_text(st, 3, ip, -1, SQLITE_STATIC);
    if (r->addr.family == AF_INET) {
        sqlite3_bind_int64(st, 4, kc_addr_v4(&r->addr));
        sqlite3_bind_null(st, 5);
    } else {
        sqlite3_bind_null(st, 4);
        sqlite3_bind_blob(st, 5, r->addr.bytes, 16, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 6, r->port);
    sqlite3_bind_text(st, 7, r->sni, -1, SQLITE_STATIC);
}

/* Timestamps are integer milliseconds since the epoch (schema v3). */
static void bind_transport(sqlite3_stmt *st, const struct kc_result *r)
{
    sqlite3_bind_text(st, 8, kc_outcome_str(r->outcome), -1, SQLITE_STATIC);
    kc_bind_text_or_null(st, 9, kc_phase_str(r->phase));
    kc_bind_text_or_null(st, 10, r->detail);
    sqlite3_bind_int64(st, 11, kc_time_ms(r->started_us));
    sqlite3_bind_int64(st, 12, kc_time_ms(r->finished_us));
    sqlite3_bind_int64(st, 13, r->connect_us);
    sqlite3_bind_int64(st, 14, r->tls_us);
    sqlite3_bind_int64(st, 15, r->rtt_us);
    sqlite3_bind_int64(st, 16, r->attempts);
    kc_bind_text_or_null(st, 17, r->tls_version);
    kc_bind_text_or_null(st, 18, r->cipher);
    kc_bind_text_or_null(st, 19, r->alpn);
    sqlite3_bind_text(st, 21, kc_probe_set_str(r->probe_set), -1,
                      SQLITE_STATIC);
}

/* Verdict columns 22..44, shared with kc_store_update_verdict via the
 * same numbering (see read.c). */
void kc_bind_verdict(sqlite3_stmt *st, const struct kc_result *r)
{
    kc_bind_int_or_null(st, 22, r->is_kubernetes);
    kc_bind_text_or_null(st, 23, r->evidence);
    kc_bind_text_or_null(st, 24, kc_posture_str(r->posture));
    kc_bind_bytes(st, 25, &r->git_version);
    kc_bind_int_or_null(st, 26, r->major);
    kc_bind_int_or_null(st, 27, r->minor);
    kc_bind_int_or_null(st, 28, r->patch);
    if (r->major >= 0)
        sqlite3_bind_int(st, 29, r->prerelease);
    else
        sqlite3_bind_null(st, 29);
    kc_bind_text_or_null(st, 30, kc_vendor_str(r->vendor));
    kc_bind_text_or_null(st, 31, r->vendor_suffix);
    kc_bind_bytes(st, 32, &r->version.major);
    kc_bind_bytes(st, 33, &r->version.minor);
    kc_bind_bytes(st, 34, &r->version.git_commit);
    kc_bind_bytes(st, 35, &r->version.git_tree_state);
    kc_bind_bytes(st, 36, &r->version.build_date);
    kc_bind_bytes(st, 37, &r->version.go_version);
    kc_bind_bytes(st, 38, &r->version.compiler);
    kc_bind_bytes(st, 39, &r->version.platform);
    kc_bind_int_or_null(st, 40, r->cluster_info_readable);
    kc_bind_text_or_null(st, 41, r->cluster_ca_sha256);
    kc_bind_int_or_null(st, 42, r->jws_keys);
    kc_bind_int_or_null(st, 43, r->namespaces_count);
    kc_bind_text_or_null(st, 44, r->classifier_version);
}

/* Geo columns 45..48 (same numbering in kc_store_update_geo). */
void kc_bind_geo(sqlite3_stmt *st, const struct kc_result *r)
{
    kc_bind_text_or_null(st, 45, r->country);
    if (r->asn != 0)
        sqlite3_bind_int64(st, 46, r->asn);
    else
        sqlite3_bind_null(st, 46);
    kc_bind_text_or_null(st, 47, r->as_org);
    kc_bind_text_or_null(st, 48, kc_provider_str(r->provider));
}

static int insert_probe(struct kc_insert *ins, int64_t result_id, int seq,
                        const struct kc_probe_result *p, struct kc_error *err)
{
    sqlite3_stmt *st = ins->probe;
    int64_t bid;
    int rc = body_id(ins, &p->content_type, &p->body, &bid, err);
    if (rc != 0)
        return rc;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, result_id);
    sqlite3_bind_int(st, 2, seq);
    sqlite3_bind_int(st, 3, (int)p->id); /* the probes view names it */
    sqlite3_bind_int(st, 4, p->sent);
    sqlite3_bind_int(st, 5, p->answered);
    if (p->answered || !p->sent)
        sqlite3_bind_null(st, 6);
    else
        sqlite3_bind_text(st, 6, kc_outcome_str(p->outcome), -1,
                          SQLITE_STATIC);
    if (p->answered)
        sqlite3_bind_int(st, 7, p->status);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_int(st, 8, p->has_audit_id);
    sqlite3_bind_int(st, 9, p->has_pf_flowschema);
    sqlite3_bind_int(st, 10, p->has_pf_prioritylevel);
    if (bid != 0)
        sqlite3_bind_int64(st, 11, bid);
    else
        sqlite3_bind_null(st, 11);
    sqlite3_bind_int64(st, 13, (int64_t)p->body_total);
    sqlite3_bind_int64(st, 14, p->rtt_us);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "storing a probe");
    return 0;
}

int kc_insert_result(struct kc_insert *ins, const struct kc_result *r,
                     struct kc_error *err)
{
    sqlite3_stmt *st = ins->result;
    char ip[64];
    int64_t cid, rid;
    int rc = cert_id(ins, &r->cert, &cid, err);
    if (rc != 0)
        return rc;
    sqlite3_reset(st);
    bind_identity(st, ins->scan_id, r, ip, sizeof(ip));
    bind_transport(st, r);
    if (cid != 0)
        sqlite3_bind_int64(st, 20, cid);
    else
        sqlite3_bind_null(st, 20);
    kc_bind_verdict(st, r);
    kc_bind_geo(st, r);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return kc_store_fail(ins->s, err, rc, "storing a result");
    if (sqlite3_changes(ins->s->db) == 0)
        return 0; /* already stored: a re-dispatched target */
    rid = sqlite3_last_insert_rowid(ins->s->db);
    for (size_t i = 0; i < r->n_probes && i < KC_PROBE__COUNT; i++) {
        rc = insert_probe(ins, rid, (int)i, &r->probes[i], err);
        if (rc != 0)
            return rc;
    }
    return 1;
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
        kc_insert_forget(ins);
    }
    /* Outside any transaction again (COMMIT or ROLLBACK ended it). */
    kc_store_exec(ins->s, "PRAGMA foreign_keys = ON", NULL);
    return rc;
}
