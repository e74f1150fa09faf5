/* tls_peer.h - the in-process server side of the scanner/tls tests: a
 * self-signed certificate and the loop that moves bytes between our client
 * engine and an OpenSSL server over memory BIOs. */
#ifndef KC_TEST_SCANNER_TLS_PEER_H
#define KC_TEST_SCANNER_TLS_PEER_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scanner-private.h"

/* Self-signed by key: subject [O=org,] CN=cn, the given SANs
 * ("DNS:a,IP:b"), valid for secs from now. Edwards keys sign without a
 * separate digest. */
static inline X509 *tls_peer_cert(EVP_PKEY *key, const char *org,
                                  const char *cn, const char *sans, long secs)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), secs);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    if (org != NULL)
        X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                                   (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, sans);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    bool edwards = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
    X509_sign(x, key, edwards ? NULL : EVP_sha256());
    return x;
}

/* Moves bytes both ways (server s reads sin, writes sout) until the
 * client's handshake ends; at most 20 rounds. */
static inline enum kc_tls_status tls_peer_pump(struct kc_tls *c, SSL *s,
                                               BIO *sin, BIO *sout)
{
    char buf[32768];
    enum kc_tls_status st = KC_TLS_WANT_IO;
    for (int round = 0; round < 20 && st == KC_TLS_WANT_IO; round++) {
        st = kc_tls_handshake(c);
        size_t n;
        while ((n = kc_tls_drain(c, buf, sizeof(buf))) > 0)
            BIO_write(sin, buf, (int)n);
        SSL_do_handshake(s);
        int m;
        while ((m = BIO_read(sout, buf, sizeof(buf))) > 0)
            if (kc_tls_feed(c, buf, (size_t)m) != 0)
                return KC_TLS_TOO_LARGE;
    }
    return st;
}

#endif
