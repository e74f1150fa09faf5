/*
 * inmem.c - the fleet's TLS + answer cost per connection without sockets:
 * a server SSL made exactly as the fleet makes it (fleet_certs_new_ssl)
 * and a client SSL are wired back to back through memory BIOs; each
 * connection is a full handshake plus the six default probes answered by
 * fleet_respond(). Only the time spent in server-side calls is summed
 * (CLOCK_THREAD_CPUTIME_ID), so the figure is the fleet's user-space cost
 * per connection, free of the loader and of the kernel's loopback TCP.
 *
 *   fleet-inmem SPEC [CONNECTIONS] [ROUNDS]
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Moves pending bytes from one side's write BIO to the other's read BIO. */
static void pump(SSL *from, SSL *to)
{
    char buf[16384];
    int n;
    while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof(buf))) > 0)
        BIO_write(SSL_get_rbio(to), buf, n);
}

static SSL *reuse_ssl; /* experiment: FLEET_INMEM_REUSE=1 */
static int reuse_mode;

static int one(struct fleet_certs *certs, struct fleet_plan *plan,
               struct fleet_member *m, SSL_CTX *cctx, double *server_s)
{
    static const char *const paths[] = {
        "/version", "/healthz", "/livez", "/readyz",
        "/api/v1/namespaces/kube-public/configmaps/cluster-info", "/api"};
    double t0 = thread_cpu();
    SSL *s;
    if (reuse_mode && reuse_ssl) {
        s = reuse_ssl;
        reuse_ssl = NULL;
        SSL_clear(s);
        BIO_reset(SSL_get_rbio(s));
        BIO_reset(SSL_get_wbio(s));
    } else {
        s = fleet_certs_new_ssl(certs, m);
        if (!s)
            return -1;
        SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    }
    SSL_set_accept_state(s);
    if (getenv("FLEET_INMEM_NOCHAIN"))
        SSL_CTX_set_mode(SSL_get_SSL_CTX(s), SSL_MODE_NO_AUTO_CHAIN);
    *server_s += thread_cpu() - t0;
    SSL *c = SSL_new(cctx);
    SSL_set_bio(c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(c);
    int rc = -1;
    for (int i = 0; i < 10 && !(SSL_is_init_finished(c) &&
                                 SSL_is_init_finished(s)); i++) {
        SSL_do_handshake(c);
        pump(c, s);
        t0 = thread_cpu();
        SSL_do_handshake(s);
        *server_s += thread_cpu() - t0;
        pump(s, c);
    }
    if (!SSL_is_init_finished(c) || !SSL_is_init_finished(s))
        goto out;
    struct kc_buf out;
    kc_buf_init(&out, 1 << 20);
    for (size_t i = 0; i < 6; i++) {
        char req[256], rd[16384];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
                         paths[i]);
        SSL_write(c, req, n);
        pump(c, s);
        t0 = thread_cpu();
        SSL_read(s, rd, sizeof(rd)); /* the fleet parses with http_parser;
                                       * the request is known here */
        kc_buf_reset(&out);
        fleet_respond(plan, m, "GET", paths[i], FLEET_CRED_NONE, i, 1700000000,
                      fleet_certs_ca_b64(certs, m), &out);
        SSL_write(s, out.data, (int)out.len);
        *server_s += thread_cpu() - t0;
        pump(s, c);
        while (SSL_read(c, rd, sizeof(rd)) > 0)
            ;
    }
    kc_buf_free(&out);
    rc = 0;
out:
    t0 = thread_cpu();
    if (reuse_mode && !reuse_ssl)
        reuse_ssl = s;
    else
        SSL_free(s);
    *server_s += thread_cpu() - t0;
    SSL_free(c);
    ERR_clear_error();
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fleet-inmem SPEC [CONNECTIONS] [ROUNDS]\n");
        return 2;
    }
    reuse_mode = getenv("FLEET_INMEM_REUSE") != NULL;
    long conns = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
    if (conns < 1 || conns > 1000000 || rounds < 1 || rounds > 99)
        return 2;
    struct fleet_plan plan;
    struct kc_error err = {0};
    if (fleet_plan_load(&plan, argv[1], 0, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct fleet_certs *certs = fleet_certs_new(&plan, &err);
    if (!certs) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
    if (getenv("FLEET_INMEM_AES128"))
        SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256");
    double rates[99];
    for (int r = 0; r < rounds; r++) {
        double server_s = 0;
        long ok = 0;
        for (long i = 0; i < conns; i++) {
            struct fleet_member *m = &plan.members[i % plan.n_members];
            ok += one(certs, &plan, m, cctx, &server_s) == 0;
        }
        rates[r] = ok / server_s;
        printf("round %d: %ld connections, server CPU %.3f s, %.0f conns per "
               "server CPU-second (%.1f us each)\n", r + 1, ok, server_s,
               rates[r], server_s / ok * 1e6);
    }
    qsort(rates, (size_t)rounds, sizeof(rates[0]), cmp_double);
    printf("median: %.0f conns per server CPU-second\n", rates[rounds / 2]);
    SSL_CTX_free(cctx);
    fleet_certs_free(certs);
    fleet_plan_free(&plan);
    return 0;
}
