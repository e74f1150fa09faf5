/* completion.c - bash completion for kcensus, generated from the same
 * option tables that drive --help and the man page, so a new option is
 * completed as soon as it exists. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* True when an option's argument names a path: complete file names. */
static bool arg_is_path(const char *arg)
{
    return strstr(arg, "FILE") != NULL || strstr(arg, "DIR") != NULL;
}

/*
 * The choices of an option whose help starts with "a|b|c" (the tables'
 * convention for a closed set of values), as "a b c" into out. False when
 * the help names no such set.
 */
static bool help_choices(const char *help, char *out, size_t size)
{
    size_t n = strcspn(help, " ,(:;"), o = 0;
    if (memchr(help, '|', n) == NULL || n + 1 > size)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = help[i];
        if (c == '|')
            c = ' ';
        else if (!islower((unsigned char)c) && !isdigit((unsigned char)c) &&
                 c != '-' && c != '_')
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static void print_names(FILE *f, const struct cli_option *o)
{
    if (o->id > 0 && o->id < 256)
        fprintf(f, "-%c|", o->id);
    fprintf(f, "--%s", o->name);
}

/* The `case "$prev"` arms: what follows an option that takes a value. */
static void print_value_cases(FILE *f, const struct cli_command *c)
{
    char choices[256];
    for (const struct cli_option *o = c->options; o->name; o++) {
        if (o->arg == NULL)
            continue;
        fputs("        ", f);
        print_names(f, o);
        if (help_choices(o->help, choices, sizeof(choices)))
            fprintf(f, ") _kcensus_words '%s'; return ;;\n", choices);
        else if (arg_is_path(o->arg))
            fputs(") _kcensus_files; return ;;\n", f);
        else
            fputs(") return ;;\n", f); /* a number, a label: no guess */
    }
}

static void print_command(FILE *f, const struct cli_command *c)
{
    fprintf(f, "    %s)\n        case \"$prev\" in\n", c->name);
    print_value_cases(f, c);
    fputs("        esac\n        opts='", f);
    for (const struct cli_option *o = c->options; o->name; o++) {
        if (o->id > 0 && o->id < 256)
            fprintf(f, "-%c ", o->id);
        fprintf(f, "--%s%s", o->name, o[1].name ? " " : "");
    }
    fputs("' ;;\n", f);
}

void cli_print_bash_completion(FILE *f)
{
    fprintf(f, "# bash completion for kcensus %s, generated from its option "
               "tables\n# (kcensus --completion bash).\n",
            KC_VERSION_STRING);
    fputs("_kcensus_words() { COMPREPLY=($(compgen -W \"$1\" -- \"$cur\")); }\n"
          "_kcensus_files() { COMPREPLY=($(compgen -f -- \"$cur\")); }\n"
          "_kcensus() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    local prev=${COMP_WORDS[COMP_CWORD-1]} opts\n"
          "    COMPREPLY=()\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        _kcensus_words '",
          f);
    for (size_t i = 0; cli_commands[i] != NULL; i++)
        fprintf(f, "%s ", cli_commands[i]->name);
    fputs("--help --version --man'\n        return\n    fi\n"
          "    case \"${COMP_WORDS[1]}\" in\n",
          f);
    for (size_t i = 0; cli_commands[i] != NULL; i++)
        print_command(f, cli_commands[i]);
    fputs("    *) return ;;\n    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        _kcensus_words \"$opts\"\n"
          "    else\n"
          "        _kcensus_files\n"
          "    fi\n"
          "}\n"
          "complete -F _kcensus kcensus\n",
          f);
}
