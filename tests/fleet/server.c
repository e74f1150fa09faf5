/*
 * server.c - the fleet's event loop: listeners, connections, TLS.
 *
 * Listeners: per port, one wildcard socket when allowed (private netns) and
 * every member listens on that port; otherwise one socket per listening
 * (address, port), so a member without a listener really gets RST to its
 * SYN (`refused`). Connections dispatch on their local address.
 *
 * TLS is sans-I/O: libuv owns the socket, OpenSSL sees bytes through memory
 * BIOs. Every output flight (handshake or responses) waits the member's
 * latency before it is written.
 *
 * Threads (--threads N): N event loops, each a `struct fleet_server` with
 * its own listeners on the same addresses (SO_REUSEPORT: the kernel spreads
 * connections over them), connections, buffers and SSL pool. The first
 * (primary) one owns the certificates, the signals and the duration timer,
 * and stops the others through their uv_async handle. Everything they share
 * is read-only while serving: the plan, the SSL_CTXs, and the per-member
 * leaves, which are issued before serving when N > 1.
 */
#include <errno.h>
#include <http_parser.h>
#include <pthread.h>
#include <unistd.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "fleet.h"

#define CONN_IDLE_MS 60000      /* bounded life of an idle connection */
#define CONN_MAX_PENDING (1u << 20) /* unsent bytes before we stop reading */
#define URL_MAX 2048
/* Server SSL objects kept for reuse (SSL_clear) per certificate kit: OpenSSL
 * 3.0's SSL_new/SSL_free allocate and lock a lot; a cleared SSL keeps its
 * buffers, BIOs and settings. Bounded, so an idle fleet holds little. */
#define SSL_POOL_MAX 256

struct fleet_server;

struct listener {
    uv_tcp_t tcp;
    struct fleet_server *s;
};

enum conn_state {
    CONN_TLS,      /* handshake in progress */
    CONN_HTTP,     /* serving requests */
    CONN_SILENT,   /* read and discard, never answer */
    CONN_GARBAGE,  /* answer the first bytes with non-TLS garbage */
    CONN_RESET,    /* reset once the client has spoken */
    CONN_CLOSING,
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t flight; /* latency before a flight, and idle timeout */
    struct fleet_server *s;
    struct fleet_member *m;
    enum conn_state state;
    unsigned closing; /* handles still to close */
    bool silent_after_tls;
    bool close_after_flush;
    bool flight_armed;
    bool renegotiated;   /* FLEET_H_RENEGOTIATE: asked once already */
    bool answer_pending; /* the request is answered once the client has
                          * renegotiated */
    SSL *ssl;
    BIO *rbio, *wbio;
    http_parser parser;
    char url[URL_MAX];
    size_t url_len;
    char hfield[32];
    size_t hfield_len;
    bool in_auth;
    enum fleet_cred cred;
    bool url_too_long;
    size_t pending; /* bytes in uv_write requests not yet done */
    struct conn *prev, *next;
};

struct write_req {
    uv_write_t req;
    struct conn *c;
    size_t len;
    char data[];
};

/* Free SSLs of one (profile, key type, shared leaf or not). */
struct ssl_pool {
    SSL *free[SSL_POOL_MAX];
    size_t n;
};

struct fleet_server {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    uv_timer_t duration;
    struct fleet_plan *plan;
    struct fleet_certs *certs;
    struct listener *listeners;
    size_t n_listeners;
    size_t n_wildcard_ports;
    size_t n_open; /* handles of the server itself still open */
    struct conn *conns;
    http_parser_settings settings;
    uint64_t accepted;
    uint64_t requests;
    struct kc_buf out; /* one response at a time, reused */
    struct ssl_pool pools[FLEET_CERT__COUNT][FLEET_KEY__COUNT][2];
    uv_async_t wake;           /* stop request from the primary's thread */
    bool primary;              /* owns certs, signals, duration, shards */
    bool reuseport;            /* N > 1: listeners share their addresses */
    unsigned n_threads;        /* loops in all (primary included) */
    struct fleet_server **shards; /* primary: the other loops */
    unsigned n_shards;
    pthread_t tid;
    bool thread_started;
    uint64_t duration_ms;
    bool stopping;
    char rdbuf[65536];
    char scratch[16384];
};

/* ---- connection teardown (the one path) ---- */

static struct ssl_pool *pool_of(struct fleet_server *s,
                                const struct fleet_member *m)
{
    return &s->pools[m->cert][m->key][m->shared_leaf];
}

/* Back to the pool, cleared (whatever state the handshake reached: SSL_clear
 * resets it), while there is room; otherwise freed. */
static void conn_release_ssl(struct conn *c)
{
    struct ssl_pool *p = pool_of(c->s, c->m);
    if (p->n < SSL_POOL_MAX && !c->s->stopping && SSL_clear(c->ssl) == 1 &&
        BIO_reset(c->rbio) == 1 && BIO_reset(c->wbio) == 1) {
        p->free[p->n++] = c->ssl;
        return;
    }
    SSL_free(c->ssl); /* frees both BIOs */
}

static void conn_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->closing > 0)
        return;
    if (c->ssl)
        conn_release_ssl(c);
    else
        BIO_free(c->wbio); /* garbage members: a BIO with no SSL */
    free(c);
}

static void conn_close(struct conn *c, bool reset)
{
    if (c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->closing = 2;
    uv_timer_stop(&c->flight);
    uv_close((uv_handle_t *)&c->flight, conn_handle_closed);
    if (reset)
        uv_tcp_close_reset(&c->tcp, conn_handle_closed);
    else
        uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

/* ---- output ---- */

static void write_done(uv_write_t *req, int status)
{
    struct write_req *w = container_of(req, struct write_req, req);
    struct conn *c = w->c;
    c->pending -= w->len;
    free(w);
    if (c->state == CONN_CLOSING)
        return;
    if (status < 0) {
        conn_close(c, false);
        return;
    }
    if (c->close_after_flush && c->pending == 0)
        conn_close(c, false);
}

static int conn_send(struct conn *c, const char *p, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    if (c->pending == 0) {
        int done = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (done == (int)n)
            return 0;
        if (done > 0) {
            p += done;
            n -= (size_t)done;
        } else if (done != UV_EAGAIN) {
            return done;
        }
    }
    struct write_req *w = malloc(sizeof(*w) + n);
    if (!w)
        return -ENOMEM;
    memcpy(w->data, p, n);
    w->c = c;
    w->len = n;
    b = uv_buf_init(w->data, (unsigned)n);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
    if (rc < 0) {
        free(w);
        return rc;
    }
    c->pending += n;
    return 0;
}

/* Writes whatever TLS has produced. */
static int conn_flush(struct conn *c)
{
    char *buf = c->s->scratch;
    int n;
    while ((n = BIO_read(c->wbio, buf, sizeof(c->s->scratch))) > 0) {
        int rc = conn_send(c, buf, (size_t)n);
        if (rc < 0)
            return rc;
    }
    if (c->close_after_flush && c->pending == 0)
        conn_close(c, false);
    return 0;
}

static void idle_expired(struct conn *c);

static void flight_due(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (!c->flight_armed) {
        idle_expired(c);
        return;
    }
    c->flight_armed = false;
    if (conn_flush(c) < 0) {
        conn_close(c, false);
        return;
    }
    if (c->state != CONN_CLOSING)
        uv_timer_start(&c->flight, flight_due, CONN_IDLE_MS, 0);
}

/* A flight is ready in wbio: send it now or after the member's latency. */
static void conn_flight(struct conn *c)
{
    if (BIO_ctrl_pending(c->wbio) == 0 && !c->close_after_flush)
        return;
    if (c->m->latency_ms == 0) {
        if (conn_flush(c) < 0)
            conn_close(c, false);
        return;
    }
    if (c->flight_armed)
        return; /* joins the flight already waiting */
    c->flight_armed = true;
    uv_timer_start(&c->flight, flight_due, c->m->latency_ms, 0);
}

static void idle_expired(struct conn *c)
{
    conn_close(c, false);
}

/* ---- HTTP ---- */

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    if (c->url_len + n >= URL_MAX) {
        c->url_too_long = true;
        return 0;
    }
    memcpy(c->url + c->url_len, at, n);
    c->url_len += n;
    c->url[c->url_len] = 0;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    if (c->in_auth || c->hfield_len == SIZE_MAX) {
        c->hfield_len = 0;
        c->in_auth = false;
    }
    if (c->hfield_len + n < sizeof(c->hfield)) {
        memcpy(c->hfield + c->hfield_len, at, n);
        c->hfield_len += n;
    } else {
        c->hfield_len = sizeof(c->hfield) - 1;
    }
    c->hfield[c->hfield_len] = 0;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    if (!c->in_auth && strcasecmp(c->hfield, "authorization") == 0) {
        if (n >= 6 && strncasecmp(at, "Basic ", 6) == 0)
            c->cred = FLEET_CRED_BASIC;
        else if (n >= 7 && strncasecmp(at, "Bearer ", 7) == 0)
            c->cred = FLEET_CRED_BEARER;
    }
    c->in_auth = true; /* a value seen: the next field starts afresh */
    return 0;
}

static int on_message_begin(http_parser *p)
{
    struct conn *c = p->data;
    c->url_len = 0;
    c->url[0] = 0;
    c->url_too_long = false;
    c->hfield_len = 0;
    c->in_auth = false;
    c->cred = FLEET_CRED_NONE;
    return 0;
}

/* Answers the request the parser has just read (its URL and credentials
 * stay in c until the next request begins). */
static int conn_answer(struct conn *c)
{
    http_parser *p = &c->parser;
    struct fleet_server *s = c->s;
    struct kc_buf *out = &s->out;
    kc_buf_reset(out);
    s->requests++;
    int rc = fleet_respond(s->plan, c->m, http_method_str(p->method),
                           c->url_too_long ? "/too-long" : c->url, c->cred,
                           s->requests ^ ((uint64_t)c->m->id << 32),
                           kc_wall_us() / 1000000,
                           fleet_certs_ca_b64(s->certs, c->m), out);
    if (rc == 0 && out->len > 0) {
        ERR_clear_error();
        if (SSL_write(c->ssl, out->data, (int)out->len) <= 0)
            rc = -EIO;
    }
    if (rc < 0)
        return -1;
    if (!http_should_keep_alive(p) || fleet_http_closes(c->m->http))
        c->close_after_flush = true;
    return 0;
}

/* A server that wants a client certificate late asks, after the first
 * request, for a new handshake (TLS 1.2) and answers only once it is
 * done: a client that does not follow gets no answer. */
static int conn_renegotiate(struct conn *c)
{
    c->renegotiated = true;
    ERR_clear_error();
    if (SSL_renegotiate(c->ssl) != 1 || SSL_do_handshake(c->ssl) != 1)
        return -1;
    c->answer_pending = true;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct conn *c = p->data;
    if (c->m->http == FLEET_H_RENEGOTIATE && !c->renegotiated)
        return conn_renegotiate(c);
    return conn_answer(c);
}

/* The renegotiation asked for is done: the request gets its answer. */
static int conn_answer_pending(struct conn *c)
{
    if (!c->answer_pending || SSL_renegotiate_pending(c->ssl))
        return 0;
    c->answer_pending = false;
    return conn_answer(c) < 0 ? -EIO : 0;
}

/* Decrypts what arrived and answers complete requests. */
static int conn_http(struct conn *c)
{
    char *buf = c->s->scratch;
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, buf, sizeof(c->s->scratch));
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ)
                return conn_answer_pending(c);
            return -EPROTO; /* close_notify or a TLS error */
        }
        if (c->state == CONN_SILENT)
            continue;
        size_t used = http_parser_execute(&c->parser, &c->s->settings, buf,
                                          (size_t)n);
        if (c->parser.http_errno != HPE_OK || used != (size_t)n)
            return -EPROTO;
    }
}

static int conn_handshake(struct conn *c)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        c->state = c->silent_after_tls ? CONN_SILENT : CONN_HTTP;
        return conn_http(c);
    }
    int e = SSL_get_error(c->ssl, rc);
    return e == SSL_ERROR_WANT_READ ? 0 : -EPROTO;
}

static void conn_garbage(struct conn *c)
{
    static const char junk[] = "HTTP/1.0 400 Bad Request\r\n"
                               "Content-Type: text/plain\r\n\r\n"
                               "this port speaks no TLS\r\n";
    /* No TLS here, so no SSL owns a write BIO yet: make one for the
     * flight machinery (freed in conn_handle_closed). */
    if (c->wbio == NULL && (c->wbio = BIO_new(BIO_s_mem())) == NULL) {
        conn_close(c, false);
        return;
    }
    BIO_write(c->wbio, junk, sizeof(junk) - 1);
    c->close_after_flush = true;
    c->state = CONN_SILENT;
    conn_flight(c);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct conn *c = h->data;
    (void)hint;
    *b = uv_buf_init(c->s->rdbuf, sizeof(c->s->rdbuf));
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct conn *c = st->data;
    if (c->state == CONN_CLOSING)
        return;
    if (n < 0) {
        conn_close(c, false);
        return;
    }
    if (n == 0)
        return;
    if (!c->flight_armed)
        uv_timer_start(&c->flight, flight_due, CONN_IDLE_MS, 0);
    if (c->state == CONN_GARBAGE) {
        conn_garbage(c);
        return;
    }
    if (c->state == CONN_RESET) {
        conn_close(c, true);
        return;
    }
    if (c->state == CONN_SILENT && !c->ssl)
        return; /* silent before TLS: swallow the ClientHello */
    BIO_write(c->rbio, b->base, (int)n);
    int rc = c->state == CONN_TLS ? conn_handshake(c) : conn_http(c);
    conn_flight(c);
    if (rc < 0 && c->state != CONN_CLOSING) {
        /* Let an alert or the last response go out, then close. */
        c->close_after_flush = true;
        conn_flight(c);
        return;
    }
    if (c->state != CONN_CLOSING && c->pending > CONN_MAX_PENDING)
        conn_close(c, false);
}

/* ---- accept ---- */

static bool local_member(struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &len) < 0 ||
        ss.ss_family != AF_INET)
        return false;
    uint32_t a = ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
    /* Never serve anything that is not loopback. */
    if ((a >> 24) != 127)
        return false;
    c->m = fleet_plan_find(c->s->plan, a);
    return c->m != NULL;
}

/* Renegotiation exists only up to TLS 1.2. Set on every SSL, pooled ones
 * included (SSL_clear keeps the limit of the member served before). */
static void conn_limit_tls(struct conn *c)
{
    SSL_set_max_proto_version(c->ssl, c->m->http == FLEET_H_RENEGOTIATE
                                          ? TLS1_2_VERSION
                                          : 0);
}

static int conn_setup_tls(struct conn *c)
{
    struct ssl_pool *p = pool_of(c->s, c->m);
    if (p->n > 0) {
        c->ssl = p->free[--p->n];
        /* A per-member leaf: this member's certificate on the reused SSL
         * (the profile's shared leaf stays from the context). */
        if (!c->m->shared_leaf &&
            fleet_certs_use_leaf(c->s->certs, c->m, c->ssl) < 0) {
            SSL_free(c->ssl);
            c->ssl = NULL;
            return -ENOMEM;
        }
        c->rbio = SSL_get_rbio(c->ssl);
        c->wbio = SSL_get_wbio(c->ssl);
        conn_limit_tls(c);
        SSL_set_accept_state(c->ssl);
        http_parser_init(&c->parser, HTTP_REQUEST);
        c->parser.data = c;
        return 0;
    }
    c->ssl = fleet_certs_new_ssl(c->s->certs, c->m);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->rbio || !c->wbio) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        c->rbio = c->wbio = NULL;
        return -ENOMEM;
    }
    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    conn_limit_tls(c);
    SSL_set_accept_state(c->ssl);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    return 0;
}

static void on_connection(uv_stream_t *ls, int status)
{
    struct listener *l = ls->data;
    struct fleet_server *s = l->s;
    if (status < 0 || s->stopping)
        return;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->s = s;
    uv_tcp_init(&s->loop, &c->tcp);
    uv_timer_init(&s->loop, &c->flight);
    c->tcp.data = c->flight.data = c;
    c->state = CONN_TLS;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c, false);
        return;
    }
    s->accepted++;
    if (!local_member(c)) {
        conn_close(c, true);
        return;
    }
    /* TCP_NODELAY comes from the listener (Linux copies it to accepted
     * sockets): no setsockopt per connection. */
    switch (c->m->fault) {
    case FLEET_F_REFUSED: /* only reachable through a wildcard */
        conn_close(c, true);
        return;
    case FLEET_F_RESET:
        /* RST only after the ClientHello: the client's connect has surely
         * completed, so it sees a reset of an established connection
         * (`closed`), never a failed connect. */
        c->state = CONN_RESET;
        break;
    case FLEET_F_SILENT_TLS:
        c->state = CONN_SILENT;
        break;
    case FLEET_F_TLS_GARBAGE:
        c->state = CONN_GARBAGE;
        break;
    case FLEET_F_SILENT_RESPONSE:
        c->silent_after_tls = true;
        /* fall through */
    case FLEET_F_NONE:
    case FLEET_F__COUNT:
        if (conn_setup_tls(c) < 0) {
            conn_close(c, true);
            return;
        }
        break;
    }
    uv_timer_start(&c->flight, flight_due, CONN_IDLE_MS, 0);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

/* ---- listeners ---- */

static void raise_fd_limit(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
        rl.rlim_cur < need + 1024) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static bool port_all_listen(const struct fleet_plan *p, size_t pi)
{
    for (uint32_t i = 0; i < p->n_members; i++)
        if (!fleet_member_listens(p, &p->members[i], pi))
            return false;
    return true;
}

static int listen_on(struct fleet_server *s, uint32_t addr, uint16_t port,
                     struct kc_error *err)
{
    struct listener *l = &s->listeners[s->n_listeners];
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(addr)};
    l->s = s;
    uv_tcp_init(&s->loop, &l->tcp);
    l->tcp.data = l;
    s->n_listeners++;
    s->n_open++;
    int rc = 0;
    if (s->reuseport) {
        /* libuv 1.44 has no flag for it: our own socket, then uv_tcp_open. */
        int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            rc = -errno;
        else if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
                            sizeof(one)) != 0)
            rc = -errno;
        else
            rc = uv_tcp_open(&l->tcp, fd);
        if (rc < 0 && fd >= 0)
            close(fd);
    }
    if (rc == 0)
        rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_tcp_nodelay(&l->tcp, 1); /* inherited by accepted sockets */
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, 4096, on_connection);
    if (rc < 0) {
        char ip[32];
        struct kc_addr a;
        kc_addr_set_v4(&a, addr);
        kc_addr_format(&a, ip, sizeof(ip));
        return kc_error_set(err, rc, "listen %s:%u: %s", ip, port,
                            uv_strerror(rc));
    }
    return 0;
}

static int listeners_open(struct fleet_server *s, bool wildcard,
                          struct kc_error *err)
{
    const struct fleet_plan *p = s->plan;
    size_t need = 0;
    bool wild[FLEET_MAX_PORTS];
    for (size_t pi = 0; pi < p->n_ports; pi++) {
        wild[pi] = wildcard && port_all_listen(p, pi);
        for (uint32_t i = 0; !wild[pi] && i < p->n_members; i++)
            need += fleet_member_listens(p, &p->members[i], pi);
        need += wild[pi];
    }
    raise_fd_limit(need * s->n_threads);
    s->listeners = calloc(need ? need : 1, sizeof(*s->listeners));
    if (!s->listeners)
        return kc_error_set(err, -ENOMEM, "out of memory");
    for (size_t pi = 0; pi < p->n_ports; pi++) {
        if (wild[pi]) {
            s->n_wildcard_ports++;
            int rc = listen_on(s, 0, p->ports[pi], err);
            if (rc < 0)
                return rc;
            continue;
        }
        for (uint32_t i = 0; i < p->n_members; i++) {
            if (!fleet_member_listens(p, &p->members[i], pi))
                continue;
            int rc = listen_on(s, p->members[i].addr, p->ports[pi], err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* ---- lifecycle ---- */

static void server_handle_closed(uv_handle_t *h)
{
    struct fleet_server *s = h->loop->data;
    (void)h;
    s->n_open--;
}

static void server_stop(struct fleet_server *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    for (size_t i = 0; i < s->n_listeners; i++)
        uv_close((uv_handle_t *)&s->listeners[i].tcp, server_handle_closed);
    if (s->primary) {
        uv_close((uv_handle_t *)&s->sigint, server_handle_closed);
        uv_close((uv_handle_t *)&s->sigterm, server_handle_closed);
        uv_close((uv_handle_t *)&s->duration, server_handle_closed);
        /* Running loops stop on their own threads; the others are
         * stopped by fleet_server_free. */
        for (unsigned i = 0; i < s->n_shards; i++)
            if (s->shards[i]->thread_started)
                uv_async_send(&s->shards[i]->wake);
    }
    uv_close((uv_handle_t *)&s->wake, server_handle_closed);
    while (s->conns)
        conn_close(s->conns, false);
}

static void on_wake(uv_async_t *a)
{
    server_stop(a->loop->data);
}

static void on_signal(uv_signal_t *h, int sig)
{
    (void)sig;
    server_stop(h->loop->data);
}

static void on_duration(uv_timer_t *t)
{
    server_stop(t->loop->data);
}

/* One event loop with its buffers; the primary also gets the signal and
 * duration handles. NULL with err set. */
static struct fleet_server *loop_new(struct fleet_plan *plan, bool primary,
                                     unsigned n_threads, struct kc_error *err)
{
    struct fleet_server *s = calloc(1, sizeof(*s));
    if (!s) {
        kc_error_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    int rc = uv_loop_init(&s->loop);
    if (rc < 0) {
        free(s);
        kc_error_set(err, rc, "uv_loop_init: %s", uv_strerror(rc));
        return NULL;
    }
    s->loop.data = s;
    s->plan = plan;
    s->primary = primary;
    s->n_threads = n_threads;
    s->reuseport = n_threads > 1;
    kc_buf_init(&s->out, 256 * 1024);
    http_parser_settings_init(&s->settings);
    s->settings.on_message_begin = on_message_begin;
    s->settings.on_url = on_url;
    s->settings.on_header_field = on_header_field;
    s->settings.on_header_value = on_header_value;
    s->settings.on_message_complete = on_message_complete;
    uv_async_init(&s->loop, &s->wake, on_wake);
    s->n_open = 1;
    if (primary) {
        uv_signal_init(&s->loop, &s->sigint);
        uv_signal_init(&s->loop, &s->sigterm);
        uv_timer_init(&s->loop, &s->duration);
        s->n_open += 3;
    }
    return s;
}

int fleet_server_new(struct fleet_server **out, struct fleet_plan *plan,
                     const struct fleet_server_config *cfg,
                     struct kc_error *err)
{
    unsigned n = cfg->threads ? cfg->threads : 1;
    struct fleet_server *s = loop_new(plan, true, n, err);
    *out = s;
    if (!s)
        return err ? err->code : -ENOMEM;
    s->duration_ms = cfg->duration_ms;
    s->certs = fleet_certs_new(plan, err);
    if (!s->certs)
        return err ? err->code : -EIO;
    /* Several loops: leaves are issued now, so that no two threads race
     * to fill a member's lazy cache. */
    unsigned prewarm = cfg->prewarm_threads ? cfg->prewarm_threads
                       : n > 1              ? n
                                            : 0;
    if (prewarm && fleet_certs_prewarm(s->certs, plan, prewarm) < 0)
        return kc_error_set(err, -EIO, "issuing leaf certificates failed");
    int rc = listeners_open(s, cfg->wildcard, err);
    if (rc < 0)
        return rc;
    if (n > 1 && !(s->shards = calloc(n - 1, sizeof(*s->shards))))
        return kc_error_set(err, -ENOMEM, "out of memory");
    for (unsigned i = 1; i < n; i++) {
        struct fleet_server *sh = loop_new(plan, false, n, err);
        if (!sh)
            return err ? err->code : -ENOMEM;
        sh->certs = s->certs; /* borrowed: the primary frees them */
        s->shards[s->n_shards++] = sh;
        rc = listeners_open(sh, cfg->wildcard, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void *shard_thread(void *arg)
{
    struct fleet_server *sh = arg;
    uv_run(&sh->loop, UV_RUN_DEFAULT);
    return NULL;
}

int fleet_server_run(struct fleet_server *s)
{
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    if (s->duration_ms)
        uv_timer_start(&s->duration, on_duration, s->duration_ms, 0);
    int rc = 0;
    for (unsigned i = 0; i < s->n_shards; i++) {
        struct fleet_server *sh = s->shards[i];
        if (pthread_create(&sh->tid, NULL, shard_thread, sh) != 0) {
            rc = -EAGAIN; /* serve with the loops that did start */
            server_stop(sh);
            continue;
        }
        sh->thread_started = true;
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    for (unsigned i = 0; i < s->n_shards; i++)
        if (s->shards[i]->thread_started) {
            pthread_join(s->shards[i]->tid, NULL);
            s->shards[i]->thread_started = false;
        }
    return rc;
}

static void pools_free(struct fleet_server *s)
{
    for (size_t i = 0; i < FLEET_CERT__COUNT; i++)
        for (size_t j = 0; j < FLEET_KEY__COUNT; j++)
            for (size_t k = 0; k < 2; k++) {
                struct ssl_pool *p = &s->pools[i][j][k];
                while (p->n > 0)
                    SSL_free(p->free[--p->n]);
            }
}

/* Closes one loop (its thread, if any, has ended). */
static int loop_free(struct fleet_server *s)
{
    server_stop(s);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* let every close callback run */
    int rc = uv_loop_close(&s->loop);
    pools_free(s);
    kc_buf_free(&s->out);
    free(s->listeners);
    free(s);
    return rc;
}

int fleet_server_free(struct fleet_server *s)
{
    if (!s)
        return 0;
    int rc = 0;
    server_stop(s);
    for (unsigned i = 0; i < s->n_shards; i++) {
        if (s->shards[i]->thread_started)
            pthread_join(s->shards[i]->tid, NULL);
        int r = loop_free(s->shards[i]);
        rc = rc ? rc : r;
    }
    free(s->shards);
    struct fleet_certs *certs = s->certs;
    int r = loop_free(s);
    fleet_certs_free(certs);
    return rc ? rc : r;
}

size_t fleet_server_listeners(const struct fleet_server *s)
{
    return s->n_listeners;
}

unsigned fleet_server_threads(const struct fleet_server *s)
{
    return 1 + s->n_shards;
}

uint64_t fleet_server_accepted_by(const struct fleet_server *s, unsigned i)
{
    return i == 0 ? s->accepted
           : i <= s->n_shards ? s->shards[i - 1]->accepted
                              : 0;
}

uint64_t fleet_server_accepted(const struct fleet_server *s)
{
    uint64_t n = s->accepted;
    for (unsigned i = 0; i < s->n_shards; i++)
        n += s->shards[i]->accepted;
    return n;
}

size_t fleet_server_wildcard_ports(const struct fleet_server *s)
{
    return s->n_wildcard_ports;
}
