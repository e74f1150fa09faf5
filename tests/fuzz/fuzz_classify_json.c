/*
 * fuzz_classify_json.c - the JSON path: the input is a response body,
 * served as /version 200, /api 401, cluster-info 200 and the namespace list
 * 200, then classified. Finds crashes and leaks in jansson use, the Status
 * and version checks, the kubeconfig/CA extraction and the counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        enum kc_probe_id id;
        int status;
    } probes[] = {
        {KC_PROBE_VERSION, 200},      {KC_PROBE_API, 401},
        {KC_PROBE_CLUSTER_INFO, 200}, {KC_PROBE_NAMESPACES, 200},
    };
    struct kc_result r;
    kc_result_init(&r);
    for (size_t i = 0; i < KC_ARRAY_LEN(probes); i++) {
        struct kc_probe_result *p = &r.probes[r.n_probes++];
        p->id = probes[i].id;
        p->answered = true;
        p->status = probes[i].status;
        kc_bytes_set_str(&p->content_type, "application/json");
        kc_bytes_set(&p->body, data, size, KC_MAX_VERSION_BODY);
    }
    (void)kc_classify_continue(&r);
    if (kc_classify(&r) == 0 && r.is_kubernetes == 1 &&
        r.posture == KC_POSTURE_NONE)
        abort(); /* a Kubernetes verdict always has a posture */
    kc_result_clear(&r);
    return 0;
}
