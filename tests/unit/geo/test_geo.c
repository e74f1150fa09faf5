/* test_geo.c - geo/geo.c: opening databases, type detection, lookups. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "geo.h"
#include "helpers.h"

static struct kc_geo *open_names(const char *const *names, size_t n)
{
    char bufs[KC_GEO_MAX_DBS][512];
    const char *paths[KC_GEO_MAX_DBS];
    struct kc_geo *g = NULL;
    struct kc_error err = {0};

    for (size_t i = 0; i < n; i++)
        paths[i] = data_path(names[i], bufs[i], sizeof(bufs[i]));
    int rc = kc_geo_open(paths, n, &g, &err);
    if (rc != 0)
        print_error("kc_geo_open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(g);
    return g;
}

/* Metadata: the type each test file declares and the kind it gives. */
static void test_type_detection(void **state)
{
    static const struct {
        const char *file;
        const char *type;
        enum kc_geo_kind kind;
        unsigned ip_version;
    } cases[] = {
        {"country.mmdb", "GeoLite2-Country", KC_GEO_COUNTRY, 6},
        {"country-v4.mmdb", "GeoLite2-Country", KC_GEO_COUNTRY, 4},
        {"city.mmdb", "GeoLite2-City", KC_GEO_COUNTRY, 6},
        {"asn.mmdb", "GeoLite2-ASN", KC_GEO_ASN, 6},
        {"dbip-asn.mmdb", "DBIP-ASN-Lite (compat=GeoLite2-ASN)", KC_GEO_ASN,
         6},
    };
    (void)state;
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_geo *g = open_names(&cases[i].file, 1);
        const struct kc_geo_db_info *in = kc_geo_db(g, 0);

        assert_int_equal(kc_geo_db_count(g), 1);
        assert_string_equal(in->database_type, cases[i].type);
        assert_int_equal(in->kind, cases[i].kind);
        assert_int_equal(in->ip_version, cases[i].ip_version);
        assert_int_equal(in->build_epoch, 1700000000);
        assert_true(kc_geo_has(g, cases[i].kind));
        assert_false(kc_geo_has(g, cases[i].kind == KC_GEO_ASN
                                       ? KC_GEO_COUNTRY
                                       : KC_GEO_ASN));
        assert_null(kc_geo_db(g, 1));
        kc_geo_free(g);
    }
}

static void test_source(void **state)
{
    static const char *const names[] = {"country.mmdb", "asn.mmdb"};
    struct kc_geo *g = open_names(names, 2);
    (void)state;
    assert_string_equal(kc_geo_source(g),
                        "GeoLite2-Country@1700000000,GeoLite2-ASN@1700000000");
    assert_string_equal(kc_geo_kind_str(KC_GEO_COUNTRY), "country");
    assert_string_equal(kc_geo_kind_str(KC_GEO_ASN), "asn");
    kc_geo_free(g);
}

struct lookup_case {
    const char *addr;
    const char *country; /* "" = not found */
    uint32_t asn;        /* 0 = not found */
    const char *as_org;
};

static const struct lookup_case fleet_cases[] = {
    {"127.16.0.1", "DE", 16509, "AMAZON-02"},
    {"127.16.255.254", "DE", 16509, "AMAZON-02"},
    {"127.17.3.4", "US", 15169, "GOOGLE"},
    {"127.18.0.9", "NL", 8075, "MICROSOFT-CORP-MSN-AS-BLOCK"},
    {"127.19.1.1", "CN", 45102, "Alibaba US Technology Co., Ltd."},
    {"127.20.0.1", "FR", 16276, "OVH SAS"},
    {"127.21.0.1", "FI", 24940, "Hetzner Online GmbH"},
    {"127.22.0.1", "JP", 64512, "Example Hosting KK"},
    {"127.23.0.1", "BR", 64513, "S\xc3\xa3o Paulo Net Ltda"},
    {"127.15.255.255", "", 0, ""}, /* just below the fleet */
    {"127.24.0.1", "", 0, ""},     /* just above */
    {"127.0.0.1", "", 0, ""},
    {"10.0.0.1", "", 0, ""},
    {"2001:db8:16::5", "DE", 16509, "AMAZON-02"},
    {"2001:db8:17::5", "", 0, ""},
    {"::1", "SE", 64514, "Loopback AB"},
    /* alias_ipv6_to_ipv4: IPv4-mapped form of a fleet address */
    {"::ffff:127.17.0.1", "US", 15169, "GOOGLE"},
};

static void check_lookups(struct kc_geo *g, const struct lookup_case *cases,
                          size_t n, bool want_country, bool want_asn)
{
    for (size_t i = 0; i < n; i++) {
        struct kc_result r;
        struct kc_error err = {0};

        kc_result_init(&r);
        assert_true(kc_addr_parse(cases[i].addr, &r.addr));
        assert_int_equal(kc_geo_lookup(g, &r, &err), 0);
        print_message("%s -> '%s' %u '%s'\n", cases[i].addr, r.country,
                      r.asn, r.as_org);
        assert_string_equal(r.country, want_country ? cases[i].country : "");
        assert_int_equal(r.asn, want_asn ? cases[i].asn : 0);
        assert_string_equal(r.as_org, want_asn ? cases[i].as_org : "");
        /* lookup leaves the provider to kc_geo_infer_provider */
        assert_int_equal(r.provider, KC_PROVIDER_NONE);
        kc_result_clear(&r);
    }
}

static void test_lookup_country_asn(void **state)
{
    static const char *const names[] = {"country.mmdb", "asn.mmdb"};
    struct kc_geo *g = open_names(names, 2);
    (void)state;
    check_lookups(g, fleet_cases, KC_ARRAY_LEN(fleet_cases), true, true);
    kc_geo_free(g);
}

/* A City database answers country too; DB-IP's ASN type name works. */
static void test_lookup_city_dbip(void **state)
{
    static const char *const names[] = {"dbip-asn.mmdb", "city.mmdb"};
    struct kc_geo *g = open_names(names, 2);
    (void)state;
    check_lookups(g, fleet_cases, KC_ARRAY_LEN(fleet_cases), true, true);
    kc_geo_free(g);
}

/* One kind only: the other fields stay NULL. */
static void test_lookup_single_kind(void **state)
{
    static const char *const country[] = {"country.mmdb"};
    static const char *const asn[] = {"asn.mmdb"};
    struct kc_geo *g = open_names(country, 1);
    (void)state;
    check_lookups(g, fleet_cases, KC_ARRAY_LEN(fleet_cases), true, false);
    kc_geo_free(g);
    g = open_names(asn, 1);
    check_lookups(g, fleet_cases, KC_ARRAY_LEN(fleet_cases), false, true);
    kc_geo_free(g);
}

/* An IPv4-only database: v4 fleet addresses found, IPv6 simply not found
 * (not an error). */
static void test_lookup_v4_database(void **state)
{
    static const struct lookup_case cases[] = {
        {"127.16.0.1", "DE", 0, ""},
        {"127.23.9.9", "BR", 0, ""},
        {"127.24.0.1", "", 0, ""},
        {"2001:db8:16::5", "", 0, ""},
        {"::1", "", 0, ""},
    };
    static const char *const names[] = {"country-v4.mmdb"};
    struct kc_geo *g = open_names(names, 1);
    (void)state;
    check_lookups(g, cases, KC_ARRAY_LEN(cases), true, false);
    kc_geo_free(g);
}

/* A kind no database answers keeps what the result had (enrich with only
 * a Country file must not wipe a stored ASN); a kind it answers is redone;
 * an address with no family is left alone. */
static void test_lookup_keeps_other_kind(void **state)
{
    static const char *const names[] = {"country.mmdb"};
    struct kc_geo *g = open_names(names, 1);
    struct kc_result r;
    (void)state;

    kc_result_init(&r);
    assert_true(kc_addr_parse("127.17.0.1", &r.addr));
    r.asn = 42;
    kc_strlcpy(r.as_org, "Kept", sizeof(r.as_org));
    assert_int_equal(kc_geo_lookup(g, &r, NULL), 0);
    assert_string_equal(r.country, "US");
    assert_int_equal(r.asn, 42);
    assert_string_equal(r.as_org, "Kept");

    /* a stale country for an address the database does not cover: NULL */
    assert_true(kc_addr_parse("127.30.0.1", &r.addr));
    kc_strlcpy(r.country, "XX", sizeof(r.country));
    assert_int_equal(kc_geo_lookup(g, &r, NULL), 0);
    assert_string_equal(r.country, "");
    assert_int_equal(r.asn, 42);

    kc_result_clear(&r);
    kc_strlcpy(r.country, "XX", sizeof(r.country));
    assert_int_equal(kc_geo_lookup(g, &r, NULL), 0);
    assert_string_equal(r.country, "XX"); /* no address: untouched */
    kc_geo_free(g);
}

/* Writes a damaged copy of a generated database into dir. */
enum damage { TRUNCATE_HALF, EMPTY, GARBAGE, SMASH_TREE, DIRECTORY };

static void make_damaged(const char *src, const char *dst, enum damage d)
{
    static unsigned char buf[1 << 16];
    FILE *f = fopen(src, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(n > 256 && n < sizeof(buf));

    switch (d) {
    case TRUNCATE_HALF:
        n /= 2;
        break;
    case EMPTY:
        n = 0;
        break;
    case GARBAGE:
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(i * 131u + 7u);
        break;
    case SMASH_TREE:
        /* Node records pointing far past the tree and data section; the
         * metadata at the end stays intact, so only a lookup notices. */
        memset(buf, 0xff, 96);
        break;
    case DIRECTORY:
        assert_int_equal(mkdir(dst, 0700), 0);
        return;
    }
    f = fopen(dst, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

/* Missing, corrupt and wrong-type files: a clear error naming the file,
 * no handle. */
static void test_open_errors(void **state)
{
    static const struct {
        const char *src;  /* generated file to damage, NULL = use as is */
        const char *name; /* file under the generated dir or the tmp dir */
        int damage;       /* enum damage, -1 none */
        int code;
        const char *says; /* substring of the message */
    } cases[] = {
        {NULL, "no-such-file.mmdb", -1, -ENOENT, "No such file"},
        {NULL, "anon.mmdb", -1, -EPROTOTYPE,
         "database type 'GeoIP2-Anonymous-IP' is not a Country, City or ASN"},
        {"asn.mmdb", "half.mmdb", TRUNCATE_HALF, -EINVAL,
         "not a usable MaxMind DB"},
        {"asn.mmdb", "empty.mmdb", EMPTY, -EINVAL, "not a usable MaxMind DB"},
        {"asn.mmdb", "garbage.mmdb", GARBAGE, -EINVAL,
         "not a usable MaxMind DB"},
        {"country.mmdb", "smashed.mmdb", SMASH_TREE, -EINVAL,
         "corrupt database"},
        {NULL, "dir.mmdb", DIRECTORY, -EINVAL, "not a regular file"},
    };
    char tmpl[] = "/tmp/kc-geo-test-XXXXXX";
    char *dir = mkdtemp(tmpl);
    (void)state;
    assert_non_null(dir);

    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        char path[512], src[512], good[512];
        const char *paths[2];
        char sentinel;
        struct kc_geo *g = (struct kc_geo *)&sentinel; /* must be reset */
        struct kc_error err = {0};

        if (cases[i].damage >= 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
            if (cases[i].src != NULL)
                data_path(cases[i].src, src, sizeof(src));
            make_damaged(src, path, (enum damage)cases[i].damage);
        } else {
            data_path(cases[i].name, path, sizeof(path));
        }
        /* The bad file second: the good one opened first is released. */
        paths[0] = data_path("country.mmdb", good, sizeof(good));
        paths[1] = path;
        int rc = kc_geo_open(paths, 2, &g, &err);
        print_message("%s: %d %s\n", cases[i].name, rc, err.msg);
        assert_int_equal(rc, cases[i].code);
        assert_int_equal(err.code, cases[i].code);
        assert_null(g);
        assert_non_null(strstr(err.msg, cases[i].name));
        assert_non_null(strstr(err.msg, cases[i].says));
        if (cases[i].damage == DIRECTORY)
            rmdir(path);
        else if (cases[i].damage >= 0)
            unlink(path);
    }
    rmdir(dir);
}

static void test_open_counts(void **state)
{
    const char *paths[KC_GEO_MAX_DBS + 1] = {NULL};
    char buf[512];
    struct kc_geo *g = NULL;
    struct kc_error err = {0};
    (void)state;

    assert_int_equal(kc_geo_open(paths, 0, &g, &err), -EINVAL);
    assert_null(g);
    for (size_t i = 0; i < KC_ARRAY_LEN(paths); i++)
        paths[i] = data_path("asn.mmdb", buf, sizeof(buf));
    assert_int_equal(kc_geo_open(paths, KC_ARRAY_LEN(paths), &g, &err),
                     -E2BIG);
    assert_null(g);
    assert_int_equal(kc_geo_open(paths, KC_GEO_MAX_DBS, &g, &err), 0);
    assert_int_equal(kc_geo_db_count(g), KC_GEO_MAX_DBS);
    kc_geo_free(g);
    kc_geo_free(NULL);
}

/* A tree broken below the open-time probes: lookups there fail with -EIO
 * and a message, leave the result alone, and the rest still works. */
static void test_lookup_corrupt_branch(void **state)
{
    char src[512], asn[512], bad[] = "/tmp/kc-geo-test-XXXXXX";
    struct kc_geo *g = NULL;
    struct kc_error err = {0};
    (void)state;

    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    close(fd);
    assert_true(make_corrupt_127_20(data_path("country.mmdb", src,
                                              sizeof(src)), bad));
    const char *paths[] = {bad, data_path("asn.mmdb", asn, sizeof(asn))};
    assert_int_equal(kc_geo_open(paths, 2, &g, &err), 0);

    static const struct {
        const char *addr;
        int rc;
        const char *country;
        uint32_t asn;
    } cases[] = {
        {"127.22.0.1", -EIO, "", 64512}, /* the ASN file still answers */
        {"127.23.5.5", -EIO, "", 64513},
        {"127.21.0.1", -EIO, "", 24940},
        {"127.16.0.1", 0, "DE", 16509},
        {"127.19.0.1", 0, "CN", 45102},
        {"127.24.0.1", 0, "", 0},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct kc_result r;
        kc_result_init(&r);
        kc_error_clear(&err);
        assert_true(kc_addr_parse(cases[i].addr, &r.addr));
        assert_int_equal(kc_geo_lookup(g, &r, &err), cases[i].rc);
        assert_string_equal(r.country, cases[i].country);
        assert_int_equal(r.asn, cases[i].asn);
        if (cases[i].rc < 0) {
            assert_non_null(strstr(err.msg, bad));
            assert_non_null(strstr(err.msg, "corrupt"));
        }
        kc_result_clear(&r);
    }
    kc_geo_free(g);
    unlink(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_detection),
        cmocka_unit_test(test_source),
        cmocka_unit_test(test_lookup_country_asn),
        cmocka_unit_test(test_lookup_city_dbip),
        cmocka_unit_test(test_lookup_single_kind),
        cmocka_unit_test(test_lookup_v4_database),
        cmocka_unit_test(test_lookup_keeps_other_kind),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_open_counts),
        cmocka_unit_test(test_lookup_corrupt_branch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
