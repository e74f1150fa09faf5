/* read.c - rebuilding results for re-classification and enrichment, and
 * rewriting their verdict or location columns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "storage-private.h"

/* Column order of rebuild_sql; the C code reads by these positions. */
enum {
    C_ID, C_TINDEX, C_IP, C_PORT, C_SNI, C_OUTCOME, C_PHASE, C_DETAIL,
    C_STARTED, C_FINISHED, C_CONNECT, C_TLS, C_RTT, C_ATTEMPTS, C_TLSV,
    C_CIPHER, C_ALPN, C_PROBESET, C_ISK8S, C_EVIDENCE, C_POSTURE, C_GITV,
    C_MAJOR, C_MINOR, C_PATCH, C_PRERELEASE, C_VENDOR, C_VSUFFIX, C_VMAJOR,
    C_VMINOR, C_GCOMMIT, C_GTREE, C_BUILD, C_GO, C_COMPILER, C_PLATFORM,
    C_CIREAD, C_CACA, C_JWS, C_NS, C_COUNTRY, C_ASN, C_ASORG, C_PROVIDER,
    C_CSHA, C_CSUBJ, C_CSUBJCN, C_CISS, C_CISSCN, C_CSANS, C_CSANCOUNT,
    C_CKEYTYPE, C_CKEYBITS, C_CCURVE, C_CSIG, C_CNB, C_CNA, C_CCHAIN, C_CDER,
    C_CLASSIFIER,
};

static const char rebuild_sql[] =
    "SELECT r.id, r.target_index, r.ip, r.port, r.sni, r.outcome, r.phase,"
    " r.detail, r.started_at, r.finished_at, r.connect_us, r.tls_us,"
    " r.rtt_us, r.attempts, r.tls_version, r.cipher, r.alpn, r.probe_set,"
    " r.is_kubernetes, r.evidence, r.posture, r.git_version, r.major,"
    " r.minor, r.patch, r.prerelease, r.vendor, r.vendor_suffix, r.v_major,"
    " r.v_minor, r.git_commit, r.git_tree_state, r.build_date, r.go_version,"
    " r.compiler, r.platform, r.cluster_info_readable, r.cluster_ca_sha256,"
    " r.jws_keys, r.namespaces_count, r.country, r.asn, r.as_org,"
    " r.provider, c.sha256, c.subject, c.subject_cn, c.issuer, c.issuer_cn,"
    " c.sans, c.san_count, c.key_type, c.key_bits, c.key_curve, c.sig_alg,"
    " c.not_before, c.not_after, c.chain_len, c.der, r.classifier_version"
    " FROM results r LEFT JOIN certificates c ON c.id = r.cert_id"
    " WHERE (:scan_id = 0 OR r.scan_id = :scan_id) ORDER BY r.id";

static const char probes_sql[] =
    "SELECT probe, sent, answered, outcome, status, has_audit_id,"
    " has_pf_flowschema, has_pf_prioritylevel, content_type, body,"
    " body_total, rtt_us FROM probes WHERE result_id = ? ORDER BY seq";

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    return p ? (const char *)p : "";
}

static int64_t col_time(sqlite3_stmt *st, int i)
{
    int64_t us = 0;
    kc_time_parse(col_text(st, i), &us);
    return us;
}

static void rebuild_transport(sqlite3_stmt *st, struct kc_result *r)
{
    r->target_index = (uint64_t)sqlite3_column_int64(st, C_TINDEX);
    kc_addr_parse(col_text(st, C_IP), &r->addr);
    r->port = (uint16_t)sqlite3_column_int(st, C_PORT);
    kc_column_str(st, C_SNI, r->sni, sizeof(r->sni));
    kc_outcome_parse(col_text(st, C_OUTCOME), &r->outcome);
    kc_phase_parse(col_text(st, C_PHASE), &r->phase);
    kc_column_str(st, C_DETAIL, r->detail, sizeof(r->detail));
    r->started_us = sqlite3_column_int64(st, C_STARTED) * 1000;
    r->finished_us = sqlite3_column_int64(st, C_FINISHED) * 1000;
    r->connect_us = (uint32_t)sqlite3_column_int64(st, C_CONNECT);
    r->tls_us = (uint32_t)sqlite3_column_int64(st, C_TLS);
    r->rtt_us = (uint32_t)sqlite3_column_int64(st, C_RTT);
    r->attempts = (uint32_t)sqlite3_column_int64(st, C_ATTEMPTS);
    kc_column_str(st, C_TLSV, r->tls_version, sizeof(r->tls_version));
    kc_column_str(st, C_CIPHER, r->cipher, sizeof(r->cipher));
    kc_column_str(st, C_ALPN, r->alpn, sizeof(r->alpn));
    kc_probe_set_parse(col_text(st, C_PROBESET), &r->probe_set);
}

static int rebuild_verdict(sqlite3_stmt *st, struct kc_result *r)
{
    int rc = 0;
    r->is_kubernetes = kc_column_int(st, C_ISK8S, -1);
    kc_column_str(st, C_EVIDENCE, r->evidence, sizeof(r->evidence));
    kc_posture_parse(col_text(st, C_POSTURE), &r->posture);
    r->major = kc_column_int(st, C_MAJOR, -1);
    r->minor = kc_column_int(st, C_MINOR, -1);
    r->patch = kc_column_int(st, C_PATCH, -1);
    r->prerelease = kc_column_int(st, C_PRERELEASE, 0) != 0;
    kc_vendor_parse(col_text(st, C_VENDOR), &r->vendor);
    kc_column_str(st, C_VSUFFIX, r->vendor_suffix, sizeof(r->vendor_suffix));
    r->cluster_info_readable = kc_column_int(st, C_CIREAD, -1);
    kc_column_str(st, C_CACA, r->cluster_ca_sha256,
                  sizeof(r->cluster_ca_sha256));
    r->jws_keys = kc_column_int(st, C_JWS, -1);
    r->namespaces_count = kc_column_int(st, C_NS, -1);
    kc_column_str(st, C_COUNTRY, r->country, sizeof(r->country));
    r->asn = (uint32_t)sqlite3_column_int64(st, C_ASN);
    kc_column_str(st, C_ASORG, r->as_org, sizeof(r->as_org));
    kc_provider_parse(col_text(st, C_PROVIDER), &r->provider);
    rc |= kc_column_bytes(st, C_GITV, &r->git_version);
    rc |= kc_column_bytes(st, C_VMAJOR, &r->version.major);
    rc |= kc_column_bytes(st, C_VMINOR, &r->version.minor);
    rc |= kc_column_bytes(st, C_GCOMMIT, &r->version.git_commit);
    rc |= kc_column_bytes(st, C_GTREE, &r->version.git_tree_state);
    rc |= kc_column_bytes(st, C_BUILD, &r->version.build_date);
    rc |= kc_column_bytes(st, C_GO, &r->version.go_version);
    rc |= kc_column_bytes(st, C_COMPILER, &r->version.compiler);
    rc |= kc_column_bytes(st, C_PLATFORM, &r->version.platform);
    return rc ? -ENOMEM : 0;
}

static int rebuild_cert(sqlite3_stmt *st, struct kc_cert_info *c)
{
    int rc = 0;
    int64_t us;
    if (sqlite3_column_type(st, C_CSHA) == SQLITE_NULL)
        return 0;
    c->present = true;
    kc_column_str(st, C_CSHA, c->sha256, sizeof(c->sha256));
    rc |= kc_column_bytes(st, C_CSUBJ, &c->subject);
    rc |= kc_column_bytes(st, C_CSUBJCN, &c->subject_cn);
    rc |= kc_column_bytes(st, C_CISS, &c->issuer);
    rc |= kc_column_bytes(st, C_CISSCN, &c->issuer_cn);
    rc |= kc_column_bytes(st, C_CSANS, &c->sans);
    rc |= kc_column_bytes(st, C_CDER, &c->der);
    c->san_count = (uint32_t)sqlite3_column_int64(st, C_CSANCOUNT);
    kc_column_str(st, C_CKEYTYPE, c->key_type, sizeof(c->key_type));
    c->key_bits = (uint32_t)sqlite3_column_int64(st, C_CKEYBITS);
    kc_column_str(st, C_CCURVE, c->key_curve, sizeof(c->key_curve));
    kc_column_str(st, C_CSIG, c->sig_alg, sizeof(c->sig_alg));
    us = col_time(st, C_CNB);
    c->not_before = us / 1000000;
    us = col_time(st, C_CNA);
    c->not_after = us / 1000000;
    c->chain_len = (uint32_t)sqlite3_column_int64(st, C_CCHAIN);
    return rc ? -ENOMEM : 0;
}

static int rebuild_probes(sqlite3_stmt *pst, int64_t id, struct kc_result *r)
{
    int rc = 0;
    sqlite3_reset(pst);
    sqlite3_bind_int64(pst, 1, id);
    r->n_probes = 0;
    while (r->n_probes < KC_PROBE__COUNT && sqlite3_step(pst) == SQLITE_ROW) {
        struct kc_probe_result *p = &r->probes[r->n_probes++];
        kc_probe_parse(col_text(pst, 0), &p->id);
        p->sent = sqlite3_column_int(pst, 1) != 0;
        p->answered = sqlite3_column_int(pst, 2) != 0;
        kc_outcome_parse(col_text(pst, 3), &p->outcome);
        p->status = kc_column_int(pst, 4, 0);
        p->has_audit_id = sqlite3_column_int(pst, 5) != 0;
        p->has_pf_flowschema = sqlite3_column_int(pst, 6) != 0;
        p->has_pf_prioritylevel = sqlite3_column_int(pst, 7) != 0;
        rc |= kc_column_bytes(pst, 8, &p->content_type);
        rc |= kc_column_bytes(pst, 9, &p->body);
        p->body_total = (uint64_t)sqlite3_column_int64(pst, 10);
        p->rtt_us = (uint32_t)sqlite3_column_int64(pst, 11);
    }
    sqlite3_reset(pst);
    return rc ? -ENOMEM : 0;
}

static int rebuild(sqlite3_stmt *st, sqlite3_stmt *pst, struct kc_result *r)
{
    int rc;
    kc_result_init(r);
    rebuild_transport(st, r);
    rc = rebuild_verdict(st, r);
    if (rc == 0)
        rc = rebuild_cert(st, &r->cert);
    if (rc == 0)
        rc = rebuild_probes(pst, sqlite3_column_int64(st, C_ID), r);
    return rc;
}

static int walk(struct kc_store *s, sqlite3_stmt *st, sqlite3_stmt *pst,
                int (*cb)(void *, int64_t, const struct kc_result *),
                void *ctx, struct kc_error *err)
{
    struct kc_result r;
    char cls[64]; /* classifier_version: valid during the callback */
    int step, rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, C_ID);
        rc = rebuild(st, pst, &r);
        if (rc != 0) {
            kc_result_clear(&r);
            return kc_error_set(err, rc, "out of memory rebuilding a result");
        }
        if (sqlite3_column_type(st, C_CLASSIFIER) != SQLITE_NULL) {
            kc_column_str(st, C_CLASSIFIER, cls, sizeof(cls));
            r.classifier_version = cls;
        }
        rc = cb(ctx, id, &r);
        kc_result_clear(&r);
        if (rc != 0)
            return rc;
    }
    if (step != SQLITE_DONE)
        return kc_store_fail(s, err, step, "reading results");
    return 0;
}

int kc_store_foreach_result(struct kc_store *s, int64_t scan_id,
                            int (*cb)(void *ctx, int64_t result_id,
                                      const struct kc_result *r),
                            void *ctx, struct kc_error *err)
{
    sqlite3_stmt *st = NULL, *pst = NULL;
    int rc, crc;
    kc_store_lock(s);
    rc = kc_store_exec(s, s->readonly ? "BEGIN" : "BEGIN IMMEDIATE", err);
    if (rc != 0) {
        kc_store_unlock(s);
        return rc;
    }
    rc = kc_store_prepare(s, rebuild_sql, &st, err);
    if (rc == 0)
        rc = kc_store_prepare(s, probes_sql, &pst, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
        rc = walk(s, st, pst, cb, ctx, err);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(pst);
    crc = kc_store_exec(s, "COMMIT", rc == 0 ? err : NULL);
    if (crc != 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->rollbacks++; /* texts the callback's updates stored are gone */
    }
    kc_store_unlock(s);
    return rc != 0 ? rc : crc;
}

/* Schema v4: codes, text ids and the versions row (kc_bind_verdict, with
 * the parameters of the result-row INSERT: KC_RP_* in storage-private.h). */
static const char verdict_sql[] =
    "UPDATE result_rows SET is_kubernetes = " KC_SQLP(KC_RP_IS_KUBERNETES)
    ", evidence = " KC_SQLP(KC_RP_EVIDENCE)
    ", posture = " KC_SQLP(KC_RP_POSTURE)
    ", git_version = " KC_SQLP(KC_RP_GIT_VERSION)
    ", major = " KC_SQLP(KC_RP_MAJOR)
    ", minor = " KC_SQLP(KC_RP_MINOR)
    ", patch = " KC_SQLP(KC_RP_PATCH)
    ", prerelease = " KC_SQLP(KC_RP_PRERELEASE)
    ", vendor = " KC_SQLP(KC_RP_VENDOR)
    ", vendor_suffix = " KC_SQLP(KC_RP_VENDOR_SUFFIX)
    ", version_id = " KC_SQLP(KC_RP_VERSION_ID)
    ", cluster_info_readable = " KC_SQLP(KC_RP_CLUSTER_INFO_READABLE)
    ", cluster_ca_sha256 = " KC_SQLP(KC_RP_CLUSTER_CA_SHA256)
    ", jws_keys = " KC_SQLP(KC_RP_JWS_KEYS)
    ", namespaces_count = " KC_SQLP(KC_RP_NAMESPACES_COUNT)
    ", classifier_version = " KC_SQLP(KC_RP_CLASSIFIER_VERSION)
    " WHERE id = " KC_SQLP(KC_RP_ROW_ID);

static const char geo_sql[] =
    "UPDATE result_rows SET country = " KC_SQLP(KC_RP_COUNTRY)
    ", asn = " KC_SQLP(KC_RP_ASN) ", as_org = " KC_SQLP(KC_RP_AS_ORG)
    ", provider = " KC_SQLP(KC_RP_PROVIDER)
    ", geo_source = " KC_SQLP(KC_RP_GEO_SOURCE)
    " WHERE id = " KC_SQLP(KC_RP_ROW_ID);

static int bind_update(struct kc_store *s, sqlite3_stmt *st, bool geo,
                       const struct kc_result *r, const char *geo_source,
                       struct kc_error *err)
{
    int64_t src;
    int rc = 0;
    if (s->upd == NULL)
        rc = kc_insert_new(s, 0, &s->upd, err);
    if (rc != 0)
        return rc;
    if (!geo)
        return kc_bind_verdict(s->upd, st, r, err);
    rc = kc_insert_text_id(s->upd, geo_source, &src, err);
    if (rc == 0) {
        if (src != 0)
            sqlite3_bind_int64(st, KC_RP_GEO_SOURCE, src);
        else
            sqlite3_bind_null(st, KC_RP_GEO_SOURCE);
        rc = kc_bind_geo(s->upd, st, r, err);
    }
    return rc;
}

static int update_one(struct kc_store *s, const char *sql, int64_t id,
                      const struct kc_result *r, const char *geo_source,
                      struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc, step;
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, KC_RP_ROW_ID, id);
        rc = bind_update(s, st, sql == geo_sql, r, geo_source, err);
        step = rc == 0 ? sqlite3_step(st) : SQLITE_DONE;
        sqlite3_finalize(st);
        if (rc == 0 && step != SQLITE_DONE)
            rc = kc_store_fail(s, err, step, "updating a result");
        else if (rc == 0 && sqlite3_changes(s->db) == 0)
            rc = kc_error_set(err, -ENOENT, "no result with id %lld",
                              (long long)id);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_update_verdict(struct kc_store *s, int64_t result_id,
                            const struct kc_result *r, struct kc_error *err)
{
    return update_one(s, verdict_sql, result_id, r, NULL, err);
}

int kc_store_stamp_classifier(struct kc_store *s, int64_t scan_id,
                              const char *version, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc, step;
    kc_store_lock(s);
    rc = kc_store_prepare(s,
                          "UPDATE scans SET classifier_version = :version"
                          " WHERE (:scan = 0 OR id = :scan)"
                          " AND probes IS NOT 'import'",
                          &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, kc_param(st, ":version"), version, -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, kc_param(st, ":scan"), scan_id);
        step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE)
            rc = kc_store_fail(s, err, step, "stamping the classifier version");
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_update_geo(struct kc_store *s, int64_t result_id,
                        const struct kc_result *r, const char *geo_source,
                        struct kc_error *err)
{
    return update_one(s, geo_sql, result_id, r, geo_source, err);
}
