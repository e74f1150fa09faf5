/* ranges.c - sorted, disjoint sets of inclusive 128-bit intervals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "targets-private.h"

#define U128_MAX (~(kc_u128)0)

int kc_ivals_add(struct kc_ivals *s, kc_u128 lo, kc_u128 hi)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct kc_ival *v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].lo = lo;
    s->v[s->n].hi = hi;
    s->n++;
    return 0;
}

static int ival_cmp(const void *a, const void *b)
{
    const struct kc_ival *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static kc_u128 sat_add(kc_u128 a, kc_u128 b)
{
    return a + b < a ? U128_MAX : a + b;
}

/* Size of [lo, hi], saturating (the whole space does not fit). */
static kc_u128 span(kc_u128 lo, kc_u128 hi)
{
    return hi - lo == U128_MAX ? U128_MAX : hi - lo + 1;
}

kc_u128 kc_ivals_normalize(struct kc_ivals *s)
{
    kc_u128 overlap = 0;
    size_t w = 0;
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof(*s->v), ival_cmp);
    for (size_t r = 1; r < s->n; r++) {
        struct kc_ival *cur = &s->v[w], *nx = &s->v[r];
        if (nx->lo <= cur->hi) {
            kc_u128 end = nx->hi < cur->hi ? nx->hi : cur->hi;
            overlap = sat_add(overlap, span(nx->lo, end));
            if (nx->hi > cur->hi)
                cur->hi = nx->hi;
        } else if (cur->hi != U128_MAX && nx->lo == cur->hi + 1) {
            cur->hi = nx->hi; /* adjacent: one interval */
        } else {
            s->v[++w] = *nx;
        }
    }
    s->n = w + 1;
    return overlap;
}

bool kc_ivals_contains(const struct kc_ivals *s, kc_u128 k)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].hi < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo].lo <= k;
}

kc_u128 kc_ivals_size(const struct kc_ivals *s)
{
    kc_u128 t = 0;
    for (size_t i = 0; i < s->n; i++)
        t = sat_add(t, span(s->v[i].lo, s->v[i].hi));
    return t;
}

/* out := s minus b, both normalized: one merge pass. */
int kc_ivals_subtract(struct kc_ivals *s, const struct kc_ivals *b,
                      kc_u128 *removed)
{
    struct kc_ivals out = {0};
    size_t j = 0;
    kc_u128 before = kc_ivals_size(s);
    for (size_t i = 0; i < s->n; i++) {
        kc_u128 lo = s->v[i].lo, hi = s->v[i].hi;
        bool alive = true;
        while (j < b->n && b->v[j].hi < lo)
            j++;
        for (size_t k = j; alive && k < b->n && b->v[k].lo <= hi; k++) {
            if (b->v[k].lo > lo && kc_ivals_add(&out, lo, b->v[k].lo - 1))
                goto oom;
            if (b->v[k].hi >= hi)
                alive = false;
            else
                lo = b->v[k].hi + 1;
        }
        if (alive && kc_ivals_add(&out, lo, hi))
            goto oom;
    }
    free(s->v);
    *s = out;
    if (removed)
        *removed = before - kc_ivals_size(s);
    return 0;
oom:
    kc_ivals_free(&out);
    return -ENOMEM;
}

int kc_ivals_intersect(struct kc_ivals *s, const struct kc_ivals *b,
                       kc_u128 *removed)
{
    struct kc_ivals out = {0};
    size_t j = 0;
    kc_u128 before = kc_ivals_size(s);
    for (size_t i = 0; i < s->n; i++) {
        kc_u128 lo = s->v[i].lo, hi = s->v[i].hi;
        while (j < b->n && b->v[j].hi < lo)
            j++;
        for (size_t k = j; k < b->n && b->v[k].lo <= hi; k++) {
            kc_u128 a = b->v[k].lo > lo ? b->v[k].lo : lo;
            kc_u128 z = b->v[k].hi < hi ? b->v[k].hi : hi;
            if (kc_ivals_add(&out, a, z)) {
                kc_ivals_free(&out);
                return -ENOMEM;
            }
        }
    }
    free(s->v);
    *s = out;
    if (removed)
        *removed = before - kc_ivals_size(s);
    return 0;
}

void kc_ivals_free(struct kc_ivals *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}
