/*
 * respond.c - the HTTP/1.1 answers of one member.
 *
 * Byte-level shape follows kube-apiserver (Go net/http + apiserver filters):
 *   - handler headers are written sorted by key (Go's Header.WriteSubset),
 *     then Date and Content-Length (Go's extraHeader);
 *   - 401 comes from the authentication filter, which runs before priority
 *     and fairness: Audit-Id and Cache-Control but no X-Kubernetes-Pf-*;
 *   - 403 and everything after authorization carry the Pf headers; 403 and
 *     health answers add X-Content-Type-Options: nosniff;
 *   - metav1.Status bodies are compact JSON with a trailing newline (the
 *     apimachinery JSON serializer uses json.Encoder); /version is
 *     json.MarshalIndent(info, "", "  ") with no trailing newline
 *     (responsewriters.WriteRawJSON).
 *
 * Credentials: kube-apiserver has had no basic-auth authenticator since
 * 1.19, so an `Authorization: Basic` header authenticates nobody and the
 * request continues as system:anonymous (when anonymous auth is on). An
 * unknown bearer token makes the token authenticator fail, and the union
 * authenticator (FailOnError) answers 401 before anonymous is tried. The
 * fleet does the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fleet.h"

#define CLUSTER_INFO_PATH "/api/v1/namespaces/kube-public/configmaps/cluster-info"

enum path_kind {
    P_VERSION, P_HEALTH, P_CLUSTER_INFO, P_API, P_API_V1, P_APIS, P_NAMESPACES,
    P_OTHER
};

/* What authorization decides for an anonymous request. */
enum authz { AUTHZ_ALLOW, AUTHZ_DENY_401, AUTHZ_DENY_403 };

struct reply {
    struct kc_buf *out;
    const struct fleet_member *m;
    uint64_t uuid_seed;
    int64_t now;
    int rc;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* A version-4 UUID from two 64-bit values. */
static void format_uuid(uint64_t a, uint64_t b, char out[37])
{
    uint64_t x = mix64(a ^ mix64(b));
    b = mix64(b ^ x);
    a = x;
    kc_snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
                (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
                (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
                (unsigned long long)(b & 0xffffffffffffull));
}

static void put(struct reply *r, const char *s, size_t n)
{
    if (r->rc == 0)
        r->rc = kc_buf_append(r->out, s, n);
}

static void puts_(struct reply *r, const char *s)
{
    put(r, s, strlen(s));
}

static void putf(struct reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct reply *r, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        if (r->rc == 0)
            r->rc = -ENOBUFS;
        return;
    }
    put(r, tmp, (size_t)n);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    default: return "Unknown";
    }
}

static void http_date(int64_t now, char *out, size_t size)
{
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Header sets, by which apiserver filters the request passed. */
enum hdrs {
    H_AUTHN_FAILED, /* 401: audit + cache-control only */
    H_PASSED,       /* Pf headers */
    H_PASSED_NOSNIFF,
    H_GO_NOT_FOUND, /* pre-1.16 mux 404: nosniff, no Pf (no APF then) */
};

/* The status line in the member's framing (an interim 100 first, or
 * HTTP/1.0). */
static void put_status(struct reply *r, int status)
{
    if (r->m->http == FLEET_H_INTERIM)
        puts_(r, "HTTP/1.1 100 Continue\r\n\r\n");
    putf(r, "HTTP/%s %d %s\r\n", r->m->http == FLEET_H_HTTP10 ? "1.0" : "1.1",
         status, reason_phrase(status));
}

/* The length of the body, or its end at close, in the member's framing. */
static void put_length(struct reply *r, size_t len)
{
    if (r->m->http == FLEET_H_CHUNKED)
        puts_(r, "Transfer-Encoding: chunked\r\n");
    else if (r->m->http != FLEET_H_EOF_BODY)
        putf(r, "Content-Length: %zu\r\n", len);
    if (r->m->http == FLEET_H_CLOSE || r->m->http == FLEET_H_EOF_BODY)
        puts_(r, "Connection: close\r\n");
}

/* The body after the blank line: as it is, or (chunked) in two chunks
 * followed by a trailer, as Go's net/http sends a body of unknown length
 * and proxies re-frame one. */
static void put_body(struct reply *r, const char *body, size_t len)
{
    if (r->m->http != FLEET_H_CHUNKED) {
        put(r, body, len);
        return;
    }
    size_t half = len / 2;
    if (half > 0) {
        putf(r, "%zx\r\n", half);
        put(r, body, half);
        puts_(r, "\r\n");
    }
    if (len > half) {
        putf(r, "%zx\r\n", len - half);
        put(r, body + half, len - half);
        puts_(r, "\r\n");
    }
    puts_(r, "0\r\nX-Fleet-Trailer: end\r\n\r\n");
}

static void k8s_reply(struct reply *r, int status, enum hdrs h,
                      const char *ctype, const char *body, size_t len)
{
    char audit[37], fs[37], pl[37], date[64];
    format_uuid(r->uuid_seed, r->m->id, audit);
    /* Flowschema/priority level UIDs are per cluster, stable. */
    format_uuid(r->m->id, 0xf10f5c4e3aull, fs);
    format_uuid(r->m->id, 0x9d1017e7e1ull, pl);
    http_date(r->now, date, sizeof(date));
    put_status(r, status);
    putf(r, "Audit-Id: %s\r\n", audit);
    puts_(r, "Cache-Control: no-cache, private\r\n");
    putf(r, "Content-Type: %s\r\n", ctype);
    if (h == H_PASSED_NOSNIFF || h == H_GO_NOT_FOUND)
        puts_(r, "X-Content-Type-Options: nosniff\r\n");
    if (h == H_PASSED || h == H_PASSED_NOSNIFF) {
        putf(r, "X-Kubernetes-Pf-Flowschema-Uid: %s\r\n", fs);
        putf(r, "X-Kubernetes-Pf-Prioritylevel-Uid: %s\r\n", pl);
    }
    putf(r, "Date: %s\r\n", date);
    put_length(r, len);
    puts_(r, "\r\n");
    put_body(r, body, len);
}

/* JSON string contents for our own ASCII strings (request paths are
 * escaped byte-wise too; control bytes become \u00XX). */
static void json_escape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; *in && o + 7 < size; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (ch < 0x20 || ch >= 0x7f) {
            o += kc_snprintf(out + o, size - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = 0;
}

static void reply_unauthorized(struct reply *r)
{
    static const char body[] =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
        "\"status\":\"Failure\",\"message\":\"Unauthorized\","
        "\"reason\":\"Unauthorized\",\"code\":401}\n";
    k8s_reply(r, 401, H_AUTHN_FAILED, "application/json", body,
              sizeof(body) - 1);
}

static void reply_status(struct reply *r, int status, const char *reason,
                         const char *message, const char *details)
{
    char quoted[1536];
    char body[2048];
    json_escape(message, quoted, sizeof(quoted));
    int n = snprintf(body, sizeof(body),
                     "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                     "\"status\":\"Failure\",\"message\":\"%s\",\"reason\":\"%s\","
                     "\"details\":%s,\"code\":%d}\n",
                     quoted, reason, details, status);
    if (n < 0 || (size_t)n >= sizeof(body)) {
        r->rc = -ENOBUFS;
        return;
    }
    k8s_reply(r, status, H_PASSED_NOSNIFF, "application/json", body,
              (size_t)n);
}

static void reply_forbidden(struct reply *r, enum path_kind k,
                            const char *verb, const char *path)
{
    char msg[512];
    if (k == P_CLUSTER_INFO) {
        kc_snprintf(msg, sizeof(msg),
                    "configmaps \"cluster-info\" is forbidden: User "
                    "\"system:anonymous\" cannot %s resource \"configmaps\" "
                    "in API group \"\" in the namespace \"kube-public\"", verb);
        reply_status(r, 403, "Forbidden", msg,
                     "{\"name\":\"cluster-info\",\"kind\":\"configmaps\"}");
    } else if (k == P_NAMESPACES) {
        kc_snprintf(msg, sizeof(msg),
                    "namespaces is forbidden: User \"system:anonymous\" cannot "
                    "%s resource \"namespaces\" in API group \"\" at the "
                    "cluster scope", strcmp(verb, "get") == 0 ? "list" : verb);
        reply_status(r, 403, "Forbidden", msg, "{\"kind\":\"namespaces\"}");
    } else {
        kc_snprintf(msg, sizeof(msg),
                    "forbidden: User \"system:anonymous\" cannot %s path \"%s\"",
                    verb, path);
        reply_status(r, 403, "Forbidden", msg, "{}");
    }
}

/* ---- successful answers ---- */

static const char *go_version_for(int minor)
{
    static const char *const table[] = {
        [10] = "go1.9.3",   [11] = "go1.10.8",  [12] = "go1.10.8",
        [13] = "go1.11.13", [14] = "go1.12.12", [15] = "go1.12.12",
        [16] = "go1.13.15", [17] = "go1.13.15", [18] = "go1.13.15",
        [19] = "go1.15.15", [20] = "go1.15.15", [21] = "go1.16.15",
        [22] = "go1.16.15", [23] = "go1.17.13", [24] = "go1.19.8",
        [25] = "go1.19.13", [26] = "go1.20.13", [27] = "go1.20.13",
        [28] = "go1.20.13", [29] = "go1.21.7",  [30] = "go1.22.5",
        [31] = "go1.22.8",  [32] = "go1.23.4",  [33] = "go1.24.2",
        [34] = "go1.24.6",
    };
    if (minor >= 10 && (size_t)minor < KC_ARRAY_LEN(table))
        return table[minor];
    return minor < 10 ? "go1.8.3" : "go1.25.1";
}

static void reply_version(struct reply *r)
{
    const char *gv = r->m->git_version ? r->m->git_version : "v0.0.0";
    int major = 1, minor = 0, patch = 0;
    if (sscanf(gv, "v%d.%d.%d", &major, &minor, &patch) < 2)
        major = 1, minor = 0;
    /* Vendors that decorate minor with "+" (EKS "28+"; GKE does not). */
    const char *plus = r->m->vendor == KC_VENDOR_EKS ? "+" : "";
    uint64_t h = hash_str(gv);
    /* Roughly when that patch shipped: minors every 4 months from 2015. */
    int months = (minor > 0 ? minor : 1) * 4 + patch;
    char body[1024];
    char compat[256] = "";
    if (major == 1 && minor >= 33)
        kc_snprintf(compat, sizeof(compat),
                    "  \"emulationMajor\": \"%d\",\n"
                    "  \"emulationMinor\": \"%d\",\n"
                    "  \"minCompatibilityMajor\": \"%d\",\n"
                    "  \"minCompatibilityMinor\": \"%d\",\n",
                    major, minor, major, minor - 1);
    int n = snprintf(
        body, sizeof(body),
        "{\n  \"major\": \"%d\",\n  \"minor\": \"%d%s\",\n%s"
        "  \"gitVersion\": \"%s\",\n  \"gitCommit\": \"%016llx%016llx%08x\",\n"
        "  \"gitTreeState\": \"clean\",\n"
        "  \"buildDate\": \"%04d-%02d-%02dT%02d:%02d:%02dZ\",\n"
        "  \"goVersion\": \"%s\",\n  \"compiler\": \"gc\",\n"
        "  \"platform\": \"linux/amd64\"\n}",
        major, minor, plus, compat, gv, (unsigned long long)h,
        (unsigned long long)mix64(h), (unsigned)(mix64(h + 1) >> 32),
        2015 + months / 12, 1 + months % 12, 1 + (int)(h % 28),
        (int)((h >> 8) % 24), (int)((h >> 16) % 60), (int)((h >> 24) % 60),
        go_version_for(minor));
    if (n < 0 || (size_t)n >= sizeof(body)) {
        r->rc = -ENOBUFS;
        return;
    }
    k8s_reply(r, 200, H_PASSED, "application/json", body, (size_t)n);
}

static void reply_health(struct reply *r)
{
    k8s_reply(r, 200, H_PASSED_NOSNIFF, "text/plain; charset=utf-8", "ok", 2);
}

/* kubeadm's cluster-info ConfigMap: a kubeconfig holding the CA, and one
 * jws-kubeconfig-<token id> signature per bootstrap token. */
static void reply_cluster_info(struct reply *r, const char *ca_b64)
{
    char kubeconfig[8192], token_id[7], jws_key[32], uid[37], ts[32];
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t h = mix64(r->m->id ^ 0x70c3e1ull);
    for (int i = 0; i < 6; i++)
        token_id[i] = alphabet[(h >> (i * 6)) % 36];
    token_id[6] = 0;
    kc_snprintf(jws_key, sizeof(jws_key), "jws-kubeconfig-%s", token_id);
    format_uuid(r->m->id, 0xc1u, uid);
    kc_format_time_utc((int64_t)(1700000000 + (h % 40000000)) * 1000000,
                       false, ts, sizeof(ts));
    kc_snprintf(kubeconfig, sizeof(kubeconfig),
                "apiVersion: v1\nclusters:\n- cluster:\n"
                "    certificate-authority-data: %s\n"
                "    server: https://10.%u.%u.%u:6443\n  name: \"\"\n"
                "contexts: null\ncurrent-context: \"\"\nkind: Config\n"
                "preferences: {}\nusers: null\n",
                ca_b64 ? ca_b64 : "", (unsigned)(r->m->addr >> 16) & 0xff,
                (unsigned)(r->m->addr >> 8) & 0xff,
                (unsigned)r->m->addr & 0xff);
    char sig[128];
    kc_snprintf(sig, sizeof(sig),
                "eyJhbGciOiJIUzI1NiIsImtpZCI6IiVzIn0..%016llx%016llx",
                (unsigned long long)mix64(h), (unsigned long long)mix64(h + 7));
    /* Formatted directly (not through jansson): this answer is on every
     * connection of a benchmark. The kubeconfig only needs \n and \"
     * escaped; the other strings are ours and plain. */
    char esc[8192], body[12288];
    size_t e = 0;
    for (const char *k = kubeconfig; *k && e + 2 < sizeof(esc); k++) {
        if (*k == '\n' || *k == '"' || *k == '\\') {
            esc[e++] = '\\';
            esc[e++] = *k == '\n' ? 'n' : *k;
        } else {
            esc[e++] = *k;
        }
    }
    esc[e] = 0;
    int n = snprintf(body, sizeof(body),
                     "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
                     "\"metadata\":{\"name\":\"cluster-info\",\"namespace\":"
                     "\"kube-public\",\"uid\":\"%s\",\"resourceVersion\":"
                     "\"312\",\"creationTimestamp\":\"%s\"},\"data\":{"
                     "\"%s\":\"%s\",\"kubeconfig\":\"%s\"}}\n",
                     uid, ts, jws_key, sig, esc);
    if (n < 0 || (size_t)n >= sizeof(body)) {
        r->rc = -ENOBUFS;
        return;
    }
    k8s_reply(r, 200, H_PASSED, "application/json", body, (size_t)n);
}

static void reply_api(struct reply *r)
{
    char body[256];
    int n = snprintf(body, sizeof(body),
                     "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                     "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":"
                     "\"0.0.0.0/0\",\"serverAddress\":\"10.0.%u.%u:6443\"}]}\n",
                     (unsigned)(r->m->addr >> 8) & 0xff,
                     (unsigned)r->m->addr & 0xff);
    k8s_reply(r, 200, H_PASSED, "application/json", body, (size_t)n);
}

/* Core discovery with the one resource the fleet serves (kubectl get ns). */
static void reply_api_v1(struct reply *r)
{
    static const char body[] =
        "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\","
        "\"resources\":[{\"name\":\"namespaces\",\"singularName\":"
        "\"namespace\",\"namespaced\":false,\"kind\":\"Namespace\","
        "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\","
        "\"update\",\"watch\"],\"shortNames\":[\"ns\"]}]}\n";
    k8s_reply(r, 200, H_PASSED, "application/json", body, sizeof(body) - 1);
}

static void reply_apis(struct reply *r)
{
    static const char body[] =
        "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}\n";
    k8s_reply(r, 200, H_PASSED, "application/json", body, sizeof(body) - 1);
}

static void reply_namespaces(struct reply *r)
{
    static const char *const names[] = {"default", "kube-node-lease",
                                        "kube-public", "kube-system"};
    char body[2048];
    size_t n = kc_snprintf(body, sizeof(body),
                           "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\","
                           "\"metadata\":{\"resourceVersion\":\"%u\"},\"items\":[",
                           1000 + r->m->id % 50000);
    for (size_t i = 0; i < KC_ARRAY_LEN(names); i++) {
        char uid[37];
        format_uuid(r->m->id, i + 77, uid);
        n += kc_snprintf(body + n, sizeof(body) - n,
                         "%s{\"metadata\":{\"name\":\"%s\",\"uid\":\"%s\","
                         "\"resourceVersion\":\"%zu\",\"creationTimestamp\":"
                         "\"2024-01-15T10:00:00Z\",\"labels\":{"
                         "\"kubernetes.io/metadata.name\":\"%s\"}},\"spec\":{"
                         "\"finalizers\":[\"kubernetes\"]},\"status\":{"
                         "\"phase\":\"Active\"}}",
                         i ? "," : "", names[i], uid, 10 + i, names[i]);
    }
    n += kc_snprintf(body + n, sizeof(body) - n, "]}\n");
    k8s_reply(r, 200, H_PASSED, "application/json", body, n);
}

static void reply_not_found_status(struct reply *r)
{
    reply_status(r, 404, "NotFound",
                 "the server could not find the requested resource", "{}");
}

/* Go's http.NotFound, as the apiserver's non-REST mux answered a path it
 * has no handler for (Content-Type and nosniff set by http.Error). */
static void reply_go_not_found(struct reply *r)
{
    static const char body[] = "404 page not found\n";
    k8s_reply(r, 404, H_GO_NOT_FOUND, "text/plain; charset=utf-8", body,
              sizeof(body) - 1);
}

/* /livez and /readyz came with 1.16. */
static bool predates_livez(const struct fleet_member *m)
{
    int major = 0, minor = 0;
    return m->git_version &&
           sscanf(m->git_version, "v%d.%d", &major, &minor) == 2 &&
           major == 1 && minor < 16;
}

/* ---- not Kubernetes ---- */

static void plain_reply(struct reply *r, int status, const char *server,
                        const char *ctype, const char *body, size_t len)
{
    char date[64];
    http_date(r->now, date, sizeof(date));
    put_status(r, status);
    if (server)
        putf(r, "Server: %s\r\n", server);
    putf(r, "Date: %s\r\nContent-Type: %s\r\n", date, ctype);
    put_length(r, len);
    if (!fleet_http_closes(r->m->http))
        puts_(r, "Connection: keep-alive\r\n");
    puts_(r, "\r\n");
    put_body(r, body, len);
}

static void reply_nginx_404(struct reply *r)
{
    static const char body[] =
        "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
        "<center><h1>404 Not Found</h1></center>\r\n"
        "<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
    plain_reply(r, 404, "nginx/1.22.1", "text/html", body, sizeof(body) - 1);
}

static void reply_json_site(struct reply *r, enum path_kind k,
                            const char *path)
{
    char body[512];
    if (k == P_VERSION) {
        static const char v[] = "{\"name\":\"acme-billing\",\"version\":"
                                "\"3.4.1\",\"commit\":\"9f2c1e0\"}";
        plain_reply(r, 200, NULL, "application/json", v, sizeof(v) - 1);
        return;
    }
    char q[256];
    json_escape(path, q, sizeof(q));
    int n = snprintf(body, sizeof(body),
                     "{\"error\":\"not found\",\"path\":\"%s\"}", q);
    if (n < 0 || (size_t)n >= sizeof(body))
        n = 0;
    plain_reply(r, 404, NULL, "application/json", body, (size_t)n);
}

/* ---- dispatch ---- */

static enum path_kind classify_path(const char *path)
{
    if (strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0)
        return P_VERSION;
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 ||
        strcmp(path, "/readyz") == 0)
        return P_HEALTH;
    if (strcmp(path, CLUSTER_INFO_PATH) == 0)
        return P_CLUSTER_INFO;
    if (strcmp(path, "/api") == 0 || strcmp(path, "/api/") == 0)
        return P_API;
    if (strcmp(path, "/api/v1") == 0)
        return P_API_V1;
    if (strcmp(path, "/apis") == 0 || strcmp(path, "/apis/") == 0)
        return P_APIS;
    if (strcmp(path, "/api/v1/namespaces") == 0)
        return P_NAMESPACES;
    return P_OTHER;
}

/* Anonymous authorization per behaviour (RBAC as each cluster has it). */
static enum authz authorize(const struct fleet_member *m, enum path_kind k,
                            const char *path)
{
    bool health = k == P_HEALTH;
    /* Pre-1.16 clusters have no /livez or /readyz; system:discovery in
     * those releases covered /healthz only. */
    bool old_health = strcmp(path, "/healthz") == 0;
    switch (m->behaviour) {
    case FLEET_B_DISABLED:
        return AUTHZ_DENY_401;
    case FLEET_B_LIMITED:
        return health || k == P_CLUSTER_INFO ? AUTHZ_ALLOW : AUTHZ_DENY_401;
    case FLEET_B_RBAC_DENIED:
        return AUTHZ_DENY_403;
    case FLEET_B_OPEN:
        return health || k == P_VERSION || k == P_CLUSTER_INFO
                   ? AUTHZ_ALLOW
                   : AUTHZ_DENY_403;
    case FLEET_B_WIDE_OPEN:
        return AUTHZ_ALLOW;
    case FLEET_B_ALWAYS_ALLOW:
        return AUTHZ_ALLOW;
    case FLEET_B_LEGACY:
        return old_health || k == P_VERSION || k == P_CLUSTER_INFO ||
                       k == P_API || k == P_API_V1 || k == P_APIS
                   ? AUTHZ_ALLOW
                   : AUTHZ_DENY_403;
    case FLEET_B_NOT_K8S_HTML:
    case FLEET_B_NOT_K8S_JSON:
    case FLEET_B__COUNT:
        break;
    }
    return AUTHZ_ALLOW;
}

static void reply_allowed(struct reply *r, enum path_kind k,
                          const char *ca_b64)
{
    switch (k) {
    case P_VERSION: reply_version(r); break;
    case P_HEALTH: reply_health(r); break;
    case P_CLUSTER_INFO: reply_cluster_info(r, ca_b64); break;
    case P_API: reply_api(r); break;
    case P_API_V1: reply_api_v1(r); break;
    case P_APIS: reply_apis(r); break;
    case P_NAMESPACES: reply_namespaces(r); break;
    case P_OTHER: reply_not_found_status(r); break;
    }
}

int fleet_respond(const struct fleet_plan *plan, const struct fleet_member *m,
                  const char *method, const char *path_in, enum fleet_cred cred,
                  uint64_t uuid_seed, int64_t now, const char *ca_pem_b64,
                  struct kc_buf *out)
{
    (void)plan;
    struct reply r = {.out = out, .m = m, .uuid_seed = uuid_seed, .now = now};
    char path[512], verb[16];
    kc_strlcpy(path, path_in, sizeof(path));
    path[strcspn(path, "?#")] = 0;
    size_t i;
    for (i = 0; method[i] && i + 1 < sizeof(verb); i++)
        verb[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] + 32
                                                              : method[i]);
    verb[i] = 0;
    if (strcmp(verb, "head") == 0)
        kc_strlcpy(verb, "get", sizeof(verb));
    enum path_kind k = classify_path(path);
    if (m->behaviour == FLEET_B_NOT_K8S_HTML) {
        reply_nginx_404(&r);
        return r.rc;
    }
    if (m->behaviour == FLEET_B_NOT_K8S_JSON) {
        reply_json_site(&r, k, path);
        return r.rc;
    }
    enum authz a = cred == FLEET_CRED_BEARER ? AUTHZ_DENY_401
                                             : authorize(m, k, path);
    switch (a) {
    case AUTHZ_DENY_401: reply_unauthorized(&r); break;
    case AUTHZ_DENY_403: reply_forbidden(&r, k, verb, path); break;
    case AUTHZ_ALLOW:
        /* Authorization runs before routing: only a server that allows
         * everyone reaches the mux's 404 for the paths it lacks. (Other
         * behaviours keep answering /livez whatever their version.) */
        if (m->behaviour == FLEET_B_ALWAYS_ALLOW && k == P_HEALTH &&
            strcmp(path, "/healthz") != 0 && predates_livez(m))
            reply_go_not_found(&r);
        else
            reply_allowed(&r, k, ca_pem_b64);
        break;
    }
    return r.rc;
}
