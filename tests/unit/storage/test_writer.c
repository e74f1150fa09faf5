/* test_writer.c - storage/writer.c and scans.c: the batched sink, policy,
 * checkpoints, resume bookkeeping, backpressure, idempotent re-writes. */
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

static struct kc_store *fresh(int64_t *scan_id, enum kc_store_policy pol)
{
    struct kc_scan_params p = {.label = "w", .seed = 7, .shard_count = 1,
                               .argv = "kcensus scan 10.0.0.0/8",
                               .store = pol};
    char path[256];
    return tmpdb_open(path, sizeof(path), "w.db", &p, scan_id);
}

static enum sample_kind kind_of(uint64_t i)
{
    return i % 3 == 0 ? SAMPLE_REFUSED : i % 3 == 1 ? SAMPLE_WEB
                                                    : SAMPLE_KUBERNETES;
}

static void write_range(struct kc_sink *sink, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = lo; i < hi; i++) {
        struct kc_result r;
        kc_result_init(&r);
        sample_result(&r, i, kind_of(i));
        assert_int_equal(kc_sink_write(sink, &r), 0);
        kc_result_clear(&r);
    }
}

/* Each policy stores its share of 300 targets; counters cover them all. */
static const struct {
    enum kc_store_policy p;
    int64_t stored;
} policy_rows[] = {
    {KC_STORE_ALL, 300},
    {KC_STORE_RESPONSIVE, 200},
    {KC_STORE_KUBERNETES, 100},
};

static void test_policy_and_counters(void **state)
{
    (void)state;
    for (size_t k = 0; k < KC_ARRAY_LEN(policy_rows); k++) {
        int64_t id;
        struct kc_error err = {0};
        struct kc_store *s = fresh(&id, policy_rows[k].p);
        struct kc_store_writer_config cfg = {.batch_rows = 64,
                                             .store = policy_rows[k].p,
                                             .targets_total = 300};
        struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
        struct kc_scan_counters c;
        assert_non_null(sink);
        write_range(sink, 0, 300);
        assert_int_equal(kc_sink_flush(sink), 0);
        assert_int_equal(kc_store_sink_counters(sink, &c), 0);
        kc_sink_free(sink);
        assert_int_equal(c.completed, 300);
        assert_int_equal(c.stored, policy_rows[k].stored);
        assert_int_equal(c.kubernetes, 100);
        assert_int_equal(c.by_outcome[KC_OUTCOME_REFUSED], 100);
        assert_int_equal(c.targets_total, 300);
        assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"),
                         policy_rows[k].stored);
        assert_int_equal(tmpdb_int(s, "SELECT count_refused FROM scans"), 100);
        assert_int_equal(kc_store_scan_finish(s, id, KC_SCAN_DONE, &c, &err),
                         0);
        assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans WHERE status ="
                                  " 'done' AND finished_at IS NOT NULL"), 1);
        kc_store_close(s);
    }
}

static void test_checkpoint_and_resume(void **state)
{
    int64_t id, rid = 0;
    struct kc_error err = {0};
    struct kc_store *s = fresh(&id, KC_STORE_ALL);
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    struct kc_checkpoint cp = {.next_dispatch = 120, .low_uncommitted = 100};
    struct kc_checkpoint got;
    uint64_t *idx;
    size_t n;
    char *argv = NULL;
    (void)state;
    write_range(sink, 0, 100);
    write_range(sink, 105, 110); /* completed out of order, in flight */
    assert_int_equal(kc_sink_checkpoint(sink, &cp), 0);
    kc_sink_free(sink);
    assert_int_equal(kc_store_scan_resumable(s, &rid, &argv, &got, &err), 0);
    assert_int_equal(rid, id);
    assert_string_equal(argv, "kcensus scan 10.0.0.0/8");
    free(argv);
    assert_int_equal(got.next_dispatch, 120);
    assert_int_equal(got.low_uncommitted, 100);
    assert_int_equal(kc_store_stored_indexes(s, id, got.low_uncommitted,
                                             got.next_dispatch, &idx, &n,
                                             &err), 0);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(idx[i], 105 + i);
    free(idx);
    /* A resumed writer re-dispatches the gap: no duplicates. */
    sink = kc_store_sink_new(s, id, &cfg, &err);
    write_range(sink, 100, 120);
    kc_sink_free(sink);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 120);
    assert_int_equal(tmpdb_int(s, "SELECT count(DISTINCT target_index) FROM "
                              "results"), 120);
    struct kc_scan_counters c = {0};
    assert_int_equal(kc_store_scan_finish(s, id, KC_SCAN_DONE, &c, &err), 0);
    assert_int_equal(kc_store_scan_resumable(s, &rid, NULL, &got, &err),
                     -ENOENT);
    kc_store_close(s);
}

/* Counters after a crash and a resume equal the targets: targets 0-44,
 * every third refused (not stored under responsive); a checkpoint
 * {low 30, next 36}, then results up to 44 stored before the "crash" (no
 * finish). The resume dispatches 30, 33 (not stored) and 36-44 again;
 * each target must count once. */
static void test_counters_after_crash(void **state)
{
    int64_t id;
    struct kc_error err = {0};
    struct kc_store *s = fresh(&id, KC_STORE_RESPONSIVE);
    struct kc_store_writer_config cfg = {.store = KC_STORE_RESPONSIVE,
                                         .targets_total = 45};
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    struct kc_checkpoint cp = {.next_dispatch = 36, .low_uncommitted = 30};
    struct kc_scan_counters c;
    (void)state;
    write_range(sink, 0, 30);
    assert_int_equal(kc_sink_checkpoint(sink, &cp), 0);
    write_range(sink, 30, 45);
    kc_sink_free(sink); /* killed: no finish */
    sink = kc_store_sink_new(s, id, &cfg, &err);
    assert_non_null(sink);
    /* The resumed writer starts from the rows: 30 stored, 10 refused
     * below the checkpoint. */
    assert_int_equal(tmpdb_int(s, "SELECT stored * 1000 + count_refused * 10"
                                  " + (completed = 40) FROM scans"), 30101);
    write_range(sink, 30, 31);
    write_range(sink, 33, 34);
    write_range(sink, 36, 45);
    cp.next_dispatch = cp.low_uncommitted = 45;
    assert_int_equal(kc_sink_checkpoint(sink, &cp), 0);
    assert_int_equal(kc_sink_flush(sink), 0);
    assert_int_equal(kc_store_sink_counters(sink, &c), 0);
    kc_sink_free(sink);
    assert_int_equal(kc_store_scan_finish(s, id, KC_SCAN_DONE, &c, &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT completed FROM scans"), 45);
    assert_int_equal(tmpdb_int(s, "SELECT count_refused FROM scans"), 15);
    assert_int_equal(tmpdb_int(s, "SELECT count_ok FROM scans"), 30);
    assert_int_equal(tmpdb_int(s, "SELECT stored FROM scans"), 30);
    assert_int_equal(tmpdb_int(s, "SELECT kubernetes FROM scans"), 15);
    assert_int_equal(tmpdb_int(s, "SELECT targets_total FROM scans"), 45);
    kc_store_close(s);
}

/* The writer thread blocked (we hold the store lock): busy() rises at
 * queue_high, and the data still lands once it is released. */
static void test_backpressure(void **state)
{
    int64_t id;
    struct kc_error err = {0};
    struct kc_store *s = fresh(&id, KC_STORE_ALL);
    struct kc_store_writer_config cfg = {.batch_rows = 8, .batch_ms = 1,
                                         .queue_high = 32,
                                         .store = KC_STORE_ALL};
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    (void)state;
    assert_false(kc_sink_busy(sink));
    kc_store_lock(s);
    write_range(sink, 0, 40); /* the writer takes at most one batch */
    assert_true(kc_sink_busy(sink));
    kc_store_unlock(s);
    assert_int_equal(kc_sink_flush(sink), 0);
    assert_false(kc_sink_busy(sink));
    kc_sink_free(sink);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 40);
    kc_store_close(s);
}

static void test_duplicate_write(void **state)
{
    int64_t id;
    struct kc_error err = {0};
    struct kc_store *s = fresh(&id, KC_STORE_ALL);
    struct kc_sink *sink = kc_store_sink_new(s, id, NULL, &err);
    struct kc_scan_counters c;
    (void)state;
    write_range(sink, 0, 10);
    write_range(sink, 0, 10);
    kc_sink_flush(sink);
    kc_store_sink_counters(sink, &c);
    kc_sink_free(sink);
    /* responsive (default): the 6 connected targets of 0..9 */
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), 6);
    assert_int_equal(c.stored, 6);
    /* probes were not doubled either */
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes"), 3 * 1 + 3 * 6);
    /* bodies deduplicated: the 404 page, /version JSON, "ok", and the
     * body-less application/json of the two 403s */
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM bodies"), 4);
    /* bodies.hash is FNV-1a over (len + 1 as 8 LE bytes, bytes) of the
     * content type then the body; merge compares it across databases, so
     * its value is pinned (computed independently, in Python). */
    assert_int_equal(tmpdb_int(s, "SELECT hash FROM bodies WHERE"
                              " CAST(body AS TEXT) = 'ok' AND"
                              " CAST(content_type AS TEXT) = 'text/plain'"),
                     INT64_C(-7776325775608568157));
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes WHERE probe = "
                              "'healthz' AND CAST(body AS TEXT) = 'ok' AND "
                              "CAST(content_type AS TEXT) = 'text/plain'"), 3);
    /* the same endpoint under another SNI is another row */
    sink = kc_store_sink_new(s, id, NULL, &err);
    struct kc_result r;
    kc_result_init(&r);
    sample_result(&r, 1, SAMPLE_WEB);
    kc_strlcpy(r.sni, "example.test", sizeof(r.sni));
    kc_sink_write(sink, &r);
    kc_result_clear(&r);
    kc_sink_free(sink);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results WHERE sni = "
                              "'example.test'"), 1);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM certificates"), 5);
    kc_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_and_counters),
        cmocka_unit_test(test_checkpoint_and_resume),
        cmocka_unit_test(test_counters_after_crash),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_duplicate_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
