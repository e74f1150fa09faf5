/* test_text.c - report/text.c: terminal, CSV and HTML escaping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostile.h"
#include "report.h"

static const struct {
    const char *in;
    size_t n;
    const char *want;
} sanitize_cases[] = {
    {"plain 1.26", 10, "plain 1.26"},
    {"\x1b[31m", 5, "\\x1b[31m"},
    {"a\nb\tc", 5, "a\\x0ab\\x09c"},
    {"\x7f", 1, "\\x7f"},
    {"\xff", 1, "\\xff"},
    {"\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9"},    /* été kept */
    {"\xc0\xaf", 2, "\\xc0\\xaf"},                     /* overlong */
    {"\xed\xa0\x80", 3, "\\xed\\xa0\\x80"},            /* surrogate */
    {"\xc2\x9b", 2, "\\xc2\\x9b"},                     /* C1 CSI */
    {"a\\b", 3, "a\\\\b"},
    {"nul\0x", 5, "nul\\x00x"},
};

static void test_sanitize(void **state)
{
    char out[256];
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(sanitize_cases); i++) {
        kc_text_sanitize(sanitize_cases[i].in, sanitize_cases[i].n, out,
                         sizeof(out));
        if (strcmp(out, sanitize_cases[i].want) != 0)
            fail_msg("case %zu: got '%s'", i, out);
    }
}

static void test_sanitize_truncates_on_boundary(void **state)
{
    char out[6];
    (void)state;
    /* "ab" + é + é: 6 bytes; room for 5 incl. NUL -> "abé" (4 bytes). */
    kc_text_sanitize("ab\xc3\xa9\xc3\xa9", 6, out, sizeof(out));
    assert_string_equal(out, "ab\xc3\xa9");
    kc_text_sanitize("\x1b\x1b", 2, out, sizeof(out));
    assert_string_equal(out, "\\x1b"); /* never half an escape */
}

/* Every output byte is printable ASCII or part of valid UTF-8 without C0,
 * C1 or DEL. */
static void assert_terminal_safe(const char *s)
{
    char again[4096];
    size_t backslashes = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fail_msg("raw control byte 0x%02x in '%s'", *p, s);
        backslashes += *p == '\\';
    }
    /* Sanitizing safe output again only doubles the backslashes: nothing
     * invalid or control was left. */
    kc_text_sanitize(s, strlen(s), again, sizeof(again));
    if (strlen(again) != strlen(s) + backslashes)
        fail_msg("invalid or control sequence left in '%s'", s);
}

static void test_sanitize_hostile(void **state)
{
    char out[1024];
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(hostile_strings); i++) {
        kc_text_sanitize(hostile_strings[i], strlen(hostile_strings[i]), out,
                         sizeof(out));
        assert_terminal_safe(out);
    }
}

/* A strict RFC 4180 field parser: returns the field, advances *p. */
static char *csv_parse_field(const char **p)
{
    const char *s = *p;
    char *out = calloc(1, strlen(s) + 1);
    size_t o = 0;
    if (*s == '"') {
        s++;
        for (;;) {
            if (*s == '\0')
                fail_msg("unterminated quoted field");
            if (*s == '"' && s[1] == '"') {
                out[o++] = '"';
                s += 2;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                out[o++] = *s++;
            }
        }
    } else {
        while (*s && *s != ',' && *s != '\r' && *s != '\n') {
            if (*s == '"')
                fail_msg("bare quote in unquoted field");
            out[o++] = *s++;
        }
    }
    *p = s;
    return out;
}

static char *csv_of(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kc_csv_write_field(f, s);
    fclose(f);
    return buf;
}

static void test_csv_field_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(hostile_strings); i++) {
        const char *in = hostile_strings[i];
        char *csv = csv_of(in);
        const char *p = csv;
        char *back = csv_parse_field(&p);
        char first = in[0];
        bool formula = first == '=' || first == '+' || first == '-' ||
                       first == '@' || first == '\t' || first == '\r';
        assert_int_equal(*p, '\0'); /* one whole field */
        if (formula) {
            /* Neutralised: a leading quote, then the exact bytes. */
            assert_int_equal(back[0], '\'');
            assert_string_equal(back + 1, in);
        } else {
            assert_string_equal(back, in);
        }
        /* A spreadsheet sees a formula only if the cell starts with one. */
        assert_false(back[0] == '=' || back[0] == '+' || back[0] == '-' ||
                     back[0] == '@');
        free(back);
        free(csv);
    }
}

static const struct {
    const char *in, *want;
} csv_cases[] = {
    {"plain", "plain"},
    {"", ""},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"=1+2", "'=1+2"},
    {"-x,y", "\"'-x,y\""},
    {"l1\nl2", "\"l1\nl2\""},
};

static void test_csv_field_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(csv_cases); i++) {
        char *got = csv_of(csv_cases[i].in);
        if (strcmp(got, csv_cases[i].want) != 0)
            fail_msg("case %zu: got [%s]", i, got);
        free(got);
    }
}

static void test_html_text(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(hostile_strings); i++) {
        kc_html_write_text(f, hostile_strings[i]);
        fputc('|', f);
    }
    fclose(f);
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "]]>"));
    assert_null(strchr(buf, '"'));
    assert_null(strchr(buf, '\''));
    assert_non_null(strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(buf, "back\\\\slash &amp; &#39;apos&#39;"));
    assert_terminal_safe(buf);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_sanitize_truncates_on_boundary),
        cmocka_unit_test(test_sanitize_hostile),
        cmocka_unit_test(test_csv_field_round_trip),
        cmocka_unit_test(test_csv_field_exact),
        cmocka_unit_test(test_html_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
