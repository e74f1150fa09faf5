/*
 * fuzz_fleet_spec.c - libFuzzer target: kcensus-fleet's JSON spec parser
 * (tests/fleet/spec.c) and the truth it derives. A spec either gives a plan
 * that holds the fleet's invariants or an error with a message; never a
 * crash. Specs naming a versions_file are skipped (the parser would open
 * whatever path the input names, /dev/zero included), and so are plans of
 * more than 65,536 members (valid, but slow enough to starve the fuzzer; the
 * limit checks above 2^20 still run).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define FUZZ_MAX_INPUT 65536
#define FUZZ_MAX_MEMBERS 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when the input must not reach the parser (see the top comment).
 * Parsed the way spec.c parses it, so escapes such as "versions\u005ffile"
 * are seen for what they are. */
static bool skip_input(const char *json)
{
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
    json_t *groups = root ? json_object_get(root, "groups") : NULL;
    bool skip = false;
    uint64_t total = 0;
    size_t i;
    json_t *g;
    if (json_is_array(groups)) {
        json_array_foreach(groups, i, g) {
            json_t *c = json_object_get(g, "count");
            if (json_object_get(g, "versions_file"))
                skip = true;
            if (json_is_integer(c) && json_integer_value(c) > 0)
                total += (uint64_t)json_integer_value(c);
        }
    }
    if (total > FUZZ_MAX_MEMBERS && total <= FLEET_MAX_MEMBERS)
        skip = true;
    json_decref(root);
    return skip;
}

static void check_plan(const struct fleet_plan *p)
{
    if (p->n_members == 0 || p->n_members > FLEET_MAX_MEMBERS ||
        p->n_ports == 0 || p->n_ports > FLEET_MAX_PORTS || !p->members)
        abort();
    for (uint32_t i = 0; i < p->n_members; i++) {
        const struct fleet_member *m = &p->members[i];
        if (m->addr != p->base + i || (m->addr >> 24) != 127 ||
            fleet_plan_find(p, m->addr) != m ||
            (m->port_mask >> p->n_ports) != 0 ||
            (unsigned)m->behaviour >= FLEET_B__COUNT ||
            (unsigned)m->fault >= FLEET_F__COUNT ||
            (unsigned)m->cert >= FLEET_CERT__COUNT ||
            (unsigned)m->key >= FLEET_KEY__COUNT || m->latency_ms > 60000)
            abort();
        for (size_t pi = 0; pi < p->n_ports; pi++) {
            struct fleet_truth t;
            fleet_truth_of(p, m, pi, &t);
            if ((unsigned)t.outcome >= KC_OUTCOME__COUNT)
                abort();
        }
    }
    if (fleet_plan_find(p, p->base + p->n_members) != NULL)
        abort();
    FILE *f = fopen("/dev/null", "w");
    if (f) {
        if (fleet_truth_write(p, f) < 0)
            abort();
        fclose(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[FUZZ_MAX_INPUT + 1];
    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (skip_input(buf))
        return 0;
    struct fleet_plan plan;
    struct kc_error err = {0};
    int rc = fleet_plan_parse(&plan, buf, NULL, 0, &err);
    if (rc < 0) {
        if (err.msg[0] == '\0') /* a bad spec says what is wrong */
            abort();
        return 0;
    }
    if (rc != 0)
        abort();
    check_plan(&plan);
    fleet_plan_free(&plan);
    return 0;
}
