/*
 * hash.c - FNV-1a (64-bit), byte by byte: the hash that is stored
 * (bodies.hash, which merge compares between databases), so it must stay
 * the same across builds and machines. In-memory tables (report
 * aggregation, the writer's caches, per-host slots) use kc_hash_bytes,
 * inline in common.h.
 */
#include "common.h"

#define FNV1A_PRIME 1099511628211ULL

uint64_t kc_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV1A_PRIME;
    return h;
}
