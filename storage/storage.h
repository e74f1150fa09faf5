/*
 * storage.h - every scan kept in SQLite. The only folder that includes
 * sqlite3.h: it owns the schema and migrations, the batched writer (a
 * result sink on its own thread) and the aggregate queries report/ formats.
 *
 * CONTRACT (cli/cmd_scan.c and report/ code against this; extend freely).
 */
#ifndef KCENSUS_STORAGE_H
#define KCENSUS_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

struct kc_store;

enum kc_store_open_flags {
    KC_STORE_READONLY = 1 << 0,
    KC_STORE_CREATE = 1 << 1, /* create the file if missing */
};

/* Opens (and migrates) a database. A newer schema than this build knows,
 * a corrupt file, a locked or read-only one: negative errno and a clear
 * message in err. */
int kc_store_open(const char *path, int flags, struct kc_store **out,
                  struct kc_error *err);
void kc_store_close(struct kc_store *s);

/* What is stored of the targets (scan --store). */
enum kc_store_policy {
    KC_STORE_RESPONSIVE = 0, /* completed a TCP connection (default) */
    KC_STORE_ALL,
    KC_STORE_KUBERNETES,
};
const char *kc_store_policy_str(enum kc_store_policy p);
bool kc_store_policy_parse(const char *s, enum kc_store_policy *out);

/* The parameters of a scan, recorded with it (strings may be NULL). */
struct kc_scan_params {
    const char *label;
    const char *specs;        /* target specs and inputs, as given */
    const char *ports;        /* "443,6443" */
    uint64_t seed;
    uint32_t shard_index, shard_count;
    uint32_t rate;            /* new connections per second, 0 unlimited */
    uint32_t concurrency;
    uint32_t threads;
    uint32_t timeout_ms;
    uint32_t retries;
    const char *probes;       /* kc_probe_set_str() */
    const char *user_agent;
    const char *blocklist_sha256;
    const char *lifts;        /* every lift of the default blocklist */
    const char *source_addr;
    const char *hostname;     /* of the scanning machine */
    const char *argv;         /* the command line, for --resume */
    enum kc_store_policy store;
};

/* Counters kept with a scan (updated at checkpoints and at the end). */
struct kc_scan_counters {
    uint64_t targets_total;   /* planned for this shard, 0 if unknown */
    uint64_t dispatched;
    uint64_t completed;
    uint64_t stored;
    uint64_t kubernetes;
    uint64_t by_outcome[KC_OUTCOME__COUNT];
};

/* Creates a scan row (status running); *scan_id gets its id. */
int kc_store_scan_begin(struct kc_store *s, const struct kc_scan_params *p,
                        int64_t *scan_id, struct kc_error *err);

/* The latest unfinished (running or interrupted) scan, for --resume:
 * its id, the command line it was started with (caller frees *argv_out)
 * and its saved checkpoint. -ENOENT when there is none. */
int kc_store_scan_resumable(struct kc_store *s, int64_t *scan_id,
                            char **argv_out, struct kc_checkpoint *cp,
                            struct kc_error *err);

/* Indexes in [lo, hi) already stored for scan_id, ascending; the caller
 * frees *out. Resume dispatches the gap again and skips these. */
int kc_store_stored_indexes(struct kc_store *s, int64_t scan_id, uint64_t lo,
                            uint64_t hi, uint64_t **out, size_t *n,
                            struct kc_error *err);

enum kc_scan_status {
    KC_SCAN_RUNNING = 0,
    KC_SCAN_DONE,
    KC_SCAN_INTERRUPTED,
};
const char *kc_scan_status_str(enum kc_scan_status st);

/* Marks the scan done or interrupted with its final counters. */
int kc_store_scan_finish(struct kc_store *s, int64_t scan_id,
                         enum kc_scan_status status,
                         const struct kc_scan_counters *c,
                         struct kc_error *err);

/* The batched writer: a sink whose writes are queued to a writer thread
 * that commits one transaction per batch (batch_rows or batch_ms, whichever
 * first), checkpoints in the same transaction as the results they cover.
 * The sink's busy() is true above queue_high (backpressure). */
struct kc_store_writer_config {
    uint32_t batch_rows;  /* default 2000 */
    uint32_t batch_ms;    /* default 200 */
    uint32_t queue_high;  /* default 8192 */
    enum kc_store_policy store;
};
struct kc_sink *kc_store_sink_new(struct kc_store *s, int64_t scan_id,
                                  const struct kc_store_writer_config *cfg,
                                  struct kc_error *err);

#endif
