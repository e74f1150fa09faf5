/*
 * fuzz_scanner_cert.c - certificate field extraction (scanner/tls.c) over
 * a peer's DER bytes: subject/issuer names and CNs, SANs (bounded), key
 * type and size, validity, signature algorithm. Every extracted string must
 * stay within its ceiling.
 */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "scanner-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    struct kc_result r;
    if (x == NULL)
        return 0;
    kc_result_init(&r);
    kc_tls_record_cert(&r.cert, x);
    if (r.cert.subject_cn.len > KC_MAX_FIELD ||
        r.cert.issuer_cn.len > KC_MAX_FIELD)
        abort();
    X509_free(x);
    kc_result_clear(&r);
    return 0;
}
