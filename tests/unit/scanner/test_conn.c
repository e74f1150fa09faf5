/* Tests scanner/conn.c's memory promise: a target still waiting for its
 * SYN-ACK holds less than 2 KiB (the TLS state comes only with TCP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scanner.h"

static void test_connecting_size(void **state)
{
    assert_true(kc_scanner_conn_size() < 2048);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connecting_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
