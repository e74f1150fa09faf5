/* from_scan.c - an earlier scan's endpoints as the targets of a new one
 * (`kcensus scan --from-scan ID`): the weekly re-check of what a discovery
 * scan found, without exporting and re-reading ip:port lists (which lose
 * hostnames and SNI). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "target_opts.h"

static int push(struct cli_from_scan *fs, const struct kc_result *r)
{
    struct kc_endpoint *e;
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 256;
        e = realloc(fs->endpoints, cap * sizeof(*e));
        if (e == NULL)
            return -ENOMEM;
        fs->endpoints = e;
        fs->cap = cap;
    }
    e = &fs->endpoints[fs->n];
    memset(e, 0, sizeof(*e));
    e->port = r->port;
    if (r->sni[0] != '\0') {
        /* Taken by name: resolved again, so the new scan follows the name
         * (and checks the blocklist on the address it gets). */
        if ((e->host = strdup(r->sni)) == NULL)
            return -ENOMEM;
        fs->hostnames++;
    } else {
        e->addr = r->addr;
    }
    fs->n++;
    return 0;
}

static int take_result(void *ctx, int64_t result_id, const struct kc_result *r)
{
    struct cli_from_scan *fs = ctx;
    (void)result_id;
    if (!kc_store_policy_keeps(fs->only, r))
        return 0;
    if (r->port == 0 || (r->sni[0] == '\0' && r->addr.family == 0)) {
        fs->without_endpoint++;
        return 0;
    }
    return push(fs, r);
}

int cli_from_scan_load(struct cli_from_scan *fs, const char *db_path,
                       struct kc_error *err)
{
    struct kc_store *s;
    struct kc_report_scan scan;
    int rc = kc_store_open(db_path, KC_STORE_READONLY, &s, err);
    if (rc < 0)
        return rc;
    rc = kc_store_report_scan(s, fs->scan_id, &scan, err);
    if (rc == 0)
        rc = kc_store_foreach_result(s, fs->scan_id, take_result, fs, err);
    kc_store_close(s);
    if (rc == -ENOMEM && err->msg[0] == '\0')
        kc_error_set(err, rc, "out of memory");
    return rc;
}

void cli_from_scan_free(struct cli_from_scan *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free((char *)fs->endpoints[i].host);
    free(fs->endpoints);
    fs->endpoints = NULL;
    fs->n = fs->cap = 0;
}
