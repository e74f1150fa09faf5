/*
 * loader.c - a small load generator for kcensus-fleet's connection rate.
 *
 *   fleet-loader --base 127.16.0.0 --count 50000 --port 6443
 *                [--threads 32] [--seconds 10] [--probes 6]
 *
 * Each thread loops: new TCP connection to the next member, full TLS
 * handshake (no session resumption, no verification), the default probe
 * sequence (/version, /healthz, /livez, /readyz, cluster-info, /api) on
 * the one connection, close. Loopback addresses only. Prints one line:
 * connections, seconds, connections/s, failures.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"base", required_argument, NULL, 'b'},
        {"count", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 's'},
        {"probes", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    struct shared sh = {.count = 1000, .port = 6443, .probes = 6,
                        .seconds = 10};
    struct in_addr base;
    int threads = 32, ch;
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
        default: return 2;
        }
    }
    sh.base = ntohl(base.s_addr);
    /* Loopback only, bounded in time and threads. */
    if ((sh.base >> 24) != 127 || ((sh.base + sh.count - 1) >> 24) != 127 ||
        sh.count == 0 || threads < 1 || threads > 256 || sh.seconds <= 0 ||
        sh.seconds > 600 || sh.probes < 0 || sh.probes > 6) {
        fprintf(stderr, "fleet-loader: arguments out of range (loopback only, "
                        "1-256 threads, <= 600 s, 0-6 probes)\n");
        return 2;
    }
    sh.ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(sh.ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(sh.ctx, SSL_SESS_CACHE_OFF);
    pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&tids[i], NULL, worker, &sh);
    while (now_s() - t0 < sh.seconds)
        usleep(20000);
    atomic_store(&sh.stop, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    double dt = now_s() - t0;
    unsigned long long done = atomic_load(&sh.done);
    printf("connections=%llu seconds=%.2f rate=%.0f/s failed=%llu probes=%d\n",
           done, dt, done / dt, (unsigned long long)atomic_load(&sh.failed),
           sh.probes);
    free(tids);
    SSL_CTX_free(sh.ctx);
    return 0;
}
