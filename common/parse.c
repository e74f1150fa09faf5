/* parse.c - strict number, duration and shard parsing. */
#include <string.h>

#include "common.h"

bool kc_parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL || n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool kc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL)
        return false;
    return kc_parse_u64n(s, strlen(s), min, max, out);
}

bool kc_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    uint64_t mag;
    int64_t v;
    if (s == NULL)
        return false;
    if (*s == '-') {
        /* Magnitude of INT64_MIN is INT64_MAX + 1. */
        if (!kc_parse_u64(s + 1, 0, (uint64_t)INT64_MAX + 1, &mag))
            return false;
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (!kc_parse_u64(s, 0, INT64_MAX, &mag))
            return false;
        v = (int64_t)mag;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool kc_parse_port(const char *s, uint16_t *out)
{
    uint64_t v;
    if (!kc_parse_u64(s, 1, 65535, &v))
        return false;
    *out = (uint16_t)v;
    return true;
}

/* Units accepted after the number, and their size in milliseconds. */
static const struct {
    const char *suffix;
    uint64_t ms;
} duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000},
};

bool kc_parse_duration_ms(const char *s, uint64_t min_ms, uint64_t max_ms,
                          uint64_t *out)
{
    size_t int_len, frac_len = 0;
    const char *p, *unit;
    uint64_t ipart, fpart = 0, scale = 1, ms = 0;
    bool found = false;

    if (s == NULL)
        return false;
    int_len = strspn(s, "0123456789");
    p = s + int_len;
    if (*p == '.') {
        frac_len = strspn(p + 1, "0123456789");
        if (frac_len == 0 || frac_len > 6)
            return false;
        unit = p + 1 + frac_len;
    } else {
        unit = p;
    }
    if (int_len == 0 || !kc_parse_u64n(s, int_len, 0, UINT64_MAX / 3600000,
                                       &ipart))
        return false;
    if (frac_len > 0) {
        kc_parse_u64n(p + 1, frac_len, 0, UINT64_MAX, &fpart);
        for (size_t i = 0; i < frac_len; i++)
            scale *= 10;
    }
    for (size_t i = 0; i < KC_ARRAY_LEN(duration_units); i++) {
        if (strcmp(unit, duration_units[i].suffix) == 0) {
            ms = ipart * duration_units[i].ms +
                 fpart * duration_units[i].ms / scale;
            found = true;
            break;
        }
    }
    if (!found || ms < min_ms || ms > max_ms)
        return false;
    *out = ms;
    return true;
}

bool kc_parse_shard(const char *s, uint32_t *index, uint32_t *count)
{
    const char *slash;
    uint64_t i, n;
    if (s == NULL || (slash = strchr(s, '/')) == NULL)
        return false;
    if (!kc_parse_u64n(s, (size_t)(slash - s), 0, 65535, &i))
        return false;
    if (!kc_parse_u64(slash + 1, 1, 65536, &n) || i >= n)
        return false;
    *index = (uint32_t)i;
    *count = (uint32_t)n;
    return true;
}

bool kc_parse_date(const char *s, size_t n)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    uint64_t y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' ||
        !kc_parse_u64n(s, 4, 1970, 9999, &y) ||
        !kc_parse_u64n(s + 5, 2, 1, 12, &m) ||
        !kc_parse_u64n(s + 8, 2, 1, 31, &d))
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= (uint64_t)days[m - 1] + (m == 2 && leap);
}
