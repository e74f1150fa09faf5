/*
 * iter.c - walking one shard of the plan. Position k of shard I/N is the
 * global position j = I + k*N, and the element there is perm(j): any
 * position is O(1) to reach, so resume is exact and shards are disjoint and
 * cover the whole by construction. A stream (stdin) follows the static part.
 */
#include <errno.h>
#include <stdlib.h>

#include "targets-private.h"

struct kc_target_iter {
    struct kc_targets *t;
    uint64_t pos; /* index the next call hands out */
};

int kc_target_iter_new(struct kc_targets *t, uint64_t start,
                       struct kc_target_iter **out, struct kc_error *err)
{
    struct kc_target_iter *it;
    *out = NULL;
    if (t->stream != NULL && start > 0)
        return kc_error_set(err, -ENOTSUP,
                            "resume is not offered for a stdin stream (save "
                            "the stream to a file to resume)");
    if (t->stream == NULL && start > t->shard_total)
        return kc_error_set(err, -ERANGE,
                            "resume index %llu is past the end (%llu targets)",
                            (unsigned long long)start,
                            (unsigned long long)t->shard_total);
    if ((it = calloc(1, sizeof(*it))) == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    it->t = t;
    it->pos = start;
    *out = it;
    return 0;
}

int kc_target_iter_next(struct kc_target_iter *it, struct kc_target *out,
                        struct kc_error *err)
{
    const struct kc_targets *t = it->t;
    if (it->pos < t->shard_total) {
        uint64_t j = t->shard_index + it->pos * t->shard_count;
        uint64_t e = kc_perm_apply(&t->perm, j);
        out->host[0] = '\0';
        if (e < t->piece_targets)
            kc_plan_piece_element(t, e, out);
        else
            kc_plan_element(t, e, out);
        out->index = it->pos++;
        return 1;
    }
    if (t->stream != NULL) {
        int rc = kc_stream_next(it->t, out, err);
        if (rc == 1)
            out->index = it->pos++;
        return rc;
    }
    return 0;
}

uint64_t kc_target_iter_position(const struct kc_target_iter *it)
{
    return it->pos;
}

void kc_target_iter_free(struct kc_target_iter *it)
{
    free(it);
}
