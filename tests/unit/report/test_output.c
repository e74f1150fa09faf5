/* test_output.c - report/output.c and html.c: exact CSV, safe table,
 * valid JSON, escaped HTML, trend and diff. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "hostile.h"

struct mem {
    char *buf;
    size_t len;
    FILE *f;
};

static void mem_open(struct mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
}

static void mem_close(struct mem *m)
{
    fclose(m->f);
}

static void test_csv_exact(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    struct mem m;
    (void)state;
    mem_open(&m);
    assert_int_equal(kc_report_write_csv(m.f, r, KC_AGG_MINOR), 0);
    mem_close(&m);
    /* Over the 90 that showed a version; largest remainder gives the
     * three millionths left after the floors to 1.25 (0.66), 1.9 and
     * 1.10 (0.55 each, earlier than 1.38). */
    assert_string_equal(m.buf, "version,major,minor,hosts,share,upstream_eol"
                               "\r\n"
                               "0.6,0,6,10,0.111111,no_version\r\n"
                               "1.9,1,9,5,0.055556,past_eol\r\n"
                               "1.10,1,10,5,0.055556,past_eol\r\n"
                               "1.25,1,25,15,0.166667,past_eol\r\n"
                               "1.26,1,26,30,0.333333,supported\r\n"
                               "1.27,1,27,20,0.222222,supported\r\n"
                               "1.38,1,38,5,0.055555,newer_than_table\r\n"
                               "no_version,,,10,,no_version\r\n");
    free(m.buf);
    mem_open(&m);
    assert_int_equal(kc_report_write_csv(m.f, r, KC_AGG_EOL), 0);
    mem_close(&m);
    assert_string_equal(m.buf, "upstream_eol,hosts,share\r\n"
                               "past_eol,25,0.312500\r\n"
                               "supported,50,0.625000\r\n"
                               "newer_than_table,5,0.062500\r\n"
                               "no_version,20,\r\n");
    free(m.buf);
    mem_open(&m);
    assert_int_equal(kc_report_write_csv(m.f, r, KC_AGG_MINOR_VENDOR), 0);
    mem_close(&m);
    assert_non_null(strstr(m.buf, "version,vendor,major,minor,hosts,share,"
                                  "upstream_eol\r\n"));
    assert_non_null(strstr(m.buf, "1.26,gke,1,26,30,0.333333,supported\r\n"));
    assert_non_null(
        strstr(m.buf, "no_version,not_recorded,,,10,,no_version\r\n"));
    free(m.buf);
    mem_open(&m);
    assert_int_equal(kc_report_write_csv(m.f, r, KC_AGG_ASN), 0);
    mem_close(&m);
    assert_non_null(strstr(m.buf, "asn,hosts,share,as_org\r\n"
                                  "15169,30,0.300000,GOOGLE\r\n"));
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

/* A report whose every string is hostile. */
static struct kc_report *hostile_report(const struct kc_releases *rel)
{
    struct kc_report_row rows[KC_ARRAY_LEN(hostile_strings)];
    for (size_t i = 0; i < KC_ARRAY_LEN(hostile_strings); i++) {
        const char *h = hostile_strings[i];
        rows[i] = (struct kc_report_row){h, 1, (int)(20 + i), h, h, 443, h,
                                         (uint32_t)(64500 + i), h, i + 1};
    }
    return fixture_report_rows(rel, 9, hostile_strings[9], "2024-02-05",
                               rows, KC_ARRAY_LEN(rows));
}

static void test_table_terminal_safe(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = hostile_report(rel);
    enum kc_agg all[KC_AGG__COUNT];
    struct mem m;
    (void)state;
    for (size_t i = 0; i < KC_AGG__COUNT; i++)
        all[i] = (enum kc_agg)i;
    mem_open(&m);
    assert_int_equal(kc_report_write_table(m.f, r, all, KC_AGG__COUNT), 0);
    mem_close(&m);
    for (size_t i = 0; i < m.len; i++) {
        unsigned char c = (unsigned char)m.buf[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            fail_msg("raw control byte 0x%02x at %zu", c, i);
        if (c == 0xc2 && (unsigned char)m.buf[i + 1] >= 0x80 &&
            (unsigned char)m.buf[i + 1] <= 0x9f)
            fail_msg("raw C1 control at %zu", i);
        if (c == 0xff || c == 0xfe)
            fail_msg("invalid UTF-8 byte at %zu", i);
    }
    assert_non_null(strstr(m.buf, "\\x1b[31mred"));
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

/* The fixture's table: aligned columns and a bar scaled to the max. */
static void test_table_layout(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    enum kc_agg a = KC_AGG_MINOR;
    struct mem m;
    (void)state;
    mem_open(&m);
    assert_int_equal(kc_report_write_table(m.f, r, &a, 1), 0);
    mem_close(&m);
    assert_non_null(strstr(m.buf, "past upstream end of life: 25 of 80 "
                                  "showing a 1.x version (31.2%)"));
    assert_non_null(strstr(m.buf, "showed a version: 90 (the denominator of "
                                  "version shares); no version: 10 (10.0% "
                                  "of Kubernetes endpoints)"));
    assert_non_null(strstr(m.buf, "\n1.26                  30   33.33%  "
                                  "supported         "
                                  "##############################\n"));
    assert_non_null(strstr(m.buf, "\nno_version            10           "
                                  "no_version        ##########\n"));
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

static void test_json_round_trip(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = hostile_report(rel);
    enum kc_agg all[KC_AGG__COUNT];
    json_error_t jerr;
    json_t *root, *vendor;
    struct mem m;
    size_t found = 0;
    (void)state;
    for (size_t i = 0; i < KC_AGG__COUNT; i++)
        all[i] = (enum kc_agg)i;
    mem_open(&m);
    assert_int_equal(kc_report_write_json(m.f, r, all, KC_AGG__COUNT), 0);
    mem_close(&m);
    root = json_loads(m.buf, 0, &jerr);
    if (root == NULL)
        fail_msg("invalid JSON: %s at %d", jerr.text, jerr.position);
    assert_int_equal(json_integer_value(json_object_get(root, "scan_id")), 9);
    vendor = json_object_get(json_object_get(root, "aggregations"), "vendor");
    assert_int_equal(json_array_size(vendor), KC_ARRAY_LEN(hostile_strings));
    /* Valid UTF-8 strings come back byte for byte. */
    for (size_t i = 0; i < json_array_size(vendor); i++) {
        const char *v = json_string_value(
            json_object_get(json_array_get(vendor, i), "vendor"));
        for (size_t h = 0; h < KC_ARRAY_LEN(hostile_strings); h++)
            if (v && strcmp(v, hostile_strings[h]) == 0)
                found++;
    }
    assert_int_equal(found, KC_ARRAY_LEN(hostile_strings) - 1); /* not \xff */
    json_decref(root);
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

static void test_html_escaped(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = hostile_report(rel);
    struct kc_error err;
    struct mem m;
    (void)state;
    mem_open(&m);
    assert_int_equal(kc_report_write_html(m.f, r, NULL, &err), 0);
    mem_close(&m);
    assert_non_null(strstr(m.buf, "<!DOCTYPE html>"));
    assert_null(strstr(m.buf, "<script"));
    assert_null(strstr(m.buf, "]]>"));
    assert_null(strstr(m.buf, "\x1b"));
    assert_non_null(strstr(m.buf, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(m.buf, "data:image/svg+xml;base64,"));
    assert_int_equal(m.len, strlen(m.buf)); /* no NUL bytes */
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

/* gitVersions that differ only after a NUL byte (a stored BLOB) stay two
 * keys: CSV and JSON carry the exact bytes, the table and HTML show the NUL
 * as a visible \x00 and carry no raw control byte. */
static const char nul_gv[] = "v1.29.3\0\x1b[2Jevil";
#define NUL_GV_LEN (sizeof(nul_gv) - 1)

static struct kc_report *nul_report(const struct kc_releases *rel)
{
    const struct kc_report_row rows[] = {
        {.git_version = "v1.29.3", .major = 1, .minor = 29, .weight = 3},
        {.git_version = nul_gv, .major = 1, .minor = 29, .weight = 2,
         .git_version_len = NUL_GV_LEN},
    };
    return fixture_report_rows(rel, 9, "nul", "2024-02-05T10:00:00Z", rows,
                               KC_ARRAY_LEN(rows));
}

enum nul_writer { NUL_CSV, NUL_JSON, NUL_TABLE, NUL_HTML };
#define BYTES(lit) lit, sizeof(lit) - 1

static const struct {
    enum nul_writer w;
    const char *want; /* bytes the output must hold */
    size_t want_len;
    bool raw_nul_allowed;
} nul_cases[] = {
    {NUL_CSV, BYTES("v1.29.3\0\x1b[2Jevil,2,0.400000,supported\r\n"), true},
    {NUL_CSV, BYTES("\r\nv1.29.3,3,0.600000,supported\r\n"), true},
    {NUL_JSON, BYTES("\"v1.29.3\\u0000\\u001b[2Jevil\""), false},
    {NUL_TABLE, BYTES("v1.29.3\\x00\\x1b[2Jevil"), false},
    {NUL_HTML, BYTES("v1.29.3\\x00\\x1b[2Jevil"), false},
};
#undef BYTES

static void write_nul(FILE *f, const struct kc_report *r, enum nul_writer w)
{
    enum kc_agg a = KC_AGG_GIT_VERSION;
    struct kc_error err;
    switch (w) {
    case NUL_CSV: assert_int_equal(kc_report_write_csv(f, r, a), 0); break;
    case NUL_JSON:
        assert_int_equal(kc_report_write_json(f, r, &a, 1), 0);
        break;
    case NUL_TABLE:
        assert_int_equal(kc_report_write_table(f, r, &a, 1), 0);
        break;
    case NUL_HTML:
        assert_int_equal(kc_report_write_html(f, r, NULL, &err), 0);
        break;
    }
}

static void test_nul_keys(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = nul_report(rel);
    size_t n;
    const struct kc_agg_entry *v =
        kc_report_entries(r, KC_AGG_GIT_VERSION, &n);
    (void)state;
    assert_int_equal(n, 2);
    assert_int_equal(v[0].key_len, 7);
    assert_int_equal(v[0].hosts, 3);
    assert_int_equal(v[1].key_len, NUL_GV_LEN);
    assert_memory_equal(v[1].key, nul_gv, NUL_GV_LEN);
    assert_int_equal(v[1].hosts, 2);
    for (size_t i = 0; i < KC_ARRAY_LEN(nul_cases); i++) {
        struct mem m;
        mem_open(&m);
        write_nul(m.f, r, nul_cases[i].w);
        mem_close(&m);
        if (memmem(m.buf, m.len, nul_cases[i].want, nul_cases[i].want_len) ==
            NULL)
            fail_msg("case %zu: output lacks the key:\n%s", i, m.buf);
        if (!nul_cases[i].raw_nul_allowed) {
            assert_int_equal(m.len, strlen(m.buf)); /* no raw NUL */
            assert_null(strchr(m.buf, '\x1b'));
        }
        free(m.buf);
    }
    kc_report_free(r);
    kc_releases_free(rel);
}

/* JSON keeps the NUL: the parsed string has all 19 bytes. */
static void test_nul_json_round_trip(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = nul_report(rel);
    enum kc_agg a = KC_AGG_GIT_VERSION;
    json_error_t jerr;
    struct mem m;
    (void)state;
    mem_open(&m);
    assert_int_equal(kc_report_write_json(m.f, r, &a, 1), 0);
    mem_close(&m);
    json_t *doc = json_loads(m.buf, JSON_ALLOW_NUL, &jerr);
    assert_non_null(doc);
    json_t *rows = json_object_get(
        json_object_get(doc, "aggregations"), "git_version");
    assert_int_equal(json_array_size(rows), 2);
    json_t *k = json_object_get(json_array_get(rows, 1), "git_version");
    assert_int_equal(json_string_length(k), NUL_GV_LEN);
    assert_memory_equal(json_string_value(k), nul_gv, NUL_GV_LEN);
    json_decref(doc);
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

static void test_trend_csv(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_trend *t = kc_trend_new();
    struct kc_report_row a = {"v1.25.1", 1, 25, "upstream", "open", 443,
                              NULL, 0, NULL, 3};
    struct kc_report_row b = {"v1.26.1", 1, 26, "upstream", "limited", 443,
                              NULL, 0, NULL, 1};
    struct mem m;
    (void)state;
    /* Added newest first: the trend orders by date. */
    assert_int_equal(
        kc_trend_add(t, fixture_report_rows(rel, 2, "=later", "2024-03-01",
                                            &b, 1)), 0);
    assert_int_equal(
        kc_trend_add(t, fixture_report_rows(rel, 1, NULL, "2023-01-01", &a,
                                            1)), 0);
    mem_open(&m);
    assert_int_equal(kc_trend_write_csv(m.f, t), 0);
    mem_close(&m);
    assert_string_equal(m.buf,
                        "date,scan_id,label,series,key,hosts,share\r\n"
                        "2023-01-01,1,,minor,1.25,3,1.000000\r\n"
                        "2023-01-01,1,,upstream_eol,supported,3,1.000000\r\n"
                        "2023-01-01,1,,posture,open,3,1.000000\r\n"
                        "2023-01-01,1,,version_shown,versioned,3,1.000000\r\n"
                        "2023-01-01,1,,version_shown,no_version,0,0.000000"
                        "\r\n"
                        "2024-03-01,2,'=later,minor,1.26,1,1.000000\r\n"
                        "2024-03-01,2,'=later,upstream_eol,past_eol,1,"
                        "1.000000\r\n"
                        "2024-03-01,2,'=later,posture,limited,1,1.000000\r\n"
                        "2024-03-01,2,'=later,version_shown,versioned,1,"
                        "1.000000\r\n"
                        "2024-03-01,2,'=later,version_shown,no_version,0,"
                        "0.000000\r\n");
    free(m.buf);
    kc_trend_free(t);
    kc_releases_free(rel);
}

#define ROW(k, ep, o, n)                                                    \
    {.kind = k, .endpoint = ep, .old_value = o, .new_value = n,            \
     .old_len = sizeof(o) - 1, .new_len = sizeof(n) - 1}

static void test_diff_formats(void **state)
{
    /* Rows as cmd_report builds them: values with their lengths, gitVersion
     * bytes may hold NUL (two builds differing only after one). */
    const struct kc_diff_row rows[] = {
        {.kind = KC_DIFF_APPEARED, .endpoint = "10.0.0.1:443",
         .new_value = "v1.28.1", .new_len = 7},
        ROW(KC_DIFF_VERSION, "10.0.0.2:6443", "v1.27.1", "v1.28.\x1b[2J"),
        ROW(KC_DIFF_POSTURE, "10.0.0.3:443", "open", "rbac_denied"),
        ROW(KC_DIFF_VERSION, "10.0.0.4:443", "v1.29.0\0a", "v1.29.0\0b"),
    };
    static const char csv[] = "change,endpoint,old,new\r\n"
                              "appeared,10.0.0.1:443,,v1.28.1\r\n"
                              "changed_version,10.0.0.2:6443,v1.27.1,"
                              "v1.28.\x1b[2J\r\n"
                              "changed_posture,10.0.0.3:443,open,"
                              "rbac_denied\r\n"
                              "changed_version,10.0.0.4:443,v1.29.0\0a,"
                              "v1.29.0\0b\r\n";
    struct mem m;
    json_t *root;
    (void)state;
    mem_open(&m);
    assert_int_equal(kc_diff_write(m.f, KC_FORMAT_CSV, 1, 2, rows, 4), 0);
    mem_close(&m);
    assert_int_equal(m.len, sizeof csv - 1);
    assert_memory_equal(m.buf, csv, sizeof csv - 1);
    free(m.buf);
    mem_open(&m);
    assert_int_equal(kc_diff_write(m.f, KC_FORMAT_TABLE, 1, 2, rows, 4), 0);
    mem_close(&m);
    assert_null(strchr(m.buf, '\x1b'));
    assert_non_null(strstr(m.buf, "appeared 1, disappeared 0, "
                                  "changed_version 2, changed_posture 1"));
    assert_non_null(strstr(m.buf, "v1.29.0\\x00a -> v1.29.0\\x00b"));
    free(m.buf);
    mem_open(&m);
    assert_int_equal(kc_diff_write(m.f, KC_FORMAT_JSON, 1, 2, rows, 4), 0);
    mem_close(&m);
    root = json_loads(m.buf, JSON_ALLOW_NUL, NULL);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "summary"), "appeared")), 1);
    json_t *last = json_array_get(json_object_get(root, "changes"), 3);
    json_t *nv = json_object_get(last, "new");
    assert_int_equal(json_string_length(nv), 9);
    assert_memory_equal(json_string_value(nv), "v1.29.0\0b", 9);
    assert_true(json_is_null(json_object_get(
        json_array_get(json_object_get(root, "changes"), 0), "old")));
    json_decref(root);
    free(m.buf);
}

/* metadata.json says which scan, date and unit the files hold, each
 * file's denominator, the kcensus version and the release table. */
static void test_metadata(void **state)
{
    struct kc_releases *rel = fixture_releases();
    struct kc_report *r = fixture_report(rel);
    json_error_t jerr;
    struct mem m;
    (void)state;
    mem_open(&m);
    assert_int_equal(kc_report_write_metadata(m.f, r, rel), 0);
    mem_close(&m);
    json_t *doc = json_loads(m.buf, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "scan_id")), 7);
    assert_string_equal(json_string_value(json_object_get(doc, "date")),
                        "2024-02-05");
    assert_string_equal(json_string_value(json_object_get(doc, "unit")),
                        "endpoint");
    assert_string_equal(
        json_string_value(json_object_get(doc, "kcensus_version")),
        KC_VERSION_STRING);
    assert_int_equal(json_integer_value(json_object_get(doc, "versioned")),
                     90);
    json_t *d = json_object_get(json_object_get(doc, "denominators"),
                                "minor.csv");
    assert_string_equal(json_string_value(json_object_get(d, "of")),
                        "versioned");
    assert_int_equal(json_integer_value(json_object_get(d, "units")), 90);
    json_t *rt = json_object_get(doc, "release_table");
    assert_true(json_array_size(rt) > 30);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rt, 0), "minor")),
        "1.0");
    json_decref(doc);
    free(m.buf);
    kc_report_free(r);
    kc_releases_free(rel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_exact),
        cmocka_unit_test(test_table_terminal_safe),
        cmocka_unit_test(test_table_layout),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_html_escaped),
        cmocka_unit_test(test_nul_keys),
        cmocka_unit_test(test_nul_json_round_trip),
        cmocka_unit_test(test_trend_csv),
        cmocka_unit_test(test_diff_formats),
        cmocka_unit_test(test_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
