/*
 * blocklist.c - the effective blocklist: IANA special-purpose ranges (as
 * ZMap ships them, plus the IPv6 equivalents), minus the operator's lifts,
 * plus the user's opt-out file; and the optional allowlist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "targets-private.h"

/* RFC 6890 and the IANA special-purpose registries. ::ffff:0:0/96 is left
 * out on purpose: in our key space it *is* IPv4, covered by the v4 rows. */
static const char *const default_blocklist[] = {
    "0.0.0.0/8",       "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",
    "169.254.0.0/16",  "172.16.0.0/12",   "192.0.0.0/24",   "192.0.2.0/24",
    "192.88.99.0/24",  "192.168.0.0/16",  "198.18.0.0/15",  "198.51.100.0/24",
    "203.0.113.0/24",  "224.0.0.0/4",     "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",          "::1/128",         "64:ff9b:1::/48", "100::/64",
    "2001::/23",       "2001:db8::/32",   "2002::/16",      "3fff::/20",
    "5f00::/16",       "fc00::/7",        "fe80::/10",      "ff00::/8",
};

/* What --allow-loopback lifts, and nothing more. */
static const char *const loopback_lifts[] = {"127.0.0.0/8", "::1/128"};

static int add_cidr(struct kc_ivals *s, const char *cidr)
{
    kc_u128 lo, hi;
    if (!kc_cidr_parse(cidr, &lo, &hi))
        return -EINVAL;
    return kc_ivals_add(s, lo, hi);
}

/* Trims spaces and a '#' comment in place. */
static char *strip_line(char *s)
{
    char *hash = strchr(s, '#');
    size_t n;
    if (hash != NULL)
        *hash = '\0';
    s += strspn(s, " \t");
    n = strlen(s);
    while (n > 0 && strchr(" \t\r\n", s[n - 1]))
        s[--n] = '\0';
    return s;
}

int kc_cidr_file_read(const char *path, struct kc_ivals *s,
                      struct kc_error *err)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    if (f == NULL)
        return kc_error_set(err, -errno, "%s: %s", path, strerror(errno));
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        char *c = strip_line(line);
        lineno++;
        if (*c == '\0')
            continue;
        rc = add_cidr(s, c);
        if (rc == -EINVAL)
            kc_error_set(err, rc, "%s:%zu: bad CIDR or range '%.80s'", path,
                         lineno, c);
        else if (rc < 0)
            kc_error_set(err, rc, "out of memory");
    }
    if (rc == 0 && ferror(f))
        rc = kc_error_set(err, -EIO, "%s: read error", path);
    free(line);
    fclose(f);
    return rc;
}

static void lifts_append(char *lifts, size_t size, const char *s)
{
    size_t n = strlen(lifts);
    kc_snprintf(lifts + n, size - n, "%s%s", n ? "," : "", s);
}

int kc_blocklist_build(const struct kc_targets_config *cfg,
                       struct kc_ivals *block, struct kc_ivals *allow,
                       char *lifts, size_t lifts_size, struct kc_error *err)
{
    struct kc_ivals lift = {0};
    int rc = 0;

    lifts[0] = '\0';
    for (size_t i = 0; rc == 0 && i < KC_ARRAY_LEN(default_blocklist); i++)
        rc = add_cidr(block, default_blocklist[i]);
    for (size_t i = 0; rc == 0 && cfg->allow_loopback &&
                       i < KC_ARRAY_LEN(loopback_lifts); i++) {
        rc = add_cidr(&lift, loopback_lifts[i]);
        lifts_append(lifts, lifts_size, loopback_lifts[i]);
    }
    for (size_t i = 0; rc == 0 && i < cfg->n_allow; i++) {
        rc = add_cidr(&lift, cfg->allow_cidrs[i]);
        if (rc == -EINVAL) {
            kc_error_set(err, rc, "--allow: bad CIDR or range '%.80s'",
                         cfg->allow_cidrs[i]);
            goto out;
        }
        lifts_append(lifts, lifts_size, cfg->allow_cidrs[i]);
    }
    if (rc < 0) {
        kc_error_set(err, rc, "out of memory");
        goto out;
    }
    kc_ivals_normalize(block);
    kc_ivals_normalize(&lift);
    if ((rc = kc_ivals_subtract(block, &lift, NULL)) < 0)
        goto out;
    /* The user's opt-outs come after the lifts: --allow never lifts them. */
    if (cfg->blocklist_file &&
        (rc = kc_cidr_file_read(cfg->blocklist_file, block, err)) < 0)
        goto out;
    kc_ivals_normalize(block);
    if (cfg->allowlist_file) {
        if ((rc = kc_cidr_file_read(cfg->allowlist_file, allow, err)) < 0)
            goto out;
        kc_ivals_normalize(allow);
    }
out:
    kc_ivals_free(&lift);
    return rc;
}

void kc_ivals_sha256(const struct kc_ivals *s, char out[KC_SHA256_HEX])
{
    struct kc_sha256 *h = kc_sha256_new();
    out[0] = '\0';
    if (h == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct kc_addr a, b;
        char lo[64], hi[64], line[140];
        size_t n;
        kc_key_to_addr(s->v[i].lo, &a);
        kc_key_to_addr(s->v[i].hi, &b);
        kc_addr_format(&a, lo, sizeof(lo));
        kc_addr_format(&b, hi, sizeof(hi));
        n = kc_snprintf(line, sizeof(line), "%s-%s\n", lo, hi);
        kc_sha256_update(h, line, n);
    }
    kc_sha256_finish_hex(h, out);
}
