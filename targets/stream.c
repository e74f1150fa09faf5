/*
 * stream.c - targets arriving on stdin from another tool (ZMap, masscan),
 * taken in arrival order without waiting for the end. The fd is
 * non-blocking: with no complete line, kc_stream_next returns -EAGAIN.
 * Duplicates are dropped with a compact set: exact for IPv4 (the packed
 * address and port), a 63-bit hash for IPv6 and hostnames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "targets-private.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int hset_grow(struct kc_hset *h)
{
    size_t cap = h->cap ? h->cap * 2 : 1024;
    uint64_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < h->cap; i++) {
        uint64_t k = h->slots[i];
        size_t j = mix64(k) & (cap - 1);
        if (k == 0)
            continue;
        while (slots[j] != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = k;
    }
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    return 0;
}

int kc_hset_insert(struct kc_hset *h, uint64_t key)
{
    size_t j;
    if ((h->n + 1) * 2 > h->cap && hset_grow(h) < 0)
        return -ENOMEM;
    j = mix64(key) & (h->cap - 1);
    while (h->slots[j] != 0) {
        if (h->slots[j] == key)
            return 0;
        j = (j + 1) & (h->cap - 1);
    }
    h->slots[j] = key;
    h->n++;
    return 1;
}

void kc_hset_free(struct kc_hset *h)
{
    free(h->slots);
    memset(h, 0, sizeof(*h));
}

int kc_stream_open(struct kc_targets *t, int fd, enum kc_input_format fmt,
                   struct kc_error *err)
{
    struct kc_stream *s = calloc(1, sizeof(*s));
    int fl;
    if (s == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int e = errno;
        free(s);
        return kc_error_set(err, -e, "stdin: %s", strerror(e));
    }
    s->fd = fd;
    s->fmt = fmt;
    kc_zmap_cols_init(&s->zc);
    t->stream = s;
    return 0;
}

void kc_stream_free(struct kc_stream *s)
{
    if (s == NULL)
        return;
    kc_hset_free(&s->seen);
    free(s);
}

enum line_status { LINE_OK, LINE_EOF, LINE_AGAIN, LINE_TOO_LONG, LINE_ERR };

/* Moves the next complete line into s->line. The buffer is bounded: a
 * longer line is reported once and skipped up to its newline. */
static enum line_status next_line(struct kc_stream *s)
{
    for (;;) {
        char *nl = memchr(s->buf, '\n', s->len);
        ssize_t n;
        if (nl != NULL || (s->eof && s->len > 0)) {
            size_t len = nl ? (size_t)(nl - s->buf) : s->len;
            bool was_discarding = s->discarding;
            memcpy(s->line, s->buf, len);
            s->line[len] = '\0';
            len += nl ? 1 : 0;
            memmove(s->buf, s->buf + len, s->len - len);
            s->len -= len;
            s->discarding = false;
            if (was_discarding)
                continue; /* tail of an overlong line */
            s->lineno++;
            return LINE_OK;
        }
        if (s->eof)
            return LINE_EOF;
        if (s->len == sizeof(s->buf) - 1) {
            s->len = 0;
            if (!s->discarding) {
                s->discarding = true;
                s->lineno++;
                return LINE_TOO_LONG;
            }
        }
        n = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
        if (n > 0)
            s->len += (size_t)n;
        else if (n == 0)
            s->eof = true;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            return LINE_AGAIN;
        else if (errno != EINTR)
            return LINE_ERR;
    }
}

/* The dedupe key of a target, never 0. */
static uint64_t target_key(const struct kc_spec *sp, uint16_t port)
{
    uint64_t h;
    if (sp->kind == KC_SPEC_RANGE && kc_key_is_v4(sp->lo))
        return 1ULL << 63 | (uint64_t)(uint32_t)sp->lo << 16 | port;
    if (sp->kind == KC_SPEC_RANGE) {
        h = mix64((uint64_t)(sp->lo >> 64) ^ mix64((uint64_t)sp->lo ^ port));
    } else {
        h = 0xcbf29ce484222325ULL ^ port;
        for (const char *c = sp->host; *c; c++)
            h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
        h = mix64(h);
    }
    h &= ~(1ULL << 63);
    return h ? h : 1;
}

/* Decides about one (spec, port) of the current line: 1 take, 0 skip. */
static int consider(struct kc_targets *t, const struct kc_spec *sp,
                    uint16_t port)
{
    struct kc_stream *s = t->stream;
    int rc;
    if (sp->kind == KC_SPEC_RANGE) {
        if (kc_plan_excluded(t, sp->lo)) {
            t->counts.excluded++;
            return 0;
        }
        if (kc_plan_contains(t, sp->lo, port)) {
            t->counts.duplicates++;
            return 0;
        }
    } else if (kc_plan_has_host(t, sp->host, port)) {
        t->counts.duplicates++;
        return 0;
    }
    if ((rc = kc_hset_insert(&s->seen, target_key(sp, port))) <= 0) {
        if (rc == 0)
            t->counts.duplicates++;
        return rc;
    }
    /* Every machine sees the whole stream, so the count of new targets is
     * the same everywhere: shard on it. */
    return s->accepted++ % t->shard_count == t->shard_index;
}

static int bad(struct kc_targets *t, const char *text, struct kc_error *err)
{
    struct kc_stream *s = t->stream;
    if (!t->skip_bad)
        return kc_error_set(err, -EINVAL, "<stdin>:%llu: bad target '%.100s'",
                            (unsigned long long)s->lineno, text);
    if (t->counts.invalid++ == 0)
        kc_plan_warn(t, "<stdin>:%llu: skipped bad target '%.100s'",
                     (unsigned long long)s->lineno, text);
    return 0;
}

/* Parses s->line into s->cur; 1 when it holds targets, 0 skip, <0 error. */
static int take_line(struct kc_targets *t, struct kc_error *err)
{
    struct kc_stream *s = t->stream;
    char copy[128];
    enum kc_line_result r;
    if (kc_input_line_blank(s->line))
        return 0;
    if (s->fmt == KC_INPUT_AUTO)
        s->fmt = kc_input_detect(s->line);
    kc_strlcpy(copy, s->line, sizeof(copy));
    r = kc_input_parse_line(s->fmt, s->line, &s->zc, &s->cur);
    if (r == KC_LINE_SKIP)
        return 0;
    if (r == KC_LINE_BAD)
        return bad(t, copy, err);
    if (s->cur.spec.kind == KC_SPEC_RANGE && s->cur.spec.lo != s->cur.spec.hi)
        return kc_error_set(err, -EINVAL,
                            "<stdin>:%llu: ranges are not taken from a stream "
                            "(give them as a file) '%.100s'",
                            (unsigned long long)s->lineno, copy);
    s->cur_i = 0;
    s->cur_n = s->cur.n_ports ? s->cur.n_ports
               : s->cur.spec.port ? 1 : t->n_ports;
    return 1;
}

static uint16_t cur_port(const struct kc_targets *t, const struct kc_stream *s)
{
    if (s->cur.n_ports)
        return s->cur.ports[s->cur_i];
    return s->cur.spec.port ? s->cur.spec.port : t->ports[s->cur_i];
}

int kc_stream_next(struct kc_targets *t, struct kc_target *out,
                   struct kc_error *err)
{
    struct kc_stream *s = t->stream;
    for (;;) {
        int rc;
        while (s->cur_i < s->cur_n) {
            uint16_t port = cur_port(t, s);
            s->cur_i++;
            if ((rc = consider(t, &s->cur.spec, port)) < 0)
                return kc_error_set(err, rc, "out of memory");
            if (rc == 0)
                continue;
            out->port = port;
            out->host[0] = '\0';
            if (s->cur.spec.kind == KC_SPEC_HOST) {
                memset(&out->addr, 0, sizeof(out->addr));
                kc_strlcpy(out->host, s->cur.spec.host, sizeof(out->host));
            } else {
                kc_key_to_addr(s->cur.spec.lo, &out->addr);
            }
            s->emitted++;
            return 1;
        }
        switch (next_line(s)) {
        case LINE_OK:
            break;
        case LINE_EOF:
            return 0;
        case LINE_AGAIN:
            return -EAGAIN;
        case LINE_TOO_LONG:
            if ((rc = bad(t, "(line too long)", err)) < 0)
                return rc;
            continue;
        case LINE_ERR:
            return kc_error_set(err, -errno, "stdin: %s", strerror(errno));
        }
        s->cur_i = s->cur_n = 0;
        if ((rc = take_line(t, err)) < 0)
            return rc;
    }
}
