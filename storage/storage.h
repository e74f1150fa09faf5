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
    const char *classifier_version; /* of the build's classifier */
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

/* Recomputes a scan's stored, kubernetes, completed and count_* from
 * its stored rows plus the targets counted but not stored as of its last
 * checkpoint, so the counters equal the rows after a crash and --resume
 * too (kc_store_scan_finish and a resumed writer call it). Merged and
 * imported scans keep their counters. */
int kc_store_scan_recount(struct kc_store *s, int64_t scan_id,
                          struct kc_error *err);

/* The scan's uid (32 hex digits) into out. -ENOENT when no such scan. */
int kc_store_scan_uid(struct kc_store *s, int64_t scan_id, char *out,
                      size_t size, struct kc_error *err);

/* Records source (the GeoIP databases that located them) as geo_source
 * of every stored result of the scan. */
int kc_store_scan_geo_source(struct kc_store *s, int64_t scan_id,
                             const char *source, struct kc_error *err);

/* One row of the upstream release table (Kubernetes 1.minor). */
struct kc_store_release {
    int minor;
    const char *end_of_life; /* YYYY-MM-DD, NULL when none was published */
};
/* Replaces the `releases` table with v (source: "built-in" or the file
 * the rows came from), in one transaction: the SQL view kubernetes_eol
 * then judges versions as the report does. */
int kc_store_releases_set(struct kc_store *s, const struct kc_store_release *v,
                          size_t n, const char *source, struct kc_error *err);

/* The batched writer: a sink whose writes are queued to a writer thread
 * that commits one transaction per batch (batch_rows or batch_ms, whichever
 * first), checkpoints in the same transaction as the results they cover.
 * The sink's busy() is true above queue_high (backpressure). */
struct kc_store_writer_config {
    uint32_t batch_rows;  /* default 2000 */
    uint32_t batch_ms;    /* default 200 */
    uint32_t queue_high;  /* default 8192 */
    enum kc_store_policy store;
    uint64_t targets_total; /* recorded with the counters, 0 if unknown */
    /* If set, receives the writer thread's CPU time in nanoseconds when
     * the sink is freed (bench/storage: rows per CPU-second of the writer). */
    uint64_t *writer_cpu_ns;
};
/* A resumed scan's writer starts from the counters saved with the scan. */
struct kc_sink *kc_store_sink_new(struct kc_store *s, int64_t scan_id,
                                  const struct kc_store_writer_config *cfg,
                                  struct kc_error *err);

/* ------------------------------------------------------------------ */
/* Counters, re-reading and updating results, listing, SQL, merging   */
/* ------------------------------------------------------------------ */

/* The writer's counters (flush first for exact figures), to pass to
 * kc_store_scan_finish. Returns -EINVAL if sink is not a store sink. */
int kc_store_sink_counters(struct kc_sink *sink, struct kc_scan_counters *out);

/* Schema version this build writes (PRAGMA user_version). */
int kc_store_schema_version(void);

/* Policy: would a result be stored under p? (The sink counts the rest.) */
bool kc_store_policy_keeps(enum kc_store_policy p, const struct kc_result *r);

/* Calls cb for each stored result of scan_id (0 = every scan), in id order,
 * with the full record rebuilt (probes, certificate, verdict, geo). r is
 * only valid during the call. All of it runs in one transaction, so cb may
 * call kc_store_update_verdict/geo cheaply. A non-zero return from cb stops
 * the walk and is returned (updates made so far are kept). */
int kc_store_foreach_result(struct kc_store *s, int64_t scan_id,
                            int (*cb)(void *ctx, int64_t result_id,
                                      const struct kc_result *r),
                            void *ctx, struct kc_error *err);

/* Rewrites a result's verdict columns (is_kubernetes, evidence, posture,
 * git_version, major/minor/patch, prerelease, vendor, vendor_suffix,
 * cluster-info and namespace figures, classifier_version) from r.
 * -ENOENT when no such result. */
int kc_store_update_verdict(struct kc_store *s, int64_t result_id,
                            const struct kc_result *r, struct kc_error *err);

/* Records that the scans' results were re-derived by classifier `version`
 * (`kcensus reclassify`): scans.classifier_version of scan_id (0 = every
 * scan; imports keep theirs, which names the parser of their buckets). */
int kc_store_stamp_classifier(struct kc_store *s, int64_t scan_id,
                              const char *version, struct kc_error *err);
/* Rewrites country, asn, as_org, provider from r and records geo_source
 * (e.g. the database file name and build date; may be NULL). */
int kc_store_update_geo(struct kc_store *s, int64_t result_id,
                        const struct kc_result *r, const char *geo_source,
                        struct kc_error *err);

/* One row of `kcensus scans`. Strings are owned by the store and valid
 * only during the callback. */
struct kc_scan_info {
    int64_t id;
    const char *uid;
    const char *label;          /* may be NULL */
    const char *status;         /* "running", "done", "interrupted" */
    const char *started_at;
    const char *finished_at;    /* NULL while running or interrupted */
    double duration_s;          /* -1 if unfinished */
    uint64_t seed;
    int64_t shard_index;        /* -1 for a merged scan */
    uint32_t shard_count;
    struct kc_scan_counters counters;
    struct kc_checkpoint checkpoint;
    uint64_t results;           /* rows in results (sum of weight) */
    bool imported;              /* buckets of a published census
                                   (kc_store_import_buckets) */
};
int kc_store_list_scans(struct kc_store *s,
                        int (*cb)(void *ctx, const struct kc_scan_info *si),
                        void *ctx, struct kc_error *err);

/* Runs one SQL statement and hands each row to cb as text (NULL for SQL
 * NULL; blobs as their bytes, lengths in lens). The first call has
 * row == 0 and carries the column names in vals. Unless allow_write, a
 * statement that would modify the database is refused (-EPERM). */
int kc_store_query(struct kc_store *s, const char *sql, bool allow_write,
                   int (*cb)(void *ctx, size_t row, int ncols,
                             const char *const *vals, const size_t *lens),
                   void *ctx, struct kc_error *err);

/* Merges every scan of the database at in_path into s: shards of one scan
 * (same seed, specs, ports, probes, store policy, shard count) become one
 * scan; other scans are copied as they are (matched by uid, so merging the
 * same input twice changes nothing). Refuses shards that do not belong
 * together (-EINVAL, err says which). Stats are added to *scans_out and
 * *rows_out (results newly stored) when non-NULL. */
int kc_store_merge(struct kc_store *s, const char *in_path,
                   uint64_t *scans_out, uint64_t *rows_out,
                   struct kc_error *err);
/* Checks that the inputs can be merged together before any is merged:
 * sharded scans with the same specs and ports must agree on seed, shard
 * count, probes and policy, and no shard index may come from two scans.
 * Unless allow_partial, every shard of each sharded scan must be there,
 * finished, among the inputs or already merged into out_path (which may
 * not exist yet): else -EINVAL naming the missing shard. */
int kc_store_merge_check(const char *out_path, const char *const *in_paths,
                         size_t n, bool allow_partial, struct kc_error *err);

/* ================================================================== */
/* Queries for report/ and bucket import (storage/queries.c)         */
/* ================================================================== */

/* What `kcensus report --unit` counts. */
enum kc_count_unit {
    KC_UNIT_ENDPOINT = 0, /* ip:port (and SNI) */
    KC_UNIT_IP,           /* distinct addresses */
    KC_UNIT_CLUSTER,      /* endpoints sharing a cluster-info CA or a
                           * certificate count once */
    KC_UNIT__COUNT
};
const char *kc_count_unit_str(enum kc_count_unit u);
bool kc_count_unit_parse(const char *s, enum kc_count_unit *out);

/* A scan as the report sees it. */
struct kc_report_scan {
    int64_t id;
    char label[256];      /* "" when NULL */
    bool has_label;
    char status[16];
    char started_at[40];  /* ISO-8601 UTC */
    uint64_t results;     /* results stored (the scan's counter; for an
                           * import, the hosts in its buckets) */
};

/* Finished scans (status done: own scans, merged and imported ones),
 * oldest first (started_at, then id). Caller frees *out. */
int kc_store_report_scans(struct kc_store *s, struct kc_report_scan **out,
                          size_t *n, struct kc_error *err);
/* One scan by id (any status); -ENOENT with a message if absent. */
int kc_store_report_scan(struct kc_store *s, int64_t id,
                         struct kc_report_scan *out, struct kc_error *err);

/* Streams the scan's Kubernetes rows reduced to `unit` (one representative
 * row per address or cluster: the lowest result id; imported bucket rows,
 * which have no address, are their own unit) with their weights; the
 * row's strings are valid only during the callback. A negative return
 * from cb stops and is returned. */
int kc_store_report_groups(struct kc_store *s, int64_t scan_id,
                           enum kc_count_unit unit,
                           int (*cb)(void *ctx,
                                     const struct kc_report_row *g),
                           void *ctx, struct kc_error *err);

/* The same for unit endpoint over the scan's rows whose result id is in
 * [lo, hi]: parts of one scan read in parallel (each part through its own
 * kc_store). kc_store_report_index_range gives the smallest and largest
 * result id of the scan's Kubernetes rows (-ENOENT when it has none). */
int kc_store_report_index_range(struct kc_store *s, int64_t scan_id,
                                uint64_t *lo, uint64_t *hi,
                                struct kc_error *err);
int kc_store_report_groups_part(struct kc_store *s, int64_t scan_id,
                                uint64_t lo, uint64_t hi,
                                int (*cb)(void *ctx,
                                          const struct kc_report_row *g),
                                void *ctx, struct kc_error *err);

/* One change between scans a and b of a Kubernetes endpoint (ip, port,
 * sni). kind: 0 appeared, 1 disappeared, 2 changed version (old/new are
 * gitVersions), 3 changed posture (old/new are postures). */
struct kc_report_change {
    int kind;
    const char *ip;
    int port;
    const char *sni;
    /* gitVersion bytes may hold NUL: the lengths count every byte. */
    const char *old_value, *new_value;
    size_t old_len, new_len;
};
int kc_store_report_diff(struct kc_store *s, int64_t a, int64_t b,
                         int (*cb)(void *ctx,
                                   const struct kc_report_change *c),
                         void *ctx, struct kc_error *err);

/* One bucket of a published, aggregated census (`kcensus import`),
 * classified by the caller (classify/). */
struct kc_import_bucket {
    const char *git_version; /* NUL-terminated, bounded KC_MAX_FIELD */
    int major, minor, patch; /* -1 = NULL */
    bool prerelease;
    enum kc_vendor vendor;
    const char *vendor_suffix; /* may be NULL */
    uint64_t count;
};

/* Stores buckets as one finished scan started at `date` (YYYY-MM-DD,
 * 00:00:00Z) in one transaction. Each bucket is a row with ip '' (no
 * address), port 0, sni = its gitVersion (so the unique key (scan_id, ip,
 * port, sni) is one row per bucket: callers merge duplicates first),
 * outcome ok, is_kubernetes 1, posture NULL and weight = count. */
struct kc_import_params {
    const char *date;               /* YYYY-MM-DD, a valid date */
    const char *label;              /* may be NULL */
    const char *source;             /* the file, recorded in scans.specs */
    const char *classifier_version; /* that parsed the gitVersions */
    bool force; /* store it even if a scan of the same date holds the
                 * same buckets (else -EEXIST, nothing stored) */
};
int kc_store_import_buckets(struct kc_store *s,
                            const struct kc_import_bucket *b, size_t n,
                            const struct kc_import_params *ip,
                            int64_t *scan_id, struct kc_error *err);

#endif
