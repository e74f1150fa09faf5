/*
 * plan.c - builds the index space from specs, files and the blocklist, and
 * answers what element e is. Memory is O(ranges) for ranges and 4 bytes per
 * single IPv4 address without a port (8 with one) for lists.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "targets-private.h"

#define U128_MAX (~(kc_u128)0)

static const uint16_t default_ports[] = {443, 6443};

/* Grows *arr (of elem bytes) to hold one more; 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    size_t ncap;
    void *p;
    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 64;
    if ((p = realloc(*arr, ncap * elem)) == NULL)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

void kc_plan_warn(struct kc_targets *t, const char *fmt, ...)
{
    size_t n = strlen(t->warnings);
    va_list ap;
    if (n + 2 >= sizeof(t->warnings))
        return;
    va_start(ap, fmt);
    vsnprintf(t->warnings + n, sizeof(t->warnings) - n, fmt, ap);
    va_end(ap);
    n = strlen(t->warnings);
    if (n + 1 < sizeof(t->warnings)) {
        t->warnings[n] = '\n';
        t->warnings[n + 1] = '\0';
    }
}

static int add_host(struct kc_targets *t, const char *name, uint16_t port)
{
    char *dup;
    if (grow((void **)&t->hosts, &t->cap_hosts, t->n_hosts, sizeof(*t->hosts)))
        return -ENOMEM;
    if ((dup = strdup(name)) == NULL)
        return -ENOMEM;
    t->hosts[t->n_hosts].name = dup;
    t->hosts[t->n_hosts].port = port;
    t->n_hosts++;
    return 0;
}

static int add_one(struct kc_targets *t, const struct kc_spec *sp,
                   uint16_t port)
{
    if (sp->kind == KC_SPEC_HOST) {
        if (port != 0)
            return add_host(t, sp->host, port);
        for (size_t i = 0; i < t->n_ports; i++)
            if (add_host(t, sp->host, t->ports[i]))
                return -ENOMEM;
        return 0;
    }
    if (sp->lo == sp->hi && kc_key_is_v4(sp->lo)) {
        uint32_t v4 = (uint32_t)sp->lo;
        if (port == 0) {
            if (grow((void **)&t->noport, &t->cap_noport, t->n_noport, 4))
                return -ENOMEM;
            t->noport[t->n_noport++] = v4;
        } else {
            if (grow((void **)&t->withport, &t->cap_withport, t->n_withport,
                     8))
                return -ENOMEM;
            t->withport[t->n_withport++] = (uint64_t)v4 << 16 | port;
        }
        return 0;
    }
    if (grow((void **)&t->raw, &t->cap_raw, t->n_raw, sizeof(*t->raw)))
        return -ENOMEM;
    t->raw[t->n_raw].lo = sp->lo;
    t->raw[t->n_raw].hi = sp->hi;
    t->raw[t->n_raw].port = port;
    t->n_raw++;
    return 0;
}

int kc_plan_add(struct kc_targets *t, const struct kc_spec *sp,
                const uint16_t *ports, size_t n_ports, bool from_list)
{
    if (n_ports == 0) {
        if (sp->port == 0 && from_list)
            t->warned_noport = true;
        return add_one(t, sp, sp->port);
    }
    for (size_t i = 0; i < n_ports; i++)
        if (add_one(t, sp, ports[i]))
            return -ENOMEM;
    return 0;
}

/* ---- reading files ---- */

static int bad_line(struct kc_targets *t, const char *name, uint64_t lineno,
                    const char *text, struct kc_error *err)
{
    if (!t->skip_bad)
        return kc_error_set(err, -EINVAL, "%s:%llu: bad target '%.100s'",
                            name, (unsigned long long)lineno, text);
    if (t->counts.invalid++ == 0)
        kc_plan_warn(t, "%s:%llu: skipped bad target '%.100s'", name,
                     (unsigned long long)lineno, text);
    return 0;
}

static int load_file(struct kc_targets *t, const char *path,
                     enum kc_input_format fmt, struct kc_error *err)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, copy[128];
    size_t cap = 0;
    uint64_t lineno = 0;
    struct kc_zmap_cols zc;
    struct kc_line_items it;
    int rc = 0;

    if (f == NULL)
        return kc_error_set(err, -errno, "%s: %s", path, strerror(errno));
    kc_zmap_cols_init(&zc);
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (kc_input_line_blank(line))
            continue;
        if (fmt == KC_INPUT_AUTO)
            fmt = kc_input_detect(line);
        kc_strlcpy(copy, line, sizeof(copy));
        copy[strcspn(copy, "\r\n")] = '\0';
        switch (kc_input_parse_line(fmt, line, &zc, &it)) {
        case KC_LINE_ITEM:
            if (kc_plan_add(t, &it.spec, it.ports, it.n_ports, true))
                rc = kc_error_set(err, -ENOMEM, "out of memory");
            break;
        case KC_LINE_SKIP:
            break;
        case KC_LINE_BAD:
            rc = bad_line(t, path, lineno, copy, err);
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = kc_error_set(err, -EIO, "%s: read error", path);
    free(line);
    fclose(f);
    return rc;
}

/* ---- building the index space ---- */

static int raw_cmp(const void *a, const void *b)
{
    const struct kc_raw *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return 0;
}

static uint64_t sat64(kc_u128 v)
{
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static void count_add(uint64_t *c, kc_u128 v)
{
    kc_u128 s = (kc_u128)*c + v;
    *c = sat64(s);
}

/* Ranges without a port of their own take every default port. */
static int expand_raw_ports(struct kc_targets *t)
{
    size_t n = t->n_raw;
    for (size_t i = 0; i < n; i++) {
        if (t->raw[i].port != 0)
            continue;
        t->raw[i].port = t->ports[0];
        for (size_t p = 1; p < t->n_ports; p++) {
            if (grow((void **)&t->raw, &t->cap_raw, t->n_raw, sizeof(*t->raw)))
                return -ENOMEM;
            t->raw[t->n_raw] = t->raw[i];
            t->raw[t->n_raw].port = t->ports[p];
            t->n_raw++;
        }
    }
    return 0;
}

static int add_piece(struct kc_targets *t, size_t *cap, kc_u128 lo,
                     kc_u128 hi, uint16_t port, kc_u128 *total,
                     struct kc_error *err)
{
    kc_u128 count = hi - lo + 1;
    if (hi - lo == U128_MAX || count > UINT64_MAX - *total)
        return kc_error_set(err, -E2BIG,
                            "too many targets: the ranges hold more than "
                            "2^64 (address, port) pairs");
    if (grow((void **)&t->pieces, cap, t->n_pieces, sizeof(*t->pieces)))
        return kc_error_set(err, -ENOMEM, "out of memory");
    t->pieces[t->n_pieces].lo = lo;
    t->pieces[t->n_pieces].start = (uint64_t)*total;
    t->pieces[t->n_pieces].count = (uint64_t)count;
    t->pieces[t->n_pieces].port = port;
    t->n_pieces++;
    *total += count;
    return 0;
}

/* One port's ranges: merge (overlaps are duplicates), cut the blocklist,
 * keep the allowlist, append as pieces. */
static int build_port_group(struct kc_targets *t, size_t from, size_t to,
                            size_t *cap, kc_u128 *total, struct kc_error *err)
{
    struct kc_ivals s = {0};
    kc_u128 removed;
    int rc = 0;
    for (size_t i = from; i < to && rc == 0; i++)
        rc = kc_ivals_add(&s, t->raw[i].lo, t->raw[i].hi);
    if (rc < 0)
        goto oom;
    count_add(&t->counts.duplicates, kc_ivals_normalize(&s));
    if (kc_ivals_subtract(&s, &t->block, &removed))
        goto oom;
    count_add(&t->counts.excluded, removed);
    if (t->has_allow) {
        if (kc_ivals_intersect(&s, &t->allow, &removed))
            goto oom;
        count_add(&t->counts.excluded, removed);
    }
    for (size_t i = 0; i < s.n && rc == 0; i++)
        rc = add_piece(t, cap, s.v[i].lo, s.v[i].hi, t->raw[from].port, total,
                       err);
    kc_ivals_free(&s);
    return rc;
oom:
    kc_ivals_free(&s);
    return kc_error_set(err, -ENOMEM, "out of memory");
}

static int build_pieces(struct kc_targets *t, struct kc_error *err)
{
    size_t cap = 0, from = 0;
    kc_u128 total = 0;
    if (expand_raw_ports(t))
        return kc_error_set(err, -ENOMEM, "out of memory");
    if (t->n_raw > 0)
        qsort(t->raw, t->n_raw, sizeof(*t->raw), raw_cmp);
    for (size_t i = 1; i <= t->n_raw; i++) {
        if (i < t->n_raw && t->raw[i].port == t->raw[from].port)
            continue;
        int rc = build_port_group(t, from, i, &cap, &total, err);
        if (rc < 0)
            return rc;
        from = i;
    }
    t->piece_targets = (uint64_t)total;
    free(t->raw);
    t->raw = NULL;
    t->n_raw = t->cap_raw = 0;
    return 0;
}

bool kc_plan_excluded(const struct kc_targets *t, kc_u128 key)
{
    return kc_ivals_contains(&t->block, key) ||
           (t->has_allow && !kc_ivals_contains(&t->allow, key));
}

static bool piece_contains(const struct kc_targets *t, kc_u128 key,
                           uint16_t port)
{
    size_t lo = 0, hi = t->n_pieces;
    /* First piece after (port, key). */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct kc_piece *p = &t->pieces[mid];
        if (p->port < port || (p->port == port && p->lo <= key))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct kc_piece *p = &t->pieces[lo - 1];
    return p->port == port && key - p->lo < p->count;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool noport_has(const struct kc_targets *t, uint32_t v4)
{
    return t->n_noport &&
           bsearch(&v4, t->noport, t->n_noport, 4, u32_cmp) != NULL;
}

static bool is_default_port(const struct kc_targets *t, uint16_t port)
{
    for (size_t i = 0; i < t->n_ports; i++)
        if (t->ports[i] == port)
            return true;
    return false;
}

/* Single addresses without a port: dedupe, blocklist, and drop the ports a
 * range already covers (a partly covered address moves to withport). */
static int build_noport(struct kc_targets *t)
{
    size_t w = 0;
    if (t->n_noport == 0)
        return 0;
    qsort(t->noport, t->n_noport, 4, u32_cmp);
    for (size_t r = 0; r < t->n_noport; r++) {
        uint32_t v4 = t->noport[r];
        kc_u128 key = KC_V4_BASE | v4;
        size_t covered = 0;
        if (w > 0 && t->noport[w - 1] == v4) {
            t->counts.duplicates += t->n_ports;
            continue;
        }
        if (kc_plan_excluded(t, key)) {
            t->counts.excluded += t->n_ports;
            continue;
        }
        for (size_t p = 0; p < t->n_ports; p++)
            covered += piece_contains(t, key, t->ports[p]);
        t->counts.duplicates += covered;
        if (covered == 0) {
            t->noport[w++] = v4;
            continue;
        }
        for (size_t p = 0; p < t->n_ports; p++) {
            if (piece_contains(t, key, t->ports[p]))
                continue;
            if (grow((void **)&t->withport, &t->cap_withport, t->n_withport,
                     8))
                return -ENOMEM;
            t->withport[t->n_withport++] = (uint64_t)v4 << 16 | t->ports[p];
        }
    }
    t->n_noport = w;
    return 0;
}

static void build_withport(struct kc_targets *t)
{
    size_t w = 0;
    if (t->n_withport == 0)
        return;
    qsort(t->withport, t->n_withport, 8, u64_cmp);
    for (size_t r = 0; r < t->n_withport; r++) {
        uint64_t v = t->withport[r];
        uint16_t port = (uint16_t)v;
        kc_u128 key = KC_V4_BASE | (uint32_t)(v >> 16);
        if (w > 0 && t->withport[w - 1] == v) {
            t->counts.duplicates++;
        } else if (kc_plan_excluded(t, key)) {
            t->counts.excluded++;
        } else if (piece_contains(t, key, port) ||
                   (is_default_port(t, port) &&
                    noport_has(t, (uint32_t)(v >> 16)))) {
            t->counts.duplicates++;
        } else {
            t->withport[w++] = v;
        }
    }
    t->n_withport = w;
}

static int host_cmp(const void *a, const void *b)
{
    const struct kc_host *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->port > y->port) - (x->port < y->port);
}

static void build_hosts(struct kc_targets *t)
{
    size_t w = 0;
    if (t->n_hosts == 0)
        return;
    qsort(t->hosts, t->n_hosts, sizeof(*t->hosts), host_cmp);
    for (size_t r = 0; r < t->n_hosts; r++) {
        if (w > 0 && host_cmp(&t->hosts[w - 1], &t->hosts[r]) == 0) {
            free(t->hosts[r].name);
            t->counts.duplicates++;
            continue;
        }
        t->hosts[w++] = t->hosts[r];
    }
    t->n_hosts = w;
}

bool kc_plan_contains(const struct kc_targets *t, kc_u128 key, uint16_t port)
{
    if (piece_contains(t, key, port))
        return true;
    if (!kc_key_is_v4(key))
        return false;
    uint32_t v4 = (uint32_t)key;
    uint64_t packed = (uint64_t)v4 << 16 | port;
    return (is_default_port(t, port) && noport_has(t, v4)) ||
           (t->n_withport &&
            bsearch(&packed, t->withport, t->n_withport, 8, u64_cmp));
}

bool kc_plan_has_host(const struct kc_targets *t, const char *name,
                      uint16_t port)
{
    struct kc_host k = {.name = (char *)name, .port = port};
    return t->n_hosts &&
           bsearch(&k, t->hosts, t->n_hosts, sizeof(k), host_cmp) != NULL;
}

static int build(struct kc_targets *t, struct kc_error *err)
{
    kc_u128 total;
    uint32_t s = t->shard_count, i = t->shard_index;
    int rc = build_pieces(t, err);
    if (rc < 0)
        return rc;
    if (build_noport(t))
        return kc_error_set(err, -ENOMEM, "out of memory");
    build_withport(t);
    build_hosts(t);
    total = (kc_u128)t->piece_targets + (kc_u128)t->n_noport * t->n_ports +
            t->n_withport + t->n_hosts;
    if (total > UINT64_MAX)
        return kc_error_set(err, -E2BIG, "too many targets (over 2^64)");
    t->total = (uint64_t)total;
    t->shard_total = t->total > i ? (t->total - i - 1) / s + 1 : 0;
    kc_perm_init(&t->perm, t->total, t->seed);
    return 0;
}

/* ---- element lookup ---- */

void kc_plan_element(const struct kc_targets *t, uint64_t e,
                     struct kc_target *out)
{
    out->host[0] = '\0';
    if (e < t->piece_targets) {
        kc_plan_piece_element(t, e, out);
        return;
    }
    e -= t->piece_targets;
    if (e < (uint64_t)t->n_noport * t->n_ports) {
        kc_addr_set_v4(&out->addr, t->noport[e / t->n_ports]);
        out->port = t->ports[e % t->n_ports];
        return;
    }
    e -= (uint64_t)t->n_noport * t->n_ports;
    if (e < t->n_withport) {
        kc_addr_set_v4(&out->addr, (uint32_t)(t->withport[e] >> 16));
        out->port = (uint16_t)t->withport[e];
        return;
    }
    e -= t->n_withport;
    memset(&out->addr, 0, sizeof(out->addr));
    kc_strlcpy(out->host, t->hosts[e].name, sizeof(out->host));
    out->port = t->hosts[e].port;
}

/* ---- public API ---- */

static uint64_t random_seed(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof(s), 0) == (ssize_t)sizeof(s))
        return s;
    return (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
}

static int configure(struct kc_targets *t, const struct kc_targets_config *cfg,
                     struct kc_error *err)
{
    if (cfg->n_ports > KC_TARGETS_MAX_PORTS)
        return kc_error_set(err, -EINVAL, "too many ports (max %d)",
                            KC_TARGETS_MAX_PORTS);
    if (cfg->n_ports == 0) {
        memcpy(t->ports, default_ports, sizeof(default_ports));
        t->n_ports = KC_ARRAY_LEN(default_ports);
    } else {
        memcpy(t->ports, cfg->ports, cfg->n_ports * sizeof(cfg->ports[0]));
        t->n_ports = cfg->n_ports;
    }
    for (size_t i = 0; i < t->n_ports; i++)
        if (t->ports[i] == 0)
            return kc_error_set(err, -EINVAL, "port 0 is not a target port");
    t->shard_count = cfg->shard_count ? cfg->shard_count : 1;
    t->shard_index = cfg->shard_index;
    if (t->shard_index >= t->shard_count)
        return kc_error_set(err, -EINVAL, "shard %u/%u: index out of range",
                            t->shard_index, t->shard_count);
    t->seed = cfg->seed_set ? cfg->seed : random_seed();
    t->skip_bad = cfg->skip_bad;
    return 0;
}

static int load_specs(struct kc_targets *t, const struct kc_targets_config *cfg,
                      struct kc_error *err)
{
    for (size_t i = 0; i < cfg->n_specs; i++) {
        struct kc_spec sp;
        int rc;
        if (!kc_spec_parse(cfg->specs[i], &sp)) {
            rc = bad_line(t, "command line", i + 1, cfg->specs[i], err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (kc_plan_add(t, &sp, NULL, 0, false))
            return kc_error_set(err, -ENOMEM, "out of memory");
    }
    return 0;
}

/* Endpoints carry their own port: -p does not multiply them. */
static int load_endpoints(struct kc_targets *t,
                          const struct kc_targets_config *cfg,
                          struct kc_error *err)
{
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        const struct kc_endpoint *e = &cfg->endpoints[i];
        struct kc_spec sp = {.kind = KC_SPEC_RANGE};
        bool host = e->host != NULL && e->host[0] != '\0';
        /* A name goes through the spec parser: the same rules (and case
         * folding) as a name on the command line. */
        bool ok = host ? kc_spec_parse(e->host, &sp) &&
                             sp.kind == KC_SPEC_HOST && sp.port == 0
                       : e->addr.family != 0;
        if (!ok || e->port == 0) {
            t->counts.invalid++;
            continue;
        }
        if (!host)
            sp.lo = sp.hi = kc_key_from_addr(&e->addr);
        if (add_one(t, &sp, e->port))
            return kc_error_set(err, -ENOMEM, "out of memory");
    }
    return 0;
}

static int load_inputs(struct kc_targets *t,
                       const struct kc_targets_config *cfg,
                       struct kc_error *err)
{
    int stream_fd = -1;
    for (size_t i = 0; i < cfg->n_inputs; i++) {
        int rc;
        if (strcmp(cfg->inputs[i], "-") == 0) {
            if (stream_fd >= 0)
                return kc_error_set(err, -EINVAL, "stdin ('-') given twice");
            stream_fd = cfg->stream_fd;
            continue;
        }
        if ((rc = load_file(t, cfg->inputs[i], cfg->input_format, err)) < 0)
            return rc;
    }
    if (t->warned_noport && !cfg->ports_explicit)
        kc_plan_warn(t, "targets from input files without a port take the "
                        "default ports 443,6443 (give -p to choose)");
    if (stream_fd < 0)
        return 0;
    if (!cfg->ports_explicit)
        kc_plan_warn(t, "stdin lines without a port take the default ports "
                        "443,6443 (give -p to choose)");
    return kc_stream_open(t, stream_fd, cfg->input_format, err);
}

int kc_targets_new(const struct kc_targets_config *cfg,
                   struct kc_targets **out, struct kc_error *err)
{
    struct kc_targets *t = calloc(1, sizeof(*t));
    int rc;
    *out = NULL;
    if (t == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    if ((rc = configure(t, cfg, err)) < 0 ||
        (rc = kc_blocklist_build(cfg, &t->block, &t->allow, t->lifts,
                                 sizeof(t->lifts), err)) < 0)
        goto fail;
    t->has_allow = cfg->allowlist_file != NULL;
    kc_ivals_sha256(&t->block, t->block_sha256);
    if ((rc = load_specs(t, cfg, err)) < 0 ||
        (rc = load_endpoints(t, cfg, err)) < 0 ||
        (rc = load_inputs(t, cfg, err)) < 0 || (rc = build(t, err)) < 0)
        goto fail;
    *out = t;
    return 0;
fail:
    kc_targets_free(t);
    return rc;
}

void kc_targets_free(struct kc_targets *t)
{
    if (t == NULL)
        return;
    kc_ivals_free(&t->block);
    kc_ivals_free(&t->allow);
    free(t->raw);
    free(t->pieces);
    free(t->noport);
    free(t->withport);
    for (size_t i = 0; i < t->n_hosts; i++)
        free(t->hosts[i].name);
    free(t->hosts);
    kc_stream_free(t->stream);
    free(t);
}

uint64_t kc_targets_seed(const struct kc_targets *t)
{
    return t->seed;
}

void kc_targets_counts(const struct kc_targets *t,
                       struct kc_targets_counts *out)
{
    *out = t->counts;
    out->targets = t->shard_total + (t->stream ? t->stream->emitted : 0);
}

bool kc_targets_is_stream(const struct kc_targets *t)
{
    return t->stream != NULL;
}

bool kc_targets_blocked(const struct kc_targets *t, const struct kc_addr *a)
{
    return kc_plan_excluded(t, kc_key_from_addr(a));
}

void kc_targets_blocklist_sha256(const struct kc_targets *t,
                                 char out[KC_SHA256_HEX])
{
    memcpy(out, t->block_sha256, KC_SHA256_HEX);
}

const char *kc_targets_lifts(const struct kc_targets *t)
{
    return t->lifts;
}

const char *kc_targets_warnings(const struct kc_targets *t)
{
    return t->warnings;
}
