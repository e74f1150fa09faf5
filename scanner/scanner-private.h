/*
 * scanner-private.h - the pieces of the engine, exposed to the unit tests
 * (tests/unit/scanner) but not to other folders: a sans-I/O TLS client, a
 * bounded HTTP/1.1 response reader, and the token bucket.
 */
#ifndef KCENSUS_SCANNER_PRIVATE_H
#define KCENSUS_SCANNER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include <http_parser.h>
#include <openssl/ssl.h>

#include "common.h"

/* ---------------- TLS (tls.c) ---------------- */

/* Ceiling on ciphertext buffered inside OpenSSL's memory BIO. A peer that
 * makes us hold more is too_large. */
#define KC_TLS_MAX_PENDING (64 * 1024)
/* Ceiling on the leaf DER we keep. */
#define KC_TLS_MAX_DER (16 * 1024)

/* The TLS 1.2-and-older suites offered: every one a client without PSK or
 * SRP credentials can offer, so the ClientHello lists the same suites as
 * with "ALL:@SECLEVEL=0" (scanner/tls checks). */
#define KC_TLS_CIPHERS "ALL:!PSK:!SRP:@SECLEVEL=0"

/* One SSL_CTX per loop thread: SECLEVEL=0, TLS 1.0+, legacy renegotiation,
 * no verification, ALPN http/1.1. Returns NULL on failure. */
SSL_CTX *kc_tls_ctx_new(void);

/* keyengine.c: registers, once per process, the ENGINE through which
 * OpenSSL 3.0 decodes peer keys by its built-in legacy methods (unless
 * built without it or KCENSUS_KEY_ENGINE=off). kc_tls_ctx_new() calls it.
 * True if the engine is in use. */
bool kc_tls_key_engine(void);

enum kc_tls_status {
    KC_TLS_WANT_IO = 0, /* need more bytes from the peer */
    KC_TLS_DONE,        /* handshake finished */
    KC_TLS_FAILED,      /* alert, garbage, protocol violation */
    KC_TLS_TOO_LARGE,   /* peer exceeded KC_TLS_MAX_PENDING */
    KC_TLS_CLOSED,      /* peer sent close_notify */
};

/* Bytes queued between the socket and OpenSSL: held only while some are
 * waiting (freed when drained, so an idle connection keeps none). */
struct kc_tls_queue {
    unsigned char *data;
    size_t off, len, cap; /* unread bytes are data[off, len) */
};

/* A client connection driven only through bytes: the caller feeds what
 * arrived from the socket and drains what must be sent. OpenSSL reads and
 * writes the two queues through one BIO of ours (not memory BIOs, whose
 * buffers stay at their high-water mark for the connection's life). */
struct kc_tls {
    SSL *ssl;
    struct kc_tls_spares *spares; /* where ssl goes back to, or NULL */
    struct kc_tls_queue in;  /* peer -> OpenSSL, at most KC_TLS_MAX_PENDING */
    struct kc_tls_queue out; /* OpenSSL -> peer */
    char err[96];
};

/* One loop thread's cleared SSL objects, handed to its next connections:
 * SSL_clear keeps what SSL_new copies from the context (cipher lists, ALPN,
 * verify settings) and costs less than SSL_free + SSL_new. At most cap are
 * kept (a loop has at most that many connections at once). */
struct kc_tls_spares {
    SSL **ssl;
    uint32_t n, cap;
};

/* Room for cap spares. 0 or -ENOMEM. */
int kc_tls_spares_init(struct kc_tls_spares *s, uint32_t cap);
/* Frees the spares (before their SSL_CTX). */
void kc_tls_spares_free(struct kc_tls_spares *s);

/* sni may be NULL or "" (no SNI). spares may be NULL: the SSL is made new;
 * else one is taken from it when it holds one, and kc_tls_free gives it
 * back. Returns 0 or -ENOMEM. */
int kc_tls_init(struct kc_tls *t, SSL_CTX *ctx, struct kc_tls_spares *spares,
                const char *sni);
/* Ends the connection: its SSL is cleared into the spares it came with
 * (nothing of this peer reaches the next one), or freed. */
void kc_tls_free(struct kc_tls *t);
/* Hands n ciphertext bytes to OpenSSL. Returns 0 or -ENOBUFS. */
int kc_tls_feed(struct kc_tls *t, const void *p, size_t n);
/* Advances the handshake. */
enum kc_tls_status kc_tls_handshake(struct kc_tls *t);
/* Bytes waiting to go to the peer. */
size_t kc_tls_pending_out(const struct kc_tls *t);
/* Copies up to cap pending output bytes; returns how many. */
size_t kc_tls_drain(struct kc_tls *t, void *out, size_t cap);
/* Encrypts n plaintext bytes (whole). Returns 0 or -EIO. */
int kc_tls_write(struct kc_tls *t, const void *p, size_t n);
/* Decrypts into out; *got = bytes. Returns KC_TLS_WANT_IO when no more
 * plaintext is available now (with *got possibly > 0), KC_TLS_CLOSED on
 * close_notify, KC_TLS_FAILED on error. */
enum kc_tls_status kc_tls_read(struct kc_tls *t, void *out, size_t cap,
                               size_t *got);
/* Records the fields of certificate x (peer bytes: every string bounded)
 * into ci. Exposed for the certificate fuzz target. */
void kc_tls_record_cert(struct kc_cert_info *ci, X509 *x);
/* Records version, cipher, ALPN and the leaf certificate into r. */
void kc_tls_record(const struct kc_tls *t, struct kc_result *r);

/* ---------------- HTTP (http.c) ---------------- */

#define KC_HTTP_MAX_HEADER (64 * 1024)
#define KC_HTTP_MAX_BODY (1024 * 1024)
/* 1xx answers skipped before the answer (real servers send one or two:
 * 100 Continue, 103 Early Hints). */
#define KC_HTTP_MAX_INTERIM 32

enum kc_http_status {
    KC_HTTP_MORE = 0,   /* response not complete yet */
    KC_HTTP_COMPLETE,   /* one complete response read */
    KC_HTTP_ERROR,      /* malformed */
    KC_HTTP_TOO_LARGE,  /* header or body ceiling exceeded */
};

/* Reads one response at a time into a struct kc_probe_result, keeping
 * bodies up to the probe's keep limit and counting the rest. */
struct kc_http_rx {
    http_parser parser;
    http_parser_settings settings;
    struct kc_probe_result *out; /* the probe being answered */
    size_t body_keep;            /* bytes of body kept */
    struct kc_buf body;
    char field[64];              /* current header name (truncated) */
    size_t field_len;
    bool field_overflow;
    bool in_value;
    int which;                   /* header of note being read, 0 none */
    struct kc_buf ctype;
    bool complete;
    bool too_large;
    bool keep_alive;             /* peer allows another request */
    uint32_t interim;            /* 1xx answers so far */
    uint64_t bytes;              /* fed for this response */
};

/* Prepares to read (h must be zeroed before its first use) the response to probe `out` (its id picks the keep
 * limit). Resets the parser between responses on one connection. */
void kc_http_rx_begin(struct kc_http_rx *h, struct kc_probe_result *out);
/* Feeds n bytes; *used gets the bytes consumed (a complete response may
 * leave the rest for the next one). n == 0 signals EOF. */
enum kc_http_status kc_http_rx_feed(struct kc_http_rx *h, const char *p,
                                    size_t n, size_t *used);
void kc_http_rx_free(struct kc_http_rx *h);

/* Formats the request for probe id into out (authority is the Host value,
 * "name:port" or "[v6]:port"); returns its length, 0 if it does not fit. */
size_t kc_http_request(char *out, size_t cap, enum kc_probe_id id,
                       const char *authority, const char *ua);

/* ---------------- token bucket (rate.c) ---------------- */

struct kc_rate {
    double per_ms;   /* tokens per millisecond, 0 = unlimited */
    double tokens;
    double burst;
    uint64_t last_ms;
};
void kc_rate_init(struct kc_rate *r, double per_sec, uint64_t now_ms);
/* Takes one token if available. */
bool kc_rate_take(struct kc_rate *r, uint64_t now_ms);
/* Takes one token, borrowing ahead down to -max_debt tokens if none is
 * left (the borrowed ones delay kc_rate_take until repaid): 0, or the
 * milliseconds until the debt would allow it. */
uint64_t kc_rate_take_ahead(struct kc_rate *r, uint64_t now_ms,
                            double max_debt);
/* Milliseconds until a token is available (0 when one is). */
uint64_t kc_rate_wait_ms(struct kc_rate *r, uint64_t now_ms);

/* ---------------- per-host slots (hosts.c) ---------------- */

/* Targets in flight per address, shared by every loop thread (--per-host).
 * A target that finds its address at the cap may wait ("park"): the table
 * counts the parked ones so that whoever frees a slot knows to wake them. */
struct kc_hosts;

/* cap slots per address; max_entries = most targets ever in flight at once
 * (the table never grows). 0 or -ENOMEM. */
int kc_hosts_new(uint32_t cap, uint32_t max_entries, struct kc_hosts **out);
void kc_hosts_free(struct kc_hosts *h);
/* Takes a slot for a if one is free (true). Otherwise, with park, counts
 * the caller as waiting for a (it must later call kc_hosts_unpark). */
bool kc_hosts_acquire(struct kc_hosts *h, const struct kc_addr *a, bool park);
/* For a parked caller: takes a slot if one is free now (true), or, with
 * give_up, stops waiting (returns false). */
bool kc_hosts_unpark(struct kc_hosts *h, const struct kc_addr *a,
                     bool give_up);
/* Frees a slot; true if some caller is parked on a (wake the loops). */
bool kc_hosts_release(struct kc_hosts *h, const struct kc_addr *a);
/* Slots held for a, and entries in the table (tests). */
uint32_t kc_hosts_count(struct kc_hosts *h, const struct kc_addr *a);
size_t kc_hosts_entries(struct kc_hosts *h);

#endif
