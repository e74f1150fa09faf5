/* scanner.c - the loop threads: dispatch under a shared source, rate,
 * concurrency and backpressure, checkpoints, graceful stop.
 *
 * Policy (how many, how fast) lives here; mechanism (sockets, TLS, HTTP)
 * lives in conn.c. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine.h"

/* File descriptors kept back for the database, logs and libuv itself. */
#define FD_RESERVE 64
/* How long to wait before asking a busy sink or an empty stream again. */
#define RETRY_MS 10
/* Back-off after running out of sockets. */
#define BACKOFF_MS 100

void kc_scanner_config_init(struct kc_scanner_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->concurrency = KC_SCANNER_DEFAULT_CONCURRENCY;
    cfg->rate = KC_SCANNER_DEFAULT_RATE;
    cfg->timeout_ms = KC_SCANNER_DEFAULT_TIMEOUT_S * 1000;
    cfg->dns_concurrency = KC_SCANNER_DEFAULT_DNS_CONCURRENCY;
    cfg->probes = KC_PROBES_DEFAULT;
    cfg->max_reconnects = KC_SCANNER_DEFAULT_RECONNECTS;
}

/* ---------------- lists ---------------- */

static void list_push(struct conn_list *l, struct conn *c)
{
    c->prev = l->tail;
    c->next = NULL;
    if (l->tail != NULL)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->n++;
}

static void list_remove(struct conn_list *l, struct conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
}

static void queue_push(struct conn_queue *q, struct conn *c)
{
    c->wnext = NULL;
    if (q->tail != NULL)
        q->tail->wnext = c;
    else
        q->head = c;
    q->tail = c;
    q->n++;
}

static struct conn *queue_pop(struct conn_queue *q)
{
    struct conn *c = q->head;
    if (c != NULL) {
        q->head = c->wnext;
        if (q->head == NULL)
            q->tail = NULL;
        c->wnext = NULL;
        q->n--;
    }
    return c;
}

/* Unlinks c, which follows prev (NULL: c is the head). */
static void queue_unlink(struct conn_queue *q, struct conn *prev,
                         struct conn *c)
{
    if (prev != NULL)
        prev->wnext = c->wnext;
    else
        q->head = c->wnext;
    if (q->tail == c)
        q->tail = prev;
    c->wnext = NULL;
    q->n--;
}

static void worker_update_low(struct kc_worker *w)
{
    uint64_t low = w->abandoned_low;
    if (w->active.head != NULL && w->active.head->target.index < low)
        low = w->active.head->target.index;
    atomic_store(&w->low, low);
}

/* ---------------- dispatch ---------------- */

static void worker_pump(struct kc_worker *w);

static void on_pump(uv_timer_t *t)
{
    worker_pump(container_of(t, struct kc_worker, pump));
}

/* OpenSSL frees its 22 KB handshake buffer and its buffering BIO when a
 * handshake ends, and its 17 KB record buffers whenever they drain
 * (SSL_MODE_RELEASE_BUFFERS); glibc keeps those holes mapped inside the
 * heap, so RSS would stay at the handshake peak for targets that are past
 * it. malloc_trim() returns whole free pages to the system (MADV_DONTNEED);
 * it costs well under a millisecond per call on a scan's heap. */
static void on_trim(uv_timer_t *t)
{
    (void)t;
    malloc_trim(0);
}

static void on_wake(uv_async_t *a)
{
    worker_pump(container_of(a, struct kc_worker, wake));
}

void kc_worker_kick(struct kc_worker *w)
{
    if (!w->closing && !uv_is_active((uv_handle_t *)&w->pump))
        uv_timer_start(&w->pump, on_pump, 0, 0);
}

static void worker_wait(struct kc_worker *w, uint64_t ms)
{
    if (!w->closing)
        uv_timer_start(&w->pump, on_pump, ms, 0);
}

/* ---------------- per-host slots ---------------- */

/* A slot freed on an address others wait for: every loop looks at its
 * parked targets again (the waiter may be on any loop). */
static void scanner_wake_parked(struct kc_scanner *sc)
{
    pthread_mutex_lock(&sc->dispatch_lock);
    for (uint32_t i = 0; i < sc->nthreads; i++) {
        struct kc_worker *w = sc->workers[i];
        atomic_store(&w->hosts_dirty, true);
        if (w->wake_open)
            uv_async_send(&w->wake);
    }
    pthread_mutex_unlock(&sc->dispatch_lock);
}

static void worker_host_release(struct kc_worker *w, struct conn *c)
{
    if (!c->host_slot)
        return;
    c->host_slot = false;
    if (kc_hosts_release(w->sc->hosts, &c->target.addr))
        scanner_wake_parked(w->sc);
}

static void worker_park(struct kc_worker *w, struct conn *c)
{
    queue_push(&w->parked, c);
    atomic_fetch_add(&w->sc->parked, 1);
    kc_conn_park(c);
}

static void worker_unparked(struct kc_worker *w, struct conn *prev,
                            struct conn *c)
{
    queue_unlink(&w->parked, prev, c);
    atomic_fetch_sub(&w->sc->parked, 1);
}

bool kc_worker_host_admit(struct kc_worker *w, struct conn *c)
{
    if (w->sc->hosts == NULL)
        return true;
    if (kc_hosts_acquire(w->sc->hosts, &c->target.addr, true)) {
        c->host_slot = true;
        return true;
    }
    worker_park(w, c);
    return false;
}

void kc_worker_unpark(struct kc_worker *w, struct conn *c)
{
    /* Linear: the queue is at most max_parked plus the lookups that were
     * in flight, and a target leaves it this way at most once. */
    struct conn *prev = NULL;
    for (struct conn *p = w->parked.head; p != NULL; prev = p, p = p->wnext) {
        if (p == c) {
            worker_unparked(w, prev, c);
            kc_hosts_unpark(w->sc->hosts, &c->target.addr, true);
            return;
        }
    }
}

static uint32_t worker_running(const struct kc_worker *w)
{
    return w->active.n - w->waiting.n - w->parked.n;
}

enum admit {
    ADMIT_STARTED,
    ADMIT_PARKED,  /* its address is at the cap: in w->parked */
    ADMIT_WAIT,    /* no lookup slot: the caller queues it */
};

/* Starts c unless a lookup slot or its address's slot is missing. */
static enum admit worker_admit(struct kc_worker *w, struct conn *c)
{
    struct kc_scanner *sc = w->sc;
    if (kc_conn_needs_dns(c)) {
        if (w->dns_inflight >= sc->cfg.dns_concurrency)
            return ADMIT_WAIT;
    } else if (!kc_worker_host_admit(w, c)) {
        return ADMIT_PARKED;
    }
    kc_conn_start(c);
    return ADMIT_STARTED;
}

/* Starts the parked targets whose address has a free slot now, oldest
 * first, while the concurrency limit allows. */
static void worker_run_parked(struct kc_worker *w)
{
    if (w->parked.head == NULL || !atomic_exchange(&w->hosts_dirty, false))
        return;
    struct conn *prev = NULL, *c = w->parked.head;
    while (c != NULL) {
        struct conn *next = c->wnext;
        if (worker_running(w) >= w->limit) {
            /* Slots may be free: look again when a target finishes. */
            atomic_store(&w->hosts_dirty, true);
            return;
        }
        if (kc_hosts_unpark(w->sc->hosts, &c->target.addr, false)) {
            worker_unparked(w, prev, c);
            c->host_slot = true;
            kc_conn_start(c);
        } else {
            prev = c;
        }
        c = next;
    }
}

void kc_worker_defer(struct kc_worker *w, struct conn *c)
{
    worker_host_release(w, c);
    queue_push(&w->waiting, c);
    kc_worker_kick(w);
}

void kc_worker_lookup_begin(struct kc_worker *w)
{
    w->dns_inflight++;
}

void kc_worker_lookup_end(struct kc_worker *w)
{
    w->dns_inflight--;
    kc_worker_kick(w); /* someone may wait for the lookup slot */
}

bool kc_worker_blocked(struct kc_worker *w, const struct kc_addr *a)
{
    struct kc_scanner *sc = w->sc;
    if (sc->src.blocked == NULL)
        return false;
    pthread_mutex_lock(&sc->dispatch_lock);
    bool blocked = sc->src.blocked(sc->src.ctx, a);
    pthread_mutex_unlock(&sc->dispatch_lock);
    return blocked;
}

uint64_t kc_worker_reconnect_wait(struct kc_worker *w)
{
    /* A started target's next connection goes before new targets: it may
     * borrow up to one second of this loop's rate ahead, which new
     * targets then wait out. The rate holds on average, and a target
     * whose server closes after every answer is not starved into its
     * deadline by dispatch. */
    double ahead = w->rate.per_ms * 1000.0;
    uint64_t wait = kc_rate_take_ahead(&w->rate, uv_now(&w->loop),
                                       ahead > 1.0 ? ahead : 1.0);
    if (wait == 0)
        atomic_fetch_add(&w->sc->reconnects, 1);
    return wait;
}

void kc_worker_transition(struct kc_worker *w, enum conn_state from,
                          enum conn_state to)
{
    w->transitions[from][to]++;
}

void kc_worker_slow_down(struct kc_worker *w)
{
    uint32_t busy = w->active.n > 1 ? w->active.n - 1 : 1;
    if (busy < w->limit)
        w->limit = busy;
    w->backoff_until = uv_now(&w->loop) + BACKOFF_MS;
    atomic_fetch_add(&w->sc->slowdowns, 1);
}

void kc_worker_emit(struct kc_worker *w, const struct kc_result *r)
{
    struct kc_scanner *sc = w->sc;
    pthread_mutex_lock(&sc->sink_lock);
    int rc = kc_sink_write(sc->sink, r);
    pthread_mutex_unlock(&sc->sink_lock);
    if (rc < 0) {
        pthread_mutex_lock(&sc->dispatch_lock);
        if (sc->err_code == 0) {
            sc->err_code = rc;
            kc_error_set(&sc->err, rc, "writing results: %s",
                         sc->sink->err.msg[0] ? sc->sink->err.msg
                                              : strerror(-rc));
        }
        pthread_mutex_unlock(&sc->dispatch_lock);
        kc_scanner_stop(sc);
    }
    atomic_fetch_add(&sc->completed, 1);
    if ((unsigned)r->outcome < KC_OUTCOME__COUNT)
        atomic_fetch_add(&sc->by_outcome[r->outcome], 1);
    if (r->is_kubernetes == 1)
        atomic_fetch_add(&sc->kubernetes, 1);
}

void kc_worker_release(struct kc_worker *w, struct conn *c)
{
    worker_host_release(w, c);
    list_remove(&w->active, c);
    worker_update_low(w);
    atomic_fetch_sub(&w->sc->inflight, 1);
    /* Additive increase after a slow-down. */
    if (w->limit < w->max_inflight)
        w->limit++;
    kc_worker_kick(w);
}

/* Takes the next target under the dispatch lock and registers it in the
 * active list before unlocking, so a checkpoint never misses it.
 * Returns 1 (conn in *out), 0 done, -EAGAIN, or -errno. */
static int worker_take(struct kc_worker *w, struct conn **out)
{
    struct kc_scanner *sc = w->sc;
    struct kc_target t;
    struct kc_error err = {0};
    int rc;
    pthread_mutex_lock(&sc->dispatch_lock);
    if (sc->source_done) {
        rc = 0;
    } else {
        rc = sc->src.next(sc->src.ctx, &t, &err);
        if (rc == 0)
            sc->source_done = true;
    }
    if (rc == 1) {
        *out = kc_conn_new(w, &t);
        if (*out == NULL) {
            rc = -ENOMEM;
            kc_error_set(&err, rc, "out of memory");
        } else {
            list_push(&w->active, *out);
            worker_update_low(w);
            atomic_fetch_add(&sc->dispatched, 1);
            atomic_fetch_add(&sc->inflight, 1);
        }
    }
    if (rc < 0 && rc != -EAGAIN && sc->err_code == 0) {
        sc->err_code = rc;
        sc->err = err;
        if (sc->err.msg[0] == '\0')
            kc_error_set(&sc->err, rc, "reading targets: %s", strerror(-rc));
    }
    pthread_mutex_unlock(&sc->dispatch_lock);
    return rc;
}

static bool worker_source_done(struct kc_worker *w)
{
    pthread_mutex_lock(&w->sc->dispatch_lock);
    bool done = w->sc->source_done;
    pthread_mutex_unlock(&w->sc->dispatch_lock);
    return done;
}

static void worker_close(struct kc_worker *w)
{
    struct kc_scanner *sc = w->sc;
    w->closing = true;
    uv_timer_stop(&w->pump);
    uv_close((uv_handle_t *)&w->pump, NULL);
    uv_timer_stop(&w->trim);
    uv_close((uv_handle_t *)&w->trim, NULL);
    pthread_mutex_lock(&sc->dispatch_lock);
    w->wake_open = false;
    uv_close((uv_handle_t *)&w->wake, NULL);
    pthread_mutex_unlock(&sc->dispatch_lock);
}

/* On stop, targets that never got a socket are dropped unwritten; the
 * checkpoint keeps them below low_uncommitted so --resume visits them. */
static void worker_drop_waiting(struct kc_worker *w)
{
    struct conn *c;
    while ((c = queue_pop(&w->waiting)) != NULL) {
        if (c->target.index < w->abandoned_low)
            w->abandoned_low = c->target.index;
        kc_conn_abandon(c);
    }
    while ((c = w->parked.head) != NULL) {
        worker_unparked(w, NULL, c);
        kc_hosts_unpark(w->sc->hosts, &c->target.addr, true);
        if (c->target.index < w->abandoned_low)
            w->abandoned_low = c->target.index;
        kc_conn_abandon(c);
    }
    worker_update_low(w);
}

/* Restarts waiting conns while they may start (a capped address parks
 * its conn and the next one goes on). False if some must wait. */
static bool worker_run_waiting(struct kc_worker *w, uint64_t now)
{
    while (w->waiting.head != NULL) {
        if (now < w->backoff_until) {
            worker_wait(w, w->backoff_until - now);
            return false;
        }
        struct conn *c = queue_pop(&w->waiting);
        if (worker_admit(w, c) == ADMIT_WAIT) {
            /* Back at the head: a finishing lookup kicks us. */
            c->wnext = w->waiting.head;
            w->waiting.head = c;
            if (w->waiting.tail == NULL)
                w->waiting.tail = c;
            w->waiting.n++;
            return false;
        }
    }
    return true;
}

/* Opens new targets while the limits allow, else arranges to be called
 * again: by a finishing conn, the pump timer or a wake-up. */
static void worker_pump(struct kc_worker *w)
{
    struct kc_scanner *sc = w->sc;
    if (w->closing)
        return;
    bool stopping = atomic_load(&sc->stop);
    if (stopping)
        worker_drop_waiting(w);
    uint64_t now = uv_now(&w->loop);
    if (!stopping)
        worker_run_parked(w);
    if (!stopping && worker_run_waiting(w, now)) {
        while (worker_running(w) < w->limit && now >= w->backoff_until &&
               w->parked.n < w->max_parked) {
            if (kc_sink_busy(sc->sink)) {
                worker_wait(w, RETRY_MS);
                break;
            }
            uint64_t wait = kc_rate_wait_ms(&w->rate, now);
            if (wait > 0) {
                worker_wait(w, wait);
                break;
            }
            struct conn *c = NULL;
            int rc = worker_take(w, &c);
            if (rc == -EAGAIN) {
                worker_wait(w, RETRY_MS);
                break;
            }
            if (rc < 0) {
                kc_scanner_stop(sc);
                break;
            }
            if (rc == 0)
                break;
            kc_rate_take(&w->rate, now);
            if (worker_admit(w, c) == ADMIT_WAIT)
                queue_push(&w->waiting, c);
            if (!worker_run_waiting(w, now))
                break;
        }
    }
    stopping = atomic_load(&sc->stop);
    if (w->active.n == 0 && (stopping || worker_source_done(w)))
        worker_close(w);
}

/* ---------------- threads ---------------- */

static void *worker_main(void *arg)
{
    struct kc_worker *w = arg;
    sigset_t pipe;
    /* A peer that resets while we write must cost an EPIPE, not the
     * process; other signals are for the caller's thread. */
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigaddset(&pipe, SIGINT);
    sigaddset(&pipe, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    uv_timer_start(&w->pump, on_pump, 0, 0);
    uv_timer_start(&w->trim, on_trim, 1000, 1000);
    uv_unref((uv_handle_t *)&w->trim); /* never keeps the loop alive */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    atomic_fetch_sub(&w->sc->running, 1);
    return NULL;
}

static void worker_free(struct kc_worker *w)
{
    if (w == NULL)
        return;
    if (w->wake_open) {
        /* The thread never ran: its handles are still open. */
        uv_close((uv_handle_t *)&w->pump, NULL);
        uv_close((uv_handle_t *)&w->trim, NULL);
        uv_close((uv_handle_t *)&w->wake, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&w->loop);
    kc_tls_spares_free(&w->spares);
    SSL_CTX_free(w->ctx);
    free(w);
}

static int worker_new(struct kc_scanner *sc, uint32_t id, uint32_t share,
                      struct kc_worker **out)
{
    struct kc_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->sc = sc;
    w->id = id;
    w->max_inflight = w->limit = share;
    uint32_t parked = sc->cfg.max_parked / sc->nthreads;
    w->max_parked = parked > 0 ? parked : 1;
    w->abandoned_low = UINT64_MAX;
    atomic_store(&w->low, UINT64_MAX);
    int rc = uv_loop_init(&w->loop);
    if (rc < 0) {
        free(w);
        return rc;
    }
    w->ctx = kc_tls_ctx_new();
    if (w->ctx == NULL || kc_tls_spares_init(&w->spares, share) != 0) {
        SSL_CTX_free(w->ctx);
        uv_loop_close(&w->loop);
        free(w);
        return -ENOMEM;
    }
    uv_timer_init(&w->loop, &w->pump);
    uv_timer_init(&w->loop, &w->trim);
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake_open = true;
    kc_rate_init(&w->rate, (double)sc->cfg.rate / sc->nthreads,
                 uv_now(&w->loop));
    *out = w;
    return 0;
}

/* Raises the soft fd limit to the hard one; returns how many targets can
 * be in flight (each holds one socket). */
static uint32_t fd_budget(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1000;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > UINT32_MAX)
        return UINT32_MAX;
    return rl.rlim_cur > FD_RESERVE * 2 ? (uint32_t)rl.rlim_cur - FD_RESERVE
                                        : (uint32_t)rl.rlim_cur / 2;
}

static void scanner_apply_defaults(struct kc_scanner *sc)
{
    struct kc_scanner_config *cfg = &sc->cfg;
    if (cfg->concurrency == 0)
        cfg->concurrency = KC_SCANNER_DEFAULT_CONCURRENCY;
    if (cfg->timeout_ms == 0)
        cfg->timeout_ms = KC_SCANNER_DEFAULT_TIMEOUT_S * 1000;
    if (cfg->dns_concurrency == 0)
        cfg->dns_concurrency = KC_SCANNER_DEFAULT_DNS_CONCURRENCY;
    uint32_t fds = fd_budget();
    if (cfg->concurrency > fds)
        cfg->concurrency = fds;
    if (cfg->max_parked == 0)
        cfg->max_parked = cfg->concurrency;
    sc->nthreads = cfg->threads ? cfg->threads
                                : (uint32_t)uv_available_parallelism();
    if (sc->nthreads == 0)
        sc->nthreads = 1;
    if (sc->nthreads > cfg->concurrency)
        sc->nthreads = cfg->concurrency;
    cfg->threads = sc->nthreads;
}

int kc_scanner_new(const struct kc_scanner_config *cfg,
                   const struct kc_scan_source *src, struct kc_sink *sink,
                   struct kc_scanner **out, struct kc_error *err)
{
    if (src == NULL || src->next == NULL || sink == NULL)
        return kc_error_set(err, -EINVAL, "scanner: no source or sink");
    if ((unsigned)cfg->probes >= KC_PROBES__COUNT)
        return kc_error_set(err, -EINVAL, "scanner: bad probe set");
    struct kc_scanner *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    sc->cfg = *cfg;
    sc->src = *src;
    sc->sink = sink;
    scanner_apply_defaults(sc);
    sc->user_agent = strdup(cfg->user_agent ? cfg->user_agent
                                            : KC_SCANNER_DEFAULT_UA);
    sc->workers = calloc(sc->nthreads, sizeof(*sc->workers));
    pthread_mutex_init(&sc->dispatch_lock, NULL);
    pthread_mutex_init(&sc->sink_lock, NULL);
    if (sc->user_agent == NULL || sc->workers == NULL) {
        kc_scanner_free(sc);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    /* Response headers above this are too_large (process-wide setting of
     * libhttp-parser, the same for every scanner). */
    http_parser_set_max_header_size(KC_HTTP_MAX_HEADER);
    if (sc->cfg.per_host > 0) {
        /* Entries: addresses with a target running or parked, at most
         * concurrency + max_parked, plus the resolved hostnames that park
         * past max_parked (each was a lookup in flight: concurrency). */
        int rc = kc_hosts_new(sc->cfg.per_host,
                              2 * sc->cfg.concurrency + sc->cfg.max_parked,
                              &sc->hosts);
        if (rc < 0) {
            kc_scanner_free(sc);
            return kc_error_set(err, rc, "out of memory");
        }
    }
    for (uint32_t i = 0; i < sc->nthreads; i++) {
        uint32_t share = sc->cfg.concurrency / sc->nthreads +
                         (i < sc->cfg.concurrency % sc->nthreads);
        int rc = worker_new(sc, i, share, &sc->workers[i]);
        if (rc < 0) {
            kc_scanner_free(sc);
            return kc_error_set(err, rc, "scanner: cannot set up loop %u: %s",
                                i, rc == -ENOMEM ? "out of memory"
                                                 : uv_strerror(rc));
        }
    }
    *out = sc;
    return 0;
}

int kc_scanner_start(struct kc_scanner *sc)
{
    for (uint32_t i = 0; i < sc->nthreads; i++) {
        struct kc_worker *w = sc->workers[i];
        atomic_fetch_add(&sc->running, 1);
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            atomic_fetch_sub(&sc->running, 1);
            kc_scanner_stop(sc);
            return -rc;
        }
        w->started = true;
    }
    return 0;
}

void kc_scanner_stop(struct kc_scanner *sc)
{
    atomic_store(&sc->stop, true);
    pthread_mutex_lock(&sc->dispatch_lock);
    for (uint32_t i = 0; i < sc->nthreads; i++) {
        struct kc_worker *w = sc->workers[i];
        if (w != NULL && w->wake_open)
            uv_async_send(&w->wake);
    }
    pthread_mutex_unlock(&sc->dispatch_lock);
}

bool kc_scanner_stopped(struct kc_scanner *sc)
{
    return atomic_load(&sc->stop);
}

bool kc_scanner_done(struct kc_scanner *sc)
{
    return atomic_load(&sc->running) == 0;
}

int kc_scanner_join(struct kc_scanner *sc)
{
    for (uint32_t i = 0; i < sc->nthreads; i++) {
        struct kc_worker *w = sc->workers[i];
        if (w->started) {
            pthread_join(w->thread, NULL);
            w->started = false;
        }
    }
    return sc->err_code;
}

int kc_scanner_run(struct kc_scanner *sc)
{
    int rc = kc_scanner_start(sc);
    int jrc = kc_scanner_join(sc);
    return rc < 0 ? rc : jrc;
}

int kc_scanner_checkpoint(struct kc_scanner *sc, struct kc_checkpoint *cp)
{
    struct kc_checkpoint c;
    pthread_mutex_lock(&sc->dispatch_lock);
    c.next_dispatch = sc->src.position ? sc->src.position(sc->src.ctx) : 0;
    c.low_uncommitted = c.next_dispatch;
    for (uint32_t i = 0; i < sc->nthreads; i++) {
        uint64_t low = atomic_load(&sc->workers[i]->low);
        if (low < c.low_uncommitted)
            c.low_uncommitted = low;
    }
    pthread_mutex_unlock(&sc->dispatch_lock);
    if (cp != NULL)
        *cp = c;
    pthread_mutex_lock(&sc->sink_lock);
    int rc = kc_sink_checkpoint(sc->sink, &c);
    pthread_mutex_unlock(&sc->sink_lock);
    return rc;
}

void kc_scanner_stats(struct kc_scanner *sc, struct kc_scanner_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->dispatched = atomic_load(&sc->dispatched);
    out->completed = atomic_load(&sc->completed);
    out->inflight = atomic_load(&sc->inflight);
    out->kubernetes = atomic_load(&sc->kubernetes);
    out->slowdowns = atomic_load(&sc->slowdowns);
    for (size_t i = 0; i < KC_OUTCOME__COUNT; i++)
        out->by_outcome[i] = atomic_load(&sc->by_outcome[i]);
    out->parked = atomic_load(&sc->parked);
    out->reconnects = atomic_load(&sc->reconnects);
    out->concurrency = sc->cfg.concurrency;
    out->threads = sc->nthreads;
}

uint64_t kc_scanner_transitions(struct kc_scanner *sc, size_t from, size_t to)
{
    uint64_t n = 0;
    if (from >= CONN__STATES || to >= CONN__STATES)
        return 0;
    for (uint32_t i = 0; i < sc->nthreads; i++)
        n += sc->workers[i]->transitions[from][to];
    return n;
}

const struct kc_error *kc_scanner_error(struct kc_scanner *sc)
{
    return &sc->err;
}

void kc_scanner_free(struct kc_scanner *sc)
{
    if (sc == NULL)
        return;
    kc_scanner_join(sc);
    for (uint32_t i = 0; sc->workers != NULL && i < sc->nthreads; i++)
        worker_free(sc->workers[i]);
    free(sc->workers);
    kc_hosts_free(sc->hosts);
    free(sc->user_agent);
    pthread_mutex_destroy(&sc->dispatch_lock);
    pthread_mutex_destroy(&sc->sink_lock);
    free(sc);
}
