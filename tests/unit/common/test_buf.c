/* test_buf.c - common/buf.c: bounded buffers and byte strings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"

static void test_ceiling(void **state)
{
    struct kc_buf b;
    (void)state;
    kc_buf_init(&b, 10);
    assert_int_equal(kc_buf_append(&b, "hello", 5), 0);
    assert_int_equal(kc_buf_append(&b, "world", 5), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal((char *)b.data, "helloworld");
    /* One byte over the ceiling is refused, nothing appended. */
    assert_int_equal(kc_buf_append(&b, "!", 1), -ENOBUFS);
    assert_int_equal(b.len, 10);
    assert_true(b.cap <= 11);
    kc_buf_consume(&b, 5);
    assert_string_equal((char *)b.data, "world");
    assert_int_equal(kc_buf_append(&b, "12345", 5), 0);
    assert_int_equal(kc_buf_append(&b, "x", 1), -ENOBUFS);
    kc_buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    kc_buf_free(&b);
}

static void test_huge_request(void **state)
{
    struct kc_buf b;
    (void)state;
    kc_buf_init(&b, 1 << 20);
    /* A length that would overflow len + n is refused, not wrapped. */
    assert_int_equal(kc_buf_append(&b, "x", 1), 0);
    assert_int_equal(kc_buf_append(&b, "x", SIZE_MAX), -ENOBUFS);
    assert_int_equal(b.len, 1);
    kc_buf_free(&b);
}

static void test_bytes(void **state)
{
    struct kc_bytes s = {0};
    (void)state;
    assert_false(kc_bytes_present(&s));
    assert_int_equal(kc_bytes_set(&s, "a\0b", 3, 0), 0);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.data, "a\0b", 3);
    assert_int_equal(s.data[3], 0);
    assert_int_equal(kc_bytes_set(&s, "abcdef", 6, 4), 0);
    assert_int_equal(s.len, 4);
    assert_string_equal(s.data, "abcd");
    assert_int_equal(kc_bytes_set(&s, "", 0, 0), 0);
    assert_true(kc_bytes_present(&s));
    assert_int_equal(s.len, 0);
    kc_bytes_free(&s);
    assert_false(kc_bytes_present(&s));
}

static void test_strlcpy(void **state)
{
    char d[4];
    (void)state;
    assert_int_equal(kc_strlcpy(d, "abcdef", sizeof(d)), 3);
    assert_string_equal(d, "abc");
    assert_int_equal(kc_snprintf(d, sizeof(d), "%d", 123456), 3);
    assert_string_equal(d, "123");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling),
        cmocka_unit_test(test_huge_request),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_strlcpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
