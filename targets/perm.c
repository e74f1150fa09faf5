/*
 * perm.c - a keyed pseudorandom permutation of [0, n).
 *
 * Why Feistel and not ZMap's cyclic group: the permutation must give the
 * element at any position in O(1) (resume and sharding are then just
 * arithmetic on positions), and a Feistel network over 2h bits is a bijection
 * for any round function. Cycle walking (apply again while >= n) restricts it
 * to [0, n) and stays a bijection; since 2^2h < 4n, about 1-4 steps.
 * Not cryptographic: the goal is spreading, not secrecy.
 */
#include "targets-private.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void kc_perm_init(struct kc_perm *p, uint64_t n, uint64_t seed)
{
    unsigned bits = 2;
    uint64_t s = seed ^ (n * 0x2545f4914f6cdd1dULL);
    while (bits < 64 && (1ULL << bits) < n)
        bits += 2;
    p->n = n;
    p->half_bits = bits / 2;
    p->half_mask = (1ULL << p->half_bits) - 1;
    for (int i = 0; i < 4; i++)
        p->keys[i] = splitmix64(&s);
}

/* kc_perm_apply and the round function are inline in targets-private.h:
 * the iterator's hot path. */
