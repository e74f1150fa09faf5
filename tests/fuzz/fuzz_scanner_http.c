/*
 * fuzz_scanner_http.c - the HTTP/1.1 response reader (scanner/http.c) over
 * peer bytes: the input is what a server sends on one keep-alive connection,
 * read as the answers to the default probe sequence. The first byte picks
 * the chunk size the bytes arrive in, so responses split across reads are
 * covered; the stream ends with EOF. Finds crashes, leaks and ceiling bugs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kc_result r;
    struct kc_http_rx rx;
    size_t chunk, off = 0, probe = 0;
    if (size < 1)
        return 0;
    chunk = 1 + data[0] % 64;
    data++;
    size--;
    kc_result_init(&r);
    memset(&rx, 0, sizeof(rx));
    r.probes[0].id = KC_PROBE_VERSION;
    kc_http_rx_begin(&rx, &r.probes[0]);
    for (;;) {
        size_t n = size - off < chunk ? size - off : chunk;
        size_t used = 0;
        enum kc_http_status st =
            kc_http_rx_feed(&rx, (const char *)data + off, n, &used);
        if (st == KC_HTTP_ERROR || st == KC_HTTP_TOO_LARGE)
            break; /* (http-parser reports 1 byte used for an EOF error) */
        if (used > n)
            abort(); /* the reader must never claim more than it was given */
        if (st == KC_HTTP_COMPLETE) {
            if (++probe >= kc_probe_set_len(KC_PROBES_DEFAULT))
                break;
            r.probes[probe].id = kc_probe_set_at(KC_PROBES_DEFAULT, probe);
            r.n_probes = probe;
            kc_http_rx_begin(&rx, &r.probes[probe]);
            off += used;
            continue;
        }
        if (n == 0)
            break; /* EOF fed and still incomplete */
        off += used ? used : n;
    }
    r.n_probes = probe + 1 <= KC_PROBE__COUNT ? probe + 1 : KC_PROBE__COUNT;
    kc_http_rx_free(&rx);
    kc_result_clear(&r);
    return 0;
}
