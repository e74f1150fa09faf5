/* cmd_import.c - kcensus import (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_import = {
    .name = "import",
    .summary = "load a published census (git_version,count buckets) as a scan",
    .usage = "[options] --buckets CSV --date YYYY-MM-DD",
    .options = options,
    .run = cli_not_built,
};
