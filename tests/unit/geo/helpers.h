/* helpers.h - shared by the geo tests: where the generated databases are,
 * and a database damaged in one place only. */
#ifndef KC_TEST_GEO_HELPERS_H
#define KC_TEST_GEO_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Path of a database mkmmdb.pl built (directory from meson's env). */
static inline const char *data_path(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("KC_GEO_DATA");
    snprintf(buf, size, "%s/%s", dir ? dir : ".", name);
    return buf;
}

/*
 * Copies a 24-bit-record IPv6 database (as mkmmdb.pl writes them) to dst
 * with one search-tree record smashed: the branch into 127.20.0.0/14, where
 * it parts from 127.16.0.0/14 (IPv4 bit 13, below the 96 zero bits of the
 * IPv4 subtree), points far past the data section. kc_geo_open's probe
 * lookups do not pass there, so the file opens; lookups in 127.20-23.x hit
 * a corrupt tree. Returns false on I/O trouble.
 */
static inline bool make_corrupt_127_20(const char *src, const char *dst)
{
    static unsigned char buf[1 << 16];
    const uint32_t v4 = 0x7f160001u; /* 127.22.0.1 */
    uint32_t node = 0;
    FILE *f = fopen(src, "rb");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    for (unsigned depth = 0; depth <= 96 + 13; depth++) {
        int bit = depth < 96 ? 0 : (int)((v4 >> (31 - (depth - 96))) & 1);
        unsigned char *rec = buf + (size_t)node * 6 + (bit ? 3 : 0);
        if ((size_t)(rec - buf) + 3 > n)
            return false;
        if (depth == 96 + 13) {
            rec[0] = rec[1] = rec[2] = 0xff;
            break;
        }
        node = (uint32_t)rec[0] << 16 | (uint32_t)rec[1] << 8 | rec[2];
    }
    f = fopen(dst, "wb");
    if (f == NULL)
        return false;
    bool ok = fwrite(buf, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

#endif
