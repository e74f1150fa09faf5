/* man.c - kcensus(1) in roff, generated from the same option tables that
 * drive --help, so the manual cannot drift from the program. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Escapes roff specials: backslash, and a leading dot or quote. */
static void roff_text(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

static void man_option(FILE *f, const struct cli_option *o)
{
    fputs(".TP\n", f);
    if (o->id > 0 && o->id < 256)
        fprintf(f, "\\fB\\-%c\\fR, ", o->id);
    fputs("\\fB\\-\\-", f);
    roff_text(f, o->name);
    fputs("\\fR", f);
    if (o->arg) {
        fputs(" \\fI", f);
        roff_text(f, o->arg);
        fputs("\\fR", f);
    }
    fputc('\n', f);
    roff_text(f, o->help);
    fputc('\n', f);
}

void cli_print_man(FILE *f)
{
    fprintf(f, ".TH KCENSUS 1 \"\" \"kcensus %s\" \"User Commands\"\n",
            KC_VERSION_STRING);
    fputs(".SH NAME\nkcensus \\- a census of Kubernetes API servers: "
          "versions and anonymous access\n"
          ".SH SYNOPSIS\n\\fBkcensus\\fR \\fIcommand\\fR [\\fIoptions\\fR]\n"
          ".SH DESCRIPTION\n"
          "kcensus connects to candidate Kubernetes API servers over TLS, "
          "asks GET /version and a few anonymous probes on one connection, "
          "classifies how each server treats anonymous requests, and records "
          "every result in an SQLite database that the report command turns "
          "into version distributions, charts and trends.\n"
          ".PP\nThe scanner ships a default blocklist of reserved address "
          "ranges (loopback included), a conservative default rate and an "
          "identifying User\\-Agent.\n",
          f);
    for (size_t i = 0; cli_commands[i] != NULL; i++) {
        const struct cli_command *c = cli_commands[i];
        fputs(".SH \"", f);
        roff_text(f, "kcensus ");
        roff_text(f, c->name);
        fputs("\"\n\\fBkcensus ", f);
        roff_text(f, c->name);
        fputs("\\fR ", f);
        roff_text(f, c->usage);
        fputs("\n.PP\n", f);
        roff_text(f, c->summary);
        fputs(".\n", f);
        for (const struct cli_option *o = c->options; o->name; o++)
            man_option(f, o);
    }
    fputs(".SH EXIT STATUS\n0 success, 1 runtime failure, 2 usage error, "
          "3 scan interrupted (resume with \\fBkcensus scan \\-\\-resume\\fR).\n"
          ".SH ENVIRONMENT\n.TP\n\\fBKCENSUS_KEY_ENGINE=off\\fR\n"
          "The scanner decodes servers' public keys (EC, RSA, RSA\\-PSS, "
          "Ed25519) with OpenSSL's built\\-in methods through a process\\-wide "
          "engine, which saves about a quarter of a handshake's work; those "
          "key types then bypass OpenSSL's providers (FIPS included). This "
          "switches it off (the stored facts are the same either way).\n"
          ".TP\n\\fBJOB_COMPLETION_INDEX\\fR\n"
          "The shard index of an indexed Kubernetes Job, read by "
          "\\fB\\-\\-shard auto/\\fIN\\fR.\n"
          ".SH FILES\n\\fI./census.db\\fR, the default database.\n"
          ".PP\nThe bash completion is generated from the same option tables "
          "as this page (\\fBkcensus \\-\\-completion bash\\fR) and "
          "installed in \\fIshare/bash\\-completion/completions\\fR.\n"
          ".SH SEE ALSO\n\\fBsqlite3\\fR(1), \\fBzmap\\fR(8)\n",
          f);
}
