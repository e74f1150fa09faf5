/* sink.c - the result sink interface, a JSON-lines sink and a tee. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int kc_sink_write(struct kc_sink *s, const struct kc_result *r)
{
    return s->ops->write(s, r);
}

int kc_sink_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp)
{
    return s->ops->checkpoint ? s->ops->checkpoint(s, cp) : 0;
}

int kc_sink_flush(struct kc_sink *s)
{
    return s->ops->flush ? s->ops->flush(s) : 0;
}

bool kc_sink_busy(struct kc_sink *s)
{
    return s->ops->busy ? s->ops->busy(s) : false;
}

void kc_sink_free(struct kc_sink *s)
{
    if (s != NULL)
        s->ops->free(s);
}

void kc_json_write_string(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        uint32_t cp;
        size_t len = kc_utf8_seq_len(p + i, n - i, &cp);
        if (len == 0) {
            fprintf(f, "\\u%04x", c); /* invalid byte, documented lossy */
            i++;
            continue;
        }
        if (len > 1) {
            /* U+2028/2029 break JavaScript consumers: escape them. */
            if (cp == 0x2028 || cp == 0x2029)
                fprintf(f, "\\u%04x", (unsigned)cp);
            else
                fwrite(p + i, 1, len, f);
            i += len;
            continue;
        }
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc((int)c, f);
        }
        i++;
    }
    fputc('"', f);
}

static void json_key(FILE *f, bool *first, const char *key)
{
    fputs(*first ? "{\"" : ",\"", f);
    *first = false;
    fputs(key, f);
    fputs("\":", f);
}

static void json_str(FILE *f, bool *first, const char *key, const char *v)
{
    json_key(f, first, key);
    if (v == NULL || *v == '\0')
        fputs("null", f);
    else
        kc_json_write_string(f, v, strlen(v));
}

static void json_bytes(FILE *f, bool *first, const char *key,
                       const struct kc_bytes *b)
{
    json_key(f, first, key);
    if (b->data == NULL)
        fputs("null", f);
    else
        kc_json_write_string(f, b->data, b->len);
}

static void json_int(FILE *f, bool *first, const char *key, long long v,
                     bool null_if_negative)
{
    json_key(f, first, key);
    if (null_if_negative && v < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", v);
}

static void json_probes(FILE *f, bool *first, const struct kc_result *r)
{
    json_key(f, first, "probes");
    fputc('{', f);
    for (size_t i = 0; i < r->n_probes && i < KC_PROBE__COUNT; i++) {
        const struct kc_probe_result *p = &r->probes[i];
        bool pf = true;
        if (i > 0)
            fputc(',', f);
        fprintf(f, "\"%s\":", kc_probe_str(p->id));
        if (p->answered) {
            json_int(f, &pf, "status", p->status, false);
        } else {
            json_str(f, &pf, "status", NULL);
            json_str(f, &pf, "outcome",
                     p->sent ? kc_outcome_str(p->outcome) : "not_sent");
        }
        json_bytes(f, &pf, "content_type", &p->content_type);
        json_int(f, &pf, "body_bytes", (long long)p->body_total, false);
        fputc('}', f);
    }
    fputc('}', f);
}

int kc_result_write_json(FILE *f, const char *scan_uid,
                         const struct kc_result *r)
{
    char ip[64], when[40];
    bool first = true;

    kc_addr_format(&r->addr, ip, sizeof(ip));
    json_str(f, &first, "scan_uid", scan_uid);
    json_str(f, &first, "ip", ip);
    json_int(f, &first, "port", r->port, false);
    json_key(f, &first, "sni");
    kc_json_write_string(f, r->sni, strlen(r->sni));
    json_int(f, &first, "target_index", (long long)r->target_index, false);
    kc_format_time_utc(r->started_us, true, when, sizeof(when));
    json_str(f, &first, "started_at", when);
    json_str(f, &first, "outcome", kc_outcome_str(r->outcome));
    json_str(f, &first, "phase", kc_phase_str(r->phase));
    json_str(f, &first, "detail", r->detail);
    json_int(f, &first, "rtt_us", r->rtt_us, false);
    json_str(f, &first, "tls_version", r->tls_version);
    json_str(f, &first, "cipher", r->cipher);
    json_key(f, &first, "is_kubernetes");
    fputs(r->is_kubernetes < 0 ? "null" : r->is_kubernetes ? "1" : "0", f);
    json_str(f, &first, "evidence", r->evidence);
    json_str(f, &first, "posture", kc_posture_str(r->posture));
    json_bytes(f, &first, "git_version", &r->git_version);
    json_int(f, &first, "major", r->major, true);
    json_int(f, &first, "minor", r->minor, true);
    json_int(f, &first, "patch", r->patch, true);
    json_str(f, &first, "vendor", kc_vendor_str(r->vendor));
    json_bytes(f, &first, "build_date", &r->version.build_date);
    json_bytes(f, &first, "go_version", &r->version.go_version);
    json_bytes(f, &first, "platform", &r->version.platform);
    json_str(f, &first, "cert_sha256", r->cert.present ? r->cert.sha256 : NULL);
    json_bytes(f, &first, "cert_subject_cn", &r->cert.subject_cn);
    json_bytes(f, &first, "cert_issuer_cn", &r->cert.issuer_cn);
    json_str(f, &first, "country", r->country);
    json_int(f, &first, "asn", r->asn ? (long long)r->asn : -1, true);
    json_str(f, &first, "as_org", r->as_org);
    json_str(f, &first, "provider", kc_provider_str(r->provider));
    json_str(f, &first, "classifier_version", r->classifier_version);
    json_probes(f, &first, r);
    fputs("}\n", f);
    return ferror(f) ? -EIO : 0;
}

struct jsonl_sink {
    struct kc_sink base;
    FILE *f;
    bool close_file;
    char *scan_uid;
};

static int jsonl_write(struct kc_sink *s, const struct kc_result *r)
{
    struct jsonl_sink *j = container_of(s, struct jsonl_sink, base);
    int rc = kc_result_write_json(j->f, j->scan_uid, r);
    if (rc != 0)
        kc_error_set(&s->err, rc, "writing JSON lines: I/O error");
    return rc;
}

static int jsonl_flush(struct kc_sink *s)
{
    struct jsonl_sink *j = container_of(s, struct jsonl_sink, base);
    if (fflush(j->f) != 0)
        return kc_error_set(&s->err, -EIO, "flushing JSON lines: I/O error");
    return 0;
}

static void jsonl_free(struct kc_sink *s)
{
    struct jsonl_sink *j = container_of(s, struct jsonl_sink, base);
    fflush(j->f);
    if (j->close_file)
        fclose(j->f);
    free(j->scan_uid);
    free(j);
}

static const struct kc_sink_ops jsonl_ops = {
    .write = jsonl_write,
    .checkpoint = NULL,
    .flush = jsonl_flush,
    .free = jsonl_free,
    .busy = NULL,
};

struct kc_sink *kc_jsonl_sink_new(FILE *f, bool close_file,
                                  const char *scan_uid)
{
    struct jsonl_sink *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    if (scan_uid != NULL && (j->scan_uid = strdup(scan_uid)) == NULL) {
        free(j);
        return NULL;
    }
    j->base.ops = &jsonl_ops;
    j->f = f;
    j->close_file = close_file;
    return &j->base;
}

#define TEE_MAX 4

struct tee_sink {
    struct kc_sink base;
    struct kc_sink *out[TEE_MAX];
    size_t n;
};

/* Forwards to every sink; the first error wins and is copied up. */
static int tee_each(struct tee_sink *t, int (*fn)(struct kc_sink *,
                                                  const void *),
                    const void *arg)
{
    int first = 0;
    for (size_t i = 0; i < t->n; i++) {
        int rc = fn(t->out[i], arg);
        if (rc != 0 && first == 0) {
            first = rc;
            t->base.err = t->out[i]->err;
        }
    }
    return first;
}

static int fwd_write(struct kc_sink *s, const void *arg)
{
    return kc_sink_write(s, arg);
}

static int fwd_checkpoint(struct kc_sink *s, const void *arg)
{
    return kc_sink_checkpoint(s, arg);
}

static int fwd_flush(struct kc_sink *s, const void *arg)
{
    (void)arg;
    return kc_sink_flush(s);
}

static int tee_write(struct kc_sink *s, const struct kc_result *r)
{
    return tee_each(container_of(s, struct tee_sink, base), fwd_write, r);
}

static int tee_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp)
{
    return tee_each(container_of(s, struct tee_sink, base), fwd_checkpoint,
                    cp);
}

static int tee_flush(struct kc_sink *s)
{
    return tee_each(container_of(s, struct tee_sink, base), fwd_flush, NULL);
}

static void tee_free(struct kc_sink *s)
{
    struct tee_sink *t = container_of(s, struct tee_sink, base);
    for (size_t i = 0; i < t->n; i++)
        kc_sink_free(t->out[i]);
    free(t);
}

static bool tee_busy(struct kc_sink *s)
{
    struct tee_sink *t = container_of(s, struct tee_sink, base);
    for (size_t i = 0; i < t->n; i++)
        if (kc_sink_busy(t->out[i]))
            return true;
    return false;
}

static const struct kc_sink_ops tee_ops = {
    .write = tee_write,
    .checkpoint = tee_checkpoint,
    .flush = tee_flush,
    .free = tee_free,
    .busy = tee_busy,
};

struct kc_sink *kc_tee_sink_new(struct kc_sink **sinks, size_t n)
{
    struct tee_sink *t;
    if (n > TEE_MAX)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->base.ops = &tee_ops;
    memcpy(t->out, sinks, n * sizeof(*sinks));
    t->n = n;
    return &t->base;
}
