/* Tests scanner/keyengine.c and the accepting chain callback in tls.c:
 * handshakes with every leaf key type kcensus decodes through the engine
 * (and Ed448, which keeps the default path), over each TLS version the key
 * type allows, store the same certificate record with and without the
 * engine; a server whose handshake signature does not match its
 * certificate fails with a signature error either way; every key-exchange
 * group still works.
 *
 * The engine is process-wide, so each mode runs in its own child process
 * (fork), after the parent made every server key and certificate with
 * OpenSSL's default (provider) code. The children print one line per case
 * into a pipe; the parent compares the two transcripts line by line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scanner-private.h"
#include "tls_peer.h"

enum key_kind { K_RSA, K_RSA_PSS, K_P256, K_P384, K_P521, K_ED25519,
                K_ED448, K__COUNT };

static const char *const kind_name[K__COUNT] = {
    "rsa-2048", "rsa-pss-2048", "p-256", "p-384", "p-521", "ed25519",
    "ed448",
};

/* Made in the parent, before any child registers the engine. */
struct material {
    EVP_PKEY *key;
    EVP_PKEY *wrong;  /* the certificate's public half, another private half */
    X509 *cert;
};

static struct material mat[K__COUNT];

/* EVP_PKEY_Q_keygen knows no RSA-PSS size in 3.0. */
static EVP_PKEY *rsa_pss_new(void)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *k = NULL;
    if (pc != NULL && EVP_PKEY_keygen_init(pc) == 1 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(pc, 2048) == 1)
        EVP_PKEY_generate(pc, &k);
    EVP_PKEY_CTX_free(pc);
    return k;
}

static EVP_PKEY *key_new(enum key_kind k)
{
    switch (k) {
    case K_RSA: return EVP_RSA_gen(2048);
    case K_RSA_PSS: return rsa_pss_new();
    case K_P256: return EVP_EC_gen("P-256");
    case K_P384: return EVP_EC_gen("P-384");
    case K_P521: return EVP_EC_gen("P-521");
    case K_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case K_ED448: return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    case K__COUNT: break;
    }
    return NULL;
}

/* Where a copied value lives until OSSL_PARAM_BLD_to_param: the builder
 * keeps pointers, not copies. */
struct kept {
    BIGNUM *bn;
    unsigned char oct[256];
};

static void copy_param(OSSL_PARAM_BLD *b, const EVP_PKEY *from,
                       const char *name, bool bn, struct kept *keep)
{
    if (bn) {
        assert_int_equal(EVP_PKEY_get_bn_param(from, name, &keep->bn), 1);
        assert_int_equal(OSSL_PARAM_BLD_push_BN(b, name, keep->bn), 1);
        return;
    }
    size_t n = 0;
    assert_int_equal(EVP_PKEY_get_octet_string_param(
                         from, name, keep->oct, sizeof(keep->oct), &n), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(b, name, keep->oct, n),
                     1);
}

/* A key whose public half is pub's and whose private half is other's:
 * OpenSSL accepts it for pub's certificate (the check compares public
 * halves), and every signature it makes is wrong for that certificate. */
static EVP_PKEY *key_mismatched(enum key_kind k, EVP_PKEY *pub)
{
    EVP_PKEY *other = key_new(k);
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    struct kept kept[3] = {{NULL, {0}}, {NULL, {0}}, {NULL, {0}}};
    char group[32]; /* kept by the builder too */
    bool rsa = k == K_RSA || k == K_RSA_PSS;
    if (rsa) {
        copy_param(b, pub, OSSL_PKEY_PARAM_RSA_N, true, &kept[0]);
        copy_param(b, pub, OSSL_PKEY_PARAM_RSA_E, true, &kept[1]);
        copy_param(b, other, OSSL_PKEY_PARAM_RSA_D, true, &kept[2]);
    } else {
        if (k == K_P256 || k == K_P384 || k == K_P521) {
            size_t n = 0;
            assert_int_equal(EVP_PKEY_get_group_name(pub, group,
                                                     sizeof(group), &n), 1);
            assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(
                                 b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0), 1);
            copy_param(b, other, OSSL_PKEY_PARAM_PRIV_KEY, true, &kept[0]);
        } else {
            copy_param(b, other, OSSL_PKEY_PARAM_PRIV_KEY, false, &kept[0]);
        }
        copy_param(b, pub, OSSL_PKEY_PARAM_PUB_KEY, false, &kept[1]);
    }
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
    for (size_t i = 0; i < KC_ARRAY_LEN(kept); i++)
        BN_free(kept[i].bn);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    EVP_PKEY *mixed = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
    assert_int_equal(EVP_PKEY_fromdata(pc, &mixed, EVP_PKEY_KEYPAIR, params),
                     1);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_free(other);
    return mixed;
}

static void materials_make(void)
{
    for (int k = 0; k < K__COUNT; k++) {
        mat[k].key = key_new((enum key_kind)k);
        assert_non_null(mat[k].key);
        mat[k].cert = tls_peer_cert(mat[k].key, "system:masters", kind_name[k],
                                    "DNS:kubernetes,DNS:kubernetes.default.svc,"
                                    "IP:10.96.0.1,IP:::1",
                                    86400);
        assert_non_null(mat[k].cert);
        mat[k].wrong = key_mismatched((enum key_kind)k, mat[k].key);
        assert_non_null(mat[k].wrong);
    }
}

static void materials_free(void)
{
    for (int k = 0; k < K__COUNT; k++) {
        EVP_PKEY_free(mat[k].key);
        EVP_PKEY_free(mat[k].wrong);
        X509_free(mat[k].cert);
    }
    memset(mat, 0, sizeof(mat));
}

/* ---------------- one handshake against an in-process server ---------- */

struct hs_case {
    enum key_kind kind;
    int version;         /* min = max */
    const char *groups;  /* server's key-exchange groups, NULL = default */
    bool wrong_sig;
};

static SSL_CTX *server_ctx(const struct hs_case *hc)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, hc->version);
    SSL_CTX_set_max_proto_version(ctx, hc->version);
    if (hc->groups != NULL)
        assert_int_equal(SSL_CTX_set1_groups_list(ctx, hc->groups), 1);
    assert_int_equal(SSL_CTX_use_certificate(ctx, mat[hc->kind].cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(
                         ctx, hc->wrong_sig ? mat[hc->kind].wrong
                                            : mat[hc->kind].key), 1);
    return ctx;
}

static const char *vname(int v)
{
    switch (v) {
    case TLS1_VERSION: return "1.0";
    case TLS1_1_VERSION: return "1.1";
    case TLS1_2_VERSION: return "1.2";
    case TLS1_3_VERSION: return "1.3";
    default: return "?";
    }
}

/* Every certificate column kcensus stores, one line. */
static void print_record(FILE *f, const struct hs_case *hc,
                         enum kc_tls_status st, const struct kc_tls *c,
                         const struct kc_result *r)
{
    const struct kc_cert_info *ci = &r->cert;
    char sans[512];
    kc_strlcpy(sans, ci->sans.data ? ci->sans.data : "", sizeof(sans));
    for (char *p = sans; (p = strchr(p, '\n')) != NULL;)
        *p = ',';
    fprintf(f, "%s tls%s groups=%s wrong=%d status=%d", kind_name[hc->kind],
            vname(hc->version), hc->groups ? hc->groups : "-", hc->wrong_sig,
            (int)st);
    if (st != KC_TLS_DONE) {
        /* The reason, without the error code's library prefix noise. */
        const char *why = strrchr(c->err, ':');
        fprintf(f, " err=%s\n", why ? why + 1 : c->err);
        return;
    }
    fprintf(f,
            " version=%s cipher=%s present=%d sha256=%s subject=%s cn=%s"
            " issuer=%s icn=%s sans=%s nsans=%u key=%s bits=%u curve=%s"
            " nb=%lld na=%lld sig=%s chain=%u der=%zu\n",
            r->tls_version, r->cipher, ci->present, ci->sha256,
            ci->subject.data, ci->subject_cn.data, ci->issuer.data,
            ci->issuer_cn.data, sans, ci->san_count, ci->key_type,
            ci->key_bits, ci->key_curve, (long long)ci->not_before,
            (long long)ci->not_after, ci->sig_alg, ci->chain_len,
            ci->der.len);
}

/* spares: NULL, or the cleared SSLs every case takes its client from;
 * *reused counts the cases whose SSL served an earlier case. */
static void run_case(FILE *f, SSL_CTX *cctx, struct kc_tls_spares *spares,
                     unsigned *reused, const struct hs_case *hc)
{
    SSL_CTX *sctx = server_ctx(hc);
    SSL *s = SSL_new(sctx);
    BIO *sin = BIO_new(BIO_s_mem()), *sout = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(sin, -1);
    BIO_set_mem_eof_return(sout, -1);
    SSL_set_bio(s, sin, sout);
    SSL_set_accept_state(s);
    struct kc_tls c;
    struct kc_result r;
    kc_result_init(&r);
    SSL *spare = spares != NULL && spares->n > 0 ? spares->ssl[0] : NULL;
    assert_int_equal(kc_tls_init(&c, cctx, spares, "kubernetes"), 0);
    if (spare != NULL) {
        assert_ptr_equal(c.ssl, spare);
        assert_null(SSL_get0_session(c.ssl)); /* no earlier peer's */
        (*reused)++;
    }
    enum kc_tls_status st = tls_peer_pump(&c, s, sin, sout);
    if (st == KC_TLS_DONE)
        kc_tls_record(&c, &r);
    print_record(f, hc, st, &c, &r);
    kc_result_clear(&r);
    kc_tls_free(&c);
    SSL_free(s);
    SSL_CTX_free(sctx);
}

/* The versions a key type can authenticate: Ed25519/Ed448 and RSA-PSS
 * keys exist only with TLS 1.2's signature algorithms. */
static bool kind_allows(enum key_kind k, int version)
{
    if (version >= TLS1_2_VERSION)
        return true;
    return k == K_RSA || k == K_P256 || k == K_P384 || k == K_P521;
}

static const int versions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
                               TLS1_3_VERSION};
static const char *const groups[] = {"X25519", "P-256", "P-384", "P-521",
                                     "X448", "ffdhe2048"};

/* The whole transcript of one mode; with reuse, every case after the
 * first runs on the SSL of the one before (cleared by kc_tls_free). */
static void run_all(FILE *f, bool reuse)
{
    SSL_CTX *cctx = kc_tls_ctx_new();
    assert_non_null(cctx);
    struct kc_tls_spares spares;
    assert_int_equal(kc_tls_spares_init(&spares, 1), 0);
    struct kc_tls_spares *sp = reuse ? &spares : NULL;
    unsigned reused = 0;
    /* The first and last lines say how the transcript was made. */
    fprintf(f, "engine=%d\n", kc_tls_key_engine());
    for (int k = 0; k < K__COUNT; k++) {
        for (size_t v = 0; v < KC_ARRAY_LEN(versions); v++) {
            for (int wrong = 0; wrong < 2; wrong++) {
                struct hs_case hc = {(enum key_kind)k, versions[v], NULL,
                                     wrong == 1};
                if (kind_allows(hc.kind, hc.version))
                    run_case(f, cctx, sp, &reused, &hc);
            }
        }
    }
    for (size_t g = 0; g < KC_ARRAY_LEN(groups); g++) {
        for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
            struct hs_case hc = {K_P256, v, groups[g], false};
            /* TLS 1.2 has no finite-field DHE suite for an ECDSA key. */
            if (v == TLS1_2_VERSION && strncmp(groups[g], "ffdhe", 5) == 0)
                continue;
            run_case(f, cctx, sp, &reused, &hc);
        }
    }
    fprintf(f, "reused=%u\n", reused);
    kc_tls_spares_free(&spares);
    SSL_CTX_free(cctx);
}

/* Runs run_all() in a child with KCENSUS_KEY_ENGINE=mode; the transcript
 * comes back in a malloc'd string. */
static char *transcript(const char *mode, bool reuse)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        setenv("KCENSUS_KEY_ENGINE", mode, 1);
        FILE *f = fdopen(fds[1], "w");
        run_all(f, reuse);
        fclose(f);
        _exit(0);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char *text = NULL;
    size_t cap = 0, len = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        char *grown = realloc(text, len + n + 1);
        assert_non_null(grown);
        text = grown;
        memcpy(text + len, buf, n);
        len += n;
        cap = len + 1;
    }
    fclose(f);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(cap > 0);
    text[len] = '\0';
    return text;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* The records of a transcript: past its first line, up to "reused=". */
static const char *records(char *text)
{
    char *end = strstr(text, "\nreused=");
    assert_non_null(end);
    end[1] = '\0';
    return strchr(text, '\n');
}

static void test_engine_keeps_records(void **state)
{
    (void)state;
    materials_make();
    char *off = transcript("off", false);
    char *on = transcript("on", false);
    char *again = transcript("on", true);
    materials_free();
    assert_non_null(strstr(off, "engine=0\n"));
#ifdef KC_KEY_ENGINE
    assert_non_null(strstr(on, "engine=1\n"));
#endif
    assert_non_null(strstr(on, "\nreused=0\n"));
    /* With reuse, every case but the first ran on a cleared SSL. */
    assert_non_null(strstr(again, "\nreused=54\n"));
    /* Same records, line for line: with and without the engine, and on a
     * new SSL or one that served every other key type before. */
    const char *a = records(off), *b = records(on), *c = records(again);
    if (strcmp(a, b) != 0)
        print_error("without the engine:\n%s\nwith it:\n%s\n", off, on);
    assert_string_equal(a, b);
    if (strcmp(b, c) != 0)
        print_error("new SSLs:\n%s\nreused SSLs:\n%s\n", on, again);
    assert_string_equal(b, c);

    /* 7 key types: 4 versions for RSA and EC (4 kinds), 2 for the rest;
     * each with the right and the wrong key; then 6 groups over TLS 1.3
     * and 5 over TLS 1.2, with a P-256 leaf. */
    size_t keyed = (4 * 4 + 3 * 2) * 2, grouped = 6 + 5;
    assert_int_equal(count_of(b, "\n"), keyed + grouped + 1);
    /* Every honest handshake succeeds and names its key... */
    assert_int_equal(count_of(b, "wrong=0 status=1 "), keyed / 2 + grouped);
    assert_int_equal(count_of(b, " key=rsa bits=2048 curve= "), 4);
    assert_int_equal(count_of(b, " key=rsa-pss bits=2048 "), 2);
    assert_int_equal(count_of(b, " bits=256 curve=prime256v1 "), 4 + grouped);
    assert_int_equal(count_of(b, " bits=384 curve=secp384r1 "), 4);
    assert_int_equal(count_of(b, " bits=521 curve=secp521r1 "), 4);
    assert_int_equal(count_of(b, " key=ed25519 bits=256 "), 2);
    assert_int_equal(count_of(b, " key=ed448 bits=456 "), 2);
    assert_int_equal(count_of(b, " nsans=4 "), keyed / 2 + grouped);
    assert_int_equal(count_of(b, "sans=DNS:kubernetes,"
                                 "DNS:kubernetes.default.svc,IP:10.96.0.1,"
                                 "IP:::1 "),
                     keyed / 2 + grouped);
    /* ...and every wrong signature fails as a signature error, not as a
     * record or MAC error. */
    assert_int_equal(count_of(b, "wrong=1 status=2 err=bad signature\n"),
                     keyed / 2);
    free(off);
    free(on);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_keeps_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
