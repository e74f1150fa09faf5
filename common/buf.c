/* buf.c - bounded buffers and owned byte strings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void kc_buf_init(struct kc_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

int kc_buf_append(struct kc_buf *b, const void *p, size_t n)
{
    if (n > b->limit || b->len > b->limit - n)
        return -ENOBUFS;
    if (b->len + n + 1 > b->cap) {
        /* Grow geometrically but never beyond limit + 1. */
        size_t want = b->cap ? b->cap : 256;
        while (want < b->len + n + 1)
            want *= 2;
        if (want > b->limit + 1)
            want = b->limit + 1;
        uint8_t *d = realloc(b->data, want);
        if (d == NULL)
            return -ENOMEM;
        b->data = d;
        b->cap = want;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

void kc_buf_consume(struct kc_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data != NULL)
        b->data[b->len] = 0;
}

void kc_buf_reset(struct kc_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = 0;
}

void kc_buf_free(struct kc_buf *b)
{
    free(b->data);
    kc_buf_init(b, b->limit);
}

int kc_bytes_set(struct kc_bytes *b, const void *p, size_t n, size_t max)
{
    char *d;
    if (max > 0 && n > max)
        n = max;
    d = malloc(n + 1);
    if (d == NULL)
        return -ENOMEM;
    if (n > 0)
        memcpy(d, p, n);
    d[n] = '\0';
    free(b->data);
    b->data = d;
    b->len = n;
    return 0;
}

int kc_bytes_set_str(struct kc_bytes *b, const char *s)
{
    return kc_bytes_set(b, s, strlen(s), 0);
}

void kc_bytes_free(struct kc_bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}
