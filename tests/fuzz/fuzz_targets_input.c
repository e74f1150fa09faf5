/*
 * fuzz_input.c - libFuzzer target: input lines in every format. The first
 * byte picks the format (or auto-detection), the rest is split into lines
 * that go through one parser state, as a file or stream would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "targets-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[KC_STREAM_LINE_MAX];
    enum kc_input_format fmt;
    struct kc_zmap_cols zc;
    size_t i = 1;
    if (size < 1)
        return 0;
    fmt = (enum kc_input_format)(data[0] % (KC_INPUT_JSONL + 1));
    kc_zmap_cols_init(&zc);
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t len = nl ? (size_t)(nl - data) - i : size - i;
        struct kc_line_items it;
        if (len >= sizeof(line))
            len = sizeof(line) - 1;
        memcpy(line, data + i, len);
        line[len] = '\0';
        i += len + 1;
        if (kc_input_line_blank(line))
            continue;
        enum kc_input_format f = fmt == KC_INPUT_AUTO ? kc_input_detect(line)
                                                      : fmt;
        if (kc_input_parse_line(f, line, &zc, &it) == KC_LINE_ITEM &&
            it.n_ports > KC_TARGETS_MAX_PORTS)
            abort();
    }
    return 0;
}
