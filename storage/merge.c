/*
 * merge.c - `kcensus merge`: shards of one scan become one scan, other
 * scans are copied; everything keyed so a second merge changes nothing.
 * The input is ATTACHed read-only and copied with INSERT ... SELECT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage-private.h"

/* Every column of results but id, scan_id and cert_id. */
#define RESULT_COLS                                                        \
    "target_index, ip, ip_int, ip6, port, sni, outcome, phase, detail,"   \
    " started_at, finished_at, connect_us, tls_us, rtt_us, attempts,"     \
    " tls_version, cipher, alpn, probe_set, is_kubernetes, evidence,"     \
    " posture, git_version, major, minor, patch, prerelease, vendor,"     \
    " vendor_suffix, v_major, v_minor, git_commit, git_tree_state,"       \
    " build_date, go_version, compiler, platform, cluster_info_readable,"  \
    " cluster_ca_sha256, jws_keys, namespaces_count, classifier_version,"  \
    " country, asn, as_org, provider, weight, geo_source, connections"

#define SCAN_PARAM_COLS                                                    \
    "label, status, started_at, finished_at, specs, ports, seed,"          \
    " shard_index, shard_count, rate, concurrency, threads, timeout_ms,"   \
    " retries, probes, user_agent, blocklist_sha256, lifts, source_addr,"  \
    " hostname, argv, store, kcensus_version, classifier_version"

#define COUNTER_COLS                                                       \
    "targets_total, dispatched, completed, stored, kubernetes, count_ok,"  \
    " count_refused, count_timeout, count_tls_error, count_protocol_error," \
    " count_too_large, count_closed, count_blocked, count_dns_error,"      \
    " count_unreachable"

#define CERT_COLS                                                          \
    "sha256, subject, subject_cn, issuer, issuer_cn, sans, san_count,"     \
    " key_type, key_bits, key_curve, sig_alg, not_before, not_after,"      \
    " chain_len, der"

/* What identifies the shards of one scan. */
struct src_scan {
    int64_t id;
    char uid[80];
    int64_t shard_index;
    int64_t shard_count;
    int64_t seed;
    char specs[512], ports[128], probes[32], store[16], status[16];
};

static void read_src_scan(sqlite3_stmt *st, struct src_scan *sc)
{
    sc->id = sqlite3_column_int64(st, 0);
    kc_column_str(st, 1, sc->uid, sizeof(sc->uid));
    sc->shard_index = sqlite3_column_int64(st, 2);
    sc->shard_count = sqlite3_column_int64(st, 3);
    sc->seed = sqlite3_column_int64(st, 4);
    kc_column_str(st, 5, sc->specs, sizeof(sc->specs));
    kc_column_str(st, 6, sc->ports, sizeof(sc->ports));
    kc_column_str(st, 7, sc->probes, sizeof(sc->probes));
    kc_column_str(st, 8, sc->store, sizeof(sc->store));
    kc_column_str(st, 9, sc->status, sizeof(sc->status));
}

static const char src_scans_sql[] =
    "SELECT id, uid, shard_index, shard_count, seed, specs, ports, probes,"
    " store, status,"
    " EXISTS (SELECT 1 FROM %s.merge_sources m WHERE m.scan_id = s.id)"
    " FROM %s.scans s ORDER BY id";

/* A shard (of more than one) that is not itself a merge result. */
static bool is_shard(sqlite3_stmt *st, const struct src_scan *sc)
{
    return sc->shard_count > 1 && sqlite3_column_int(st, 10) == 0;
}

static uint64_t fnv64(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static void group_uid(const struct src_scan *sc, char *out, size_t size)
{
    char num[64];
    uint64_t h = 14695981039346656037ull;
    kc_snprintf(num, sizeof(num), "%lld/%lld", (long long)sc->seed,
                (long long)sc->shard_count);
    h = fnv64(h, num);
    h = fnv64(h, sc->specs);
    h = fnv64(h, sc->ports);
    h = fnv64(h, sc->probes);
    h = fnv64(h, sc->store);
    kc_snprintf(out, size, "shards-%016llx", (unsigned long long)h);
}

/* Opens an input read-only (upgrading an older file first). */
static int open_input(const char *path, struct kc_store **in,
                      struct kc_error *err)
{
    int rc = kc_store_open(path, KC_STORE_READONLY, in, err);
    if (rc == -EROFS) {
        rc = kc_store_open(path, 0, in, err);
        if (rc == 0) {
            kc_store_close(*in);
            rc = kc_store_open(path, KC_STORE_READONLY, in, err);
        }
    }
    return rc;
}

static bool same_group(const struct src_scan *a, const struct src_scan *b)
{
    return strcmp(a->specs, b->specs) == 0 && strcmp(a->ports, b->ports) == 0;
}

static int check_pair(const struct src_scan *a, const char *pa,
                      const struct src_scan *b, const char *pb,
                      struct kc_error *err)
{
    const char *what = NULL;
    if (!same_group(a, b) || strcmp(a->uid, b->uid) == 0)
        return 0;
    if (a->seed != b->seed)
        what = "seed";
    else if (a->shard_count != b->shard_count)
        what = "shard count";
    else if (strcmp(a->probes, b->probes) != 0)
        what = "probe set";
    else if (strcmp(a->store, b->store) != 0)
        what = "store policy";
    else if (a->shard_index == b->shard_index)
        what = "scan (same shard index, different scans)";
    if (what == NULL)
        return 0;
    return kc_error_set(err, -EINVAL,
                        "shards do not belong together: %s (shard %lld/%lld) "
                        "and %s (shard %lld/%lld) scan the same targets with "
                        "a different %s", pa, (long long)a->shard_index,
                        (long long)a->shard_count, pb,
                        (long long)b->shard_index, (long long)b->shard_count,
                        what);
}

struct shard_list {
    struct src_scan *v;
    const char **path;
    size_t n, cap;
};

static int collect_shards(const char *path, struct shard_list *l,
                          struct kc_error *err)
{
    struct kc_store *in;
    sqlite3_stmt *st;
    char sql[512];
    int rc = open_input(path, &in, err);
    if (rc != 0)
        return rc;
    kc_snprintf(sql, sizeof(sql), src_scans_sql, "main", "main");
    rc = kc_store_prepare(in, sql, &st, err);
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct src_scan sc;
        read_src_scan(st, &sc);
        if (!is_shard(st, &sc))
            continue;
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 16;
            struct src_scan *nv = realloc(l->v, nc * sizeof(*nv));
            const char **np = nv ? realloc(l->path, nc * sizeof(*np)) : NULL;
            if (nv)
                l->v = nv;
            if (np)
                l->path = np;
            if (!nv || !np) {
                rc = kc_error_set(err, -ENOMEM, "out of memory");
                break;
            }
            l->cap = nc;
        }
        l->v[l->n] = sc;
        l->path[l->n++] = path;
    }
    if (rc == 0)
        sqlite3_finalize(st);
    kc_store_close(in);
    return rc;
}

/* Is shard index idx of v[first]'s scan among the inputs (or, with
 * out != NULL, already merged into out)? */
static bool shard_present(const struct shard_list *l, size_t first,
                          int64_t idx, struct kc_store *out)
{
    char uid[80];
    sqlite3_stmt *st;
    bool found = false;
    for (size_t i = first; i < l->n; i++)
        if (same_group(&l->v[first], &l->v[i]) &&
            l->v[i].shard_index == idx && strcmp(l->v[i].status, "done") == 0)
            return true;
    if (out == NULL)
        return false;
    group_uid(&l->v[first], uid, sizeof(uid));
    if (sqlite3_prepare_v2(out->db,
                           "SELECT 1 FROM merge_sources m JOIN scans s"
                           " ON s.id = m.scan_id WHERE s.uid = :uid"
                           " AND m.shard_index = :shard_index"
                           " AND m.status = 'done'",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, kc_param(st, ":uid"), uid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, kc_param(st, ":shard_index"), idx);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* Every shard of every sharded scan, finished, among the inputs and what
 * out already holds: else the merged scan would pass for a whole scan. */
static int check_complete(const struct shard_list *l, struct kc_store *out,
                          struct kc_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = !same_group(&l->v[i], &l->v[j]);
        if (!first)
            continue;
        for (int64_t k = 0; k < l->v[i].shard_count; k++)
            if (!shard_present(l, i, k, out))
                return kc_error_set(
                    err, -EINVAL,
                    "incomplete shard set: %s holds shard %lld of %lld of a "
                    "scan, but no finished shard %lld of %lld is among the "
                    "inputs%s (--allow-partial merges what there is)",
                    l->path[i], (long long)l->v[i].shard_index,
                    (long long)l->v[i].shard_count, (long long)k,
                    (long long)l->v[i].shard_count,
                    out ? " or in the output" : "");
    }
    return 0;
}

int kc_store_merge_check(const char *out_path, const char *const *in_paths,
                         size_t n, bool allow_partial, struct kc_error *err)
{
    struct shard_list l = {0};
    struct kc_store *out = NULL;
    struct stat sb;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = collect_shards(in_paths[i], &l, err);
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        for (size_t j = i + 1; rc == 0 && j < l.n; j++)
            rc = check_pair(&l.v[i], l.path[i], &l.v[j], l.path[j], err);
    if (rc == 0 && !allow_partial && l.n > 0) {
        if (out_path != NULL && stat(out_path, &sb) == 0 && sb.st_size > 0)
            rc = open_input(out_path, &out, err);
        if (rc == 0)
            rc = check_complete(&l, out, err);
        kc_store_close(out);
    }
    free(l.v);
    free(l.path);
    return rc;
}

/* ---- the merge itself ---- */

/* Runs sql, which names any of its parameters :src_scan (a scan id in the
 * attached input), :dst_scan (a scan id in main) and :text; the binds of
 * the names it lacks are refused and change nothing. */
static int exec_bound(struct kc_store *s, const char *sql, int64_t src_scan,
                      int64_t dst_scan, const char *text, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return kc_store_fail(s, err, rc, "merging");
    sqlite3_bind_int64(st, kc_param(st, ":src_scan"), src_scan);
    sqlite3_bind_int64(st, kc_param(st, ":dst_scan"), dst_scan);
    sqlite3_bind_text(st, kc_param(st, ":text"), text, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return kc_store_fail(s, err, rc, "merging");
    return 0;
}

static int64_t scan_by_uid(struct kc_store *s, const char *uid)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM main.scans WHERE uid = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* Creates (or finds) the destination scan of src scan sc. */
static int dest_scan(struct kc_store *s, const struct src_scan *sc,
                     bool shard, int64_t *dst, struct kc_error *err)
{
    char uid[80];
    int rc;
    if (shard)
        group_uid(sc, uid, sizeof(uid));
    else
        kc_strlcpy(uid, sc->uid, sizeof(uid));
    *dst = scan_by_uid(s, uid);
    if (*dst != 0)
        return 0;
    rc = exec_bound(s,
                    "INSERT INTO main.scans (uid, " SCAN_PARAM_COLS ")"
                    " SELECT :text, " SCAN_PARAM_COLS " FROM src.scans"
                    " WHERE id = :src_scan",
                    sc->id, 0, uid, err);
    if (rc == 0)
        *dst = sqlite3_last_insert_rowid(s->db);
    if (rc == 0 && shard) /* the merged scan is no single shard */
        rc = exec_bound(s, "UPDATE main.scans SET shard_index = NULL,"
                        " status = 'running', finished_at = NULL"
                        " WHERE id = :dst_scan", 0, *dst, NULL, err);
    return rc;
}

/* Records shard sc in merge_sources and recomputes the merged scan. */
static int account_shard(struct kc_store *s, const struct src_scan *sc,
                         int64_t dst, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        s->db, "SELECT source_uid FROM main.merge_sources"
               " WHERE scan_id = :scan_id AND shard_index = :shard_index",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return kc_store_fail(s, err, rc, "merging");
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), dst);
    sqlite3_bind_int64(st, kc_param(st, ":shard_index"), sc->shard_index);
    if (sqlite3_step(st) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), sc->uid) != 0) {
        rc = kc_error_set(err, -EINVAL,
                          "shards do not belong together: shard %lld/%lld "
                          "was already merged from another scan (uid %s, "
                          "now uid %s)", (long long)sc->shard_index,
                          (long long)sc->shard_count,
                          (const char *)sqlite3_column_text(st, 0), sc->uid);
    }
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    rc = exec_bound(s,
                    "INSERT OR REPLACE INTO main.merge_sources (scan_id,"
                    " source_uid, shard_index, status, started_at,"
                    " finished_at, " COUNTER_COLS ")"
                    " SELECT :dst_scan, uid, shard_index, status, started_at,"
                    " finished_at, " COUNTER_COLS " FROM src.scans"
                    " WHERE id = :src_scan", sc->id, dst, NULL, err);
    if (rc == 0)
        rc = exec_bound(
            s,
            "UPDATE main.scans SET (" COUNTER_COLS ", started_at,"
            " finished_at, status) = (SELECT sum(targets_total),"
            " sum(dispatched), sum(completed), sum(stored), sum(kubernetes),"
            " sum(count_ok), sum(count_refused), sum(count_timeout),"
            " sum(count_tls_error), sum(count_protocol_error),"
            " sum(count_too_large), sum(count_closed), sum(count_blocked),"
            " sum(count_dns_error), sum(count_unreachable),"
            " min(m.started_at),"
            " CASE WHEN count(*) = scans.shard_count AND"
            "  sum(m.status = 'done') = count(*) THEN max(m.finished_at) END,"
            " CASE WHEN count(*) = scans.shard_count AND"
            "  sum(m.status = 'done') = count(*) THEN 'done'"
            "  ELSE 'interrupted' END"
            " FROM main.merge_sources m WHERE m.scan_id = scans.id)"
            " WHERE id = :dst_scan",
            0, dst, NULL, err);
    return rc;
}

/* A copied (not sharded) scan takes the source's current figures. */
static int copy_figures(struct kc_store *s, const struct src_scan *sc,
                        int64_t dst, struct kc_error *err)
{
    return exec_bound(s,
                      "UPDATE main.scans SET (" COUNTER_COLS ", status,"
                      " finished_at, next_dispatch, low_uncommitted) ="
                      " (SELECT " COUNTER_COLS ", status, finished_at,"
                      " next_dispatch, low_uncommitted FROM src.scans"
                      " WHERE id = :src_scan) WHERE id = :dst_scan",
                      sc->id, dst, NULL, err);
}

static int copy_rows(struct kc_store *s, const struct src_scan *sc,
                     int64_t dst, struct kc_error *err)
{
    int rc = exec_bound(
        s,
        "INSERT OR IGNORE INTO main.results (scan_id, cert_id, " RESULT_COLS
        ") SELECT :dst_scan, (SELECT mc.id FROM main.certificates mc"
        "  WHERE mc.sha256 = sc.sha256), " RESULT_COLS
        " FROM src.results r LEFT JOIN src.certificates sc"
        " ON sc.id = r.cert_id WHERE r.scan_id = :src_scan ORDER BY r.id",
        sc->id, dst, NULL, err);
    /* Schema v4: probe codes are the same in every kcensus database
     * (kc_store_open checks the codes table), so the rows copy as they
     * are, keyed on the destination's unique key. Probe 0 lives in the
     * result row (p0_*), which the view's trigger does not write: it is
     * copied into rows that have none yet, like INSERT OR IGNORE would. */
    if (rc == 0)
        rc = exec_bound(
            s,
            "UPDATE main.result_rows AS d SET p0_probe = r.p0_probe,"
            " p0_flags = r.p0_flags, p0_outcome = r.p0_outcome,"
            " p0_status = r.p0_status,"
            " p0_body_id = (SELECT m.id FROM main.bodies m WHERE m.hash = b.hash"
            "  AND m.content_type IS b.content_type AND m.body IS b.body),"
            " p0_body_total = r.p0_body_total, p0_rtt_us = r.p0_rtt_us"
            " FROM src.result_rows r LEFT JOIN src.bodies b"
            " ON b.id = r.p0_body_id"
            " WHERE r.scan_id = :src_scan AND r.p0_flags IS NOT NULL"
            " AND d.scan_id = :dst_scan AND d.addr = r.addr"
            " AND d.port = r.port"
            " AND d.sni = r.sni AND d.p0_flags IS NULL",
            sc->id, dst, NULL, err);
    if (rc == 0)
        rc = exec_bound(
            s,
            "INSERT OR IGNORE INTO main.probe_rows SELECT d.id, p.seq,"
            " p.probe, p.flags, p.outcome, p.status,"
            " (SELECT m.id FROM main.bodies m WHERE m.hash = b.hash"
            "  AND m.content_type IS b.content_type AND m.body IS b.body),"
            " p.body_total, p.rtt_us"
            " FROM src.result_rows r JOIN src.probe_rows p"
            " ON p.result_id = r.id"
            " LEFT JOIN src.bodies b ON b.id = p.body_id"
            " JOIN main.result_rows d ON d.scan_id = :dst_scan"
            "  AND d.addr = r.addr AND d.port = r.port AND d.sni = r.sni"
            " WHERE r.scan_id = :src_scan",
            sc->id, dst, NULL, err);
    return rc;
}

/* Results of scan id in main (the write goes through the `results`
 * view's trigger, whose texts and versions inserts would make
 * sqlite3_total_changes overcount). */
static int64_t stored_rows(struct kc_store *s, int64_t id)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*) FROM main.result_rows"
                           " WHERE scan_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int merge_scan(struct kc_store *s, sqlite3_stmt *st, uint64_t *rows,
                      struct kc_error *err)
{
    struct src_scan sc;
    bool shard;
    int64_t dst, before = 0;
    int rc;
    read_src_scan(st, &sc);
    shard = is_shard(st, &sc);
    rc = dest_scan(s, &sc, shard, &dst, err);
    if (rc == 0)
        rc = shard ? account_shard(s, &sc, dst, err)
                   : copy_figures(s, &sc, dst, err);
    if (rc == 0 && rows != NULL)
        before = stored_rows(s, dst);
    if (rc == 0)
        rc = copy_rows(s, &sc, dst, err);
    if (rc == 0 && rows != NULL)
        *rows += (uint64_t)(stored_rows(s, dst) - before);
    return rc;
}

static int merge_all(struct kc_store *s, uint64_t *scans, uint64_t *rows,
                     struct kc_error *err)
{
    sqlite3_stmt *st;
    char sql[512];
    int rc, step;
    rc = exec_bound(s, "INSERT OR IGNORE INTO main.certificates (" CERT_COLS
                    ") SELECT " CERT_COLS " FROM src.certificates",
                    0, 0, NULL, err);
    if (rc == 0) /* bodies are deduplicated by content, like certificates */
        rc = exec_bound(s, "INSERT INTO main.bodies (hash, content_type, body)"
                        " SELECT b.hash, b.content_type, b.body FROM src.bodies b"
                        " WHERE NOT EXISTS (SELECT 1 FROM main.bodies m"
                        " WHERE m.hash = b.hash AND m.content_type IS"
                        " b.content_type AND m.body IS b.body)",
                        0, 0, NULL, err);
    if (rc != 0)
        return rc;
    kc_snprintf(sql, sizeof(sql), src_scans_sql, "src", "src");
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return kc_store_fail(s, err, rc, "reading the input's scans");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = merge_scan(s, st, rows, err);
        if (rc != 0)
            break;
        if (scans != NULL)
            (*scans)++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = kc_store_fail(s, err, step, "reading the input's scans");
    sqlite3_finalize(st);
    return rc;
}

/* "file:PATH?mode=ro" with the URI's special characters escaped. */
static void ro_uri(const char *path, char *out, size_t size)
{
    size_t o = kc_snprintf(out, size, "file:");
    for (const char *p = path; *p && o + 4 < size; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            o += kc_snprintf(out + o, size - o, "%%%02x", (unsigned char)*p);
        else
            out[o++] = *p;
    }
    kc_snprintf(out + o, size - o, "?mode=ro");
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int kc_store_merge(struct kc_store *s, const char *in_path, uint64_t *scans,
                   uint64_t *rows, struct kc_error *err)
{
    struct kc_store *in;
    char uri[4200];
    int rc;
    if (same_file(s->path, in_path))
        return kc_error_set(err, -EINVAL, "%s: cannot merge a database into "
                            "itself", in_path);
    rc = open_input(in_path, &in, err); /* checks and upgrades it */
    if (rc != 0)
        return rc;
    kc_store_close(in);
    ro_uri(in_path, uri, sizeof(uri));
    kc_store_lock(s);
    rc = exec_bound(s, "ATTACH :text AS src", 0, 0, uri, err);
    if (rc == 0) {
        rc = kc_store_exec(s, "BEGIN IMMEDIATE", err);
        if (rc == 0)
            rc = merge_all(s, scans, rows, err);
        if (rc == 0)
            rc = kc_store_exec(s, "COMMIT", err);
        if (rc != 0)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_exec(s->db, "DETACH src", NULL, NULL, NULL);
    }
    kc_store_unlock(s);
    return rc;
}
