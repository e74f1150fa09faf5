/* test_server.c - see test_server.h. Blocking OpenSSL on purpose: it is a
 * different implementation from the engine under test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "test_server.h"

struct test_server {
    enum ts_behaviour b;
    int fd;
    pthread_t thread;
    SSL_CTX *ctx;
    atomic_bool stop;
    atomic_uint accepted;
    atomic_uint live; /* sessions still running */
    atomic_uint max_live;
};

struct session {
    struct test_server *s;
    int fd;
};

static X509 *make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)"kube-apiserver", -1, -1,
                               0);
    X509_set_issuer_name(x, n);
    X509_sign(x, key, EVP_sha256());
    return x;
}

static SSL_CTX *make_ctx(enum ts_behaviour b)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    EVP_PKEY *key = b == TS_TLS10 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    X509 *cert = make_cert(key);
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    if (b == TS_TLS10) {
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION);
    }
    if (b == TS_RENEG || b == TS_RENEG_FOREVER)
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    if (b == TS_KEYUPDATE)
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    if (b == TS_CLIENT_CERT) {
        /* The client learns of the refusal only after its Finished, when
         * it reads for the first response. */
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_verify(ctx,
                           SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           NULL);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
}

/* Reads one request head; returns the path or NULL at EOF. */
static const char *read_request(SSL *ssl, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        int n = SSL_read(ssl, buf + len, 1);
        if (n <= 0)
            return NULL;
        len += (size_t)n;
        buf[len] = 0;
        if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    char *sp = strchr(buf, ' ');
    if (sp == NULL)
        return NULL;
    char *end = strchr(sp + 1, ' ');
    if (end != NULL)
        *end = 0;
    return sp + 1;
}

static void send_str(SSL *ssl, const char *s)
{
    SSL_write(ssl, s, (int)strlen(s));
}

static void k8s_answer_as(SSL *ssl, const char *path, const char *version,
                         const char *extra)
{
    char resp[1024];
    const char *body;
    int status;
    if (strcmp(path, "/version") == 0) {
        status = 200;
        body = "{\"major\":\"1\",\"minor\":\"29\",\"gitVersion\":\"v1.29.1\"}";
    } else {
        status = 401;
        body = "{\"kind\":\"Status\",\"code\":401}";
    }
    snprintf(resp, sizeof(resp),
             "%s %d X\r\nAudit-Id: 1\r\nContent-Type: application/json"
             "\r\n%sContent-Length: %zu\r\n\r\n%s",
             version, status, extra, strlen(body), body);
    send_str(ssl, resp);
}

static void k8s_answer(SSL *ssl, const char *path)
{
    k8s_answer_as(ssl, path, "HTTP/1.1", "");
}

/* Asks the client to renegotiate and waits (bounded, 5 s) until it has:
 * the answer must not leave before. True when done. */
static bool renegotiate(SSL *ssl, int fd)
{
    struct timeval brief = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof(brief));
    if (SSL_renegotiate(ssl) != 1 || SSL_do_handshake(ssl) != 1)
        return false;
    bool ok = true;
    for (int i = 0; ok && i < 50 && SSL_renegotiate_pending(ssl); i++) {
        char b;
        int r = SSL_peek(ssl, &b, 1);
        ok = r > 0 || SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ;
    }
    struct timeval normal = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &normal, sizeof(normal));
    return ok && !SSL_renegotiate_pending(ssl);
}

static void serve_http(struct test_server *s, SSL *ssl)
{
    char req[4096];
    const char *path;
    int n = 0;
    while ((path = read_request(ssl, req, sizeof(req))) != NULL) {
        n++;
        switch (s->b) {
        case TS_K8S:
        case TS_TLS10:
            k8s_answer(ssl, path);
            break;
        case TS_TLS_SILENT:
            while (!atomic_load(&s->stop))
                usleep(10000);
            return;
        case TS_HUGE_HEADER: {
            send_str(ssl, "HTTP/1.1 200 OK\r\n");
            char line[1024];
            memset(line, 'a', sizeof(line));
            memcpy(line, "X-Pad: ", 7);
            memcpy(line + sizeof(line) - 2, "\r\n", 2);
            for (int i = 0; i < 80; i++)
                SSL_write(ssl, line, sizeof(line));
            return;
        }
        case TS_MALFORMED:
            send_str(ssl, "HTXP/9 what\r\n\r\n");
            return;
        case TS_CHUNKED_CLOSE:
            if (n == 1) {
                send_str(ssl, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                              "\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
            } else {
                send_str(ssl, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok");
                return;
            }
            break;
        case TS_CONTINUE:
            send_str(ssl, "HTTP/1.1 100 Continue\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
            break;
        case TS_STATUS_0:
            send_str(ssl, "HTTP/1.1 0 OK\r\nContent-Length: 2\r\n\r\n{}");
            break;
        case TS_CLOSE_EACH:
            k8s_answer_as(ssl, path, "HTTP/1.1", "Connection: close\r\n");
            return;
        case TS_HTTP10:
            k8s_answer_as(ssl, path, "HTTP/1.0", "");
            return;
        case TS_IDLE_CLOSE:
            k8s_answer(ssl, path);
            if (n == 2)
                return;
            break;
        case TS_RENEG:
            if (n == 1 && !renegotiate(ssl, SSL_get_fd(ssl)))
                return;
            k8s_answer(ssl, path);
            break;
        case TS_RENEG_FOREVER:
            for (int i = 0; i < 20; i++)
                if (!renegotiate(ssl, SSL_get_fd(ssl)))
                    return;
            return;
        case TS_KEYUPDATE:
            SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED);
            k8s_answer(ssl, path);
            break;
        case TS_GARBAGE:
        case TS_SILENT:
        case TS_CLOSE_AFTER_TLS:
        case TS_EOF_HELLO:
        case TS_RST_HELLO:
        case TS_CLIENT_CERT:
            return;
        }
    }
}

static void *session_main(void *arg)
{
    struct session *ss = arg;
    struct test_server *s = ss->s;
    struct timeval tv = {5, 0};
    setsockopt(ss->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (s->b == TS_GARBAGE) {
        const char *g = "this is not TLS\r\n\r\nat all, not at all\r\n";
        write(ss->fd, g, strlen(g));
        usleep(300000);
    } else if (s->b == TS_EOF_HELLO || s->b == TS_RST_HELLO) {
        char hello[512];
        (void)!read(ss->fd, hello, sizeof(hello));
        if (s->b == TS_RST_HELLO) {
            struct linger lg = {1, 0}; /* close() sends RST */
            setsockopt(ss->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
    } else if (s->b == TS_SILENT) {
        while (!atomic_load(&s->stop))
            usleep(10000);
    } else {
        SSL *ssl = SSL_new(s->ctx);
        SSL_set_fd(ssl, ss->fd);
        if (SSL_accept(ssl) == 1 && s->b != TS_CLOSE_AFTER_TLS) {
            serve_http(s, ssl);
        } else if (s->b == TS_CLIENT_CERT) {
            /* The alert is sent; read the client's request so that close()
             * sends FIN, not RST (an RST may make the client see "closed"
             * before it reads the alert). */
            char drain[4096];
            struct timeval brief = {0, 300000};
            setsockopt(ss->fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof(brief));
            while (read(ss->fd, drain, sizeof(drain)) > 0)
                ;
        }
        if (s->b != TS_CLOSE_AFTER_TLS)
            SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    close(ss->fd);
    free(ss);
    atomic_fetch_sub(&s->live, 1);
    return NULL;
}

static void *accept_main(void *arg)
{
    struct test_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->accepted, 1);
        unsigned now = atomic_fetch_add(&s->live, 1) + 1;
        unsigned seen = atomic_load(&s->max_live);
        while (now > seen &&
               !atomic_compare_exchange_weak(&s->max_live, &seen, now))
            ;
        struct session *ss = malloc(sizeof(*ss));
        ss->s = s;
        ss->fd = fd;
        pthread_t t;
        pthread_create(&t, NULL, session_main, ss);
        pthread_detach(t);
    }
    return NULL;
}

struct test_server *test_server_start(enum ts_behaviour b, uint16_t *port)
{
    return test_server_start_at(b, "127.0.0.1", port);
}

struct test_server *test_server_start_at(enum ts_behaviour b, const char *ip,
                                         uint16_t *port)
{
    struct test_server *s = calloc(1, sizeof(*s));
    s->b = b;
    s->ctx = make_ctx(b);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sin = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sin.sin_addr);
    socklen_t len = sizeof(sin);
    if (bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(s->fd, 1024) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&sin, &len) != 0) {
        close(s->fd);
        SSL_CTX_free(s->ctx);
        free(s);
        return NULL;
    }
    *port = ntohs(sin.sin_port);
    pthread_create(&s->thread, NULL, accept_main, s);
    return s;
}

unsigned test_server_max_live(struct test_server *s)
{
    return atomic_load(&s->max_live);
}

unsigned test_server_accepted(struct test_server *s)
{
    return atomic_load(&s->accepted);
}

void test_server_stop(struct test_server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->fd);
    /* Sessions reference s: wait (bounded) until they are gone. */
    for (int i = 0; i < 700 && atomic_load(&s->live) > 0; i++)
        usleep(10000);
    SSL_CTX_free(s->ctx);
    free(s);
}
