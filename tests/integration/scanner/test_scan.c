/* Tests the scanner engine end to end against loopback servers that
 * behave and misbehave in scripted ways (test_server.c). Runs inside a
 * private network namespace (tests/netns-run.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanner.h"
#include "test_server.h"

/* Transitions of the connection state machine seen by every scanner of
 * this file, checked against the table by the last test. */
#define MAX_STATES 16
static uint64_t seen_transitions[MAX_STATES][MAX_STATES];

static void free_scanner(struct kc_scanner *sc)
{
    size_t n = kc_conn_state_count();
    assert_true(n <= MAX_STATES);
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            seen_transitions[a][b] += kc_scanner_transitions(sc, a, b);
    kc_scanner_free(sc);
}

/* ---- a source over an array ---- */
struct array_source {
    struct kc_target *t;
    size_t n, next;
};

static int src_next(void *ctx, struct kc_target *out, struct kc_error *err)
{
    struct array_source *a = ctx;
    if (a->next >= a->n)
        return 0;
    *out = a->t[a->next];
    out->index = a->next++;
    return 1;
}

static uint64_t src_pos(void *ctx)
{
    return ((struct array_source *)ctx)->next;
}

/* ---- a sink keeping copies, indexed by target ---- */
struct keep_sink {
    struct kc_sink base;
    struct kc_result *r;
    bool *seen;
    size_t n, writes;
    struct kc_checkpoint last_cp;
    unsigned checkpoints;
    struct kc_scanner *stop_on_write; /* stopped by the first write */
};

static int keep_write(struct kc_sink *s, const struct kc_result *r)
{
    struct keep_sink *k = container_of(s, struct keep_sink, base);
    if (r->target_index >= k->n || k->seen[r->target_index])
        return -EINVAL; /* an index twice is a bug */
    k->seen[r->target_index] = true;
    k->writes++;
    if (k->stop_on_write != NULL)
        kc_scanner_stop(k->stop_on_write);
    return kc_result_copy(&k->r[r->target_index], r);
}

static int keep_checkpoint(struct kc_sink *s, const struct kc_checkpoint *cp)
{
    struct keep_sink *k = container_of(s, struct keep_sink, base);
    k->last_cp = *cp;
    k->checkpoints++;
    return 0;
}

static void keep_free(struct kc_sink *s)
{
    struct keep_sink *k = container_of(s, struct keep_sink, base);
    for (size_t i = 0; i < k->n; i++)
        kc_result_clear(&k->r[i]);
    free(k->r);
    free(k->seen);
}

static const struct kc_sink_ops keep_ops = {
    .write = keep_write,
    .checkpoint = keep_checkpoint,
    .free = keep_free,
};

static void keep_init(struct keep_sink *k, size_t n)
{
    memset(k, 0, sizeof(*k));
    k->base.ops = &keep_ops;
    k->n = n;
    k->r = calloc(n, sizeof(*k->r));
    k->seen = calloc(n, sizeof(*k->seen));
}

static void target_v4(struct kc_target *t, const char *ip, uint16_t port)
{
    memset(t, 0, sizeof(*t));
    kc_addr_parse(ip, &t->addr);
    t->port = port;
}

/* A hostname target (resolved by the scanner). */
static void target_name(struct kc_target *t, const char *name, uint16_t port)
{
    memset(t, 0, sizeof(*t));
    kc_strlcpy(t->host, name, sizeof(t->host));
    t->port = port;
}

/* A port on 127.0.0.1 with nothing listening. */
static uint16_t closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sin);
    bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    getsockname(fd, (struct sockaddr *)&sin, &len);
    close(fd);
    return ntohs(sin.sin_port);
}

static void scan(struct kc_target *t, size_t n, struct kc_scanner_config *cfg,
                 struct keep_sink *k)
{
    struct array_source a = {.t = t, .n = n};
    struct kc_scan_source src = {.next = src_next, .position = src_pos,
                                 .ctx = &a};
    struct kc_scanner *sc = NULL;
    struct kc_error err = {0};
    keep_init(k, n);
    assert_int_equal(kc_scanner_new(cfg, &src, &k->base, &sc, &err), 0);
    assert_int_equal(kc_scanner_run(sc), 0);
    struct kc_checkpoint cp;
    assert_int_equal(kc_scanner_checkpoint(sc, &cp), 0);
    assert_int_equal(cp.next_dispatch, n);
    assert_int_equal(cp.low_uncommitted, n);
    struct kc_scanner_stats st;
    kc_scanner_stats(sc, &st);
    assert_int_equal(st.completed, n);
    assert_int_equal(st.inflight, 0);
    free_scanner(sc);
    assert_int_equal(k->writes, n);
}

/* ---- one target per behaviour: outcome, phase, probes ---- */
struct case_ {
    const char *name;
    int behaviour;            /* enum ts_behaviour, -1 = refused port */
    enum kc_outcome outcome;
    enum kc_phase phase;
    size_t n_probes;          /* probes sent */
    size_t answered;
    int first_status;
    const char *tls_version;  /* NULL: don't check */
    uint32_t connections;     /* 0: don't check */
};

static const struct case_ cases[] = {
    {"k8s", TS_K8S, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200, "TLSv1.3"},
    {"refused", -1, KC_OUTCOME_REFUSED, KC_PHASE_NONE, 0, 0, 0, NULL},
    {"garbage", TS_GARBAGE, KC_OUTCOME_TLS_ERROR, KC_PHASE_NONE, 0, 0, 0, NULL},
    {"silent", TS_SILENT, KC_OUTCOME_TIMEOUT, KC_PHASE_TLS, 0, 0, 0, NULL},
    {"tls-silent", TS_TLS_SILENT, KC_OUTCOME_TIMEOUT, KC_PHASE_RESPONSE, 1, 0,
     0, NULL},
    {"huge-header", TS_HUGE_HEADER, KC_OUTCOME_TOO_LARGE, KC_PHASE_NONE, 1, 0,
     0, NULL},
    {"malformed", TS_MALFORMED, KC_OUTCOME_PROTOCOL_ERROR, KC_PHASE_NONE, 1, 0,
     0, NULL},
    {"close-after-tls", TS_CLOSE_AFTER_TLS, KC_OUTCOME_CLOSED, KC_PHASE_NONE,
     1, 0, 0, NULL},
    /* The close-delimited second answer ends the connection: the rest go
     * on new ones. */
    {"chunked-then-close", TS_CHUNKED_CLOSE, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6,
     200, NULL, 3},
    {"100-continue", TS_CONTINUE, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200,
     NULL},
    {"tls1.0", TS_TLS10, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200, "TLSv1"},
    {"eof-after-hello", TS_EOF_HELLO, KC_OUTCOME_TLS_ERROR, KC_PHASE_NONE, 0,
     0, 0, NULL},
    {"rst-after-hello", TS_RST_HELLO, KC_OUTCOME_CLOSED, KC_PHASE_NONE, 0, 0,
     0, NULL},
    /* TLS 1.3: the alert arrives while reading the first response; it is
     * the handshake failing. */
    {"client-cert-required", TS_CLIENT_CERT, KC_OUTCOME_TLS_ERROR,
     KC_PHASE_NONE, 1, 0, 0, NULL},
    {"status-0", TS_STATUS_0, KC_OUTCOME_PROTOCOL_ERROR, KC_PHASE_NONE, 1, 0,
     0, NULL},
    {"close-each", TS_CLOSE_EACH, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200,
     NULL, 6},
    {"http1.0", TS_HTTP10, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200, NULL, 6},
    /* Closes after two answers without saying so: the third request
     * crosses the FIN and goes again on a new connection. */
    {"idle-close", TS_IDLE_CLOSE, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200,
     NULL, 3},
    {"renegotiate", TS_RENEG, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200,
     "TLSv1.2", 1},
    /* One renegotiation is followed, the second refused at once. */
    {"renegotiate-forever", TS_RENEG_FOREVER, KC_OUTCOME_TLS_ERROR,
     KC_PHASE_NONE, 1, 0, 0, NULL, 1},
    {"key-update", TS_KEYUPDATE, KC_OUTCOME_OK, KC_PHASE_NONE, 6, 6, 200,
     "TLSv1.3", 1},
};

static void check_case(const struct case_ *c, const struct kc_result *r)
{
    size_t answered = 0;
    for (size_t i = 0; i < r->n_probes; i++)
        answered += r->probes[i].answered;
    if (r->outcome != c->outcome || r->phase != c->phase ||
        r->n_probes != c->n_probes || answered != c->answered)
        print_error("case %s: outcome %s phase %s probes %zu answered %zu "
                    "(%s)\n", c->name, kc_outcome_str(r->outcome),
                    kc_phase_str(r->phase), r->n_probes, answered, r->detail);
    assert_int_equal(r->outcome, c->outcome);
    assert_int_equal(r->phase, c->phase);
    assert_int_equal(r->n_probes, c->n_probes);
    assert_int_equal(answered, c->answered);
    if (c->first_status)
        assert_int_equal(r->probes[0].status, c->first_status);
    if (c->tls_version)
        assert_string_equal(r->tls_version, c->tls_version);
    if (c->connections)
        assert_int_equal(r->connections, c->connections);
}

static void test_behaviours(void **state)
{
    size_t n = KC_ARRAY_LEN(cases);
    struct test_server *srv[KC_ARRAY_LEN(cases)] = {0};
    struct kc_target t[KC_ARRAY_LEN(cases)];
    for (size_t i = 0; i < n; i++) {
        uint16_t port = 0;
        if (cases[i].behaviour >= 0) {
            srv[i] = test_server_start(cases[i].behaviour, &port);
            assert_non_null(srv[i]);
        } else {
            port = closed_port();
        }
        target_v4(&t[i], "127.0.0.1", port);
    }
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.timeout_ms = 1500;
    cfg.tls_timeout_ms = 600;
    cfg.response_timeout_ms = 600;
    cfg.threads = 2;
    struct keep_sink k;
    scan(t, n, &cfg, &k);
    for (size_t i = 0; i < n; i++) {
        assert_true(k.seen[i]);
        check_case(&cases[i], &k.r[i]);
    }
    /* What the k8s server presented is recorded. */
    const struct kc_result *r = &k.r[0];
    assert_true(r->cert.present);
    assert_string_equal(r->cert.subject_cn.data, "kube-apiserver");
    assert_string_equal(r->cert.key_type, "ec");
    assert_int_equal(r->cert.key_bits, 256);
    assert_int_equal(strlen(r->cert.sha256), 64);
    assert_string_equal(r->alpn, "");
    assert_true(r->probes[0].has_audit_id);
    assert_non_null(strstr(r->probes[0].body.data, "v1.29.1"));
    assert_string_equal(r->probes[0].content_type.data, "application/json");
    assert_int_equal(r->probes[1].status, 401);
    assert_int_equal(r->probes[5].id, KC_PROBE_API);
    assert_int_equal(k.r[10].cert.key_bits, 2048);
    /* The renegotiation was waited for, not the deadline. */
    for (size_t i = 0; i < n; i++)
        if (cases[i].behaviour == TS_RENEG_FOREVER)
            assert_non_null(strstr(k.r[i].detail, "renegotiation"));
    keep_free(&k.base);
    for (size_t i = 0; i < n; i++)
        if (srv[i] != NULL)
            test_server_stop(srv[i]);
}

/* The classifier's early stop ends the sequence after /version. */
static bool stop_after_version(struct kc_result *r)
{
    return false;
}

static int mark_classified(struct kc_result *r)
{
    r->is_kubernetes = r->outcome == KC_OUTCOME_OK;
    r->classifier_version = "test";
    return 0;
}

static void test_early_stop_and_classify(void **state)
{
    uint16_t port;
    struct test_server *s = test_server_start(TS_K8S, &port);
    struct kc_target t[1];
    target_v4(&t[0], "127.0.0.1", port);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.classifier.should_continue = stop_after_version;
    cfg.classifier.classify = mark_classified;
    cfg.threads = 1;
    struct keep_sink k;
    scan(t, 1, &cfg, &k);
    assert_int_equal(k.r[0].n_probes, 1);
    assert_int_equal(k.r[0].is_kubernetes, 1);
    assert_string_equal(k.r[0].classifier_version, "test");
    keep_free(&k.base);
    test_server_stop(s);
}

/* Many targets on a few servers at several concurrencies and threads:
 * every index exactly once, all ok. */
static void test_many(void **state)
{
    enum { N = 300, SERVERS = 3 };
    static const uint32_t conc[] = {1, 50, 1000};
    uint16_t ports[SERVERS];
    struct test_server *s[SERVERS];
    for (int i = 0; i < SERVERS; i++)
        s[i] = test_server_start(TS_K8S, &ports[i]);
    struct kc_target *t = calloc(N, sizeof(*t));
    for (size_t ci = 0; ci < KC_ARRAY_LEN(conc); ci++) {
        size_t n = conc[ci] == 1 ? 30 : N;
        for (size_t i = 0; i < n; i++)
            target_v4(&t[i], "127.0.0.1", ports[i % SERVERS]);
        struct kc_scanner_config cfg;
        kc_scanner_config_init(&cfg);
        cfg.concurrency = conc[ci];
        cfg.rate = 0;
        cfg.threads = 2;
        cfg.probes = KC_PROBES_VERSION;
        struct keep_sink k;
        scan(t, n, &cfg, &k);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(k.r[i].outcome, KC_OUTCOME_OK);
            assert_int_equal(k.r[i].n_probes, 1);
            assert_int_equal(k.r[i].port, ports[i % SERVERS]);
        }
        keep_free(&k.base);
    }
    free(t);
    for (int i = 0; i < SERVERS; i++)
        test_server_stop(s[i]);
}

/* Hostnames: resolved, then checked against the blocklist. */
static bool block_all(void *ctx, const struct kc_addr *a)
{
    return true;
}

static void test_hostnames(void **state)
{
    uint16_t port;
    struct test_server *s = test_server_start(TS_K8S, &port);
    struct kc_target t[3];
    memset(t, 0, sizeof(t));
    target_name(&t[0], "localhost", port);
    target_name(&t[1], "no-such-host.invalid", port);
    target_name(&t[2], "localhost", port);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 1;
    cfg.probes = KC_PROBES_VERSION;
    cfg.timeout_ms = 3000;
    struct keep_sink k;
    scan(t, 2, &cfg, &k);
    assert_int_equal(k.r[0].outcome, KC_OUTCOME_OK);
    assert_string_equal(k.r[0].sni, "localhost");
    assert_int_equal(k.r[1].outcome, KC_OUTCOME_DNS_ERROR);
    keep_free(&k.base);

    struct array_source a = {.t = &t[2], .n = 1};
    struct kc_scan_source src = {.next = src_next, .position = src_pos,
                                 .blocked = block_all, .ctx = &a};
    struct kc_scanner *sc;
    keep_init(&k, 1);
    assert_int_equal(kc_scanner_new(&cfg, &src, &k.base, &sc, NULL), 0);
    assert_int_equal(kc_scanner_run(sc), 0);
    free_scanner(sc);
    assert_int_equal(k.r[0].outcome, KC_OUTCOME_BLOCKED);
    keep_free(&k.base);
    test_server_stop(s);
}

/* Graceful stop: no new targets, in-flight finish, and the checkpoint
 * covers exactly what was written. */
static void test_stop(void **state)
{
    enum { N = 200 };
    uint16_t port;
    struct test_server *s = test_server_start(TS_K8S, &port);
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++)
        target_v4(&t[i], "127.0.0.1", port);
    struct array_source a = {.t = t, .n = N};
    struct kc_scan_source src = {.next = src_next, .position = src_pos,
                                 .ctx = &a};
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.rate = 100; /* slow, so the stop lands mid-scan */
    cfg.threads = 2;
    cfg.probes = KC_PROBES_VERSION;
    struct keep_sink k;
    keep_init(&k, N);
    struct kc_scanner *sc;
    assert_int_equal(kc_scanner_new(&cfg, &src, &k.base, &sc, NULL), 0);
    assert_int_equal(kc_scanner_start(sc), 0);
    /* Stop on progress, not on a clock: once the first target is done
     * (bounded: 2,000 polls), the rate leaves most of them undispatched. */
    for (int i = 0; i < 2000; i++) {
        struct kc_scanner_stats st;
        kc_scanner_stats(sc, &st);
        if (st.completed > 0)
            break;
        usleep(5000);
    }
    kc_scanner_stop(sc);
    assert_int_equal(kc_scanner_join(sc), 0);
    assert_true(kc_scanner_done(sc));
    assert_true(kc_scanner_stopped(sc));
    struct kc_checkpoint cp;
    assert_int_equal(kc_scanner_checkpoint(sc, &cp), 0);
    free_scanner(sc);
    assert_true(k.writes > 0 && k.writes < N);
    assert_true(cp.low_uncommitted <= cp.next_dispatch);
    for (uint64_t i = 0; i < cp.low_uncommitted; i++)
        assert_true(k.seen[i]);
    assert_int_equal(k.checkpoints, 1);
    keep_free(&k.base);
    test_server_stop(s);
}

/* --retries: a refused target is tried again, and the record says so. */
static void test_retries(void **state)
{
    struct kc_target t[1];
    target_v4(&t[0], "127.0.0.1", closed_port());
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.retries = 2;
    cfg.threads = 1;
    struct keep_sink k;
    scan(t, 1, &cfg, &k);
    assert_int_equal(k.r[0].outcome, KC_OUTCOME_REFUSED);
    assert_int_equal(k.r[0].attempts, 3);
    keep_free(&k.base);
}

/* When a target surely held its host slot: its start for an address
 * target (the slot is taken at dispatch); for a name, which starts with a
 * lookup and may then wait parked, its finish minus the time it spent
 * connecting, in the handshake and on its probes (the slot was taken
 * before the connect, so this is never earlier than holding it). */
static int64_t span_start(const struct kc_result *r, bool by_name)
{
    if (!by_name)
        return r->started_us;
    int64_t busy = (int64_t)r->connect_us + r->tls_us;
    for (size_t i = 0; i < r->n_probes && i < KC_ARRAY_LEN(r->probes); i++)
        busy += r->probes[i].rtt_us;
    return r->finished_us - busy;
}

/* Most records of `host` whose [span_start, finished] spans overlap. Each
 * span lies inside the time the target held its host slot (taken before
 * the span starts, given back after the result is written), so this never
 * exceeds what the scanner really had in flight; ties count as apart. */
static unsigned max_overlap_spans(const struct keep_sink *k, const char *host,
                                  bool by_name)
{
    struct kc_addr want;
    kc_addr_parse(host, &want);
    unsigned best = 0;
    for (size_t i = 0; i < k->n; i++) {
        const struct kc_result *a = &k->r[i];
        if (memcmp(a->addr.bytes, want.bytes, 16) != 0)
            continue;
        /* How many spans contain a's start. */
        int64_t a_start = span_start(a, by_name);
        unsigned n = 0;
        for (size_t j = 0; j < k->n; j++) {
            const struct kc_result *b = &k->r[j];
            if (memcmp(b->addr.bytes, want.bytes, 16) == 0 &&
                span_start(b, by_name) <= a_start && b->finished_us > a_start)
                n++;
        }
        if (n > best)
            best = n;
    }
    return best;
}

static unsigned max_overlap(const struct keep_sink *k, const char *host)
{
    return max_overlap_spans(k, host, false);
}

/* --per-host: at most N connections to one address at a time, judged from
 * the targets' own spans (the server's count of live sessions also holds
 * sessions the client has already finished but whose close it has not
 * read yet: on a loaded machine that lag made a server-side bound flaky). */
static void test_per_host(void **state)
{
    enum { N = 16 };
    static const uint32_t caps[] = {0, 2};
    unsigned seen[2], live[2];
    for (size_t i = 0; i < KC_ARRAY_LEN(caps); i++) {
        uint16_t port;
        struct test_server *s = test_server_start(TS_K8S, &port);
        struct kc_target t[N];
        for (size_t j = 0; j < N; j++)
            target_v4(&t[j], "127.0.0.1", port);
        struct kc_scanner_config cfg;
        kc_scanner_config_init(&cfg);
        cfg.threads = 1;
        cfg.rate = 0;
        cfg.per_host = caps[i];
        struct keep_sink k;
        scan(t, N, &cfg, &k);
        for (size_t j = 0; j < N; j++)
            assert_int_equal(k.r[j].outcome, KC_OUTCOME_OK);
        seen[i] = max_overlap(&k, "127.0.0.1");
        live[i] = test_server_max_live(s);
        keep_free(&k.base);
        test_server_stop(s);
    }
    print_message("most in flight: uncapped %u, cap 2: %u (server saw %u, %u)\n",
                  seen[0], seen[1], live[0], live[1]);
    assert_true(seen[0] >= 5 && live[0] >= 5); /* uncapped: many at once */
    assert_true(seen[1] <= 2);                 /* capped at 2 */
    assert_true(seen[1] >= 1);
}


/* --per-host holds across loops: a multi-port scan of two hosts with two
 * loop threads never has more than the cap in flight on one address; the
 * same scan uncapped does (so the check can fail). */
static void test_per_host_threads(void **state)
{
    enum { PORTS = 3, N = 72 };
    static const char *hosts[] = {"127.0.0.2", "127.0.0.3"};
    struct test_server *srv[2][PORTS];
    uint16_t port[2][PORTS];
    for (int h = 0; h < 2; h++)
        for (int p = 0; p < PORTS; p++) {
            srv[h][p] = test_server_start_at(TS_K8S, hosts[h], &port[h][p]);
            assert_non_null(srv[h][p]);
        }
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++)
        target_v4(&t[i], hosts[i % 2], port[i % 2][(i / 2) % PORTS]);
    static const uint32_t caps[] = {0, 2};
    unsigned seen[2][2];
    for (size_t c = 0; c < KC_ARRAY_LEN(caps); c++) {
        struct kc_scanner_config cfg;
        kc_scanner_config_init(&cfg);
        cfg.threads = 2;
        cfg.concurrency = 40;
        cfg.rate = 0;
        cfg.per_host = caps[c];
        struct keep_sink k;
        scan(t, N, &cfg, &k);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(k.r[i].outcome, KC_OUTCOME_OK);
        for (int h = 0; h < 2; h++)
            seen[c][h] = max_overlap(&k, hosts[h]);
        keep_free(&k.base);
    }
    print_message("most in flight per host: uncapped %u/%u, cap 2: %u/%u\n",
                  seen[0][0], seen[0][1], seen[1][0], seen[1][1]);
    assert_true(seen[0][0] > 2 || seen[0][1] > 2);
    assert_true(seen[1][0] <= 2 && seen[1][1] <= 2);
    assert_true(seen[1][0] >= 1 && seen[1][1] >= 1);
    for (int h = 0; h < 2; h++)
        for (int p = 0; p < PORTS; p++)
            test_server_stop(srv[h][p]);
}

/* A capped host does not hold up the others: its targets wait parked
 * while the other hosts' targets, dispatched after them, all finish
 * before the capped host's second target even starts (that one needs
 * the first to time out). */
static void test_per_host_no_stall(void **state)
{
    enum { SLOW = 3, FAST_HOSTS = 8, FAST = 40, N = SLOW + FAST };
    uint16_t slow_port, fast_port[FAST_HOSTS];
    char fast_ip[FAST_HOSTS][16];
    struct test_server *slow =
        test_server_start_at(TS_TLS_SILENT, "127.0.0.2", &slow_port);
    struct test_server *fast[FAST_HOSTS];
    for (int h = 0; h < FAST_HOSTS; h++) {
        kc_snprintf(fast_ip[h], sizeof(fast_ip[h]), "127.0.1.%d", h + 1);
        fast[h] = test_server_start_at(TS_K8S, fast_ip[h], &fast_port[h]);
        assert_non_null(fast[h]);
    }
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++) {
        if (i < SLOW)
            target_v4(&t[i], "127.0.0.2", slow_port);
        else
            target_v4(&t[i], fast_ip[i % FAST_HOSTS],
                      fast_port[i % FAST_HOSTS]);
    }
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 2;
    cfg.concurrency = 10;
    cfg.rate = 0;
    cfg.per_host = 1;
    cfg.probes = KC_PROBES_VERSION;
    cfg.response_timeout_ms = 1000;
    struct keep_sink k;
    scan(t, N, &cfg, &k);
    int64_t second_slow_start = INT64_MAX, first_slow_start = INT64_MAX;
    for (size_t i = 0; i < SLOW; i++) {
        assert_int_equal(k.r[i].outcome, KC_OUTCOME_TIMEOUT);
        int64_t st = k.r[i].started_us;
        if (st < first_slow_start) {
            second_slow_start = first_slow_start;
            first_slow_start = st;
        } else if (st < second_slow_start) {
            second_slow_start = st;
        }
    }
    int64_t last_fast_end = 0;
    for (size_t i = SLOW; i < N; i++) {
        assert_int_equal(k.r[i].outcome, KC_OUTCOME_OK);
        if (k.r[i].finished_us > last_fast_end)
            last_fast_end = k.r[i].finished_us;
    }
    print_message("slow host: 2nd target started at +%ld us; other hosts: "
                  "all done at +%ld us\n",
                  (long)(second_slow_start - first_slow_start),
                  (long)(last_fast_end - first_slow_start));
    assert_true(last_fast_end < second_slow_start);
    assert_int_equal(max_overlap(&k, "127.0.0.2"), 1);
    keep_free(&k.base);
    test_server_stop(slow);
    for (int h = 0; h < FAST_HOSTS; h++)
        test_server_stop(fast[h]);
}

/* What a scan stopped midway left: the peaks of its gauges while it ran,
 * its final stats and checkpoint. */
struct stopped_scan {
    uint64_t most_inflight, most_parked;
    struct kc_scanner_stats end;
    struct kc_checkpoint cp;
};

/* Scans t[0..n) into k (initialised here) and stops the scanner once
 * stop_after targets are complete; bounded to 500 polls of 5 ms. */
static void scan_stopped_after(struct kc_target *t, size_t n,
                               const struct kc_scanner_config *cfg,
                               uint64_t stop_after, struct keep_sink *k,
                               struct stopped_scan *out)
{
    struct array_source a = {.t = t, .n = n};
    struct kc_scan_source src = {.next = src_next, .position = src_pos,
                                 .ctx = &a};
    struct kc_scanner *sc;
    memset(out, 0, sizeof(*out));
    keep_init(k, n);
    assert_int_equal(kc_scanner_new(cfg, &src, &k->base, &sc, NULL), 0);
    assert_int_equal(kc_scanner_start(sc), 0);
    for (int i = 0; i < 500 && !kc_scanner_done(sc); i++) {
        struct kc_scanner_stats st;
        kc_scanner_stats(sc, &st);
        if (st.inflight > out->most_inflight)
            out->most_inflight = st.inflight;
        if (st.parked > out->most_parked)
            out->most_parked = st.parked;
        if (st.completed == stop_after)
            kc_scanner_stop(sc);
        usleep(5000);
    }
    assert_int_equal(kc_scanner_join(sc), 0);
    assert_int_equal(kc_scanner_checkpoint(sc, &out->cp), 0);
    kc_scanner_stats(sc, &out->end);
    free_scanner(sc);
    print_message("most in flight %lu, most parked %lu, written %zu, "
                  "checkpoint %lu..%lu\n", (unsigned long)out->most_inflight,
                  (unsigned long)out->most_parked, k->writes,
                  (unsigned long)out->cp.low_uncommitted,
                  (unsigned long)out->cp.next_dispatch);
}

/* Exact resume point: everything below it written, the first target at it
 * not. */
static void assert_checkpoint_exact(const struct keep_sink *k,
                                    const struct kc_checkpoint *cp)
{
    for (uint64_t i = 0; i < cp->low_uncommitted; i++)
        assert_true(k->seen[i]);
    assert_true(cp->low_uncommitted == cp->next_dispatch ||
                !k->seen[cp->low_uncommitted]);
}

/* The exact resume point, and every target written timed out (all sit
 * behind a silent server). */
static void assert_stopped_exact(const struct keep_sink *k, size_t n,
                                 const struct kc_checkpoint *cp)
{
    assert_checkpoint_exact(k, cp);
    for (size_t i = 0; i < n; i++)
        if (k->seen[i])
            assert_int_equal(k->r[i].outcome, KC_OUTCOME_TIMEOUT);
}

/* The parked queue is bounded: with every target on one capped, silent
 * host, dispatch pauses once max_parked targets wait, so targets in
 * flight never exceed cap + max_parked. A stop with targets parked keeps
 * the checkpoint exact. */
static void test_per_host_parked_bound(void **state)
{
    enum { N = 8 };
    uint16_t port;
    struct test_server *s = test_server_start_at(TS_TLS_SILENT, "127.0.0.2",
                                                 &port);
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++)
        target_v4(&t[i], "127.0.0.2", port);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 2;
    cfg.concurrency = 20;
    cfg.rate = 0;
    cfg.per_host = 1;
    cfg.max_parked = 2;
    cfg.probes = KC_PROBES_VERSION;
    cfg.response_timeout_ms = 150;
    struct keep_sink k;
    struct stopped_scan r;
    scan_stopped_after(t, N, &cfg, 3, &k, &r); /* some targets parked then */
    assert_true(r.most_parked >= 1 && r.most_parked <= 2);
    assert_true(r.most_inflight <= 3);
    assert_true(k.writes >= 3 && k.writes < N);
    assert_stopped_exact(&k, N, &r.cp);
    keep_free(&k.base);
    test_server_stop(s);
}

/* --per-host holds for hostname targets too: the slot is taken once the
 * name resolves. Names only (spelled two ways, resolved from /etc/hosts,
 * no network) that all resolve to 127.0.0.1, across two loops: capped at
 * 1 or 2 they never overlap more than that, uncapped they do. */
static void test_per_host_hostnames(void **state)
{
    enum { N = 24 };
    static const char *names[] = {"localhost", "LOCALHOST"};
    static const uint32_t caps[] = {0, 1, 2};
    unsigned seen[3];
    uint16_t port;
    struct test_server *s = test_server_start(TS_K8S, &port);
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++)
        target_name(&t[i], names[i % 2], port);
    for (size_t c = 0; c < KC_ARRAY_LEN(caps); c++) {
        struct kc_scanner_config cfg;
        kc_scanner_config_init(&cfg);
        cfg.threads = 2;
        cfg.concurrency = 20;
        cfg.rate = 0;
        cfg.per_host = caps[c];
        cfg.timeout_ms = 5000;
        struct keep_sink k;
        scan(t, N, &cfg, &k);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(k.r[i].outcome, KC_OUTCOME_OK);
        seen[c] = max_overlap_spans(&k, "127.0.0.1", true);
        keep_free(&k.base);
    }
    test_server_stop(s);
    print_message("most in flight on 127.0.0.1 by name: uncapped %u, cap 1: "
                  "%u, cap 2: %u\n", seen[0], seen[1], seen[2]);
    assert_true(seen[0] > 2);
    assert_int_equal(seen[1], 1);
    assert_true(seen[2] >= 1 && seen[2] <= 2);
}

/* A resolved name waiting for its address's slot keeps its deadline:
 * behind a silent server with cap 1, every target ends within --timeout
 * of its start (parked ones as a timeout, never after it). */
static void test_per_host_hostnames_deadline(void **state)
{
    enum { N = 3, TIMEOUT_MS = 300 };
    uint16_t port;
    struct test_server *s = test_server_start(TS_TLS_SILENT, &port);
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++)
        target_name(&t[i], "localhost", port);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 1;
    cfg.rate = 0;
    cfg.per_host = 1;
    cfg.probes = KC_PROBES_VERSION;
    cfg.timeout_ms = TIMEOUT_MS;
    struct keep_sink k;
    scan(t, N, &cfg, &k);
    unsigned parked = 0;
    for (size_t i = 0; i < N; i++) {
        const struct kc_result *r = &k.r[i];
        int64_t took = r->finished_us - r->started_us;
        print_message("target %zu: %s (%s) after %ld us\n", i,
                      kc_outcome_str(r->outcome), r->detail, (long)took);
        assert_int_equal(r->outcome, KC_OUTCOME_TIMEOUT);
        assert_true(took < (TIMEOUT_MS + 250) * 1000);
        if (strstr(r->detail, "parked") != NULL)
            parked++;
    }
    assert_true(parked >= 1);
    keep_free(&k.base);
    test_server_stop(s);
}

/* A stop while resolved names wait parked: they are dropped unwritten
 * (their slots' waits given back) and the checkpoint stays exact. */
static void test_per_host_hostnames_stop(void **state)
{
    enum { N = 8 };
    uint16_t port;
    struct test_server *s = test_server_start(TS_TLS_SILENT, &port);
    struct kc_target t[N];
    for (size_t i = 0; i < N; i++)
        target_name(&t[i], "localhost", port);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 2;
    cfg.concurrency = 20;
    cfg.rate = 0;
    cfg.per_host = 1;
    cfg.probes = KC_PROBES_VERSION;
    cfg.response_timeout_ms = 100;
    struct keep_sink k;
    struct stopped_scan r;
    scan_stopped_after(t, N, &cfg, 2, &k, &r);
    assert_true(r.most_parked >= 1);
    assert_int_equal(r.end.parked, 0);
    assert_int_equal(r.end.inflight, 0);
    assert_true(k.writes >= 2 && k.writes < N);
    assert_stopped_exact(&k, N, &r.cp);
    keep_free(&k.base);
    test_server_stop(s);
}

/* ---- reconnects ---- */

static size_t count_answered(const struct kc_result *r, size_t *unsent)
{
    size_t answered = 0;
    *unsent = 0;
    for (size_t i = 0; i < r->n_probes; i++) {
        answered += r->probes[i].answered;
        *unsent += !r->probes[i].sent;
    }
    return answered;
}

/* Scans one target, a server that closes after every answer, on one
 * loop with cfg's other settings; k gets the result. */
static void scan_close_each(struct kc_scanner_config *cfg, struct keep_sink *k)
{
    uint16_t port;
    struct test_server *s = test_server_start(TS_CLOSE_EACH, &port);
    assert_non_null(s);
    struct kc_target t[1];
    target_v4(&t[0], "127.0.0.1", port);
    cfg->threads = 1;
    scan(t, 1, cfg, k);
    test_server_stop(s);
}

/* The cap: 1 + max_reconnects connections; the probes never sent are in
 * the record as such, after the ones that were. */
static void test_reconnect_cap(void **state)
{
    static const uint32_t caps[] = {0, 2, 6};
    for (size_t ci = 0; ci < KC_ARRAY_LEN(caps); ci++) {
        struct kc_scanner_config cfg;
        kc_scanner_config_init(&cfg);
        cfg.rate = 0;
        cfg.max_reconnects = caps[ci];
        struct keep_sink k;
        scan_close_each(&cfg, &k);
        const struct kc_result *r = &k.r[0];
        size_t unsent, answered = count_answered(r, &unsent);
        size_t want = caps[ci] + 1 < 6 ? caps[ci] + 1 : 6;
        assert_int_equal(r->outcome, KC_OUTCOME_OK);
        assert_int_equal(r->connections, want);
        assert_int_equal(r->n_probes, 6);
        assert_int_equal(answered, want);
        assert_int_equal(unsent, 6 - want);
        for (size_t i = 0; i < 6; i++) {
            assert_int_equal(r->probes[i].sent, i < want);
            assert_int_equal(r->probes[i].id, kc_probe_set_at(cfg.probes, i));
        }
        keep_free(&k.base);
    }
}

/* The classifier's early stop is not an unanswered probe: nothing is
 * added to the record. */
static void test_reconnect_early_stop(void **state)
{
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.classifier.should_continue = stop_after_version;
    struct keep_sink k;
    scan_close_each(&cfg, &k);
    assert_int_equal(k.r[0].n_probes, 1);
    assert_int_equal(k.r[0].connections, 1);
    keep_free(&k.base);
}

/* A reconnect takes a rate token, borrowing at most one second ahead: at
 * 1 connection/s the first reconnect borrows, the second waits for the
 * token due 1000 ms after the first connection, and the deadline, which
 * comes first, ends the target with the answers it has (RECONNECTING ->
 * CLOSING). */
static void test_reconnect_rate_deadline(void **state)
{
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.rate = 1;
    cfg.timeout_ms = 900; /* the next token comes 1000 ms after the first */
    struct keep_sink k;
    scan_close_each(&cfg, &k);
    const struct kc_result *r = &k.r[0];
    size_t unsent, answered = count_answered(r, &unsent);
    assert_int_equal(r->outcome, KC_OUTCOME_OK);
    assert_int_equal(r->connections, 2);
    assert_int_equal(answered, 2);
    assert_int_equal(unsent, 4);
    keep_free(&k.base);
}

/* --retries from every phase that can time out: the handshake, the first
 * answer, and a resolved name parked behind its address's slot. */
static void test_retry_each_phase(void **state)
{
    uint16_t silent, tls_silent;
    struct test_server *a = test_server_start(TS_SILENT, &silent);
    struct test_server *b = test_server_start(TS_TLS_SILENT, &tls_silent);
    struct kc_target t[4];
    target_v4(&t[0], "127.0.0.1", silent);
    target_v4(&t[1], "127.0.0.1", tls_silent);
    target_name(&t[2], "localhost", tls_silent);
    target_name(&t[3], "localhost", tls_silent);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 1;
    cfg.rate = 0;
    cfg.retries = 1;
    cfg.per_host = 1;
    cfg.timeout_ms = 300;
    cfg.probes = KC_PROBES_VERSION;
    struct keep_sink k;
    scan(t, 4, &cfg, &k);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(k.r[i].outcome, KC_OUTCOME_TIMEOUT);
        assert_int_equal(k.r[i].attempts, 2);
    }
    keep_free(&k.base);
    test_server_stop(a);
    test_server_stop(b);
}

/* A stop while names wait for the one lookup slot, issued by the first
 * result written (progress, not a clock): the target queued for a lookup
 * is dropped (WAITING -> CLOSING), the one resolving finishes, and the
 * checkpoint covers exactly what was written. */
static void test_stop_waiting_lookups(void **state)
{
    enum { N = 8 };
    struct kc_target t[N];
    uint16_t port = closed_port();
    for (size_t i = 0; i < N; i++)
        target_name(&t[i], "localhost", port);
    struct kc_scanner_config cfg;
    kc_scanner_config_init(&cfg);
    cfg.threads = 1;
    cfg.rate = 0;
    cfg.dns_concurrency = 1;
    struct array_source a = {.t = t, .n = N};
    struct kc_scan_source src = {.next = src_next, .position = src_pos,
                                 .ctx = &a};
    struct keep_sink k;
    struct kc_scanner *sc;
    keep_init(&k, N);
    assert_int_equal(kc_scanner_new(&cfg, &src, &k.base, &sc, NULL), 0);
    k.stop_on_write = sc;
    assert_int_equal(kc_scanner_run(sc), 0);
    struct kc_checkpoint cp;
    assert_int_equal(kc_scanner_checkpoint(sc, &cp), 0);
    struct kc_scanner_stats st;
    kc_scanner_stats(sc, &st);
    free_scanner(sc);
    assert_int_equal(st.inflight, 0);
    assert_true(k.writes >= 1 && k.writes < N);
    assert_checkpoint_exact(&k, &cp);
    keep_free(&k.base);
}

/* Every transition of the table was taken by some test above, and none
 * outside it (a debug build aborts on those already). */
static void test_every_transition(void **state)
{
    size_t n = kc_conn_state_count(), missing = 0;
    for (size_t a = 0; a < n; a++) {
        for (size_t b = 0; b < n; b++) {
            bool allowed = kc_conn_transition_allowed(a, b);
            if (allowed && seen_transitions[a][b] == 0) {
                print_error("never seen: %s -> %s\n", kc_conn_state_name(a),
                            kc_conn_state_name(b));
                missing++;
            }
            if (!allowed)
                assert_int_equal(seen_transitions[a][b], 0);
        }
    }
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_behaviours),
        cmocka_unit_test(test_early_stop_and_classify),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_hostnames),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_retries),
        cmocka_unit_test(test_per_host),
        cmocka_unit_test(test_per_host_threads),
        cmocka_unit_test(test_per_host_no_stall),
        cmocka_unit_test(test_per_host_parked_bound),
        cmocka_unit_test(test_per_host_hostnames),
        cmocka_unit_test(test_per_host_hostnames_deadline),
        cmocka_unit_test(test_per_host_hostnames_stop),
        cmocka_unit_test(test_reconnect_cap),
        cmocka_unit_test(test_reconnect_early_stop),
        cmocka_unit_test(test_reconnect_rate_deadline),
        cmocka_unit_test(test_retry_each_phase),
        cmocka_unit_test(test_stop_waiting_lookups),
        /* last: sums the transitions of every test above */
        cmocka_unit_test(test_every_transition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
