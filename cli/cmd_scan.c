/* cmd_scan.c - kcensus scan: targets -> scanner -> classify -> storage.
 *
 * The wiring only: option table, the scan record, the source that walks
 * the targets (skipping what a resumed scan already stored), signals,
 * the status line and the closing summary. The engine is scanner/. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "classify.h"
#include "cli.h"
#include "geo.h"
#include "scanner.h"
#include "storage.h"
#include "target_opts.h"
#include "targets.h"

enum {
    OPT_RATE = 'r',
    OPT_CONCURRENCY = 'c',
    OPT_THREADS = 300,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_RETRIES,
    OPT_PER_HOST,
    OPT_PROBES,
    OPT_USER_AGENT,
    OPT_STORE,
    OPT_JSONL,
    OPT_LABEL,
    OPT_DRY_RUN,
    OPT_RESUME,
    OPT_STATUS_FILE,
    OPT_GEOIP,
    OPT_RECONNECTS,
    OPT_FROM_SCAN,
    OPT_FROM_DB,
    OPT_ONLY,
};

static const struct cli_option options[] = {
    CLI_TARGET_OPTIONS,
    {"concurrency", OPT_CONCURRENCY, "N", "targets in flight (default "
     KC_STR(KC_SCANNER_DEFAULT_CONCURRENCY) ")"},
    {"rate", OPT_RATE, "N", "new connections per second, reconnects included, "
     "0 = unlimited (default " KC_STR(KC_SCANNER_DEFAULT_RATE) ")"},
    {"threads", OPT_THREADS, "N", "event loops (default: number of cores)"},
    {"timeout", OPT_TIMEOUT, "DUR", "absolute deadline per target (default "
     KC_STR(KC_SCANNER_DEFAULT_TIMEOUT_S) "s)"},
    {"connect-timeout", OPT_CONNECT_TIMEOUT, "DUR",
     "deadline of the TCP connect (default: --timeout)"},
    {"retries", OPT_RETRIES, "N", "retry refused/timed-out targets N times (default 0)"},
    {"per-host", OPT_PER_HOST, "N", "at most N in flight per address (hostnames: once resolved), across all loops (default 0: no cap)"},
    {"reconnects", OPT_RECONNECTS, "N",
     "new connections per target when the server closes between probes (at most one per probe; default "
     KC_STR(KC_SCANNER_DEFAULT_RECONNECTS) ", 0 = none)"},
    {"probes", OPT_PROBES, "SET", "default|extended|version (extended reads namespaces)"},
    {"user-agent", OPT_USER_AGENT, "UA", "User-Agent (default names kcensus and a contact URL)"},
    {"store", OPT_STORE, "WHAT", "all|responsive|kubernetes (default responsive)"},
    {"jsonl", OPT_JSONL, "FILE", "also write results as JSON lines ('-' = stdout)"},
    {"label", OPT_LABEL, "TEXT", "label recorded with the scan"},
    {"dry-run", OPT_DRY_RUN, NULL, "print the plan and exit"},
    {"resume", OPT_RESUME, NULL, "continue the latest unfinished scan in the database"},
    {"status-file", OPT_STATUS_FILE, "FILE", "append the status figures as JSON lines"},
    {"geoip", OPT_GEOIP, "FILE", "add country/ASN from a MaxMind .mmdb (repeatable)"},
    {"from-scan", OPT_FROM_SCAN, "ID",
     "targets: the endpoints of scan ID, hostnames and SNI kept"},
    {"from-db", OPT_FROM_DB, "FILE",
     "--from-scan reads this database (default: -d)"},
    {"only", OPT_ONLY, "WHAT",
     "kubernetes|responsive|all: which endpoints of --from-scan (default kubernetes)"},
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

struct scan_opts {
    struct cli_common common;
    struct cli_target_opts targets;
    struct kc_scanner_config engine;
    enum kc_store_policy store;
    const char *jsonl;
    const char *label;
    const char *status_file;
    const char *geoip[KC_GEO_MAX_DBS];
    size_t n_geoip;
    bool dry_run;
    bool resume;
    struct cli_from_scan from; /* --from-scan, --from-db, --only */
};

/* ---------------- options ---------------- */

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (!kc_parse_u64(s, min, max, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_ms(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!kc_parse_duration_ms(s, 1, 3600 * 1000, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static const char *option_name(int id)
{
    for (const struct cli_option *o = options; o->name != NULL; o++)
        if (o->id == id)
            return o->name;
    return "?";
}

/* One option of the scan's own; false (after the message) on bad value. */
static int take_option(struct scan_opts *o, const struct cli_command *cmd,
                       int id, const char *arg)
{
    struct kc_scanner_config *e = &o->engine;
    bool ok = true;
    switch (id) {
    case OPT_CONCURRENCY: ok = parse_u32(arg, 1, 10000000, &e->concurrency); break;
    case OPT_RATE: ok = parse_u32(arg, 0, 100000000, &e->rate); break;
    case OPT_THREADS: ok = parse_u32(arg, 1, 1024, &e->threads); break;
    case OPT_TIMEOUT: ok = parse_ms(arg, &e->timeout_ms); break;
    case OPT_CONNECT_TIMEOUT: ok = parse_ms(arg, &e->connect_timeout_ms); break;
    case OPT_RETRIES: ok = parse_u32(arg, 0, 10, &e->retries); break;
    case OPT_PER_HOST: ok = parse_u32(arg, 0, 1000000, &e->per_host); break;
    case OPT_RECONNECTS: ok = parse_u32(arg, 0, 100, &e->max_reconnects); break;
    case OPT_PROBES: ok = kc_probe_set_parse(arg, &e->probes); break;
    case OPT_USER_AGENT:
        ok = arg[0] != '\0' && strpbrk(arg, "\r\n") == NULL;
        e->user_agent = arg;
        break;
    case OPT_STORE: ok = kc_store_policy_parse(arg, &o->store); break;
    case OPT_JSONL: o->jsonl = arg; break;
    case OPT_LABEL: o->label = arg; break;
    case OPT_DRY_RUN: o->dry_run = true; break;
    case OPT_RESUME: o->resume = true; break;
    case OPT_STATUS_FILE: o->status_file = arg; break;
    case OPT_GEOIP:
        ok = o->n_geoip < KC_GEO_MAX_DBS;
        if (ok)
            o->geoip[o->n_geoip++] = arg;
        break;
    case OPT_FROM_SCAN: {
        uint64_t scan;
        ok = kc_parse_u64(arg, 1, INT64_MAX, &scan);
        o->from.scan_id = ok ? (int64_t)scan : 0;
        break;
    }
    case OPT_FROM_DB: o->from.db = arg; break;
    case OPT_ONLY: ok = kc_store_policy_parse(arg, &o->from.only); break;
    default:
        return cli_usage_error(cmd, "unhandled option");
    }
    if (!ok)
        return cli_usage_error(cmd, "bad value '%s' for --%s", arg,
                               option_name(id));
    return -1;
}

/* Returns -1 to go on, or an exit code. */
static int parse_options(struct scan_opts *o, const struct cli_command *cmd,
                         int argc, char **argv)
{
    struct cli_parser p;
    int id;
    cli_target_opts_init(&o->targets);
    kc_scanner_config_init(&o->engine);
    o->store = KC_STORE_RESPONSIVE;
    o->from.only = KC_STORE_KUBERNETES;
    cli_parser_init(&p, cmd, &o->common);
    while ((id = cli_parser_next(&p, argc, argv)) != -1) {
        switch (cli_target_opts_handle(&o->targets, cmd, id, optarg)) {
        case CLI_TOPT_TAKEN: continue;
        case CLI_TOPT_ERROR: return CLI_EXIT_USAGE;
        case CLI_TOPT_NOT_MINE: break;
        }
        int rc = take_option(o, cmd, id, optarg);
        if (rc >= 0)
            return rc;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (o->from.scan_id == 0 && o->from.db != NULL)
        return cli_usage_error(cmd, "--from-db goes with --from-scan");
    cli_target_opts_specs(&o->targets, argc, argv, optind);
    return -1;
}

/* ---------------- the command line, kept for --resume ---------------- */

/* argv as a JSON array, with the seed made explicit so a resumed scan
 * walks the same order. Caller frees. */
static char *argv_json(int argc, char **argv, uint64_t seed, bool has_seed)
{
    json_t *a = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    if (!has_seed) {
        char s[32];
        kc_snprintf(s, sizeof(s), "%llu", (unsigned long long)seed);
        json_array_append_new(a, json_string("--seed"));
        json_array_append_new(a, json_string(s));
    }
    char *out = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return out;
}

/* The saved command line back into an argv (strings owned by *store). */
static int argv_from_json(const char *text, json_t **store, int *argc,
                          char ***argv)
{
    json_t *a = json_loads(text, 0, NULL);
    if (!json_is_array(a) || json_array_size(a) < 1) {
        json_decref(a);
        return -EINVAL;
    }
    size_t n = json_array_size(a);
    char **v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; v != NULL && i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        v[i] = (char *)(s ? s : "");
    }
    if (v == NULL) {
        json_decref(a);
        return -ENOMEM;
    }
    *store = a;
    *argc = (int)n;
    *argv = v;
    return 0;
}

/* ---------------- the source: targets minus what is stored ---------------- */

struct scan_source {
    struct kc_targets *targets;
    struct kc_target_iter *it;
    const uint64_t *skip; /* sorted indexes already stored (resume) */
    size_t n_skip, skip_pos;
};

static int source_next(void *ctx, struct kc_target *out, struct kc_error *err)
{
    struct scan_source *s = ctx;
    for (;;) {
        int rc = kc_target_iter_next(s->it, out, err);
        if (rc != 1)
            return rc;
        while (s->skip_pos < s->n_skip && s->skip[s->skip_pos] < out->index)
            s->skip_pos++;
        if (s->skip_pos < s->n_skip && s->skip[s->skip_pos] == out->index)
            continue; /* stored before the interruption */
        return 1;
    }
}

static uint64_t source_position(void *ctx)
{
    return kc_target_iter_position(((struct scan_source *)ctx)->it);
}

static bool source_blocked(void *ctx, const struct kc_addr *a)
{
    return kc_targets_blocked(((struct scan_source *)ctx)->targets, a);
}

/* ---------------- status ---------------- */

struct status {
    uint64_t start_us;
    uint64_t total;
    uint64_t base;       /* targets a resumed run does not dispatch */
    uint64_t last_us, last_completed; /* the previous line's, for the rate */
    const char *uid;     /* the scan's */
    bool tty;
    FILE *file;
};

/* One --status-file line (docs/OPERATIONS.md): wall-clock time, scan uid,
 * the rate over the last interval beside the average, and the ETA from
 * the current rate (null while it is unknown). */
static void status_write_file(const struct status *st,
                              const struct kc_scanner_stats *x, double el,
                              double avg, double now_rate, int64_t eta)
{
    char when[40];
    kc_format_time_utc(kc_wall_us(), true, when, sizeof(when));
    json_t *o = json_pack(
        "{s:s,s:s,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "time", when, "scan_uid",
        st->uid ? st->uid : "", "elapsed", el, "completed",
        (json_int_t)(st->base + x->completed), "completed_this_run",
        (json_int_t)x->completed, "total", (json_int_t)st->total, "inflight",
        (json_int_t)x->inflight, "kubernetes", (json_int_t)x->kubernetes,
        "targets_per_s", now_rate, "targets_per_s_avg", avg);
    json_object_set_new(o, "eta_s", eta >= 0 ? json_integer(eta) : json_null());
    json_object_set_new(o, "reconnects", json_integer((json_int_t)x->reconnects));
    json_object_set_new(o, "slowdowns", json_integer((json_int_t)x->slowdowns));
    json_t *by = json_object();
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        json_object_set_new(by, kc_outcome_str(i),
                            json_integer((json_int_t)x->by_outcome[i]));
    json_object_set_new(o, "outcomes", by);
    json_dumpf(o, st->file, JSON_COMPACT);
    fputc('\n', st->file);
    fflush(st->file);
    json_decref(o);
}

static void fmt_hms(char *out, size_t size, uint64_t s)
{
    kc_snprintf(out, size, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
                (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
}

static void status_emit(struct status *st, struct kc_scanner *sc, bool final)
{
    struct kc_scanner_stats x;
    kc_scanner_stats(sc, &x);
    uint64_t now = kc_mono_us();
    double el = (double)(now - st->start_us) / 1e6;
    double tps = el > 0 ? (double)x.completed / el : 0;
    /* The rate since the previous line: what --rate is compared with. */
    double span = (double)(now - st->last_us) / 1e6;
    double now_rate = span > 0 ? (double)(x.completed - st->last_completed) /
                                     span
                               : tps;
    uint64_t done = st->base + x.completed;
    uint64_t left = st->total > done ? st->total - done : 0;
    double pct = st->total ? 100.0 * (double)done / (double)st->total : 0;
    /* Whole seconds, rounded up: 0 only when nothing is left; -1 while
     * the current rate is 0 (unknown). */
    int64_t eta = left == 0 ? 0 : now_rate > 0 ? (int64_t)((double)left /
                                                           now_rate)
                                               : -1;
    if (eta >= 0 && (double)eta * now_rate < (double)left)
        eta++;
    st->last_us = now;
    st->last_completed = x.completed;
    uint64_t other = x.completed - x.by_outcome[KC_OUTCOME_OK] -
                     x.by_outcome[KC_OUTCOME_REFUSED] -
                     x.by_outcome[KC_OUTCOME_TIMEOUT];
    if (st->tty) {
        char e[32], r[32];
        fmt_hms(e, sizeof(e), (uint64_t)el);
        fmt_hms(r, sizeof(r), eta > 0 ? (uint64_t)eta : 0);
        fprintf(stderr,
                "\r%s %5.1f%% %llu/%llu ETA %s | %.0f t/s | in flight %llu | "
                "k8s %llu | ok %llu refused %llu timeout %llu other %llu%s",
                e, pct, (unsigned long long)done,
                (unsigned long long)st->total, r, now_rate,
                (unsigned long long)x.inflight, (unsigned long long)x.kubernetes,
                (unsigned long long)x.by_outcome[KC_OUTCOME_OK],
                (unsigned long long)x.by_outcome[KC_OUTCOME_REFUSED],
                (unsigned long long)x.by_outcome[KC_OUTCOME_TIMEOUT],
                (unsigned long long)other, final ? "\n" : "  ");
    }
    if (st->file != NULL)
        status_write_file(st, &x, el, tps, now_rate, eta);
}

/* ---------------- running ---------------- */

#define CHECKPOINT_EVERY_S 5

/*
 * Waits for the scan while handling signals synchronously (they are
 * blocked in every thread): the first SIGINT/SIGTERM stops dispatch, a
 * second exits at once (committed transactions stay consistent).
 */
static void wait_for_scan(struct kc_scanner *sc, const sigset_t *sigs,
                          struct status *st, const struct cli_common *common)
{
    struct timespec tick = {0, 50 * 1000 * 1000};
    uint64_t last_status = kc_mono_us(), last_cp = last_status;
    int signals = 0;
    while (!kc_scanner_done(sc)) {
        int sig = sigtimedwait(sigs, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            if (++signals > 1) {
                fputs("\nkcensus scan: second signal, exiting now\n", stderr);
                _exit(CLI_EXIT_INTERRUPTED);
            }
            cli_info(common, "\nkcensus scan: stopping: finishing targets in "
                             "flight (signal again to quit at once)");
            kc_scanner_stop(sc);
        }
        uint64_t now = kc_mono_us();
        if (now - last_status >= 1000000) {
            status_emit(st, sc, false);
            last_status = now;
        }
        if (now - last_cp >= CHECKPOINT_EVERY_S * 1000000ull) {
            kc_scanner_checkpoint(sc, NULL);
            last_cp = now;
        }
    }
}

static void counters_of(struct kc_scanner *sc, uint64_t total,
                        struct kc_scan_counters *c)
{
    struct kc_scanner_stats x;
    kc_scanner_stats(sc, &x);
    memset(c, 0, sizeof(*c));
    c->targets_total = total;
    c->dispatched = x.dispatched;
    c->completed = x.completed;
    c->kubernetes = x.kubernetes;
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        c->by_outcome[i] = x.by_outcome[i];
}

static void print_summary(const struct cli_common *common,
                          struct kc_scanner *sc, double secs)
{
    struct kc_scanner_stats x;
    kc_scanner_stats(sc, &x);
    if (common->verbosity < 0)
        return;
    fprintf(stderr, "kcensus scan: %llu targets in %.1fs (%.0f/s), %llu "
                    "Kubernetes\n",
            (unsigned long long)x.completed, secs,
            secs > 0 ? (double)x.completed / secs : 0.0,
            (unsigned long long)x.kubernetes);
    for (int i = 0; i < KC_OUTCOME__COUNT; i++)
        if (x.by_outcome[i] > 0)
            fprintf(stderr, "  %-15s %llu\n", kc_outcome_str(i),
                    (unsigned long long)x.by_outcome[i]);
    if (x.reconnects > 0)
        fprintf(stderr, "  (%llu reconnects: servers that closed between "
                        "probes)\n",
                (unsigned long long)x.reconnects);
    if (x.slowdowns > 0)
        fprintf(stderr, "  (slowed down %llu times: out of sockets)\n",
                (unsigned long long)x.slowdowns);
}

/* Everything one run owns, freed in one place. */
struct scan_run {
    struct scan_opts o;
    struct kc_targets *targets;
    struct scan_source source;
    uint64_t *skip;
    struct kc_store *store;
    int64_t scan_id;
    struct kc_sink *sink;
    struct kc_sink *store_sink; /* inside sink, for the counters */
    struct kc_geo *geo;
    struct kc_scanner *sc;
    char *argv_text;
    json_t *resume_argv;
    char **resume_v;
    FILE *status_file;
    bool resuming;
    char uid[40];            /* the scan's, for --jsonl and --status-file */
    uint64_t base_completed; /* targets a resumed run does not dispatch */
};

static void run_free(struct scan_run *r)
{
    kc_scanner_free(r->sc);
    kc_sink_free(r->sink);
    kc_geo_free(r->geo);
    if (r->source.it != NULL)
        kc_target_iter_free(r->source.it);
    kc_targets_free(r->targets);
    cli_from_scan_free(&r->o.from);
    kc_store_close(r->store);
    free(r->skip);
    free(r->argv_text);
    free(r->resume_v);
    json_decref(r->resume_argv);
    if (r->status_file != NULL)
        fclose(r->status_file);
}

/* Hostnames are checked against the blocklist once resolved, so they are
 * counted as targets here. */
static void print_from_scan(const struct cli_from_scan *f)
{
    printf("from scan:   %lld (%s endpoints): %zu, of which %llu by "
           "hostname (blocklist checked once resolved)\n",
           (long long)f->scan_id, kc_store_policy_str(f->only), f->n,
           (unsigned long long)f->hostnames);
    if (f->without_endpoint > 0)
        printf("             %llu rows without an address or port left out "
               "(imported buckets)\n",
               (unsigned long long)f->without_endpoint);
}

static void print_plan(const struct scan_run *r)
{
    struct kc_targets_counts c;
    kc_targets_counts(r->targets, &c);
    const struct kc_scanner_config *e = &r->o.engine;
    double secs = e->rate ? (double)c.targets / e->rate : 0;
    printf("targets:     %llu (excluded %llu, duplicates %llu, invalid %llu)\n",
           (unsigned long long)c.targets, (unsigned long long)c.excluded,
           (unsigned long long)c.duplicates, (unsigned long long)c.invalid);
    printf("shard:       %u/%u\n", r->o.targets.cfg.shard_index,
           r->o.targets.cfg.shard_count ? r->o.targets.cfg.shard_count : 1);
    printf("seed:        %llu\n", (unsigned long long)kc_targets_seed(r->targets));
    printf("rate:        %u/s%s\n", e->rate, e->rate ? "" : " (unlimited)");
    printf("concurrency: %u\n", e->concurrency);
    printf("probes:      %s\n", kc_probe_set_str(e->probes));
    printf("lifts:       %s\n", kc_targets_lifts(r->targets));
    if (r->o.from.scan_id > 0)
        print_from_scan(&r->o.from);
    if (e->rate)
        printf("estimate:    at least %.0fs at the rate limit\n", secs);
}

static int open_store(const struct cli_command *cmd, struct scan_run *r)
{
    struct kc_error err = {0};
    if (kc_store_open(r->o.common.db, KC_STORE_CREATE, &r->store, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    return 0;
}

/* Reads the resumable scan and re-parses the command line it saved. */
static int load_resume(const struct cli_command *cmd, struct scan_run *r,
                       struct kc_checkpoint *cp)
{
    struct kc_error err = {0};
    char *saved = NULL;
    int rc = kc_store_scan_resumable(r->store, &r->scan_id, &saved, cp, &err);
    if (rc == -ENOENT)
        return cli_fail(cmd, "no unfinished scan in %s to resume",
                        r->o.common.db);
    if (rc < 0)
        return cli_fail(cmd, "%s", err.msg);
    int argc = 0;
    rc = argv_from_json(saved, &r->resume_argv, &argc, &r->resume_v);
    free(saved);
    if (rc < 0)
        return cli_fail(cmd, "scan %lld: saved command line unreadable",
                        (long long)r->scan_id);
    struct cli_common keep = r->o.common;
    memset(&r->o, 0, sizeof(r->o));
    r->o.common = keep;
    rc = parse_options(&r->o, cmd, argc, r->resume_v);
    if (rc >= 0)
        return rc;
    r->o.common = keep; /* this invocation's -q/-d win */
    r->argv_text = NULL;
    return 0;
}

/* --from-scan: the earlier scan's endpoints join the specs. */
static int load_from_scan(const struct cli_command *cmd, struct scan_run *r)
{
    struct kc_error err = {0};
    struct cli_from_scan *f = &r->o.from;
    const char *db = f->db ? f->db : r->o.common.db;
    if (f->scan_id == 0)
        return 0;
    if (cli_from_scan_load(f, db, &err) < 0)
        return cli_fail(cmd, "--from-scan %lld: %s: %s", (long long)f->scan_id,
                        db, err.msg);
    if (f->n == 0)
        return cli_usage_error(cmd, "scan %lld in %s has no %s endpoints",
                               (long long)f->scan_id, db,
                               kc_store_policy_str(f->only));
    r->o.targets.cfg.endpoints = f->endpoints;
    r->o.targets.cfg.n_endpoints = f->n;
    return 0;
}

static int build_targets(const struct cli_command *cmd, struct scan_run *r)
{
    struct kc_error err = {0};
    int rc = load_from_scan(cmd, r);
    if (rc != 0)
        return rc;
    if (kc_targets_new(&r->o.targets.cfg, &r->targets, &err) < 0)
        return cli_usage_error(cmd, "%s", err.msg);
    const char *warn = kc_targets_warnings(r->targets);
    if (warn[0] != '\0')
        cli_info(&r->o.common, "kcensus scan: %s", warn);
    struct kc_targets_counts c;
    kc_targets_counts(r->targets, &c);
    if (c.targets == 0 && !kc_targets_is_stream(r->targets))
        return cli_usage_error(
            cmd, c.excluded ? "all %llu targets are excluded by the blocklist "
                              "(loopback needs --allow-loopback)"
                            : "no targets",
            (unsigned long long)c.excluded);
    return 0;
}

/* scans.specs: the specs, the input files and "scan:ID:ONLY" for
 * --from-scan ("scan:ID:ONLY:FILE" with --from-db, whose scan ids are
 * another database's), as a JSON array (caller frees; NULL on -ENOMEM). */
static char *specs_json(const struct scan_run *r)
{
    const struct kc_targets_config *tc = &r->o.targets.cfg;
    json_t *specs = json_array();
    for (size_t i = 0; i < tc->n_specs; i++)
        json_array_append_new(specs, json_string(tc->specs[i]));
    for (size_t i = 0; i < tc->n_inputs; i++)
        json_array_append_new(specs, json_string(tc->inputs[i]));
    if (r->o.from.scan_id > 0) {
        char from[64 + PATH_MAX];
        kc_snprintf(from, sizeof(from), "scan:%lld:%s%s%s",
                    (long long)r->o.from.scan_id,
                    kc_store_policy_str(r->o.from.only),
                    r->o.from.db ? ":" : "", r->o.from.db ? r->o.from.db : "");
        json_array_append_new(specs, json_string(from));
    }
    char *text = json_dumps(specs, JSON_COMPACT);
    json_decref(specs);
    return text;
}

static int begin_scan(const struct cli_command *cmd, struct scan_run *r,
                      int argc, char **argv)
{
    struct kc_error err = {0};
    char bl[KC_SHA256_HEX], ports[KC_TARGETS_MAX_PORTS * 6 + 1] = "";
    char host[256] = "";
    const struct kc_targets_config *tc = &r->o.targets.cfg;
    for (size_t i = 0; i < tc->n_ports; i++) {
        size_t len = strlen(ports);
        kc_snprintf(ports + len, sizeof(ports) - len, "%s%u", i ? "," : "",
                    (unsigned)tc->ports[i]);
    }
    gethostname(host, sizeof(host) - 1);
    kc_targets_blocklist_sha256(r->targets, bl);
    r->argv_text = argv_json(argc, argv, kc_targets_seed(r->targets),
                             tc->seed_set);
    struct kc_scan_params p = {
        .label = r->o.label,
        .ports = ports,
        .seed = kc_targets_seed(r->targets),
        .shard_index = tc->shard_index,
        .shard_count = tc->shard_count,
        .rate = r->o.engine.rate,
        .concurrency = r->o.engine.concurrency,
        .threads = r->o.engine.threads,
        .timeout_ms = r->o.engine.timeout_ms,
        .retries = r->o.engine.retries,
        .probes = kc_probe_set_str(r->o.engine.probes),
        .user_agent = r->o.engine.user_agent ? r->o.engine.user_agent
                                             : KC_SCANNER_DEFAULT_UA,
        .blocklist_sha256 = bl,
        .lifts = kc_targets_lifts(r->targets),
        .hostname = host,
        .argv = r->argv_text,
        .store = r->o.store,
        .classifier_version = KC_CLASSIFIER_VERSION,
    };
    char *specs_text = specs_json(r);
    p.specs = specs_text;
    int rc = kc_store_scan_begin(r->store, &p, &r->scan_id, &err);
    free(specs_text);
    /* The release table SQL's kubernetes_eol view judges versions by. */
    if (rc == 0)
        rc = cli_store_releases(r->store, &err);
    if (rc < 0)
        return cli_fail(cmd, "%s", err.msg);
    return 0;
}

/* Cuts a torn last line (a run killed mid-write) so that what follows
 * starts on a line of its own: the file holds whole lines only. */
static int cut_torn_tail(int fd)
{
    struct stat sb;
    char buf[4096];
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
        return 0;
    off_t end = sb.st_size;
    while (end > 0) {
        size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
        ssize_t got = pread(fd, buf, n, end - (off_t)n);
        if (got != (ssize_t)n)
            return -EIO;
        for (size_t i = n; i > 0; i--) {
            if (buf[i - 1] == '\n') {
                off_t keep = end - (off_t)n + (off_t)i;
                return keep == sb.st_size || ftruncate(fd, keep) == 0 ? 0
                                                                      : -errno;
            }
        }
        end -= (off_t)n;
    }
    return ftruncate(fd, 0) == 0 ? 0 : -errno;
}

/* The --jsonl file, appended to after its last whole line. */
static FILE *open_jsonl(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return NULL;
    int rc = cut_torn_tail(fd);
    FILE *f = rc == 0 ? fdopen(fd, "a") : NULL;
    if (f == NULL) {
        close(fd);
        errno = rc < 0 ? -rc : errno;
    }
    return f;
}

/* The --jsonl sink, or NULL (message printed, *rc set). Line-buffered:
 * each result's line reaches the file before the result is queued for
 * the database (the tee's order), so a row that a kill -9 leaves
 * committed always has its line. */
static struct kc_sink *jsonl_sink(const struct cli_command *cmd,
                                  struct scan_run *r, int *rc)
{
    bool out = strcmp(r->o.jsonl, "-") == 0;
    FILE *f = out ? stdout : open_jsonl(r->o.jsonl);
    struct kc_sink *s;
    if (f == NULL) {
        *rc = cli_fail(cmd, "cannot open %s: %s", r->o.jsonl, strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    s = kc_jsonl_sink_new(f, !out, r->uid);
    if (s == NULL) {
        if (!out)
            fclose(f);
        *rc = cli_fail(cmd, "out of memory");
    }
    return s;
}

/* geo(tee(jsonl, store)): location is added before any output. */
static int make_sink(const struct cli_command *cmd, struct scan_run *r,
                     uint64_t total)
{
    struct kc_error err = {0};
    struct kc_store_writer_config wc = {.store = r->o.store,
                                        .targets_total = total};
    struct kc_sink *sinks[2];
    size_t n = 0;
    int rc = 0;
    if (r->o.n_geoip > 0 &&
        kc_geo_open(r->o.geoip, r->o.n_geoip, &r->geo, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    if (kc_store_scan_uid(r->store, r->scan_id, r->uid, sizeof(r->uid),
                          &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    if (r->o.jsonl != NULL && (sinks[n++] = jsonl_sink(cmd, r, &rc)) == NULL)
        return rc;
    r->store_sink = kc_store_sink_new(r->store, r->scan_id, &wc, &err);
    if (r->store_sink == NULL) {
        kc_sink_free(n ? sinks[0] : NULL);
        return cli_fail(cmd, "%s", err.msg);
    }
    sinks[n++] = r->store_sink;
    r->sink = n == 1 ? sinks[0] : kc_tee_sink_new(sinks, n);
    if (r->sink != NULL && r->geo != NULL)
        r->sink = kc_geo_sink_new(r->geo, r->sink);
    if (r->sink == NULL)
        return cli_fail(cmd, "out of memory");
    return 0;
}

static int start_source(const struct cli_command *cmd, struct scan_run *r,
                        const struct kc_checkpoint *cp)
{
    struct kc_error err = {0};
    uint64_t start = cp ? cp->low_uncommitted : 0;
    if (cp != NULL && cp->next_dispatch > cp->low_uncommitted &&
        kc_store_stored_indexes(r->store, r->scan_id, cp->low_uncommitted,
                                cp->next_dispatch, &r->skip,
                                &r->source.n_skip, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    r->source.skip = r->skip;
    /* What this run will not dispatch again: progress starts there. */
    r->base_completed = start + r->source.n_skip;
    r->source.targets = r->targets;
    if (kc_target_iter_new(r->targets, start, &r->source.it, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    return 0;
}

static int run_engine(const struct cli_command *cmd, struct scan_run *r,
                      uint64_t total)
{
    struct kc_error err = {0};
    struct kc_scan_source src = {
        .next = source_next,
        .position = source_position,
        .blocked = source_blocked,
        .ctx = &r->source,
    };
    r->o.engine.classifier.classify = kc_classify;
    r->o.engine.classifier.should_continue = kc_classify_continue_newest;
    if (kc_scanner_new(&r->o.engine, &src, r->sink, &r->sc, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);

    /* Signals are taken synchronously by this thread only. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    sigdelset(&sigs, SIGPIPE);

    struct status st = {.start_us = kc_mono_us(), .total = total,
                        .base = r->base_completed, .uid = r->uid,
                        .tty = isatty(2) && r->o.common.verbosity >= 0,
                        .file = r->status_file};
    st.last_us = st.start_us;
    int rc = kc_scanner_start(r->sc);
    if (rc == 0) {
        wait_for_scan(r->sc, &sigs, &st, &r->o.common);
        rc = kc_scanner_join(r->sc);
    }
    status_emit(&st, r->sc, true);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0)
        return cli_fail(cmd, "%s", kc_scanner_error(r->sc)->msg[0]
                                       ? kc_scanner_error(r->sc)->msg
                                       : strerror(-rc));
    return 0;
}

/* Final checkpoint, flush, scan record. Returns the exit code. */
static int finish_scan(const struct cli_command *cmd, struct scan_run *r,
                       uint64_t total, int engine_rc, double secs)
{
    struct kc_error err = {0};
    struct kc_scan_counters c;
    bool interrupted = engine_rc != 0 || kc_scanner_stopped(r->sc);
    kc_scanner_checkpoint(r->sc, NULL);
    int frc = kc_sink_flush(r->sink);
    /* The writer's counters include a resumed scan's earlier part. */
    if (kc_store_sink_counters(r->store_sink, &c) < 0)
        counters_of(r->sc, total, &c);
    if (frc < 0) {
        cli_fail(cmd, "saving results: %s", r->sink->err.msg);
        interrupted = true;
    }
    /* The writer's last word comes before the scan record's: freeing it
     * later would save its running counters over the recomputed ones. */
    kc_sink_free(r->sink);
    r->sink = r->store_sink = NULL;
    if (kc_store_scan_finish(r->store, r->scan_id,
                             interrupted ? KC_SCAN_INTERRUPTED : KC_SCAN_DONE,
                             &c, &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    /* Every stored row was looked up in these databases (geo sink). */
    if (r->geo != NULL &&
        kc_store_scan_geo_source(r->store, r->scan_id, kc_geo_source(r->geo),
                                 &err) < 0)
        return cli_fail(cmd, "%s", err.msg);
    print_summary(&r->o.common, r->sc, secs);
    if (!interrupted)
        return engine_rc ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
    fprintf(stderr, "kcensus scan: scan %lld interrupted; resume with: "
                    "kcensus scan --resume -d %s\n",
            (long long)r->scan_id, r->o.common.db);
    return engine_rc ? CLI_EXIT_FAILURE : CLI_EXIT_INTERRUPTED;
}

static int run_scan(const struct cli_command *cmd, int argc, char **argv)
{
    struct scan_run r;
    struct kc_checkpoint cp = {0};
    memset(&r, 0, sizeof(r));
    int rc = parse_options(&r.o, cmd, argc, argv);
    if (rc >= 0)
        return rc;
    r.resuming = r.o.resume;
    if (r.resuming) {
        if ((rc = open_store(cmd, &r)) != 0 || (rc = load_resume(cmd, &r, &cp)) != 0)
            goto out;
    }
    if ((rc = build_targets(cmd, &r)) != 0)
        goto out;
    if (r.o.dry_run) {
        print_plan(&r);
        goto out;
    }
    if (r.o.status_file != NULL &&
        (r.status_file = fopen(r.o.status_file, "a")) == NULL) {
        rc = cli_fail(cmd, "cannot open %s: %s", r.o.status_file,
                      strerror(errno));
        goto out;
    }
    if (!r.resuming &&
        ((rc = open_store(cmd, &r)) != 0 ||
         (rc = begin_scan(cmd, &r, argc, argv)) != 0))
        goto out;
    struct kc_targets_counts counts;
    kc_targets_counts(r.targets, &counts);
    uint64_t total = counts.targets;
    if ((rc = make_sink(cmd, &r, total)) != 0 ||
        (rc = start_source(cmd, &r, r.resuming ? &cp : NULL)) != 0)
        goto out;
    uint64_t t0 = kc_mono_us();
    int erc = run_engine(cmd, &r, total);
    if (r.sc != NULL)
        rc = finish_scan(cmd, &r, total, erc,
                         (double)(kc_mono_us() - t0) / 1e6);
    else
        rc = erc;
out:
    run_free(&r);
    return rc;
}

const struct cli_command cli_cmd_scan = {
    .name = "scan",
    .summary = "scan targets for Kubernetes API servers into the database",
    .usage = "[options] [SPECS...]",
    .options = options,
    .run = run_scan,
};
