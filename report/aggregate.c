/* aggregate.c - one scan's rows interned per dimension, then every
 * aggregation folded from the dimensions. */
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

/* The slot holding key (which must be present). */
static size_t map_find_slot(const struct map *m, const char *key, size_t klen)
{
    uint64_t h = kc_hash_bytes(0, key, klen);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key == NULL || m->slots[j].hash != h ||
           m->slots[j].klen != klen || memcmp(m->slots[j].key, key, klen) != 0)
        j = (j + 1) & (m->cap - 1);
    return j;
}

/* Finds key; if absent inserts it with index next_index and sets *added.
 * Returns the slot's index, or -ENOMEM. */
static int map_get(struct map *m, const char *key, size_t klen,
                   size_t next_index, size_t *index, bool *added)
{
    uint64_t h = kc_hash_bytes(0, key, klen);
    size_t j;

    /* At most half full: most lookups end on their first slot. */
    if ((m->len + 1) * 2 > m->cap && map_grow(m) < 0)
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

/*
 * A dimension: distinct byte-string keys (a column's values, or pairs of
 * other dimensions' ids) interned to dense ids, with the weight summed per
 * id. A report over millions of rows touches only these small maps, one
 * lookup per dimension per row, and never allocates for a value it has
 * already seen.
 */
struct dim {
    struct map map;
    const char **keys; /* owned by map's slots (stable across growth) */
    size_t *klens;
    uint64_t *count;
    size_t n, cap;
};

enum dim_id {
    /* Rows land here: (major, minor, gitVersion, vendor, posture) in one
     * lookup; finish expands it into the five dimensions below it. */
    DIM_VVP = 0,
    DIM_VERSION, /* major, minor (2 x int32), then gitVersion */
    DIM_VENDOR,
    DIM_POSTURE,
    DIM_PORT,        /* int32 */
    DIM_COUNTRY,
    DIM_ASN,         /* uint32, then the AS organisation */
    DIM_POSTURE_VENDOR, /* posture id, vendor id (2 x uint32) */
    DIM_VERSION_VENDOR, /* version id, vendor id */
    DIM__COUNT
};

struct agg {
    struct map map;
    struct kc_agg_entry *v;
    size_t n, cap;
};

/* A row's composite key: two ints and three bounded strings. */
#define ROW_KEY_MAX (8 + 3 * (2 + 4 * KC_MAX_FIELD))

struct kc_report {
    const struct kc_releases *rel;
    char rowkey[ROW_KEY_MAX];
    struct kc_report_meta meta; /* strings owned */
    char date[11];
    struct dim dims[DIM__COUNT];
    struct kc_buf keybuf; /* scratch for composite keys */
    bool finished;
    uint64_t total;
    uint64_t versioned; /* units whose gitVersion parsed (any major) */
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

int kc_report_new(const struct kc_releases *rel,
                  const struct kc_report_meta *meta, struct kc_report **out,
                  struct kc_error *err)
{
    struct kc_report *r;
    const char *st = meta->started_at ? meta->started_at : "";

    if (strlen(st) < 10 || !kc_parse_date(st, 10))
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
    kc_buf_init(&r->keybuf, 2 * ROW_KEY_MAX);
    if ((meta->label && !r->meta.label) || !r->meta.started_at ||
        !r->meta.unit) {
        kc_report_free(r);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    *out = r;
    return 0;
}

void kc_report_free(struct kc_report *r)
{
    if (r == NULL)
        return;
    for (size_t d = 0; d < DIM__COUNT; d++) {
        free(r->dims[d].keys);
        free(r->dims[d].klens);
        free(r->dims[d].count);
        map_free(&r->dims[d].map);
    }
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

/* Adds weight to key's id in dimension d; *id gets the id. */
static int dim_add(struct dim *d, const void *key, size_t klen,
                   uint64_t weight, uint32_t *id)
{
    size_t idx;
    bool added;
    int rc = map_get(&d->map, key, klen, d->n, &idx, &added);
    if (rc < 0)
        return rc;
    if (added) {
        if (d->n == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 64;
            const char **k = realloc(d->keys, cap * sizeof(*k));
            size_t *l = k ? realloc(d->klens, cap * sizeof(*l)) : NULL;
            uint64_t *c = l ? realloc(d->count, cap * sizeof(*c)) : NULL;
            if (k)
                d->keys = k;
            if (l)
                d->klens = l;
            if (c == NULL)
                return -ENOMEM; /* the map keeps the key: report unusable */
            d->count = c;
            d->cap = cap;
        }
        d->keys[d->n] = d->map.slots[map_find_slot(&d->map, key, klen)].key;
        d->klens[d->n] = klen;
        d->count[d->n] = 0;
        d->n++;
    }
    d->count[idx] += weight;
    *id = (uint32_t)idx;
    return 0;
}

/* Bytes of a field: n when given (the string may hold NUL bytes), else up
 * to its NUL; bounded either way. */
static size_t field_len(const char *s, size_t n)
{
    if (s == NULL)
        return 0;
    if (n == 0)
        return strnlen(s, 4 * KC_MAX_FIELD);
    return n < 4 * KC_MAX_FIELD ? n : 4 * KC_MAX_FIELD;
}

static size_t str_len(const char *s)
{
    return field_len(s, 0);
}

/* Key: a fixed binary prefix, then a string. */
static int prefixed(struct kc_buf *b, const void *pre, size_t pn,
                    const char *s)
{
    kc_buf_reset(b);
    if (kc_buf_append(b, pre, pn) < 0)
        return -ENOMEM;
    return kc_buf_append(b, s ? s : "", str_len(s)) < 0 ? -ENOMEM : 0;
}

/* Appends a length-prefixed string of sn bytes (0: up to its NUL) to key
 * (room checked by the caller: lengths are bounded by field_len). */
static size_t put_str(char *key, size_t o, const char *s, size_t sn)
{
    uint16_t n = (uint16_t)field_len(s, sn);
    memcpy(key + o, &n, sizeof(n));
    if (n)
        memcpy(key + o + sizeof(n), s, n);
    return o + sizeof(n) + n;
}

int kc_report_add(struct kc_report *r, const struct kc_report_row *w)
{
    int32_t mm[2] = {w->major, w->minor}, port = w->port;
    struct dim *d = r->dims;
    char *key = r->rowkey;
    uint64_t wt = w->weight;
    uint32_t id;
    size_t o;
    int rc;

    if (r->finished)
        return -EINVAL;
    if (w->major < 0 || w->minor < 0)
        mm[0] = mm[1] = -1; /* half a version is no version */
    memcpy(key, mm, sizeof(mm));
    o = put_str(key, sizeof(mm), w->git_version, w->git_version_len);
    o = put_str(key, o, w->vendor, 0);
    o = put_str(key, o, w->posture, 0);
    rc = dim_add(&d[DIM_VVP], key, o, wt, &id);
    if (rc == 0)
        rc = dim_add(&d[DIM_PORT], &port, sizeof(port), wt, &id);
    if (rc == 0)
        rc = dim_add(&d[DIM_COUNTRY], w->country ? w->country : "",
                     str_len(w->country), wt, &id);
    if (rc == 0) {
        memcpy(key, &w->asn, sizeof(w->asn));
        o = put_str(key, sizeof(w->asn), w->as_org, 0);
        rc = dim_add(&d[DIM_ASN], key, o, wt, &id);
    }
    return rc;
}

int kc_report_merge(struct kc_report *dst, const struct kc_report *src)
{
    if (dst->finished || src->finished)
        return -EINVAL;
    /* Before finish only the row dimensions hold anything. */
    for (size_t d = 0; d < DIM__COUNT; d++) {
        const struct dim *s = &src->dims[d];
        for (uint32_t i = 0; i < s->n; i++) {
            uint32_t id;
            int rc = dim_add(&dst->dims[d], s->keys[i], s->klens[i],
                             s->count[i], &id);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Reads a length-prefixed string at *p. */
static const char *get_str(const char **p, uint16_t *n)
{
    const char *s;
    memcpy(n, *p, sizeof(*n));
    s = *p + sizeof(*n);
    *p = s + *n;
    return s;
}

/* One DIM_VVP entry into version, vendor, posture and the pairs. */
static int expand_vvp(struct kc_report *r, uint32_t i)
{
    struct dim *d = r->dims;
    const char *p = d[DIM_VVP].keys[i] + 2 * sizeof(int32_t);
    uint64_t w = d[DIM_VVP].count[i];
    uint32_t ver, ven, pos, id, pair[2];
    uint16_t gn, vn, pn;
    const char *gv = get_str(&p, &gn);
    const char *vendor = get_str(&p, &vn);
    const char *posture = get_str(&p, &pn);
    int rc = prefixed(&r->keybuf, d[DIM_VVP].keys[i], 2 * sizeof(int32_t),
                      NULL);

    if (rc == 0 && kc_buf_append(&r->keybuf, gv, gn) < 0)
        rc = -ENOMEM;
    if (rc == 0)
        rc = dim_add(&d[DIM_VERSION], r->keybuf.data, r->keybuf.len, w, &ver);
    if (rc == 0)
        rc = dim_add(&d[DIM_VENDOR], vendor, vn, w, &ven);
    if (rc == 0)
        rc = dim_add(&d[DIM_POSTURE], posture, pn, w, &pos);
    pair[0] = pos;
    pair[1] = ven;
    if (rc == 0)
        rc = dim_add(&d[DIM_POSTURE_VENDOR], pair, sizeof(pair), w, &id);
    pair[0] = ver;
    if (rc == 0)
        rc = dim_add(&d[DIM_VERSION_VENDOR], pair, sizeof(pair), w, &id);
    return rc;
}

/* A copy of n bytes (which may hold NUL bytes) with a NUL after them. */
static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* What an entry carries besides its keys: the EOL status of its version
 * and whether its units showed no version at all. */
struct tag {
    enum kc_eol eol;
    bool no_version;
};

/* The tag of rows that have no version dimension (vendor, country...). */
static const struct tag NO_TAG = {KC_EOL_NO_VERSION, false};

/* Adds weight to (key, key2) of one aggregation: k1 and k2 bytes, which
 * may hold NUL bytes (the map key is length-prefixed, not NUL-joined). */
static int agg_add(struct agg *a, const char *key, size_t k1,
                   const char *key2, size_t k2, struct tag tag,
                   uint64_t weight)
{
    char buf[sizeof(uint16_t) + 2 * (4 * KC_MAX_FIELD)];
    uint16_t n1;
    size_t idx;
    bool added;
    int rc;

    if (k1 > 4 * KC_MAX_FIELD)
        k1 = 4 * KC_MAX_FIELD;
    if (key2 == NULL || k2 > 4 * KC_MAX_FIELD)
        k2 = key2 ? 4 * KC_MAX_FIELD : 0;
    n1 = (uint16_t)k1;
    memcpy(buf, &n1, sizeof(n1));
    memcpy(buf + sizeof(n1), key, k1);
    if (key2)
        memcpy(buf + sizeof(n1) + k1, key2, k2);
    rc = map_get(&a->map, buf, sizeof(n1) + k1 + k2, a->n, &idx, &added);
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
        e->key = dup_bytes(key, k1);
        e->key2 = key2 ? dup_bytes(key2, k2) : NULL;
        e->key_len = k1;
        e->key2_len = k2;
        e->eol = tag.eol;
        e->no_version = tag.no_version;
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

/* A dimension's key (after skip bytes) copied to out, NUL-terminated;
 * returns its length (it may hold NUL bytes itself). */
static size_t key_text(const struct dim *d, uint32_t id, size_t skip,
                       char *out, size_t size)
{
    size_t n = d->klens[id] - skip;
    if (n >= size)
        n = size - 1;
    memcpy(out, d->keys[id] + skip, n);
    out[n] = '\0';
    return n;
}

/* "1.26" and the tag of a version id ("" when it showed no version). */
static struct tag version_of(const struct kc_report *r, uint32_t id,
                             char *minor, size_t size)
{
    int32_t mm[2];
    struct tag t;
    memcpy(mm, r->dims[DIM_VERSION].keys[id], sizeof(mm));
    minor[0] = '\0';
    if (mm[0] >= 0)
        kc_snprintf(minor, size, "%d.%d", mm[0], mm[1]);
    t.eol = kc_releases_status(r->rel, mm[0], mm[1], r->date);
    t.no_version = mm[0] < 0;
    return t;
}

#define TEXT_MAX (4 * KC_MAX_FIELD + 1)

static int fold_versions(struct kc_report *r, char *text)
{
    const struct dim *d = &r->dims[DIM_VERSION];
    int rc = 0;
    for (uint32_t i = 0; i < d->n && rc == 0; i++) {
        char minor[32];
        struct tag tag = version_of(r, i, minor, sizeof(minor));
        struct tag eol_tag = {tag.eol, tag.eol == KC_EOL_NO_VERSION};
        const char *eol = kc_eol_str(tag.eol);
        uint64_t w = d->count[i];
        r->total += w;
        r->versioned += tag.no_version ? 0 : w;
        r->eol[tag.eol] += w;
        size_t tn = key_text(d, i, 2 * sizeof(int32_t), text, TEXT_MAX);
        rc = agg_add(&r->aggs[KC_AGG_MINOR], minor, strlen(minor), NULL, 0,
                     tag, w);
        if (rc == 0)
            rc = agg_add(&r->aggs[KC_AGG_GIT_VERSION], text, tn, NULL, 0,
                         tag, w);
        if (rc == 0)
            rc = agg_add(&r->aggs[KC_AGG_EOL], eol, strlen(eol), NULL, 0,
                         eol_tag, w);
    }
    return rc;
}

/* Single-column dimensions straight into their aggregation. */
static int fold_simple(struct kc_report *r, enum dim_id di, enum kc_agg a,
                       char *text)
{
    const struct dim *d = &r->dims[di];
    int rc = 0;
    for (uint32_t i = 0; i < d->n && rc == 0; i++) {
        size_t tn = key_text(d, i, 0, text, TEXT_MAX);
        rc = agg_add(&r->aggs[a], text, tn, NULL, 0, NO_TAG, d->count[i]);
    }
    return rc;
}

static int fold_ports(struct kc_report *r)
{
    const struct dim *d = &r->dims[DIM_PORT];
    int rc = 0;
    for (uint32_t i = 0; i < d->n && rc == 0; i++) {
        int32_t port;
        char text[16] = "";
        memcpy(&port, d->keys[i], sizeof(port));
        if (port > 0)
            kc_snprintf(text, sizeof(text), "%d", port);
        rc = agg_add(&r->aggs[KC_AGG_PORT], text, strlen(text), NULL, 0,
                     NO_TAG, d->count[i]);
    }
    return rc;
}

static int fold_asns(struct kc_report *r, char *text)
{
    const struct dim *d = &r->dims[DIM_ASN];
    int rc = 0;
    for (uint32_t i = 0; i < d->n && rc == 0; i++) {
        uint32_t asn;
        char num[16] = "";
        memcpy(&asn, d->keys[i], sizeof(asn));
        if (asn > 0)
            kc_snprintf(num, sizeof(num), "%u", asn);
        size_t tn =
            key_text(d, i, sizeof(asn) + sizeof(uint16_t), text, TEXT_MAX);
        rc = agg_add(&r->aggs[KC_AGG_ASN], num, strlen(num), text, tn,
                     NO_TAG, d->count[i]);
    }
    return rc;
}

static int fold_pairs(struct kc_report *r, char *text, char *text2)
{
    const struct dim *pv = &r->dims[DIM_POSTURE_VENDOR];
    const struct dim *vv = &r->dims[DIM_VERSION_VENDOR];
    int rc = 0;
    for (uint32_t i = 0; i < pv->n && rc == 0; i++) {
        uint32_t pair[2];
        memcpy(pair, pv->keys[i], sizeof(pair));
        size_t t1 = key_text(&r->dims[DIM_POSTURE], pair[0], 0, text,
                             TEXT_MAX);
        size_t t2 = key_text(&r->dims[DIM_VENDOR], pair[1], 0, text2,
                             TEXT_MAX);
        rc = agg_add(&r->aggs[KC_AGG_POSTURE_VENDOR], text, t1, text2, t2,
                     NO_TAG, pv->count[i]);
    }
    for (uint32_t i = 0; i < vv->n && rc == 0; i++) {
        uint32_t pair[2];
        char minor[32];
        struct tag tag;
        memcpy(pair, vv->keys[i], sizeof(pair));
        tag = version_of(r, pair[0], minor, sizeof(minor));
        size_t t2 = key_text(&r->dims[DIM_VENDOR], pair[1], 0, text2,
                             TEXT_MAX);
        rc = agg_add(&r->aggs[KC_AGG_MINOR_VENDOR], minor, strlen(minor),
                     text2, t2, tag, vv->count[i]);
    }
    return rc;
}

static int fold_all(struct kc_report *r)
{
    char *text = malloc(2 * TEXT_MAX);
    int rc = 0;
    if (text == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < r->dims[DIM_VVP].n && rc == 0; i++)
        rc = expand_vvp(r, i);
    if (rc == 0)
        rc = fold_versions(r, text);
    if (rc == 0)
        rc = fold_simple(r, DIM_VENDOR, KC_AGG_VENDOR, text);
    if (rc == 0)
        rc = fold_simple(r, DIM_POSTURE, KC_AGG_POSTURE, text);
    if (rc == 0)
        rc = fold_simple(r, DIM_COUNTRY, KC_AGG_COUNTRY, text);
    if (rc == 0)
        rc = fold_ports(r);
    if (rc == 0)
        rc = fold_asns(r, text);
    if (rc == 0)
        rc = fold_pairs(r, text, text + TEXT_MAX);
    free(text);
    return rc;
}

/* Comparators: empty keys (NULL) sort last everywhere. Keys are compared
 * with their lengths: they may hold NUL bytes. */
static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c != 0 || an == bn)
        return c;
    return an < bn ? -1 : 1;
}

static int cmp_key_version(const struct kc_agg_entry *a,
                           const struct kc_agg_entry *b)
{
    int c = kc_version_cmp(a->key, b->key);
    return c ? c : cmp_bytes(a->key, a->key_len, b->key, b->key_len);
}

static int cmp_text(const char *a, size_t an, const char *b, size_t bn)
{
    if (an == 0 || bn == 0)
        return (an == 0) - (bn == 0);
    return cmp_bytes(a, an, b, bn);
}

/* Second keys (both present). */
static int cmp_key2(const struct kc_agg_entry *a, const struct kc_agg_entry *b)
{
    if (a->key2 == NULL || b->key2 == NULL)
        return 0;
    return cmp_text(a->key2, a->key2_len, b->key2, b->key2_len);
}

static int cmp_hosts_desc(const struct kc_agg_entry *a,
                          const struct kc_agg_entry *b)
{
    if (!a->key_len != !b->key_len)
        return !a->key_len ? 1 : -1;
    if (a->hosts != b->hosts)
        return a->hosts > b->hosts ? -1 : 1;
    return 0;
}

static int cmp_version_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_key_version(a, b);
    return c ? c : cmp_key2(a, b);
}

static int cmp_count_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_hosts_desc(a, b);
    if (c == 0)
        c = cmp_text(a->key, a->key_len, b->key, b->key_len);
    return c ? c : cmp_key2(a, b);
}

static int cmp_numeric_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_key_version(a, b); /* digits compare numerically */
    return c ? c : cmp_key2(a, b);
}

static int cmp_eol_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    return (int)a->eol - (int)b->eol;
}

static int cmp_cross_entries(const void *pa, const void *pb)
{
    const struct kc_agg_entry *a = pa, *b = pb;
    int c = cmp_text(a->key, a->key_len, b->key, b->key_len);
    if (c == 0 && !a->key2_len != !b->key2_len)
        c = !a->key2_len ? 1 : -1; /* no vendor last */
    if (c == 0 && a->hosts != b->hosts)
        c = a->hosts > b->hosts ? -1 : 1;
    return c ? c : cmp_key2(a, b);
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

/* The one definition of each aggregation's denominator. */
enum denominator { OF_KUBERNETES = 0, OF_VERSIONED, OF_VERSIONED_1X };
static const enum denominator agg_denominator[KC_AGG__COUNT] = {
    [KC_AGG_MINOR] = OF_VERSIONED,
    [KC_AGG_GIT_VERSION] = OF_VERSIONED,
    [KC_AGG_MINOR_VENDOR] = OF_VERSIONED,
    [KC_AGG_EOL] = OF_VERSIONED_1X,
    [KC_AGG_VENDOR] = OF_KUBERNETES,
    [KC_AGG_POSTURE] = OF_KUBERNETES,
    [KC_AGG_PORT] = OF_KUBERNETES,
    [KC_AGG_COUNTRY] = OF_KUBERNETES,
    [KC_AGG_ASN] = OF_KUBERNETES,
    [KC_AGG_POSTURE_VENDOR] = OF_KUBERNETES,
};

const char *kc_agg_denominator_str(enum kc_agg a)
{
    static const char *const names[] = {
        [OF_KUBERNETES] = "kubernetes",
        [OF_VERSIONED] = "versioned",
        [OF_VERSIONED_1X] = "versioned_1x",
    };
    return (unsigned)a < KC_AGG__COUNT ? names[agg_denominator[a]] : "?";
}

uint64_t kc_report_denominator(const struct kc_report *r, enum kc_agg a)
{
    if ((unsigned)a >= KC_AGG__COUNT)
        return 0;
    switch (agg_denominator[a]) {
    case OF_KUBERNETES:
        return r->total;
    case OF_VERSIONED:
        return r->versioned;
    case OF_VERSIONED_1X:
        return r->total - r->eol[KC_EOL_NO_VERSION];
    }
    return 0;
}

#define PPM 1000000u

/* An entry's remainder after the floor of its share, in units of
 * 1/denominator millionths. */
struct remainder {
    uint64_t rem;
    size_t index;
};

static int cmp_remainder(const void *pa, const void *pb)
{
    const struct remainder *a = pa, *b = pb;
    if (a->rem != b->rem)
        return a->rem > b->rem ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Shares in millionths by largest remainder: each entry gets the floor of
 * its exact share, and the millionths left over (fewer than the entries)
 * go one each to the largest remainders, ties to the earlier entry, so
 * the printed shares of an aggregation add up to exactly 1.000000. rem is
 * scratch for g->n entries. */
static void set_shares(struct kc_report *r, enum kc_agg a,
                       struct remainder *rem)
{
    uint64_t denom = kc_report_denominator(r, a), given = 0;
    struct agg *g = &r->aggs[a];
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        struct kc_agg_entry *e = &g->v[i];
        /* Rows without a version stay outside the version shares. */
        e->has_share = denom > 0 && !e->no_version;
        e->share_ppm = 0;
        if (!e->has_share)
            continue;
        /* hosts <= denom, and denom * PPM fits 64 bits below 1.8e13 units */
        uint64_t x = e->hosts * PPM;
        e->share_ppm = (uint32_t)(x / denom);
        rem[n++] = (struct remainder){x % denom, i};
        given += e->share_ppm;
    }
    qsort(rem, n, sizeof(*rem), cmp_remainder);
    for (size_t k = 0; k < n && given < PPM; k++, given++)
        g->v[rem[k].index].share_ppm++;
    for (size_t i = 0; i < g->n; i++)
        g->v[i].share = g->v[i].share_ppm / (double)PPM;
}

/* The documented names of missing values, so that no key is empty. */
static const char *const missing_key[KC_AGG__COUNT] = {
    [KC_AGG_MINOR] = KC_KEY_NO_VERSION,
    [KC_AGG_GIT_VERSION] = KC_KEY_NO_VERSION,
    [KC_AGG_VENDOR] = KC_KEY_NOT_RECORDED,
    [KC_AGG_POSTURE] = KC_KEY_NOT_RECORDED,
    [KC_AGG_PORT] = KC_KEY_UNKNOWN,
    [KC_AGG_COUNTRY] = KC_KEY_UNKNOWN,
    [KC_AGG_ASN] = KC_KEY_UNKNOWN,
    [KC_AGG_EOL] = KC_KEY_NO_VERSION,
    [KC_AGG_POSTURE_VENDOR] = KC_KEY_NOT_RECORDED,
    [KC_AGG_MINOR_VENDOR] = KC_KEY_NO_VERSION,
};

static int name_key(const char **key, size_t *len, const char *name)
{
    char *s;
    if (*len > 0)
        return 0;
    s = strdup(name);
    if (s == NULL)
        return -ENOMEM;
    free((char *)*key);
    *key = s;
    *len = strlen(s);
    return 0;
}

/* After sorting (missing values sort last): empty keys get their names.
 * The vendor of the crossed aggregations is the second key; as_org is
 * a description, not a key, and stays empty when unknown. */
static int name_missing(struct kc_report *r, enum kc_agg a)
{
    struct agg *g = &r->aggs[a];
    bool vendor2 = a == KC_AGG_POSTURE_VENDOR || a == KC_AGG_MINOR_VENDOR;
    int rc = 0;
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        struct kc_agg_entry *e = &g->v[i];
        rc = name_key(&e->key, &e->key_len, missing_key[a]);
        if (rc == 0 && vendor2)
            rc = name_key(&e->key2, &e->key2_len, KC_KEY_NOT_RECORDED);
    }
    return rc;
}

static int finish_agg(struct kc_report *r, enum kc_agg a)
{
    struct agg *g = &r->aggs[a];
    struct remainder *rem;
    if (g->n > 1)
        qsort(g->v, g->n, sizeof(*g->v), agg_order[a]);
    rem = calloc(g->n ? g->n : 1, sizeof(*rem));
    if (rem == NULL)
        return -ENOMEM;
    set_shares(r, a, rem);
    free(rem);
    return name_missing(r, a);
}

int kc_report_finish(struct kc_report *r)
{
    int rc;
    if (r->finished)
        return -EINVAL;
    r->finished = true;
    rc = fold_all(r);
    for (size_t a = 0; a < KC_AGG__COUNT && rc == 0; a++)
        rc = finish_agg(r, (enum kc_agg)a);
    return rc;
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

uint64_t kc_report_versioned(const struct kc_report *r)
{
    return r->versioned;
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
