/*
 * target_opts.h - the target-related flags, shared by `kcensus targets` and
 * `kcensus scan` so both take exactly the same ones. Put
 * CLI_TARGET_OPTIONS inside a command's struct cli_option table, and pass
 * every option id the command does not handle itself to
 * cli_target_opts_handle(). Long-only ids use 256..299 (reserved here).
 */
#ifndef KCENSUS_CLI_TARGET_OPTS_H
#define KCENSUS_CLI_TARGET_OPTS_H

#include "cli.h"
#include "storage.h"
#include "targets.h"

enum cli_target_opt_id {
    CLI_TOPT_INPUT = 'i',
    CLI_TOPT_PORTS = 'p',
    CLI_TOPT_INPUT_FORMAT = 256,
    CLI_TOPT_SEED,
    CLI_TOPT_SHARD,
    CLI_TOPT_ALLOW_LOOPBACK,
    CLI_TOPT_ALLOW,
    CLI_TOPT_BLOCKLIST,
    CLI_TOPT_ALLOWLIST,
    CLI_TOPT_SKIP_BAD,
    CLI_TOPT__END, /* <= 300: ids up to 299 are reserved for targets */
};

#define CLI_TARGET_OPTIONS                                                   \
    {"input", CLI_TOPT_INPUT, "FILE",                                        \
     "read targets from FILE, '-' for stdin (repeatable)"},                 \
    {"input-format", CLI_TOPT_INPUT_FORMAT, "FMT",                           \
     "auto|plain|zmap|masscan-list|masscan-json|jsonl (default auto)"},     \
    {"ports", CLI_TOPT_PORTS, "PORTS",                                       \
     "ports for targets without one, e.g. 443,6443,8000-8010"},             \
    {"seed", CLI_TOPT_SEED, "S", "seed of the scan order (default random)"}, \
    {"shard", CLI_TOPT_SHARD, "I/N",                                         \
     "take shard I of N (auto/N: I from $JOB_COMPLETION_INDEX)"},           \
    {"allow-loopback", CLI_TOPT_ALLOW_LOOPBACK, NULL,                        \
     "lift 127.0.0.0/8 and ::1 from the default blocklist"},                \
    {"allow", CLI_TOPT_ALLOW, "CIDR",                                        \
     "lift CIDR from the default blocklist (repeatable)"},                  \
    {"blocklist", CLI_TOPT_BLOCKLIST, "FILE",                                \
     "never scan the CIDRs in FILE (opt-outs)"},                            \
    {"allowlist", CLI_TOPT_ALLOWLIST, "FILE",                                \
     "scan only inside the CIDRs in FILE"},                                 \
    {"skip-bad", CLI_TOPT_SKIP_BAD, NULL,                                    \
     "count bad input lines as warnings instead of failing"}

#define CLI_TARGET_MAX_LIST 64

/* Builder for a struct kc_targets_config; owns the arrays it points to.
 * Strings point into argv. */
struct cli_target_opts {
    struct kc_targets_config cfg;
    const char *inputs[CLI_TARGET_MAX_LIST];
    const char *allow[CLI_TARGET_MAX_LIST];
};

enum cli_topt_result {
    CLI_TOPT_NOT_MINE = 0, /* not a target option: the command's own */
    CLI_TOPT_TAKEN,
    CLI_TOPT_ERROR,        /* usage error already printed: exit 2 */
};

void cli_target_opts_init(struct cli_target_opts *o);
/* Consumes one parsed option (id from cli_parser_next, arg = optarg). */
enum cli_topt_result cli_target_opts_handle(struct cli_target_opts *o,
                                            const struct cli_command *cmd,
                                            int id, const char *arg);
/* The positional arguments (argv[first..argc-1]) are target specs. */
void cli_target_opts_specs(struct cli_target_opts *o, int argc, char **argv,
                           int first);

/*
 * `kcensus scan --from-scan ID`: the endpoints of an earlier scan become
 * targets, hostnames (and so SNI) kept. Only rows the store policy `only`
 * keeps are taken (kubernetes, responsive or all). The strings are owned
 * here: keep the struct until kc_targets_new() has returned.
 */
struct cli_from_scan {
    int64_t scan_id;            /* 0: not asked for */
    const char *db;             /* NULL: the scan's own database */
    enum kc_store_policy only;
    struct kc_endpoint *endpoints;
    size_t n, cap;
    uint64_t hostnames;         /* endpoints taken by name */
    uint64_t without_endpoint;  /* rows with neither address nor port
                                 * (an import's buckets) */
};

/* Reads the endpoints from db_path (read-only). Returns 0, or a negative
 * errno with err saying why (an unknown scan is -ENOENT). */
int cli_from_scan_load(struct cli_from_scan *fs, const char *db_path,
                       struct kc_error *err);
void cli_from_scan_free(struct cli_from_scan *fs);

#endif
