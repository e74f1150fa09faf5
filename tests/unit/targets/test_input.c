/* test_input.c - line formats and detection (targets/input.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "targets-private.h"

static const struct {
    const char *line;
    enum kc_input_format want;
} detect_cases[] = {
    {"1.2.3.4", KC_INPUT_PLAIN},
    {"10.0.0.0/8:6443", KC_INPUT_PLAIN},
    {"[2001:db8::1]:443", KC_INPUT_PLAIN},
    {"host.example", KC_INPUT_PLAIN},
    {"saddr", KC_INPUT_ZMAP},
    {"saddr,sport", KC_INPUT_ZMAP},
    {"1.2.3.4,6443", KC_INPUT_ZMAP},
    {"open tcp 6443 1.2.3.4 1700000000", KC_INPUT_MASSCAN_LIST},
    {"[", KC_INPUT_JSONL},
    {"{   \"ip\": \"1.2.3.4\", \"ports\": [ {\"port\": 443} ] },",
     KC_INPUT_MASSCAN_JSON},
    {"{\"ip_str\": \"1.2.3.4\", \"port\": 443}", KC_INPUT_JSONL},
};

static void test_detect(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(detect_cases); i++) {
        print_message("case %zu: %s\n", i, detect_cases[i].line);
        assert_int_equal(kc_input_detect(detect_cases[i].line),
                         detect_cases[i].want);
    }
}

static const struct {
    enum kc_input_format fmt;
    const char *line;
    enum kc_line_result want;
    const char *addr; /* or host */
    uint16_t port;
    size_t n_ports;
    uint16_t ports0;
} line_cases[] = {
    {KC_INPUT_PLAIN, "1.2.3.4", KC_LINE_ITEM, "1.2.3.4", 0, 0, 0},
    {KC_INPUT_PLAIN, "  1.2.3.4:6443  # api\r", KC_LINE_ITEM, "1.2.3.4", 6443,
     0, 0},
    {KC_INPUT_PLAIN, "# comment", KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_PLAIN, "   ", KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_PLAIN, "api.example:8443", KC_LINE_ITEM, "api.example", 8443, 0,
     0},
    {KC_INPUT_PLAIN, "1.2.3.4 5.6.7.8", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_PLAIN, "1.2.3.4:99999", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_ZMAP, "1.2.3.4", KC_LINE_ITEM, "1.2.3.4", 0, 0, 0},
    {KC_INPUT_ZMAP, "1.2.3.4,6443", KC_LINE_ITEM, "1.2.3.4", 6443, 0, 0},
    {KC_INPUT_ZMAP, "1.2.3.4,0", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_ZMAP, "host.example,443", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_ZMAP, "10.0.0.0/8", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "open tcp 6443 1.2.3.4 1700000000", KC_LINE_ITEM,
     "1.2.3.4", 6443, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "open tcp 443 2001:db8::1 1700000000",
     KC_LINE_ITEM, "2001:db8::1", 443, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "#masscan", KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "open udp 53 1.2.3.4 1700000000", KC_LINE_SKIP,
     NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "banner tcp 443 1.2.3.4 1700000000 ssl x",
     KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "open tcp 1.2.3.4", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_LIST, "open tcp 6443 1.2.3.999 1700000000", KC_LINE_BAD,
     NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_JSON, "[", KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_JSON, "]", KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_JSON,
     "{   \"ip\": \"1.2.3.4\",   \"timestamp\": \"1700000000\", \"ports\": [ "
     "{\"port\": 6443, \"proto\": \"tcp\", \"status\": \"open\", \"reason\": "
     "\"syn-ack\", \"ttl\": 64} ] },",
     KC_LINE_ITEM, "1.2.3.4", 0, 1, 6443},
    {KC_INPUT_MASSCAN_JSON,
     "{\"ip\": \"1.2.3.4\", \"ports\": [{\"port\": 443}, {\"port\": 6443}]}",
     KC_LINE_ITEM, "1.2.3.4", 0, 2, 443},
    {KC_INPUT_MASSCAN_JSON,
     "{\"ip\": \"1.2.3.4\", \"ports\": [{\"port\": 53, \"proto\": \"udp\"}]}",
     KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_JSON, "{\"finished\": 1}", KC_LINE_SKIP, NULL, 0, 0, 0},
    {KC_INPUT_MASSCAN_JSON, "{\"ip\": \"1.2.3.4\", \"ports\": 5}", KC_LINE_BAD,
     NULL, 0, 0, 0},
    {KC_INPUT_JSONL, "{\"ip\": \"1.2.3.4\", \"port\": 443}", KC_LINE_ITEM,
     "1.2.3.4", 443, 0, 0},
    {KC_INPUT_JSONL, "{\"ip_str\": \"2001:db8::5\", \"port\": \"6443\"}",
     KC_LINE_ITEM, "2001:db8::5", 6443, 0, 0},
    {KC_INPUT_JSONL, "{\"ip\": \"1.2.3.4\"}", KC_LINE_ITEM, "1.2.3.4", 0, 0,
     0},
    {KC_INPUT_JSONL, "{\"ip\": \"1.2.3.4\", \"port\": 70000}", KC_LINE_BAD,
     NULL, 0, 0, 0},
    {KC_INPUT_JSONL, "{\"ip\": 16909060, \"port\": 443}", KC_LINE_BAD, NULL, 0,
     0, 0},
    {KC_INPUT_JSONL,
     "{\"ip\": 16909060, \"ip_str\": \"1.2.3.4\", \"port\": 443, "
     "\"data\": \"HTTP/1.1 403\"}",
     KC_LINE_ITEM, "1.2.3.4", 443, 0, 0},
    {KC_INPUT_JSONL, "{\"ip\": \"1.2.3.4\", \"ip\": \"5.6.7.8\"}", KC_LINE_BAD,
     NULL, 0, 0, 0},
    {KC_INPUT_JSONL, "{\"ip\": \"1.2.3.4\", ", KC_LINE_BAD, NULL, 0, 0, 0},
    {KC_INPUT_JSONL, "[1, 2]", KC_LINE_BAD, NULL, 0, 0, 0},
};

static void test_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(line_cases); i++) {
        char buf[512];
        struct kc_zmap_cols zc;
        struct kc_line_items it;
        enum kc_line_result r;
        kc_zmap_cols_init(&zc);
        zc.seen_line = true; /* not the first line: no header sniffing */
        kc_strlcpy(buf, line_cases[i].line, sizeof(buf));
        print_message("case %zu: %s\n", i, line_cases[i].line);
        r = kc_input_parse_line(line_cases[i].fmt, buf, &zc, &it);
        assert_int_equal(r, line_cases[i].want);
        if (r != KC_LINE_ITEM)
            continue;
        if (it.spec.kind == KC_SPEC_HOST) {
            assert_string_equal(it.spec.host, line_cases[i].addr);
        } else {
            struct kc_addr a;
            assert_true(kc_addr_parse(line_cases[i].addr, &a));
            assert_true(it.spec.lo == kc_key_from_addr(&a));
        }
        assert_int_equal(it.spec.port, line_cases[i].port);
        assert_int_equal(it.n_ports, line_cases[i].n_ports);
        if (it.n_ports)
            assert_int_equal(it.ports[0], line_cases[i].ports0);
    }
}

/* A ZMap header can reorder columns; without one, saddr[,sport]. */
static void test_zmap_header(void **state)
{
    static const struct {
        const char *lines[3];
        enum kc_line_result want[3];
        uint16_t port[3];
    } seqs[] = {
        {{"saddr,sport", "1.2.3.4,6443", "5.6.7.8,443"},
         {KC_LINE_SKIP, KC_LINE_ITEM, KC_LINE_ITEM}, {0, 6443, 443}},
        {{"sport,ttl,saddr", "6443,64,1.2.3.4", "443,1,x"},
         {KC_LINE_SKIP, KC_LINE_ITEM, KC_LINE_BAD}, {0, 6443, 0}},
        {{"saddr", "1.2.3.4", "5.6.7.8"},
         {KC_LINE_SKIP, KC_LINE_ITEM, KC_LINE_ITEM}, {0, 0, 0}},
        {{"1.2.3.4,6443", "5.6.7.8,443", "9.9.9.9"},
         {KC_LINE_ITEM, KC_LINE_ITEM, KC_LINE_ITEM}, {6443, 443, 0}},
        {{"garbage,more", "1.2.3.4", "5.6.7.8"},
         {KC_LINE_BAD, KC_LINE_BAD, KC_LINE_BAD}, {0, 0, 0}},
    };
    (void)state;
    for (size_t s = 0; s < KC_ARRAY_LEN(seqs); s++) {
        struct kc_zmap_cols zc;
        kc_zmap_cols_init(&zc);
        for (size_t i = 0; i < 3; i++) {
            char buf[128];
            struct kc_line_items it;
            kc_strlcpy(buf, seqs[s].lines[i], sizeof(buf));
            print_message("seq %zu line %zu\n", s, i);
            assert_int_equal(kc_input_parse_line(KC_INPUT_ZMAP, buf, &zc, &it),
                             seqs[s].want[i]);
            if (seqs[s].want[i] == KC_LINE_ITEM)
                assert_int_equal(it.spec.port, seqs[s].port[i]);
        }
    }
}

static void test_format_names(void **state)
{
    (void)state;
    for (int f = KC_INPUT_AUTO; f <= KC_INPUT_JSONL; f++) {
        enum kc_input_format g;
        assert_true(kc_input_format_parse(kc_input_format_str(f), &g));
        assert_int_equal(f, g);
    }
    enum kc_input_format g = KC_INPUT_ZMAP;
    assert_false(kc_input_format_parse("csv", &g));
    assert_int_equal(g, KC_INPUT_ZMAP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_zmap_header),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
