/* rate.c - a token bucket for new connections per second. */
#include "scanner-private.h"

void kc_rate_init(struct kc_rate *r, double per_sec, uint64_t now_ms)
{
    r->per_ms = per_sec / 1000.0;
    /* A burst of 1/20 s keeps the pace smooth but tolerates timer lag. */
    r->burst = per_sec / 20.0 < 1.0 ? 1.0 : per_sec / 20.0;
    r->tokens = 1.0;
    r->last_ms = now_ms;
}

static void refill(struct kc_rate *r, uint64_t now_ms)
{
    if (now_ms > r->last_ms) {
        r->tokens += (double)(now_ms - r->last_ms) * r->per_ms;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last_ms = now_ms;
    }
}

bool kc_rate_take(struct kc_rate *r, uint64_t now_ms)
{
    if (r->per_ms <= 0.0)
        return true;
    refill(r, now_ms);
    if (r->tokens < 1.0)
        return false;
    r->tokens -= 1.0;
    return true;
}

uint64_t kc_rate_take_ahead(struct kc_rate *r, uint64_t now_ms,
                            double max_debt)
{
    if (r->per_ms <= 0.0)
        return 0;
    refill(r, now_ms);
    if (r->tokens - 1.0 >= -max_debt) {
        r->tokens -= 1.0;
        return 0;
    }
    double ms = (1.0 - max_debt - r->tokens) / r->per_ms;
    return ms < 1.0 ? 1 : (uint64_t)ms + 1;
}

uint64_t kc_rate_wait_ms(struct kc_rate *r, uint64_t now_ms)
{
    if (r->per_ms <= 0.0)
        return 0;
    refill(r, now_ms);
    if (r->tokens >= 1.0)
        return 0;
    double ms = (1.0 - r->tokens) / r->per_ms;
    return ms < 1.0 ? 1 : (uint64_t)ms + 1;
}
