/* cmd_targets.c - kcensus targets (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_targets = {
    .name = "targets",
    .summary = "print the targets a scan would visit, in scan order",
    .usage = "[options] [SPECS...]",
    .options = options,
    .run = cli_not_built,
};
