/* test_digest.c - SHA-256 (FIPS 180-2 vectors) and base64 (RFC 4648). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "classify-private.h"
#include "fixture.h"

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
    char hex[65];
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        kc_sha256_hex(cases[i].in, strlen(cases[i].in), hex);
        assert_string_equal(hex, cases[i].hex);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
