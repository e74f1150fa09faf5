/* http.c - one HTTP/1.1 response at a time, through libhttp-parser, with
 * ceilings on headers and body. Only the headers the classifier needs are
 * kept (Content-Type, Audit-Id, the priority-and-fairness pair). */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "scanner-private.h"

enum hdr_of_note {
    HDR_NONE = 0,
    HDR_CONTENT_TYPE,
    HDR_AUDIT_ID,
    HDR_PF_FLOWSCHEMA,
    HDR_PF_PRIORITYLEVEL,
};

/* Header names that matter to classify/, matched case-insensitively. */
static const struct {
    const char *name;
    enum hdr_of_note which;
} notable[] = {
    {"content-type", HDR_CONTENT_TYPE},
    {"audit-id", HDR_AUDIT_ID},
    {"x-kubernetes-pf-flowschema-uid", HDR_PF_FLOWSCHEMA},
    {"x-kubernetes-pf-prioritylevel-uid", HDR_PF_PRIORITYLEVEL},
};

static struct kc_http_rx *rx_of(http_parser *p)
{
    return container_of(p, struct kc_http_rx, parser);
}

static enum hdr_of_note classify_field(const struct kc_http_rx *h)
{
    if (h->field_overflow)
        return HDR_NONE;
    for (size_t i = 0; i < KC_ARRAY_LEN(notable); i++) {
        if (strlen(notable[i].name) == h->field_len &&
            strncasecmp(notable[i].name, h->field, h->field_len) == 0)
            return notable[i].which;
    }
    return HDR_NONE;
}

static int on_message_begin(http_parser *p)
{
    struct kc_http_rx *h = rx_of(p);
    kc_buf_reset(&h->body);
    kc_buf_reset(&h->ctype);
    h->out->body_total = 0;
    h->out->has_audit_id = false;
    h->out->has_pf_flowschema = false;
    h->out->has_pf_prioritylevel = false;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct kc_http_rx *h = rx_of(p);
    if (h->in_value) { /* a new header starts */
        h->in_value = false;
        h->field_len = 0;
        h->field_overflow = false;
    }
    if (h->field_len + n > sizeof(h->field)) {
        h->field_overflow = true;
        return 0;
    }
    memcpy(h->field + h->field_len, at, n);
    h->field_len += n;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct kc_http_rx *h = rx_of(p);
    if (!h->in_value) {
        h->in_value = true;
        h->which = classify_field(h);
        switch ((enum hdr_of_note)h->which) {
        case HDR_AUDIT_ID: h->out->has_audit_id = true; break;
        case HDR_PF_FLOWSCHEMA: h->out->has_pf_flowschema = true; break;
        case HDR_PF_PRIORITYLEVEL: h->out->has_pf_prioritylevel = true; break;
        case HDR_CONTENT_TYPE: kc_buf_reset(&h->ctype); break;
        case HDR_NONE: break;
        }
    }
    if (h->which == HDR_CONTENT_TYPE) {
        /* Over the field ceiling we keep the prefix: still a valid record. */
        size_t room = h->ctype.limit - h->ctype.len;
        kc_buf_append(&h->ctype, at, n < room ? n : room);
    }
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct kc_http_rx *h = rx_of(p);
    /* http-parser takes 1-3 digit status codes; RFC 9110 wants 3DIGIT, and
     * nothing below 100 is defined: "HTTP/1.1 0 OK" is malformed. */
    if (p->status_code < 100)
        return -1;
    /* Interim answers are counted: an endless stream of 1xx (each a
     * fresh message to http-parser, so the header ceiling never trips) is
     * too_large, as one endless head is, instead of holding the target
     * until its deadline. */
    if (p->status_code < 200 && ++h->interim > KC_HTTP_MAX_INTERIM) {
        h->too_large = true;
        return -1;
    }
    h->in_value = false;
    h->field_len = 0;
    h->field_overflow = false;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct kc_http_rx *h = rx_of(p);
    h->out->body_total += n;
    if (h->out->body_total > KC_HTTP_MAX_BODY) {
        h->too_large = true;
        return -1;
    }
    size_t room = h->body_keep > h->body.len ? h->body_keep - h->body.len : 0;
    if (room > 0 && kc_buf_append(&h->body, at, n < room ? n : room) != 0)
        return -1;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct kc_http_rx *h = rx_of(p);
    /* 1xx (except 101) is interim: the real answer follows. */
    if (p->status_code >= 100 && p->status_code < 200 &&
        p->status_code != 101)
        return 0;
    h->complete = true;
    h->out->status = (int)p->status_code;
    h->keep_alive = http_should_keep_alive(p) && p->status_code != 101;
    kc_bytes_set(&h->out->body, h->body.data ? (char *)h->body.data : "",
                 h->body.len, 0);
    if (h->ctype.len > 0 || h->ctype.data != NULL)
        kc_bytes_set(&h->out->content_type,
                     h->ctype.data ? (char *)h->ctype.data : "",
                     h->ctype.len, 0);
    /* Stop here: the next bytes belong to the next response. */
    http_parser_pause(p, 1);
    return 0;
}

void kc_http_rx_begin(struct kc_http_rx *h, struct kc_probe_result *out)
{
    struct kc_buf body = h->body, ctype = h->ctype;
    bool fresh = h->settings.on_body == NULL;
    memset(h, 0, sizeof(*h));
    if (fresh) {
        kc_buf_init(&body, KC_MAX_VERSION_BODY);
        kc_buf_init(&ctype, KC_MAX_FIELD);
    }
    h->body = body;
    h->ctype = ctype;
    kc_buf_reset(&h->body);
    kc_buf_reset(&h->ctype);
    http_parser_init(&h->parser, HTTP_RESPONSE);
    http_parser_settings_init(&h->settings);
    h->settings.on_message_begin = on_message_begin;
    h->settings.on_header_field = on_header_field;
    h->settings.on_header_value = on_header_value;
    h->settings.on_headers_complete = on_headers_complete;
    h->settings.on_body = on_body;
    h->settings.on_message_complete = on_message_complete;
    h->out = out;
    h->body_keep = out->id == KC_PROBE_VERSION ? KC_MAX_VERSION_BODY
                                               : KC_MAX_BODY_KEEP;
}

enum kc_http_status kc_http_rx_feed(struct kc_http_rx *h, const char *p,
                                    size_t n, size_t *used)
{
    h->bytes += n;
    *used = http_parser_execute(&h->parser, &h->settings, p, n);
    if (h->complete)
        return KC_HTTP_COMPLETE;
    enum http_errno e = HTTP_PARSER_ERRNO(&h->parser);
    if (h->too_large || e == HPE_HEADER_OVERFLOW)
        return KC_HTTP_TOO_LARGE;
    if (e != HPE_OK)
        return KC_HTTP_ERROR;
    /* EOF before a complete response (close-delimited bodies complete in
     * the call above). */
    if (n == 0)
        return KC_HTTP_ERROR;
    return KC_HTTP_MORE;
}

void kc_http_rx_free(struct kc_http_rx *h)
{
    kc_buf_free(&h->body);
    kc_buf_free(&h->ctype);
}

size_t kc_http_request(char *out, size_t cap, enum kc_probe_id id,
                       const char *authority, const char *ua)
{
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "User-Agent: %s\r\n"
                     "Accept: application/json, */*\r\n"
                     "\r\n",
                     kc_probe_path(id), authority, ua);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
