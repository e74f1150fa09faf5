/*
 * evidence.c - what a single probe's answer says: JSON bodies (jansson),
 * metav1.Status, health bodies, markup; and the cluster-info CA.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify-private.h"

void *kc_json_object(const struct kc_bytes *body)
{
    json_error_t jerr;
    if (!kc_bytes_present(body) || body->len == 0)
        return NULL;
    /* No JSON_REJECT_DUPLICATES: without it jansson keeps the last value of
     * a repeated key, which is what Go's encoding/json (kubectl) does. */
    json_t *j = json_loadb(body->data, body->len, JSON_ALLOW_NUL, &jerr);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool str_field_is(json_t *o, const char *key, const char *want)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) == strlen(want) &&
           memcmp(json_string_value(v), want, strlen(want)) == 0;
}

static bool is_status(json_t *o, int http_status)
{
    json_t *code = json_object_get(o, "code");
    return str_field_is(o, "kind", "Status") &&
           str_field_is(o, "apiVersion", "v1") && json_is_integer(code) &&
           json_integer_value(code) == http_status;
}

static bool is_version(json_t *o)
{
    return json_is_string(json_object_get(o, "major")) &&
           json_is_string(json_object_get(o, "minor")) &&
           json_is_string(json_object_get(o, "gitVersion"));
}

static bool is_health_path(enum kc_probe_id id)
{
    return id == KC_PROBE_HEALTHZ || id == KC_PROBE_LIVEZ ||
           id == KC_PROBE_READYZ;
}

static bool ci_prefix(const struct kc_bytes *b, const char *pre)
{
    size_t n = strlen(pre);
    return kc_bytes_present(b) && b->len >= n &&
           strncasecmp(b->data, pre, n) == 0;
}

/* text/html content type, or a body whose first non-blank byte is '<'
 * (HTML or XML: kube-apiserver answers JSON or plain text only). */
static bool is_markup(const struct kc_probe_result *p)
{
    if (kc_bytes_present(&p->content_type) &&
        strcasestr(p->content_type.data, "html") != NULL)
        return true;
    if (!kc_bytes_present(&p->body))
        return false;
    for (size_t i = 0; i < p->body.len; i++) {
        char c = p->body.data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '<';
    }
    return false;
}

/* "ok", or the verbose form ("[+]ping ok\n...\nhealthz check passed\n"). */
static bool health_body_ok(const struct kc_probe_result *p)
{
    const struct kc_bytes *b = &p->body;
    if (!ci_prefix(&p->content_type, "text/plain") || !kc_bytes_present(b))
        return false;
    if (b->len == 2 && memcmp(b->data, "ok", 2) == 0)
        return true;
    return b->len > 3 && memcmp(b->data, "[+]", 3) == 0 &&
           memmem(b->data, b->len, "check passed", 12) != NULL &&
           memmem(b->data, b->len, "[-]", 3) == NULL;
}

/* Findings of an answered probe whose body parsed to o (NULL: not a JSON
 * object). */
static unsigned findings_of(const struct kc_probe_result *p, json_t *o)
{
    unsigned f = 0;
    if (p->has_pf_flowschema || p->has_pf_prioritylevel)
        f |= KC_FIND_PF;
    if (p->has_audit_id)
        f |= KC_FIND_AUDIT_ID;
    if (is_markup(p))
        f |= KC_FIND_HTML;
    bool status = o != NULL && is_status(o, p->status);
    if (status)
        f |= KC_FIND_STATUS;
    if (p->id == KC_PROBE_VERSION && p->status == 200 && o != NULL &&
        is_version(o))
        f |= KC_FIND_VERSION_JSON;
    if (p->status == 404 && !status)
        f |= KC_FIND_404_NOT_STATUS;
    if (is_health_path(p->id) && p->status == 200) {
        if (health_body_ok(p))
            f |= KC_FIND_HEALTH_OK;
        else
            f |= KC_FIND_HEALTH_BAD;
    }
    return f;
}

static void json_release(void *parsed)
{
    json_decref(parsed);
}

const struct kc_probe_memo *kc_probe_read(struct kc_result *r,
                                          struct kc_probe_result *p)
{
    static const struct kc_probe_memo unanswered = {false, 0, NULL};
    /* An unanswered probe is not read: an answer may still come. */
    if (!p->answered)
        return &unanswered;
    if (!p->memo.read) {
        json_t *o = kc_json_object(&p->body);
        p->memo.findings = findings_of(p, o);
        p->memo.parsed = o;
        p->memo.read = true;
        if (o != NULL)
            r->memo_release = json_release;
    }
    return &p->memo;
}

unsigned kc_contradiction_mask(enum kc_probe_id id)
{
    switch (id) {
    case KC_PROBE_HEALTHZ:
    case KC_PROBE_LIVEZ:
    case KC_PROBE_READYZ:
    case KC_PROBE_API:
    case KC_PROBE_CLUSTER_INFO:
        return KC_FIND_HTML | KC_FIND_404_NOT_STATUS | KC_FIND_HEALTH_BAD;
    case KC_PROBE_VERSION:
    case KC_PROBE_NAMESPACES:
    case KC_PROBE__COUNT:
        return 0;
    }
    return 0;
}

/* ---- cluster-info CA --------------------------------------------------- */

#define CA_MAX 16384 /* decoded PEM/DER bound; real CAs are ~1-2 KiB */

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* PEM -> DER of the first CERTIFICATE block; or the bytes themselves when
 * they already are DER (a SEQUENCE). Returns DER length or -1. */
static ssize_t pem_first_der(const uint8_t *in, size_t n, uint8_t *der,
                             size_t cap)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    if (n > 0 && in[0] == 0x30) {
        if (n > cap)
            return -1;
        memcpy(der, in, n);
        return (ssize_t)n;
    }
    const uint8_t *b = memmem(in, n, begin, sizeof begin - 1);
    if (b == NULL)
        return -1;
    b += sizeof begin - 1;
    const uint8_t *e = memmem(b, n - (size_t)(b - in), end, sizeof end - 1);
    if (e == NULL)
        return -1;
    ssize_t len = kc_base64_decode((const char *)b, (size_t)(e - b), der, cap);
    return len > 0 ? len : -1;
}

bool kc_kubeconfig_ca_sha256(const char *text, size_t n,
                             char out[KC_SHA256_HEX])
{
    static const char key[] = "certificate-authority-data:";
    const char *k = memmem(text, n, key, sizeof key - 1);
    if (k == NULL)
        return false;
    size_t i = (size_t)(k - text) + sizeof key - 1;
    while (i < n && (text[i] == ' ' || text[i] == '"' || text[i] == '\''))
        i++;
    size_t start = i;
    while (i < n && b64_char(text[i]))
        i++;
    if (i == start)
        return false;
    uint8_t *pem = malloc(CA_MAX), *der = malloc(CA_MAX);
    bool ok = false;
    if (pem != NULL && der != NULL) {
        ssize_t pn = kc_base64_decode(text + start, i - start, pem, CA_MAX);
        ssize_t dn = pn > 0 ? pem_first_der(pem, (size_t)pn, der, CA_MAX) : -1;
        if (dn > 0) {
            kc_sha256_hex(der, (size_t)dn, out);
            ok = true;
        }
    }
    free(pem);
    free(der);
    return ok;
}
