/*
 * fleet.h - kcensus-fleet: a simulated fleet of Kubernetes API servers on
 * loopback, for the demo, the integration tests and the benchmarks.
 *
 * Pieces (one file each):
 *   spec.c     JSON spec (jansson) -> struct fleet_plan (members, ports)
 *   truth.c    what a correct scan must store for each (ip, port); CSV
 *   respond.c  the HTTP answers of one member, byte for byte like a
 *              kube-apiserver (or an ordinary HTTPS site)
 *   certs.c    CA and leaf certificates by profile, generated at start-up
 *              (CAs) and lazily per member (leaves, cached)
 *   server.c   libuv listeners + OpenSSL memory-BIO TLS, dispatch on the
 *              connection's local address
 *   main.c     options, READY line, signals
 */
#ifndef KCENSUS_FLEET_H
#define KCENSUS_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

#define FLEET_MAX_PORTS 8
#define FLEET_MAX_MEMBERS (1u << 20)

/* How a member answers HTTP once TLS is up. */
enum fleet_behaviour {
    FLEET_B_OPEN = 0,    /* anonymous on, default RBAC */
    FLEET_B_LIMITED,     /* AuthenticationConfiguration: health + cluster-info */
    FLEET_B_RBAC_DENIED, /* public-info-viewer binding removed: 403 */
    FLEET_B_DISABLED,    /* --anonymous-auth=false: 401 everywhere */
    FLEET_B_WIDE_OPEN,   /* anonymous bound to a powerful role */
    FLEET_B_LEGACY,      /* pre-1.14: anonymous discovery */
    FLEET_B_ALWAYS_ALLOW,/* --authorization-mode=AlwaysAllow: every path
                          * that exists answers 200; before 1.16 /livez
                          * and /readyz do not exist: Go's plain 404 */
    FLEET_B_NOT_K8S_HTML,/* nginx 404 pages */
    FLEET_B_NOT_K8S_JSON,/* a JSON API that is not Kubernetes */
    FLEET_B__COUNT
};

/* Transport faults (independent of the behaviour). */
enum fleet_fault {
    FLEET_F_NONE = 0,
    FLEET_F_REFUSED,         /* no listener on any of its ports */
    FLEET_F_SILENT_TLS,      /* accepts, never answers the ClientHello */
    FLEET_F_SILENT_RESPONSE, /* TLS up, never answers a request */
    FLEET_F_RESET,           /* accepts, then RST before any byte */
    FLEET_F_TLS_GARBAGE,     /* answers the ClientHello with non-TLS bytes */
    FLEET_F__COUNT
};

/* How a member frames its HTTP answers (independent of the behaviour and
 * the fault): what proxies, load balancers and older stacks in front of
 * API servers do. The answers themselves are the behaviour's. */
enum fleet_http {
    FLEET_H_KEEP_ALIVE = 0, /* HTTP/1.1, Content-Length, keep-alive */
    FLEET_H_CLOSE,          /* Connection: close after every answer */
    FLEET_H_HTTP10,         /* HTTP/1.0 status line, no keep-alive */
    FLEET_H_EOF_BODY,       /* no Content-Length: the body ends at close */
    FLEET_H_INTERIM,        /* 100 Continue before every answer */
    FLEET_H_RENEGOTIATE,    /* TLS 1.2 only; asks to renegotiate after the
                             * first request of a connection and answers
                             * once the renegotiation is done */
    FLEET_H_CHUNKED,        /* Transfer-Encoding: chunked, the body in two
                             * chunks and a trailer, keep-alive */
    FLEET_H__COUNT
};

enum fleet_cert_profile {
    FLEET_CERT_KUBEADM = 0,
    FLEET_CERT_K3S,
    FLEET_CERT_EKS,
    FLEET_CERT_WEB, /* an ordinary site (not Kubernetes) */
    FLEET_CERT__COUNT
};

/* Leaf (and CA) key types: ECDSA P-256, RSA-2048 and the other types a
 * scanner must decode alike (RSA-PSS-2048, P-384, P-521, Ed25519). */
enum fleet_key_type {
    FLEET_KEY_ECDSA = 0,
    FLEET_KEY_RSA,
    FLEET_KEY_RSA_PSS,
    FLEET_KEY_P384,
    FLEET_KEY_P521,
    FLEET_KEY_ED25519,
    FLEET_KEY__COUNT
};

const char *fleet_behaviour_str(enum fleet_behaviour b);
bool fleet_behaviour_parse(const char *s, enum fleet_behaviour *out);
const char *fleet_fault_str(enum fleet_fault f);
bool fleet_fault_parse(const char *s, enum fleet_fault *out);
const char *fleet_http_str(enum fleet_http h);
bool fleet_http_parse(const char *s, enum fleet_http *out);
/* True if the member ends the connection after every answer. */
bool fleet_http_closes(enum fleet_http h);
const char *fleet_cert_profile_str(enum fleet_cert_profile p);
bool fleet_cert_profile_parse(const char *s, enum fleet_cert_profile *out);

/* One simulated API server. Strings point into the plan's string pool. */
struct fleet_member {
    uint32_t addr;                /* host order, inside 127.0.0.0/8 */
    uint32_t id;                  /* index in the plan */
    uint8_t port_mask;            /* bit i: listens on plan->ports[i] */
    enum fleet_behaviour behaviour;
    enum fleet_fault fault;
    enum fleet_http http;
    enum fleet_cert_profile cert;
    enum fleet_key_type key;
    uint32_t latency_ms;          /* before each response flight */
    const char *git_version;      /* NULL for not-Kubernetes members */
    enum kc_vendor vendor;        /* of git_version (computed once) */
    void *leaf;                   /* certs.c cache (X509 *), lazily made */
    bool shared_leaf;             /* use the profile's one leaf (no member
                                   * IP in the SANs): no issuance cost */
    bool client_order;            /* picks the cipher by the client's
                                   * order, not its own */
    char *ca_b64;                 /* certs.c cache: this cluster's CA PEM,
                                   * base64, made on first use */
};

struct fleet_plan {
    uint64_t seed;
    uint32_t base;                /* first address, host order */
    uint32_t n_members;
    struct fleet_member *members; /* members[i].addr == base + i */
    size_t n_ports;
    uint16_t ports[FLEET_MAX_PORTS];
    char **strings;               /* owned version strings */
    size_t n_strings;
};

/*
 * Reads a spec (JSON, see tests/fleet/specs/README.md) and builds the plan
 * deterministically from its seed (seed_override != 0 replaces it). Relative
 * version files resolve against the spec's directory. Returns 0 or -errno
 * with err naming the problem.
 */
int fleet_plan_load(struct fleet_plan *plan, const char *path,
                    uint64_t seed_override, struct kc_error *err);
/* Same from a JSON text (dir: base for relative file names, may be NULL). */
int fleet_plan_parse(struct fleet_plan *plan, const char *json,
                     const char *dir, uint64_t seed_override,
                     struct kc_error *err);
void fleet_plan_free(struct fleet_plan *plan);
/* Member by local address, or NULL if the address is not in the plan. */
struct fleet_member *fleet_plan_find(const struct fleet_plan *plan,
                                     uint32_t addr);
bool fleet_member_listens(const struct fleet_plan *plan,
                          const struct fleet_member *m, size_t port_index);

/* ---- truth ---- */

/* What a correct scan stores for one (member, port). */
struct fleet_truth {
    enum kc_outcome outcome;
    enum kc_phase phase;
    int is_kubernetes;            /* -1 = NULL */
    enum kc_posture posture;
    enum kc_posture posture_extended;
    const char *git_version;      /* NULL = NULL */
    enum kc_vendor vendor;
    const char *cert_cn;          /* NULL = NULL */
};

#define FLEET_TRUTH_HEADER \
    "ip,port,outcome,phase,is_kubernetes,posture,posture_extended," \
    "git_version,vendor,cert_cn"

void fleet_truth_of(const struct fleet_plan *plan, const struct fleet_member *m,
                    size_t port_index, struct fleet_truth *t);
/* Writes the header and one row per (address, port) of the plan. */
int fleet_truth_write(const struct fleet_plan *plan, FILE *f);
/* Vendor of a gitVersion by the rules of docs/classification.md (fleet's
 * own copy, so the truth cross-checks classify/). */
enum kc_vendor fleet_vendor_of(const char *git_version);
/* Subject CN the member's leaf certificate carries. */
const char *fleet_cert_cn(enum fleet_cert_profile p);

/* ---- HTTP answers ---- */

/* Request credentials, as kube-apiserver's authenticators see them. */
enum fleet_cred { FLEET_CRED_NONE = 0, FLEET_CRED_BASIC, FLEET_CRED_BEARER };

/*
 * Appends the complete HTTP/1.1 response of member m to `method path` to out
 * (status line, headers, body). uuid_seed varies Audit-Id per request.
 * now: wall clock seconds for the Date header.
 */
int fleet_respond(const struct fleet_plan *plan, const struct fleet_member *m,
                  const char *method, const char *path, enum fleet_cred cred,
                  uint64_t uuid_seed, int64_t now, const char *ca_pem_b64,
                  struct kc_buf *out);

/* ---- certificates ---- */

struct fleet_certs;
/* Makes the CA and shared leaf key of every (profile, key type) the plan
 * uses, up front (RSA key generation takes up to seconds: better at start
 * than during a member's first handshake). Returns NULL with err set. */
struct fleet_certs *fleet_certs_new(const struct fleet_plan *plan,
                                    struct kc_error *err);
void fleet_certs_free(struct fleet_certs *c);
/* A new server SSL (as void *, caller SSL_free()s) for member m: the
 * profile's context and key, the member's leaf certificate (made and cached
 * in m->leaf on first use). NULL on failure. */
void *fleet_certs_new_ssl(struct fleet_certs *c, struct fleet_member *m);
/* Puts member m's own leaf (issued and cached on first use) on an SSL of
 * its kit's context, e.g. one reused with SSL_clear. 0 or -EIO. */
int fleet_certs_use_leaf(struct fleet_certs *c, struct fleet_member *m,
                         void *ssl);
/* Issues every member's leaf now, on `threads` threads (before the event
 * loop runs), so that no first handshake pays for it. 0 or -ENOMEM/-EIO. */
int fleet_certs_prewarm(struct fleet_certs *c, struct fleet_plan *plan,
                        unsigned threads);
/* Sets the cipher order (server's or client's) of member m on an SSL of
 * its kit's context, new or reused. */
void fleet_certs_cipher_order(const struct fleet_member *m, void *ssl);
/* base64 of the PEM of the member's own cluster CA (for cluster-info):
 * made on first use and cached in m->ca_b64. NULL on failure. */
const char *fleet_certs_ca_b64(struct fleet_certs *c,
                               struct fleet_member *m);
/* Frees the per-member leaf caches of a plan. */
void fleet_certs_release_plan(struct fleet_plan *plan);

/* ---- server ---- */

struct fleet_server_config {
    const struct fleet_plan *plan;
    bool wildcard;      /* bind 0.0.0.0 (only in a private netns) */
    uint64_t duration_ms; /* 0 = until signal */
    unsigned prewarm_threads; /* > 0: issue every leaf before serving */
    unsigned threads;   /* event loops (0 = 1); > 1: SO_REUSEPORT
                         * listeners per loop, leaves issued up front */
};

struct fleet_server;
int fleet_server_new(struct fleet_server **out, struct fleet_plan *plan,
                     const struct fleet_server_config *cfg,
                     struct kc_error *err);
/* Runs until SIGINT/SIGTERM or the duration (the other loops on their own
 * threads); returns 0, or -EAGAIN if a loop's thread could not start (the
 * others served). */
int fleet_server_run(struct fleet_server *s);
/* Closes everything; returns uv_loop_close()'s result (0 = clean). */
int fleet_server_free(struct fleet_server *s);
/* Listening sockets opened (for the READY line). */
size_t fleet_server_listeners(const struct fleet_server *s);
/* Ports served by one wildcard socket (the rest: one socket per address). */
size_t fleet_server_wildcard_ports(const struct fleet_server *s);
/* Connections accepted so far, all loops (for logs and benchmarks). */
uint64_t fleet_server_accepted(const struct fleet_server *s);
/* Event loops (threads), and what loop i (0 = primary) accepted. */
unsigned fleet_server_threads(const struct fleet_server *s);
uint64_t fleet_server_accepted_by(const struct fleet_server *s, unsigned i);

#endif /* KCENSUS_FLEET_H */
