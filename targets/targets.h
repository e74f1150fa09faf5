/*
 * targets.h - what to scan, in what order, split across shards, with a
 * blocklist. Pure logic: no sockets, no DNS (hostnames are resolved later by
 * the scanner, which checks the result against kc_targets_blocked()).
 *
 * CONTRACT (the scanner codes against this; extend, don't break):
 *   kc_targets_new()  parses specs/inputs/blocklists into a plan;
 *   kc_target_iter_*  walks the plan in pseudorandom order for one shard;
 *   positions are plain uint64 indexes into the shard's sequence, so a
 *   kc_checkpoint {next_dispatch, low_uncommitted} resumes exactly.
 */
#ifndef KCENSUS_TARGETS_H
#define KCENSUS_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define KC_TARGETS_MAX_PORTS 64

/* One (address, port) to visit. */
struct kc_target {
    uint64_t index;       /* position in this shard's sequence, from 0 */
    struct kc_addr addr;  /* unset (family 0) when host is set */
    uint16_t port;
    char host[256];       /* hostname to resolve (and SNI), "" for none */
};

enum kc_input_format {
    KC_INPUT_AUTO = 0,
    KC_INPUT_PLAIN,   /* specs, one per line, '#' comments */
    KC_INPUT_ZMAP,    /* saddr[,sport] CSV, header optional */
    KC_INPUT_MASSCAN_LIST, /* -oL: "open tcp 6443 1.2.3.4 1700000000" */
    KC_INPUT_MASSCAN_JSON, /* -oJ */
    KC_INPUT_JSONL,   /* {"ip"|"ip_str":..., "port":...} per line */
};

/* One endpoint known from an earlier scan (`kcensus scan --from-scan`): an
 * address, or a hostname that is resolved again and sent as SNI. */
struct kc_endpoint {
    struct kc_addr addr; /* family 0 when host is set */
    uint16_t port;       /* never 0 */
    const char *host;    /* NULL or "" for none; at most 255 bytes */
};

struct kc_targets_config {
    const char *const *specs;  /* command-line specs */
    size_t n_specs;
    const char *const *inputs; /* files, "-" for stdin */
    size_t n_inputs;
    enum kc_input_format input_format;
    uint16_t ports[KC_TARGETS_MAX_PORTS]; /* -p; default 443,6443 */
    size_t n_ports;
    bool ports_explicit;       /* -p was given (warn otherwise for lists) */
    uint64_t seed;
    bool seed_set;             /* else a random seed is chosen, see _seed() */
    uint32_t shard_index, shard_count; /* count 0 or 1: no sharding */
    bool allow_loopback;       /* lift only 127/8 and ::1 */
    const char *const *allow_cidrs; /* --allow CIDR, repeatable */
    size_t n_allow;
    const char *blocklist_file;  /* extra opt-outs */
    const char *allowlist_file;  /* restrict to these ranges */
    bool skip_bad;             /* bad lines become counted warnings */
    /* Added: the fd read for an input "-" (default 0, stdin); tests pass a
     * pipe. It is switched to O_NONBLOCK. */
    int stream_fd;
    /* Added: endpoints taken as they are (no -p, no parsing), beside the
     * specs and inputs; blocklisted, deduplicated and permuted like them.
     * A bad one (port 0, no address, a host that is not a valid name) is
     * counted as invalid. Not copied: valid until kc_targets_new() returns. */
    const struct kc_endpoint *endpoints;
    size_t n_endpoints;
};

struct kc_targets_counts {
    uint64_t targets;    /* (addr, port) pairs in this shard */
    uint64_t excluded;   /* removed by blocklist / allowlist */
    uint64_t duplicates;
    uint64_t invalid;    /* bad lines skipped (--skip-bad) */
};

struct kc_targets;

/* Parses everything up front (except stdin streams, read lazily).
 * Returns 0 or negative errno with err naming file, line and text. */
int kc_targets_new(const struct kc_targets_config *cfg,
                   struct kc_targets **out, struct kc_error *err);
void kc_targets_free(struct kc_targets *t);

/* The seed in use (chosen at random when not given). */
uint64_t kc_targets_seed(const struct kc_targets *t);
/* Totals for this shard; for a stream, counts so far. */
void kc_targets_counts(const struct kc_targets *t,
                       struct kc_targets_counts *out);
/* True if the plan reads a stream (stdin): no total, resume by line. */
bool kc_targets_is_stream(const struct kc_targets *t);
/* True if addr falls in the effective blocklist (after lifts). Used by the
 * scanner after DNS resolution of hostnames. */
bool kc_targets_blocked(const struct kc_targets *t, const struct kc_addr *a);
/* SHA-256 hex of the effective blocklist and a text list of the lifts, for
 * the scan record. */
void kc_targets_blocklist_sha256(const struct kc_targets *t,
                                 char out[KC_SHA256_HEX]);
const char *kc_targets_lifts(const struct kc_targets *t);

struct kc_target_iter;

/* Starts at index `start` (0 for a new scan, a checkpoint's next_dispatch
 * or low_uncommitted on resume). */
int kc_target_iter_new(struct kc_targets *t, uint64_t start,
                       struct kc_target_iter **out, struct kc_error *err);
/*
 * Next target. Returns 1 with *out filled, 0 when done, -EAGAIN when a
 * stream has no complete line yet (call again later; never blocks), or a
 * negative errno (err says why).
 */
int kc_target_iter_next(struct kc_target_iter *it, struct kc_target *out,
                        struct kc_error *err);
/* Index the next call would hand out. */
uint64_t kc_target_iter_position(const struct kc_target_iter *it);
void kc_target_iter_free(struct kc_target_iter *it);

/* Spec parsing, exposed for tests and the fuzzer. */
bool kc_target_spec_valid(const char *spec);

/*
 * Additions beyond the first contract.
 *
 * Ordering: the static targets (specs and files) come first, in permuted
 * order; a stream's targets follow in arrival order. Hostnames are not
 * blocklisted here (the scanner checks the resolved address with
 * kc_targets_blocked()). IPv4-mapped IPv6 (::ffff:a.b.c.d) is IPv4.
 * Counts of excluded, duplicates and invalid are for the whole plan, not
 * per shard; targets is per shard.
 */

/* Warnings for the user, newline-separated ("" for none): inputs without
 * ports taking the default ports, the first line skipped by --skip-bad.
 * Valid until kc_targets_free(). */
const char *kc_targets_warnings(const struct kc_targets *t);

/* "443,6443,8000-8010" into up to max distinct ports (max is capped at
 * KC_TARGETS_MAX_PORTS). False on bad syntax, port 0 or too many; outputs
 * untouched then. */
bool kc_ports_parse(const char *s, uint16_t *ports, size_t max, size_t *n);

/* "auto", "plain", "zmap", "masscan-list", "masscan-json", "jsonl". */
const char *kc_input_format_str(enum kc_input_format f);
bool kc_input_format_parse(const char *s, enum kc_input_format *out);

#endif
