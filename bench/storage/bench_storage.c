/*
 * bench_storage.c - insert rate and bytes per row of the storage writer.
 *   bench_storage [ROWS] [RUNS] [DIR] [web|kubernetes]
 * For each row kind (web server = not Kubernetes, Kubernetes with six
 * probes) it writes ROWS realistic results RUNS times and prints the
 * median of: the full sink (copy, queue, writer thread), direct inserts on
 * one thread (kc_insert in 2000-row transactions: the one-core figure),
 * and a baseline of bare INSERTs of (ip, port) rows in the same database
 * engine. Bytes per row: file size after a checkpoint / rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sample.h"
#include "storage-private.h"

#define MAX_RUNS 15

/* CPU seconds of the whole process (all threads): on a shared, loaded
 * machine wall time measures the neighbours, CPU time measures us. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct kc_result *make_rows(uint64_t n, enum sample_kind k)
{
    struct kc_result *v = calloc(n, sizeof(*v));
    if (v == NULL)
        exit(1);
    for (uint64_t i = 0; i < n; i++) {
        kc_result_init(&v[i]);
        sample_result(&v[i], i, k);
    }
    return v;
}

static struct kc_store *open_new(const char *dir, const char *name,
                                 int64_t *scan, char *path, size_t size)
{
    struct kc_store *s;
    struct kc_error err = {0};
    struct kc_scan_params p = {.label = "bench"};
    kc_snprintf(path, size, "%s/%s", dir, name);
    unlink(path);
    if (kc_store_open(path, KC_STORE_CREATE, &s, &err) != 0 ||
        kc_store_scan_begin(s, &p, scan, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return s;
}

static double file_bytes(struct kc_store *s, const char *path)
{
    struct stat sb;
    kc_store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
    return stat(path, &sb) == 0 ? (double)sb.st_size : 0;
}

/* Rows per second through the sink (CPU of the whole process: producer
 * copies and writer); *writer gets rows per CPU-second of the writer
 * thread alone, *bytes bytes per row. */
static double run_sink(const char *dir, const char *name,
                       struct kc_result *rows, uint64_t n, double *writer,
                       double *bytes)
{
    char path[512];
    int64_t scan;
    uint64_t writer_ns = 0;
    struct kc_error err = {0};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL,
                                         .writer_cpu_ns = &writer_ns};
    struct kc_store *s = open_new(dir, name, &scan, path, sizeof(path));
    /* the empty database's own pages are not part of the rows */
    double base = file_bytes(s, path);
    double t0 = cpu_s();
    struct kc_sink *sink = kc_store_sink_new(s, scan, &cfg, &err);
    for (uint64_t i = 0; i < n; i++)
        kc_sink_write(sink, &rows[i]);
    kc_sink_free(sink);
    double secs = cpu_s() - t0;
    *writer = writer_ns ? (double)n / ((double)writer_ns / 1e9) : 0;
    *bytes = (file_bytes(s, path) - base) / (double)n;
    kc_store_close(s);
    return (double)n / secs;
}

static double run_direct(const char *dir, struct kc_result *rows, uint64_t n)
{
    char path[512];
    int64_t scan;
    struct kc_error err = {0};
    struct kc_insert *ins;
    struct kc_store *s = open_new(dir, "direct.db", &scan, path, sizeof(path));
    double t0 = cpu_s();
    kc_insert_new(s, scan, &ins, &err);
    for (uint64_t i = 0; i < n; i += 2000) {
        int rc = kc_insert_begin(ins, &err);
        for (uint64_t j = i; rc == 0 && j < n && j < i + 2000; j++)
            rc = kc_insert_result(ins, &rows[j], &err) < 0 ? -1 : 0;
        if (kc_insert_end(ins, rc, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
    }
    kc_insert_free(ins);
    double secs = cpu_s() - t0;
    kc_store_close(s);
    return (double)n / secs;
}

static double run_baseline(const char *dir, uint64_t n)
{
    char path[512];
    int64_t scan;
    sqlite3_stmt *st;
    struct kc_store *s = open_new(dir, "base.db", &scan, path, sizeof(path));
    kc_store_exec(s, "CREATE TABLE bare (ip TEXT, port INTEGER)", NULL);
    double t0 = cpu_s();
    sqlite3_prepare_v2(kc_store_sqlite(s), "INSERT INTO bare VALUES (?1, ?2)",
                       -1, &st, NULL);
    for (uint64_t i = 0; i < n; i += 2000) {
        kc_store_exec(s, "BEGIN", NULL);
        for (uint64_t j = i; j < n && j < i + 2000; j++) {
            sqlite3_bind_text(st, 1, "10.1.2.3", -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, 443);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
        kc_store_exec(s, "COMMIT", NULL);
    }
    sqlite3_finalize(st);
    double secs = cpu_s() - t0;
    kc_store_close(s);
    return (double)n / secs;
}

int main(int argc, char **argv)
{
    uint64_t n = 200000;
    uint64_t runs = 5;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    const char *only = argc > 4 ? argv[4] : NULL; /* one kind (profiling) */
    if (argc > 1 && !kc_parse_u64(argv[1], 1, 10000000, &n))
        return 2;
    if (argc > 2 && !kc_parse_u64(argv[2], 1, MAX_RUNS, &runs))
        return 2;
    static const struct {
        const char *name;
        const char *db; /* left behind for `sqlite3 ... dbstat` */
        enum sample_kind kind;
    } kinds[] = {{"web (not Kubernetes, 1 probe)", "bench-web.db", SAMPLE_WEB},
                 {"kubernetes (6 probes)", "bench-k8s.db", SAMPLE_KUBERNETES}};
    printf("rows per run: %llu, runs: %llu (medians, rows per CPU-second)\n",
           (unsigned long long)n, (unsigned long long)runs);
    for (size_t k = 0; k < KC_ARRAY_LEN(kinds); k++) {
        double sink[MAX_RUNS], writer[MAX_RUNS], direct[MAX_RUNS],
            base[MAX_RUNS], bytes[MAX_RUNS];
        if (only != NULL && strncmp(kinds[k].name, only, strlen(only)) != 0)
            continue;
        struct kc_result *rows = make_rows(n, kinds[k].kind);
        for (uint64_t r = 0; r < runs; r++) {
            base[r] = run_baseline(dir, n);
            direct[r] = run_direct(dir, rows, n);
            sink[r] = run_sink(dir, kinds[k].db, rows, n, &writer[r],
                               &bytes[r]);
        }
        printf("%-32s sink %9.0f rows/s  sink writer thread %9.0f rows/s  "
               "direct(1 core) %9.0f rows/s  baseline bare insert %9.0f "
               "rows/s  %6.1f bytes/row\n",
               kinds[k].name, median(sink, (int)runs),
               median(writer, (int)runs), median(direct, (int)runs),
               median(base, (int)runs), median(bytes, (int)runs));
        for (uint64_t i = 0; i < n; i++)
            kc_result_clear(&rows[i]);
        free(rows);
    }
    return 0;
}
