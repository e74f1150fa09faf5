/* make_fleet_db.c - builds a census database from a known fleet truth
 * (two scans, hostile strings included) through the storage writer, for
 * the report golden test. Usage: make_fleet_db DB [N]
 * With N, a third scan of N generated Kubernetes endpoints follows: minor
 * 1.(20 + i % 7), vendor gke/eks/upstream by i % 3 (large enough to be
 * read in parallel parts). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"
#include "storage.h"

/* The hostile strings a server could send (see tests/unit/report). */
#define EVIL_VERSION "v1.25.0-<script>alert(1)</script>\x1b[31m]]>,\"x\""
#define EVIL_ORG "=HYPERLINK(\"http://evil/\")\r\n<b>\xff\xfe"

struct truth {
    const char *ip;
    int port;
    int k8s;
    enum kc_posture posture;
    const char *git_version; /* NULL: showed none */
    int major, minor, patch;
    enum kc_vendor vendor;
    const char *country;
    uint32_t asn;
    const char *as_org;
    char cert; /* certificate 'A'.., 0 none */
    char ca;   /* cluster-info CA 'X'.., 0 none */
};

#define P(x) KC_POSTURE_##x
#define V(x) KC_VENDOR_##x

/* Scan 1, 2024-02-05. */
static const struct truth scan1[] = {
    {"10.0.0.1", 443, 1, P(RBAC_DENIED), "v1.26.10-gke.1101000", 1, 26, 10,
     V(GKE), "US", 15169, "GOOGLE", 'A', 0},
    {"10.0.0.1", 6443, 1, P(RBAC_DENIED), "v1.26.10-gke.1101000", 1, 26, 10,
     V(GKE), "US", 15169, "GOOGLE", 'A', 0},
    {"10.0.0.2", 443, 1, P(OPEN), "v1.9.11", 1, 9, 11, V(UPSTREAM), "FR",
     16276, "OVH SAS", 'B', 'X'},
    {"10.0.0.3", 443, 1, P(LIMITED), "v1.10.13", 1, 10, 13, V(UPSTREAM), "FR",
     16276, "OVH SAS", 'C', 'X'},
    {"10.0.0.4", 6443, 1, P(DISABLED), "v1.27.8-eks-8cb36c9", 1, 27, 8,
     V(EKS), "DE", 16509, "AMAZON-02", 'D', 0},
    {"10.0.0.5", 443, 1, P(LEGACY), NULL, -1, -1, -1, V(NONE), "CN", 4134,
     "CHINANET", 0, 0},
    {"10.0.0.6", 443, 1, P(RBAC_DENIED), "v1.38.0", 1, 38, 0, V(UPSTREAM),
     NULL, 0, NULL, 'E', 0},
    {"10.0.0.7", 443, 0, P(NONE), NULL, -1, -1, -1, V(NONE), "US", 15169,
     "GOOGLE", 'F', 0},
    {"10.0.0.9", 443, 1, P(OPEN), EVIL_VERSION, 1, 25, 0, V(OTHER), "NL",
     64500, EVIL_ORG, 'G', 0},
};

/* Scan 2, 2024-06-01: one upgrade, one posture change, one gone, one new. */
static const struct truth scan2[] = {
    {"10.0.0.1", 443, 1, P(RBAC_DENIED), "v1.27.13-gke.1000", 1, 27, 13,
     V(GKE), "US", 15169, "GOOGLE", 'A', 0},
    {"10.0.0.1", 6443, 1, P(RBAC_DENIED), "v1.26.10-gke.1101000", 1, 26, 10,
     V(GKE), "US", 15169, "GOOGLE", 'A', 0},
    {"10.0.0.2", 443, 1, P(RBAC_DENIED), "v1.9.11", 1, 9, 11, V(UPSTREAM),
     "FR", 16276, "OVH SAS", 'B', 'X'},
    {"10.0.0.4", 6443, 1, P(DISABLED), "v1.27.8-eks-8cb36c9", 1, 27, 8,
     V(EKS), "DE", 16509, "AMAZON-02", 'D', 0},
    {"10.0.0.5", 443, 1, P(LEGACY), NULL, -1, -1, -1, V(NONE), "CN", 4134,
     "CHINANET", 0, 0},
    {"10.0.0.6", 443, 1, P(RBAC_DENIED), "v1.38.0", 1, 38, 0, V(UPSTREAM),
     NULL, 0, NULL, 'E', 0},
    {"10.0.0.9", 443, 1, P(OPEN), EVIL_VERSION, 1, 25, 0, V(OTHER), "NL",
     64500, EVIL_ORG, 'G', 0},
    {"10.0.0.10", 443, 1, P(OPEN), "v1.28.1", 1, 28, 1, V(UPSTREAM), "US",
     0, NULL, 'H', 0},
};

static void fill(struct kc_result *r, const struct truth *t, uint64_t index)
{
    kc_result_init(r);
    r->target_index = index;
    if (!kc_addr_parse(t->ip, &r->addr))
        abort();
    r->port = (uint16_t)t->port;
    r->outcome = KC_OUTCOME_OK;
    r->is_kubernetes = t->k8s;
    r->posture = t->posture;
    if (t->git_version && kc_bytes_set_str(&r->git_version, t->git_version))
        abort();
    r->major = t->major;
    r->minor = t->minor;
    r->patch = t->patch;
    r->vendor = t->vendor;
    if (t->country)
        kc_strlcpy(r->country, t->country, sizeof(r->country));
    r->asn = t->asn;
    if (t->as_org)
        kc_strlcpy(r->as_org, t->as_org, sizeof(r->as_org));
    if (t->cert) {
        r->cert.present = true;
        memset(r->cert.sha256, t->cert == 'A' ? 'a' : t->cert, 64);
        r->cert.sha256[64] = '\0';
    }
    if (t->ca) {
        memset(r->cluster_ca_sha256, 'c', 64);
        r->cluster_ca_sha256[0] = t->ca;
        r->cluster_ca_sha256[64] = '\0';
    }
    r->classifier_version = "test";
}

static int64_t add_scan(struct kc_store *s, const char *label,
                        const struct truth *t, size_t n)
{
    struct kc_scan_params p = {.label = label, .store = KC_STORE_ALL};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    struct kc_scan_counters c;
    struct kc_error err;
    struct kc_sink *sink;
    int64_t id;

    if (kc_store_scan_begin(s, &p, &id, &err) != 0) {
        fprintf(stderr, "scan_begin: %s\n", err.msg);
        exit(1);
    }
    sink = kc_store_sink_new(s, id, &cfg, &err);
    if (sink == NULL) {
        fprintf(stderr, "sink: %s\n", err.msg);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        struct kc_result r;
        fill(&r, &t[i], i);
        if (kc_sink_write(sink, &r) != 0)
            exit(1);
        kc_result_clear(&r);
    }
    if (kc_sink_flush(sink) != 0)
        exit(1);
    kc_store_sink_counters(sink, &c);
    kc_sink_free(sink);
    if (kc_store_scan_finish(s, id, KC_SCAN_DONE, &c, &err) != 0) {
        fprintf(stderr, "finish: %s\n", err.msg);
        exit(1);
    }
    return id;
}

static int64_t add_generated(struct kc_store *s, uint32_t n)
{
    static const enum kc_vendor vendors[] = {V(GKE), V(EKS), V(UPSTREAM)};
    struct kc_scan_params p = {.label = "generated", .store = KC_STORE_ALL};
    struct kc_store_writer_config cfg = {.store = KC_STORE_ALL};
    struct kc_scan_counters c;
    struct kc_error err;
    struct kc_sink *sink;
    int64_t id;

    if (kc_store_scan_begin(s, &p, &id, &err) != 0 ||
        (sink = kc_store_sink_new(s, id, &cfg, &err)) == NULL)
        exit(1);
    for (uint32_t i = 0; i < n; i++) {
        struct kc_result r;
        char gv[32];
        kc_result_init(&r);
        r.target_index = i;
        kc_addr_set_v4(&r.addr, 0x0b000000u + i); /* 11.0.0.0/8 */
        r.port = 443;
        r.outcome = KC_OUTCOME_OK;
        r.is_kubernetes = 1;
        r.posture = P(RBAC_DENIED);
        r.major = 1;
        r.minor = 20 + (int)(i % 7);
        r.patch = 1;
        kc_snprintf(gv, sizeof(gv), "v1.%d.1", r.minor);
        r.vendor = vendors[i % 3];
        if (kc_bytes_set_str(&r.git_version, gv) != 0 ||
            kc_sink_write(sink, &r) != 0)
            exit(1);
        kc_result_clear(&r);
        while (kc_sink_busy(sink))
            kc_sink_flush(sink);
    }
    if (kc_sink_flush(sink) != 0)
        exit(1);
    kc_store_sink_counters(sink, &c);
    kc_sink_free(sink);
    if (kc_store_scan_finish(s, id, KC_SCAN_DONE, &c, &err) != 0)
        exit(1);
    return id;
}

/* Scans get the clock's time; the truth has fixed dates (EOL depends on
 * them), set here directly. */
static void set_dates(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "UPDATE scans SET started_at = '2024-02-05T10:00:00Z'"
                     " WHERE id = 1;"
                     "UPDATE scans SET started_at = '2024-06-01T10:00:00Z'"
                     " WHERE id = 2;"
                     "UPDATE scans SET started_at = '2024-09-01T10:00:00Z'"
                     " WHERE id = 3;",
                     NULL, NULL, NULL) != SQLITE_OK)
        exit(1);
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    struct kc_store *s;
    struct kc_error err;
    uint64_t n = 0;
    if ((argc != 2 && argc != 3) ||
        (argc == 3 && !kc_parse_u64(argv[2], 1, 10000000, &n))) {
        fprintf(stderr, "usage: make_fleet_db DB [N]\n");
        return 2;
    }
    if (kc_store_open(argv[1], KC_STORE_CREATE, &s, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (add_scan(s, "fleet-1", scan1, KC_ARRAY_LEN(scan1)) != 1 ||
        add_scan(s, "fleet-2", scan2, KC_ARRAY_LEN(scan2)) != 2)
        return 1;
    if (n > 0 && add_generated(s, (uint32_t)n) != 3)
        return 1;
    kc_store_close(s);
    set_dates(argv[1]);
    return 0;
}
