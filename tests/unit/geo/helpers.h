/* helpers.h - shared by the geo tests: where the generated databases are. */
#ifndef KC_TEST_GEO_HELPERS_H
#define KC_TEST_GEO_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

/* Path of a database mkmmdb.pl built (directory from meson's env). */
static inline const char *data_path(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("KC_GEO_DATA");
    snprintf(buf, size, "%s/%s", dir ? dir : ".", name);
    return buf;
}

#endif
