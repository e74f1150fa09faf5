/*
 * engine.h - internal to scanner/: the scanner, its loop threads (workers)
 * and the per-target connection. conn.c runs one target; scanner.c runs the
 * workers, dispatch, rate and checkpoints.
 */
#ifndef KCENSUS_SCANNER_ENGINE_H
#define KCENSUS_SCANNER_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include <uv.h>

#include "scanner-private.h"
#include "scanner.h"

#define KC_READ_BUF (64 * 1024)
#define KC_PLAIN_BUF (16 * 1024)

struct conn;

/* Where a target is; c->state is the whole truth (conn.c lists the
 * transitions in one table, checked in debug builds). */
enum conn_state {
    CONN_WAITING = 0, /* has an index, no socket: in the worker's waiting
                         queue, or about to be admitted */
    CONN_RESOLVING,   /* its hostname's lookup is running */
    CONN_PARKED,      /* its address is at --per-host: in the worker's
                         parked queue (deadline running once started) */
    CONN_CONNECTING,  /* SYN sent */
    CONN_TLS,         /* handshake */
    CONN_HTTP,        /* a probe is out */
    CONN_RECONNECTING,/* the server closed between probes: the socket is
                         closing, or a rate token is awaited; the result
                         and the deadline are kept */
    CONN_RETRYING,    /* the attempt failed (--retries) or no socket could
                         be made: the socket is closing, then WAITING */
    CONN_CLOSING,     /* result written; handles closing, then freed */
};
#define CONN__STATES (CONN_CLOSING + 1)

/* What exists only once the handshake is done: the HTTP reader, the
 * result and the probe cursor. Kept out of struct conn_live so that a
 * target in the TLS handshake (most of them, at internet scale, wait for a
 * ServerHello) does not carry the 2.4 KB result record yet. */
struct conn_talk {
    struct kc_http_rx rx;
    struct kc_result result;
    size_t probe;         /* index in the probe set being asked */
    size_t n_planned;
    uint32_t answered_here; /* answers on the current connection */
    uint64_t sent_us;     /* request written (mono) */
    /* Host header value: a name of up to KC_MAX_SNI bytes or a bracketed
     * IPv6 literal, then ":65535" and the NUL. */
    char authority[KC_MAX_SNI + 8];
};

/* What exists only while TCP is up: the TLS engine. Keeping it out of
 * struct conn keeps a target that is still waiting for a SYN-ACK small. */
struct conn_live {
    struct kc_tls tls;
    uint64_t tls_start_us;
};

/* One target: owner of its libuv handles, freed in the last close callback. */
struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;      /* one timer, re-armed per phase */
    union {
        uv_connect_t connect;
        uv_getaddrinfo_t gai;
    } req;
    struct kc_worker *w;
    struct conn *prev, *next;   /* worker's active list */
    struct conn *wnext;         /* worker's waiting or parked queue */
    enum conn_state state;
    unsigned closing;           /* handles/requests still to call back */
    bool tcp_open;              /* tcp handle initialised */
    bool gai_pending;           /* the lookup has not called back yet */
    bool host_slot;             /* holds a --per-host slot for its address */
    uint32_t attempts;
    uint32_t connections;       /* TCP connections of this attempt */
    uint64_t deadline_ms;       /* absolute, uv_now() clock */
    uint64_t phase_start_us;
    int64_t started_wall_us;
    uint32_t connect_us;
    struct kc_target target;
    struct conn_live *live;     /* NULL until TCP is up, and between
                                   connections */
    struct conn_talk *talk;     /* NULL until the first handshake is done;
                                   kept across reconnects */
};

/* Intrusive list of conns, in dispatch (= index) order. */
struct conn_list {
    struct conn *head, *tail;
    uint32_t n;
};

struct conn_queue {
    struct conn *head, *tail;
    uint32_t n;
};

struct kc_worker {
    struct kc_scanner *sc;
    uint32_t id;
    pthread_t thread;
    bool started;
    uv_loop_t loop;
    uv_timer_t pump;         /* re-runs dispatch after a wait */
    uv_timer_t trim;         /* hands freed heap pages back, 1/s */
    uv_async_t wake;         /* kc_scanner_stop() from other threads */
    bool wake_open;          /* guarded by sc->dispatch_lock */
    bool closing;
    SSL_CTX *ctx;
    struct kc_tls_spares spares; /* cleared SSLs for the next connections */
    struct kc_rate rate;
    uint32_t max_inflight;   /* this worker's share of -c */
    uint32_t limit;          /* current limit (lowered on EMFILE) */
    uint32_t dns_inflight;   /* changed by kc_worker_lookup_* only */
    uint64_t backoff_until;  /* uv_now ms; no new sockets before */
    struct conn_list active; /* every conn owning an index */
    struct conn_queue waiting;/* conns waiting for a socket/lookup slot */
    struct conn_queue parked; /* conns whose address is at --per-host */
    uint32_t max_parked;     /* dispatch pauses while parked.n is here */
    atomic_bool hosts_dirty; /* a host slot freed: look at parked again */
    _Atomic uint64_t low;    /* lowest index not yet written: min of the
                                active head and abandoned_low */
    uint64_t abandoned_low;  /* lowest index dropped unwritten on stop */
    char rbuf[KC_READ_BUF];  /* shared by all conns: reads are consumed
                                within the callback */
    char pbuf[KC_PLAIN_BUF];
    /* conn_set_state()'s transitions, counted by kc_worker_transition() */
    uint64_t transitions[CONN__STATES][CONN__STATES];
};

struct kc_scanner {
    struct kc_scanner_config cfg;
    char *user_agent;
    struct kc_scan_source src;
    struct kc_sink *sink;
    pthread_mutex_t dispatch_lock; /* src, source_done, err, wake_open */
    pthread_mutex_t sink_lock;
    bool source_done;
    int err_code;
    struct kc_error err;
    atomic_bool stop;
    atomic_uint running;
    uint32_t nthreads;
    struct kc_worker **workers;
    struct kc_hosts *hosts;  /* --per-host slots, NULL without a cap */
    _Atomic uint64_t dispatched, completed, inflight, kubernetes, slowdowns;
    _Atomic uint64_t parked;
    _Atomic uint64_t reconnects;
    _Atomic uint64_t by_outcome[KC_OUTCOME__COUNT];
};

/* conn.c */
struct conn *kc_conn_new(struct kc_worker *w, const struct kc_target *t);
/* Starts (or restarts) the target: lookup or connect. */
void kc_conn_start(struct conn *c);
/* True if c must resolve its hostname first. */
bool kc_conn_needs_dns(const struct conn *c);
/* Finishes a conn that never got a socket (graceful stop drains the
 * waiting queue through the normal teardown). */
void kc_conn_abandon(struct conn *c);
/* The one way a conn parks: the worker has queued it in w->parked; the
 * deadline, if the attempt started, keeps running. */
void kc_conn_park(struct conn *c);

/* scanner.c, called by conn.c */
/* c waits in the worker's queue (no socket/lookup slot now); it gives
 * back its host slot, if it held one. */
void kc_worker_defer(struct kc_worker *w, struct conn *c);
/* A resolved hostname: takes the --per-host slot for its address (true,
 * or no cap), else parks c until one frees (false; the worker then calls
 * kc_conn_start(c), which connects with the deadline still running). */
bool kc_worker_host_admit(struct kc_worker *w, struct conn *c);
/* c (CONN_PARKED) stops waiting for its slot: timed out or stopping. */
void kc_worker_unpark(struct kc_worker *w, struct conn *c);
/* Runs dispatch again soon (a slot freed). */
void kc_worker_kick(struct kc_worker *w);
/* A socket could not be created (EMFILE...): slow down. */
void kc_worker_slow_down(struct kc_worker *w);
/* c is finished and its result written: forget it and dispatch more. */
void kc_worker_release(struct kc_worker *w, struct conn *c);
/* Writes a result under the sink lock, counting it. */
void kc_worker_emit(struct kc_worker *w, const struct kc_result *r);
/* A lookup starts / has called back (its slot frees: dispatch again). */
void kc_worker_lookup_begin(struct kc_worker *w);
void kc_worker_lookup_end(struct kc_worker *w);
/* True if a resolved address is in the source's blocklist. */
bool kc_worker_blocked(struct kc_worker *w, const struct kc_addr *a);
/* A reconnect asks for a rate token: 0 when taken (connect now), else the
 * milliseconds to wait before asking again. */
uint64_t kc_worker_reconnect_wait(struct kc_worker *w);
/* Counts one state transition (debug figures and tests). */
void kc_worker_transition(struct kc_worker *w, enum conn_state from,
                          enum conn_state to);

#endif
