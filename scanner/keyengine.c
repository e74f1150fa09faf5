/* keyengine.c - decode peer public keys by OpenSSL's legacy methods.
 *
 * Why: in OpenSSL 3.0 every certificate a client parses builds an
 * OSSL_DECODER chain for its public key (crypto/x509/x_pubkey.c), which was
 * 24-30 % of a scanner's handshake and 1,400 of its ~2,300 mallocs. The
 * same file first tries the legacy decode, but only where an ENGINE
 * provides the key type's EVP_PKEY_METHOD. So we register one ENGINE that
 * hands back copies of OpenSSL's own built-in methods for EC, RSA, RSA-PSS
 * and Ed25519: the keys are decoded by the built-in legacy code and the
 * server's signature is still checked by the built-in code.
 *
 * Costs, accepted for a scanner: the registration is process-wide (those
 * key types bypass providers, FIPS included); such keys have no provider
 * (EVP_PKEY_get0_provider is NULL) and an Ed25519 key reports 253 bits
 * (tls.c takes key sizes of Edwards keys from the type); each certificate
 * decode takes libcrypto's engine-table lock. The ENGINE and EVP_PKEY_meth
 * calls are deprecated in 3.0 and gone in OpenSSL 4, hence the guards: no
 * ENGINE API, -Dkey_engine=disabled, or KCENSUS_KEY_ENGINE=off in the
 * environment leave OpenSSL's default path. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/opensslv.h>

#include "scanner-private.h"

#if defined(KC_KEY_ENGINE) && OPENSSL_VERSION_MAJOR == 3 && \
    !defined(OPENSSL_NO_ENGINE)
#include <openssl/engine.h>
#include <openssl/evp.h>

/* Key types whose certificates kcensus sees most; Ed448 and DSA keep the
 * default path (no built-in legacy method is copied for them). */
static const int engine_nids[] = {
    EVP_PKEY_EC, EVP_PKEY_RSA, EVP_PKEY_RSA_PSS, EVP_PKEY_ED25519,
};
#define N_NIDS (sizeof(engine_nids) / sizeof(engine_nids[0]))

/* Written once under pthread_once, then only read: like OpenSSL's own
 * method tables. */
static EVP_PKEY_METHOD *engine_meths[N_NIDS];
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static bool engine_on;

static int engine_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth,
                             const int **nids, int nid)
{
    (void)e;
    if (pmeth == NULL) {
        *nids = engine_nids;
        return (int)N_NIDS;
    }
    for (size_t i = 0; i < N_NIDS; i++) {
        if (engine_nids[i] == nid) {
            *pmeth = engine_meths[i];
            return 1;
        }
    }
    *pmeth = NULL;
    return 0;
}

/* A copy of the built-in method for nid, with its flags. */
static EVP_PKEY_METHOD *method_copy(int nid)
{
    const EVP_PKEY_METHOD *orig = EVP_PKEY_meth_find(nid);
    if (orig == NULL)
        return NULL;
    int id = 0, flags = 0;
    EVP_PKEY_meth_get0_info(&id, &flags, orig);
    EVP_PKEY_METHOD *m = EVP_PKEY_meth_new(nid, flags);
    if (m != NULL)
        EVP_PKEY_meth_copy(m, orig);
    return m;
}

static void methods_free(void)
{
    for (size_t i = 0; i < N_NIDS; i++) {
        EVP_PKEY_meth_free(engine_meths[i]);
        engine_meths[i] = NULL;
    }
}

static bool engine_register(void)
{
    for (size_t i = 0; i < N_NIDS; i++) {
        engine_meths[i] = method_copy(engine_nids[i]);
        if (engine_meths[i] == NULL) {
            methods_free();
            return false;
        }
    }
    ENGINE *e = ENGINE_new();
    if (e == NULL || ENGINE_set_id(e, "kcensus-keys") != 1 ||
        ENGINE_set_name(e, "built-in key methods, legacy decode") != 1 ||
        ENGINE_set_pkey_meths(e, engine_pkey_meths) != 1) {
        ENGINE_free(e);
        methods_free();
        return false;
    }
    bool ok = ENGINE_set_default_pkey_meths(e) == 1;
    /* The engine table holds its own reference from here on (even after
     * a partial registration, so the methods stay for the process's
     * life). */
    ENGINE_free(e);
    return ok;
}

static void engine_setup(void)
{
    const char *env = getenv("KCENSUS_KEY_ENGINE");
    if (env != NULL && strcmp(env, "off") == 0)
        return;
    engine_on = engine_register();
}

bool kc_tls_key_engine(void)
{
    pthread_once(&engine_once, engine_setup);
    return engine_on;
}

#else

bool kc_tls_key_engine(void)
{
    return false;
}

#endif
