/* fixture.h - building kc_result records from canned responses (tests). */
#ifndef KC_TEST_CLASSIFY_FIXTURE_H
#define KC_TEST_CLASSIFY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

#define H_AUDIT 1u
#define H_PF 2u

/* Short probe names for the canned tables. */
#define V KC_PROBE_VERSION
#define HZ KC_PROBE_HEALTHZ
#define LZ KC_PROBE_LIVEZ
#define RZ KC_PROBE_READYZ
#define CI KC_PROBE_CLUSTER_INFO
#define API KC_PROBE_API
#define NS KC_PROBE_NAMESPACES

/* One canned answer: status 0 means sent but not answered. */
struct canned {
    enum kc_probe_id id;
    int status;
    const char *ctype;
    const char *body;
    unsigned headers;
};

static inline void fixture_add(struct kc_result *r, const struct canned *c)
{
    struct kc_probe_result *p = &r->probes[r->n_probes++];
    p->id = c->id;
    p->sent = true;
    p->answered = c->status != 0;
    p->outcome = p->answered ? KC_OUTCOME_OK : KC_OUTCOME_TIMEOUT;
    p->status = c->status;
    p->has_audit_id = c->headers & H_AUDIT;
    p->has_pf_flowschema = p->has_pf_prioritylevel = c->headers & H_PF;
    if (c->ctype)
        kc_bytes_set_str(&p->content_type, c->ctype);
    if (c->body) {
        kc_bytes_set_str(&p->body, c->body);
        p->body_total = p->body.len;
    }
}

/* Reads a whole test data file (NUL-terminated); aborts on failure. */
static inline char *fixture_read(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", KC_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        abort();
    }
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Real kube-apiserver bodies (captured shapes, v1.28). */
#define B_401 \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":" \
    "\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\"," \
    "\"code\":401}\n"
#define B_403_API \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":" \
    "\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" "  \
    "cannot get path \\\"/api\\\"\",\"reason\":\"Forbidden\",\"details\":" \
    "{},\"code\":403}\n"
#define B_403_VERSION \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":" \
    "\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" "  \
    "cannot get path \\\"/version\\\"\",\"reason\":\"Forbidden\","          \
    "\"details\":{},\"code\":403}\n"
#define B_403_CI \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":" \
    "\"Failure\",\"message\":\"configmaps \\\"cluster-info\\\" is "        \
    "forbidden: User \\\"system:anonymous\\\" cannot get resource "        \
    "\\\"configmaps\\\" in API group \\\"\\\" in the namespace "            \
    "\\\"kube-public\\\"\",\"reason\":\"Forbidden\",\"details\":{\"name\":" \
    "\"cluster-info\",\"kind\":\"configmaps\"},\"code\":403}\n"
#define B_404_CI \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":" \
    "\"Failure\",\"message\":\"configmaps \\\"cluster-info\\\" not found\"," \
    "\"reason\":\"NotFound\",\"details\":{\"name\":\"cluster-info\","       \
    "\"kind\":\"configmaps\"},\"code\":404}\n"
#define B_VERSION \
    "{\n  \"major\": \"1\",\n  \"minor\": \"28\",\n  \"gitVersion\": "     \
    "\"v1.28.3\",\n  \"gitCommit\": "                                        \
    "\"a8a1abc25cad87333840cd7d54be2efaf31a3177\",\n  \"gitTreeState\": "   \
    "\"clean\",\n  \"buildDate\": \"2023-10-18T11:33:18Z\",\n  "             \
    "\"goVersion\": \"go1.20.10\",\n  \"compiler\": \"gc\",\n  "            \
    "\"platform\": \"linux/amd64\"\n}"
/* A 1.13 build: no /livez or /readyz yet. */
#define B_VERSION_113 \
    "{\n  \"major\": \"1\",\n  \"minor\": \"13\",\n  \"gitVersion\": "     \
    "\"v1.13.12\",\n  \"gitCommit\": "                                       \
    "\"a8b52209ee172232b6db7a6e0ce2adc77458829f\",\n  \"gitTreeState\": "   \
    "\"clean\",\n  \"buildDate\": \"2019-10-15T12:04:30Z\",\n  "             \
    "\"goVersion\": \"go1.11.13\",\n  \"compiler\": \"gc\",\n  "            \
    "\"platform\": \"linux/amd64\"\n}"
#define B_VERSION_EKS \
    "{\n  \"major\": \"1\",\n  \"minor\": \"28+\",\n  \"gitVersion\": "    \
    "\"v1.28.5-eks-5e0fdde\",\n  \"gitCommit\": "                            \
    "\"1b1fd0b5a4b5b0a3a8cfc2f0ad6b1d4e4b8b6a3c\",\n  \"gitTreeState\": "   \
    "\"clean\",\n  \"buildDate\": \"2024-01-02T20:34:38Z\",\n  "             \
    "\"goVersion\": \"go1.20.12\",\n  \"compiler\": \"gc\",\n  "            \
    "\"platform\": \"linux/amd64\"\n}"
#define B_API_200 \
    "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"                       \
    "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\","        \
    "\"serverAddress\":\"10.0.0.1:6443\"}]}"
#define B_NS_200 \
    "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\",\"metadata\":"       \
    "{\"resourceVersion\":\"9912\"},\"items\":[{\"metadata\":{\"name\":"    \
    "\"default\"}},{\"metadata\":{\"name\":\"kube-node-lease\"}},"          \
    "{\"metadata\":{\"name\":\"kube-public\"}},{\"metadata\":{\"name\":"    \
    "\"kube-system\"}}]}"
#define B_NGINX_404 \
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"   \
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>" \
    "\r\n</body>\r\n</html>\r\n"
#define B_GO_404 "404 page not found\n"
#define B_HEALTH_VERBOSE \
    "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/start-kube-" \
    "apiserver-admission-initializer ok\nhealthz check passed\n"
#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_HTML "text/html"

#endif
