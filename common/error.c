/* error.c - library error messages and bounded string helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

int kc_error_set(struct kc_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void kc_error_clear(struct kc_error *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

size_t kc_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size == 0)
        return 0;
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

size_t kc_snprintf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (size == 0)
        return 0;
    va_start(ap, fmt);
    n = vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    if (n < 0) {
        dst[0] = '\0';
        return 0;
    }
    return (size_t)n >= size ? size - 1 : (size_t)n;
}
