/* cmd_scans.c - kcensus scans (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_scans = {
    .name = "scans",
    .summary = "list the scans in the database",
    .usage = "[options]",
    .options = options,
    .run = cli_not_built,
};
