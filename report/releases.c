/* releases.c - the upstream release table and the end-of-life rules. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Generated at build time from data/kubernetes-releases.csv (embed.py). */
extern const char kc_releases_csv[];
extern const size_t kc_releases_csv_len;

struct release {
    int minor;          /* of 1.x */
    bool has_eol;
    char eol[11];       /* YYYY-MM-DD */
};

struct kc_releases {
    struct release *v;
    size_t n, cap;
};

static const char *const eol_names[KC_EOL__COUNT] = {
    [KC_EOL_PAST] = "past_eol",
    [KC_EOL_SUPPORTED] = "supported",
    [KC_EOL_NEWER] = "newer_than_table",
    [KC_EOL_NO_VERSION] = "no_version",
};

const char *kc_eol_str(enum kc_eol v)
{
    return (unsigned)v < KC_EOL__COUNT ? eol_names[v] : "?";
}

static struct release *find(const struct kc_releases *rel, int minor)
{
    for (size_t i = 0; i < rel->n; i++)
        if (rel->v[i].minor == minor)
            return &rel->v[i];
    return NULL;
}

static int put(struct kc_releases *rel, const struct release *r)
{
    struct release *old = find(rel, r->minor);
    if (old != NULL) {
        *old = *r; /* a user file replaces the embedded row */
        return 0;
    }
    if (rel->n == rel->cap) {
        size_t cap = rel->cap ? rel->cap * 2 : 64;
        struct release *v = realloc(rel->v, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        rel->v = v;
        rel->cap = cap;
    }
    rel->v[rel->n++] = *r;
    return 0;
}

/* Field i (0-based) of a comma-separated line, unquoted columns only. */
static bool field(const char *line, size_t len, int idx, const char **f,
                  size_t *flen)
{
    size_t start = 0;
    int cur = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (cur == idx) {
                *f = line + start;
                *flen = i - start;
                return true;
            }
            cur++;
            start = i + 1;
        }
    }
    return false;
}

/* "1.26" -> 26; only 1.x is in the table. */
static bool parse_minor(const char *s, size_t n, int *minor)
{
    uint64_t v;
    if (n < 3 || s[0] != '1' || s[1] != '.')
        return false;
    if (!kc_parse_u64n(s + 2, n - 2, 0, 10000, &v))
        return false;
    *minor = (int)v;
    return true;
}

static int parse_line(struct kc_releases *rel, const char *line, size_t len,
                      size_t lineno, struct kc_error *err)
{
    const char *f, *d;
    size_t fl, dl;
    struct release r;

    memset(&r, 0, sizeof(r));
    if (!field(line, len, 0, &f, &fl) || !parse_minor(f, fl, &r.minor))
        return kc_error_set(err, -EINVAL,
                            "release table line %zu: minor is not 1.N",
                            lineno);
    if (!field(line, len, 3, &d, &dl))
        return kc_error_set(err, -EINVAL,
                            "release table line %zu: no end_of_life column",
                            lineno);
    if (dl > 0) {
        if (!kc_parse_date(d, dl))
            return kc_error_set(err, -EINVAL,
                                "release table line %zu: end_of_life is not "
                                "YYYY-MM-DD",
                                lineno);
        memcpy(r.eol, d, 10);
        r.eol[10] = '\0';
        r.has_eol = true;
    }
    if (put(rel, &r) < 0)
        return kc_error_set(err, -ENOMEM, "out of memory");
    return 0;
}

int kc_releases_merge(struct kc_releases *rel, const char *text, size_t n,
                      struct kc_error *err)
{
    size_t pos = 0, lineno = 0;
    while (pos < n) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - line) : n - pos;
        int rc;
        pos += len + (nl ? 1 : 0);
        lineno++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        if (lineno == 1) {
            static const char want[] =
                "minor,released,maintenance_mode,end_of_life";
            if (len < sizeof(want) - 1 ||
                memcmp(line, want, sizeof(want) - 1) != 0)
                return kc_error_set(err, -EINVAL,
                                    "release table: header must start with "
                                    "'minor,released,maintenance_mode,"
                                    "end_of_life'");
            continue;
        }
        rc = parse_line(rel, line, len, lineno, err);
        if (rc < 0)
            return rc;
    }
    if (lineno == 0)
        return kc_error_set(err, -EINVAL, "release table: empty");
    return 0;
}

int kc_releases_merge_file(struct kc_releases *rel, const char *path,
                           struct kc_error *err)
{
    enum { MAX = 1 << 20 };
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    int rc;

    if (f == NULL)
        return kc_error_set(err, -errno, "%s: %s", path, strerror(errno));
    buf = malloc(MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    n = fread(buf, 1, MAX + 1, f);
    fclose(f);
    if (n > MAX) {
        free(buf);
        return kc_error_set(err, -EFBIG, "%s: larger than 1 MiB", path);
    }
    rc = kc_releases_merge(rel, buf, n, err);
    free(buf);
    if (rc < 0 && err != NULL) {
        char msg[sizeof(err->msg)];
        kc_strlcpy(msg, err->msg, sizeof(msg));
        kc_error_set(err, rc, "%s: %s", path, msg);
    }
    return rc;
}

int kc_releases_default(struct kc_releases **out, struct kc_error *err)
{
    struct kc_releases *rel = calloc(1, sizeof(*rel));
    int rc;
    if (rel == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    rc = kc_releases_merge(rel, kc_releases_csv, kc_releases_csv_len, err);
    if (rc < 0) {
        kc_releases_free(rel);
        return rc;
    }
    *out = rel;
    return 0;
}

void kc_releases_free(struct kc_releases *rel)
{
    if (rel == NULL)
        return;
    free(rel->v);
    free(rel);
}

size_t kc_releases_count(const struct kc_releases *rel)
{
    return rel->n;
}

void kc_releases_row(const struct kc_releases *rel, size_t i, int *minor,
                     const char **eol)
{
    *minor = rel->v[i].minor;
    *eol = rel->v[i].has_eol ? rel->v[i].eol : NULL;
}

enum kc_eol kc_releases_status(const struct kc_releases *rel, int major,
                               int minor, const char *date)
{
    const struct release *r;
    int newest = -1;

    if (major != 1 || minor < 0)
        return KC_EOL_NO_VERSION;
    r = find(rel, minor);
    if (r == NULL) {
        for (size_t i = 0; i < rel->n; i++)
            if (rel->v[i].minor > newest)
                newest = rel->v[i].minor;
        /* Never silently supported: newer than the table is unknown. */
        return minor > newest ? KC_EOL_NEWER : KC_EOL_PAST;
    }
    if (!r->has_eol)
        return KC_EOL_PAST; /* 1.15 and older: no published date */
    return strcmp(date, r->eol) > 0 ? KC_EOL_PAST : KC_EOL_SUPPORTED;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Compares two digit runs numerically (any length, leading zeros ok). */
static int cmp_digits(const char *a, size_t an, const char *b, size_t bn)
{
    while (an > 1 && *a == '0') {
        a++;
        an--;
    }
    while (bn > 1 && *b == '0') {
        b++;
        bn--;
    }
    if (an != bn)
        return an < bn ? -1 : 1;
    return memcmp(a, b, an);
}

int kc_version_cmp(const char *a, const char *b)
{
    if (*a == '\0' || *b == '\0')
        return (*a == '\0') - (*b == '\0');
    while (*a && *b) {
        size_t an = 0, bn = 0;
        int c;
        if (is_digit(*a) && is_digit(*b)) {
            while (is_digit(a[an]))
                an++;
            while (is_digit(b[bn]))
                bn++;
            c = cmp_digits(a, an, b, bn);
        } else {
            while (a[an] && !is_digit(a[an]))
                an++;
            while (b[bn] && !is_digit(b[bn]))
                bn++;
            if (an == 0 || bn == 0) /* digits sort before text */
                return an == 0 ? -1 : 1;
            c = memcmp(a, b, an < bn ? an : bn);
            if (c == 0 && an != bn)
                c = an < bn ? -1 : 1;
        }
        if (c != 0)
            return c < 0 ? -1 : 1;
        a += an;
        b += bn;
    }
    return (*a != '\0') - (*b != '\0');
}

/* The smallest minor above `after` (INT_MIN: the first), or NULL. */
static const struct release *next_minor(const struct kc_releases *rel,
                                        int after)
{
    const struct release *best = NULL;
    for (size_t i = 0; i < rel->n; i++)
        if (rel->v[i].minor > after &&
            (best == NULL || rel->v[i].minor < best->minor))
            best = &rel->v[i];
    return best;
}

void kc_releases_write_json(FILE *f, const struct kc_releases *rel)
{
    const struct release *r = next_minor(rel, INT_MIN);
    fputc('[', f);
    for (bool first = true; r != NULL;
         first = false, r = next_minor(rel, r->minor)) {
        fprintf(f, "%s{\"minor\":\"1.%d\",\"end_of_life\":", first ? "" : ",",
                r->minor);
        if (r->has_eol)
            fprintf(f, "\"%s\"}", r->eol);
        else
            fputs("null}", f);
    }
    fputc(']', f);
}
