/*
 * bench_classify.c - cost of kc_classify() per result, beside a baseline
 * (parsing the same /version body with jansson alone), and of
 * kc_vendor_classify() per gitVersion string. Bounded: fixed iteration
 * counts, 5 rounds, medians printed.
 * Usage: bench_classify [ITERATIONS]   (default 20000)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

#define ROUNDS 5

static const char version_body[] =
    "{\n  \"major\": \"1\",\n  \"minor\": \"28+\",\n  \"gitVersion\": "
    "\"v1.28.5-eks-5e0fdde\",\n  \"gitCommit\": \"1b1fd0b5\",\n  "
    "\"gitTreeState\": \"clean\",\n  \"buildDate\": \"2024-01-02T20:34:38Z\","
    "\n  \"goVersion\": \"go1.20.12\",\n  \"compiler\": \"gc\",\n  "
    "\"platform\": \"linux/amd64\"\n}";
static const char status_403[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
    "\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot"
    " get path \\\"/api\\\"\",\"reason\":\"Forbidden\",\"details\":{},"
    "\"code\":403}";

static void add(struct kc_result *r, enum kc_probe_id id, int status,
                const char *ct, const char *body)
{
    struct kc_probe_result *p = &r->probes[r->n_probes++];
    p->id = id;
    p->answered = true;
    p->status = status;
    kc_bytes_set_str(&p->content_type, ct);
    kc_bytes_set_str(&p->body, body);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double median_ns(uint64_t *us, size_t iters)
{
    qsort(us, ROUNDS, sizeof us[0], cmp_u64);
    return 1000.0 * (double)us[ROUNDS / 2] / (double)iters;
}

int main(int argc, char **argv)
{
    uint64_t iters = 20000;
    if (argc > 1 && !kc_parse_u64(argv[1], 1, 10000000, &iters)) {
        fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
        return 2;
    }
    struct kc_result r;
    kc_result_init(&r);
    add(&r, KC_PROBE_VERSION, 200, "application/json", version_body);
    add(&r, KC_PROBE_HEALTHZ, 200, "text/plain; charset=utf-8", "ok");
    add(&r, KC_PROBE_LIVEZ, 200, "text/plain; charset=utf-8", "ok");
    add(&r, KC_PROBE_READYZ, 200, "text/plain; charset=utf-8", "ok");
    add(&r, KC_PROBE_CLUSTER_INFO, 403, "application/json", status_403);
    add(&r, KC_PROBE_API, 403, "application/json", status_403);

    uint64_t base[ROUNDS], cls[ROUNDS], ven[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        uint64_t t0 = kc_mono_us();
        for (uint64_t i = 0; i < iters; i++) {
            json_t *j = json_loadb(version_body, sizeof version_body - 1,
                                   JSON_ALLOW_NUL, NULL);
            json_decref(j);
        }
        uint64_t t1 = kc_mono_us();
        for (uint64_t i = 0; i < iters; i++)
            if (kc_classify(&r) != 0)
                return 1;
        uint64_t t2 = kc_mono_us();
        char suffix[64];
        for (uint64_t i = 0; i < iters; i++)
            kc_vendor_classify("v1.26.4-3014+636f2be6157d45-dirty", 33, suffix,
                               sizeof suffix);
        uint64_t t3 = kc_mono_us();
        base[k] = t1 - t0;
        cls[k] = t2 - t1;
        ven[k] = t3 - t2;
    }
    printf("iterations %llu x %d rounds (medians)\n",
           (unsigned long long)iters, ROUNDS);
    printf("baseline json_loadb(/version body): %8.0f ns\n",
           median_ns(base, iters));
    printf("kc_classify (6 probes, open):       %8.0f ns\n",
           median_ns(cls, iters));
    printf("kc_vendor_classify (worst rule):    %8.0f ns\n",
           median_ns(ven, iters));
    kc_result_clear(&r);
    return 0;
}
