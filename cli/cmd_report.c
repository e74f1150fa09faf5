/* cmd_report.c - kcensus report (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_report = {
    .name = "report",
    .summary = "version and posture distributions as tables, CSV, charts, HTML",
    .usage = "[options]",
    .options = options,
    .run = cli_not_built,
};
