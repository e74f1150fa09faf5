/*
 * test_crash.c - kill -9 at random points of progress. A child process
 * plays the scanner: dispatches target indexes in order, completes them out
 * of order (a window of in-flight targets), writes through the store sink
 * and checkpoints {next_dispatch, low_uncommitted}; on start it resumes the
 * unfinished scan the way `kcensus scan --resume` does (skip the targets
 * already stored in the gap). After every completed target the child
 * writes its count to a pipe; the parent SIGKILLs it once the count reaches
 * a random point, so every round kills on any machine speed (a kill timed
 * by the clock sometimes came after the child had finished). The parent
 * checks the database after each kill, then lets the child finish and
 * checks that the stored rows are exactly those of an uninterrupted run.
 *
 * The seed is printed; KC_CRASH_SEED=N runs the same kill points again.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sample.h"
#include "storage-private.h"
#include "tmpdb.h"

#define TARGETS 20000
#define WINDOW 32
#define ROUNDS 12
/* Kill points are 1..KILL_MAX completions into a run. ROUNDS * KILL_MAX
 * stays below TARGETS - KILL_MAX, so a child always has more targets left
 * than its kill point and never finishes first. */
#define KILL_MAX 1500
_Static_assert(ROUNDS * KILL_MAX < TARGETS - KILL_MAX, "a round could finish");

static enum sample_kind kind_of(uint64_t i)
{
    return i % 5 == 0 ? SAMPLE_REFUSED : i % 5 == 1 ? SAMPLE_KUBERNETES
                                                    : SAMPLE_WEB;
}

static bool kept(uint64_t i)
{
    return kind_of(i) != SAMPLE_REFUSED; /* policy responsive */
}

static bool in_sorted(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] == x)
            return true;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static uint64_t lowest(const uint64_t *fl, size_t n, uint64_t next)
{
    uint64_t lo = next;
    for (size_t i = 0; i < n; i++)
        if (fl[i] < lo)
            lo = fl[i];
    return lo;
}

static void complete(struct kc_sink *sink, uint64_t i)
{
    struct kc_result r;
    kc_result_init(&r);
    sample_result(&r, i, kind_of(i));
    if (kc_sink_write(sink, &r) != 0)
        _exit(3);
    kc_result_clear(&r);
}

/* Tells the parent how many targets this run has completed. */
static void report_progress(int fd, uint32_t done)
{
    if (fd >= 0 && write(fd, &done, sizeof(done)) != (ssize_t)sizeof(done))
        _exit(4);
}

static int count_scan(void *ctx, const struct kc_scan_info *si)
{
    (void)si;
    ++*(int *)ctx;
    return 0;
}

/* The child: never returns. */
static void scanner(const char *path, int progress_fd, unsigned seed)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_checkpoint cp = {0, 0};
    struct kc_store_writer_config cfg = {.batch_rows = 64, .batch_ms = 3,
                                         .store = KC_STORE_RESPONSIVE};
    struct kc_scan_params p = {.label = "crash", .argv = "scan"};
    uint64_t *skip = NULL, fl[WINDOW], next;
    size_t nskip = 0, nfl = 0, done = 0;
    int64_t id;
    srand(seed);
    if (kc_store_open(path, KC_STORE_CREATE, &s, &err) != 0)
        _exit(2);
    if (kc_store_scan_resumable(s, &id, NULL, &cp, &err) == -ENOENT) {
        int n = 0;
        kc_store_list_scans(s, count_scan, &n, &err);
        if (n > 0) /* finished already (killed on its way out) */
            _exit(0);
        if (kc_store_scan_begin(s, &p, &id, &err) != 0)
            _exit(2);
    }
    if (kc_store_stored_indexes(s, id, cp.low_uncommitted, cp.next_dispatch,
                                &skip, &nskip, &err) != 0)
        _exit(2);
    struct kc_sink *sink = kc_store_sink_new(s, id, &cfg, &err);
    if (sink == NULL)
        _exit(2);
    next = cp.low_uncommitted;
    while (next < TARGETS || nfl > 0) {
        while (nfl < WINDOW && next < TARGETS) {
            if (next < cp.next_dispatch && in_sorted(skip, nskip, next)) {
                next++;
                continue;
            }
            fl[nfl++] = next++;
        }
        size_t k = (size_t)rand() % nfl;
        complete(sink, fl[k]);
        fl[k] = fl[--nfl];
        report_progress(progress_fd, (uint32_t)++done);
        if (done % 50 == 0) {
            struct kc_checkpoint c = {next, lowest(fl, nfl, next)};
            if (kc_sink_checkpoint(sink, &c) != 0)
                _exit(3);
        }
    }
    struct kc_checkpoint c = {TARGETS, TARGETS};
    struct kc_scan_counters counters;
    kc_sink_checkpoint(sink, &c);
    if (kc_sink_flush(sink) != 0)
        _exit(3);
    kc_store_sink_counters(sink, &counters);
    kc_sink_free(sink);
    if (kc_store_scan_finish(s, id, KC_SCAN_DONE, &counters, &err) != 0)
        _exit(3);
    kc_store_close(s);
    free(skip);
    _exit(0);
}

/* After a kill: consistent, and nothing below low_uncommitted is missing. */
static void check_after_kill(const char *path, uint64_t *low_out)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_checkpoint cp = {0, 0};
    int64_t id;
    uint64_t *idx = NULL;
    size_t n = 0, j = 0;
    assert_int_equal(kc_store_open(path, 0, &s, &err), 0);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM pragma_integrity_check "
                          "WHERE integrity_check != 'ok'"), 0);
    if (kc_store_scan_resumable(s, &id, NULL, &cp, &err) == 0) {
        assert_int_equal(kc_store_stored_indexes(s, id, 0, cp.low_uncommitted,
                                                 &idx, &n, &err), 0);
        for (uint64_t i = 0; i < cp.low_uncommitted; i++) {
            if (!kept(i))
                continue;
            if (j >= n || idx[j] != i)
                fail_msg("target %llu below the checkpoint (%llu) is lost",
                         (unsigned long long)i,
                         (unsigned long long)cp.low_uncommitted);
            j++;
        }
        assert_int_equal(j, n);
        /* No orphan probes: a result and its probes commit together. */
        assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results r WHERE "
                              "(SELECT count(*) FROM probes p WHERE "
                              "p.result_id = r.id) = 0"), 0);
        /* The stored counter is exact. */
        assert_int_equal(tmpdb_int(s, "SELECT stored FROM scans"),
                         tmpdb_int(s, "SELECT count(*) FROM results"));
        free(idx);
    }
    *low_out = cp.low_uncommitted;
    kc_store_close(s);
}

/* Runs the child with seed `seed`. With kill_at > 0, SIGKILLs it as soon as
 * it reports kill_at completed targets; the child finishing first fails the
 * test. With kill_at == 0 the child runs to its end. */
static int run_child(const char *path, uint32_t kill_at, unsigned seed)
{
    int status, fds[2] = {-1, -1};
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        scanner(path, kill_at > 0 ? fds[1] : -1, seed);
    }
    close(fds[1]);
    if (kill_at > 0) {
        uint32_t done = 0;
        while (done < kill_at) {
            ssize_t n = read(fds[0], &done, sizeof(done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n != (ssize_t)sizeof(done))
                fail_msg("child ended after %u of %u targets, before its kill",
                         (unsigned)done, (unsigned)kill_at);
        }
        kill(pid, SIGKILL);
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static unsigned crash_seed(void)
{
    const char *env = getenv("KC_CRASH_SEED");
    if (env != NULL && *env != '\0')
        return (unsigned)strtoul(env, NULL, 10);
    return (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
}

static void test_kill_resume(void **state)
{
    char path[256];
    unsigned seed = crash_seed();
    uint64_t low = 0, kills = 0;
    (void)state;
    tmpdb_path(path, sizeof(path), "crash.db");
    srand(seed);
    print_message("crash test seed %u (KC_CRASH_SEED=%u repeats it)\n", seed, seed);
    for (int round = 0; round < ROUNDS; round++) {
        uint32_t kill_at = 1 + (uint32_t)(rand() % KILL_MAX);
        int st = run_child(path, kill_at, seed + (unsigned)round);
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
            fail_msg("round %d: child was not killed (status %d)", round, st);
        kills++;
        check_after_kill(path, &low);
    }
    print_message("%llu kills, last checkpoint low %llu\n",
                  (unsigned long long)kills, (unsigned long long)low);
    assert_int_equal(kills, ROUNDS);
    int st = run_child(path, 0, seed + ROUNDS);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    struct kc_store *s;
    struct kc_error err = {0};
    assert_int_equal(kc_store_open(path, 0, &s, &err), 0);
    int64_t want = 0;
    for (uint64_t i = 0; i < TARGETS; i++)
        want += kept(i);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results"), want);
    assert_int_equal(tmpdb_int(s, "SELECT count(DISTINCT target_index) FROM results"),
                     want);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM results WHERE target_index "
                          "% 5 = 0"), 0);
    assert_int_equal(tmpdb_int(s, "SELECT max(target_index) FROM results"),
                     TARGETS - 1);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM scans WHERE status = 'done'"),
                     1);
    assert_int_equal(tmpdb_int(s, "SELECT stored FROM scans"), want);
    assert_int_equal(tmpdb_int(s, "SELECT count(*) FROM probes"),
                     (TARGETS / 5) * 6 + (TARGETS / 5) * 3);
    kc_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
