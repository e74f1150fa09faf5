/* cmd_import.c - kcensus import: a published census (git_version,count
 * buckets, e.g. Censys' aggregates) stored as a finished scan, so reports
 * and trends can put published history next to one's own scans. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "cli.h"
#include "storage.h"

enum { OPT_BUCKETS = 256, OPT_DATE, OPT_LABEL, OPT_FORCE };

#define IMPORT_MAX_BYTES (64u << 20) /* the file */
#define IMPORT_MAX_BUCKETS 10000000u
#define IMPORT_MAX_COUNT 100000000000ull /* hosts in one bucket */

static const struct cli_option options[] = {
    {"buckets", OPT_BUCKETS, "CSV", "git_version,count file to import"},
    {"date", OPT_DATE, "YYYY-MM-DD", "the census date (UTC)"},
    {"label", OPT_LABEL, "LABEL", "label of the imported scan"},
    {"force", OPT_FORCE, NULL,
     "import even if a scan of that date holds the same buckets"},
    CLI_OPT_DB, CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_END,
};

/* Parsed buckets: strings point into one owned copy of the file. */
struct import {
    char *text;
    struct kc_import_bucket *v;
    size_t n, cap;
    char (*suffix)[64];
};

static void import_free(struct import *im)
{
    free(im->text);
    free(im->v);
    free(im->suffix);
}

static int read_file(const char *path, char **out, size_t *len,
                     struct kc_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (f == NULL)
        return kc_error_set(err, -errno, "%s: %s", path, strerror(errno));
    buf = malloc(IMPORT_MAX_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    n = fread(buf, 1, IMPORT_MAX_BYTES + 1, f);
    fclose(f);
    if (n > IMPORT_MAX_BYTES) {
        free(buf);
        return kc_error_set(err, -EFBIG, "%s: larger than %u MiB", path,
                            IMPORT_MAX_BYTES >> 20);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Splits "field,count" in place; the gitVersion may be RFC 4180 quoted.
 * Returns false on a malformed line. */
static bool split_line(char *line, char **gv, char **count)
{
    char *comma;
    if (line[0] == '"') {
        char *o = line, *p = line + 1;
        for (;;) {
            if (*p == '\0')
                return false;
            if (p[0] == '"' && p[1] == '"') {
                *o++ = '"';
                p += 2;
            } else if (*p == '"') {
                p++;
                break;
            } else {
                *o++ = *p++;
            }
        }
        if (*p != ',')
            return false;
        *o = '\0';
        *gv = line;
        *count = p + 1;
        return true;
    }
    comma = strrchr(line, ',');
    if (comma == NULL || memchr(line, '"', (size_t)(comma - line)))
        return false;
    *comma = '\0';
    *gv = line;
    *count = comma + 1;
    return true;
}

static int add_bucket(struct import *im, char *gv, uint64_t count,
                      struct kc_error *err)
{
    struct kc_import_bucket *b;
    size_t n = strlen(gv);
    if (im->n == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 1024;
        struct kc_import_bucket *v;
        char(*s)[64];
        if (cap > IMPORT_MAX_BUCKETS)
            return kc_error_set(err, -E2BIG, "more than %u buckets",
                                IMPORT_MAX_BUCKETS);
        v = realloc(im->v, cap * sizeof(*v));
        if (v == NULL)
            return kc_error_set(err, -ENOMEM, "out of memory");
        im->v = v;
        s = realloc(im->suffix, cap * sizeof(*s));
        if (s == NULL)
            return kc_error_set(err, -ENOMEM, "out of memory");
        im->suffix = s;
        im->cap = cap;
    }
    b = &im->v[im->n];
    memset(b, 0, sizeof(*b));
    b->git_version = gv;
    b->major = b->minor = b->patch = -1;
    b->count = count;
    if (!kc_git_version_parse(gv, n, &b->major, &b->minor, &b->patch,
                              &b->prerelease)) {
        b->major = b->minor = b->patch = -1;
        b->prerelease = false;
    }
    im->suffix[im->n][0] = '\0';
    b->vendor = kc_vendor_classify(gv, n, im->suffix[im->n],
                                   sizeof(im->suffix[im->n]));
    im->n++;
    return 0;
}

static int parse_line(struct import *im, char *line, size_t lineno,
                      struct kc_error *err)
{
    char *gv, *count_s;
    uint64_t count;
    if (!split_line(line, &gv, &count_s))
        return kc_error_set(err, -EINVAL,
                            "line %zu: expected git_version,count", lineno);
    if (!kc_parse_u64(count_s, 0, IMPORT_MAX_COUNT, &count))
        return kc_error_set(err, -EINVAL,
                            "line %zu: count '%.40s' is not a number of "
                            "hosts",
                            lineno, count_s);
    if (*gv == '\0' || strlen(gv) > KC_MAX_FIELD)
        return kc_error_set(err, -EINVAL,
                            "line %zu: empty or over-long git_version",
                            lineno);
    return add_bucket(im, gv, count, err);
}

static int parse_buckets(struct import *im, const char *path,
                         struct kc_error *err)
{
    size_t len = 0, lineno = 0;
    char *p, *save = NULL;
    int rc = read_file(path, &im->text, &len, err);
    if (rc < 0)
        return rc;
    if (memchr(im->text, '\0', len) != NULL)
        return kc_error_set(err, -EINVAL, "%s: NUL byte in the file", path);
    for (p = strtok_r(im->text, "\n", &save); p != NULL;
         p = strtok_r(NULL, "\n", &save)) {
        size_t l = strlen(p);
        lineno++;
        if (l > 0 && p[l - 1] == '\r')
            p[--l] = '\0';
        if (lineno == 1) {
            if (strcmp(p, "git_version,count") != 0)
                return kc_error_set(err, -EINVAL,
                                    "%s: header must be 'git_version,count'",
                                    path);
            continue;
        }
        if (l == 0)
            continue;
        rc = parse_line(im, p, lineno, err);
        if (rc < 0) {
            char msg[sizeof(err->msg)];
            kc_strlcpy(msg, err->msg, sizeof(msg));
            return kc_error_set(err, rc, "%s: %s", path, msg);
        }
    }
    if (im->n == 0)
        return kc_error_set(err, -EINVAL, "%s: no buckets", path);
    return 0;
}

static int cmp_bucket(const void *a, const void *b)
{
    const struct kc_import_bucket *x = a, *y = b;
    return strcmp(x->git_version, y->git_version);
}

/* The same gitVersion twice (a hand-edited file, two exports joined) is
 * one bucket: counts add up, the unique key holds. */
static void merge_duplicates(struct import *im)
{
    size_t o = 0;
    /* suffix[] may have moved while growing: point at it only now. */
    for (size_t i = 0; i < im->n; i++)
        im->v[i].vendor_suffix = im->suffix[i][0] ? im->suffix[i] : NULL;
    if (im->n < 2)
        return;
    qsort(im->v, im->n, sizeof(*im->v), cmp_bucket);
    for (size_t i = 1; i < im->n; i++) {
        if (strcmp(im->v[o].git_version, im->v[i].git_version) == 0)
            im->v[o].count += im->v[i].count;
        else
            im->v[++o] = im->v[i];
    }
    im->n = o + 1;
}

static int run_import(const struct cli_command *cmd,
                      const struct cli_common *common,
                      const struct kc_import_params *ip)
{
    struct import im = {0};
    struct kc_store *store = NULL;
    struct kc_error err;
    int64_t scan_id = 0;
    uint64_t hosts = 0;
    int rc;

    kc_error_clear(&err);
    rc = parse_buckets(&im, ip->source, &err);
    if (rc == 0) {
        merge_duplicates(&im);
        for (size_t i = 0; i < im.n; i++) {
            hosts += im.v[i].count;
        }
        rc = kc_store_open(common->db, KC_STORE_CREATE, &store, &err);
    }
    if (rc == 0)
        rc = kc_store_import_buckets(store, im.v, im.n, ip, &scan_id, &err);
    if (rc == 0)
        rc = cli_store_releases(store, &err);
    kc_store_close(store);
    import_free(&im);
    if (rc < 0)
        return cli_fail(cmd, "%s", err.msg);
    cli_info(common, "imported %llu hosts in buckets as scan %lld (%s)",
             (unsigned long long)hosts, (long long)scan_id, ip->date);
    return CLI_EXIT_OK;
}

static int import_main(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_common common = {0};
    struct cli_parser p;
    const char *buckets = NULL;
    struct kc_import_params ip = {.classifier_version = KC_CLASSIFIER_VERSION};
    int c;

    cli_parser_init(&p, cmd, &common);
    while ((c = cli_parser_next(&p, argc, argv)) != -1) {
        switch (c) {
        case OPT_BUCKETS:
            buckets = optarg;
            break;
        case OPT_DATE:
            ip.date = optarg;
            break;
        case OPT_LABEL:
            ip.label = optarg;
            break;
        case OPT_FORCE:
            ip.force = true;
            break;
        default:
            return cli_usage_error(cmd, "unhandled option");
        }
    }
    if (p.exit_code >= 0)
        return p.exit_code;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (buckets == NULL || ip.date == NULL)
        return cli_usage_error(cmd, "--buckets CSV and --date YYYY-MM-DD "
                                    "are required");
    if (!kc_parse_date(ip.date, strlen(ip.date)))
        return cli_usage_error(cmd, "--date '%s' is not a YYYY-MM-DD date",
                               ip.date);
    ip.source = buckets;
    return run_import(cmd, &common, &ip);
}

const struct cli_command cli_cmd_import = {
    .name = "import",
    .summary = "load a published census (git_version,count buckets) as a scan",
    .usage = "[options] --buckets CSV --date YYYY-MM-DD [--label LABEL] "
             "[--force]",
    .options = options,
    .run = import_main,
};
