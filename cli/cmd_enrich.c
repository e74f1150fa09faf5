/* cmd_enrich.c - kcensus enrich (not built yet). */
#include "cli.h"

static const struct cli_option options[] = {
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

const struct cli_command cli_cmd_enrich = {
    .name = "enrich",
    .summary = "add country, ASN and provider to stored results",
    .usage = "[options] --geoip FILE...",
    .options = options,
    .run = cli_not_built,
};
