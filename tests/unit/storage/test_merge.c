/* test_merge.c - storage/merge.c: shards into one scan, idempotence,
 * refusing shards that do not belong together, copying histories. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"
#include "storage-private.h"
#include "tmpdb.h"

/* A database holding shard `index` of `shards`: targets i with
 * i % shards == index out of 0..59, all stored. */
static void make_shard(char *path, size_t size, uint64_t seed,
                       uint32_t index, uint32_t shards, bool finish)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "weekly", .specs = "10.0.0.0/26",
                               .ports = "443", .seed = seed,
                               .shard_index = index, .shard_count = shards,
                               .probes = "default", .store = KC_STORE_ALL};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    struct kc_scan_counters c;
    int64_t id;
    char name[32];
    kc_snprintf(name, sizeof(name), "shard%u.db", index);
    tmpdb_path(path, size, name);
    assert_int_equal(kc_store_open(path, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_scan_begin(s, &p, &id, &err), 0);
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    for (uint64_t i = index; i < 60; i += shards) {
        struct kc_result r;
        kc_result_init(&r);
        sample_result(&r, i, i % 2 ? SAMPLE_KUBERNETES : SAMPLE_WEB);
        assert_int_equal(kc_sink_write(sink, &r), 0);
        kc_result_clear(&r);
    }
    kc_sink_flush(sink);
    kc_store_sink_counters(sink, &c);
    kc_sink_free(sink);
    if (finish)
        assert_int_equal(kc_store_scan_finish(s, id, KC_SCAN_DONE, &c, &err),
                         0);
    kc_store_close(s);
}

static void test_shards(void **state)
{
    char a[256], b[256], c[256], out[256];
    struct kc_store *s;
    struct kc_error err = {0};
    uint64_t scans = 0, rows = 0;
    (void)state;
    make_shard(a, sizeof(a), 99, 0, 2, true);
    make_shard(b, sizeof(b), 99, 1, 2, true);
    make_shard(c, sizeof(c), 98, 1, 2, true); /* another scan's shard */
    tmpdb_path(out, sizeof(out), "out.db");
    const char *good[] = {a, b}, *bad[] = {a, c};
    assert_int_equal(kc_store_merge_check(out, good, 2, false, &err), 0);
    assert_int_equal(kc_store_merge_check(out, bad, 2, true, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "seed"));
    /* Shard 0 of 2 alone is no whole scan: refused unless asked for. */
    assert_int_equal(kc_store_merge_check(out, good, 1, false, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "incomplete shard set"));
    assert_non_null(strstr(err.msg, "shard 1 of 2"));
    assert_int_equal(kc_store_merge_check(out, good, 1, true, &err), 0);

    assert_int_equal(kc_store_open(out, KC_STORE_CREATE, &s, &err), 0);
    assert_int_equal(kc_store_merge(s, a, &scans, &rows, &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans WHERE status = "
                              "'interrupted'"), 1); /* half of it so far */
    /* Shard 1 alone completes what the output holds already. */
    assert_int_equal(kc_store_merge_check(out, good + 1, 1, false, &err), 0);
    assert_int_equal(kc_store_merge(s, b, &scans, &rows, &err), 0);
    /* results, not rows of every table: 30 per shard */
    assert_int_equal(rows, 30 + 30);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans"), 1);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans WHERE status = "
                              "'done' AND finished_at IS NOT NULL AND "
                              "shard_index IS NULL AND shard_count = 2"), 1);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 60);
    /* connections (schema v5) came along: 1 + i % 3 for every row */
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results WHERE "
                              "connections IS NOT 1 + target_index % 3"), 0);
    assert_int_equal(tmpdb_int(s, "SELECT stored FROM scans"), 60);
    assert_int_equal(tmpdb_int(s, "SELECT kubernetes FROM scans"), 30);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes"), 30 + 30 * 6);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM certificates"), 7);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM bodies"), 4);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes WHERE probe = "
                              "'version' AND body IS NULL"), 0);
    /* probe 0 of every row (result_rows.p0_*) came along with its body */
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes WHERE seq = 0"
                              " AND answered = 1 AND body IS NOT NULL"), 60);

    /* Idempotent: merging again changes nothing. */
    rows = 0;
    assert_int_equal(kc_store_merge(s, a, NULL, &rows, &err), 0);
    assert_int_equal(kc_store_merge(s, b, NULL, &rows, &err), 0);
    assert_int_equal(rows, 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 60);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes"), 30 + 30 * 6);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM bodies"), 4);
    assert_int_equal(tmpdb_int(s, "SELECT stored FROM scans"), 60);

    /* A shard 1/2 from another scan of the same group key is refused
     * only if it claims an index already taken by another uid. */
    make_shard(c, sizeof(c), 99, 1, 2, true);
    assert_int_equal(kc_store_merge(s, c, NULL, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "already merged"));
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 60);
    /* Into itself: refused. */
    assert_int_equal(kc_store_merge(s, out, NULL, NULL, &err), -EINVAL);
    kc_store_close(s);
}

static void test_history(void **state)
{
    char a[256], b[256], out[256];
    struct kc_store *s;
    struct kc_error err = {0};
    (void)state;
    make_shard(a, sizeof(a), 1, 0, 1, true);
    make_shard(b, sizeof(b), 2, 0, 1, false);
    tmpdb_path(out, sizeof(out), "hist.db");
    assert_int_equal(kc_store_open(out, KC_STORE_CREATE, &s, &err), 0);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(kc_store_merge(s, a, NULL, NULL, &err), 0);
        assert_int_equal(kc_store_merge(s, b, NULL, NULL, &err), 0);
    }
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans"), 2);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 120);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM latest_results"), 60);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans WHERE status = "
                              "'running'"), 1);
    kc_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
