/*
 * classify-private.h - internals of classify/ shared between its files and
 * its unit tests (not part of the public contract).
 */
#ifndef KCENSUS_CLASSIFY_PRIVATE_H
#define KCENSUS_CLASSIFY_PRIVATE_H

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>

#include "classify.h"

/* What one probe's answer says (pure function of that answer). */
enum kc_probe_finding {
    KC_FIND_VERSION_JSON = 1u << 0, /* /version 200 with major/minor/gitVersion */
    KC_FIND_STATUS = 1u << 1,       /* metav1.Status, code == HTTP status */
    KC_FIND_PF = 1u << 2,           /* X-Kubernetes-Pf-*-Uid header */
    KC_FIND_HEALTH_OK = 1u << 3,    /* health path 200 text/plain ok */
    KC_FIND_AUDIT_ID = 1u << 4,     /* Audit-Id header (evidence only) */
    KC_FIND_HTML = 1u << 5,         /* an HTML/markup answer */
    KC_FIND_404_NOT_STATUS = 1u << 6,
    KC_FIND_HEALTH_BAD = 1u << 7,   /* health path 200 whose body is not ok */
};

/* The reading of probe p (one of r's probes): its findings (KC_FIND_*)
 * and its body parsed as a JSON object (json_t *, borrowed; NULL when not
 * one, as kc_json_object), made on the first call and kept in p->memo
 * until kc_result_clear(r). An unanswered probe reads as no findings,
 * nothing parsed, and is not memoised. */
const struct kc_probe_memo *kc_probe_read(struct kc_result *r,
                                          struct kc_probe_result *p);

/* The findings that are contradictions for a probe id under the rules
 * (health paths, /api and cluster-info only). */
unsigned kc_contradiction_mask(enum kc_probe_id id);

/*
 * Parses body as one JSON object (JSON_ALLOW_NUL, strict: no trailing
 * bytes; duplicate keys: last wins, jansson's default). Returns a new
 * reference or NULL (not JSON, not an object, or invalid UTF-8). The
 * caller json_decref()s it; declared as void * to keep jansson.h out of
 * the tests that do not need it.
 */
void *kc_json_object(const struct kc_bytes *body);

/* SHA-256 (hex) of the first certificate in a kubeconfig's
 * certificate-authority-data found in text; false if none decodes. */
bool kc_kubeconfig_ca_sha256(const char *text, size_t n,
                             char out[KC_SHA256_HEX]);

/* Posture rules 1-6 (caller checks is_kubernetes first). */
enum kc_posture kc_posture_of(const struct kc_result *r);

#endif
