/* Tests scanner/tls.c with no sockets: our client engine wired back to
 * back with an in-process OpenSSL server over memory BIOs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scanner-private.h"
#include "tls_peer.h"

struct server {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
};

static void server_init(struct server *s, int max_version, bool rsa)
{
    s->ctx = SSL_CTX_new(TLS_server_method());
    EVP_PKEY *key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    X509 *cert = tls_peer_cert(
        key, NULL, "kube-apiserver",
        "DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1,IP:127.0.0.1",
        3600);
    assert_int_equal(SSL_CTX_use_certificate(s->ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, key), 1);
    SSL_CTX_set_security_level(s->ctx, 0);
    SSL_CTX_set_cipher_list(s->ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
    if (max_version)
        SSL_CTX_set_max_proto_version(s->ctx, max_version);
    X509_free(cert);
    EVP_PKEY_free(key);
    s->ssl = SSL_new(s->ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->in, -1);
    BIO_set_mem_eof_return(s->out, -1);
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_accept_state(s->ssl);
}

static void server_free(struct server *s)
{
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
}

static enum kc_tls_status pump(struct kc_tls *c, struct server *s)
{
    return tls_peer_pump(c, s->ssl, s->in, s->out);
}

struct tls_case {
    const char *name;
    int max_version;
    bool rsa;
    const char *version;
    const char *key_type;
    uint32_t bits;
};

static const struct tls_case cases[] = {
    {"tls1.3 ec", 0, false, "TLSv1.3", "ec", 256},
    {"tls1.2 rsa", TLS1_2_VERSION, true, "TLSv1.2", "rsa", 2048},
    {"tls1.0 rsa (legacy server)", TLS1_VERSION, true, "TLSv1", "rsa", 2048},
};

static void test_handshakes(void **state)
{
    SSL_CTX *ctx = kc_tls_ctx_new();
    assert_non_null(ctx);
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        const struct tls_case *tc = &cases[i];
        struct server s;
        struct kc_tls c;
        struct kc_result r;
        server_init(&s, tc->max_version, tc->rsa);
        assert_int_equal(kc_tls_init(&c, ctx, NULL, "example.test"), 0);
        enum kc_tls_status st = pump(&c, &s);
        if (st != KC_TLS_DONE)
            print_error("%s: %d %s\n", tc->name, st, c.err);
        assert_int_equal(st, KC_TLS_DONE);
        kc_result_init(&r);
        kc_tls_record(&c, &r);
        assert_string_equal(r.tls_version, tc->version);
        assert_true(r.cert.present);
        assert_string_equal(r.cert.subject_cn.data, "kube-apiserver");
        assert_string_equal(r.cert.issuer_cn.data, "kube-apiserver");
        assert_string_equal(r.cert.key_type, tc->key_type);
        assert_int_equal(r.cert.key_bits, tc->bits);
        assert_int_equal(r.cert.san_count, 4);
        assert_string_equal(r.cert.sans.data,
                            "DNS:kubernetes\nDNS:kubernetes.default\n"
                            "IP:10.96.0.1\nIP:127.0.0.1");
        assert_int_equal(strlen(r.cert.sha256), 64);
        assert_true(r.cert.not_after - r.cert.not_before == 3600);
        assert_true(r.cert.der.len > 100);
        assert_int_equal(r.cert.chain_len, 1);

        /* Application data both ways. */
        assert_int_equal(kc_tls_write(&c, "ping", 4), 0);
        char buf[16384];
        size_t n = kc_tls_drain(&c, buf, sizeof(buf));
        BIO_write(s.in, buf, (int)n);
        char got[8] = {0};
        assert_int_equal(SSL_read(s.ssl, got, sizeof(got)), 4);
        assert_string_equal(got, "ping");
        SSL_write(s.ssl, "pong", 4);
        int m = BIO_read(s.out, buf, sizeof(buf));
        assert_int_equal(kc_tls_feed(&c, buf, (size_t)m), 0);
        size_t plain = 0;
        char out[64];
        kc_tls_read(&c, out, sizeof(out), &plain);
        assert_int_equal(plain, 4);
        assert_memory_equal(out, "pong", 4);
        /* Drained queues hold no buffer (an idle target keeps none). */
        assert_null(c.in.data);
        assert_null(c.out.data);

        /* A full-size (16 KiB) record, fed in uneven pieces: the read side
         * takes maximum records whatever we send. */
        static char full[16384], back[16384 + 64];
        for (size_t j = 0; j < sizeof(full); j++)
            full[j] = (char)('a' + j % 26);
        assert_int_equal(SSL_write(s.ssl, full, sizeof(full)), 16384);
        static char wire[20000];
        int w = BIO_read(s.out, wire, sizeof(wire));
        assert_true(w > 16384);
        size_t total = 0;
        for (int off = 0; off < w; off += 1000) {
            size_t piece = (size_t)(w - off < 1000 ? w - off : 1000);
            assert_int_equal(kc_tls_feed(&c, wire + off, piece), 0);
            size_t part = 0;
            assert_int_equal(kc_tls_read(&c, back + total,
                                         sizeof(back) - total, &part),
                             KC_TLS_WANT_IO);
            total += part;
        }
        assert_int_equal(total, sizeof(full));
        assert_memory_equal(back, full, sizeof(full));
        assert_null(c.in.data);

        kc_result_clear(&r);
        kc_tls_free(&c);
        server_free(&s);
    }
    SSL_CTX_free(ctx);
}

static void test_garbage_and_ceiling(void **state)
{
    SSL_CTX *ctx = kc_tls_ctx_new();
    struct kc_tls c;
    char buf[4096];
    assert_int_equal(kc_tls_init(&c, ctx, NULL, NULL), 0);
    assert_int_equal(kc_tls_handshake(&c), KC_TLS_WANT_IO);
    assert_true(kc_tls_drain(&c, buf, sizeof(buf)) > 0);
    const char junk[] = "HTTP/1.0 400 Bad Request\r\n\r\nno TLS here\r\n";
    assert_int_equal(kc_tls_feed(&c, junk, sizeof(junk) - 1), 0);
    assert_int_equal(kc_tls_handshake(&c), KC_TLS_FAILED);
    assert_true(strlen(c.err) > 0);
    kc_tls_free(&c);

    /* More unprocessed ciphertext than the cap is refused. */
    assert_int_equal(kc_tls_init(&c, ctx, NULL, NULL), 0);
    static char big[KC_TLS_MAX_PENDING];
    assert_int_equal(kc_tls_feed(&c, big, sizeof(big) - 10), 0);
    assert_int_equal(kc_tls_feed(&c, big, 100), -ENOBUFS);
    kc_tls_free(&c);
    SSL_CTX_free(ctx);
}

/* The server's side of ALPN: http/1.1 when offered. */
static int select_http11(SSL *ssl, const unsigned char **out,
                         unsigned char *outlen, const unsigned char *in,
                         unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char want[] = "\x08http/1.1";
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, want, sizeof(want) - 1, in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* One handshake of c (from spares) against a new server; records it in r. */
static void reuse_round(SSL_CTX *ctx, struct kc_tls_spares *sp,
                        struct kc_tls *c, struct server *s, const char *sni,
                        struct kc_result *r)
{
    assert_int_equal(kc_tls_init(c, ctx, sp, sni), 0);
    /* Nothing of an earlier peer: no session, options as the context's
     * (kc_tls_read adds SSL_OP_NO_RENEGOTIATION), no verify verdict. */
    assert_null(SSL_get0_session(c->ssl));
    assert_true(SSL_get_options(c->ssl) == SSL_CTX_get_options(ctx));
    assert_int_equal(SSL_get_verify_result(c->ssl), X509_V_OK);
    assert_int_equal(pump(c, s), KC_TLS_DONE);
    assert_int_equal(SSL_session_reused(c->ssl), 0);
    assert_int_equal(SSL_num_renegotiations(c->ssl), 0);
    kc_result_init(r);
    kc_tls_record(c, r);
}

/* A cleared SSL serves the next peer with nothing of the last one: SNI,
 * ALPN, version, cipher and certificate facts are the second peer's own,
 * and a handshake cut short leaves no session behind. */
static void test_reused_ssl_carries_nothing(void **state)
{
    (void)state;
    SSL_CTX *ctx = kc_tls_ctx_new();
    struct kc_tls_spares sp;
    assert_int_equal(kc_tls_spares_init(&sp, 1), 0);
    struct kc_tls c;
    struct server a, b, cut, d;
    struct kc_result ra, rb, rd;

    server_init(&a, 0, false); /* TLS 1.3, P-256, ALPN */
    SSL_CTX_set_alpn_select_cb(a.ctx, select_http11, NULL);
    reuse_round(ctx, &sp, &c, &a, "first.test", &ra);
    SSL *ssl = c.ssl;
    assert_string_equal(SSL_get_servername(a.ssl, TLSEXT_NAMETYPE_host_name),
                        "first.test");
    assert_string_equal(ra.alpn, "http/1.1");
    SSL_set_options(c.ssl, SSL_OP_NO_RENEGOTIATION); /* as after a read */
    kc_tls_free(&c);
    assert_int_equal(sp.n, 1);

    server_init(&b, TLS1_2_VERSION, true); /* RSA, no ALPN */
    reuse_round(ctx, &sp, &c, &b, NULL, &rb);
    assert_ptr_equal(c.ssl, ssl);
    assert_null(SSL_get_servername(b.ssl, TLSEXT_NAMETYPE_host_name));
    assert_string_equal(rb.tls_version, "TLSv1.2");
    assert_string_equal(rb.alpn, "");
    assert_string_not_equal(rb.cipher, ra.cipher);
    assert_string_equal(rb.cert.key_type, "rsa");
    assert_int_equal(rb.cert.key_bits, 2048);
    assert_string_equal(rb.cert.key_curve, "");
    assert_string_not_equal(rb.cert.sha256, ra.cert.sha256);
    assert_int_not_equal(rb.cert.der.len, ra.cert.der.len);
    kc_tls_free(&c);

    /* TLS 1.2 cut after the server's first flight: OpenSSL holds a session
     * (the server's session id) while the handshake is unfinished. */
    server_init(&cut, TLS1_2_VERSION, true);
    assert_int_equal(kc_tls_init(&c, ctx, &sp, "cut.test"), 0);
    char buf[32768];
    assert_int_equal(kc_tls_handshake(&c), KC_TLS_WANT_IO);
    size_t n = kc_tls_drain(&c, buf, sizeof(buf));
    BIO_write(cut.in, buf, (int)n);
    SSL_do_handshake(cut.ssl);
    int m = BIO_read(cut.out, buf, sizeof(buf));
    assert_int_equal(kc_tls_feed(&c, buf, (size_t)m), 0);
    assert_int_equal(kc_tls_handshake(&c), KC_TLS_WANT_IO);
    assert_non_null(SSL_get0_session(c.ssl));
    kc_tls_free(&c);
    assert_int_equal(sp.n, 1);

    server_init(&d, 0, false);
    reuse_round(ctx, &sp, &c, &d, "second.test", &rd);
    assert_ptr_equal(c.ssl, ssl);
    assert_string_equal(SSL_get_servername(d.ssl, TLSEXT_NAMETYPE_host_name),
                        "second.test");
    assert_string_equal(rd.tls_version, "TLSv1.3");
    assert_string_equal(rd.alpn, "");
    assert_string_equal(rd.cert.key_type, "ec");
    assert_string_not_equal(rd.cert.sha256, ra.cert.sha256);
    kc_tls_free(&c);

    kc_result_clear(&ra);
    kc_result_clear(&rb);
    kc_result_clear(&rd);
    server_free(&a);
    server_free(&b);
    server_free(&cut);
    server_free(&d);
    kc_tls_spares_free(&sp);
    SSL_CTX_free(ctx);
}

/* The ClientHello's suites are those of "ALL:@SECLEVEL=0": the PSK and SRP
 * suites left out of KC_TLS_CIPHERS are ones a client without their
 * credentials never offers. */
static void test_offered_suites_unchanged(void **state)
{
    (void)state;
    SSL_CTX *ours = kc_tls_ctx_new();
    SSL_CTX *all = kc_tls_ctx_new();
    assert_int_equal(SSL_CTX_set_cipher_list(all, "ALL:@SECLEVEL=0"), 1);
    SSL *a = SSL_new(ours), *b = SSL_new(all);
    SSL_set_connect_state(a);
    SSL_set_connect_state(b);
    STACK_OF(SSL_CIPHER) *sa = SSL_get1_supported_ciphers(a);
    STACK_OF(SSL_CIPHER) *sb = SSL_get1_supported_ciphers(b);
    assert_true(sk_SSL_CIPHER_num(SSL_get_ciphers(a)) <
                sk_SSL_CIPHER_num(SSL_get_ciphers(b)));
    assert_true(sk_SSL_CIPHER_num(sa) > 60);
    assert_int_equal(sk_SSL_CIPHER_num(sa), sk_SSL_CIPHER_num(sb));
    for (int i = 0; i < sk_SSL_CIPHER_num(sa); i++)
        assert_int_equal(SSL_CIPHER_get_id(sk_SSL_CIPHER_value(sa, i)),
                         SSL_CIPHER_get_id(sk_SSL_CIPHER_value(sb, i)));
    sk_SSL_CIPHER_free(sa);
    sk_SSL_CIPHER_free(sb);
    SSL_free(a);
    SSL_free(b);
    SSL_CTX_free(ours);
    SSL_CTX_free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshakes),
        cmocka_unit_test(test_garbage_and_ceiling),
        cmocka_unit_test(test_reused_ssl_carries_nothing),
        cmocka_unit_test(test_offered_suites_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
