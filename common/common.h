/*
 * common.h - the shared contracts of kcensus.
 *
 * Everything here is depended on by every other folder and depends on
 * nothing but libc (and libcrypto's SHA-256, behind common/digest.c):
 *   - the vocabulary (outcomes, phases, postures, vendors, providers, probes)
 *     as enums with one string table each: scanner, storage, report and the
 *     simulated fleet's truth files use these strings and no others;
 *   - error reporting for library code (struct kc_error);
 *   - a bounded byte buffer and owned byte strings for peer bytes;
 *   - safe integer/duration parsing;
 *   - the one SHA-256, base64, UTF-8 validator and hashes of the tree;
 *   - the row of counted units that storage hands the report;
 *   - the result record one scanned endpoint produces, and the sink through
 *     which results travel to storage (or to a JSON-lines stream).
 */
#ifndef KCENSUS_COMMON_H
#define KCENSUS_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#define KC_VERSION_STRING "0.1.0"

#ifndef container_of
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define KC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A macro's value as a string literal: KC_STR(1000) is "1000". */
#define KC_STR(x) KC_STR_(x)
#define KC_STR_(x) #x

/* ------------------------------------------------------------------ */
/* Vocabulary                                                          */
/* ------------------------------------------------------------------ */

/*
 * Transport outcome of one target. KC_OUTCOME_OK means the first probe got a
 * complete, well-formed HTTP response (any status).
 */
enum kc_outcome {
    KC_OUTCOME_OK = 0,
    KC_OUTCOME_REFUSED,        /* RST to our SYN */
    KC_OUTCOME_TIMEOUT,        /* see enum kc_phase for where */
    KC_OUTCOME_TLS_ERROR,      /* handshake failed (alert, garbage, ...) */
    KC_OUTCOME_PROTOCOL_ERROR, /* TLS up, but the HTTP answer is malformed */
    KC_OUTCOME_TOO_LARGE,      /* peer exceeded one of our buffer ceilings */
    KC_OUTCOME_CLOSED,         /* peer closed/reset after TCP was up */
    KC_OUTCOME_BLOCKED,        /* hostname resolved into the blocklist */
    KC_OUTCOME_DNS_ERROR,      /* hostname did not resolve */
    KC_OUTCOME_UNREACHABLE,    /* ICMP unreachable, no route */
    KC_OUTCOME__COUNT
};

/* Where a timeout happened. KC_PHASE_NONE unless outcome is timeout. */
enum kc_phase {
    KC_PHASE_NONE = 0,
    KC_PHASE_CONNECT,
    KC_PHASE_TLS,
    KC_PHASE_RESPONSE,
    KC_PHASE__COUNT
};

/* Anonymous-access posture of a Kubernetes endpoint (NONE = SQL NULL). */
enum kc_posture {
    KC_POSTURE_NONE = 0,
    KC_POSTURE_OPEN,
    KC_POSTURE_LIMITED,
    KC_POSTURE_RBAC_DENIED,
    KC_POSTURE_DISABLED,
    KC_POSTURE_WIDE_OPEN,
    KC_POSTURE_LEGACY,
    KC_POSTURE_UNKNOWN,
    KC_POSTURE__COUNT
};

/* Distribution that built the API server, from gitVersion (NONE = NULL). */
enum kc_vendor {
    KC_VENDOR_NONE = 0,
    KC_VENDOR_UPSTREAM,
    KC_VENDOR_GKE,
    KC_VENDOR_EKS,
    KC_VENDOR_OPENSHIFT,
    KC_VENDOR_IKS,
    KC_VENDOR_ALIYUN,
    KC_VENDOR_TKE,
    KC_VENDOR_K3S,
    KC_VENDOR_RKE2,
    KC_VENDOR_K0S,
    KC_VENDOR_VMWARE,
    KC_VENDOR_MICROK8S,
    KC_VENDOR_HPE,
    KC_VENDOR_VKE,
    KC_VENDOR_OTHER,
    KC_VENDOR__COUNT
};

/* Where the endpoint runs (NONE = NULL). */
enum kc_provider {
    KC_PROVIDER_NONE = 0,
    KC_PROVIDER_AWS,
    KC_PROVIDER_GCP,
    KC_PROVIDER_AZURE,
    KC_PROVIDER_ALIBABA,
    KC_PROVIDER_TENCENT,
    KC_PROVIDER_IBM,
    KC_PROVIDER_ORACLE,
    KC_PROVIDER_DIGITALOCEAN,
    KC_PROVIDER_HETZNER,
    KC_PROVIDER_OVH,
    KC_PROVIDER_OTHER,
    KC_PROVIDER__COUNT
};

/*
 * The anonymous probes, in the order the default sequence sends them.
 * KC_PROBE_NAMESPACES is only sent with --probes extended.
 */
enum kc_probe_id {
    KC_PROBE_VERSION = 0,
    KC_PROBE_HEALTHZ,
    KC_PROBE_LIVEZ,
    KC_PROBE_READYZ,
    KC_PROBE_CLUSTER_INFO,
    KC_PROBE_API,
    KC_PROBE_NAMESPACES,
    KC_PROBE__COUNT
};

/* Probe sets. */
enum kc_probe_set {
    KC_PROBES_DEFAULT = 0, /* version .. api */
    KC_PROBES_EXTENDED,    /* + namespaces */
    KC_PROBES_VERSION,     /* only /version (for benchmarks, quick looks) */
    KC_PROBES__COUNT
};

/*
 * Each enum has a string table. *_str() returns a static string ("" for the
 * NONE value of nullable enums, never NULL for in-range values; "?" for out of
 * range). *_parse() returns true and sets *out on an exact match, false and
 * leaves *out untouched otherwise.
 */
const char *kc_outcome_str(enum kc_outcome v);
bool kc_outcome_parse(const char *s, enum kc_outcome *out);
const char *kc_phase_str(enum kc_phase v);
bool kc_phase_parse(const char *s, enum kc_phase *out);
const char *kc_posture_str(enum kc_posture v);
bool kc_posture_parse(const char *s, enum kc_posture *out);
const char *kc_vendor_str(enum kc_vendor v);
bool kc_vendor_parse(const char *s, enum kc_vendor *out);
const char *kc_provider_str(enum kc_provider v);
bool kc_provider_parse(const char *s, enum kc_provider *out);
/* Probe ids: short name ("version", "cluster_info") and the request path. */
const char *kc_probe_str(enum kc_probe_id v);
bool kc_probe_parse(const char *s, enum kc_probe_id *out);
const char *kc_probe_path(enum kc_probe_id v);
const char *kc_probe_set_str(enum kc_probe_set v);
bool kc_probe_set_parse(const char *s, enum kc_probe_set *out);
/* Number of probes in a set and the i-th probe of it. */
size_t kc_probe_set_len(enum kc_probe_set set);
enum kc_probe_id kc_probe_set_at(enum kc_probe_set set, size_t i);

/* ------------------------------------------------------------------ */
/* Errors from library code                                            */
/* ------------------------------------------------------------------ */

/*
 * Library functions return 0 or a negative errno and, where the caller passed
 * a struct kc_error, a message naming the problem (file, line, offending
 * text). Only cli/ prints messages and picks exit codes.
 */
struct kc_error {
    int code; /* negative errno, 0 when no error */
    char msg[512];
};

/* Sets err (if non-NULL) and returns code, so callers can
 * `return kc_error_set(err, -EINVAL, "...")`. */
int kc_error_set(struct kc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kc_error_clear(struct kc_error *err);

/* ------------------------------------------------------------------ */
/* Bounded buffers and owned byte strings                              */
/* ------------------------------------------------------------------ */

/*
 * A growable buffer with a hard ceiling. Every buffer that holds peer bytes
 * is one of these: going over the limit is -ENOBUFS (an outcome for the
 * caller), never an unbounded realloc.
 */
struct kc_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t limit;
};

void kc_buf_init(struct kc_buf *b, size_t limit);
/* Appends n bytes; keeps one spare byte so data[len] can be set to NUL.
 * Returns 0, -ENOBUFS if len + n > limit (nothing appended), -ENOMEM. */
int kc_buf_append(struct kc_buf *b, const void *p, size_t n);
/* Drops the first n bytes (n <= len). */
void kc_buf_consume(struct kc_buf *b, size_t n);
void kc_buf_reset(struct kc_buf *b);
void kc_buf_free(struct kc_buf *b);

/*
 * An owned, length-carrying byte string (may hold NUL bytes). data is always
 * NUL-terminated (data[len] == 0) when non-NULL, for convenience only.
 * data == NULL means "absent" (SQL NULL); len 0 with data != NULL is "".
 */
struct kc_bytes {
    char *data;
    size_t len;
};

/* Copies n bytes (truncating to max if max > 0 and n > max).
 * Returns 0 or -ENOMEM. Frees the previous value. */
int kc_bytes_set(struct kc_bytes *b, const void *p, size_t n, size_t max);
int kc_bytes_set_str(struct kc_bytes *b, const char *s);
void kc_bytes_free(struct kc_bytes *b);
static inline bool kc_bytes_present(const struct kc_bytes *b)
{
    return b->data != NULL;
}

/* Safe bounded formatting: always NUL-terminates; returns the number of
 * characters written (truncated output is not an error). */
size_t kc_strlcpy(char *dst, const char *src, size_t size);
size_t kc_snprintf(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ */
/* Digests and encodings (one implementation each)                     */
/* ------------------------------------------------------------------ */

/* Size of a SHA-256 in lowercase hex with its NUL. */
#define KC_SHA256_HEX 65

/* SHA-256 of n bytes as lowercase hex; "" if libcrypto fails. */
void kc_sha256_hex(const void *data, size_t n, char out[KC_SHA256_HEX]);
/* The same over pieces: _new (NULL on -ENOMEM), _update any number of
 * times, then _finish_hex, which writes the digest ("" if libcrypto
 * failed) and frees the state. */
struct kc_sha256;
struct kc_sha256 *kc_sha256_new(void);
void kc_sha256_update(struct kc_sha256 *h, const void *p, size_t n);
void kc_sha256_finish_hex(struct kc_sha256 *h, char out[KC_SHA256_HEX]);

/* FNV-1a (64-bit) of n bytes, continuing from h (KC_FNV1A_BASIS to
 * start): stable, so it may be stored. */
#define KC_FNV1A_BASIS 14695981039346656037ULL
uint64_t kc_fnv1a(uint64_t h, const void *p, size_t n);
/* A fast hash of n bytes (p may be NULL when n is 0) for in-memory tables,
 * eight bytes per step; seed folds in what the bytes do not say (a family,
 * a presence flag). Not stable across versions: never store it. Inline:
 * report aggregation calls it once per row and dimension. */
static inline uint64_t kc_hash_bytes(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        b += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, b, n);
        h = (h ^ w) * 0x94d049bb133111ebULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

/* Characters of the base64 form of n bytes (without the NUL). */
#define KC_BASE64_LEN(n) (((n) + 2) / 3 * 4)
/* Standard base64 with '=' padding into out, NUL-terminated; returns the
 * characters written, or 0 (out untouched) if cap < KC_BASE64_LEN(n) + 1. */
size_t kc_base64_encode(const void *in, size_t n, char *out, size_t cap);
/* base64 (standard or URL alphabet, whitespace skipped, '=' ends). Returns
 * bytes written, -EINVAL on a foreign byte, -ENOBUFS if out is too small. */
ssize_t kc_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* Length (1..4) of the valid UTF-8 sequence at p (n > 0 bytes left) and
 * its code point in *cp; 0 (cp untouched) for an invalid one: overlongs,
 * surrogates, code points above U+10FFFF, a truncated sequence. */
size_t kc_utf8_seq_len(const unsigned char *p, size_t n, uint32_t *cp);

/* ------------------------------------------------------------------ */
/* Report input                                                        */
/* ------------------------------------------------------------------ */

/* One group of counted units that share these values, as storage reads it
 * and the report adds it up. Strings may be NULL (SQL NULL); major/minor
 * -1 when NULL; port 0 and asn 0 when NULL. Copied by kc_report_add(). */
struct kc_report_row {
    const char *git_version;
    int major, minor;
    const char *vendor;
    const char *posture;
    int port;
    const char *country;
    uint32_t asn;
    const char *as_org;
    uint64_t weight;
    /* Bytes of git_version, which may hold NUL bytes (stored as a BLOB);
     * 0 means "up to its terminating NUL". */
    size_t git_version_len;
};

/* ------------------------------------------------------------------ */
/* Parsing helpers (bool: true on success, outputs untouched on failure) */
/* ------------------------------------------------------------------ */

/* Decimal only, no sign, no spaces, no trailing garbage, within [min,max]. */
bool kc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Same for a counted, not NUL-terminated string. */
bool kc_parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max,
                   uint64_t *out);
bool kc_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
bool kc_parse_port(const char *s, uint16_t *out);
/* "250ms", "10s", "2m", "1h", or a bare number of seconds ("10", "0.5").
 * Result in milliseconds, must fit [min_ms, max_ms]. */
bool kc_parse_duration_ms(const char *s, uint64_t min_ms, uint64_t max_ms,
                          uint64_t *out);
/* "I/N" with 0 <= I < N <= 65536. */
bool kc_parse_shard(const char *s, uint32_t *index, uint32_t *count);
/* The n bytes at s are a calendar date YYYY-MM-DD that exists, from 1970
 * on (2024-02-30 does not). n must be 10; s need not end there (the date
 * part of a timestamp). */
bool kc_parse_date(const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* Wall clock, microseconds since the epoch. */
int64_t kc_wall_us(void);
/* Monotonic clock, microseconds. */
uint64_t kc_mono_us(void);
/* "2026-11-29T06:19:16Z" (or with .uuuuuu when frac is true). */
void kc_format_time_utc(int64_t wall_us, bool frac, char *out, size_t size);

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

/* An IPv4 or IPv6 address; v4 is stored in the first 4 bytes, big endian. */
struct kc_addr {
    uint8_t family; /* AF_INET or AF_INET6 (from <sys/socket.h>) */
    uint8_t bytes[16];
};

/* Text form: "1.2.3.4", "2001:db8::1". Returns false if size too small. */
bool kc_addr_format(const struct kc_addr *a, char *out, size_t size);
/* "ip:port" or "[v6]:port". */
bool kc_endpoint_format(const struct kc_addr *a, uint16_t port, char *out,
                        size_t size);
/* Parses a bare address (no port, no brackets). */
bool kc_addr_parse(const char *s, struct kc_addr *out);
/* IPv4 as a host-order integer (only meaningful when family is AF_INET). */
uint32_t kc_addr_v4(const struct kc_addr *a);
void kc_addr_set_v4(struct kc_addr *a, uint32_t host_order);

/* ------------------------------------------------------------------ */
/* The result record                                                   */
/* ------------------------------------------------------------------ */

/* Ceilings on what a result keeps of the peer's bytes. */
#define KC_MAX_BODY_KEEP 4096     /* bounded raw body kept per probe */
#define KC_MAX_VERSION_BODY 65536 /* raw /version body kept */
#define KC_MAX_FIELD 1024         /* one string field (CN, gitVersion...) */
#define KC_MAX_SANS 64            /* SANs kept per certificate */
#define KC_MAX_SNI 255

/* classify/'s reading of one answer, made at most once per target (the
 * scanner's early-stop hook makes it, the verdict reuses it): findings and
 * the body parsed, an opaque owned object that kc_result_clear releases
 * through the result's memo_release. Copies of a result do not carry it. */
struct kc_probe_memo {
    bool read;
    unsigned findings;
    void *parsed;
};

/* What one probe got. */
struct kc_probe_result {
    enum kc_probe_id id;
    bool sent;     /* request written */
    bool answered; /* a complete, well-formed HTTP response arrived */
    /* When !answered: why (timeout/closed/protocol_error/too_large). */
    enum kc_outcome outcome;
    int status; /* HTTP status, 0 when not answered */
    bool has_audit_id;
    bool has_pf_flowschema;
    bool has_pf_prioritylevel;
    struct kc_bytes content_type; /* bounded to KC_MAX_FIELD */
    struct kc_bytes body;         /* bounded: KC_MAX_BODY_KEEP, /version more */
    uint64_t body_total;          /* bytes the peer sent (may exceed body) */
    uint32_t rtt_us;              /* request written -> response complete */
    struct kc_probe_memo memo;    /* classify/ only */
};

/* The leaf certificate the server presented. */
struct kc_cert_info {
    bool present;
    char sha256[KC_SHA256_HEX]; /* lowercase hex of the DER */
    struct kc_bytes subject;   /* one-line RFC 2253 form, bounded */
    struct kc_bytes subject_cn;
    struct kc_bytes issuer;
    struct kc_bytes issuer_cn;
    struct kc_bytes sans;      /* newline-separated, DNS:/IP: prefixed */
    uint32_t san_count;        /* total in the cert (may exceed those kept) */
    char key_type[16];         /* "rsa", "ec", "ed25519", ... */
    uint32_t key_bits;
    char key_curve[32];        /* "prime256v1" etc., for ec */
    int64_t not_before;        /* epoch seconds */
    int64_t not_after;
    char sig_alg[48];
    uint32_t chain_len;        /* certificates in the chain sent */
    struct kc_bytes der;       /* the leaf, DER, bounded (for storage) */
};

/* Fields of a /version body besides gitVersion (all optional). */
struct kc_version_info {
    struct kc_bytes major;
    struct kc_bytes minor;
    struct kc_bytes git_commit;
    struct kc_bytes git_tree_state;
    struct kc_bytes build_date;
    struct kc_bytes go_version;
    struct kc_bytes compiler;
    struct kc_bytes platform;
};

/*
 * The record one scanned endpoint produces. The scanner fills the transport
 * and probe parts, classify/ fills the verdict, geo/ the location. Owned
 * strings are freed by kc_result_clear().
 */
struct kc_result {
    /* identity */
    uint64_t target_index;     /* position in the scan's permutation */
    struct kc_addr addr;
    uint16_t port;
    char sni[KC_MAX_SNI + 1];  /* server name used for SNI, "" if none */

    /* transport */
    enum kc_outcome outcome;
    enum kc_phase phase;
    char detail[160];          /* short reason: "connect: ECONNREFUSED" ... */
    int64_t started_us;        /* wall clock */
    int64_t finished_us;
    uint32_t connect_us;       /* SYN -> established */
    uint32_t tls_us;           /* handshake duration */
    uint32_t rtt_us;           /* first request -> first response complete */
    uint32_t attempts;         /* 1 + retries used */
    uint32_t connections;      /* TCP connections the recorded attempt
                                  opened (1 + reconnects; 0: none) */
    char tls_version[16];      /* "TLSv1.3" */
    char cipher[64];
    char alpn[16];
    struct kc_cert_info cert;

    /* probes, in the order sent */
    enum kc_probe_set probe_set;
    size_t n_probes;
    struct kc_probe_result probes[KC_PROBE__COUNT];

    /* verdict (classify/) */
    int is_kubernetes;         /* -1 not evaluated, 0, 1 */
    char evidence[256];        /* comma-separated signal tokens */
    enum kc_posture posture;
    struct kc_bytes git_version; /* byte-exact, bounded KC_MAX_FIELD */
    int major, minor, patch;   /* -1 = NULL */
    bool prerelease;
    enum kc_vendor vendor;
    char vendor_suffix[64];    /* what follows the semver for "other" */
    struct kc_version_info version;
    int cluster_info_readable; /* -1 not probed/unknown, 0, 1 */
    char cluster_ca_sha256[KC_SHA256_HEX];/* CA fingerprint from cluster-info */
    int jws_keys;              /* jws-kubeconfig-* keys, -1 unknown */
    int namespaces_count;      /* from a readable namespace list, -1 */
    const char *classifier_version; /* static string, NULL if unclassified */
    void (*memo_release)(void *parsed); /* set by classify/ with a memo */

    /* location (geo/) */
    char country[3];           /* ISO 3166 alpha-2, "" = NULL */
    uint32_t asn;              /* 0 = NULL */
    char as_org[128];
    enum kc_provider provider;
};

/* Zeroes r and sets the NULL markers (-1 for ints). */
void kc_result_init(struct kc_result *r);
/* Frees owned strings and re-inits. */
void kc_result_clear(struct kc_result *r);
/* Deep copy; returns 0 or -ENOMEM (dst left initialised). */
int kc_result_copy(struct kc_result *dst, const struct kc_result *src);
/* Deep copy with every byte string in one allocation, returned in *block:
 * one malloc and one free per record instead of one per string (queues).
 * Release with free(*block) and kc_result_init(dst), never with
 * kc_result_clear. Returns 0 or -ENOMEM (dst initialised, *block NULL). */
int kc_result_copy_packed(struct kc_result *dst, const struct kc_result *src,
                          void **block);
/* Probe result for id, or NULL if that probe is not in the record. */
const struct kc_probe_result *kc_result_probe(const struct kc_result *r,
                                              enum kc_probe_id id);

/* ------------------------------------------------------------------ */
/* The sink: how results leave the scanner                             */
/* ------------------------------------------------------------------ */

/*
 * Iterator position for resume (see targets/): every target with index <
 * low_uncommitted has been written to the sink before this checkpoint;
 * next_dispatch is the next index the iterator would hand out.
 */
struct kc_checkpoint {
    uint64_t next_dispatch;
    uint64_t low_uncommitted;
};

struct kc_sink;

struct kc_sink_ops {
    /* Takes a copy of what it needs; r stays the caller's. 0 or -errno. */
    int (*write)(struct kc_sink *s, const struct kc_result *r);
    /* Records the iterator position together with the results written so
     * far (storage saves both in one transaction). May be NULL. */
    int (*checkpoint)(struct kc_sink *s, const struct kc_checkpoint *cp);
    /* Makes everything written durable. May be NULL. */
    int (*flush)(struct kc_sink *s);
    /* Flushes and frees. */
    void (*free)(struct kc_sink *s);
    /* True while the sink's queue is above its high-water mark: the scanner
     * stops taking new targets until it drops (writes are still accepted
     * for targets already in flight). May be NULL (never busy). */
    bool (*busy)(struct kc_sink *s);
};

/* Implementations embed this and get back with container_of. */
struct kc_sink {
    const struct kc_sink_ops *ops;
    struct kc_error err; /* last error, for the caller's message */
};

int kc_sink_write(struct kc_sink *s, const struct kc_result *r);
int kc_sink_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp);
int kc_sink_flush(struct kc_sink *s);
void kc_sink_free(struct kc_sink *s);
bool kc_sink_busy(struct kc_sink *s);

/*
 * A sink writing one JSON object per line (same names as the storage
 * columns), each starting with "scan_uid" (the scan's uid, copied; NULL
 * writes null) so that lines of a resumed run that repeat a target are
 * recognisable by (scan_uid, target_index). Strings that are not valid
 * UTF-8 have each invalid byte written as \u00XX. If close_file, fclose(f)
 * on free. Returns NULL on -ENOMEM. The format: docs/OPERATIONS.md.
 */
struct kc_sink *kc_jsonl_sink_new(FILE *f, bool close_file,
                                  const char *scan_uid);
/* Writes r as one JSON line to f; returns 0 or -errno. */
int kc_result_write_json(FILE *f, const char *scan_uid,
                         const struct kc_result *r);

/* A sink that forwards to up to 4 sinks (owns them). */
struct kc_sink *kc_tee_sink_new(struct kc_sink **sinks, size_t n);

/* JSON string escaping for writers: appends the quoted, escaped form of
 * (p, n) to f. Invalid UTF-8 bytes become \u00XX. */
void kc_json_write_string(FILE *f, const char *p, size_t n);

#endif /* KCENSUS_COMMON_H */
