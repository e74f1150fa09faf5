/* cmd_merge.c - kcensus merge (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_merge = {
    .name = "merge",
    .summary = "combine shard databases or scan histories into one",
    .usage = "[options] OUT.db IN.db...",
    .options = options,
    .run = cli_not_built,
};
