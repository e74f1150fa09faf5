/* tls.c - a sans-I/O TLS client over one BIO of ours (two byte queues the
 * connection fills and drains), and certificate records.
 *
 * libuv owns the socket; OpenSSL sees only bytes. A census must also reach
 * old servers, so the context lowers OpenSSL 3.0's defaults (TLS 1.0/1.1,
 * SHA-1, no secure renegotiation) and verifies nothing: the certificate is
 * recorded, not judged. The server's handshake signature is still checked:
 * it proves the server holds the key of the certificate we record. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scanner-private.h"

static const unsigned char alpn_http11[] = "\x08http/1.1";

/* Accepts every chain. Under SSL_VERIFY_NONE OpenSSL would still run
 * X509_verify_cert (chain building, extension caching, purpose checks) and
 * then ignore its verdict; kcensus records certificate facts itself. */
static int accept_chain(X509_STORE_CTX *store, void *arg)
{
    (void)store;
    (void)arg;
    return 1;
}

SSL_CTX *kc_tls_ctx_new(void)
{
    kc_tls_key_engine(); /* once per process; see keyengine.c */
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
    /* We never resume: a session cache would only cost memory. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, accept_chain, NULL);
    /* TLS 1.3: AES-128-GCM first (SHA-256 transcript and key schedule,
     * cheaper than AES-256's SHA-384) for servers that follow the client's
     * order; Go's servers (kube-apiserver) pick by their own. Below 1.3,
     * ALL but the PSK and SRP suites: a client without their credentials
     * never offers them, yet OpenSSL walks the whole list several times
     * per ClientHello (140 suites, 86 without them). */
    if (SSL_CTX_set_cipher_list(ctx, KC_TLS_CIPHERS) != 1 ||
        SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
                                      "TLS_CHACHA20_POLY1305_SHA256:"
                                      "TLS_AES_256_GCM_SHA384") != 1 ||
        SSL_CTX_set_alpn_protos(ctx, alpn_http11,
                                sizeof(alpn_http11) - 1) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* ---------------- byte queues and our BIO ---------------- */

static size_t queue_pending(const struct kc_tls_queue *q)
{
    return q->len - q->off;
}

static int queue_put(struct kc_tls_queue *q, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (q->off > 0 && q->off == q->len)
        q->off = q->len = 0;
    if (q->len + n > q->cap) {
        /* Move unread bytes down first; grow only if still short. */
        if (q->off > 0) {
            memmove(q->data, q->data + q->off, q->len - q->off);
            q->len -= q->off;
            q->off = 0;
        }
        if (q->len + n > q->cap) {
            size_t cap = q->len + n;
            unsigned char *d = realloc(q->data, cap);
            if (d == NULL)
                return -ENOMEM;
            q->data = d;
            q->cap = cap;
        }
    }
    memcpy(q->data + q->len, p, n);
    q->len += n;
    return 0;
}

static void queue_reset(struct kc_tls_queue *q)
{
    free(q->data);
    memset(q, 0, sizeof(*q));
}

static size_t queue_take(struct kc_tls_queue *q, void *out, size_t cap)
{
    size_t n = queue_pending(q);
    if (n > cap)
        n = cap;
    memcpy(out, q->data + q->off, n);
    q->off += n;
    if (q->off == q->len)
        queue_reset(q); /* idle connections hold no buffer */
    return n;
}

static int bio_write_ex(BIO *b, const char *p, size_t n, size_t *written)
{
    struct kc_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (queue_put(&t->out, p, n) != 0)
        return 0;
    *written = n;
    return 1;
}

static int bio_read_ex(BIO *b, char *out, size_t cap, size_t *got)
{
    struct kc_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (queue_pending(&t->in) == 0) {
        BIO_set_retry_read(b); /* no bytes yet, not EOF */
        return 0;
    }
    *got = queue_take(&t->in, out, cap);
    return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct kc_tls *t = BIO_get_data(b);
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* the caller drains t->out */
    case BIO_CTRL_PENDING:
        return (long)queue_pending(&t->in);
    case BIO_CTRL_WPENDING:
        return (long)queue_pending(&t->out);
    default:
        return 0;
    }
}

static BIO_METHOD *queue_method;
static pthread_once_t queue_method_once = PTHREAD_ONCE_INIT;

/* Made once per process and never changed: a BIO_METHOD is a table of
 * function pointers, like the ones OpenSSL keeps for its own BIOs. */
static void queue_method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "kcensus queue");
    if (m == NULL)
        return;
    if (BIO_meth_set_write_ex(m, bio_write_ex) != 1 ||
        BIO_meth_set_read_ex(m, bio_read_ex) != 1 ||
        BIO_meth_set_ctrl(m, bio_ctrl) != 1) {
        BIO_meth_free(m);
        return;
    }
    queue_method = m;
}

/* ---------------- SSL objects: new, or a cleared spare ---------------- */

int kc_tls_spares_init(struct kc_tls_spares *s, uint32_t cap)
{
    memset(s, 0, sizeof(*s));
    if (cap == 0)
        return 0;
    s->ssl = calloc(cap, sizeof(*s->ssl));
    if (s->ssl == NULL)
        return -ENOMEM;
    s->cap = cap;
    return 0;
}

void kc_tls_spares_free(struct kc_tls_spares *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        SSL_free(s->ssl[i]); /* frees its BIO */
    free(s->ssl);
    memset(s, 0, sizeof(*s));
}

/* A new SSL with our BIO. */
static SSL *tls_ssl_new(SSL_CTX *ctx)
{
    SSL *ssl = SSL_new(ctx);
    BIO *bio = BIO_new(queue_method);
    if (ssl == NULL || bio == NULL) {
        BIO_free(bio);
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl, bio, bio); /* the SSL owns it from here */
    return ssl;
}

/* Sets what belongs to one connection, on a new SSL or a spare alike. A
 * spare keeps its options (kc_tls_read may have added
 * SSL_OP_NO_RENEGOTIATION) and its SNI name until they are set here. */
static void tls_ssl_prepare(struct kc_tls *t, SSL_CTX *ctx, const char *sni)
{
    uint64_t opts = SSL_CTX_get_options(ctx);
    SSL_clear_options(t->ssl, ~opts);
    SSL_set_options(t->ssl, opts);
    SSL_set_verify_result(t->ssl, X509_V_OK);
    BIO_set_data(SSL_get_rbio(t->ssl), t);
    /* NULL drops a spare's name; a name OpenSSL refuses (over 255
     * bytes) goes without SNI, as it did before spares. */
    const char *name = sni != NULL && sni[0] != '\0' ? sni : NULL;
    SSL_set_tlsext_host_name(t->ssl, name);
    SSL_set_connect_state(t->ssl);
}

/* Clears ssl into the spares, or says no (full, or SSL_clear refused: it
 * does during a renegotiation). SSL_clear alone would keep the session of
 * a handshake cut short (OpenSSL keeps it while in init): dropped first,
 * so that no ClientHello offers one peer's session to another. */
static bool tls_spare_keep(struct kc_tls_spares *s, SSL *ssl)
{
    if (s == NULL || s->n == s->cap)
        return false;
    ERR_clear_error();
    if (SSL_set_session(ssl, NULL) != 1 || SSL_clear(ssl) != 1) {
        ERR_clear_error();
        return false;
    }
    BIO_set_data(SSL_get_rbio(ssl), NULL); /* its kc_tls ends now */
    s->ssl[s->n++] = ssl;
    return true;
}

int kc_tls_init(struct kc_tls *t, SSL_CTX *ctx, struct kc_tls_spares *spares,
                const char *sni)
{
    memset(t, 0, sizeof(*t));
    pthread_once(&queue_method_once, queue_method_make);
    if (queue_method == NULL)
        return -ENOMEM;
    t->spares = spares;
    if (spares != NULL && spares->n > 0)
        t->ssl = spares->ssl[--spares->n];
    else
        t->ssl = tls_ssl_new(ctx);
    if (t->ssl == NULL) {
        memset(t, 0, sizeof(*t));
        return -ENOMEM;
    }
    tls_ssl_prepare(t, ctx, sni);
    return 0;
}

void kc_tls_free(struct kc_tls *t)
{
    if (t->ssl != NULL && !tls_spare_keep(t->spares, t->ssl))
        SSL_free(t->ssl); /* frees the BIO */
    queue_reset(&t->in);
    queue_reset(&t->out);
    memset(t, 0, sizeof(*t));
}

int kc_tls_feed(struct kc_tls *t, const void *p, size_t n)
{
    if (queue_pending(&t->in) + n > KC_TLS_MAX_PENDING)
        return -ENOBUFS;
    return queue_put(&t->in, p, n);
}

static void tls_note_error(struct kc_tls *t, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    if (e != 0) {
        char buf[80];
        ERR_error_string_n(e, buf, sizeof(buf));
        kc_snprintf(t->err, sizeof(t->err), "%s: %s", what, buf);
    } else {
        kc_snprintf(t->err, sizeof(t->err), "%s", what);
    }
    ERR_clear_error();
}

enum kc_tls_status kc_tls_handshake(struct kc_tls *t)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1)
        return KC_TLS_DONE;
    switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return KC_TLS_WANT_IO;
    case SSL_ERROR_ZERO_RETURN:
        tls_note_error(t, "handshake: peer closed");
        return KC_TLS_CLOSED;
    default:
        tls_note_error(t, "handshake");
        return KC_TLS_FAILED;
    }
}

size_t kc_tls_pending_out(const struct kc_tls *t)
{
    return queue_pending(&t->out);
}

size_t kc_tls_drain(struct kc_tls *t, void *out, size_t cap)
{
    if (cap == 0 || queue_pending(&t->out) == 0)
        return 0;
    return queue_take(&t->out, out, cap);
}

int kc_tls_write(struct kc_tls *t, const void *p, size_t n)
{
    size_t written = 0;
    ERR_clear_error();
    /* Our BIO queues every write (or fails on -ENOMEM), so SSL_write_ex
     * never takes part of it. */
    if (SSL_write_ex(t->ssl, p, n, &written) != 1 || written != n) {
        tls_note_error(t, "write");
        return -EIO;
    }
    return 0;
}

/*
 * A TLS 1.2 server may ask to renegotiate after reading a request (servers
 * that want a client certificate for some paths do; curl and browsers
 * follow). The first request is followed, as they do; once that
 * renegotiation is complete, OpenSSL is told to answer the next
 * HelloRequest with a no_renegotiation alert, and that alert ends the
 * read: a server that renegotiates without end must not hold the target
 * until its deadline. armed: the option was set before the read.
 */
static bool tls_refused_renegotiation(struct kc_tls *t, bool armed,
                                      size_t out_before)
{
    if (armed) /* all a TLS 1.2 client writes while reading is the alert */
        return queue_pending(&t->out) > out_before;
    if (SSL_num_renegotiations(t->ssl) > 0 && !SSL_in_init(t->ssl))
        SSL_set_options(t->ssl, SSL_OP_NO_RENEGOTIATION);
    return false;
}

enum kc_tls_status kc_tls_read(struct kc_tls *t, void *out, size_t cap,
                               size_t *got)
{
    *got = 0;
    while (*got < cap) {
        size_t n = 0;
        size_t out_before = queue_pending(&t->out);
        bool armed = (SSL_get_options(t->ssl) & SSL_OP_NO_RENEGOTIATION) != 0;
        ERR_clear_error();
        int ok = SSL_read_ex(t->ssl, (char *)out + *got, cap - *got, &n);
        if (tls_refused_renegotiation(t, armed, out_before)) {
            kc_snprintf(t->err, sizeof(t->err),
                        "tls: second renegotiation refused");
            return KC_TLS_FAILED;
        }
        if (ok == 1) {
            *got += n;
            continue;
        }
        switch (SSL_get_error(t->ssl, 0)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return KC_TLS_WANT_IO;
        case SSL_ERROR_ZERO_RETURN:
            return KC_TLS_CLOSED;
        default:
            tls_note_error(t, "read");
            return KC_TLS_FAILED;
        }
    }
    return KC_TLS_WANT_IO;
}

/* ---------------- certificate record ---------------- */

static void set_cn(struct kc_bytes *dst, const X509_NAME *name)
{
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0)
        return;
    const ASN1_STRING *s =
        X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    if (s != NULL)
        kc_bytes_set(dst, ASN1_STRING_get0_data(s),
                     (size_t)ASN1_STRING_length(s), KC_MAX_FIELD);
}

static void set_name(struct kc_bytes *dst, const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return;
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        if (n >= 0)
            kc_bytes_set(dst, p, (size_t)n, KC_MAX_FIELD);
    }
    BIO_free(b);
}

/* Appends "DNS:name" / "IP:addr" lines, at most KC_MAX_SANS kept. */
static void set_sans(struct kc_cert_info *ci, X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
                                           NULL);
    if (gens == NULL)
        return;
    struct kc_buf out;
    kc_buf_init(&out, KC_MAX_SANS * (KC_MAX_FIELD / 4));
    int total = sk_GENERAL_NAME_num(gens);
    ci->san_count = total > 0 ? (uint32_t)total : 0;
    int kept = 0;
    for (int i = 0; i < total && kept < KC_MAX_SANS; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char line[300];
        size_t n = 0;
        if (g->type == GEN_DNS) {
            const ASN1_STRING *s = g->d.dNSName;
            int len = ASN1_STRING_length(s);
            if (len > 250)
                len = 250;
            n = kc_snprintf(line, sizeof(line), "DNS:%.*s", len,
                            (const char *)ASN1_STRING_get0_data(s));
        } else if (g->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *s = g->d.iPAddress;
            struct kc_addr a = {0};
            int len = ASN1_STRING_length(s);
            char txt[64] = "?";
            if (len == 4 || len == 16) {
                a.family = len == 4 ? AF_INET : AF_INET6;
                memcpy(a.bytes, ASN1_STRING_get0_data(s), (size_t)len);
                kc_addr_format(&a, txt, sizeof(txt));
            }
            n = kc_snprintf(line, sizeof(line), "IP:%s", txt);
        } else {
            continue;
        }
        if (out.len > 0 && kc_buf_append(&out, "\n", 1) != 0)
            break;
        if (kc_buf_append(&out, line, n) != 0)
            break;
        kept++;
    }
    if (out.data != NULL)
        kc_bytes_set(&ci->sans, out.data, out.len, 0);
    else
        kc_bytes_set(&ci->sans, "", 0, 0);
    kc_buf_free(&out);
    GENERAL_NAMES_free(gens);
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static void set_key(struct kc_cert_info *ci, X509 *x)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (k == NULL) {
        kc_strlcpy(ci->key_type, "unknown", sizeof(ci->key_type));
        return;
    }
    const char *type = "other";
    switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA: type = "rsa"; break;
    case EVP_PKEY_RSA_PSS: type = "rsa-pss"; break;
    case EVP_PKEY_EC: type = "ec"; break;
    case EVP_PKEY_ED25519: type = "ed25519"; break;
    case EVP_PKEY_ED448: type = "ed448"; break;
    case EVP_PKEY_DSA: type = "dsa"; break;
    default: break;
    }
    kc_strlcpy(ci->key_type, type, sizeof(ci->key_type));
    int bits = EVP_PKEY_get_bits(k);
    /* An Edwards key's size follows from its type; the legacy method
     * (keyengine.c) would report Ed25519's 253 field bits, not 256. */
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519)
        bits = 256;
    else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED448)
        bits = 456;
    ci->key_bits = bits > 0 ? (uint32_t)bits : 0;
    size_t len = 0;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
        EVP_PKEY_get_group_name(k, ci->key_curve, sizeof(ci->key_curve),
                                &len);
}

void kc_tls_record_cert(struct kc_cert_info *ci, X509 *x)
{
    ci->present = true;
    set_name(&ci->subject, X509_get_subject_name(x));
    set_cn(&ci->subject_cn, X509_get_subject_name(x));
    set_name(&ci->issuer, X509_get_issuer_name(x));
    set_cn(&ci->issuer_cn, X509_get_issuer_name(x));
    set_sans(ci, x);
    set_key(ci, x);
    ci->not_before = asn1_epoch(X509_get0_notBefore(x));
    ci->not_after = asn1_epoch(X509_get0_notAfter(x));
    kc_strlcpy(ci->sig_alg, OBJ_nid2ln(X509_get_signature_nid(x)),
               sizeof(ci->sig_alg));
    /* The fingerprint is the SHA-256 of the whole DER, which is kept
     * only up to its ceiling. Encoding it whole is bounded: the leaf
     * arrived inside the Certificate message, which OpenSSL caps at the
     * context's max_cert_list (100 KiB by default, left as it is). */
    unsigned char *der = NULL;
    int derlen = i2d_X509(x, &der);
    if (derlen > 0) {
        kc_sha256_hex(der, (size_t)derlen, ci->sha256);
        if (derlen <= KC_TLS_MAX_DER)
            kc_bytes_set(&ci->der, der, (size_t)derlen, 0);
    }
    OPENSSL_free(der);
}

void kc_tls_record(const struct kc_tls *t, struct kc_result *r)
{
    kc_strlcpy(r->tls_version, SSL_get_version(t->ssl),
               sizeof(r->tls_version));
    const char *cipher = SSL_get_cipher_name(t->ssl);
    kc_strlcpy(r->cipher, cipher ? cipher : "", sizeof(r->cipher));
    const unsigned char *alpn = NULL;
    unsigned int alen = 0;
    SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
    if (alpn != NULL && alen < sizeof(r->alpn)) {
        memcpy(r->alpn, alpn, alen);
        r->alpn[alen] = '\0';
    }
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(t->ssl);
    r->cert.chain_len = chain ? (uint32_t)sk_X509_num(chain) : 0;
    X509 *leaf = SSL_get0_peer_certificate(t->ssl);
    if (leaf != NULL)
        kc_tls_record_cert(&r->cert, leaf);
}
