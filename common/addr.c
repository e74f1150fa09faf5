/* addr.c - IPv4/IPv6 addresses in text and integer form. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

bool kc_addr_format(const struct kc_addr *a, char *out, size_t size)
{
    return inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->bytes, out,
                     (socklen_t)size) != NULL;
}

bool kc_endpoint_format(const struct kc_addr *a, uint16_t port, char *out,
                        size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    size_t n;
    if (!kc_addr_format(a, ip, sizeof(ip)))
        return false;
    if (a->family == AF_INET6)
        n = kc_snprintf(out, size, "[%s]:%u", ip, port);
    else
        n = kc_snprintf(out, size, "%s:%u", ip, port);
    return n + 1 < size;
}

bool kc_addr_parse(const char *s, struct kc_addr *out)
{
    struct kc_addr a;
    memset(&a, 0, sizeof(a));
    if (inet_pton(AF_INET, s, a.bytes) == 1) {
        a.family = AF_INET;
    } else if (inet_pton(AF_INET6, s, a.bytes) == 1) {
        a.family = AF_INET6;
    } else {
        return false;
    }
    *out = a;
    return true;
}

uint32_t kc_addr_v4(const struct kc_addr *a)
{
    return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
           (uint32_t)a->bytes[2] << 8 | a->bytes[3];
}

void kc_addr_set_v4(struct kc_addr *a, uint32_t v)
{
    memset(a, 0, sizeof(*a));
    a->family = AF_INET;
    a->bytes[0] = (uint8_t)(v >> 24);
    a->bytes[1] = (uint8_t)(v >> 16);
    a->bytes[2] = (uint8_t)(v >> 8);
    a->bytes[3] = (uint8_t)v;
}
