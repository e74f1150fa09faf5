/* hosts.c - in-flight counts per address, shared by every loop thread.
 *
 * --per-host N holds across all loops, so the loops share one table. It is
 * touched twice per capped target (admit, release) for a few dozen
 * nanoseconds under one mutex, and only when the cap is set. Open
 * addressing with linear probing; deletion shifts the following entries
 * back, so no tombstones build up over a long scan. The table never holds
 * more entries than targets in flight, and is sized at creation to twice
 * that: it never grows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanner-private.h"

struct host_entry {
    struct kc_addr addr;  /* family 0: free slot */
    uint32_t count;       /* targets holding a slot */
    uint32_t parked;      /* targets waiting for one */
};

struct kc_hosts {
    pthread_mutex_t lock;
    uint32_t cap;         /* slots per address */
    size_t mask;          /* size - 1, size a power of two */
    size_t used;
    struct host_entry *e;
};

static uint64_t addr_hash(const struct kc_addr *a)
{
    return kc_hash_bytes(a->family, a->bytes, sizeof(a->bytes));
}

static bool addr_eq(const struct kc_addr *a, const struct kc_addr *b)
{
    return a->family == b->family &&
           memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

int kc_hosts_new(uint32_t cap, uint32_t max_entries, struct kc_hosts **out)
{
    struct kc_hosts *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    size_t size = 64;
    while (size < 2 * (size_t)max_entries)
        size *= 2;
    h->e = calloc(size, sizeof(*h->e));
    if (h->e == NULL) {
        free(h);
        return -ENOMEM;
    }
    h->cap = cap;
    h->mask = size - 1;
    pthread_mutex_init(&h->lock, NULL);
    *out = h;
    return 0;
}

void kc_hosts_free(struct kc_hosts *h)
{
    if (h == NULL)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h->e);
    free(h);
}

/* The entry for a, or the free slot where it would go. */
static struct host_entry *find(struct kc_hosts *h, const struct kc_addr *a)
{
    size_t i = addr_hash(a) & h->mask;
    while (h->e[i].addr.family != 0 && !addr_eq(&h->e[i].addr, a))
        i = (i + 1) & h->mask;
    return &h->e[i];
}

/* Removes e if nobody holds or waits for its address, shifting back the
 * entries that probed past it. */
static void maybe_remove(struct kc_hosts *h, struct host_entry *e)
{
    if (e->count > 0 || e->parked > 0)
        return;
    size_t hole = (size_t)(e - h->e);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & h->mask;
        if (h->e[i].addr.family == 0)
            break;
        size_t home = addr_hash(&h->e[i].addr) & h->mask;
        /* Entry i may fill the hole if its home is not in (hole, i]. */
        bool between = hole <= i ? (home > hole && home <= i)
                                 : (home > hole || home <= i);
        if (!between) {
            h->e[hole] = h->e[i];
            hole = i;
        }
    }
    memset(&h->e[hole], 0, sizeof(h->e[hole]));
    h->used--;
}

bool kc_hosts_acquire(struct kc_hosts *h, const struct kc_addr *a, bool park)
{
    bool got = false;
    pthread_mutex_lock(&h->lock);
    struct host_entry *e = find(h, a);
    if (e->addr.family == 0) {
        if (h->used + 1 > h->mask) {
            /* Cannot happen (sized for every target in flight); refusing
             * keeps the cap rather than the promise of progress. */
            pthread_mutex_unlock(&h->lock);
            return false;
        }
        e->addr = *a;
        h->used++;
    }
    if (e->count < h->cap) {
        e->count++;
        got = true;
    } else if (park) {
        e->parked++;
    }
    pthread_mutex_unlock(&h->lock);
    return got;
}

bool kc_hosts_unpark(struct kc_hosts *h, const struct kc_addr *a, bool give_up)
{
    bool got = false;
    pthread_mutex_lock(&h->lock);
    struct host_entry *e = find(h, a);
    if (e->addr.family != 0 && e->parked > 0) {
        if (give_up) {
            e->parked--;
            maybe_remove(h, e);
        } else if (e->count < h->cap) {
            e->parked--;
            e->count++;
            got = true;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return got;
}

bool kc_hosts_release(struct kc_hosts *h, const struct kc_addr *a)
{
    bool waiters = false;
    pthread_mutex_lock(&h->lock);
    struct host_entry *e = find(h, a);
    if (e->addr.family != 0 && e->count > 0) {
        e->count--;
        waiters = e->parked > 0;
        maybe_remove(h, e);
    }
    pthread_mutex_unlock(&h->lock);
    return waiters;
}

uint32_t kc_hosts_count(struct kc_hosts *h, const struct kc_addr *a)
{
    pthread_mutex_lock(&h->lock);
    struct host_entry *e = find(h, a);
    uint32_t n = e->addr.family != 0 ? e->count : 0;
    pthread_mutex_unlock(&h->lock);
    return n;
}

size_t kc_hosts_entries(struct kc_hosts *h)
{
    pthread_mutex_lock(&h->lock);
    size_t n = h->used;
    pthread_mutex_unlock(&h->lock);
    return n;
}
