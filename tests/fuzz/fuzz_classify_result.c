/*
 * fuzz_classify_result.c - the whole classification path on a structured
 * input: a header of (probe id, status, header flags, content type) per
 * probe, then the bodies separated by "\n--\n". The last part is also fed
 * to the gitVersion parser, the vendor table and the kubeconfig reader.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int statuses[] = {200, 401, 403, 404, 500, 503, 301, 0};
static const char *const ctypes[] = {"application/json", "text/plain",
                                     "text/html", NULL};

/* Next body: up to the separator or the end. */
static size_t next_part(const uint8_t *d, size_t n, size_t *skip)
{
    const uint8_t *sep = memmem(d, n, "\n--\n", 4);
    *skip = sep ? 4 : 0;
    return sep ? (size_t)(sep - d) : n;
}

static void probe_from(struct kc_probe_result *p, uint8_t h, const uint8_t *d,
                       size_t n)
{
    p->id = (enum kc_probe_id)(h % KC_PROBE__COUNT);
    p->status = statuses[(h >> 3) % KC_ARRAY_LEN(statuses)];
    p->answered = p->status != 0;
    p->has_pf_flowschema = h & 0x40;
    p->has_audit_id = h & 0x80;
    const char *ct = ctypes[(h >> 4) % KC_ARRAY_LEN(ctypes)];
    if (ct)
        kc_bytes_set_str(&p->content_type, ct);
    kc_bytes_set(&p->body, d, n, KC_MAX_BODY_KEEP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t nprobes = data[0] % (KC_PROBE__COUNT + 1);
    if (size < 1 + nprobes)
        return 0;
    const uint8_t *hdr = data + 1, *d = data + 1 + nprobes;
    size_t left = size - 1 - nprobes, skip;
    struct kc_result r;
    kc_result_init(&r);
    for (size_t i = 0; i < nprobes; i++) {
        size_t n = next_part(d, left, &skip);
        probe_from(&r.probes[r.n_probes++], hdr[i], d, n);
        d += n + skip;
        left -= n + skip;
        (void)kc_classify_continue(&r);
    }
    kc_classify(&r);
    kc_classify(&r); /* idempotent, no leak on the second pass */
    kc_result_clear(&r);

    int ma, mi, pa;
    bool pre;
    char suffix[64], hex[KC_SHA256_HEX];
    kc_git_version_parse((const char *)d, left, &ma, &mi, &pa, &pre);
    kc_vendor_classify((const char *)d, left, suffix, sizeof suffix);
    kc_kubeconfig_ca_sha256((const char *)d, left, hex);
    return 0;
}
