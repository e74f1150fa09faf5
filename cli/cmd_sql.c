/* cmd_sql.c - kcensus sql 'SELECT ...': one query, a table, CSV or JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "storage.h"

enum { OPT_CSV = 256, OPT_WRITE, OPT_FORMAT, OPT_WIDE };

static const struct cli_option options[] = {
    CLI_OPT_DB,
    {"format", OPT_FORMAT, "FMT",
     "table|csv|json (default table; csv is RFC 4180, json an array of "
     "objects, both with full values)"},
    {"csv", OPT_CSV, NULL, "the same as --format csv"},
    {"wide", OPT_WIDE, NULL,
     "table cells whole (else cut at 60 characters, marked with ~)"},
    {"write", OPT_WRITE, NULL, "allow statements that modify the database"},
    CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

#define TABLE_SAMPLE 200 /* rows buffered to size the columns */
#define CELL_MAX 60      /* widest table cell, longer values are cut */
/* --wide: still a ceiling, far above any stored field (KC_MAX_FIELD). */
#define CELL_WIDE_MAX 65536
#define CUT_MARK '~' /* ends a cut cell: ASCII, so every terminal shows it */

struct cell {
    char *text; /* escaped for the terminal, NUL-terminated */
    size_t width;
};

struct sql_out {
    enum kc_report_format format;
    size_t cell_max; /* CELL_MAX, or CELL_WIDE_MAX with --wide */
    int ncols;
    size_t rows;
    size_t cut;      /* table cells shortened */
    struct cell *buf; /* (TABLE_SAMPLE + 1) x ncols, header first */
    size_t buffered;
    size_t *widths;
    char **names;    /* column names, for JSON keys */
    bool flushed;
};

/*
 * Peer bytes may hold terminal escapes: the table shows them escaped. A
 * value wider than max is cut and ends with CUT_MARK, so a cut value never
 * passes for a whole one. Returns -ENOMEM.
 */
static int cell_set(struct cell *c, const char *v, size_t n, size_t max,
                    bool *cut)
{
    size_t o = 0, w = 0, i;
    *cut = false;
    free(c->text);
    /* Worst case four bytes shown per input byte, plus the mark. */
    c->text = malloc((n < max ? n : max) * 4 + 8);
    if (c->text == NULL)
        return -ENOMEM;
    if (v == NULL) {
        memcpy(c->text, "NULL", 5);
        c->width = 4;
        return 0;
    }
    for (i = 0; i < n && w < max; i++) {
        unsigned char b = (unsigned char)v[i];
        if (b < 0x20 || b == 0x7f) {
            o += kc_snprintf(c->text + o, 8, "\\x%02x", b);
            w += 4;
        } else {
            c->text[o++] = (char)b;
            if ((b & 0xc0) != 0x80) /* count UTF-8 lead bytes only */
                w++;
        }
    }
    while (i < n && ((unsigned char)v[i] & 0xc0) == 0x80) /* finish a char */
        c->text[o++] = v[i++];
    *cut = i < n;
    if (*cut) {
        c->text[o++] = CUT_MARK;
        w++;
    }
    c->text[o] = '\0';
    c->width = w;
    return 0;
}

static void csv_field(const char *v, size_t n)
{
    if (v == NULL)
        return;
    if (strcspn(v, ",\"\r\n") >= n) {
        fwrite(v, 1, n, stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"')
            putchar('"');
        putchar(v[i]);
    }
    putchar('"');
}

static void print_cells(struct sql_out *o, const struct cell *row)
{
    for (int i = 0; i < o->ncols; i++) {
        size_t pad = o->widths[i] > row[i].width ? o->widths[i] - row[i].width
                                                 : 0;
        printf("%s%s%*s", i ? "  " : "", row[i].text,
               i + 1 < o->ncols ? (int)pad : 0, "");
    }
    putchar('\n');
}

static void flush_table(struct sql_out *o)
{
    if (o->flushed || o->buf == NULL)
        return;
    for (size_t r = 0; r < o->buffered; r++)
        for (int i = 0; i < o->ncols; i++)
            if (o->buf[r * o->ncols + i].width > o->widths[i])
                o->widths[i] = o->buf[r * o->ncols + i].width;
    for (size_t r = 0; r < o->buffered; r++) {
        print_cells(o, &o->buf[r * o->ncols]);
        if (r == 0) {
            for (int i = 0; i < o->ncols; i++) {
                printf("%s", i ? "  " : "");
                for (size_t k = 0; k < o->widths[i]; k++)
                    putchar('-');
            }
            putchar('\n');
        }
    }
    o->flushed = true;
}

/* Integers in SQLite's own spelling become JSON numbers; every other value
 * stays the exact text it is ("1.10" is not 1.1), NULL is null. */
static bool json_integer_text(const char *v, size_t n)
{
    size_t i = v[0] == '-';
    if (n == i || n - i > 18 || (v[i] == '0' && n > i + 1))
        return false;
    for (; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

static void json_row(struct sql_out *o, size_t row, const char *const *vals,
                     const size_t *lens)
{
    fputs(row == 1 ? "[\n {" : ",\n {", stdout);
    for (int i = 0; i < o->ncols; i++) {
        fputs(i ? ", " : "", stdout);
        kc_json_write_string(stdout, o->names[i], strlen(o->names[i]));
        fputs(": ", stdout);
        if (vals[i] == NULL)
            fputs("null", stdout);
        else if (json_integer_text(vals[i], lens[i]))
            fwrite(vals[i], 1, lens[i], stdout);
        else
            kc_json_write_string(stdout, vals[i], lens[i]);
    }
    putchar('}');
}

static int start_output(struct sql_out *o, int ncols,
                        const char *const *names)
{
    o->ncols = ncols;
    switch (o->format) {
    case KC_FORMAT_TABLE:
        o->buf = calloc((TABLE_SAMPLE + 1) * (size_t)ncols, sizeof(*o->buf));
        o->widths = calloc((size_t)ncols, sizeof(*o->widths));
        return o->buf == NULL || o->widths == NULL ? -ENOMEM : 0;
    case KC_FORMAT_JSON:
        o->names = calloc((size_t)ncols, sizeof(*o->names));
        for (int i = 0; o->names != NULL && i < ncols; i++)
            if ((o->names[i] = strdup(names[i])) == NULL)
                return -ENOMEM;
        return o->names == NULL ? -ENOMEM : 0;
    case KC_FORMAT_CSV:
    case KC_FORMAT__COUNT:
        return 0;
    }
    return 0;
}

/* One row into the table: the first rows are buffered to size columns. */
static int table_row(struct sql_out *o, const char *const *vals,
                     const size_t *lens)
{
    struct cell *row = o->buf; /* past the sample: reuse the first row */
    bool cut = false;
    if (o->buffered <= TABLE_SAMPLE)
        row = &o->buf[o->buffered++ * (size_t)o->ncols];
    else
        flush_table(o);
    for (int i = 0; i < o->ncols; i++) {
        if (cell_set(&row[i], vals[i], lens[i], o->cell_max, &cut) < 0)
            return -ENOMEM;
        o->cut += cut && o->rows > 0;
    }
    if (o->flushed)
        print_cells(o, row);
    return 0;
}

static int on_row(void *ctx, size_t row, int ncols, const char *const *vals,
                  const size_t *lens)
{
    struct sql_out *o = ctx;
    int rc;
    if (row == 0 && (rc = start_output(o, ncols, vals)) < 0)
        return rc;
    o->rows = row;
    switch (o->format) {
    case KC_FORMAT_TABLE:
        return table_row(o, vals, lens);
    case KC_FORMAT_CSV:
        for (int i = 0; i < ncols; i++) {
            if (i)
                putchar(',');
            csv_field(vals[i], lens[i]);
        }
        fputs("\r\n", stdout);
        return 0;
    case KC_FORMAT_JSON:
        if (row > 0)
            json_row(o, row, vals, lens);
        return 0;
    case KC_FORMAT__COUNT:
        return 0;
    }
    return 0;
}

/* After the last row: the buffered table, or the JSON array's end. */
static void finish_output(struct sql_out *o)
{
    switch (o->format) {
    case KC_FORMAT_TABLE:
        flush_table(o);
        return;
    case KC_FORMAT_JSON:
        fputs(o->rows > 0 ? "\n]\n" : "[]\n", stdout);
        return;
    case KC_FORMAT_CSV:
    case KC_FORMAT__COUNT:
        return;
    }
}

static void free_output(struct sql_out *o)
{
    for (size_t r = 0; o->buf != NULL && r < o->buffered; r++)
        for (int i = 0; i < o->ncols; i++)
            free(o->buf[r * (size_t)o->ncols + i].text);
    for (int i = 0; o->names != NULL && i < o->ncols; i++)
        free(o->names[i]);
    free(o->buf);
    free(o->widths);
    free(o->names);
}

/* Returns -1 to go on, or an exit code. */
static int parse_options(const struct cli_command *cmd, int argc, char **argv,
                         struct cli_common *common, struct sql_out *out,
                         bool *write)
{
    struct cli_parser p;
    int c;
    cli_parser_init(&p, cmd, common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        if (c == OPT_CSV)
            out->format = KC_FORMAT_CSV;
        else if (c == OPT_FORMAT && !kc_report_format_parse(optarg, &out->format))
            return cli_usage_error(cmd, "--format '%s': table, csv or json",
                                   optarg);
        else if (c == OPT_WIDE)
            out->cell_max = CELL_WIDE_MAX;
        else if (c == OPT_WRITE)
            *write = true;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (argc - optind != 1)
        return cli_usage_error(cmd, "needs exactly one QUERY argument");
    return -1;
}

static int run(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct sql_out out = {.format = KC_FORMAT_TABLE, .cell_max = CELL_MAX};
    struct kc_store *s;
    struct kc_error err = {0};
    bool write = false;
    int rc = parse_options(cmd, argc, argv, &common, &out, &write);
    if (rc >= 0)
        return rc;
    /* Read-write when possible, so an older database is upgraded;
     * a read-only file is still readable. */
    rc = kc_store_open(common.db, 0, &s, &err);
    if (rc == -EROFS || rc == -EACCES)
        rc = kc_store_open(common.db, KC_STORE_READONLY, &s, &err);
    if (rc != 0)
        return cli_fail(cmd, "%s", err.msg);
    rc = kc_store_query(s, argv[optind], write, on_row, &out, &err);
    kc_store_close(s);
    if (rc == 0)
        finish_output(&out);
    free_output(&out);
    if (rc != 0)
        return rc == -ENOMEM && err.msg[0] == '\0'
                   ? cli_fail(cmd, "out of memory")
                   : cli_fail(cmd, "%s", err.msg);
    if (out.format != KC_FORMAT_TABLE)
        return CLI_EXIT_OK;
    cli_info(&common, "(%zu row%s)", out.rows, out.rows == 1 ? "" : "s");
    if (out.cut > 0)
        cli_info(&common,
                 "(%zu cell%s cut at %d characters, marked %c: --wide shows "
                 "them whole, --format csv or json gives full values)",
                 out.cut, out.cut == 1 ? "" : "s", CELL_MAX, CUT_MARK);
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_sql = {
    .name = "sql",
    .summary = "run an SQL query against the database",
    .usage = "[options] QUERY",
    .options = options,
    .run = run,
};
