/* aggregate.c - one scan's rows grouped, then every aggregation built. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* ------------------------------------------------------------------ */
/* A small open-addressing map: byte-string key -> index               */
/* ------------------------------------------------------------------ */

struct slot {
    char *key; /* NULL when empty */
    size_t klen;
    uint64_t hash;
    size_t index;
};

struct map {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t len;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static void map_free(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

static int map_grow(struct map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct slot *s = calloc(cap, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;
        if (m->slots[i].key == NULL)
            continue;
        j = m->slots[i].hash & (cap - 1);
        while (s[j].key != NULL)
            j = (j + 1) & (cap - 1);
        s[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return 0;
}

/* Finds key; if absent inserts it with index next_index and sets *added.
 * Returns the slot's index, or -ENOMEM. */
static int map_get(struct map *m, const char *key, size_t klen,
                   size_t next_index, size_t *index, bool *added)
{
    uint64_t h = hash_bytes(key, klen);
    size_t j;

    if ((m->len + 1) * 4 > m->cap * 3 && map_grow(m) < 0)
        return -ENOMEM;
    j = h & (m->cap - 1);
    while (m->slots[j].key != NULL) {
        if (m->slots[j].hash == h && m->slots[j].klen == klen &&
            memcmp(m->slots[j].key, key, klen) == 0) {
            *index = m->slots[j].index;
            *added = false;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j].key = malloc(klen ? klen : 1);
    if (m->slots[j].key == NULL)
        return -ENOMEM;
    memcpy(m->slots[j].key, key, klen);
    m->slots[j].klen = klen;
    m->slots[j].hash = h;
    m->slots[j].index = next_index;
    m->len++;
    *index = next_index;
    *added = true;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The report                                                          */
/* ------------------------------------------------------------------ */

/* One distinct combination of row values (strings owned, "" for NULL). */
struct group {
    char *git_version, *vendor, *posture, *country, *as_org;
    int major, minor, port;
    uint32_t asn;
    uint64_t weight;
};

struct agg {
    struct map map;
    struct kc_agg_entry *v;
    size_t n, cap;
};

struct kc_report {
    const struct kc_releases *rel;
    struct kc_report_meta meta; /* strings owned */
    char date[11];
    struct map group_map;
    struct group *groups;
    size_t n_groups, cap_groups;
    struct kc_buf keybuf; /* scratch for group keys */
    bool finished;
    uint64_t total;
    uint64_t eol[KC_EOL__COUNT];
    struct agg aggs[KC_AGG__COUNT];
};

static const char *const agg_names[KC_AGG__COUNT] = {
    [KC_AGG_MINOR] = "minor",
    [KC_AGG_GIT_VERSION] = "git_version",
    [KC_AGG_VENDOR] = "vendor",
    [KC_AGG_POSTURE] = "posture",
    [KC_AGG_PORT] = "port",
    [KC_AGG_COUNTRY] = "country",
    [KC_AGG_ASN] = "asn",
    [KC_AGG_EOL] = "upstream_eol",
    [KC_AGG_POSTURE_VENDOR] = "posture_vendor",
    [KC_AGG_MINOR_VENDOR] = "minor_vendor",
};

const char *kc_agg_str(enum kc_agg a)
{
    return (unsigned)a < KC_AGG__COUNT ? agg_names[a] : "?";
}

bool kc_agg_parse(const char *s, enum kc_agg *out)
{
    for (size_t i = 0; i < KC_AGG__COUNT; i++)
        if (strcmp(s, agg_names[i]) == 0) {
            *out = (enum kc_agg)i;
            return true;
        }
    return false;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* The date is printed unescaped in several places: digits only. */
static bool valid_date(const char *s)
{
    for (size_t i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    }
    return true;
}

int kc_report_new(const struct kc_releases *rel,
                  const struct kc_report_meta *meta, struct kc_report **out,
                  struct kc_error *err)
{
    struct kc_report *r;
    const char *st = meta->started_at ? meta->started_at : "";

    if (!valid_date(st))
        return kc_error_set(err, -EINVAL,
                            "scan %lld: start time '%.40s' has no date",
                            (long long)meta->scan_id, st);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    r->rel = rel;
    r->meta = *meta;
    r->meta.label = meta->label ? strdup(meta->label) : NULL;
    r->meta.started_at = strdup(st);
    r->meta.unit = dup_or_empty(meta->unit ? meta->unit : "endpoint");
    memcpy(r->date, st, 10);
    r->date[10] = '\0';
    kc_buf_init(&r->keybuf, 64 * 1024);
    if ((meta->label && !r->meta.label) || !r->meta.started_at ||
        !r->meta.unit) {
        kc_report_free(r);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    *out = r;
    return 0;
}

static void free_group(struct group *g)
{
    free(g->git_version);
    free(g->vendor);
    free(g->posture);
    free(g->country);
    free(g->as_org);
}

void kc_report_free(struct kc_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_groups; i++)
        free_group(&r->groups[i]);
    free(r->groups);
    map_free(&r->group_map);
    kc_buf_free(&r->keybuf);
    for (size_t a = 0; a < KC_AGG__COUNT; a++) {
        for (size_t i = 0; i < r->aggs[a].n; i++) {
            free((char *)r->aggs[a].v[i].key);
            free((char *)r->aggs[a].v[i].key2);
        }
        free(r->aggs[a].v);
        map_free(&r->aggs[a].map);
    }
    free((char *)r->meta.label);
    free((char *)r->meta.started_at);
    free((char *)r->meta.unit);
    free(r);
}

/* Appends a length-prefixed field so that no string can fake another
 * field's boundary. */
static int key_str(struct kc_buf *b, const char *s)
{
    uint32_t n = s ? (uint32_t)strnlen(s, KC_MAX_FIELD * 4) : UINT32_MAX;
    int rc = kc_buf_append(b, &n, sizeof(n));
    if (rc == 0 && s != NULL)
        rc = kc_buf_append(b, s, n);
    return rc;
}

static int build_group_key(struct kc_buf *b, const struct kc_report_row *w)
{
    int ints[4] = {w->major, w->minor, w->port, (int)w->asn};
    int rc;
    kc_buf_reset(b);
    rc = kc_buf_append(b, ints, sizeof(ints));
    if (rc == 0)
        rc = key_str(b, w->git_version);
    if (rc == 0)
        rc = key_str(b, w->vendor);
    if (rc == 0)
        rc = key_str(b, w->posture);
    if (rc == 0)
        rc = key_str(b, w->country);
    if (rc == 0)
        rc = key_str(b, w->as_org);
    return rc;
}

static int new_group(struct kc_report *r, const struct kc_report_row *w)
{
    struct group *g;
    if (r->n_groups == r->cap_groups) {
        size_t cap = r->cap_groups ? r->cap_groups * 2 : 256;
        struct group *v = realloc(r->groups, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        r->groups = v;
        r->cap_groups = cap;
    }
    g = &r->groups[r->n_groups];
    memset(g, 0, sizeof(*g));
    g->git_version = dup_or_empty(w->git_version);
    g->vendor = dup_or_empty(w->vendor);
    g->posture = dup_or_empty(w->posture);
    g->country = dup_or_empty(w->country);
    g->as_org = dup_or_empty(w->as_org);
    g->major = w->major;
    g->minor = w->minor;
    g->port = w->port;
    g->asn = w->asn;
    if (!g->git_version || !g->vendor || !g->posture || !g->country ||
        !g->as_org) {
        free_group(g);
        return -ENOMEM;
    }
    r->n_groups++;
    return 0;
}

int kc_report_add(struct kc_report *r, const struct kc_report_row *w)
{
    size_t idx;
    bool added;
    int rc;

    if (r->finished)
        return -EINVAL;
    rc = build_group_key(&r->keybuf, w);
    if (rc < 0)
        return rc;
    rc = map_get(&r->group_map, (const char *)r->keybuf.data, r->keybuf.len,
                 r->n_groups, &idx, &added);
    if (rc < 0)
        return rc;
    if (added && (rc = new_group(r, w)) < 0)
        return rc; /* the map slot points past the end: report unusable */
    r->groups[idx].weight += w->weight;
    return 0;
}

/* Adds weight to (key, key2) of one aggregation. */
static int agg_add(struct agg *a, const char *key, const char *key2,
                   enum kc_eol eol, uint64_t weight)
{
    char buf[2 * (4 * KC_MAX_FIELD) + 2];
    size_t k1 = strnlen(key, 4 * KC_MAX_FIELD);
    size_t k2 = key2 ? strnlen(key2, 4 * KC_MAX_FIELD) : 0;
    size_t idx;
    bool added;
    int rc;

    memcpy(buf, key, k1);
    buf[k1] = '\0';
    if (key2)
        memcpy(buf + k1 + 1, key2, k2);
    rc = map_get(&a->map, buf, k1 + 1 + k2, a->n, &idx, &added);
    if (rc < 0)
        return rc;
    if (added) {
        struct kc_agg_entry *e;
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 32;
            struct kc_agg_entry *v = realloc(a->v, cap * sizeof(*v));
            if (v == NULL)
                return -ENOMEM;
            a->v = v;
            a->cap = cap;
        }
        e = &a->v[a->n];
        memset(e, 0, sizeof(*e));
        e->key = strndup(key, k1);
        e->key2 = key2 ? strndup(key2, k2) : NULL;
        e->eol = eol;
        if (e->key == NULL || (key2 && e->key2 == NULL)) {
            free((char *)e->key);
            free((char *)e->key2);
            return -ENOMEM;
        }
        a->n++;
    }
    a->v[idx].hosts += weight;
    return 0;
}

static int add_group(struct kc_report *r, const struct group *g)
{
    char minor[32] = "", port[16] = "", asn[16] = "";
    enum kc_eol eol = kc_releases_status(r->rel, g->major, g->minor, r->date);
    const char *eols = kc_eol_str(eol);
    uint64_t w = g->weight;
    int rc = 0;

    if (g->major >= 0 && g->minor >= 0)
        kc_snprintf(minor, sizeof(minor), "%d.%d", g->major, g->minor);
    if (g->port > 0)
        kc_snprintf(port, sizeof(port), "%d", g->port);
    if (g->asn > 0)
        kc_snprintf(asn, sizeof(asn), "%u", g->asn);
    r->total += w;
    r->eol[eol] += w;
    struct {
        enum kc_agg a;
        const char *k1, *k2;
    } adds[] = {
        {KC_AGG_MINOR, minor, NULL},
        {KC_AGG_GIT_VERSION, g->git_version, NULL},
        {KC_AGG_VENDOR, g->vendor, NULL},
        {KC_AGG_POSTURE, g->posture, NULL},
        {KC_AGG_PORT, port, NULL},
        {KC_AGG_COUNTRY, g->country, NULL},
        {KC_AGG_ASN, asn, g->as_org},
        {KC_AGG_EOL, eols, NULL},
        {KC_AGG_POSTURE_VENDOR, g->posture, g->vendor},
        {KC_AGG_MINOR_VENDOR, minor, g->vendor},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(adds) && rc == 0; i++)
        rc = agg_add(&r->aggs[adds[i].a], adds[i].k1, adds[i].k2, eol, w);
    return rc;
}

/* Comparators: empty keys (NULL) sort last everywhere. */
static int cmp_key_version(const char *a, const char *b)
{
    int c = kc_version_cmp(a, b);
    return c ? c : strcmp(a, b);
}

static int cmp_text(const char *a, const char *b)
{
    if (!*a || !*b)
        return (*a == '\0') - (*b == '\0');
    return strcmp(a, b);
}

static int cmp_hosts_desc(const struct kc_agg_entry *a,
                          const struct kc_agg_entry *b)
{
    if (!*a->key != !*b->key)
        return !*a->key ? 1 : -1;
    if (a->hosts != b->hosts)
        return a->hosts > b->hosts ? -1 : 1;
    return 0;
}

static int cmp_version_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_key_version(a->key, b->key);
    if (c == 0 && a->key2 && b->key2)
        c = cmp_text(a->key2, b->key2);
    return c;
}

static int cmp_count_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_hosts_desc(a, b);
    if (c == 0)
        c = cmp_text(a->key, b->key);
    if (c == 0 && a->key2 && b->key2)
        c = cmp_text(a->key2, b->key2);
    return c;
}

static int cmp_numeric_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_key_version(a->key, b->key); /* digits compare numerically */
    if (c == 0 && a->key2 && b->key2)
        c = cmp_text(a->key2, b->key2);
    return c;
}

static int cmp_eol_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    return (int)a->eol - (int)b->eol;
}

static int cmp_cross_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_text(a->key, b->key);
    if (c == 0 && !*a->key2 != !*b->key2)
        c = !*a->key2 ? 1 : -1; /* no vendor last */
    if (c == 0 && a->hosts != b->hosts)
        c = a->hosts > b->hosts ? -1 : 1;
    return c ? c : cmp_text(a->key2, b->key2);
}

typedef int (*cmp_fn)(const void *, const void *);
static const cmp_fn agg_order[KC_AGG__COUNT] = {
    [KC_AGG_MINOR] = cmp_version_entries,
    [KC_AGG_GIT_VERSION] = cmp_version_entries,
    [KC_AGG_VENDOR] = cmp_count_entries,
    [KC_AGG_POSTURE] = cmp_count_entries,
    [KC_AGG_PORT] = cmp_numeric_entries,
    [KC_AGG_COUNTRY] = cmp_count_entries,
    [KC_AGG_ASN] = cmp_count_entries,
    [KC_AGG_EOL] = cmp_eol_entries,
    [KC_AGG_POSTURE_VENDOR] = cmp_cross_entries,
    [KC_AGG_MINOR_VENDOR] = cmp_version_entries,
};

static void set_shares(struct kc_report *r, enum kc_agg a)
{
    uint64_t versioned = r->total - r->eol[KC_EOL_NO_VERSION];
    struct agg *g = &r->aggs[a];
    for (size_t i = 0; i < g->n; i++) {
        struct kc_agg_entry *e = &g->v[i];
        uint64_t denom = r->total;
        if (a == KC_AGG_EOL) {
            denom = versioned;
            if (e->eol == KC_EOL_NO_VERSION)
                denom = 0; /* a separate row, outside the share */
        }
        e->has_share = denom > 0;
        e->share = denom ? (double)e->hosts / (double)denom : 0.0;
    }
}

int kc_report_finish(struct kc_report *r)
{
    if (r->finished)
        return -EINVAL;
    r->finished = true;
    for (size_t i = 0; i < r->n_groups; i++) {
        int rc = add_group(r, &r->groups[i]);
        if (rc < 0)
            return rc;
    }
    for (size_t a = 0; a < KC_AGG__COUNT; a++) {
        if (r->aggs[a].n > 1)
            qsort(r->aggs[a].v, r->aggs[a].n, sizeof(*r->aggs[a].v),
                  agg_order[a]);
        set_shares(r, (enum kc_agg)a);
    }
    return 0;
}

const char *kc_report_date(const struct kc_report *r)
{
    return r->date;
}

const struct kc_report_meta *kc_report_meta(const struct kc_report *r)
{
    return &r->meta;
}

uint64_t kc_report_total(const struct kc_report *r)
{
    return r->total;
}

uint64_t kc_report_eol_count(const struct kc_report *r, enum kc_eol e)
{
    return (unsigned)e < KC_EOL__COUNT ? r->eol[e] : 0;
}

const struct kc_agg_entry *kc_report_entries(const struct kc_report *r,
                                             enum kc_agg a, size_t *n)
{
    if ((unsigned)a >= KC_AGG__COUNT) {
        *n = 0;
        return NULL;
    }
    *n = r->aggs[a].n;
    return r->aggs[a].v;
}

/* ------------------------------------------------------------------ */
/* Trend                                                               */
/* ------------------------------------------------------------------ */

struct kc_trend {
    struct kc_report **v;
    size_t n, cap;
};

struct kc_trend *kc_trend_new(void)
{
    return calloc(1, sizeof(struct kc_trend));
}

int kc_trend_add(struct kc_trend *t, struct kc_report *r)
{
    size_t pos;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct kc_report **v = realloc(t->v, cap * sizeof(*v));
        if (v == NULL) {
            kc_report_free(r);
            return -ENOMEM;
        }
        t->v = v;
        t->cap = cap;
    }
    pos = t->n;
    while (pos > 0) {
        const struct kc_report *p = t->v[pos - 1];
        int c = strcmp(p->date, r->date);
        if (c < 0 || (c == 0 && p->meta.scan_id <= r->meta.scan_id))
            break;
        t->v[pos] = t->v[pos - 1];
        pos--;
    }
    t->v[pos] = r;
    t->n++;
    return 0;
}

size_t kc_trend_len(const struct kc_trend *t)
{
    return t->n;
}

const struct kc_report *kc_trend_at(const struct kc_trend *t, size_t i)
{
    return i < t->n ? t->v[i] : NULL;
}

void kc_trend_free(struct kc_trend *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        kc_report_free(t->v[i]);
    free(t->v);
    free(t);
}
