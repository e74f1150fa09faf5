/* queries.c - the aggregate queries `kcensus report` formats, and the
 * import of published bucket censuses. Every aggregate sums weight. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage-private.h"

static const char *const unit_names[KC_UNIT__COUNT] = {
    [KC_UNIT_ENDPOINT] = "endpoint",
    [KC_UNIT_IP] = "ip",
    [KC_UNIT_CLUSTER] = "cluster",
};

const char *kc_count_unit_str(enum kc_count_unit u)
{
    return (unsigned)u < KC_UNIT__COUNT ? unit_names[u] : "?";
}

bool kc_count_unit_parse(const char *s, enum kc_count_unit *out)
{
    for (size_t i = 0; i < KC_UNIT__COUNT; i++)
        if (strcmp(s, unit_names[i]) == 0) {
            *out = (enum kc_count_unit)i;
            return true;
        }
    return false;
}

/* ------------------------------------------------------------------ */
/* Scans                                                               */
/* ------------------------------------------------------------------ */

/* results: the scan's stored-rows counter (kept by the writer, merge and
 * import), not a sum over millions of rows. */
#define SCAN_COLS                                                        \
    "SELECT s.id, s.label, s.status, s.started_at, s.stored FROM scans s"

static void read_scan(sqlite3_stmt *st, struct kc_report_scan *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->id = sqlite3_column_int64(st, 0);
    sc->has_label = sqlite3_column_type(st, 1) != SQLITE_NULL;
    kc_column_str(st, 1, sc->label, sizeof(sc->label));
    kc_column_str(st, 2, sc->status, sizeof(sc->status));
    kc_column_str(st, 3, sc->started_at, sizeof(sc->started_at));
    sc->results = (uint64_t)sqlite3_column_int64(st, 4);
}

int kc_store_report_scans(struct kc_store *s, struct kc_report_scan **out,
                          size_t *n, struct kc_error *err)
{
    static const char sql[] = SCAN_COLS " WHERE s.status = 'done'"
                                        " ORDER BY s.started_at, s.id";
    sqlite3_stmt *st;
    struct kc_report_scan *v = NULL;
    size_t len = 0, cap = 0;
    int rc;

    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = 0;
        if (len == cap) {
            size_t c = cap ? cap * 2 : 16;
            struct kc_report_scan *nv = realloc(v, c * sizeof(*nv));
            if (nv == NULL) {
                rc = kc_error_set(err, -ENOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = c;
        }
        read_scan(st, &v[len++]);
    }
    if (rc == SQLITE_DONE)
        rc = 0;
    else if (rc > 0)
        rc = kc_store_fail(s, err, rc, "listing scans");
    if (st != NULL)
        sqlite3_finalize(st);
    kc_store_unlock(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int kc_store_report_scan(struct kc_store *s, int64_t id,
                         struct kc_report_scan *out, struct kc_error *err)
{
    static const char sql[] = SCAN_COLS " WHERE s.id = ?";
    sqlite3_stmt *st;
    int rc;

    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            read_scan(st, out);
            rc = 0;
        } else if (rc == SQLITE_DONE) {
            rc = kc_error_set(err, -ENOENT, "no scan with id %lld",
                              (long long)id);
        } else {
            rc = kc_store_fail(s, err, rc, "reading the scan");
        }
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Groups                                                              */
/* ------------------------------------------------------------------ */

/* NULL integers come back as their marker values (one call per column).
 * Schema v4: read the narrow table itself (the `results` view decodes
 * every row's codes and texts in SQL); vendor and posture are enum codes
 * named in C, as_org a texts id resolved through a small cache. */
#define GROUP_COLS                                                       \
    "SELECT CAST(r.git_version AS TEXT), coalesce(r.major, -1),"         \
    " coalesce(r.minor, -1), coalesce(r.vendor, 0),"                     \
    " coalesce(r.posture, 0), coalesce(r.port, 0),"                      \
    " r.country, coalesce(r.asn, 0), coalesce(r.as_org, 0), r.weight"    \
    " FROM result_rows r"

/* One representative row (lowest id) per unit; rows without an address
 * (imported buckets) stand for themselves. */
static const char *const group_sql[KC_UNIT__COUNT] = {
    /* Endpoints: read by rowid range (part_sql), see range_sql. */
    [KC_UNIT_ENDPOINT] = NULL,
    [KC_UNIT_IP] =
        GROUP_COLS " WHERE r.id IN (SELECT min(id) FROM result_rows"
        " WHERE scan_id = :scan_id AND is_kubernetes = 1"
        " GROUP BY CASE WHEN addr = '' THEN 'row:' || id"
        " ELSE 'ip:' || addr END)",
    /* A cluster: its cluster-info CA; else the CA another endpoint with
     * the same certificate showed; else its certificate; else itself. */
    [KC_UNIT_CLUSTER] =
        GROUP_COLS " WHERE r.id IN (WITH cert_ca AS ("
        "  SELECT cert_id, min(cluster_ca_sha256) AS ca FROM result_rows"
        "  WHERE scan_id = :scan_id AND is_kubernetes = 1"
        "   AND cert_id IS NOT NULL"
        "   AND coalesce(cluster_ca_sha256, '') <> '' GROUP BY cert_id)"
        " SELECT min(x.id) FROM result_rows x"
        " LEFT JOIN cert_ca c ON c.cert_id = x.cert_id"
        " WHERE x.scan_id = :scan_id AND x.is_kubernetes = 1"
        " GROUP BY coalesce('ca:' || nullif(x.cluster_ca_sha256, ''),"
        "  'ca:' || c.ca, 'cert:' || x.cert_id,"
        "  CASE WHEN x.addr = '' THEN 'row:' || x.id"
        "  ELSE 'ep:' || x.addr || ':' || x.port || ':' || x.sni END))",
};

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i); /* NULL for NULL */
}

/* The scan's Kubernetes rows in stored (rowid) order: through an index
 * on scan_id the table would be visited in random order, 3x slower over
 * millions of rows. "+" keeps the planner on the rowid range. */
static const char part_sql[] =
    GROUP_COLS " WHERE r.id BETWEEN :lo AND :hi AND +r.scan_id = :scan_id"
    " AND r.is_kubernetes = 1";

/* Smallest and largest rowid of the scan's Kubernetes rows without reading
 * them: a skip-scan over the partial index (scan_id, minor) visits each
 * distinct minor (and NULL, the recursion's last row) once and takes the
 * first and last rowid in it, which the index keeps in order. */
static const char range_sql[] =
    "WITH RECURSIVE m(v) AS ("
    " SELECT (SELECT min(minor) FROM result_rows WHERE scan_id = :scan_id"
    "  AND is_kubernetes = 1 AND minor IS NOT NULL)"
    " UNION ALL SELECT (SELECT min(minor) FROM result_rows"
    "  WHERE scan_id = :scan_id"
    "  AND is_kubernetes = 1 AND minor > m.v) FROM m WHERE m.v IS NOT NULL),"
    " e AS (SELECT"
    " (SELECT id FROM result_rows WHERE scan_id = :scan_id"
    "  AND is_kubernetes = 1 AND minor IS m.v ORDER BY id LIMIT 1) AS lo,"
    " (SELECT id FROM result_rows WHERE scan_id = :scan_id"
    "  AND is_kubernetes = 1"
    "  AND minor IS m.v ORDER BY id DESC LIMIT 1) AS hi FROM m)"
    " SELECT min(lo), max(hi) FROM e";

/* texts.id -> value for the as_org column: a few hundred distinct
 * organisations over millions of rows, so a direct-mapped cache. */
#define ORG_CACHE 1024

struct org_cache {
    sqlite3_stmt *get;
    struct {
        int64_t id; /* 0 = empty */
        char *value;
    } slot[ORG_CACHE];
};

static void org_cache_free(struct org_cache *c)
{
    sqlite3_finalize(c->get);
    for (size_t i = 0; i < ORG_CACHE; i++)
        free(c->slot[i].value);
    free(c);
}

/* The text of id (NULL for 0 or a missing row); -ENOMEM in *rc. */
static const char *org_name(struct org_cache *c, int64_t id, int *rc)
{
    size_t i = (size_t)id % ORG_CACHE;
    const unsigned char *v;
    if (id == 0)
        return NULL;
    if (c->slot[i].id == id)
        return c->slot[i].value;
    sqlite3_reset(c->get);
    sqlite3_bind_int64(c->get, 1, id);
    if (sqlite3_step(c->get) != SQLITE_ROW ||
        (v = sqlite3_column_text(c->get, 0)) == NULL)
        return NULL;
    free(c->slot[i].value);
    c->slot[i].id = 0;
    c->slot[i].value = strdup((const char *)v);
    if (c->slot[i].value == NULL) {
        *rc = -ENOMEM;
        return NULL;
    }
    c->slot[i].id = id;
    return c->slot[i].value;
}

static const char *code_or_null(const char *name)
{
    return name[0] != '\0' && name[0] != '?' ? name : NULL;
}

/* Runs a prepared groups statement, handing each row to cb. */
static int stream_groups(struct kc_store *s, sqlite3_stmt *st,
                         int (*cb)(void *ctx,
                                   const struct kc_report_row *g),
                         void *ctx, struct kc_error *err)
{
    struct org_cache *orgs = calloc(1, sizeof(*orgs));
    int rc = orgs ? kc_store_prepare(s, "SELECT value FROM texts WHERE id = ?",
                                     &orgs->get, err)
                  : kc_error_set(err, -ENOMEM, "out of memory");
    while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct kc_report_row g;
        int64_t w = sqlite3_column_int64(st, 9);
        int64_t asn = sqlite3_column_int64(st, 7);
        rc = 0;
        g.git_version = col_text(st, 0);
        /* After the text call: its length, NUL bytes included. */
        g.git_version_len = (size_t)sqlite3_column_bytes(st, 0);
        g.major = sqlite3_column_int(st, 1);
        g.minor = sqlite3_column_int(st, 2);
        g.vendor = code_or_null(kc_vendor_str(sqlite3_column_int(st, 3)));
        g.posture = code_or_null(kc_posture_str(sqlite3_column_int(st, 4)));
        g.port = sqlite3_column_int(st, 5);
        g.country = col_text(st, 6);
        g.asn = asn > 0 && asn <= UINT32_MAX ? (uint32_t)asn : 0;
        g.as_org = org_name(orgs, sqlite3_column_int64(st, 8), &rc);
        g.weight = w > 0 ? (uint64_t)w : 0;
        if (rc != 0) {
            rc = kc_error_set(err, rc, "out of memory");
            break;
        }
        rc = cb(ctx, &g);
        if (rc != 0)
            rc = rc < 0 ? rc : -ECANCELED;
    }
    if (rc == SQLITE_DONE)
        rc = 0;
    else if (rc > 0)
        rc = kc_store_fail(s, err, rc, "reading results");
    if (orgs != NULL)
        org_cache_free(orgs);
    return rc;
}

int kc_store_report_groups(struct kc_store *s, int64_t scan_id,
                           enum kc_count_unit unit,
                           int (*cb)(void *ctx,
                                     const struct kc_report_row *g),
                           void *ctx, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if ((unsigned)unit >= KC_UNIT__COUNT)
        return kc_error_set(err, -EINVAL, "unknown counting unit");
    if (unit == KC_UNIT_ENDPOINT) {
        uint64_t lo, hi;
        rc = kc_store_report_index_range(s, scan_id, &lo, &hi, err);
        if (rc == -ENOENT) {
            kc_error_clear(err);
            return 0; /* no Kubernetes rows: nothing to stream */
        }
        if (rc == 0)
            rc = kc_store_report_groups_part(s, scan_id, lo, hi, cb, ctx,
                                             err);
        return rc;
    }
    kc_store_lock(s);
    rc = kc_store_prepare(s, group_sql[unit], &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
        rc = stream_groups(s, st, cb, ctx, err);
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_report_groups_part(struct kc_store *s, int64_t scan_id,
                                uint64_t lo, uint64_t hi,
                                int (*cb)(void *ctx,
                                          const struct kc_report_row *g),
                                void *ctx, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    kc_store_lock(s);
    rc = kc_store_prepare(s, part_sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
        sqlite3_bind_int64(st, kc_param(st, ":lo"), (int64_t)lo);
        sqlite3_bind_int64(st, kc_param(st, ":hi"), (int64_t)hi);
        rc = stream_groups(s, st, cb, ctx, err);
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_report_index_range(struct kc_store *s, int64_t scan_id,
                                uint64_t *lo, uint64_t *hi,
                                struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    kc_store_lock(s);
    rc = kc_store_prepare(s, range_sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *lo = (uint64_t)sqlite3_column_int64(st, 0);
            *hi = (uint64_t)sqlite3_column_int64(st, 1);
            rc = 0;
        } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            rc = kc_error_set(err, -ENOENT,
                              "scan %lld has no Kubernetes results",
                              (long long)scan_id);
        } else {
            rc = kc_store_fail(s, err, rc, "reading the scan's range");
        }
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Diff                                                                */
/* ------------------------------------------------------------------ */

static const char diff_sql[] =
    "WITH a AS (SELECT ip, port, sni, CAST(git_version AS TEXT) AS v,"
    "  posture AS p FROM results"
    "  WHERE scan_id = :scan_a AND is_kubernetes = 1 AND ip <> ''),"
    " b AS (SELECT ip, port, sni, CAST(git_version AS TEXT) AS v,"
    "  posture AS p FROM results"
    "  WHERE scan_id = :scan_b AND is_kubernetes = 1 AND ip <> '')"
    " SELECT 0, b.ip, b.port, b.sni, NULL, b.v FROM b"
    "  LEFT JOIN a USING (ip, port, sni) WHERE a.ip IS NULL"
    " UNION ALL SELECT 1, a.ip, a.port, a.sni, a.v, NULL FROM a"
    "  LEFT JOIN b USING (ip, port, sni) WHERE b.ip IS NULL"
    " UNION ALL SELECT 2, a.ip, a.port, a.sni, a.v, b.v FROM a"
    "  JOIN b USING (ip, port, sni) WHERE a.v IS NOT b.v"
    " UNION ALL SELECT 3, a.ip, a.port, a.sni, a.p, b.p FROM a"
    "  JOIN b USING (ip, port, sni) WHERE a.p IS NOT b.p"
    " ORDER BY 2, 3, 4, 1";

int kc_store_report_diff(struct kc_store *s, int64_t a, int64_t b,
                         int (*cb)(void *ctx,
                                   const struct kc_report_change *c),
                         void *ctx, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc;

    kc_store_lock(s);
    rc = kc_store_prepare(s, diff_sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, kc_param(st, ":scan_a"), a);
        sqlite3_bind_int64(st, kc_param(st, ":scan_b"), b);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct kc_report_change c = {
                .kind = sqlite3_column_int(st, 0),
                .ip = col_text(st, 1),
                .port = kc_column_int(st, 2, 0),
                .sni = col_text(st, 3),
                .old_value = col_text(st, 4),
                .new_value = col_text(st, 5),
            };
            /* After the text calls: their lengths, NUL bytes included. */
            c.old_len = (size_t)sqlite3_column_bytes(st, 4);
            c.new_len = (size_t)sqlite3_column_bytes(st, 5);
            rc = cb(ctx, &c);
            if (rc != 0)
                break;
        }
        if (rc == SQLITE_DONE)
            rc = 0;
        else if (rc > 0 && rc != SQLITE_ROW)
            rc = kc_store_fail(s, err, rc, "comparing scans");
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Import                                                              */
/* ------------------------------------------------------------------ */

static const char import_row_sql[] =
    "INSERT INTO results (scan_id, target_index, ip, port, sni, outcome,"
    " is_kubernetes, git_version, major, minor, patch, prerelease, vendor,"
    " vendor_suffix, classifier_version, weight)"
    " VALUES (:scan_id, :target_index, '', 0, :git_version, 'ok', 1,"
    " CAST(:git_version AS BLOB), :major, :minor, :patch, :prerelease,"
    " :vendor, :vendor_suffix, 'import', :weight)";

static const char import_scan_sql[] =
    "UPDATE scans SET status = 'done', started_at = :date,"
    " finished_at = :date, specs = :specs, targets_total = :buckets,"
    " dispatched = :buckets, completed = :buckets, stored = :hosts,"
    " kubernetes = :hosts, count_ok = :hosts WHERE id = :scan_id";

/* Bucket i as one row of the imported scan (import_row_sql). */
static void bind_bucket(sqlite3_stmt *st, int64_t scan_id, size_t i,
                        const struct kc_import_bucket *b)
{
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
    sqlite3_bind_int64(st, kc_param(st, ":target_index"), (int64_t)i);
    sqlite3_bind_text(st, kc_param(st, ":git_version"), b->git_version, -1,
                      SQLITE_STATIC);
    kc_bind_int_nullable(NULL, st, kc_param(st, ":major"), b->major);
    kc_bind_int_nullable(NULL, st, kc_param(st, ":minor"), b->minor);
    kc_bind_int_nullable(NULL, st, kc_param(st, ":patch"), b->patch);
    sqlite3_bind_int(st, kc_param(st, ":prerelease"), b->prerelease);
    kc_bind_text_or_null(st, kc_param(st, ":vendor"),
                         kc_vendor_str(b->vendor));
    kc_bind_text_or_null(st, kc_param(st, ":vendor_suffix"), b->vendor_suffix);
    sqlite3_bind_int64(st, kc_param(st, ":weight"), (int64_t)b->count);
}

static int insert_buckets(struct kc_store *s, int64_t scan_id,
                          const struct kc_import_bucket *b, size_t n,
                          uint64_t *total, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = kc_store_prepare(s, import_row_sql, &st, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (b[i].count > INT64_MAX - *total) {
            rc = kc_error_set(err, -ERANGE, "bucket counts overflow");
            break;
        }
        sqlite3_reset(st);
        bind_bucket(st, scan_id, i, &b[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT)
            rc = kc_error_set(err, -EEXIST,
                              "bucket %zu: gitVersion '%.100s' twice", i + 1,
                              b[i].git_version);
        else if (rc != SQLITE_DONE)
            rc = kc_store_fail(s, err, rc, "storing a bucket");
        else
            rc = 0;
        *total += b[i].count;
    }
    if (st != NULL)
        sqlite3_finalize(st);
    return rc;
}

static int finish_import(struct kc_store *s, int64_t id, const char *when,
                         const char *source, size_t n, uint64_t total,
                         struct kc_error *err)
{
    sqlite3_stmt *st;
    char specs[1100];
    int rc = kc_store_prepare(s, import_scan_sql, &st, err);
    if (rc < 0)
        return rc;
    kc_snprintf(specs, sizeof(specs), "import:%s", source ? source : "");
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), id);
    sqlite3_bind_text(st, kc_param(st, ":date"), when, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, kc_param(st, ":specs"), specs, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, kc_param(st, ":buckets"), (int64_t)n);
    sqlite3_bind_int64(st, kc_param(st, ":hosts"), (int64_t)total);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : kc_store_fail(s, err, rc, "the scan row");
}

/* An earlier import of the same census: same date, same buckets (every
 * gitVersion with the same count), compared after scan id's rows are in. */
static const char same_import_sql[] =
    "SELECT s.id FROM scans s WHERE s.id <> :scan_id"
    " AND s.probes = 'import' AND s.started_at = :date"
    " AND NOT EXISTS (SELECT sni, weight FROM"
    " result_rows WHERE scan_id = :scan_id EXCEPT SELECT sni, weight FROM"
    " result_rows WHERE scan_id = s.id) AND NOT EXISTS (SELECT sni, weight"
    " FROM result_rows WHERE scan_id = s.id EXCEPT SELECT sni, weight FROM"
    " result_rows WHERE scan_id = :scan_id) ORDER BY s.id LIMIT 1";

static int refuse_same_import(struct kc_store *s, int64_t id, const char *when,
                              struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = kc_store_prepare(s, same_import_sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), id);
    sqlite3_bind_text(st, kc_param(st, ":date"), when, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = kc_error_set(err, -EEXIST,
                          "%s: scan %lld already holds this census for %.10s"
                          " (the same buckets); --force imports it again",
                          s->path, (long long)sqlite3_column_int64(st, 0),
                          when);
    else
        rc = rc == SQLITE_DONE ? 0
                               : kc_store_fail(s, err, rc, "comparing imports");
    sqlite3_finalize(st);
    return rc;
}

int kc_store_import_buckets(struct kc_store *s,
                            const struct kc_import_bucket *b, size_t n,
                            const struct kc_import_params *ip,
                            int64_t *scan_id, struct kc_error *err)
{
    const char *date = ip->date, *source = ip->source;
    struct kc_scan_params p = {.label = ip->label, .probes = "import",
                               .classifier_version = ip->classifier_version};
    char when[32];
    uint64_t total = 0;
    int64_t id = 0;
    int rc;

    kc_snprintf(when, sizeof(when), "%.10sT00:00:00Z", date);
    kc_store_lock(s);
    rc = kc_store_exec(s, "BEGIN IMMEDIATE", err);
    if (rc < 0) {
        kc_store_unlock(s);
        return rc;
    }
    rc = kc_store_scan_begin(s, &p, &id, err);
    if (rc == 0)
        rc = insert_buckets(s, id, b, n, &total, err);
    if (rc == 0)
        rc = finish_import(s, id, when, source, n, total, err);
    if (rc == 0 && !ip->force)
        rc = refuse_same_import(s, id, when, err);
    if (rc == 0)
        rc = kc_store_exec(s, "COMMIT", err);
    if (rc < 0)
        kc_store_exec(s, "ROLLBACK", NULL);
    kc_store_unlock(s);
    if (rc == 0)
        *scan_id = id;
    return rc;
}
