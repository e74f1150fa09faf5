/*
 * hash.c - the two hashes of the tree, one per job:
 *   - kc_fnv1a: FNV-1a (64-bit), byte by byte. Stable across builds and
 *     machines, so it may be stored (bodies.hash, which merge compares
 *     between databases);
 *   - kc_hash_bytes: eight bytes per step, for in-memory tables only
 *     (report aggregation, the writer's caches, per-host slots). Its value
 *     may change between versions; never store it.
 */
#include <string.h>

#include "common.h"

#define FNV1A_PRIME 1099511628211ULL

uint64_t kc_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV1A_PRIME;
    return h;
}

uint64_t kc_hash_bytes(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        b += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, b, n);
        h = (h ^ w) * 0x94d049bb133111ebULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}
