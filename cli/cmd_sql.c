/* cmd_sql.c - kcensus sql 'SELECT ...': one query, a table or CSV. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "storage.h"

enum { OPT_CSV = 256, OPT_WRITE };

static const struct cli_option options[] = {
    CLI_OPT_DB,
    {"csv", OPT_CSV, NULL, "print CSV (RFC 4180) instead of a table"},
    {"write", OPT_WRITE, NULL, "allow statements that modify the database"},
    CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

#define TABLE_SAMPLE 200 /* rows buffered to size the columns */
#define CELL_MAX 60      /* widest table cell, longer values are cut */

struct cell {
    char text[CELL_MAX * 4 + 8];
    size_t width;
};

struct sql_out {
    bool csv;
    int ncols;
    size_t rows;
    struct cell *buf; /* (TABLE_SAMPLE + 1) x ncols, header first */
    size_t buffered;
    size_t *widths;
    bool flushed;
};

/* Peer bytes may hold terminal escapes: the table shows them escaped. */
static void cell_set(struct cell *c, const char *v, size_t n)
{
    size_t o = 0, w = 0;
    if (v == NULL) {
        kc_strlcpy(c->text, "NULL", sizeof(c->text));
        c->width = 4;
        return;
    }
    for (size_t i = 0; i < n && w < CELL_MAX; i++) {
        unsigned char b = (unsigned char)v[i];
        if (b < 0x20 || b == 0x7f) {
            o += kc_snprintf(c->text + o, sizeof(c->text) - o, "\\x%02x", b);
            w += 4;
        } else {
            c->text[o++] = (char)b;
            if ((b & 0xc0) != 0x80) /* count UTF-8 lead bytes only */
                w++;
        }
    }
    c->text[o] = '\0';
    c->width = w;
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

static int on_row(void *ctx, size_t row, int ncols, const char *const *vals,
                  const size_t *lens)
{
    struct sql_out *o = ctx;
    if (row == 0) {
        o->ncols = ncols;
        if (!o->csv) {
            o->buf = calloc((TABLE_SAMPLE + 1) * (size_t)ncols,
                            sizeof(*o->buf));
            o->widths = calloc((size_t)ncols, sizeof(*o->widths));
            if (o->buf == NULL || o->widths == NULL)
                return -12; /* -ENOMEM */
        }
    }
    o->rows = row;
    if (o->csv) {
        for (int i = 0; i < ncols; i++) {
            if (i)
                putchar(',');
            csv_field(vals[i], lens[i]);
        }
        fputs("\r\n", stdout);
        return 0;
    }
    if (o->buffered <= TABLE_SAMPLE) {
        for (int i = 0; i < ncols; i++)
            cell_set(&o->buf[o->buffered * (size_t)ncols + i], vals[i],
                     lens[i]);
        o->buffered++;
        return 0;
    }
    flush_table(o);
    struct cell *tmp = o->buf; /* reuse the first row's cells */
    for (int i = 0; i < ncols; i++)
        cell_set(&tmp[i], vals[i], lens[i]);
    print_cells(o, tmp);
    return 0;
}

static int run(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct cli_parser p;
    struct sql_out out = {0};
    struct kc_store *s;
    struct kc_error err = {0};
    bool write = false;
    int c, rc;
    cli_parser_init(&p, cmd, &common);
    while ((c = cli_parser_next(&p, argc, argv)) >= 0) {
        if (c == OPT_CSV)
            out.csv = true;
        else if (c == OPT_WRITE)
            write = true;
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (argc - optind != 1)
        return cli_usage_error(cmd, "needs exactly one QUERY argument");
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
        flush_table(&out);
    free(out.buf);
    free(out.widths);
    if (rc != 0)
        return rc == -12 && err.msg[0] == '\0'
                   ? cli_fail(cmd, "out of memory")
                   : cli_fail(cmd, "%s", err.msg);
    if (!out.csv)
        cli_info(&common, "(%zu row%s)", out.rows, out.rows == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_sql = {
    .name = "sql",
    .summary = "run an SQL query against the database",
    .usage = "[options] QUERY",
    .options = options,
    .run = run,
};
