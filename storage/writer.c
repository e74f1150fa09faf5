/*
 * writer.c - the batched writer sink. The scanner's thread copies results
 * into a bounded ring; one writer thread drains it, one transaction per
 * batch. A checkpoint is an item in the same ring, so it is committed in
 * the transaction that holds (or follows) every result written before it.
 *
 * States: RUNNING -> (commit fails) FAILED: later writes return the error,
 * queued items are dropped, what was committed stays. STOPPING on free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage-private.h"

enum item_kind { ITEM_RESULT, ITEM_PROGRESS };

struct item {
    enum item_kind kind;
    bool has_cp;
    struct kc_checkpoint cp;
    struct kc_scan_counters counters; /* producer side, at this point */
    uint64_t settled[KC_OUTCOME__COUNT]; /* unstored below cp, if has_cp */
    struct kc_result r;
    void *block; /* r's byte strings, one allocation (kc_result_copy_packed) */
};

enum writer_state { WRITER_RUNNING, WRITER_FAILED };

struct store_sink {
    struct kc_sink base;
    struct kc_store *store;
    int64_t scan_id;
    struct kc_store_writer_config cfg;
    struct kc_insert *ins;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;   /* writer: items, flush or stop */
    pthread_cond_t space;  /* producers: room in the ring, flush done */
    struct item *ring;
    size_t cap, head, len;
    uint64_t enqueued, done; /* items ever queued / processed */
    uint64_t flush_to;       /* writer commits at once until done >= it */
    uint64_t first_pending_us;
    bool stop;
    enum writer_state state;
    struct kc_error failure;

    struct kc_scan_counters counters; /* producer side (under mu) */
    uint64_t stored;                  /* writer side (under mu) */
    /* Targets counted but not stored (store policy): those below the
     * last checkpoint's low_uncommitted are settled (a resume does not
     * dispatch them again) and saved with it; the others wait in pending
     * (producer side, under mu), as a resume would count them again. */
    uint64_t settled[KC_OUTCOME__COUNT];
    struct unstored { uint64_t index; enum kc_outcome outcome; } *pending;
    size_t n_pending, cap_pending;
};

static const struct kc_sink_ops store_sink_ops;

/* ---- writer thread ---- */

static void writer_fail(struct store_sink *w, const struct kc_error *e)
{
    pthread_mutex_lock(&w->mu);
    if (w->state == WRITER_RUNNING) {
        w->failure = *e;
        w->state = WRITER_FAILED;
    }
    pthread_mutex_unlock(&w->mu);
}

static int apply_item(struct store_sink *w, struct item *it, uint64_t *stored,
                      struct kc_error *err)
{
    int rc;
    if (it->kind == ITEM_RESULT) {
        rc = kc_insert_result(w->ins, &it->r, err);
        if (rc > 0)
            (*stored)++;
        return rc < 0 ? rc : 0;
    }
    struct kc_scan_counters c = it->counters;
    c.stored = *stored;
    rc = kc_store_save_progress(w->store, w->scan_id,
                                it->has_cp ? &it->cp : NULL, &c, err);
    if (rc == 0 && it->has_cp)
        rc = kc_store_save_unstored(w->store, w->scan_id, it->settled, err);
    return rc;
}

/* Commits items [head, head + n) in one transaction. */
static int commit_batch(struct store_sink *w, size_t n, uint64_t *stored)
{
    struct kc_error err = {0};
    uint64_t before = *stored;
    int rc;
    kc_store_lock(w->store);
    rc = kc_insert_begin(w->ins, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = apply_item(w, &w->ring[(w->head + i) % w->cap], stored, &err);
    /* The stored counter rides along with every batch, so it is exact
     * after a crash too (a resumed writer starts from it). */
    if (rc == 0 && *stored != before)
        rc = kc_store_save_stored(w->store, w->scan_id, *stored, &err);
    rc = kc_insert_end(w->ins, rc, &err);
    if (rc != 0)
        *stored = before;
    kc_store_unlock(w->store);
    if (rc != 0)
        writer_fail(w, &err);
    return rc;
}

static bool batch_ready(struct store_sink *w)
{
    if (w->len == 0)
        return false;
    if (w->stop || w->len >= w->cfg.batch_rows || w->done + w->len <= w->flush_to
        || w->flush_to > w->done)
        return true;
    return kc_mono_us() >= w->first_pending_us + w->cfg.batch_ms * 1000ull;
}

static void wait_for_batch(struct store_sink *w)
{
    while (!batch_ready(w) && !(w->stop && w->len == 0)) {
        if (w->len == 0) {
            pthread_cond_wait(&w->wake, &w->mu);
        } else {
            struct timespec ts;
            uint64_t due = w->first_pending_us + w->cfg.batch_ms * 1000ull;
            uint64_t now = kc_mono_us();
            uint64_t wait = due > now ? due - now : 0;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)(wait / 1000000);
            ts.tv_nsec += (long)(wait % 1000000) * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&w->wake, &w->mu, &ts);
        }
    }
}

static void release_items(struct store_sink *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct item *it = &w->ring[(w->head + i) % w->cap];
        /* The next copy into this slot overwrites r whole: no re-init
         * (a 2 KB memset per row). */
        if (it->kind == ITEM_RESULT) {
            free(it->block);
            it->block = NULL;
        }
    }
    w->head = (w->head + n) % w->cap;
    w->len -= n;
    w->done += n;
    if (w->len > 0)
        w->first_pending_us = kc_mono_us();
}

static void *writer_main(void *arg)
{
    struct store_sink *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        wait_for_batch(w);
        if (w->len == 0 && w->stop)
            break;
        size_t n = w->len < w->cfg.batch_rows ? w->len : w->cfg.batch_rows;
        uint64_t stored = w->stored;
        bool failed = w->state == WRITER_FAILED;
        pthread_mutex_unlock(&w->mu);
        if (!failed) /* after a failure, queued items are dropped */
            commit_batch(w, n, &stored);
        pthread_mutex_lock(&w->mu);
        w->stored = stored;
        release_items(w, n);
        pthread_cond_broadcast(&w->space);
    }
    pthread_mutex_unlock(&w->mu);
    if (w->cfg.writer_cpu_ns != NULL) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        *w->cfg.writer_cpu_ns =
            (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    return NULL;
}

/* ---- producer side (the scanner's thread) ---- */

static int failure_of(struct store_sink *w)
{
    w->base.err = w->failure;
    return w->failure.code ? w->failure.code : -EIO;
}

/* Takes a free slot, waiting while the ring is full (the hard bound; the
 * scanner should have paused at queue_high already). Called with mu. */
static struct item *slot_take(struct store_sink *w)
{
    while (w->len == w->cap && w->state == WRITER_RUNNING)
        pthread_cond_wait(&w->space, &w->mu);
    if (w->state != WRITER_RUNNING)
        return NULL;
    if (w->len == 0)
        w->first_pending_us = kc_mono_us();
    return &w->ring[(w->head + w->len) % w->cap];
}

static void slot_commit(struct store_sink *w)
{
    w->len++;
    w->enqueued++;
    if (w->len >= w->cfg.batch_rows || w->len == 1)
        pthread_cond_signal(&w->wake);
}

static void count_result(struct store_sink *w, const struct kc_result *r)
{
    w->counters.completed++;
    if ((size_t)r->outcome < KC_OUTCOME__COUNT)
        w->counters.by_outcome[r->outcome]++;
    if (r->is_kubernetes == 1)
        w->counters.kubernetes++;
}

/* Remembers an unstored result until a checkpoint settles it. */
static int pending_add(struct store_sink *w, const struct kc_result *r)
{
    if (w->n_pending == w->cap_pending) {
        size_t cap = w->cap_pending ? w->cap_pending * 2 : 256;
        struct unstored *v = realloc(w->pending, cap * sizeof(*v));
        if (v == NULL)
            return kc_error_set(&w->base.err, -ENOMEM,
                                "out of memory counting a result");
        w->pending = v;
        w->cap_pending = cap;
    }
    w->pending[w->n_pending].index = r->target_index;
    w->pending[w->n_pending].outcome = r->outcome;
    w->n_pending++;
    return 0;
}

/* Moves the pending results below low into the settled counts. */
static void pending_settle(struct store_sink *w, uint64_t low)
{
    size_t o = 0;
    for (size_t i = 0; i < w->n_pending; i++) {
        struct unstored u = w->pending[i];
        if (u.index < low && (size_t)u.outcome < KC_OUTCOME__COUNT)
            w->settled[u.outcome]++;
        else if (u.index >= low)
            w->pending[o++] = u;
    }
    w->n_pending = o;
}

static int sink_write(struct kc_sink *s, const struct kc_result *r)
{
    struct store_sink *w = container_of(s, struct store_sink, base);
    struct item *it;
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    if (w->state != WRITER_RUNNING) {
        rc = failure_of(w);
    } else if (!kc_store_policy_keeps(w->cfg.store, r)) {
        rc = pending_add(w, r);
        if (rc == 0)
            count_result(w, r); /* counted, not stored */
    } else if ((it = slot_take(w)) == NULL) {
        rc = failure_of(w);
    } else if (kc_result_copy_packed(&it->r, r, &it->block) != 0) {
        rc = kc_error_set(&s->err, -ENOMEM, "out of memory queueing a result");
    } else {
        it->kind = ITEM_RESULT;
        count_result(w, r);
        slot_commit(w);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int queue_progress(struct store_sink *w, const struct kc_checkpoint *cp)
{
    struct item *it = slot_take(w);
    if (it == NULL)
        return failure_of(w);
    kc_result_init(&it->r);
    it->kind = ITEM_PROGRESS;
    it->has_cp = cp != NULL;
    if (cp != NULL) {
        it->cp = *cp;
        w->counters.dispatched = cp->next_dispatch;
        pending_settle(w, cp->low_uncommitted);
        memcpy(it->settled, w->settled, sizeof(it->settled));
    }
    it->counters = w->counters;
    slot_commit(w);
    return 0;
}

static int sink_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp)
{
    struct store_sink *w = container_of(s, struct store_sink, base);
    int rc;
    pthread_mutex_lock(&w->mu);
    rc = w->state == WRITER_RUNNING ? queue_progress(w, cp) : failure_of(w);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Queues the counters and waits until everything queued is committed. */
static int sink_flush(struct kc_sink *s)
{
    struct store_sink *w = container_of(s, struct store_sink, base);
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    if (w->state == WRITER_RUNNING)
        rc = queue_progress(w, NULL);
    w->flush_to = w->enqueued;
    pthread_cond_signal(&w->wake);
    while (w->done < w->flush_to && w->state == WRITER_RUNNING)
        pthread_cond_wait(&w->space, &w->mu);
    if (w->state != WRITER_RUNNING)
        rc = failure_of(w);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static bool sink_busy(struct kc_sink *s)
{
    struct store_sink *w = container_of(s, struct store_sink, base);
    pthread_mutex_lock(&w->mu);
    bool busy = w->len >= w->cfg.queue_high;
    pthread_mutex_unlock(&w->mu);
    return busy;
}

static void sink_destroy(struct store_sink *w)
{
    kc_insert_free(w->ins);
    free(w->ring);
    free(w->pending);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->space);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static void sink_free(struct kc_sink *s)
{
    struct store_sink *w = container_of(s, struct store_sink, base);
    sink_flush(s);
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    sink_destroy(w);
}

static const struct kc_sink_ops store_sink_ops = {
    .write = sink_write,
    .checkpoint = sink_checkpoint,
    .flush = sink_flush,
    .free = sink_free,
    .busy = sink_busy,
};

int kc_store_sink_counters(struct kc_sink *sink, struct kc_scan_counters *out)
{
    if (sink == NULL || sink->ops != &store_sink_ops)
        return -EINVAL;
    struct store_sink *w = container_of(sink, struct store_sink, base);
    pthread_mutex_lock(&w->mu);
    *out = w->counters;
    out->stored = w->stored;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

static void config_defaults(struct kc_store_writer_config *c,
                            const struct kc_store_writer_config *in)
{
    if (in != NULL)
        *c = *in;
    if (c->batch_rows == 0)
        c->batch_rows = 2000;
    if (c->batch_ms == 0)
        c->batch_ms = 200;
    if (c->queue_high == 0)
        c->queue_high = 8192;
}

struct kc_sink *kc_store_sink_new(struct kc_store *s, int64_t scan_id,
                                  const struct kc_store_writer_config *cfg,
                                  struct kc_error *err)
{
    struct store_sink *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        kc_error_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    w->base.ops = &store_sink_ops;
    w->store = s;
    w->scan_id = scan_id;
    config_defaults(&w->cfg, cfg);
    /* Hard bound: the scanner pauses at queue_high; in-flight targets
     * may still land up to twice that before writes wait. */
    w->cap = (size_t)w->cfg.queue_high * 2;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->space, NULL);
    w->ring = calloc(w->cap, sizeof(*w->ring));
    int rc = w->ring ? 0 : kc_error_set(err, -ENOMEM, "out of memory");
    /* A resumed scan starts from counters recomputed from its rows. */
    if (rc == 0)
        rc = kc_store_scan_recount(s, scan_id, err);
    if (rc == 0)
        rc = kc_store_load_counters(s, scan_id, &w->counters, err);
    if (rc == 0)
        rc = kc_store_load_unstored(s, scan_id, w->settled, err);
    if (rc == 0) {
        w->stored = w->counters.stored;
        if (cfg != NULL && cfg->targets_total)
            w->counters.targets_total = cfg->targets_total;
        kc_store_lock(s);
        rc = kc_insert_new(s, scan_id, &w->ins, err);
        kc_store_unlock(s);
    }
    if (rc == 0 && pthread_create(&w->thread, NULL, writer_main, w) != 0)
        rc = kc_error_set(err, -EAGAIN, "cannot start the writer thread");
    if (rc != 0) {
        sink_destroy(w);
        return NULL;
    }
    return &w->base;
}
