/* options.c - option tables to getopt_long, help text, messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd,
                     struct cli_common *common)
{
    size_t n = 0, s = 0;
    memset(p, 0, sizeof(*p));
    p->cmd = cmd;
    p->common = common;
    p->exit_code = -1;
    if (common->db == NULL)
        common->db = "census.db";
    p->shortopts[s++] = ':'; /* report missing arguments as ':' */
    for (const struct cli_option *o = cmd->options; o->name != NULL; o++) {
        if (n + 1 >= KC_ARRAY_LEN(p->longopts))
            break;
        p->longopts[n].name = o->name;
        p->longopts[n].has_arg = o->arg ? required_argument : no_argument;
        p->longopts[n].flag = NULL;
        p->longopts[n].val = o->id;
        n++;
        if (o->id > 0 && o->id < 256 && s + 3 < sizeof(p->shortopts)) {
            p->shortopts[s++] = (char)o->id;
            if (o->arg)
                p->shortopts[s++] = ':';
        }
    }
    p->shortopts[s] = '\0';
    optind = 1;
    opterr = 0;
}

static const char *opt_name(const struct cli_parser *p, int id)
{
    for (const struct cli_option *o = p->cmd->options; o->name; o++)
        if (o->id == id)
            return o->name;
    return "?";
}

int cli_parser_next(struct cli_parser *p, int argc, char **argv)
{
    for (;;) {
        int c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
        switch (c) {
        case -1:
            return -1;
        case 'h':
            cli_print_help(p->cmd);
            p->exit_code = CLI_EXIT_OK;
            return -1;
        case 'q':
            p->common->verbosity = -1;
            continue;
        case 'v':
            if (p->common->verbosity < 0)
                p->common->verbosity = 0;
            p->common->verbosity++;
            continue;
        case 'd':
            p->common->db = optarg;
            continue;
        case ':':
            p->exit_code = cli_usage_error(
                p->cmd, "option '%s' needs an argument",
                optopt ? opt_name(p, optopt) : argv[optind - 1]);
            return -1;
        case '?':
            if (optopt)
                p->exit_code =
                    cli_usage_error(p->cmd, "unknown option '-%c'", optopt);
            else
                p->exit_code = cli_usage_error(p->cmd, "unknown option '%s'",
                                               argv[optind - 1]);
            return -1;
        default:
            return c;
        }
    }
}

void cli_print_help(const struct cli_command *cmd)
{
    printf("usage: kcensus %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage,
           cmd->summary);
    for (const struct cli_option *o = cmd->options; o->name != NULL; o++) {
        char left[64];
        if (o->id > 0 && o->id < 256)
            kc_snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id, o->name,
                        o->arg ? " " : "", o->arg ? o->arg : "");
        else
            kc_snprintf(left, sizeof(left), "    --%s%s%s", o->name,
                        o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-30s %s\n", left, o->help);
    }
}

static void vmsg(const struct cli_command *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "kcensus%s%s: ", cmd ? " " : "", cmd ? cmd->name : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_fail(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, fmt, ap);
    va_end(ap);
    return CLI_EXIT_FAILURE;
}

void cli_info(const struct cli_common *c, const char *fmt, ...)
{
    va_list ap;
    if (c->verbosity < 0)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
