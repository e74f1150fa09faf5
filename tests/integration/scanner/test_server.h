/* test_server.h - small blocking TLS servers on 127.0.0.1 with scripted
 * misbehaviour, one thread per connection, for the scanner tests. */
#ifndef KC_TEST_SERVER_H
#define KC_TEST_SERVER_H

#include <stdint.h>

enum ts_behaviour {
    TS_K8S = 0,        /* /version JSON, others 401 JSON, keep-alive */
    TS_GARBAGE,        /* not TLS at all */
    TS_SILENT,         /* accepts, says nothing */
    TS_TLS_SILENT,     /* handshake, then never answers */
    TS_HUGE_HEADER,    /* 80 KiB of headers */
    TS_MALFORMED,      /* not HTTP */
    TS_CLOSE_AFTER_TLS,/* handshake, then close */
    TS_CHUNKED_CLOSE,  /* /version chunked; then a close-delimited answer */
    TS_CONTINUE,       /* 100 Continue before each answer */
    TS_TLS10,          /* only TLS 1.0, SHA-1 era settings */
    TS_EOF_HELLO,      /* reads the ClientHello, then closes cleanly */
    TS_RST_HELLO,      /* reads the ClientHello, then resets */
    TS_CLIENT_CERT,    /* TLS 1.3 wanting a client certificate: alert
                          certificate_required after the client Finished */
    TS_STATUS_0,       /* "HTTP/1.1 0 OK" with a /version body */
    TS_CLOSE_EACH,     /* as TS_K8S, Connection: close after every answer */
    TS_HTTP10,         /* as TS_K8S in HTTP/1.0: no keep-alive */
    TS_IDLE_CLOSE,     /* as TS_K8S, keep-alive, but closes (FIN) after
                          two answers without a word */
    TS_RENEG,          /* TLS 1.2: HelloRequest after the first request
                          of a connection (as a server that wants a client
                          certificate late), the answer only once the
                          renegotiation is done */
    TS_RENEG_FOREVER,  /* TLS 1.2: renegotiates again and again, never
                          answers */
    TS_KEYUPDATE,      /* TLS 1.3: KeyUpdate (update_requested) before
                          each answer */
};

struct test_server;

/* Listens on 127.0.0.1:0; *port gets the port. Returns NULL on failure. */
struct test_server *test_server_start(enum ts_behaviour b, uint16_t *port);
/* The same on another loopback address (ip: "127.0.0.2"...). */
struct test_server *test_server_start_at(enum ts_behaviour b, const char *ip,
                                         uint16_t *port);
/* Most sessions open at once so far. */
unsigned test_server_max_live(struct test_server *s);
/* Connections served so far. */
unsigned test_server_accepted(struct test_server *s);
void test_server_stop(struct test_server *s);

#endif
