/*
 * fuzz_geo_provider.c - the provider rules over peer-controlled bytes: the
 * certificate's SAN list and the gitVersion string. Input: SANs, a NUL
 * byte, gitVersion (either may hold any bytes).
 */
#include <stdint.h>
#include <string.h>

#include "geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kc_result r;
    const uint8_t *nul = memchr(data, 0, size);
    size_t sans_len = nul ? (size_t)(nul - data) : size;

    kc_result_init(&r);
    r.cert.present = true;
    if (kc_bytes_set(&r.cert.sans, data, sans_len, 0) == 0 && nul != NULL)
        kc_bytes_set(&r.git_version, nul + 1, size - sans_len - 1,
                     KC_MAX_FIELD);
    (void)kc_geo_infer_provider(&r);
    r.asn = 64512;
    if (kc_geo_infer_provider(&r) == KC_PROVIDER_NONE)
        __builtin_trap(); /* a known ASN is never NULL */
    kc_result_clear(&r);
    return 0;
}
