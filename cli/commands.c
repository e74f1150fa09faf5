/* commands.c - the subcommand table. */
#include <string.h>

#include "cli.h"

const struct cli_command *const cli_commands[] = {
    &cli_cmd_scan,   &cli_cmd_report, &cli_cmd_targets,
    &cli_cmd_scans,  &cli_cmd_merge,  &cli_cmd_import,
    &cli_cmd_enrich, &cli_cmd_reclassify, &cli_cmd_sql,
    NULL,
};

const struct cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; cli_commands[i] != NULL; i++)
        if (strcmp(cli_commands[i]->name, name) == 0)
            return cli_commands[i];
    return NULL;
}
