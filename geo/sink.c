/*
 * sink.c - the geo filter in the scan pipeline: location and provider are
 * added to each result on its way to storage, so the scanner needs to know
 * nothing about databases.
 */
#include <errno.h>
#include <stdlib.h>

#include "geo.h"

struct geo_sink {
    struct kc_sink base;
    struct kc_geo *geo;          /* borrowed */
    struct kc_sink *downstream;  /* owned */
    uint64_t errors;             /* atomic: scanner threads may share us */
};

static struct geo_sink *to_geo(struct kc_sink *s)
{
    return container_of(s, struct geo_sink, base);
}

/* Passes downstream's error up so the caller's message names it. */
static int forward_rc(struct geo_sink *gs, int rc)
{
    if (rc < 0)
        gs->base.err = gs->downstream->err;
    return rc;
}

static int geo_write(struct kc_sink *s, const struct kc_result *r)
{
    struct geo_sink *gs = to_geo(s);
    /* A shallow copy on the stack (no shared scratch, so concurrent writers
     * are fine): the owned strings stay r's, and downstream copies what it
     * keeps before write returns. Never kc_result_clear()ed. */
    struct kc_result local = *r;

    if (kc_geo_lookup(gs->geo, &local, NULL) < 0)
        __atomic_fetch_add(&gs->errors, 1, __ATOMIC_RELAXED);
    local.provider = kc_geo_infer_provider(&local);
    return forward_rc(gs, kc_sink_write(gs->downstream, &local));
}

static int geo_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp)
{
    struct geo_sink *gs = to_geo(s);
    return forward_rc(gs, kc_sink_checkpoint(gs->downstream, cp));
}

static int geo_flush(struct kc_sink *s)
{
    struct geo_sink *gs = to_geo(s);
    return forward_rc(gs, kc_sink_flush(gs->downstream));
}

static bool geo_busy(struct kc_sink *s)
{
    return kc_sink_busy(to_geo(s)->downstream);
}

static void geo_free(struct kc_sink *s)
{
    struct geo_sink *gs = to_geo(s);
    kc_sink_free(gs->downstream);
    free(gs);
}

static const struct kc_sink_ops geo_sink_ops = {
    .write = geo_write,
    .checkpoint = geo_checkpoint,
    .flush = geo_flush,
    .free = geo_free,
    .busy = geo_busy,
};

struct kc_sink *kc_geo_sink_new(struct kc_geo *g, struct kc_sink *downstream)
{
    struct geo_sink *gs = calloc(1, sizeof(*gs));

    if (gs == NULL) {
        kc_sink_free(downstream);
        return NULL;
    }
    gs->base.ops = &geo_sink_ops;
    gs->geo = g;
    gs->downstream = downstream;
    return &gs->base;
}

uint64_t kc_geo_sink_errors(const struct kc_sink *s)
{
    if (s == NULL || s->ops != &geo_sink_ops)
        return 0;
    const struct geo_sink *gs = container_of(s, const struct geo_sink, base);
    return __atomic_load_n(&gs->errors, __ATOMIC_RELAXED);
}
