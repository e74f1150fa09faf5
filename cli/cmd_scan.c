/* cmd_scan.c - kcensus scan (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_scan = {
    .name = "scan",
    .summary = "scan targets for Kubernetes API servers into the database",
    .usage = "[options] [SPECS...]",
    .options = options,
    .run = cli_not_built,
};
