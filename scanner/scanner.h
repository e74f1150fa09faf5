/*
 * scanner.h - the census engine: libuv loops (one per thread) opening many
 * concurrent TLS connections, each asking a fixed sequence of anonymous
 * HTTP/1.1 questions on one keep-alive connection, and handing one struct
 * kc_result per target to a sink.
 *
 * The engine knows nothing of where targets come from or how verdicts are
 * made: both arrive through callbacks (struct kc_scan_source, the classify
 * hooks), so tests feed it directly and cli/cmd_scan.c wires targets/,
 * classify/ and storage/. The only folder that touches OpenSSL.
 */
#ifndef KCENSUS_SCANNER_H
#define KCENSUS_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "targets.h"

#define KC_SCANNER_DEFAULT_UA                                            \
    "kcensus/" KC_VERSION_STRING                                         \
    " (+https://github.com/kcensus/kcensus; research census of "         \
    "Kubernetes API servers)"

/* The scanner's defaults, named once: kc_scanner_config_init sets them,
 * zero fields of a config fall back to them, and `kcensus scan --help` and
 * the man page print them (KC_STR). */
#define KC_SCANNER_DEFAULT_CONCURRENCY 1000 /* targets in flight */
#define KC_SCANNER_DEFAULT_RATE 2000        /* new connections per second */
#define KC_SCANNER_DEFAULT_TIMEOUT_S 10     /* absolute, per target */
#define KC_SCANNER_DEFAULT_DNS_CONCURRENCY 64 /* lookups per thread */
/* Connections a target may add when its server closes after an answer:
 * the default probe set needs 5 when a server closes after every answer,
 * the extended set 6. */
#define KC_SCANNER_DEFAULT_RECONNECTS 6

/*
 * Where targets come from. Called with the scanner's dispatch lock held, so
 * implementations need no locking of their own.
 */
struct kc_scan_source {
    /* 1 with *out filled, 0 when there are no more, -EAGAIN when none is
     * ready yet (asked again shortly), other negative errno on failure
     * (the scan stops as if interrupted; kc_scanner_error() says why). */
    int (*next)(void *ctx, struct kc_target *out, struct kc_error *err);
    /* Index the next call would hand out (for checkpoints). */
    uint64_t (*position)(void *ctx);
    /* True if a resolved address must not be contacted. May be NULL. */
    bool (*blocked)(void *ctx, const struct kc_addr *a);
    void *ctx;
};

/* Verdict hooks (classify/). Both may be NULL. */
struct kc_scan_classifier {
    /* Fills the verdict of a finished result. 0 or -ENOMEM. */
    int (*classify)(struct kc_result *r);
    /* After each answered probe: false stops the probe sequence early. */
    bool (*should_continue)(const struct kc_result *r);
};

struct kc_scanner_config {
    uint32_t concurrency;    /* in flight across all threads */
    uint32_t rate;           /* new connections per second, reconnects
                                included; 0 unlimited */
    uint32_t threads;        /* loops; 0 = number of cores */
    uint32_t per_host;       /* in flight per IP address, across all
                                threads; 0 = no cap. A hostname target
                                takes its slot once resolved (and may then
                                wait, parked, its deadline running). */
    uint32_t timeout_ms;     /* absolute per target */
    uint32_t connect_timeout_ms; /* phase deadlines, 0 = timeout_ms */
    uint32_t tls_timeout_ms;
    uint32_t response_timeout_ms;
    uint32_t retries;        /* extra attempts on refused/timeout/closed */
    uint32_t dns_concurrency;/* lookups in flight per thread */
    enum kc_probe_set probes;
    const char *user_agent;  /* NULL: KC_SCANNER_DEFAULT_UA */
    struct kc_scan_classifier classifier;
    uint32_t max_parked;     /* targets held back by per_host at once,
                                across threads (dispatch pauses when
                                full); 0 = concurrency */
    uint32_t max_reconnects; /* new connections a target may open when the
                                server closes after an answer and probes
                                remain (never more than one per probe);
                                each takes a rate token and keeps the
                                target's --per-host slot; 0 = none */
};

/* Fills the KC_SCANNER_DEFAULT_* values (the rest zero). */
void kc_scanner_config_init(struct kc_scanner_config *cfg);

/* Live figures, safe to read from any thread. */
struct kc_scanner_stats {
    uint64_t dispatched;
    uint64_t completed;
    uint64_t inflight;
    uint64_t kubernetes;
    uint64_t by_outcome[KC_OUTCOME__COUNT];
    uint64_t slowdowns;      /* EMFILE/EADDRNOTAVAIL back-offs */
    uint32_t concurrency;    /* effective limit (after RLIMIT_NOFILE) */
    uint32_t threads;
    uint64_t parked;         /* held back by --per-host now */
    uint64_t reconnects;     /* connections opened after a server closed
                                between probes */
};

struct kc_scanner;

/*
 * Creates the engine. Raises RLIMIT_NOFILE's soft limit to the hard limit
 * and lowers cfg->concurrency to fit it (the effective figure is in the
 * stats). Writes go to sink, serialised by the scanner; the sink and the
 * source stay the caller's. Returns 0 or -errno (err says why).
 */
int kc_scanner_new(const struct kc_scanner_config *cfg,
                   const struct kc_scan_source *src, struct kc_sink *sink,
                   struct kc_scanner **out, struct kc_error *err);

/* Starts the loop threads. 0 or -errno. */
int kc_scanner_start(struct kc_scanner *s);

/* Graceful stop, from any thread: no new targets; in-flight ones finish or
 * hit their deadline. */
void kc_scanner_stop(struct kc_scanner *s);

/* True once every thread has finished (all targets done, or stopped and
 * drained). */
bool kc_scanner_done(struct kc_scanner *s);

/* Waits for the threads. Returns 0, or the source's/sink's error. */
int kc_scanner_join(struct kc_scanner *s);

/* start + join: the whole scan on the caller's thread's time. */
int kc_scanner_run(struct kc_scanner *s);

/* Computes the resume position and records it through the sink. Safe
 * during the scan and after. cp (may be NULL) receives it. */
int kc_scanner_checkpoint(struct kc_scanner *s, struct kc_checkpoint *cp);

void kc_scanner_stats(struct kc_scanner *s, struct kc_scanner_stats *out);

/* True if kc_scanner_stop() was called (the scan is incomplete). */
bool kc_scanner_stopped(struct kc_scanner *s);

/* Why the scan failed, if kc_scanner_join() returned an error. */
const struct kc_error *kc_scanner_error(struct kc_scanner *s);

/* Frees (after join). */
void kc_scanner_free(struct kc_scanner *s);

/* Memory kept per target waiting for TCP, for benchmarks and tests. */
size_t kc_scanner_conn_size(void);

/* The connection state machine, for tests: states are 0..count-1. */
size_t kc_conn_state_count(void);
const char *kc_conn_state_name(size_t s);
/* True if the transition table lists from -> to. */
bool kc_conn_transition_allowed(size_t from, size_t to);
/* How often targets went from -> to in this scanner (after join). */
uint64_t kc_scanner_transitions(struct kc_scanner *s, size_t from, size_t to);

#endif
