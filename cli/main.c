/* main.c - kcensus: dispatch to a subcommand, git style. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_usage(FILE *f)
{
    fprintf(f, "usage: kcensus [--version] [--help] [--man] [--completion bash] "
               "<command> [options]\n\n"
               "A census of Kubernetes API servers: versions and anonymous "
               "access.\n\ncommands:\n");
    for (size_t i = 0; cli_commands[i] != NULL; i++)
        fprintf(f, "  %-12s %s\n", cli_commands[i]->name,
                cli_commands[i]->summary);
    fprintf(f, "\n'kcensus <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    const struct cli_command *cmd;

    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("kcensus %s\n", KC_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--man") == 0) {
        cli_print_man(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--completion") == 0) {
        if (argc != 3 || strcmp(argv[2], "bash") != 0) {
            fprintf(stderr, "kcensus: --completion takes 'bash'\n");
            return CLI_EXIT_USAGE;
        }
        cli_print_bash_completion(stdout);
        return CLI_EXIT_OK;
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "kcensus: unknown option '%s'\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    cmd = cli_find_command(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "kcensus: unknown command '%s' (see kcensus --help)\n",
                argv[1]);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(cmd, argc - 1, argv + 1);
}
