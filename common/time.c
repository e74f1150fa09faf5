/* time.c - clocks and timestamps. */
#include <time.h>

#include "common.h"

int64_t kc_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t kc_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void kc_format_time_utc(int64_t wall_us, bool frac, char *out, size_t size)
{
    time_t secs = (time_t)(wall_us / 1000000);
    struct tm tm;
    char base[32];
    gmtime_r(&secs, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        kc_snprintf(out, size, "%s.%06dZ", base, (int)(wall_us % 1000000));
    else
        kc_snprintf(out, size, "%sZ", base);
}
