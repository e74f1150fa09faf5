/* conn.c - one target from lookup to result.
 *
 * States (engine.h) and their transitions are listed in conn_next[] below;
 * conn_set_state() is the only writer of c->state and, in debug builds,
 * aborts on a transition the table does not list, naming both states.
 * conn_finish() is the only path that records an outcome; it and
 * kc_conn_abandon() (a target dropped unwritten on stop, never connected)
 * close every handle through conn_close_handles(); conn_close_tcp() closes
 * only the socket, for a reconnect or a retry. Every close callback and a
 * lookup called back late drop their reference through conn_unref(), which
 * alone decides what comes next (free, wait again, reconnect). Every
 * callback first stops the phase timer and sends failures to
 * conn_finish(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "engine.h"

static void conn_finish(struct conn *c, enum kc_outcome o, enum kc_phase ph,
                        const char *detail);
static void conn_send_probe(struct conn *c);
static void conn_finish_probe(struct conn *c, enum kc_outcome o);
static void conn_connect(struct conn *c);

static const char *state_str(enum conn_state s)
{
    switch (s) {
    case CONN_WAITING: return "waiting";
    case CONN_RESOLVING: return "resolving";
    case CONN_PARKED: return "parked";
    case CONN_CONNECTING: return "connecting";
    case CONN_TLS: return "tls";
    case CONN_HTTP: return "http";
    case CONN_RECONNECTING: return "reconnecting";
    case CONN_RETRYING: return "retrying";
    case CONN_CLOSING: return "closing";
    }
    return "?";
}

#define BIT(s) (1u << (s))

/* conn_next[from]: the states `from` may go to. */
static const unsigned conn_next[CONN__STATES] = {
    /* started (lookup, address slot taken or not needed), parked at
     * --per-host, or dropped on stop */
    [CONN_WAITING] = BIT(CONN_RESOLVING) | BIT(CONN_PARKED) |
                     BIT(CONN_CONNECTING) | BIT(CONN_CLOSING),
    /* resolved (slot free or parked), or failed/blocked/timed out */
    [CONN_RESOLVING] = BIT(CONN_PARKED) | BIT(CONN_CONNECTING) |
                       BIT(CONN_CLOSING),
    /* slot freed; deadline (timeout, or --retries: wait again); stop */
    [CONN_PARKED] = BIT(CONN_CONNECTING) | BIT(CONN_WAITING) |
                    BIT(CONN_CLOSING),
    [CONN_CONNECTING] = BIT(CONN_TLS) | BIT(CONN_RETRYING) |
                        BIT(CONN_CLOSING),
    [CONN_TLS] = BIT(CONN_HTTP) | BIT(CONN_RETRYING) | BIT(CONN_CLOSING),
    [CONN_HTTP] = BIT(CONN_RECONNECTING) | BIT(CONN_RETRYING) |
                  BIT(CONN_CLOSING),
    /* a new connection, or the deadline/stop came first */
    [CONN_RECONNECTING] = BIT(CONN_CONNECTING) | BIT(CONN_CLOSING),
    [CONN_RETRYING] = BIT(CONN_WAITING),
    [CONN_CLOSING] = 0,
};

size_t kc_conn_state_count(void)
{
    return CONN__STATES;
}

const char *kc_conn_state_name(size_t s)
{
    return s < CONN__STATES ? state_str((enum conn_state)s) : "?";
}

bool kc_conn_transition_allowed(size_t from, size_t to)
{
    return from < CONN__STATES && to < CONN__STATES &&
           (conn_next[from] & BIT(to)) != 0;
}

static void conn_set_state(struct conn *c, enum conn_state s)
{
#ifndef NDEBUG
    if (!kc_conn_transition_allowed(c->state, s)) {
        fprintf(stderr, "conn: transition %s -> %s is not in the table\n",
                state_str(c->state), state_str(s));
        abort();
    }
#endif
    kc_worker_transition(c->w, c->state, s);
    c->state = s;
}

static uint64_t now_us(void)
{
    return kc_mono_us();
}

static uint32_t since_us(uint64_t start)
{
    uint64_t d = now_us() - start;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* ---------------- timers ---------------- */

static uint32_t phase_ms(const struct conn *c, enum conn_state s)
{
    const struct kc_scanner_config *cfg = &c->w->sc->cfg;
    uint32_t ms = 0;
    switch (s) {
    case CONN_RESOLVING:
    case CONN_CONNECTING: ms = cfg->connect_timeout_ms; break;
    case CONN_TLS: ms = cfg->tls_timeout_ms; break;
    case CONN_HTTP: ms = cfg->response_timeout_ms; break;
    case CONN_PARKED: /* only the deadline bounds the wait */
    case CONN_RECONNECTING:
    case CONN_RETRYING:
    case CONN_WAITING:
    case CONN_CLOSING: break;
    }
    return ms ? ms : cfg->timeout_ms;
}

static void on_timer(uv_timer_t *t);

static uint64_t conn_left_ms(const struct conn *c)
{
    uint64_t now = uv_now(&c->w->loop);
    return c->deadline_ms > now ? c->deadline_ms - now : 0;
}

/* Arms the one timer for at most ms, never past the deadline. */
static void conn_arm_ms(struct conn *c, uint64_t ms)
{
    uint64_t left = conn_left_ms(c);
    uv_timer_start(&c->timer, on_timer, ms < left ? ms : left, 0);
}

/* Arms the one timer for the current phase. */
static void conn_arm(struct conn *c)
{
    conn_arm_ms(c, phase_ms(c, c->state));
}

static enum kc_phase timeout_phase(enum conn_state s)
{
    switch (s) {
    case CONN_WAITING:
    case CONN_RESOLVING:
    case CONN_PARKED:
    case CONN_CONNECTING: return KC_PHASE_CONNECT;
    case CONN_TLS: return KC_PHASE_TLS;
    case CONN_HTTP: return KC_PHASE_RESPONSE;
    case CONN_RECONNECTING:
    case CONN_RETRYING:
    case CONN_CLOSING: break;
    }
    return KC_PHASE_NONE;
}

static void conn_reconnect(struct conn *c);

static void on_timer(uv_timer_t *t)
{
    struct conn *c = container_of(t, struct conn, timer);
    if (c->state == CONN_RESOLVING) {
        conn_finish(c, KC_OUTCOME_DNS_ERROR, KC_PHASE_NONE, "lookup: timeout");
        return;
    }
    if (c->state == CONN_RECONNECTING) {
        /* A rate token was awaited: ask again (the deadline ends it). */
        conn_reconnect(c);
        return;
    }
    if (c->state == CONN_HTTP && c->talk->probe > 0) {
        conn_finish_probe(c, KC_OUTCOME_TIMEOUT);
        return;
    }
    char detail[48];
    kc_snprintf(detail, sizeof(detail), "%s: timeout", state_str(c->state));
    conn_finish(c, KC_OUTCOME_TIMEOUT, timeout_phase(c->state), detail);
}

/* ---------------- teardown ---------------- */

static void conn_free_live(struct conn *c)
{
    struct conn_live *l = c->live;
    if (l == NULL)
        return;
    kc_tls_free(&l->tls);
    free(l);
    c->live = NULL;
}

static void conn_free_talk(struct conn *c)
{
    struct conn_talk *k = c->talk;
    if (k == NULL)
        return;
    kc_http_rx_free(&k->rx);
    kc_result_clear(&k->result);
    free(k);
    c->talk = NULL;
}

static void conn_free(struct conn *c)
{
    conn_free_live(c);
    conn_free_talk(c);
    free(c);
}

/*
 * The one place a reference is dropped (a close callback, or a lookup that
 * called back after the conn finished). The last one decides by the state
 * what follows: a new connection, the waiting queue, or the end.
 */
static void conn_unref(struct conn *c)
{
    if (--c->closing > 0)
        return;
    switch (c->state) {
    case CONN_RECONNECTING:
        c->tcp_open = false;
        conn_reconnect(c);
        return;
    case CONN_RETRYING:
        c->tcp_open = false;
        conn_set_state(c, CONN_WAITING);
        kc_worker_defer(c->w, c);
        return;
    case CONN_CLOSING:
        kc_worker_release(c->w, c);
        conn_free(c);
        return;
    case CONN_WAITING:
    case CONN_RESOLVING:
    case CONN_PARKED:
    case CONN_CONNECTING:
    case CONN_TLS:
    case CONN_HTTP:
        /* Only the three states above close anything. */
        break;
    }
}

static void on_close(uv_handle_t *h)
{
    conn_unref(h->data);
}

/* Closes the socket only (timer and conn stay): the state, RECONNECTING
 * or RETRYING, is already set and says what follows. */
static void conn_close_tcp(struct conn *c)
{
    uv_timer_stop(&c->timer);
    conn_free_live(c);
    c->closing++;
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void conn_close_handles(struct conn *c)
{
    uv_timer_stop(&c->timer);
    if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp)) {
        c->closing++;
        uv_close((uv_handle_t *)&c->tcp, on_close);
    }
    c->closing++;
    uv_close((uv_handle_t *)&c->timer, on_close);
}

static bool retryable(enum kc_outcome o)
{
    return o == KC_OUTCOME_REFUSED || o == KC_OUTCOME_TIMEOUT ||
           o == KC_OUTCOME_CLOSED || o == KC_OUTCOME_UNREACHABLE;
}

static void fill_identity(const struct conn *c, struct kc_result *r)
{
    r->target_index = c->target.index;
    r->addr = c->target.addr;
    r->port = c->target.port;
    if (c->target.host[0] != '\0')
        kc_strlcpy(r->sni, c->target.host, sizeof(r->sni));
    r->started_us = c->started_wall_us;
    r->finished_us = kc_wall_us();
    r->connect_us = c->connect_us;
    r->attempts = c->attempts;
    r->connections = c->connections;
    r->probe_set = c->w->sc->cfg.probes;
}

/* Classifies and emits; r belongs to the caller. */
static void conn_emit(struct conn *c, struct kc_result *r)
{
    const struct kc_scan_classifier *cl = &c->w->sc->cfg.classifier;
    fill_identity(c, r);
    /* A verdict needs an answer: without one the verdict stays NULL
     * ("not evaluated"), which is not the same as "not Kubernetes". */
    if (cl->classify != NULL && r->outcome == KC_OUTCOME_OK)
        cl->classify(r);
    kc_worker_emit(c->w, r);
}

/* Restarts the target from scratch (explicit --retries only). */
static void conn_retry(struct conn *c)
{
    c->attempts++;
    c->connections = 0;
    c->deadline_ms = 0;
    conn_free_talk(c);
    if (c->tcp_open) {
        conn_set_state(c, CONN_RETRYING);
        conn_close_tcp(c);
    } else {
        uv_timer_stop(&c->timer);
        conn_set_state(c, CONN_WAITING);
        kc_worker_defer(c->w, c);
    }
}

/* A probe after the first failed: recorded on the probe, the target
 * itself stays ok. */
static void conn_finish_probe(struct conn *c, enum kc_outcome o)
{
    struct conn_talk *k = c->talk;
    k->result.probes[k->probe].outcome = o;
    conn_finish(c, KC_OUTCOME_OK, KC_PHASE_NONE, "");
}

/* True while the classifier (if any) wants more answers than r has. The
 * hook may keep what it parsed in r's probe memos (classify/), so r is
 * not const. */
static bool classifier_wants_more(const struct conn *c,
                                  struct kc_result *r)
{
    const struct kc_scan_classifier *cl = &c->w->sc->cfg.classifier;
    return cl->should_continue == NULL || cl->should_continue(r);
}

/*
 * The sequence ended early (cap, deadline, a probe that failed) while the
 * classifier still wanted answers: the probes never sent are recorded as
 * such (sent and answered false), so the record says which went
 * unanswered and the classifier can treat them as unknown.
 */
static void conn_note_unsent(struct conn *c)
{
    struct conn_talk *k = c->talk;
    struct kc_result *r = &k->result;
    if (r->n_probes >= k->n_planned || !classifier_wants_more(c, r))
        return;
    for (size_t i = r->n_probes; i < k->n_planned; i++) {
        struct kc_probe_result *p = &r->probes[i];
        p->id = kc_probe_set_at(c->w->sc->cfg.probes, i);
        p->sent = false;
        p->answered = false;
    }
    r->n_probes = k->n_planned;
}

/*
 * The one teardown path: records why, emits the result, closes handles.
 * Called once per attempt; later callbacks see CONN_CLOSING.
 */
static void conn_finish(struct conn *c, enum kc_outcome o, enum kc_phase ph,
                        const char *detail)
{
    if (c->state == CONN_CLOSING)
        return;
    if (c->state == CONN_PARKED)
        kc_worker_unpark(c->w, c); /* stops waiting for a slot */
    struct kc_scanner *sc = c->w->sc;
    struct conn_talk *talk = c->talk;
    bool answered = talk != NULL && talk->result.probes[0].answered;
    if (!answered && o != KC_OUTCOME_OK && retryable(o) &&
        c->attempts <= sc->cfg.retries && !c->gai_pending &&
        !atomic_load(&sc->stop)) {
        conn_retry(c);
        return;
    }
    if (c->gai_pending) {
        /* The lookup is still running: its callback drops the last
         * reference. */
        uv_cancel((uv_req_t *)&c->req.gai);
        c->closing++;
    }
    conn_set_state(c, CONN_CLOSING);

    struct kc_result local;
    struct kc_result *r = &local;
    if (talk != NULL) {
        r = &talk->result;
    } else {
        kc_result_init(&local);
    }
    if (answered) {
        conn_note_unsent(c);
        r->outcome = KC_OUTCOME_OK;
        r->phase = KC_PHASE_NONE;
    } else {
        r->outcome = o;
        r->phase = ph;
        kc_strlcpy(r->detail, detail, sizeof(r->detail));
    }
    conn_emit(c, r);
    if (r == &local)
        kc_result_clear(&local);
    conn_close_handles(c);
}

/* ---------------- writing ---------------- */

struct wreq {
    uv_write_t req;
    size_t len;
    char data[];
};

static void on_write(uv_write_t *req, int status)
{
    struct wreq *wr = container_of(req, struct wreq, req);
    struct conn *c = req->handle->data;
    free(wr);
    /* Writes happen in TLS and HTTP only; one that failed before its
     * socket was closed for a reconnect or a retry calls back after the
     * close began, and is not the next connection's failure. */
    if (status < 0 && status != UV_ECANCELED &&
        (c->state == CONN_TLS || c->state == CONN_HTTP))
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, "write failed");
}

/* Sends whatever OpenSSL produced. Returns 0 or a negative errno. */
static int conn_flush_tls(struct conn *c)
{
    struct kc_tls *t = &c->live->tls;
    size_t n;
    while ((n = kc_tls_pending_out(t)) > 0) {
        struct wreq *wr = malloc(sizeof(*wr) + n);
        if (wr == NULL)
            return -ENOMEM;
        wr->len = kc_tls_drain(t, wr->data, n);
        uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->len);
        int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
        if (rc < 0) {
            free(wr);
            return rc;
        }
    }
    return 0;
}

/* ---------------- HTTP phase ---------------- */

/* More probes remain and the classifier and the deadline allow them. */
static bool conn_more_probes(struct conn *c)
{
    struct conn_talk *l = c->talk;
    if (l->probe + 1 >= l->n_planned)
        return false;
    if (!classifier_wants_more(c, &l->result))
        return false;
    return uv_now(&c->w->loop) < c->deadline_ms;
}

/* Another connection for the same target is within the bounds: one per
 * probe at most, and 1 + --reconnects. */
static bool conn_may_reconnect(const struct conn *c)
{
    const struct conn_talk *l = c->talk;
    return c->connections < l->n_planned &&
           c->connections <= c->w->sc->cfg.max_reconnects &&
           !atomic_load(&c->w->sc->stop);
}

/* The server ends the connection after an answer (Connection: close,
 * HTTP/1.0, a body that ends at close): the next probe goes on a new
 * connection, same address, port and SNI, within the same deadline. */
static void conn_start_reconnect(struct conn *c)
{
    conn_set_state(c, CONN_RECONNECTING);
    conn_close_tcp(c);
}

static void conn_on_response(struct conn *c)
{
    struct conn_talk *l = c->talk;
    struct kc_probe_result *p = &l->result.probes[l->probe];
    p->answered = true;
    p->outcome = KC_OUTCOME_OK;
    p->rtt_us = since_us(l->sent_us);
    l->answered_here++;
    if (l->probe == 0)
        l->result.rtt_us = p->rtt_us;
    if (!conn_more_probes(c)) {
        conn_finish(c, KC_OUTCOME_OK, KC_PHASE_NONE, "");
        return;
    }
    l->probe++;
    if (l->rx.keep_alive)
        conn_send_probe(c);
    else if (conn_may_reconnect(c))
        conn_start_reconnect(c);
    else
        conn_finish(c, KC_OUTCOME_OK, KC_PHASE_NONE, "");
}

/* The connection ended cleanly before any byte of the answer to a probe
 * sent after an answer on this connection (an idle close that crossed
 * our request): that probe goes again on a new connection. */
static bool conn_resend_after_close(struct conn *c)
{
    struct conn_talk *l = c->talk;
    if (l->answered_here == 0 || !conn_may_reconnect(c) ||
        uv_now(&c->w->loop) >= c->deadline_ms)
        return false;
    struct kc_probe_result *p = &l->result.probes[l->probe];
    memset(p, 0, sizeof(*p)); /* no byte of an answer: nothing to free */
    l->result.n_probes = l->probe;
    conn_start_reconnect(c);
    return true;
}

/* Fails the current probe: the target's outcome if it is the first. */
static void conn_probe_failed(struct conn *c, enum kc_outcome o,
                              const char *detail)
{
    if (c->talk->probe == 0)
        conn_finish(c, o, KC_PHASE_NONE, detail);
    else
        conn_finish_probe(c, o);
}

static void conn_feed_http(struct conn *c, const char *p, size_t n)
{
    struct conn_talk *l = c->talk;
    size_t used = 0;
    switch (kc_http_rx_feed(&l->rx, p, n, &used)) {
    case KC_HTTP_MORE:
        return;
    case KC_HTTP_COMPLETE:
        /* Bytes after the response are unsolicited; ignored. */
        conn_on_response(c);
        return;
    case KC_HTTP_ERROR:
        if (n == 0 && l->rx.bytes == 0 && conn_resend_after_close(c))
            return;
        conn_probe_failed(c, n == 0 && l->rx.bytes == 0
                                 ? KC_OUTCOME_CLOSED
                                 : KC_OUTCOME_PROTOCOL_ERROR,
                          n == 0 ? "http: eof" : "http: malformed");
        return;
    case KC_HTTP_TOO_LARGE:
        conn_probe_failed(c, KC_OUTCOME_TOO_LARGE, "http: too large");
        return;
    }
}

static void conn_send_probe(struct conn *c)
{
    struct kc_scanner *sc = c->w->sc;
    struct conn_live *live = c->live;
    struct conn_talk *l = c->talk;
    struct kc_probe_result *p = &l->result.probes[l->probe];
    char req[1024];
    p->id = kc_probe_set_at(sc->cfg.probes, l->probe);
    p->sent = true;
    l->result.n_probes = l->probe + 1;
    size_t n = kc_http_request(req, sizeof(req), p->id, l->authority,
                               sc->user_agent);
    kc_http_rx_begin(&l->rx, p);
    if (c->state != CONN_HTTP)
        conn_set_state(c, CONN_HTTP);
    l->sent_us = now_us();
    if (n == 0 || kc_tls_write(&live->tls, req, n) != 0 ||
        conn_flush_tls(c) != 0) {
        conn_probe_failed(c, KC_OUTCOME_CLOSED, "http: write failed");
        return;
    }
    conn_arm(c);
}

/* ---------------- TLS phase ---------------- */

/* The first handshake is done: the result record and the HTTP reader
 * exist from here on, across reconnects. 0 or -ENOMEM. */
static int conn_talk_new(struct conn *c)
{
    struct conn_talk *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return -ENOMEM;
    kc_result_init(&k->result);
    k->n_planned = kc_probe_set_len(c->w->sc->cfg.probes);
    /* Formatted once: every probe of the target sends the same Host. */
    if (c->target.host[0] != '\0') {
        kc_snprintf(k->authority, sizeof(k->authority), "%s:%u",
                    c->target.host, (unsigned)c->target.port);
    } else {
        kc_endpoint_format(&c->target.addr, c->target.port, k->authority,
                           sizeof(k->authority));
    }
    c->talk = k;
    k->result.tls_us = since_us(c->live->tls_start_us);
    /* The first connection's TLS facts are the target's. */
    kc_tls_record(&c->live->tls, &k->result);
    return 0;
}

static void conn_handshake_done(struct conn *c)
{
    uv_timer_stop(&c->timer);
    if (c->talk == NULL && conn_talk_new(c) != 0) {
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, "out of memory");
        return;
    }
    c->talk->answered_here = 0;
    conn_send_probe(c);
}

static void conn_handshake(struct conn *c)
{
    struct conn_live *l = c->live;
    enum kc_tls_status st = kc_tls_handshake(&l->tls);
    if (conn_flush_tls(c) != 0) {
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, "tls: write failed");
        return;
    }
    switch (st) {
    case KC_TLS_WANT_IO:
        return;
    case KC_TLS_DONE:
        conn_handshake_done(c);
        return;
    case KC_TLS_CLOSED: /* close_notify mid-handshake: an alert */
    case KC_TLS_FAILED:
    case KC_TLS_TOO_LARGE:
        conn_finish(c, KC_OUTCOME_TLS_ERROR, KC_PHASE_NONE, l->tls.err);
        return;
    }
}

/* Decrypts what is available and feeds the HTTP reader. Whatever OpenSSL
 * wrote while reading (a renegotiation's ClientHello, a KeyUpdate, an
 * alert) is sent before returning: the peer may wait for it. */
static void conn_read_plain(struct conn *c)
{
    struct kc_worker *w = c->w;
    for (;;) {
        size_t got = 0;
        enum kc_tls_status st =
            kc_tls_read(&c->live->tls, w->pbuf, sizeof(w->pbuf), &got);
        if (got > 0) {
            conn_feed_http(c, w->pbuf, got);
            if (c->state != CONN_HTTP)
                return;
        }
        if (st == KC_TLS_WANT_IO && got == sizeof(w->pbuf))
            continue; /* the buffer filled: there may be more */
        if (st == KC_TLS_WANT_IO && conn_flush_tls(c) != 0) {
            conn_probe_failed(c, KC_OUTCOME_CLOSED, "tls: write failed");
        } else if (st == KC_TLS_CLOSED) {
            conn_feed_http(c, NULL, 0);
        } else if (st == KC_TLS_FAILED || st == KC_TLS_TOO_LARGE) {
            /* A TLS failure before the first answer (e.g. the TLS 1.3
             * certificate_required alert, which comes after our Finished)
             * is the handshake failing; on later probes the TLS session
             * broke mid-conversation. */
            conn_flush_tls(c); /* our alert, if any */
            conn_probe_failed(c, c->talk->probe == 0
                                     ? KC_OUTCOME_TLS_ERROR
                                     : KC_OUTCOME_PROTOCOL_ERROR,
                              c->live->tls.err);
        }
        return;
    }
}

/* ---------------- socket callbacks ---------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *c = h->data;
    *buf = uv_buf_init(c->w->rbuf, sizeof(c->w->rbuf));
}

static void conn_on_eof(struct conn *c, ssize_t err)
{
    const char *why = err == UV_EOF ? "peer closed" : uv_strerror((int)err);
    if (c->state == CONN_TLS && err == UV_EOF) {
        /* A clean hang-up in answer to our ClientHello is a failed
         * handshake (OpenSSL: "unexpected eof while reading"), as for any
         * TLS client; a reset stays "closed". */
        conn_finish(c, KC_OUTCOME_TLS_ERROR, KC_PHASE_NONE,
                    "tls: unexpected eof in handshake");
    } else if (c->state == CONN_TLS) {
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, why);
    } else if (c->state == CONN_HTTP) {
        /* EOF may complete a close-delimited body. */
        conn_feed_http(c, NULL, 0);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    if (nread == 0 || (c->state != CONN_TLS && c->state != CONN_HTTP))
        return;
    if (nread < 0) {
        uv_timer_stop(&c->timer);
        conn_on_eof(c, nread);
        return;
    }
    if (kc_tls_feed(&c->live->tls, buf->base, (size_t)nread) != 0) {
        if (c->state == CONN_TLS)
            conn_finish(c, KC_OUTCOME_TOO_LARGE, KC_PHASE_NONE, "tls: too large");
        else
            conn_probe_failed(c, KC_OUTCOME_TOO_LARGE, "tls: too large");
        return;
    }
    if (c->state == CONN_TLS)
        conn_handshake(c);
    if (c->state == CONN_HTTP)
        conn_read_plain(c);
}

static void conn_on_connected(struct conn *c)
{
    struct kc_worker *w = c->w;
    if (c->connections == 1)
        c->connect_us = since_us(c->phase_start_us);
    /* Our writes are whole TLS flights and requests: Nagle would hold
     * each one for the peer's delayed ACK (40 ms per probe). */
    uv_tcp_nodelay(&c->tcp, 1);
    c->live = calloc(1, sizeof(*c->live));
    if (c->live == NULL) {
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, "out of memory");
        return;
    }
    struct conn_live *l = c->live;
    if (kc_tls_init(&l->tls, w->ctx, &w->spares, c->target.host) != 0) {
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, "out of memory");
        return;
    }
    conn_set_state(c, CONN_TLS);
    l->tls_start_us = now_us();
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        conn_finish(c, KC_OUTCOME_CLOSED, KC_PHASE_NONE, uv_strerror(rc));
        return;
    }
    conn_arm(c);
    conn_handshake(c);
}

static enum kc_outcome connect_outcome(int status)
{
    switch (status) {
    case UV_ECONNREFUSED: /* RST to our SYN */
        return KC_OUTCOME_REFUSED;
    case UV_ECONNRESET:
    case UV_EPIPE:
        /* The handshake completed, then the peer reset before libuv saw
         * the connect finish: TCP was up, so this is "closed". */
        return KC_OUTCOME_CLOSED;
    case UV_ETIMEDOUT:
        return KC_OUTCOME_TIMEOUT;
    default:
        return KC_OUTCOME_UNREACHABLE;
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct conn *c = container_of(req, struct conn, req.connect);
    if (status == UV_ECANCELED || c->state != CONN_CONNECTING)
        return;
    uv_timer_stop(&c->timer);
    if (status < 0) {
        char detail[64];
        enum kc_outcome o = connect_outcome(status);
        kc_snprintf(detail, sizeof(detail), "connect: %s", uv_err_name(status));
        conn_finish(c, o, o == KC_OUTCOME_TIMEOUT ? KC_PHASE_CONNECT
                                                   : KC_PHASE_NONE, detail);
        return;
    }
    conn_on_connected(c);
}

static bool out_of_sockets(int rc)
{
    return rc == UV_EMFILE || rc == UV_ENFILE || rc == UV_EADDRNOTAVAIL ||
           rc == UV_ENOBUFS || rc == UV_ENOMEM;
}

static void fill_sockaddr(const struct conn *c, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (c->target.addr.family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(c->target.port);
        memcpy(&sin->sin_addr, c->target.addr.bytes, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(c->target.port);
        memcpy(&sin6->sin6_addr, c->target.addr.bytes, 16);
    }
}

static void conn_connect(struct conn *c)
{
    struct sockaddr_storage ss;
    fill_sockaddr(c, &ss);
    uv_tcp_init(&c->w->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = true;
    c->connections++;
    conn_set_state(c, CONN_CONNECTING);
    c->phase_start_us = now_us();
    int rc = uv_tcp_connect(&c->req.connect, &c->tcp,
                            (const struct sockaddr *)&ss, on_connect);
    if (rc < 0 && out_of_sockets(rc) && c->talk == NULL) {
        /* Not the target's fault: wait for sockets, do not record. */
        kc_worker_slow_down(c->w);
        c->connections--;
        c->deadline_ms = 0;
        conn_set_state(c, CONN_RETRYING);
        conn_close_tcp(c);
        return;
    }
    if (rc < 0) {
        char detail[64];
        kc_snprintf(detail, sizeof(detail), "connect: %s", uv_err_name(rc));
        conn_finish(c, connect_outcome(rc), KC_PHASE_NONE, detail);
        return;
    }
    conn_arm(c);
}

/* The socket of the previous connection is closed: connect again when
 * the rate allows, or end with what the record has once the deadline is
 * reached or the scan stops. */
static void conn_reconnect(struct conn *c)
{
    if (conn_left_ms(c) == 0 || atomic_load(&c->w->sc->stop)) {
        conn_finish(c, KC_OUTCOME_OK, KC_PHASE_NONE, "");
        return;
    }
    uint64_t wait = kc_worker_reconnect_wait(c->w);
    if (wait > 0) {
        conn_arm_ms(c, wait);
        return;
    }
    conn_connect(c);
}

/* ---------------- lookup ---------------- */

static bool addr_from_sockaddr(const struct sockaddr *sa, struct kc_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET) {
        a->family = AF_INET;
        memcpy(a->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        a->family = AF_INET6;
        memcpy(a->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct conn *c = container_of(req, struct conn, req.gai);
    c->gai_pending = false;
    kc_worker_lookup_end(c->w);
    if (c->state == CONN_CLOSING) { /* timed out meanwhile */
        uv_freeaddrinfo(res);
        conn_unref(c);
        return;
    }
    uv_timer_stop(&c->timer);
    bool ok = status == 0 && res != NULL &&
              addr_from_sockaddr(res->ai_addr, &c->target.addr);
    uv_freeaddrinfo(res);
    if (!ok) {
        char detail[64];
        kc_snprintf(detail, sizeof(detail), "lookup: %s",
                    status ? uv_err_name(status) : "no address");
        conn_finish(c, KC_OUTCOME_DNS_ERROR, KC_PHASE_NONE, detail);
        return;
    }
    if (kc_worker_blocked(c->w, &c->target.addr)) {
        conn_finish(c, KC_OUTCOME_BLOCKED, KC_PHASE_NONE,
                    "resolved into the blocklist");
        return;
    }
    /* --per-host holds for names too: the address is known only now
     * (parked, the worker calls kc_conn_start() when a slot frees). */
    if (kc_worker_host_admit(c->w, c))
        conn_connect(c);
}

static void conn_resolve(struct conn *c)
{
    struct addrinfo hints;
    char port[8];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    kc_snprintf(port, sizeof(port), "%u", (unsigned)c->target.port);
    conn_set_state(c, CONN_RESOLVING);
    int rc = uv_getaddrinfo(&c->w->loop, &c->req.gai, on_resolved,
                            c->target.host, port, &hints);
    if (rc < 0) {
        conn_finish(c, KC_OUTCOME_DNS_ERROR, KC_PHASE_NONE, uv_err_name(rc));
        return;
    }
    c->gai_pending = true;
    kc_worker_lookup_begin(c->w);
    conn_arm(c);
}

/* ---------------- lifecycle ---------------- */

struct conn *kc_conn_new(struct kc_worker *w, const struct kc_target *t)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->w = w;
    c->target = *t;
    c->attempts = 1;
    uv_timer_init(&w->loop, &c->timer);
    c->timer.data = c;
    c->state = CONN_WAITING; /* the first state: no transition */
    return c;
}

bool kc_conn_needs_dns(const struct conn *c)
{
    return c->target.addr.family == 0 && c->target.host[0] != '\0';
}

void kc_conn_park(struct conn *c)
{
    conn_set_state(c, CONN_PARKED);
    if (c->deadline_ms != 0)
        conn_arm(c); /* a started attempt: its deadline keeps running */
}

void kc_conn_start(struct conn *c)
{
    /* The deadline starts when the attempt really starts: time spent
     * waiting for a socket, a retry or (before the attempt began) an
     * address slot is not the target's. A hostname target parked after
     * its lookup keeps the deadline it has. */
    if (c->deadline_ms == 0)
        c->deadline_ms = uv_now(&c->w->loop) + c->w->sc->cfg.timeout_ms;
    if (c->started_wall_us == 0)
        c->started_wall_us = kc_wall_us();
    if (kc_conn_needs_dns(c))
        conn_resolve(c);
    else
        conn_connect(c);
}

void kc_conn_abandon(struct conn *c)
{
    conn_set_state(c, CONN_CLOSING);
    conn_close_handles(c);
}

size_t kc_scanner_conn_size(void)
{
    return sizeof(struct conn);
}
