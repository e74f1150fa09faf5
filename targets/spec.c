/* spec.c - target specs: addresses, CIDRs, ranges, hostnames, ports. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "targets-private.h"

kc_u128 kc_key_from_addr(const struct kc_addr *a)
{
    kc_u128 k = 0;
    if (a->family == AF_INET)
        return KC_V4_BASE | kc_addr_v4(a);
    for (int i = 0; i < 16; i++)
        k = k << 8 | a->bytes[i];
    return k;
}

void kc_key_to_addr(kc_u128 k, struct kc_addr *a)
{
    if (kc_key_is_v4(k)) {
        kc_addr_set_v4(a, (uint32_t)k);
        return;
    }
    memset(a, 0, sizeof(*a));
    a->family = AF_INET6;
    for (int i = 15; i >= 0; i--) {
        a->bytes[i] = (uint8_t)k;
        k >>= 8;
    }
}

/* Parses a bare address from a counted string. */
static bool addr_parse_n(const char *s, size_t n, kc_u128 *key, bool *v4)
{
    char tmp[64];
    struct kc_addr a;
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (!kc_addr_parse(tmp, &a))
        return false;
    *key = kc_key_from_addr(&a);
    *v4 = a.family == AF_INET;
    return true;
}

static bool cidr_parse_n(const char *s, size_t n, kc_u128 *lo, kc_u128 *hi)
{
    const char *slash = memchr(s, '/', n), *dash = memchr(s, '-', n);
    kc_u128 a, b;
    bool v4, v4b;
    uint64_t len;

    if (slash != NULL) {
        if (!addr_parse_n(s, (size_t)(slash - s), &a, &v4))
            return false;
        if (!kc_parse_u64n(slash + 1, n - (size_t)(slash - s) - 1, 0,
                           v4 ? 32 : 128, &len))
            return false;
        /* Bits below the prefix, in the 128-bit key space. */
        unsigned host_bits = (unsigned)((v4 ? 32 : 128) - len);
        kc_u128 span = host_bits >= 128 ? ~(kc_u128)0
                                        : (((kc_u128)1 << host_bits) - 1);
        *lo = a & ~span;
        *hi = *lo | span;
        if (v4) {
            *lo |= KC_V4_BASE;
            *hi |= KC_V4_BASE;
        }
        return true;
    }
    if (dash != NULL) {
        if (!addr_parse_n(s, (size_t)(dash - s), &a, &v4) ||
            !addr_parse_n(dash + 1, n - (size_t)(dash - s) - 1, &b, &v4b))
            return false;
        if (v4 != v4b || b < a)
            return false;
        *lo = a;
        *hi = b;
        return true;
    }
    if (!addr_parse_n(s, n, &a, &v4))
        return false;
    *lo = *hi = a;
    return true;
}

bool kc_cidr_parse(const char *s, kc_u128 *lo, kc_u128 *hi)
{
    return cidr_parse_n(s, strlen(s), lo, hi);
}

/* RFC 1123 names (plus '_', seen in the wild); the last label must not be
 * all digits so that "1.2.3.999" is an error, not a hostname. */
static bool host_valid_n(const char *s, size_t n)
{
    size_t label = 0;
    bool all_digits = true;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : '.';
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-' || s[i - label] == '-')
                return false;
            if (i == n && all_digits)
                return false;
            label = 0;
            all_digits = true;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-' && c != '_')
            return false;
        if (!isdigit((unsigned char)c))
            all_digits = false;
        if (++label > 63)
            return false;
    }
    return true;
}

static bool port_parse_n(const char *s, size_t n, uint16_t *port)
{
    uint64_t v;
    if (!kc_parse_u64n(s, n, 1, 65535, &v))
        return false;
    *port = (uint16_t)v;
    return true;
}

/* The part before an optional ":port": an address range or a hostname. */
static bool spec_body(const char *s, size_t n, bool brackets,
                      struct kc_spec *sp)
{
    if (cidr_parse_n(s, n, &sp->lo, &sp->hi)) {
        /* Inside brackets only IPv6 makes sense. */
        if (brackets && kc_key_is_v4(sp->lo) && memchr(s, ':', n) == NULL)
            return false;
        sp->kind = KC_SPEC_RANGE;
        return true;
    }
    if (brackets || !host_valid_n(s, n))
        return false;
    sp->kind = KC_SPEC_HOST;
    for (size_t i = 0; i < n; i++)
        sp->host[i] = (char)tolower((unsigned char)s[i]);
    sp->host[n] = '\0';
    return true;
}

bool kc_spec_parse(const char *s, struct kc_spec *out)
{
    struct kc_spec sp;
    size_t n = s ? strlen(s) : 0;
    const char *colon;
    bool ok;

    if (n == 0 || n > 300)
        return false;
    memset(&sp, 0, sizeof(sp));
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL)
            return false;
        ok = spec_body(s + 1, (size_t)(close - s - 1), true, &sp);
        if (ok && close[1] != '\0')
            ok = close[1] == ':' &&
                 port_parse_n(close + 2, strlen(close + 2), &sp.port);
    } else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':')) {
        ok = spec_body(s, n, false, &sp); /* bare IPv6: no port */
    } else if (colon != NULL) {
        ok = spec_body(s, (size_t)(colon - s), false, &sp) &&
             port_parse_n(colon + 1, n - (size_t)(colon - s) - 1, &sp.port);
    } else {
        ok = spec_body(s, n, false, &sp);
    }
    if (!ok)
        return false;
    *out = sp;
    return true;
}

bool kc_target_spec_valid(const char *spec)
{
    struct kc_spec sp;
    return kc_spec_parse(spec, &sp);
}

bool kc_ports_parse(const char *s, uint16_t *ports, size_t max, size_t *n_out)
{
    uint16_t tmp[KC_TARGETS_MAX_PORTS];
    size_t n = 0;
    const char *p = s;
    if (s == NULL || *s == '\0')
        return false;
    if (max > KC_ARRAY_LEN(tmp))
        max = KC_ARRAY_LEN(tmp);
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *dash = memchr(p, '-', len);
        uint16_t a, b;
        if (dash != NULL) {
            if (!port_parse_n(p, (size_t)(dash - p), &a) ||
                !port_parse_n(dash + 1, len - (size_t)(dash - p) - 1, &b) ||
                b < a)
                return false;
        } else if (!port_parse_n(p, len, &a)) {
            return false;
        } else {
            b = a;
        }
        for (uint32_t v = a; v <= b; v++) {
            bool dup = false;
            for (size_t i = 0; i < n; i++)
                dup = dup || tmp[i] == v;
            if (dup)
                continue;
            if (n >= max)
                return false;
            tmp[n++] = (uint16_t)v;
        }
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    memcpy(ports, tmp, n * sizeof(tmp[0]));
    *n_out = n;
    return true;
}
