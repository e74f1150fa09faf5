/*
 * cli.h - wiring shared by the subcommands: option tables (which also drive
 * --help and the man page), common flags, messages and exit codes. Only cli/
 * prints messages for errors and chooses exit statuses.
 */
#ifndef KCENSUS_CLI_H
#define KCENSUS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "common.h"

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* runtime failure */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_INTERRUPTED = 3, /* scan interrupted, resumable */
};

/* One option of a subcommand. `id` is what getopt_long returns: the short
 * letter when there is one, else a value >= 256 chosen by the command. */
struct cli_option {
    const char *name;  /* long name without dashes */
    int id;            /* short letter or >= 256 */
    const char *arg;   /* argument placeholder, NULL for a flag */
    const char *help;  /* one line */
};

/* A subcommand: its name, a one-line summary, usage line, options. */
struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* after "kcensus NAME " */
    const struct cli_option *options; /* terminated by {NULL} */
    int (*run)(const struct cli_command *cmd, int argc, char **argv);
};

/* Flags every subcommand takes. */
struct cli_common {
    const char *db; /* -d/--db, default ./census.db */
    int verbosity;  /* -q: -1, default 0, -v: 1 (repeatable) */
};

#define CLI_OPT_DB {"db", 'd', "FILE", "database file (default ./census.db)"}
#define CLI_OPT_QUIET {"quiet", 'q', NULL, "print only errors"}
#define CLI_OPT_VERBOSE {"verbose", 'v', NULL, "say more (repeatable)"}
#define CLI_OPT_HELP {"help", 'h', NULL, "show this help"}
#define CLI_OPT_END {NULL, 0, NULL, NULL}

/*
 * getopt_long over a command's option table. Handles -h (prints help, sets
 * *exit_code = 0), -q, -v and -d into `common`, and unknown options (one-line
 * error, *exit_code = 2). Returns the next option id for the command to
 * handle, or -1 when the options are done (check *exit_code >= 0 to stop).
 */
struct cli_parser {
    const struct cli_command *cmd;
    struct option longopts[64];
    char shortopts[160];
    struct cli_common *common;
    int exit_code; /* -1 while parsing goes on */
};

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd,
                     struct cli_common *common);
int cli_parser_next(struct cli_parser *p, int argc, char **argv);

/* Prints the command's help to stdout. */
void cli_print_help(const struct cli_command *cmd);

/* "kcensus CMD: message" on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "kcensus CMD: message" on stderr; returns CLI_EXIT_FAILURE. */
int cli_fail(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Informational line on stderr unless quiet. */
void cli_info(const struct cli_common *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Stores rel, the release table `kcensus report` judges versions by
 * (the built-in one, plus the rows of releases_file when not NULL, which
 * names the source), in the database's `releases` table
 * (store_releases.c). 0 or negative errno with err filled. */
struct kc_store;
struct kc_releases;
int cli_store_release_table(struct kc_store *store,
                            const struct kc_releases *rel,
                            const char *releases_file, struct kc_error *err);
/* The same with the built-in table, loaded here. */
int cli_store_releases(struct kc_store *store, struct kc_error *err);

/* The subcommand table (commands.c). */
extern const struct cli_command *const cli_commands[];
const struct cli_command *cli_find_command(const char *name);

/* kcensus(1) in roff from the option tables (man.c). */
void cli_print_man(FILE *f);
/* A bash completion script from the option tables (completion.c). */
void cli_print_bash_completion(FILE *f);

/* The subcommands (one file each: cmd_NAME.c). */
extern const struct cli_command cli_cmd_scan;
extern const struct cli_command cli_cmd_report;
extern const struct cli_command cli_cmd_targets;
extern const struct cli_command cli_cmd_scans;
extern const struct cli_command cli_cmd_merge;
extern const struct cli_command cli_cmd_import;
extern const struct cli_command cli_cmd_enrich;
extern const struct cli_command cli_cmd_reclassify;
extern const struct cli_command cli_cmd_sql;

#endif
