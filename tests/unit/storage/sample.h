/* sample.h - realistic result records for the storage tests and the
 * storage benchmark (header-only: static functions). */
#ifndef KC_TEST_STORAGE_SAMPLE_H
#define KC_TEST_STORAGE_SAMPLE_H

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

enum sample_kind {
    SAMPLE_REFUSED,    /* no TCP connection */
    SAMPLE_WEB,        /* a TLS web server answering 404: not Kubernetes */
    SAMPLE_KUBERNETES, /* an API server with the default probe set */
};

static void sample_probe(struct kc_probe_result *p, enum kc_probe_id id,
                         int status, const char *ctype, const char *body)
{
    p->id = id;
    p->sent = true;
    p->answered = status != 0;
    p->outcome = status ? KC_OUTCOME_OK : KC_OUTCOME_TIMEOUT;
    p->status = status;
    p->has_audit_id = status != 0;
    p->has_pf_flowschema = status == 403 || status == 401;
    p->has_pf_prioritylevel = p->has_pf_flowschema;
    if (ctype)
        kc_bytes_set_str(&p->content_type, ctype);
    if (body)
        kc_bytes_set_str(&p->body, body);
    p->body_total = body ? strlen(body) : 0;
    p->rtt_us = 900 + (uint32_t)id * 10;
}

static void sample_cert(struct kc_cert_info *c, unsigned n)
{
    c->present = true;
    kc_snprintf(c->sha256, sizeof(c->sha256),
                "%064x", n); /* one of a few shared certificates */
    kc_bytes_set_str(&c->subject, "CN=kube-apiserver");
    kc_bytes_set_str(&c->subject_cn, "kube-apiserver");
    kc_bytes_set_str(&c->issuer, "CN=kubernetes");
    kc_bytes_set_str(&c->issuer_cn, "kubernetes");
    kc_bytes_set_str(&c->sans, "DNS:kubernetes\nDNS:kubernetes.default\n"
                               "IP:10.96.0.1");
    c->san_count = 3;
    kc_strlcpy(c->key_type, "rsa", sizeof(c->key_type));
    c->key_bits = 2048;
    kc_strlcpy(c->sig_alg, "sha256WithRSAEncryption", sizeof(c->sig_alg));
    c->not_before = 1700000000;
    c->not_after = 1731536000;
    c->chain_len = 1;
    kc_bytes_set(&c->der, "\x30\x82\x01\x0a\x00\x01", 6, 0);
}

/* Fills r (initialised by the caller) as target number i of kind k. */
static void sample_result(struct kc_result *r, uint64_t i, enum sample_kind k)
{
    static const char version_body[] =
        "{\n  \"major\": \"1\",\n  \"minor\": \"29\",\n  \"gitVersion\": "
        "\"v1.29.4-gke.1043002\",\n  \"gitCommit\": "
        "\"7c8bd1f7b3c3a4a1c4b8d6f2f2b1e9d0a3c5e7f1\",\n  \"gitTreeState\": "
        "\"clean\",\n  \"buildDate\": \"2024-05-02T09:11:05Z\",\n  "
        "\"goVersion\": \"go1.21.9 X:boringcrypto\",\n  \"compiler\": "
        "\"gc\",\n  \"platform\": \"linux/amd64\"\n}";
    kc_addr_set_v4(&r->addr, 0x0a000000u + (uint32_t)i);
    r->target_index = i;
    r->port = 443;
    r->started_us = 1795000000000000 + (int64_t)i * 1000;
    r->finished_us = r->started_us + 35000;
    r->attempts = 1;
    r->probe_set = KC_PROBES_DEFAULT;
    if (k == SAMPLE_REFUSED) {
        r->outcome = KC_OUTCOME_REFUSED;
        kc_strlcpy(r->detail, "connect: ECONNREFUSED", sizeof(r->detail));
        return;
    }
    r->outcome = KC_OUTCOME_OK;
    r->connections = 1 + (uint32_t)(i % 3); /* a server that closed between
                                               probes took more than one */
    r->connect_us = 12000;
    r->tls_us = 15000;
    r->rtt_us = 8000;
    kc_strlcpy(r->tls_version, "TLSv1.3", sizeof(r->tls_version));
    kc_strlcpy(r->cipher, "TLS_AES_128_GCM_SHA256", sizeof(r->cipher));
    sample_cert(&r->cert, (unsigned)(i % 7));
    if (k == SAMPLE_WEB) {
        r->n_probes = 1;
        sample_probe(&r->probes[0], KC_PROBE_VERSION, 404, "text/plain",
                     "404 page not found");
        r->is_kubernetes = 0;
        r->classifier_version = "test-1";
        return;
    }
    r->n_probes = 6;
    sample_probe(&r->probes[0], KC_PROBE_VERSION, 200, "application/json",
                 version_body);
    sample_probe(&r->probes[1], KC_PROBE_HEALTHZ, 200, "text/plain", "ok");
    sample_probe(&r->probes[2], KC_PROBE_LIVEZ, 200, "text/plain", "ok");
    sample_probe(&r->probes[3], KC_PROBE_READYZ, 200, "text/plain", "ok");
    sample_probe(&r->probes[4], KC_PROBE_CLUSTER_INFO, 403,
                 "application/json", NULL);
    sample_probe(&r->probes[5], KC_PROBE_API, 403, "application/json", NULL);
    r->is_kubernetes = 1;
    kc_strlcpy(r->evidence, "version_json,audit_id,healthz",
               sizeof(r->evidence));
    r->posture = KC_POSTURE_LIMITED;
    kc_bytes_set_str(&r->git_version, "v1.29.4-gke.1043002");
    r->major = 1;
    r->minor = 29;
    r->patch = 4;
    r->vendor = KC_VENDOR_GKE;
    kc_bytes_set_str(&r->version.major, "1");
    kc_bytes_set_str(&r->version.minor, "29");
    kc_bytes_set_str(&r->version.build_date, "2024-05-02T09:11:05Z");
    kc_bytes_set_str(&r->version.go_version, "go1.21.9 X:boringcrypto");
    kc_bytes_set_str(&r->version.platform, "linux/amd64");
    r->cluster_info_readable = 0;
    r->classifier_version = "test-1";
    kc_strlcpy(r->country, "US", sizeof(r->country));
    r->asn = 15169;
    kc_strlcpy(r->as_org, "GOOGLE", sizeof(r->as_org));
    r->provider = KC_PROVIDER_GCP;
}

#endif
