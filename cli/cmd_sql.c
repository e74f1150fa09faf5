/* cmd_sql.c - kcensus sql (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_sql = {
    .name = "sql",
    .summary = "run an SQL query against the database",
    .usage = "[options] QUERY",
    .options = options,
    .run = cli_not_built,
};
