/*
 * targets-private.h - internals shared by the files of targets/ and their
 * unit tests. Not part of the contract: only targets.h is.
 *
 * Addresses are 128-bit keys: IPv6 as is, IPv4 as the v4-mapped ::ffff:a.b.c.d,
 * so one interval list covers both families (::ffff:0:0/96 *is* IPv4 here).
 */
#ifndef KCENSUS_TARGETS_PRIVATE_H
#define KCENSUS_TARGETS_PRIVATE_H

#include <string.h>
#include <sys/socket.h>

#include "targets.h"

typedef unsigned __int128 kc_u128;

#define KC_V4_BASE (((kc_u128)0xffff) << 32)

static inline bool kc_key_is_v4(kc_u128 k)
{
    return (k >> 32) == 0xffff;
}

kc_u128 kc_key_from_addr(const struct kc_addr *a);
void kc_key_to_addr(kc_u128 k, struct kc_addr *a);

/* ---- specs (spec.c) ---- */

enum kc_spec_kind { KC_SPEC_RANGE = 0, KC_SPEC_HOST };

struct kc_spec {
    enum kc_spec_kind kind;
    kc_u128 lo, hi;  /* inclusive, for KC_SPEC_RANGE (lo == hi: one addr) */
    uint16_t port;   /* 0: none given, take -p */
    char host[256];  /* KC_SPEC_HOST */
};

/* Parses one spec (no surrounding spaces). False on anything malformed. */
bool kc_spec_parse(const char *s, struct kc_spec *out);
/* "A", "A/len", "A-B" without port, into an interval. */
bool kc_cidr_parse(const char *s, kc_u128 *lo, kc_u128 *hi);

/* ---- interval sets (ranges.c) ---- */

struct kc_ival {
    kc_u128 lo, hi;
};

struct kc_ivals {
    struct kc_ival *v;
    size_t n, cap;
};

int kc_ivals_add(struct kc_ivals *s, kc_u128 lo, kc_u128 hi);
/* Sorts and merges overlaps; returns how many addresses overlapped
 * (saturating). */
kc_u128 kc_ivals_normalize(struct kc_ivals *s);
/* s := s minus b (both normalized); returns addresses removed. */
int kc_ivals_subtract(struct kc_ivals *s, const struct kc_ivals *b,
                      kc_u128 *removed);
/* s := s intersect b (both normalized); returns addresses removed. */
int kc_ivals_intersect(struct kc_ivals *s, const struct kc_ivals *b,
                       kc_u128 *removed);
bool kc_ivals_contains(const struct kc_ivals *s, kc_u128 k);
void kc_ivals_free(struct kc_ivals *s);
/* Addresses in the set (saturating at 2^128 - 1). */
kc_u128 kc_ivals_size(const struct kc_ivals *s);

/* ---- permutation (perm.c) ---- */

/* A keyed bijection on [0, n): balanced Feistel network over the smallest
 * even bit width covering n, with cycle walking. */
struct kc_perm {
    uint64_t n;
    unsigned half_bits;
    uint64_t half_mask;
    uint64_t keys[4];
};

void kc_perm_init(struct kc_perm *p, uint64_t n, uint64_t seed);

/* One multiply per round: the high half of the product folds every input
 * bit into the low bits we keep. */
static inline uint64_t kc_perm_round(uint64_t r, uint64_t key)
{
    uint64_t x = (r ^ key) * 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 32);
}

static inline uint64_t kc_perm_feistel(const struct kc_perm *p, uint64_t x)
{
    uint64_t l = x >> p->half_bits, r = x & p->half_mask;
    for (int i = 0; i < 4; i++) {
        uint64_t t = l ^ (kc_perm_round(r, p->keys[i]) & p->half_mask);
        l = r;
        r = t;
    }
    return l << p->half_bits | r;
}

/* The image of x < n: cycle walking keeps the bijection inside [0, n). */
static inline uint64_t kc_perm_apply(const struct kc_perm *p, uint64_t x)
{
    do
        x = kc_perm_feistel(p, x);
    while (x >= p->n);
    return x;
}

/* ---- input lines (input.c) ---- */

/* One target item found on a line: a spec plus, for formats with several
 * ports per line (masscan -oJ), more ports. */
struct kc_line_items {
    struct kc_spec spec;
    uint16_t ports[KC_TARGETS_MAX_PORTS]; /* empty: spec.port / -p */
    size_t n_ports;
};

enum kc_line_result {
    KC_LINE_ITEM = 0, /* items filled */
    KC_LINE_SKIP,     /* blank, comment, header, non-open masscan line */
    KC_LINE_BAD,      /* malformed */
};

/* Guesses the format from one meaningful line (not blank, not comment). */
enum kc_input_format kc_input_detect(const char *line);
/* Parses a NUL-terminated line (no newline) of a known format. For
 * KC_INPUT_ZMAP, *zmap_cols carries the header's column layout across
 * lines: init to {-1, -1}... see input.c. */
struct kc_zmap_cols {
    int saddr, sport; /* column indexes; sport -1 when absent */
    bool seen_line;
};
void kc_zmap_cols_init(struct kc_zmap_cols *c);
enum kc_line_result kc_input_parse_line(enum kc_input_format fmt, char *line,
                                        struct kc_zmap_cols *zc,
                                        struct kc_line_items *out);
/* True for lines that carry no target in any format (blank, '#'). */
bool kc_input_line_blank(const char *line);

/* ---- blocklist (blocklist.c) ---- */

/* Reads CIDRs/ranges, one per line, '#' comments, into s (unnormalized).
 * Errors name the file, line and text. */
int kc_cidr_file_read(const char *path, struct kc_ivals *s,
                      struct kc_error *err);
/* Effective blocklist (default - lifts + user file) and allowlist (empty
 * when none), both normalized; lifts gets a comma-separated list. */
int kc_blocklist_build(const struct kc_targets_config *cfg,
                       struct kc_ivals *block, struct kc_ivals *allow,
                       char *lifts, size_t lifts_size, struct kc_error *err);
void kc_ivals_sha256(const struct kc_ivals *s, char out[KC_SHA256_HEX]);

/* ---- the plan (plan.c) and its stream (stream.c) ---- */

/* A run of consecutive addresses on one port: elements [start, start+count)
 * of the index space. Sorted by start, which is also (port, lo) order. */
struct kc_piece {
    kc_u128 lo;
    uint64_t start, count;
    uint16_t port;
};

struct kc_host {
    char *name;
    uint16_t port;
};

/* A compact set of 64-bit keys (open addressing, 0 = empty). */
struct kc_hset {
    uint64_t *slots;
    size_t cap, n;
};
int kc_hset_insert(struct kc_hset *h, uint64_t key); /* 1 new, 0 dup */
void kc_hset_free(struct kc_hset *h);

#define KC_STREAM_LINE_MAX 8192

struct kc_stream {
    int fd;
    bool eof, discarding;
    enum kc_input_format fmt;
    struct kc_zmap_cols zc;
    char buf[KC_STREAM_LINE_MAX];
    size_t len;
    char line[KC_STREAM_LINE_MAX];
    uint64_t lineno;
    struct kc_line_items cur; /* the line being turned into targets */
    size_t cur_i, cur_n;
    uint64_t accepted; /* new, allowed targets seen (all shards) */
    uint64_t emitted;  /* handed out by this shard */
    struct kc_hset seen;
};

struct kc_targets {
    uint16_t ports[KC_TARGETS_MAX_PORTS];
    size_t n_ports;
    uint64_t seed;
    uint32_t shard_index, shard_count; /* count >= 1 */
    bool skip_bad, has_allow;
    struct kc_ivals block, allow;
    char lifts[1024];
    char block_sha256[KC_SHA256_HEX];

    /* Ranges being collected (freed once pieces are built). */
    struct kc_raw { kc_u128 lo, hi; uint16_t port; } *raw;
    size_t n_raw, cap_raw;

    /* The index space: pieces, then single IPv4 addresses without a port
     * (x n_ports), then with a port (addr << 16 | port), then hostnames. */
    struct kc_piece *pieces;
    size_t n_pieces;
    uint64_t piece_targets;
    uint32_t *noport;
    size_t n_noport, cap_noport;
    uint64_t *withport;
    size_t n_withport, cap_withport;
    struct kc_host *hosts;
    size_t n_hosts, cap_hosts;

    uint64_t total;       /* all shards, static part */
    uint64_t shard_total; /* this shard, static part */
    struct kc_perm perm;
    struct kc_targets_counts counts; /* excluded, duplicates, invalid */
    bool warned_noport;
    char warnings[1024];
    struct kc_stream *stream; /* NULL unless an input is "-" */
};

/* Adds one parsed item with the plan's port rules. */
int kc_plan_add(struct kc_targets *t, const struct kc_spec *sp,
                const uint16_t *ports, size_t n_ports, bool from_list);
/* True if (key, port) is already in the static index space. */
bool kc_plan_contains(const struct kc_targets *t, kc_u128 key, uint16_t port);
bool kc_plan_has_host(const struct kc_targets *t, const char *name,
                      uint16_t port);
/* Excluded by the blocklist or outside the allowlist. */
bool kc_plan_excluded(const struct kc_targets *t, kc_u128 key);
void kc_plan_warn(struct kc_targets *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Element e of the pieces (e < t->piece_targets): the hot path. */
static inline void kc_plan_piece_element(const struct kc_targets *t,
                                         uint64_t e, struct kc_target *out)
{
    const struct kc_piece *p = t->pieces;
    size_t n = t->n_pieces;
    kc_u128 k;
    while (n > 1) { /* branch-free search: last piece with start <= e */
        size_t half = n / 2;
        p = p[half].start <= e ? p + half : p;
        n -= half;
    }
    k = p->lo + (e - p->start);
    out->port = p->port;
    if (kc_key_is_v4(k)) {
        uint32_t v = (uint32_t)k;
        memset(&out->addr, 0, sizeof(out->addr));
        out->addr.family = AF_INET;
        out->addr.bytes[0] = (uint8_t)(v >> 24);
        out->addr.bytes[1] = (uint8_t)(v >> 16);
        out->addr.bytes[2] = (uint8_t)(v >> 8);
        out->addr.bytes[3] = (uint8_t)v;
    } else {
        kc_key_to_addr(k, &out->addr);
    }
}

/* Fills out with the static element e (< t->total). */
void kc_plan_element(const struct kc_targets *t, uint64_t e,
                     struct kc_target *out);

int kc_stream_open(struct kc_targets *t, int fd, enum kc_input_format fmt,
                   struct kc_error *err);
void kc_stream_free(struct kc_stream *s);
/* As kc_target_iter_next for the stream part. */
int kc_stream_next(struct kc_targets *t, struct kc_target *out,
                   struct kc_error *err);

#endif
