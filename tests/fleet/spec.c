/*
 * spec.c - the fleet spec (JSON, parsed with jansson) and the member plan
 * built from it. Every choice (behaviour, fault, version, key, latency) is
 * apportioned exactly from the spec's weights (largest remainder), then
 * shuffled with the seed, so a spec and a seed always give the same plan.
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

/* ---- names ---- */

static const char *const behaviour_names[FLEET_B__COUNT] = {
    [FLEET_B_OPEN] = "open",
    [FLEET_B_LIMITED] = "limited",
    [FLEET_B_RBAC_DENIED] = "rbac_denied",
    [FLEET_B_DISABLED] = "disabled",
    [FLEET_B_WIDE_OPEN] = "wide_open",
    [FLEET_B_LEGACY] = "legacy",
    [FLEET_B_ALWAYS_ALLOW] = "always_allow",
    [FLEET_B_NOT_K8S_HTML] = "not_kubernetes_html",
    [FLEET_B_NOT_K8S_JSON] = "not_kubernetes_json",
};

static const char *const fault_names[FLEET_F__COUNT] = {
    [FLEET_F_NONE] = "none",
    [FLEET_F_REFUSED] = "refused",
    [FLEET_F_SILENT_TLS] = "silent_tls",
    [FLEET_F_SILENT_RESPONSE] = "silent_response",
    [FLEET_F_RESET] = "reset",
    [FLEET_F_TLS_GARBAGE] = "tls_garbage",
};

static const char *const http_names[FLEET_H__COUNT] = {
    [FLEET_H_KEEP_ALIVE] = "keep_alive",
    [FLEET_H_CLOSE] = "close",
    [FLEET_H_HTTP10] = "http10",
    [FLEET_H_EOF_BODY] = "eof_body",
    [FLEET_H_INTERIM] = "interim",
    [FLEET_H_RENEGOTIATE] = "renegotiate",
    [FLEET_H_CHUNKED] = "chunked",
};

static const char *const cert_names[FLEET_CERT__COUNT] = {
    [FLEET_CERT_KUBEADM] = "kubeadm",
    [FLEET_CERT_K3S] = "k3s",
    [FLEET_CERT_EKS] = "eks",
    [FLEET_CERT_WEB] = "web",
};

static bool name_parse(const char *const *names, size_t n, const char *s,
                       int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (names[i] && strcmp(names[i], s) == 0) {
            *out = (int)i;
            return true;
        }
    }
    return false;
}

const char *fleet_behaviour_str(enum fleet_behaviour b)
{
    return (unsigned)b < FLEET_B__COUNT ? behaviour_names[b] : "?";
}
bool fleet_behaviour_parse(const char *s, enum fleet_behaviour *out)
{
    int v;
    if (!name_parse(behaviour_names, FLEET_B__COUNT, s, &v))
        return false;
    *out = (enum fleet_behaviour)v;
    return true;
}
const char *fleet_fault_str(enum fleet_fault f)
{
    return (unsigned)f < FLEET_F__COUNT ? fault_names[f] : "?";
}
bool fleet_fault_parse(const char *s, enum fleet_fault *out)
{
    int v;
    if (!name_parse(fault_names, FLEET_F__COUNT, s, &v))
        return false;
    *out = (enum fleet_fault)v;
    return true;
}
const char *fleet_cert_profile_str(enum fleet_cert_profile p)
{
    return (unsigned)p < FLEET_CERT__COUNT ? cert_names[p] : "?";
}
bool fleet_cert_profile_parse(const char *s, enum fleet_cert_profile *out)
{
    int v;
    if (!name_parse(cert_names, FLEET_CERT__COUNT, s, &v))
        return false;
    *out = (enum fleet_cert_profile)v;
    return true;
}

/* ---- deterministic randomness ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void shuffle_u32(uint32_t *v, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = splitmix64(rng) % i;
        uint32_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/*
 * Apportions n slots among k weights by largest remainder, writes the
 * choice index per slot into out[0..n) and shuffles it. Weights must sum
 * to > 0.
 */
static void apportion(const double *w, size_t k, uint32_t n, uint32_t *out,
                      uint64_t *rng)
{
    double total = 0;
    for (size_t i = 0; i < k; i++)
        total += w[i];
    uint32_t *cnt = calloc(k, sizeof(*cnt));
    double *rem = calloc(k, sizeof(*rem));
    uint32_t given = 0;
    if (!cnt || !rem) {
        /* Out of memory: everyone gets choice 0 (still a valid plan). */
        memset(out, 0, sizeof(*out) * n);
        free(cnt);
        free(rem);
        return;
    }
    for (size_t i = 0; i < k; i++) {
        double exact = w[i] / total * n;
        cnt[i] = (uint32_t)exact;
        rem[i] = exact - cnt[i];
        given += cnt[i];
    }
    while (given < n) {
        size_t best = 0;
        for (size_t i = 1; i < k; i++)
            if (rem[i] > rem[best])
                best = i;
        cnt[best]++;
        rem[best] = -1;
        given++;
    }
    size_t pos = 0;
    for (size_t i = 0; i < k; i++)
        for (uint32_t j = 0; j < cnt[i] && pos < n; j++)
            out[pos++] = (uint32_t)i;
    shuffle_u32(out, n, rng);
    free(cnt);
    free(rem);
}

/* ---- string pool ---- */

static const char *pool_add(struct fleet_plan *p, const char *s)
{
    for (size_t i = 0; i < p->n_strings; i++)
        if (strcmp(p->strings[i], s) == 0)
            return p->strings[i];
    char **grown = realloc(p->strings, (p->n_strings + 1) * sizeof(char *));
    if (!grown)
        return NULL;
    p->strings = grown;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    p->strings[p->n_strings++] = copy;
    return copy;
}

/* ---- weighted lists from the spec ---- */

struct weights {
    size_t n;
    const char **names; /* pooled (versions) or borrowed from JSON */
    double *w;
};

static void weights_free(struct weights *w)
{
    free(w->names);
    free(w->w);
    memset(w, 0, sizeof(*w));
}

static int weights_push(struct weights *w, const char *name, double v)
{
    const char **nn = realloc(w->names, (w->n + 1) * sizeof(*nn));
    if (!nn)
        return -ENOMEM;
    w->names = nn;
    double *nw = realloc(w->w, (w->n + 1) * sizeof(*nw));
    if (!nw)
        return -ENOMEM;
    w->w = nw;
    w->names[w->n] = name;
    w->w[w->n++] = v;
    return 0;
}

/* {"name": weight, ...} */
static int weights_from_object(json_t *obj, const char *what,
                               struct weights *w, struct kc_error *err)
{
    const char *key;
    json_t *val;
    if (!json_is_object(obj))
        return kc_error_set(err, -EINVAL, "%s: expected an object of weights",
                            what);
    json_object_foreach(obj, key, val) {
        if (!json_is_number(val) || json_number_value(val) < 0)
            return kc_error_set(err, -EINVAL,
                                "%s: weight of \"%s\" must be a number >= 0",
                                what, key);
        if (weights_push(w, key, json_number_value(val)) < 0)
            return kc_error_set(err, -ENOMEM, "out of memory");
    }
    double total = 0;
    for (size_t i = 0; i < w->n; i++)
        total += w->w[i];
    if (total <= 0)
        return kc_error_set(err, -EINVAL, "%s: weights sum to 0", what);
    return 0;
}

/* A Censys bucket file: "git_version,count" with a header line. */
static int weights_from_csv(struct fleet_plan *p, const char *path,
                            struct weights *w, struct kc_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return kc_error_set(err, -errno, "%s: %s", path, strerror(errno));
    char line[512];
    int rc = 0;
    unsigned lineno = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *comma = strrchr(line, ',');
        uint64_t count;
        if (lineno == 1 && strncmp(line, "git_version,", 12) == 0)
            continue;
        if (!comma || comma == line ||
            !kc_parse_u64(comma + 1, 0, UINT64_MAX / 2, &count)) {
            rc = kc_error_set(err, -EINVAL, "%s:%u: expected git_version,count",
                              path, lineno);
            break;
        }
        *comma = 0;
        const char *name = pool_add(p, line);
        if (!name || weights_push(w, name, (double)count) < 0)
            rc = kc_error_set(err, -ENOMEM, "out of memory");
    }
    fclose(f);
    if (rc == 0 && w->n == 0)
        rc = kc_error_set(err, -EINVAL, "%s: no versions", path);
    return rc;
}

/* ---- groups ---- */

struct group_ctx {
    struct fleet_plan *plan;
    const char *dir;
    const char *name;
    uint64_t *rng;
    uint32_t first; /* index of the group's first member */
    uint32_t count;
};

static int group_ports(const struct group_ctx *g, json_t *grp, uint8_t *mask,
                       struct kc_error *err)
{
    json_t *ports = json_object_get(grp, "ports");
    size_t i;
    json_t *v;
    if (!ports) {
        *mask = (uint8_t)((1u << g->plan->n_ports) - 1);
        return 0;
    }
    if (!json_is_array(ports))
        return kc_error_set(err, -EINVAL, "group %s: ports must be an array",
                            g->name);
    *mask = 0;
    json_array_foreach(ports, i, v) {
        size_t k;
        for (k = 0; k < g->plan->n_ports; k++)
            if (json_is_integer(v) &&
                json_integer_value(v) == g->plan->ports[k])
                break;
        if (k == g->plan->n_ports)
            return kc_error_set(err, -EINVAL,
                                "group %s: port not among the fleet's ports",
                                g->name);
        *mask |= (uint8_t)(1u << k);
    }
    return 0;
}

/* Applies a weighted enum choice to every member of the group. */
typedef bool (*enum_parse_fn)(const char *s, int *out);

static int group_enum(const struct group_ctx *g, json_t *grp, const char *key,
                      const char *deflt, bool (*parse)(const char *, int *),
                      size_t field_off, uint32_t *slots, struct kc_error *err)
{
    struct weights w = {0};
    json_t *obj = json_object_get(grp, key);
    int rc = 0;
    if (obj) {
        rc = weights_from_object(obj, key, &w, err);
    } else if (weights_push(&w, deflt, 1) < 0) {
        rc = kc_error_set(err, -ENOMEM, "out of memory");
    }
    int *vals = rc == 0 ? calloc(w.n, sizeof(int)) : NULL;
    if (rc == 0 && !vals)
        rc = kc_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < w.n; i++)
        if (!parse(w.names[i], &vals[i]))
            rc = kc_error_set(err, -EINVAL, "group %s: unknown %s \"%s\"",
                              g->name, key, w.names[i]);
    if (rc == 0) {
        apportion(w.w, w.n, g->count, slots, g->rng);
        for (uint32_t i = 0; i < g->count; i++) {
            struct fleet_member *m = &g->plan->members[g->first + i];
            *(int *)((char *)m + field_off) = vals[slots[i]];
        }
    }
    free(vals);
    weights_free(&w);
    return rc;
}

const char *fleet_http_str(enum fleet_http h)
{
    return (unsigned)h < FLEET_H__COUNT ? http_names[h] : "?";
}
bool fleet_http_parse(const char *s, enum fleet_http *out)
{
    int v;
    if (!name_parse(http_names, FLEET_H__COUNT, s, &v))
        return false;
    *out = (enum fleet_http)v;
    return true;
}
bool fleet_http_closes(enum fleet_http h)
{
    switch (h) {
    case FLEET_H_CLOSE:
    case FLEET_H_HTTP10:
    case FLEET_H_EOF_BODY:
        return true;
    case FLEET_H_KEEP_ALIVE:
    case FLEET_H_INTERIM:
    case FLEET_H_RENEGOTIATE:
    case FLEET_H_CHUNKED:
    case FLEET_H__COUNT:
        break;
    }
    return false;
}
static bool parse_http_int(const char *s, int *out)
{
    enum fleet_http v;
    if (!fleet_http_parse(s, &v))
        return false;
    *out = (int)v;
    return true;
}
static bool parse_behaviour_int(const char *s, int *out)
{
    enum fleet_behaviour v;
    if (!fleet_behaviour_parse(s, &v))
        return false;
    *out = (int)v;
    return true;
}
static bool parse_fault_int(const char *s, int *out)
{
    enum fleet_fault v;
    if (!fleet_fault_parse(s, &v))
        return false;
    *out = (int)v;
    return true;
}
static bool parse_key_int(const char *s, int *out)
{
    if (strcmp(s, "ecdsa") == 0)
        *out = FLEET_KEY_ECDSA;
    else if (strcmp(s, "rsa") == 0)
        *out = FLEET_KEY_RSA;
    else if (strcmp(s, "rsa-pss") == 0)
        *out = FLEET_KEY_RSA_PSS;
    else if (strcmp(s, "p384") == 0)
        *out = FLEET_KEY_P384;
    else if (strcmp(s, "p521") == 0)
        *out = FLEET_KEY_P521;
    else if (strcmp(s, "ed25519") == 0)
        *out = FLEET_KEY_ED25519;
    else
        return false;
    return true;
}

static int group_versions(const struct group_ctx *g, json_t *grp,
                          uint32_t *slots, struct kc_error *err)
{
    struct weights w = {0};
    json_t *file = json_object_get(grp, "versions_file");
    json_t *obj = json_object_get(grp, "versions");
    int rc;
    if (file) {
        char path[1024];
        if (!json_is_string(file))
            return kc_error_set(err, -EINVAL, "group %s: versions_file",
                                g->name);
        const char *fn = json_string_value(file);
        if (fn[0] == '/' || !g->dir)
            kc_strlcpy(path, fn, sizeof(path));
        else
            kc_snprintf(path, sizeof(path), "%s/%s", g->dir, fn);
        rc = weights_from_csv(g->plan, path, &w, err);
    } else if (obj) {
        rc = weights_from_object(obj, "versions", &w, err);
        for (size_t i = 0; rc == 0 && i < w.n; i++) {
            w.names[i] = pool_add(g->plan, w.names[i]);
            if (!w.names[i])
                rc = kc_error_set(err, -ENOMEM, "out of memory");
        }
    } else {
        const char *v = pool_add(g->plan, "v1.29.2");
        rc = v && weights_push(&w, v, 1) == 0
                 ? 0
                 : kc_error_set(err, -ENOMEM, "out of memory");
    }
    /* Vendor once per distinct string: the regex rules are not cheap. */
    enum kc_vendor *vendors = rc == 0 ? calloc(w.n, sizeof(*vendors)) : NULL;
    if (rc == 0 && !vendors)
        rc = kc_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < w.n; i++)
        vendors[i] = fleet_vendor_of(w.names[i]);
    if (rc == 0) {
        apportion(w.w, w.n, g->count, slots, g->rng);
        for (uint32_t i = 0; i < g->count; i++) {
            struct fleet_member *m = &g->plan->members[g->first + i];
            m->git_version = w.names[slots[i]];
            m->vendor = vendors[slots[i]];
        }
    }
    free(vendors);
    weights_free(&w);
    return rc;
}

/* The certificate profile a member of this vendor would present. */
static enum fleet_cert_profile auto_cert(const struct fleet_member *m)
{
    if (m->behaviour == FLEET_B_NOT_K8S_HTML ||
        m->behaviour == FLEET_B_NOT_K8S_JSON)
        return FLEET_CERT_WEB;
    switch (m->vendor) {
    case KC_VENDOR_K3S:
    case KC_VENDOR_RKE2:
        return FLEET_CERT_K3S;
    case KC_VENDOR_EKS:
        return FLEET_CERT_EKS;
    default:
        return FLEET_CERT_KUBEADM;
    }
}

static int group_latency(const struct group_ctx *g, json_t *grp,
                         struct kc_error *err)
{
    json_t *lat = json_object_get(grp, "latency_ms");
    json_int_t lo = 0, hi = 0;
    if (json_is_integer(lat)) {
        lo = hi = json_integer_value(lat);
    } else if (json_is_array(lat) && json_array_size(lat) == 2 &&
               json_is_integer(json_array_get(lat, 0)) &&
               json_is_integer(json_array_get(lat, 1))) {
        lo = json_integer_value(json_array_get(lat, 0));
        hi = json_integer_value(json_array_get(lat, 1));
    } else if (lat) {
        return kc_error_set(err, -EINVAL,
                            "group %s: latency_ms is N or [min, max]", g->name);
    }
    if (lo < 0 || hi < lo || hi > 60000)
        return kc_error_set(err, -EINVAL,
                            "group %s: latency_ms out of range 0..60000",
                            g->name);
    for (uint32_t i = 0; i < g->count; i++) {
        uint64_t span = (uint64_t)(hi - lo) + 1;
        g->plan->members[g->first + i].latency_ms =
            (uint32_t)(lo + (json_int_t)(splitmix64(g->rng) % span));
    }
    return 0;
}

static int group_build(struct group_ctx *g, json_t *grp, struct kc_error *err)
{
    uint8_t mask = 0;
    int rc = group_ports(g, grp, &mask, err);
    uint32_t *slots = calloc(g->count ? g->count : 1, sizeof(*slots));
    if (!slots)
        return kc_error_set(err, -ENOMEM, "out of memory");
    for (uint32_t i = 0; rc == 0 && i < g->count; i++) {
        struct fleet_member *m = &g->plan->members[g->first + i];
        m->id = g->first + i;
        m->addr = g->plan->base + g->first + i;
        m->port_mask = mask;
    }
    if (rc == 0)
        rc = group_enum(g, grp, "behaviours", "open", parse_behaviour_int,
                        offsetof(struct fleet_member, behaviour), slots, err);
    if (rc == 0)
        rc = group_enum(g, grp, "faults", "none", parse_fault_int,
                        offsetof(struct fleet_member, fault), slots, err);
    if (rc == 0)
        rc = group_enum(g, grp, "keys", "ecdsa", parse_key_int,
                        offsetof(struct fleet_member, key), slots, err);
    if (rc == 0)
        rc = group_versions(g, grp, slots, err);
    if (rc == 0)
        rc = group_latency(g, grp, err);
    json_t *leaf = json_object_get(grp, "leaf");
    bool shared = false;
    if (rc == 0 && leaf) {
        const char *lv = json_string_value(leaf);
        if (lv && strcmp(lv, "shared") == 0)
            shared = true;
        else if (!lv || strcmp(lv, "per_member") != 0)
            rc = kc_error_set(err, -EINVAL,
                              "group %s: leaf is \"per_member\" or \"shared\"",
                              g->name);
    }
    json_t *order = json_object_get(grp, "cipher_order");
    const char *ov = order ? json_string_value(order) : "server";
    if (rc == 0 && (!ov || (strcmp(ov, "server") != 0 &&
                            strcmp(ov, "client") != 0)))
        rc = kc_error_set(err, -EINVAL,
                          "group %s: cipher_order is \"server\" or \"client\"",
                          g->name);
    bool client_order = rc == 0 && strcmp(ov, "client") == 0;
    json_t *cert = json_object_get(grp, "cert");
    enum fleet_cert_profile prof = FLEET_CERT_KUBEADM;
    bool auto_prof = !cert || (json_is_string(cert) &&
                               strcmp(json_string_value(cert), "auto") == 0);
    if (rc == 0 && !auto_prof &&
        (!json_is_string(cert) ||
         !fleet_cert_profile_parse(json_string_value(cert), &prof)))
        rc = kc_error_set(err, -EINVAL, "group %s: unknown cert profile",
                          g->name);
    for (uint32_t i = 0; rc == 0 && i < g->count; i++) {
        struct fleet_member *m = &g->plan->members[g->first + i];
        bool k8s = m->behaviour != FLEET_B_NOT_K8S_HTML &&
                   m->behaviour != FLEET_B_NOT_K8S_JSON;
        if (!k8s) {
            m->git_version = NULL;
            m->vendor = KC_VENDOR_NONE;
        }
        m->cert = auto_prof ? auto_cert(m) : prof;
        m->shared_leaf = shared;
        m->client_order = client_order;
    }
    /* Last, and only when given, so that specs without it keep their
     * plans (every weighted choice draws from the group's generator). */
    if (rc == 0 && json_object_get(grp, "http"))
        rc = group_enum(g, grp, "http", "keep_alive", parse_http_int,
                        offsetof(struct fleet_member, http), slots, err);
    free(slots);
    return rc;
}

/* ---- the plan ---- */

static int plan_ports(struct fleet_plan *p, json_t *root, struct kc_error *err)
{
    json_t *ports = json_object_get(root, "ports");
    size_t i;
    json_t *v;
    if (!ports) {
        p->ports[0] = 443;
        p->ports[1] = 6443;
        p->n_ports = 2;
        return 0;
    }
    if (!json_is_array(ports) || json_array_size(ports) == 0 ||
        json_array_size(ports) > FLEET_MAX_PORTS)
        return kc_error_set(err, -EINVAL, "ports: 1 to %d port numbers",
                            FLEET_MAX_PORTS);
    json_array_foreach(ports, i, v) {
        json_int_t port = json_integer_value(v);
        if (!json_is_integer(v) || port < 1 || port > 65535)
            return kc_error_set(err, -EINVAL, "ports[%zu]: not a port", i);
        for (size_t k = 0; k < i; k++)
            if (p->ports[k] == port)
                return kc_error_set(err, -EINVAL, "ports: %d twice",
                                    (int)port);
        p->ports[i] = (uint16_t)port;
    }
    p->n_ports = json_array_size(ports);
    return 0;
}

static int plan_base(struct fleet_plan *p, json_t *root, struct kc_error *err)
{
    json_t *base = json_object_get(root, "base");
    struct kc_addr a;
    const char *s = base ? json_string_value(base) : "127.16.0.0";
    if (!s || !kc_addr_parse(s, &a) || a.family != 2 /* AF_INET */ ||
        a.bytes[0] != 127)
        return kc_error_set(err, -EINVAL,
                            "base: must be an IPv4 address in 127.0.0.0/8");
    p->base = kc_addr_v4(&a);
    return 0;
}

static int plan_groups(struct fleet_plan *p, json_t *root, uint64_t *rng,
                       const char *dir, struct kc_error *err)
{
    json_t *groups = json_object_get(root, "groups");
    size_t i;
    json_t *grp;
    uint64_t total = 0;
    if (!json_is_array(groups) || json_array_size(groups) == 0)
        return kc_error_set(err, -EINVAL, "groups: a non-empty array");
    json_array_foreach(groups, i, grp) {
        json_t *c = json_object_get(grp, "count");
        if (!json_is_integer(c) || json_integer_value(c) < 1 ||
            json_integer_value(c) > FLEET_MAX_MEMBERS)
            return kc_error_set(err, -EINVAL, "groups[%zu]: count 1..%u", i,
                                FLEET_MAX_MEMBERS);
        total += (uint64_t)json_integer_value(c);
    }
    if (total > FLEET_MAX_MEMBERS ||
        (uint64_t)p->base + total - 1 > 0x7ffffffeu)
        return kc_error_set(err, -EINVAL,
                            "%llu members do not fit after the base address",
                            (unsigned long long)total);
    p->members = calloc(total, sizeof(*p->members));
    if (!p->members)
        return kc_error_set(err, -ENOMEM, "out of memory");
    p->n_members = (uint32_t)total;
    uint32_t first = 0;
    json_array_foreach(groups, i, grp) {
        json_t *name = json_object_get(grp, "name");
        struct group_ctx g = {
            .plan = p, .dir = dir, .rng = rng, .first = first,
            .count = (uint32_t)json_integer_value(json_object_get(grp, "count")),
            .name = json_is_string(name) ? json_string_value(name) : "?",
        };
        int rc = group_build(&g, grp, err);
        if (rc < 0)
            return rc;
        first += g.count;
    }
    return 0;
}

int fleet_plan_parse(struct fleet_plan *plan, const char *json,
                     const char *dir, uint64_t seed_override,
                     struct kc_error *err)
{
    json_error_t jerr;
    memset(plan, 0, sizeof(*plan));
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return kc_error_set(err, -EINVAL, "spec: line %d: %s", jerr.line,
                            jerr.text);
    int rc = 0;
    json_t *seed = json_object_get(root, "seed");
    if (!json_is_object(root))
        rc = kc_error_set(err, -EINVAL, "spec: not a JSON object");
    else if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        rc = kc_error_set(err, -EINVAL, "seed: a non-negative integer");
    if (rc == 0) {
        plan->seed = seed_override ? seed_override
                     : seed        ? (uint64_t)json_integer_value(seed)
                                   : 1;
        rc = plan_ports(plan, root, err);
    }
    if (rc == 0)
        rc = plan_base(plan, root, err);
    uint64_t rng = plan->seed;
    if (rc == 0)
        rc = plan_groups(plan, root, &rng, dir, err);
    json_decref(root);
    if (rc < 0)
        fleet_plan_free(plan);
    return rc;
}

int fleet_plan_load(struct fleet_plan *plan, const char *path,
                    uint64_t seed_override, struct kc_error *err)
{
    FILE *f = fopen(path, "r");
    memset(plan, 0, sizeof(*plan));
    if (!f)
        return kc_error_set(err, -errno, "%s: %s", path, strerror(errno));
    struct kc_buf b;
    kc_buf_init(&b, 16u << 20);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = kc_buf_append(&b, chunk, n);
    fclose(f);
    if (rc == 0 && b.data) {
        b.data[b.len] = 0;
        char *copy = strdup(path);
        if (!copy) {
            rc = kc_error_set(err, -ENOMEM, "out of memory");
        } else {
            rc = fleet_plan_parse(plan, (char *)b.data, dirname(copy),
                                  seed_override, err);
            free(copy);
        }
    } else if (rc == 0) {
        rc = kc_error_set(err, -EINVAL, "%s: empty", path);
    } else {
        rc = kc_error_set(err, rc, "%s: too large (16 MiB max)", path);
    }
    kc_buf_free(&b);
    return rc;
}

void fleet_plan_free(struct fleet_plan *plan)
{
    fleet_certs_release_plan(plan);
    free(plan->members);
    for (size_t i = 0; i < plan->n_strings; i++)
        free(plan->strings[i]);
    free(plan->strings);
    memset(plan, 0, sizeof(*plan));
}

struct fleet_member *fleet_plan_find(const struct fleet_plan *plan,
                                     uint32_t addr)
{
    if (addr < plan->base || addr - plan->base >= plan->n_members)
        return NULL;
    return &plan->members[addr - plan->base];
}

bool fleet_member_listens(const struct fleet_plan *plan,
                          const struct fleet_member *m, size_t port_index)
{
    return port_index < plan->n_ports && m->fault != FLEET_F_REFUSED &&
           (m->port_mask & (1u << port_index));
}
