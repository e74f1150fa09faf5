/*
 * geo_lookup.c - what the geo sink costs per result.
 *
 * Usage: bench_geo_lookup COUNTRY.mmdb ASN.mmdb [LOOKUPS]
 *
 * Rounds of LOOKUPS results (random IPv4 addresses, fixed seed) written
 * through (a) a pass-through counting sink alone (baseline), (b) the geo
 * sink in front of it (lookup in both files + provider rules), and
 * (c) kc_geo_infer_provider alone. Prints the median ns per result of 7
 * rounds for each. Build the files with bench/geo/mkbenchmmdb.pl.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"

#define ROUNDS 7

struct counter {
    struct kc_sink base;
    uint64_t n, asn_sum;
};

static int counter_write(struct kc_sink *s, const struct kc_result *r)
{
    struct counter *c = container_of(s, struct counter, base);
    c->n++;
    c->asn_sum += r->asn + (uint64_t)r->provider;
    return 0;
}

static void counter_free(struct kc_sink *s)
{
    (void)s; /* on the stack */
}

static const struct kc_sink_ops counter_ops = {
    .write = counter_write,
    .free = counter_free,
};

static uint32_t next_addr(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 32);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ns per result for one round through sink s (or provider rules only). */
static uint64_t round_ns(struct kc_sink *s, uint64_t lookups, bool rules_only)
{
    struct kc_result r;
    uint64_t seed = 42, sink_sum = 0;

    kc_result_init(&r);
    kc_bytes_set_str(&r.git_version, "v1.29.1");
    uint64_t t0 = kc_mono_us();
    for (uint64_t i = 0; i < lookups; i++) {
        kc_addr_set_v4(&r.addr, next_addr(&seed));
        if (rules_only) {
            r.asn = (uint32_t)i % 70000;
            sink_sum += kc_geo_infer_provider(&r);
        } else {
            kc_sink_write(s, &r);
        }
    }
    uint64_t dt = kc_mono_us() - t0;
    kc_result_clear(&r);
    if (sink_sum == 1)
        fputs("", stderr); /* keep the loop */
    return dt * 1000 / lookups;
}

static uint64_t median(uint64_t *v)
{
    qsort(v, ROUNDS, sizeof(*v), cmp_u64);
    return v[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    struct kc_geo *g = NULL;
    struct kc_error err = {0};
    uint64_t lookups = 1000000, base[ROUNDS], geo[ROUNDS], rules[ROUNDS];

    if (argc < 3) {
        fprintf(stderr, "usage: %s COUNTRY.mmdb ASN.mmdb [LOOKUPS]\n",
                argv[0]);
        return 2;
    }
    if (argc > 3 && !kc_parse_u64(argv[3], 1, UINT64_MAX / 1000, &lookups)) {
        fprintf(stderr, "bad LOOKUPS\n");
        return 2;
    }
    const char *paths[] = {argv[1], argv[2]};
    if (kc_geo_open(paths, 2, &g, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct counter down = {.base = {.ops = &counter_ops}};
    struct kc_sink *gs = kc_geo_sink_new(g, &down.base);
    if (gs == NULL)
        return 1;
    for (int i = 0; i < ROUNDS; i++) {
        base[i] = round_ns(&down.base, lookups, false);
        geo[i] = round_ns(gs, lookups, false);
        rules[i] = round_ns(NULL, lookups, true);
    }
    printf("source: %s\n", kc_geo_source(g));
    printf("lookups per round: %" PRIu64 ", rounds: %d (medians)\n", lookups,
           ROUNDS);
    printf("baseline sink write: %" PRIu64 " ns/result\n", median(base));
    printf("geo sink write:      %" PRIu64 " ns/result\n", median(geo));
    printf("provider rules only: %" PRIu64 " ns/result\n", median(rules));
    printf("found: %" PRIu64 " checksum\n", down.asn_sum);
    kc_sink_free(gs);
    kc_geo_free(g);
    return 0;
}
