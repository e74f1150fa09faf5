/*
 * digest.c - SHA-256, from libcrypto's EVP interface.
 *
 * The one SHA-256 of the tree (certificate fingerprints, the cluster CA
 * fingerprint, the blocklist's digest). libcrypto's digests are used here
 * only: OpenSSL's TLS (libssl) stays in scanner/.
 */
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common.h"

struct kc_sha256 {
    EVP_MD_CTX *md;
    bool failed; /* an EVP call failed: the result is "" */
};

static void hex_of(const unsigned char *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* EVP_sha256() makes OpenSSL 3 look its implementation up in the provider
 * store again on every digest; kcensus hashes two certificates per target.
 * Fetched once per process and never changed or freed, like the tables
 * OpenSSL keeps for itself. */
static EVP_MD *sha256_md;
static CRYPTO_ONCE sha256_once = CRYPTO_ONCE_STATIC_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
    if (!CRYPTO_THREAD_run_once(&sha256_once, sha256_fetch) ||
        sha256_md == NULL)
        return EVP_sha256();
    return sha256_md;
}

struct kc_sha256 *kc_sha256_new(void)
{
    struct kc_sha256 *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->md = EVP_MD_CTX_new();
    if (h->md == NULL) {
        free(h);
        return NULL;
    }
    h->failed = EVP_DigestInit_ex(h->md, sha256(), NULL) != 1;
    return h;
}

void kc_sha256_update(struct kc_sha256 *h, const void *p, size_t n)
{
    if (!h->failed && n > 0)
        h->failed = EVP_DigestUpdate(h->md, p, n) != 1;
}

void kc_sha256_finish_hex(struct kc_sha256 *h, char out[KC_SHA256_HEX])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!h->failed && EVP_DigestFinal_ex(h->md, d, &n) == 1 && n == 32)
        hex_of(d, n, out);
    EVP_MD_CTX_free(h->md);
    free(h);
}

void kc_sha256_hex(const void *data, size_t n, char out[KC_SHA256_HEX])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    out[0] = '\0';
    if (EVP_Digest(data, n, d, &len, sha256(), NULL) == 1 && len == 32)
        hex_of(d, len, out);
}
