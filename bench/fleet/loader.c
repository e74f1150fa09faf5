/*
 * loader.c - a small load generator for kcensus-fleet's connection rate.
 *
 *   fleet-loader --base 127.16.0.0 --count 50000 --port 6443
 *                [--inflight 64 | --threads N] [--seconds 10] [--probes 6]
 *
 * Each connection: new TCP connection to the next member, full TLS
 * handshake (no session resumption, no verification), the default probe
 * sequence (/version, /healthz, /livez, /readyz, cluster-info, /api) on
 * the one connection, close_notify, close. Loopback addresses only.
 * Default: one thread, --inflight connections at a time on non-blocking
 * sockets driven by epoll (cheap per connection, so one core can push a
 * fleet harder); --threads N: N blocking threads (the first version).
 * Prints one line: connections, seconds, connections/s, failures, CPU.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *const probe_paths[] = {
    "/version", "/healthz", "/livez", "/readyz",
    "/api/v1/namespaces/kube-public/configmaps/cluster-info", "/api",
};

struct shared {
    uint32_t base;
    uint32_t count;
    uint16_t port;
    int probes;
    double seconds;
    SSL_CTX *ctx;
    atomic_uint_fast64_t next;
    atomic_uint_fast64_t done;
    atomic_uint_fast64_t failed;
    atomic_int stop;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads one HTTP response (headers + Content-Length body). 0 or -1. */
static int read_response(SSL *ssl)
{
    char buf[16384];
    size_t have = 0;
    long clen = -1;
    char *body = NULL;
    for (;;) {
        if (have == sizeof(buf))
            return -1;
        int n = SSL_read(ssl, buf + have, (int)(sizeof(buf) - have));
        if (n <= 0)
            return -1;
        have += (size_t)n;
        if (!body) {
            char *end = memmem(buf, have, "\r\n\r\n", 4);
            if (!end)
                continue;
            body = end + 4;
            char *cl = memmem(buf, (size_t)(end - buf), "Content-Length: ", 16);
            if (!cl)
                return -1;
            clen = strtol(cl + 16, NULL, 10);
        }
        if ((long)(have - (size_t)(body - buf)) >= clen)
            return 0;
    }
}

static int one_connection(struct shared *sh, uint32_t addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(sh->port),
                             .sin_addr.s_addr = htonl(addr)};
    int one = 1, rc = -1;
    SSL *ssl = NULL;
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto out;
    ssl = SSL_new(sh->ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
        goto out;
    for (int i = 0; i < sh->probes; i++) {
        char req[256];
        int n = snprintf(req, sizeof(req),
                         "GET %s HTTP/1.1\r\nHost: %s\r\n"
                         "User-Agent: fleet-loader\r\nAccept: */*\r\n\r\n",
                         probe_paths[i % 6], inet_ntoa(sa.sin_addr));
        if (SSL_write(ssl, req, n) != n || read_response(ssl) < 0)
            goto out;
    }
    rc = 0;
out:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    ERR_clear_error();
    close(fd);
    return rc;
}

static void *worker(void *arg)
{
    struct shared *sh = arg;
    while (!atomic_load(&sh->stop)) {
        uint64_t i = atomic_fetch_add(&sh->next, 1);
        uint32_t addr = sh->base + (uint32_t)(i % sh->count);
        if (one_connection(sh, addr) == 0)
            atomic_fetch_add(&sh->done, 1);
        else
            atomic_fetch_add(&sh->failed, 1);
    }
    return NULL;
}

/* ---- event mode: one thread, non-blocking sockets, epoll ---- */

enum ec_state { EC_CONNECTING, EC_HANDSHAKE, EC_REQUEST, EC_RESPONSE };

struct econn {
    int fd;
    SSL *ssl;
    enum ec_state state;
    int probe;
    struct sockaddr_in sa;
    char buf[16384];
    size_t have;
    long clen;
    size_t body_at; /* 0 until the header end is seen */
};

static uint32_t next_addr(struct shared *sh)
{
    uint64_t i = atomic_fetch_add(&sh->next, 1);
    return sh->base + (uint32_t)(i % sh->count);
}

/* Closes the socket; the SSL stays for the slot's next connection
 * (SSL_clear is cheaper than SSL_free + SSL_new), unless final. */
static void ec_close(struct econn *c, bool final)
{
    if (c->ssl && (final || SSL_clear(c->ssl) != 1)) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    ERR_clear_error();
}

/* Opens the next connection in slot c; 0 or -1 (counted as a failure). */
static int ec_start(struct shared *sh, int ep, struct econn *c)
{
    int one = 1;
    c->sa = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_port = htons(sh->port),
                                 .sin_addr.s_addr = htonl(next_addr(sh))};
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!c->ssl)
        c->ssl = SSL_new(sh->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        ec_close(c, true);
        return -1;
    }
    SSL_set_connect_state(c->ssl);
    c->state = EC_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&c->sa, sizeof(c->sa)) != 0 &&
        errno != EINPROGRESS) {
        ec_close(c, true);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                             .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        ec_close(c, true);
        return -1;
    }
    return 0;
}

/* 1: a complete response is in c->buf; 0: need more; -1: malformed. */
static int ec_response_done(struct econn *c)
{
    if (!c->body_at) {
        char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
        if (!end)
            return c->have == sizeof(c->buf) ? -1 : 0;
        c->body_at = (size_t)(end + 4 - c->buf);
        char *cl = memmem(c->buf, c->body_at, "Content-Length: ", 16);
        if (!cl)
            return -1;
        c->clen = strtol(cl + 16, NULL, 10);
    }
    if ((long)(c->have - c->body_at) >= c->clen)
        return 1;
    return c->have == sizeof(c->buf) ? -1 : 0;
}

/* Moves one connection on as far as its socket allows. 1: finished (ok),
 * 0: waiting for the socket, -1: failed. */
static int ec_drive(struct shared *sh, struct econn *c)
{
    for (;;) {
        int rc;
        switch (c->state) {
        case EC_CONNECTING: {
            int err = 0;
            socklen_t len = sizeof(err);
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
                err == EINPROGRESS)
                return 0;
            if (err != 0)
                return -1;
            c->state = EC_HANDSHAKE;
            break;
        }
        case EC_HANDSHAKE:
            rc = SSL_connect(c->ssl);
            if (rc == 1) {
                c->probe = 0;
                c->state = sh->probes > 0 ? EC_REQUEST : EC_RESPONSE;
                if (sh->probes == 0)
                    goto finished;
                break;
            }
            goto want;
        case EC_REQUEST: {
            char req[256];
            int n = snprintf(req, sizeof(req),
                             "GET %s HTTP/1.1\r\nHost: %s\r\n"
                             "User-Agent: fleet-loader\r\nAccept: */*\r\n\r\n",
                             probe_paths[c->probe % 6],
                             inet_ntoa(c->sa.sin_addr));
            /* SSL_write is all or nothing here (no partial writes
             * enabled): retrying with the same bytes is what it wants. */
            rc = SSL_write(c->ssl, req, n);
            if (rc == n) {
                c->state = EC_RESPONSE;
                c->have = 0;
                c->body_at = 0;
                c->clen = -1;
                break;
            }
            goto want;
        }
        case EC_RESPONSE:
            rc = SSL_read(c->ssl, c->buf + c->have,
                          (int)(sizeof(c->buf) - c->have));
            if (rc > 0) {
                c->have += (size_t)rc;
                int done = ec_response_done(c);
                if (done < 0)
                    return -1;
                if (done == 1 && ++c->probe >= sh->probes)
                    goto finished;
                if (done == 1)
                    c->state = EC_REQUEST;
                break;
            }
            goto want;
        }
        continue;
    want:
        switch (SSL_get_error(c->ssl, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return 0;
        default:
            return -1;
        }
    finished:
        SSL_shutdown(c->ssl); /* close_notify, as the threaded mode */
        return 1;
    }
}

static void run_event(struct shared *sh, int inflight)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct econn *conns = calloc((size_t)inflight, sizeof(*conns));
    struct epoll_event evs[256];
    if (ep < 0 || !conns) {
        fprintf(stderr, "fleet-loader: no memory or epoll\n");
        exit(1);
    }
    for (int i = 0; i < inflight; i++) {
        conns[i].fd = -1;
        if (ec_start(sh, ep, &conns[i]) < 0)
            atomic_fetch_add(&sh->failed, 1);
    }
    double t0 = now_s();
    while (now_s() - t0 < sh->seconds) {
        int n = epoll_wait(ep, evs, 256, 10);
        for (int i = 0; i < n; i++) {
            struct econn *c = evs[i].data.ptr;
            if (c->fd < 0)
                continue;
            int rc = ec_drive(sh, c);
            if (rc == 0)
                continue;
            atomic_fetch_add(rc > 0 ? &sh->done : &sh->failed, 1);
            ec_close(c, rc < 0); /* close() also drops it from epoll */
            if (ec_start(sh, ep, c) < 0)
                atomic_fetch_add(&sh->failed, 1);
        }
    }
    for (int i = 0; i < inflight; i++)
        ec_close(&conns[i], true); /* unfinished: counted neither way */
    free(conns);
    close(ep);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"base", required_argument, NULL, 'b'},
        {"count", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 's'},
        {"probes", required_argument, NULL, 'n'},
        {"inflight", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    struct shared sh = {.count = 1000, .port = 6443, .probes = 6,
                        .seconds = 10};
    struct in_addr base;
    int threads = 0, inflight = 64, ch;
    inet_pton(AF_INET, "127.16.0.0", &base);
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'b':
            if (inet_pton(AF_INET, optarg, &base) != 1) {
                fprintf(stderr, "bad --base\n");
                return 2;
            }
            break;
        case 'c': sh.count = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'p': sh.port = (uint16_t)strtoul(optarg, NULL, 10); break;
        case 't': threads = (int)strtol(optarg, NULL, 10); break;
        case 's': sh.seconds = strtod(optarg, NULL); break;
        case 'n': sh.probes = (int)strtol(optarg, NULL, 10); break;
        case 'i': inflight = (int)strtol(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    sh.base = ntohl(base.s_addr);
    /* Loopback only, bounded in time and threads. */
    if ((sh.base >> 24) != 127 || ((sh.base + sh.count - 1) >> 24) != 127 ||
        sh.count == 0 || threads < 0 || threads > 256 || sh.seconds <= 0 ||
        sh.seconds > 600 || sh.probes < 0 || sh.probes > 6 || inflight < 1 ||
        inflight > 4096) {
        fprintf(stderr, "fleet-loader: arguments out of range (loopback only, "
                        "1-256 threads, 1-4096 in flight, <= 600 s, "
                        "0-6 probes)\n");
        return 2;
    }
    sh.ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(sh.ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(sh.ctx, SSL_SESS_CACHE_OFF);
    /* Whole records per read() (not header, then body): fewer syscalls. */
    SSL_CTX_set_read_ahead(sh.ctx, 1);
    SSL_CTX_set_mode(sh.ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    pthread_t *tids = calloc(threads ? (size_t)threads : 1, sizeof(*tids));
    double t0 = now_s();
    if (threads == 0) {
        run_event(&sh, inflight);
    } else {
        for (int i = 0; i < threads; i++)
            pthread_create(&tids[i], NULL, worker, &sh);
        while (now_s() - t0 < sh.seconds)
            usleep(20000);
        atomic_store(&sh.stop, 1);
        for (int i = 0; i < threads; i++)
            pthread_join(tids[i], NULL);
    }
    double dt = now_s() - t0;
    unsigned long long done = atomic_load(&sh.done);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("connections=%llu seconds=%.2f rate=%.0f/s failed=%llu probes=%d "
           "loader_cpu_s=%.2f\n",
           done, dt, done / dt, (unsigned long long)atomic_load(&sh.failed),
           sh.probes, cpu);
    free(tids);
    SSL_CTX_free(sh.ctx);
    return 0;
}
