/* fuzz_spec.c - libFuzzer target: target specs and port lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "targets-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[512];
    struct kc_spec sp;
    uint16_t ports[KC_TARGETS_MAX_PORTS];
    size_t n;
    if (size >= sizeof(buf))
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (kc_spec_parse(buf, &sp) && sp.kind == KC_SPEC_RANGE && sp.hi < sp.lo)
        abort(); /* a parsed range is never reversed */
    if (kc_ports_parse(buf, ports, KC_TARGETS_MAX_PORTS, &n) &&
        (n == 0 || n > KC_TARGETS_MAX_PORTS))
        abort();
    return 0;
}
