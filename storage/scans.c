/* scans.c - the scan lifecycle: begin, checkpoint, resume, finish, list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "storage-private.h"

/* Column names of the per-outcome counters, in enum kc_outcome order. */
static const char *const count_cols[KC_OUTCOME__COUNT] = {
    "count_ok", "count_refused", "count_timeout", "count_tls_error",
    "count_protocol_error", "count_too_large", "count_closed",
    "count_blocked", "count_dns_error", "count_unreachable",
};

static void new_uid(char out[33])
{
    unsigned char r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        /* No entropy source: fall back to time, still unique enough for
         * one host's scans. */
        int64_t t = kc_wall_us();
        uint64_t m = kc_mono_us();
        memcpy(r, &t, 8);
        memcpy(r + 8, &m, 8);
    }
    for (size_t i = 0; i < sizeof(r); i++)
        kc_snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static int step_done(struct kc_store *s, sqlite3_stmt *st, const char *what,
                     struct kc_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return kc_store_fail(s, err, rc, what);
    return 0;
}

/* The scan's settings, as kc_store_scan_begin records them. */
static void bind_scan_params(sqlite3_stmt *st, const struct kc_scan_params *p)
{
    kc_bind_text_or_null(st, kc_param(st, ":label"), p->label);
    kc_bind_text_or_null(st, kc_param(st, ":specs"), p->specs);
    kc_bind_text_or_null(st, kc_param(st, ":ports"), p->ports);
    sqlite3_bind_int64(st, kc_param(st, ":seed"), (int64_t)p->seed);
    sqlite3_bind_int64(st, kc_param(st, ":shard_index"), p->shard_index);
    sqlite3_bind_int64(st, kc_param(st, ":shard_count"),
                       p->shard_count ? p->shard_count : 1);
    sqlite3_bind_int64(st, kc_param(st, ":rate"), p->rate);
    sqlite3_bind_int64(st, kc_param(st, ":concurrency"), p->concurrency);
    sqlite3_bind_int64(st, kc_param(st, ":threads"), p->threads);
    sqlite3_bind_int64(st, kc_param(st, ":timeout_ms"), p->timeout_ms);
    sqlite3_bind_int64(st, kc_param(st, ":retries"), p->retries);
    kc_bind_text_or_null(st, kc_param(st, ":probes"), p->probes);
    kc_bind_text_or_null(st, kc_param(st, ":user_agent"), p->user_agent);
    kc_bind_text_or_null(st, kc_param(st, ":blocklist_sha256"),
                         p->blocklist_sha256);
    kc_bind_text_or_null(st, kc_param(st, ":lifts"), p->lifts);
    kc_bind_text_or_null(st, kc_param(st, ":source_addr"), p->source_addr);
    kc_bind_text_or_null(st, kc_param(st, ":hostname"), p->hostname);
    kc_bind_text_or_null(st, kc_param(st, ":argv"), p->argv);
    sqlite3_bind_text(st, kc_param(st, ":store"), kc_store_policy_str(p->store),
                      -1, SQLITE_STATIC);
    sqlite3_bind_text(st, kc_param(st, ":kcensus_version"), KC_VERSION_STRING,
                      -1, SQLITE_STATIC);
    kc_bind_text_or_null(st, kc_param(st, ":classifier_version"),
                         p->classifier_version);
}

int kc_store_scan_begin(struct kc_store *s, const struct kc_scan_params *p,
                        int64_t *scan_id, struct kc_error *err)
{
    static const char sql[] =
        "INSERT INTO scans (uid, label, status, started_at, specs, ports,"
        " seed, shard_index, shard_count, rate, concurrency, threads,"
        " timeout_ms, retries, probes, user_agent, blocklist_sha256, lifts,"
        " source_addr, hostname, argv, store, kcensus_version,"
        " classifier_version)"
        " VALUES (:uid, :label, 'running', :started_at, :specs, :ports,"
        " :seed, :shard_index, :shard_count, :rate, :concurrency, :threads,"
        " :timeout_ms, :retries, :probes, :user_agent, :blocklist_sha256,"
        " :lifts, :source_addr, :hostname, :argv, :store, :kcensus_version,"
        " :classifier_version)";
    sqlite3_stmt *st;
    char uid[33], now[40];
    int rc;
    new_uid(uid);
    kc_time_text(kc_wall_us(), now, sizeof(now));
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, kc_param(st, ":uid"), uid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, kc_param(st, ":started_at"), now, -1,
                          SQLITE_STATIC);
        bind_scan_params(st, p);
        rc = step_done(s, st, "recording the scan", err);
    }
    if (rc == 0)
        *scan_id = sqlite3_last_insert_rowid(s->db);
    kc_store_unlock(s);
    return rc;
}

int kc_store_scan_resumable(struct kc_store *s, int64_t *scan_id,
                            char **argv_out, struct kc_checkpoint *cp,
                            struct kc_error *err)
{
    static const char sql[] =
        "SELECT id, argv, next_dispatch, low_uncommitted FROM scans"
        " WHERE status IN ('running', 'interrupted') AND NOT EXISTS"
        " (SELECT 1 FROM merge_sources m WHERE m.scan_id = scans.id)"
        " ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *st;
    int rc;
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            const unsigned char *a = sqlite3_column_text(st, 1);
            *scan_id = sqlite3_column_int64(st, 0);
            cp->next_dispatch = (uint64_t)sqlite3_column_int64(st, 2);
            cp->low_uncommitted = (uint64_t)sqlite3_column_int64(st, 3);
            if (argv_out != NULL) {
                *argv_out = strdup(a ? (const char *)a : "");
                if (*argv_out == NULL)
                    rc = kc_error_set(err, -ENOMEM, "out of memory");
            }
        } else if (step == SQLITE_DONE) {
            rc = kc_error_set(err, -ENOENT, "%s: no unfinished scan to resume",
                              s->path);
        } else {
            rc = kc_store_fail(s, err, step, "finding a scan to resume");
        }
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_stored_indexes(struct kc_store *s, int64_t scan_id, uint64_t lo,
                            uint64_t hi, uint64_t **out, size_t *n,
                            struct kc_error *err)
{
    static const char sql[] =
        "SELECT target_index FROM result_rows WHERE scan_id = :scan_id"
        " AND target_index >= :lo AND target_index < :hi"
        " ORDER BY target_index";
    sqlite3_stmt *st;
    uint64_t *v = NULL;
    size_t len = 0, cap = 0;
    int rc, step;
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc != 0) {
        kc_store_unlock(s);
        return rc;
    }
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
    sqlite3_bind_int64(st, kc_param(st, ":lo"), (int64_t)lo);
    sqlite3_bind_int64(st, kc_param(st, ":hi"),
                       (int64_t)(hi > INT64_MAX ? INT64_MAX : hi));
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            uint64_t *nv = realloc(v, ncap * sizeof(*v));
            if (nv == NULL) {
                rc = kc_error_set(err, -ENOMEM, "out of memory");
                break;
            }
            v = nv, cap = ncap;
        }
        v[len++] = (uint64_t)sqlite3_column_int64(st, 0);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = kc_store_fail(s, err, step, "reading stored targets");
    sqlite3_finalize(st);
    kc_store_unlock(s);
    if (rc != 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

/* "UPDATE scans SET targets_total = :targets_total, ..., count_x =
 * :count_x<extra> WHERE id = :scan_id": each counter's parameter is
 * named after its column. */
static void counters_sql(char *buf, size_t size, const char *extra)
{
    size_t off = kc_snprintf(buf, size,
                             "UPDATE scans SET targets_total = :targets_total,"
                             " dispatched = :dispatched,"
                             " completed = :completed, stored = :stored,"
                             " kubernetes = :kubernetes");
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        off += kc_snprintf(buf + off, size - off, ", %s = :%s", count_cols[i],
                           count_cols[i]);
    kc_snprintf(buf + off, size - off, "%s WHERE id = :scan_id", extra);
}

static void bind_counters(sqlite3_stmt *st, int64_t scan_id,
                          const struct kc_scan_counters *c)
{
    char name[40];
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
    sqlite3_bind_int64(st, kc_param(st, ":targets_total"),
                       (int64_t)c->targets_total);
    sqlite3_bind_int64(st, kc_param(st, ":dispatched"),
                       (int64_t)c->dispatched);
    sqlite3_bind_int64(st, kc_param(st, ":completed"), (int64_t)c->completed);
    sqlite3_bind_int64(st, kc_param(st, ":stored"), (int64_t)c->stored);
    sqlite3_bind_int64(st, kc_param(st, ":kubernetes"),
                       (int64_t)c->kubernetes);
    for (int i = 0; i < KC_OUTCOME__COUNT; i++) {
        kc_snprintf(name, sizeof(name), ":%s", count_cols[i]);
        sqlite3_bind_int64(st, kc_param(st, name), (int64_t)c->by_outcome[i]);
    }
}

int kc_store_save_progress(struct kc_store *s, int64_t scan_id,
                           const struct kc_checkpoint *cp,
                           const struct kc_scan_counters *c,
                           struct kc_error *err)
{
    char sql[1024];
    sqlite3_stmt *st;
    int rc;
    counters_sql(sql, sizeof(sql),
                 cp ? ", next_dispatch = :next_dispatch,"
                      " low_uncommitted = :low_uncommitted"
                    : "");
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc != 0)
        return rc;
    bind_counters(st, scan_id, c);
    if (cp != NULL) {
        sqlite3_bind_int64(st, kc_param(st, ":next_dispatch"),
                           (int64_t)cp->next_dispatch);
        sqlite3_bind_int64(st, kc_param(st, ":low_uncommitted"),
                           (int64_t)cp->low_uncommitted);
    }
    return step_done(s, st, "saving the checkpoint", err);
}

int kc_store_load_counters(struct kc_store *s, int64_t scan_id,
                           struct kc_scan_counters *c, struct kc_error *err)
{
    char sql[1024];
    size_t off;
    sqlite3_stmt *st;
    int rc, step;
    off = kc_snprintf(sql, sizeof(sql), "SELECT targets_total, dispatched, "
                      "completed, stored, kubernetes");
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        off += kc_snprintf(sql + off, sizeof(sql) - off, ", %s", count_cols[i]);
    kc_snprintf(sql + off, sizeof(sql) - off, " FROM scans WHERE id = ?");
    memset(c, 0, sizeof(*c));
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, scan_id);
        step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            c->targets_total = (uint64_t)sqlite3_column_int64(st, 0);
            c->dispatched = (uint64_t)sqlite3_column_int64(st, 1);
            c->completed = (uint64_t)sqlite3_column_int64(st, 2);
            c->stored = (uint64_t)sqlite3_column_int64(st, 3);
            c->kubernetes = (uint64_t)sqlite3_column_int64(st, 4);
            for (int i = 0; i < KC_OUTCOME__COUNT; i++)
                c->by_outcome[i] = (uint64_t)sqlite3_column_int64(st, 5 + i);
        } else if (step == SQLITE_DONE) {
            rc = kc_error_set(err, -ENOENT, "%s: no scan with id %lld",
                              s->path, (long long)scan_id);
        } else {
            rc = kc_store_fail(s, err, step, "reading the scan");
        }
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_scan_finish(struct kc_store *s, int64_t scan_id,
                         enum kc_scan_status status,
                         const struct kc_scan_counters *c,
                         struct kc_error *err)
{
    char sql[1024], now[40];
    sqlite3_stmt *st;
    int rc;
    counters_sql(sql, sizeof(sql),
                 ", status = :status, finished_at = :finished_at");
    kc_time_text(kc_wall_us(), now, sizeof(now));
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        bind_counters(st, scan_id, c);
        sqlite3_bind_text(st, kc_param(st, ":status"),
                          kc_scan_status_str(status), -1, SQLITE_STATIC);
        if (status == KC_SCAN_DONE)
            sqlite3_bind_text(st, kc_param(st, ":finished_at"), now, -1,
                              SQLITE_STATIC);
        else
            sqlite3_bind_null(st, kc_param(st, ":finished_at"));
        rc = step_done(s, st, "finishing the scan", err);
    }
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = kc_error_set(err, -ENOENT, "%s: no scan with id %lld", s->path,
                          (long long)scan_id);
    if (rc == 0)
        rc = kc_store_scan_recount(s, scan_id, err);
    kc_store_unlock(s);
    return rc;
}

/* A merged scan keeps the sums of its sources (merge_sources), an import
 * its buckets and hosts: 1 for those, 0 for a scan of kcensus's own. */
static int keeps_counters(struct kc_store *s, int64_t scan_id, bool *keep,
                          struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = kc_store_prepare(s,
                              "SELECT probes IS 'import' OR EXISTS (SELECT 1"
                              " FROM merge_sources m"
                              " WHERE m.scan_id = :scan_id)"
                              " FROM scans WHERE id = :scan_id",
                              &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
    int step = sqlite3_step(st);
    *keep = step == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = kc_store_fail(s, err, step, "reading the scan");
    sqlite3_finalize(st);
    return rc;
}

/* The stored rows per outcome, and how many are Kubernetes: one pass. */
static int count_rows(struct kc_store *s, int64_t scan_id,
                      struct kc_scan_counters *c, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = kc_store_prepare(s,
                              "SELECT outcome, count(*), sum(is_kubernetes = 1)"
                              " FROM result_rows WHERE scan_id = ?"
                              " GROUP BY outcome",
                              &st, err);
    int step;
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, scan_id);
    c->stored = c->kubernetes = 0;
    memset(c->by_outcome, 0, sizeof(c->by_outcome));
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int o = sqlite3_column_int(st, 0);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        if (o >= 0 && o < KC_OUTCOME__COUNT)
            c->by_outcome[o] += n;
        c->stored += n;
        c->kubernetes += (uint64_t)sqlite3_column_int64(st, 2);
    }
    if (step != SQLITE_DONE)
        rc = kc_store_fail(s, err, step, "counting the scan's results");
    sqlite3_finalize(st);
    return rc;
}

/* The counters of a scan of kcensus's own, from its stored rows and the
 * outcomes it counted without storing them. */
static int recount(struct kc_store *s, int64_t scan_id, struct kc_error *err)
{
    struct kc_scan_counters c;
    uint64_t unstored[KC_OUTCOME__COUNT];
    int rc = kc_store_load_counters(s, scan_id, &c, err);
    if (rc == 0)
        rc = kc_store_load_unstored(s, scan_id, unstored, err);
    if (rc == 0)
        rc = count_rows(s, scan_id, &c, err);
    if (rc != 0)
        return rc;
    c.completed = 0;
    for (int i = 0; i < KC_OUTCOME__COUNT; i++) {
        c.by_outcome[i] += unstored[i];
        c.completed += c.by_outcome[i];
    }
    return kc_store_save_progress(s, scan_id, NULL, &c, err);
}

int kc_store_scan_recount(struct kc_store *s, int64_t scan_id,
                          struct kc_error *err)
{
    bool keep = false;
    kc_store_lock(s);
    int rc = keeps_counters(s, scan_id, &keep, err);
    if (rc == 0 && !keep)
        rc = recount(s, scan_id, err);
    kc_store_unlock(s);
    return rc;
}

int kc_store_save_unstored(struct kc_store *s, int64_t scan_id,
                           const uint64_t n[KC_OUTCOME__COUNT],
                           struct kc_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = kc_store_prepare(s,
                              "INSERT OR REPLACE INTO scan_unstored"
                              " (scan_id, outcome, n)"
                              " VALUES (:scan_id, :outcome, :n)",
                              &st, err);
    for (int i = 0; rc == 0 && i < KC_OUTCOME__COUNT; i++) {
        if (n[i] == 0)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
        sqlite3_bind_int(st, kc_param(st, ":outcome"), i);
        sqlite3_bind_int64(st, kc_param(st, ":n"), (int64_t)n[i]);
        if ((rc = sqlite3_step(st)) != SQLITE_DONE)
            rc = kc_store_fail(s, err, rc, "saving the counters");
        else
            rc = 0;
    }
    if (st != NULL)
        sqlite3_finalize(st);
    return rc;
}

int kc_store_load_unstored(struct kc_store *s, int64_t scan_id,
                           uint64_t n[KC_OUTCOME__COUNT], struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc, step;
    memset(n, 0, KC_OUTCOME__COUNT * sizeof(*n));
    kc_store_lock(s);
    rc = kc_store_prepare(s,
                          "SELECT outcome, n FROM scan_unstored"
                          " WHERE scan_id = ?",
                          &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, scan_id);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int o = sqlite3_column_int(st, 0);
            if (o >= 0 && o < KC_OUTCOME__COUNT)
                n[o] = (uint64_t)sqlite3_column_int64(st, 1);
        }
        if (step != SQLITE_DONE)
            rc = kc_store_fail(s, err, step, "reading the counters");
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_scan_uid(struct kc_store *s, int64_t scan_id, char *out,
                      size_t size, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc;
    kc_store_lock(s);
    rc = kc_store_prepare(s, "SELECT uid FROM scans WHERE id = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, scan_id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            kc_column_str(st, 0, out, size);
        else if (step == SQLITE_DONE)
            rc = kc_error_set(err, -ENOENT, "%s: no scan with id %lld",
                              s->path, (long long)scan_id);
        else
            rc = kc_store_fail(s, err, step, "reading the scan");
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_scan_geo_source(struct kc_store *s, int64_t scan_id,
                             const char *source, struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc;
    kc_store_lock(s);
    rc = kc_store_exec(s, "BEGIN IMMEDIATE", err);
    if (rc == 0)
        rc = kc_store_prepare(s,
                              "INSERT INTO texts (value) SELECT :value"
                              " WHERE NOT EXISTS (SELECT 1 FROM texts"
                              " WHERE value = :value)",
                              &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, kc_param(st, ":value"), source, -1,
                          SQLITE_STATIC);
        rc = step_done(s, st, "recording the geo source", err);
    }
    if (rc == 0)
        rc = kc_store_prepare(s,
                              "UPDATE result_rows SET geo_source = (SELECT id"
                              " FROM texts WHERE value = :source)"
                              " WHERE scan_id = :scan_id",
                              &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
        sqlite3_bind_text(st, kc_param(st, ":source"), source, -1,
                          SQLITE_STATIC);
        rc = step_done(s, st, "recording the geo source", err);
    }
    rc = kc_store_end(s, rc, err);
    kc_store_unlock(s);
    return rc;
}

static void scan_info_from_row(sqlite3_stmt *st, struct kc_scan_info *si)
{
    memset(si, 0, sizeof(*si));
    si->id = sqlite3_column_int64(st, 0);
    si->uid = (const char *)sqlite3_column_text(st, 1);
    si->label = (const char *)sqlite3_column_text(st, 2);
    si->status = (const char *)sqlite3_column_text(st, 3);
    si->started_at = (const char *)sqlite3_column_text(st, 4);
    si->finished_at = (const char *)sqlite3_column_text(st, 5);
    si->duration_s = sqlite3_column_type(st, 6) == SQLITE_NULL
                         ? -1 : sqlite3_column_double(st, 6);
    si->seed = (uint64_t)sqlite3_column_int64(st, 7);
    si->shard_index = sqlite3_column_type(st, 8) == SQLITE_NULL
                          ? -1 : sqlite3_column_int64(st, 8);
    si->shard_count = (uint32_t)sqlite3_column_int64(st, 9);
    si->counters.targets_total = (uint64_t)sqlite3_column_int64(st, 10);
    si->counters.dispatched = (uint64_t)sqlite3_column_int64(st, 11);
    si->counters.completed = (uint64_t)sqlite3_column_int64(st, 12);
    si->counters.stored = (uint64_t)sqlite3_column_int64(st, 13);
    si->counters.kubernetes = (uint64_t)sqlite3_column_int64(st, 14);
    si->checkpoint.next_dispatch = (uint64_t)sqlite3_column_int64(st, 15);
    si->checkpoint.low_uncommitted = (uint64_t)sqlite3_column_int64(st, 16);
    si->results = (uint64_t)sqlite3_column_int64(st, 17);
    si->imported = sqlite3_column_int64(st, 18) != 0;
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        si->counters.by_outcome[i] = (uint64_t)sqlite3_column_int64(st, 19 + i);
}

int kc_store_list_scans(struct kc_store *s,
                        int (*cb)(void *ctx, const struct kc_scan_info *si),
                        void *ctx, struct kc_error *err)
{
    char sql[1536];
    size_t off;
    sqlite3_stmt *st;
    struct kc_scan_info si;
    int rc, step;
    off = kc_snprintf(
        sql, sizeof(sql),
        "SELECT id, uid, label, status, started_at, finished_at,"
        " (julianday(finished_at) - julianday(started_at)) * 86400.0,"
        " seed, shard_index, shard_count, targets_total, dispatched,"
        " completed, stored, kubernetes, next_dispatch, low_uncommitted,"
        " (SELECT coalesce(sum(weight), 0) FROM result_rows"
        " WHERE scan_id = s.id), probes IS 'import'");
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        off += kc_snprintf(sql + off, sizeof(sql) - off, ", %s", count_cols[i]);
    kc_snprintf(sql + off, sizeof(sql) - off, " FROM scans s ORDER BY id");
    kc_store_lock(s);
    rc = kc_store_prepare(s, sql, &st, err);
    if (rc == 0) {
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            scan_info_from_row(st, &si);
            rc = cb(ctx, &si);
            if (rc != 0)
                break;
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = kc_store_fail(s, err, step, "listing scans");
        sqlite3_finalize(st);
    }
    kc_store_unlock(s);
    return rc;
}

int kc_store_save_stored(struct kc_store *s, int64_t scan_id, uint64_t stored,
                         struct kc_error *err)
{
    sqlite3_stmt *st;
    int rc = kc_store_prepare(s,
                              "UPDATE scans SET stored = :stored"
                              " WHERE id = :scan_id",
                              &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, kc_param(st, ":scan_id"), scan_id);
    sqlite3_bind_int64(st, kc_param(st, ":stored"), (int64_t)stored);
    return step_done(s, st, "saving the counters", err);
}
