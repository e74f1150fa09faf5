/* result.c - lifetime of struct kc_result. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void kc_result_init(struct kc_result *r)
{
    memset(r, 0, sizeof(*r));
    r->is_kubernetes = -1;
    r->major = r->minor = r->patch = -1;
    r->cluster_info_readable = -1;
    r->jws_keys = -1;
    r->namespaces_count = -1;
    r->attempts = 1;
}

/* Visits every owned byte string of a result, so clear and copy cannot
 * forget a field that is added later. */
#define KC_RESULT_BYTES(r, X)                                            \
    do {                                                                 \
        X(cert.subject);                                                 \
        X(cert.subject_cn);                                              \
        X(cert.issuer);                                                  \
        X(cert.issuer_cn);                                               \
        X(cert.sans);                                                    \
        X(cert.der);                                                     \
        X(git_version);                                                  \
        X(version.major);                                                \
        X(version.minor);                                                \
        X(version.git_commit);                                           \
        X(version.git_tree_state);                                       \
        X(version.build_date);                                           \
        X(version.go_version);                                           \
        X(version.compiler);                                             \
        X(version.platform);                                             \
        for (size_t i_ = 0; i_ < KC_PROBE__COUNT; i_++) {                \
            X(probes[i_].content_type);                                  \
            X(probes[i_].body);                                          \
        }                                                                \
    } while (0)

/* A copy holds no memo: the parsed objects stay with the original. */
static void memo_detach(struct kc_result *r)
{
    for (size_t i = 0; i < KC_PROBE__COUNT; i++)
        memset(&r->probes[i].memo, 0, sizeof(r->probes[i].memo));
}

void kc_result_clear(struct kc_result *r)
{
    for (size_t i = 0; i < KC_PROBE__COUNT; i++)
        if (r->probes[i].memo.parsed != NULL && r->memo_release != NULL)
            r->memo_release(r->probes[i].memo.parsed);
#define FREE_FIELD(f) kc_bytes_free(&r->f)
    KC_RESULT_BYTES(r, FREE_FIELD);
#undef FREE_FIELD
    kc_result_init(r);
}

int kc_result_copy(struct kc_result *dst, const struct kc_result *src)
{
    int rc = 0;
    *dst = *src;
    memo_detach(dst);
    /* Detach, then duplicate each owned string. */
#define ZERO_FIELD(f) (dst->f.data = NULL, dst->f.len = 0)
    KC_RESULT_BYTES(dst, ZERO_FIELD);
#undef ZERO_FIELD
#define COPY_FIELD(f)                                                    \
    if (rc == 0 && src->f.data != NULL)                                  \
        rc = kc_bytes_set(&dst->f, src->f.data, src->f.len, 0)
    KC_RESULT_BYTES(src, COPY_FIELD);
#undef COPY_FIELD
    if (rc != 0) {
        kc_result_clear(dst);
        return -ENOMEM;
    }
    return 0;
}

int kc_result_copy_packed(struct kc_result *dst, const struct kc_result *src,
                          void **block)
{
    size_t total = 1, off = 0; /* 1: a block even when every string is empty */
    char *p;
    *block = NULL;
#define SIZE_FIELD(f) total += src->f.data != NULL ? src->f.len : 0
    KC_RESULT_BYTES(src, SIZE_FIELD);
#undef SIZE_FIELD
    p = malloc(total);
    if (p == NULL) {
        kc_result_init(dst);
        return -ENOMEM;
    }
    *dst = *src;
    memo_detach(dst);
    /* Present-but-empty strings keep a non-NULL pointer (into the block). */
#define PACK_FIELD(f)                                                    \
    if (src->f.data != NULL) {                                           \
        dst->f.data = p + off;                                           \
        if (src->f.len)                                                  \
            memcpy(p + off, src->f.data, src->f.len);                    \
        off += src->f.len;                                               \
    }
    KC_RESULT_BYTES(src, PACK_FIELD);
#undef PACK_FIELD
    *block = p;
    return 0;
}

const struct kc_probe_result *kc_result_probe(const struct kc_result *r,
                                              enum kc_probe_id id)
{
    for (size_t i = 0; i < r->n_probes && i < KC_PROBE__COUNT; i++) {
        if (r->probes[i].id == id)
            return &r->probes[i];
    }
    return NULL;
}
