/* test_digest.c - SHA-256 (FIPS 180-2 vectors), base64 (RFC 4648) and
 * UTF-8 validation (RFC 3629). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"

static void test_sha256_vectors(void **state)
{
    static const struct {
        const char *in;
        const char *hex;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
         "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
        /* 55, 56 and 64 bytes: the padding edges. */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    };
    char hex[KC_SHA256_HEX];
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        kc_sha256_hex(cases[i].in, strlen(cases[i].in), hex);
        assert_string_equal(hex, cases[i].hex);
        /* The same in pieces of 1, 7 and 64 bytes. */
        static const size_t steps[] = {1, 7, 64};
        for (size_t s = 0; s < KC_ARRAY_LEN(steps); s++) {
            struct kc_sha256 *h = kc_sha256_new();
            size_t n = strlen(cases[i].in);
            assert_non_null(h);
            for (size_t o = 0; o < n; o += steps[s])
                kc_sha256_update(h, cases[i].in + o,
                                 n - o < steps[s] ? n - o : steps[s]);
            kc_sha256_finish_hex(h, hex);
            assert_string_equal(hex, cases[i].hex);
        }
    }
    /* One million 'a' (FIPS 180-2 B.3). */
    char *m = malloc(1000000);
    memset(m, 'a', 1000000);
    kc_sha256_hex(m, 1000000, hex);
    free(m);
    assert_string_equal(
        hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_base64(void **state)
{
    static const struct {
        const char *in;
        ssize_t rc;
        const char *out;
    } cases[] = {
        {"", 0, ""},
        {"Zg==", 1, "f"},
        {"Zm8=", 2, "fo"},
        {"Zm9v", 3, "foo"},
        {"Zm9vYg==", 4, "foob"},
        {"Zm9vYmE=", 5, "fooba"},
        {"Zm9vYmFy", 6, "foobar"},
        {"Zm9v\nYmFy\r\n", 6, "foobar"}, /* PEM line breaks */
        {"Zm9v YmFy", 6, "foobar"},
        {"-_8=", 2, "\xfb\xff"},          /* URL alphabet */
        {"+/8=", 2, "\xfb\xff"},
        {"Zm9v*", -EINVAL, ""},
        {"Zm9vYmFyYmF6", -ENOBUFS, ""},   /* 9 bytes into 8 */
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        uint8_t out[8];
        ssize_t rc = kc_base64_decode(cases[i].in, strlen(cases[i].in), out,
                                      sizeof out);
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %zd", cases[i].in, rc);
        if (rc > 0)
            assert_memory_equal(out, cases[i].out, (size_t)rc);
    }
}

static void test_base64_encode(void **state)
{
    static const char *const cases[][2] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
        {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "+/8="},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        char out[16];
        size_t n = strlen(cases[i][0]);
        assert_int_equal(kc_base64_encode(cases[i][0], n, out, sizeof out),
                         strlen(cases[i][1]));
        assert_string_equal(out, cases[i][1]);
        /* One byte short of the NUL: nothing written. */
        memset(out, 'x', sizeof out);
        assert_int_equal(kc_base64_encode(cases[i][0], n, out,
                                          KC_BASE64_LEN(n)), 0);
        assert_int_equal(out[0], 'x');
        /* And back. */
        uint8_t back[8];
        assert_int_equal(kc_base64_decode(cases[i][1], strlen(cases[i][1]),
                                          back, sizeof back),
                         (ssize_t)n);
        assert_memory_equal(back, cases[i][0], n);
    }
}

static void test_utf8(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        uint32_t cp;
    } cases[] = {
        {"a", 1, 'a'},
        {"\xc2\x80", 2, 0x80},
        {"\xdf\xbf", 2, 0x7ff},
        {"\xe2\x80\xa8", 3, 0x2028},
        {"\xef\xbf\xbd", 3, 0xfffd},
        {"\xf0\x9f\x98\x80", 4, 0x1f600},
        {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
        {"\xc0\xaf", 0, 0},          /* overlong '/' */
        {"\xe0\x80\xaf", 0, 0},      /* overlong, 3 bytes */
        {"\xf0\x80\x80\xaf", 0, 0},  /* overlong, 4 bytes */
        {"\xed\xa0\x80", 0, 0},      /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 0, 0},  /* U+110000 */
        {"\xe2\x80", 0, 0},          /* truncated */
        {"\x80", 0, 0},              /* lone continuation byte */
        {"\xe2\x28\xa1", 0, 0},      /* bad continuation byte */
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        uint32_t cp = 0xdead;
        size_t len = kc_utf8_seq_len((const unsigned char *)cases[i].in,
                                     strlen(cases[i].in), &cp);
        if (len != cases[i].len)
            fail_msg("case %zu: length %zu", i, len);
        assert_int_equal(cp, cases[i].len ? cases[i].cp : 0xdead);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_base64_encode),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
