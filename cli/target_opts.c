/* target_opts.c - the shared target flags into a kc_targets_config. */
#include <stdlib.h>
#include <string.h>

#include "target_opts.h"

void cli_target_opts_init(struct cli_target_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->cfg.inputs = o->inputs;
    o->cfg.allow_cidrs = o->allow;
    o->cfg.stream_fd = 0;
}

static enum cli_topt_result push(const struct cli_command *cmd,
                                 const char **arr, size_t *n, const char *v,
                                 const char *what)
{
    if (*n >= CLI_TARGET_MAX_LIST) {
        cli_usage_error(cmd, "too many %s (max %d)", what,
                        CLI_TARGET_MAX_LIST);
        return CLI_TOPT_ERROR;
    }
    arr[(*n)++] = v;
    return CLI_TOPT_TAKEN;
}

/* "I/N", or "auto/N" taking I from $JOB_COMPLETION_INDEX (Kubernetes
 * indexed Jobs). */
static bool parse_shard(const char *arg, uint32_t *i, uint32_t *n)
{
    char buf[64];
    const char *idx;
    if (strncmp(arg, "auto/", 5) != 0)
        return kc_parse_shard(arg, i, n);
    idx = getenv("JOB_COMPLETION_INDEX");
    if (idx == NULL)
        return false;
    kc_snprintf(buf, sizeof(buf), "%s/%s", idx, arg + 5);
    return kc_parse_shard(buf, i, n);
}

/* 0 .. 2^64-1, or the same 64 bits read as a signed integer, which is how
 * SQLite stores them in scans.seed: a stored seed can be passed back. */
static bool parse_seed(const char *arg, uint64_t *out)
{
    int64_t v;
    if (arg[0] != '-')
        return kc_parse_u64(arg, 0, UINT64_MAX, out);
    if (!kc_parse_i64(arg, INT64_MIN, -1, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}


static enum cli_topt_result bad(const struct cli_command *cmd,
                                const char *opt, const char *arg,
                                const char *want)
{
    cli_usage_error(cmd, "--%s: bad value '%s' (%s)", opt, arg, want);
    return CLI_TOPT_ERROR;
}

enum cli_topt_result cli_target_opts_handle(struct cli_target_opts *o,
                                            const struct cli_command *cmd,
                                            int id, const char *arg)
{
    struct kc_targets_config *c = &o->cfg;
    switch (id) {
    case CLI_TOPT_INPUT:
        return push(cmd, o->inputs, &c->n_inputs, arg, "inputs");
    case CLI_TOPT_INPUT_FORMAT:
        if (!kc_input_format_parse(arg, &c->input_format))
            return bad(cmd, "input-format", arg,
                       "auto, plain, zmap, masscan-list, masscan-json, "
                       "jsonl");
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_PORTS:
        if (!kc_ports_parse(arg, c->ports, KC_TARGETS_MAX_PORTS, &c->n_ports))
            return bad(cmd, "ports", arg, "e.g. 443,6443,8000-8010, at most 64");
        c->ports_explicit = true;
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_SEED:
        if (!parse_seed(arg, &c->seed))
            return bad(cmd, "seed", arg, "a decimal number");
        c->seed_set = true;
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_SHARD:
        if (!parse_shard(arg, &c->shard_index, &c->shard_count))
            return bad(cmd, "shard", arg,
                       "I/N with 0 <= I < N, or auto/N with "
                       "$JOB_COMPLETION_INDEX set");
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_ALLOW_LOOPBACK:
        c->allow_loopback = true;
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_ALLOW:
        return push(cmd, o->allow, &c->n_allow, arg, "--allow ranges");
    case CLI_TOPT_BLOCKLIST:
        c->blocklist_file = arg;
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_ALLOWLIST:
        c->allowlist_file = arg;
        return CLI_TOPT_TAKEN;
    case CLI_TOPT_SKIP_BAD:
        c->skip_bad = true;
        return CLI_TOPT_TAKEN;
    default:
        return CLI_TOPT_NOT_MINE;
    }
}

void cli_target_opts_specs(struct cli_target_opts *o, int argc, char **argv,
                           int first)
{
    if (first < argc) {
        o->cfg.specs = (const char *const *)(argv + first);
        o->cfg.n_specs = (size_t)(argc - first);
    }
}
