/*
 * certs.c - certificates by profile, made at run time (nothing committed).
 *
 * One "kit" per (profile, key type), made on first use: a CA (key + self-
 * signed cert), one leaf key shared by every member of the kit, and one
 * SSL_CTX holding that key. Each member gets its own leaf (its IP in the
 * SANs), issued on its first connection and cached in member->leaf, so
 * start-up stays fast for 50,000 members and the handshake cost is one
 * SSL_new + SSL_use_certificate.
 *
 * Each member is its own cluster: its CA certificate (the one cluster-info
 * shows) carries the member's id in its serial, so its fingerprint is the
 * cluster's own. The kit's CA key signs them all (a CA key per member would
 * cost a key generation each: seconds for RSA at 4,000 members), so each
 * member's leaf, signed by that key, verifies under its own CA. Members
 * with the kit's shared leaf show the kit's CA: one certificate, one
 * cluster.
 */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

struct kit {
    X509 *leaf_tmpl; /* names, key, validity, usages: all but serial + SAN */
    EVP_PKEY *ca_key;
    X509 *ca;
    X509_NAME *leaf_name; /* subject of every leaf of the profile */
    EVP_PKEY *leaf_key;
    SSL_CTX *ctx;
    char *ca_b64; /* base64 of the CA PEM, for cluster-info */
    bool failed;
};

struct fleet_certs {
    struct kit kits[FLEET_CERT__COUNT][FLEET_KEY__COUNT];
    int64_t now;
};

static EVP_PKEY *make_rsa_pss(void)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *k = NULL;
    if (pc && EVP_PKEY_keygen_init(pc) == 1 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(pc, 2048) == 1)
        EVP_PKEY_generate(pc, &k);
    EVP_PKEY_CTX_free(pc);
    return k;
}

static EVP_PKEY *make_key(enum fleet_key_type k)
{
    switch (k) {
    case FLEET_KEY_ECDSA: return EVP_EC_gen("P-256");
    case FLEET_KEY_RSA: return EVP_RSA_gen(2048);
    case FLEET_KEY_RSA_PSS: return make_rsa_pss();
    case FLEET_KEY_P384: return EVP_EC_gen("P-384");
    case FLEET_KEY_P521: return EVP_EC_gen("P-521");
    case FLEET_KEY_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case FLEET_KEY__COUNT: break;
    }
    return NULL;
}

/* Edwards keys sign without a separate digest. */
static bool sign(X509 *x, EVP_PKEY *key)
{
    const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();
    return X509_sign(x, key, md) > 0;
}

static X509_NAME *name_of(const char *o, const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    if (!n)
        return NULL;
    if (o && !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                                         (const unsigned char *)o, -1, -1, 0))
        goto fail;
    if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                    (const unsigned char *)cn, -1, -1, 0))
        goto fail;
    return n;
fail:
    X509_NAME_free(n);
    return NULL;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate with the given names and validity, not yet signed. */
static X509 *cert_skeleton(uint64_t serial, X509_NAME *subject,
                           X509_NAME *issuer, EVP_PKEY *pub, int64_t now,
                           long days)
{
    X509 *c = X509_new();
    if (!c)
        return NULL;
    bool ok = X509_set_version(c, 2) &&
              ASN1_INTEGER_set_uint64(X509_get_serialNumber(c), serial) &&
              X509_set_subject_name(c, subject) &&
              X509_set_issuer_name(c, issuer) && X509_set_pubkey(c, pub) &&
              X509_time_adj_ex(X509_getm_notBefore(c), -30, 0,
                               &(time_t){(time_t)now}) &&
              X509_time_adj_ex(X509_getm_notAfter(c), days, 0,
                               &(time_t){(time_t)now});
    if (!ok) {
        X509_free(c);
        return NULL;
    }
    return c;
}

static const char *ca_cn(enum fleet_cert_profile p)
{
    switch (p) {
    case FLEET_CERT_KUBEADM:
    case FLEET_CERT_EKS:
        return "kubernetes";
    case FLEET_CERT_K3S:
        return "k3s-server-ca@1700000000";
    case FLEET_CERT_WEB:
    case FLEET_CERT__COUNT:
        break;
    }
    return "R3";
}

/* The CA's PEM text in base64, as kubeconfig's certificate-authority-data
 * holds it (caller frees). */
static char *pem_b64(X509 *ca)
{
    BIO *pem = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (pem && PEM_write_bio_X509(pem, ca)) {
        char *p;
        long n = BIO_get_mem_data(pem, &p);
        size_t cap = KC_BASE64_LEN((size_t)n) + 1;
        out = n > 0 ? malloc(cap) : NULL;
        if (out)
            kc_base64_encode(p, (size_t)n, out, cap);
    }
    BIO_free(pem);
    return out;
}

static int alpn_select(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    static const unsigned char h1[] = "\x08http/1.1";
    unsigned char *sel;
    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto(&sel, outlen, h1, sizeof(h1) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *make_ctx(EVP_PKEY *key, X509 *default_cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No TLS 1.3 session tickets (Go sends one): a scanner never resumes,
     * and the ticket costs a write and a loopback packet per connection. */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    /* TLS 1.3 suite by the server's preference, AES-128-GCM first, as Go's
     * crypto/tls (kube-apiserver) picks on AES hardware; SHA-256 also
     * makes the handshake's HKDF and transcript cheaper than SHA-384. */
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
                                  "TLS_CHACHA20_POLY1305_SHA256:"
                                  "TLS_AES_256_GCM_SHA384");
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* The leaf alone, like an apiserver's serving certificate: no chain
     * building from the (empty) store on every handshake. */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (SSL_CTX_use_certificate(ctx, default_cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static X509 *issue_leaf(struct fleet_certs *c, struct kit *k,
                        enum fleet_cert_profile p, const struct fleet_member *m);
static X509 *leaf_template(struct fleet_certs *c, struct kit *k);

static bool kit_init(struct fleet_certs *c, struct kit *k,
                     enum fleet_cert_profile p, enum fleet_key_type kt)
{
    X509_NAME *ca_name = name_of(p == FLEET_CERT_WEB ? "Let's Encrypt" : NULL,
                                 ca_cn(p));
    k->ca_key = make_key(kt);
    k->leaf_key = make_key(kt);
    k->leaf_name = name_of(p == FLEET_CERT_K3S ? "k3s" : NULL, fleet_cert_cn(p));
    if (!ca_name || !k->ca_key || !k->leaf_key || !k->leaf_name)
        goto fail;
    k->ca = cert_skeleton(1000 + (uint64_t)p, ca_name, ca_name, k->ca_key,
                          c->now, 3650);
    if (!k->ca || !add_ext(k->ca, k->ca, NID_basic_constraints,
                           "critical,CA:TRUE") ||
        !add_ext(k->ca, k->ca, NID_key_usage,
                 "critical,digitalSignature,keyEncipherment,keyCertSign") ||
        !sign(k->ca, k->ca_key))
        goto fail;
    k->leaf_tmpl = leaf_template(c, k);
    struct fleet_member probe = {.addr = 0x7f000001u, .cert = p};
    X509 *def = k->leaf_tmpl ? issue_leaf(c, k, p, &probe) : NULL;
    if (!def)
        goto fail;
    k->ctx = make_ctx(k->leaf_key, def);
    X509_free(def);
    k->ca_b64 = pem_b64(k->ca);
    if (!k->ctx || !k->ca_b64)
        goto fail;
    X509_NAME_free(ca_name);
    return true;
fail:
    X509_NAME_free(ca_name);
    k->failed = true;
    return false;
}

static bool add_name(GENERAL_NAMES *gens, int type, const char *value)
{
    GENERAL_NAME *g = GENERAL_NAME_new();
    if (!g)
        return false;
    if (type == GEN_IPADD) {
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(value);
        if (!ip) {
            GENERAL_NAME_free(g);
            return false;
        }
        GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
    } else {
        ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
        if (!dns || !ASN1_STRING_set(dns, value, -1)) {
            ASN1_IA5STRING_free(dns);
            GENERAL_NAME_free(g);
            return false;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, dns);
    }
    if (!sk_GENERAL_NAME_push(gens, g)) {
        GENERAL_NAME_free(g);
        return false;
    }
    return true;
}

/* "DNS:a,IP:1.2.3.4,..." -> GENERAL_NAMES, built directly: the config
 * string parser of X509V3_EXT_conf_nid costs more than the signature. */
static GENERAL_NAMES *names_from(const char *list)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    char buf[1024];
    kc_strlcpy(buf, list, sizeof(buf));
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); gens && tok;
         tok = strtok_r(NULL, ",", &save)) {
        bool ok = strncmp(tok, "IP:", 3) == 0
                      ? add_name(gens, GEN_IPADD, tok + 3)
                      : add_name(gens, GEN_DNS, tok + 4);
        if (!ok) {
            GENERAL_NAMES_free(gens);
            gens = NULL;
        }
    }
    return gens;
}

static void sans_for(enum fleet_cert_profile p, const struct fleet_member *m,
                     char *out, size_t size)
{
    char ip[32];
    struct kc_addr a;
    kc_addr_set_v4(&a, m->addr);
    kc_addr_format(&a, ip, sizeof(ip));
    static const char k8s_names[] =
        "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
        "DNS:kubernetes.default.svc.cluster.local";
    switch (p) {
    case FLEET_CERT_KUBEADM:
        kc_snprintf(out, size, "DNS:member-%u,%s,IP:10.96.0.1,IP:%s", m->id,
                    k8s_names, ip);
        return;
    case FLEET_CERT_K3S:
        kc_snprintf(out, size, "%s,DNS:localhost,IP:127.0.0.1,IP:10.43.0.1,"
                    "IP:%s", k8s_names, ip);
        return;
    case FLEET_CERT_EKS: {
        static const char *const regions[] = {"us-east-1", "eu-west-1",
                                              "ap-southeast-2", "us-west-2"};
        uint64_t h = (uint64_t)m->id * 0x9e3779b97f4a7c15ull + 12345;
        kc_snprintf(out, size,
                    "DNS:%016llX%016llX.gr7.%s.eks.amazonaws.com,"
                    "DNS:ip-172-16-%u-%u.ec2.internal,%s,IP:10.100.0.1,IP:%s",
                    (unsigned long long)h, (unsigned long long)(h * 31 + 7),
                    regions[m->id % 4], (m->id >> 8) & 0xff, m->id & 0xff,
                    k8s_names, ip);
        return;
    }
    case FLEET_CERT_WEB:
    case FLEET_CERT__COUNT:
        break;
    }
    kc_snprintf(out, size, "DNS:www.example.net,DNS:example.net");
}

/* The per-kit part of every leaf, made once. */
static X509 *leaf_template(struct fleet_certs *c, struct kit *k)
{
    X509 *t = cert_skeleton(1, k->leaf_name, X509_get_subject_name(k->ca),
                            k->leaf_key, c->now, 365);
    if (t && add_ext(t, k->ca, NID_key_usage,
                     "critical,digitalSignature,keyEncipherment") &&
        add_ext(t, k->ca, NID_ext_key_usage, "serverAuth") &&
        /* signed so that X509_dup (a DER round trip) can copy it */
        sign(t, k->ca_key))
        return t;
    X509_free(t);
    return NULL;
}

static X509 *issue_leaf(struct fleet_certs *c, struct kit *k,
                        enum fleet_cert_profile p, const struct fleet_member *m)
{
    char sans[1024];
    (void)c;
    X509 *leaf = X509_dup(k->leaf_tmpl);
    if (!leaf)
        return NULL;
    sans_for(p, m, sans, sizeof(sans));
    GENERAL_NAMES *gens = names_from(sans);
    bool ok = gens &&
              ASN1_INTEGER_set_uint64(X509_get_serialNumber(leaf),
                                      ((uint64_t)m->id << 8) | 0x42) &&
              X509_add1_ext_i2d(leaf, NID_subject_alt_name, gens, 0,
                                X509V3_ADD_DEFAULT) == 1 &&
              sign(leaf, k->ca_key);
    GENERAL_NAMES_free(gens);
    if (!ok) {
        X509_free(leaf);
        return NULL;
    }
    return leaf;
}

/* Member m's own cluster CA: the kit's CA with the member's serial. */
static char *cluster_ca_b64(struct kit *k, const struct fleet_member *m)
{
    X509 *ca = X509_dup(k->ca);
    char *out = NULL;
    if (ca && ASN1_INTEGER_set_uint64(X509_get_serialNumber(ca),
                                      0x10000000ull + m->id) &&
        sign(ca, k->ca_key))
        out = pem_b64(ca);
    X509_free(ca);
    return out;
}

static struct kit *kit_get(struct fleet_certs *c, enum fleet_cert_profile p,
                           enum fleet_key_type kt)
{
    struct kit *k = &c->kits[p][kt];
    if (k->failed)
        return NULL;
    if (!k->ctx && !kit_init(c, k, p, kt))
        return NULL;
    return k;
}

struct fleet_certs *fleet_certs_new(const struct fleet_plan *plan,
                                    struct kc_error *err)
{
    struct fleet_certs *c = calloc(1, sizeof(*c));
    if (!c) {
        kc_error_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    c->now = kc_wall_us() / 1000000;
    bool used[FLEET_CERT__COUNT][FLEET_KEY__COUNT] = {{false}};
    used[FLEET_CERT_KUBEADM][FLEET_KEY_ECDSA] = true; /* OpenSSL works? */
    for (uint32_t i = 0; i < plan->n_members; i++)
        used[plan->members[i].cert][plan->members[i].key] = true;
    for (size_t p = 0; p < FLEET_CERT__COUNT; p++) {
        for (size_t k = 0; k < FLEET_KEY__COUNT; k++) {
            if (used[p][k] && !kit_get(c, (enum fleet_cert_profile)p,
                                       (enum fleet_key_type)k)) {
                kc_error_set(err, -EIO, "certificates (%s): %s",
                             fleet_cert_profile_str(p),
                             ERR_reason_error_string(ERR_get_error()));
                fleet_certs_free(c);
                return NULL;
            }
        }
    }
    return c;
}

static void kit_free(struct kit *k)
{
    EVP_PKEY_free(k->ca_key);
    EVP_PKEY_free(k->leaf_key);
    X509_free(k->ca);
    X509_free(k->leaf_tmpl);
    X509_NAME_free(k->leaf_name);
    SSL_CTX_free(k->ctx);
    free(k->ca_b64);
}

void fleet_certs_free(struct fleet_certs *c)
{
    if (!c)
        return;
    for (size_t p = 0; p < FLEET_CERT__COUNT; p++)
        for (size_t k = 0; k < FLEET_KEY__COUNT; k++)
            kit_free(&c->kits[p][k]);
    free(c);
}

void *fleet_certs_new_ssl(struct fleet_certs *c, struct fleet_member *m)
{
    struct kit *k = kit_get(c, m->cert, m->key);
    if (!k)
        return NULL;
    if (m->shared_leaf) {
        SSL *ssl = SSL_new(k->ctx); /* the context's leaf */
        if (ssl)
            fleet_certs_cipher_order(m, ssl);
        return ssl;
    }
    if (!m->leaf) {
        m->leaf = issue_leaf(c, k, m->cert, m);
        if (!m->leaf)
            return NULL;
    }
    SSL *ssl = SSL_new(k->ctx);
    if (!ssl)
        return NULL;
    fleet_certs_cipher_order(m, ssl);
    if (SSL_use_certificate(ssl, m->leaf) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

int fleet_certs_use_leaf(struct fleet_certs *c, struct fleet_member *m,
                         void *ssl)
{
    struct kit *k = kit_get(c, m->cert, m->key);
    if (!k)
        return -EIO;
    if (!m->leaf) {
        m->leaf = issue_leaf(c, k, m->cert, m);
        if (!m->leaf)
            return -EIO;
    }
    return SSL_use_certificate(ssl, m->leaf) == 1 ? 0 : -EIO;
}

void fleet_certs_cipher_order(const struct fleet_member *m, void *ssl)
{
    if (m->client_order)
        SSL_clear_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
    else
        SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
}

const char *fleet_certs_ca_b64(struct fleet_certs *c, struct fleet_member *m)
{
    struct kit *k = kit_get(c, m->cert, m->key);
    if (!k)
        return NULL;
    if (m->shared_leaf)
        return k->ca_b64;
    if (!m->ca_b64)
        m->ca_b64 = cluster_ca_b64(k, m);
    return m->ca_b64;
}

void fleet_certs_release_plan(struct fleet_plan *plan)
{
    for (uint32_t i = 0; plan->members && i < plan->n_members; i++) {
        X509_free(plan->members[i].leaf);
        plan->members[i].leaf = NULL;
        free(plan->members[i].ca_b64);
        plan->members[i].ca_b64 = NULL;
    }
}

struct prewarm_job {
    struct fleet_certs *c;
    struct fleet_plan *plan;
    unsigned index, stride;
    int rc;
};

/* Kits exist already (fleet_certs_new) and are only read here; signing
 * with one EVP_PKEY from several threads is safe in OpenSSL 3. */
static void *prewarm_worker(void *arg)
{
    struct prewarm_job *j = arg;
    for (uint32_t i = j->index; i < j->plan->n_members; i += j->stride) {
        struct fleet_member *m = &j->plan->members[i];
        struct kit *k = &j->c->kits[m->cert][m->key];
        if (m->leaf || m->shared_leaf || !k->ctx)
            continue;
        m->leaf = issue_leaf(j->c, k, m->cert, m);
        if (m->leaf && !m->ca_b64)
            m->ca_b64 = cluster_ca_b64(k, m);
        if (!m->leaf || !m->ca_b64) {
            j->rc = -EIO;
            break;
        }
    }
    return NULL;
}

int fleet_certs_prewarm(struct fleet_certs *c, struct fleet_plan *plan,
                        unsigned threads)
{
    struct prewarm_job jobs[16];
    pthread_t tids[16];
    unsigned n = threads < 1 ? 1 : threads > 16 ? 16 : threads;
    unsigned started = 0;
    int rc = 0;
    for (unsigned t = 0; t < n; t++) {
        jobs[t] = (struct prewarm_job){c, plan, t, n, 0};
        if (pthread_create(&tids[t], NULL, prewarm_worker, &jobs[t]) != 0) {
            rc = -EAGAIN;
            break;
        }
        started++;
    }
    for (unsigned t = 0; t < started; t++) {
        pthread_join(tids[t], NULL);
        if (jobs[t].rc < 0)
            rc = jobs[t].rc;
    }
    /* A thread that could not start: finish its share here. */
    for (unsigned t = started; rc == -EAGAIN && t < n; t++)
        prewarm_worker(&jobs[t]);
    return rc == -EAGAIN ? 0 : rc;
}
