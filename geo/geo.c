/*
 * geo.c - opening MaxMind-format databases and looking addresses up. The
 * only file in kcensus that includes maxminddb.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "geo.h"

struct geo_db {
    MMDB_s mmdb;
    bool opened; /* mmdb needs MMDB_close */
    struct kc_geo_db_info info;
    char *path;
    char *type;
};

struct kc_geo {
    size_t n;
    struct geo_db dbs[KC_GEO_MAX_DBS];
    char source[KC_GEO_MAX_DBS * 96];
};

/*
 * Which metadata database_type strings we accept, by substring, first match
 * wins. ASN comes first because DB-IP names its ASN file
 * "DBIP-ASN-Lite (compat=GeoLite2-ASN)". GeoIP2-ISP carries the same ASN
 * keys. Anything else (Anonymous-IP, Connection-Type, Domain...) is refused.
 */
static const struct {
    const char *needle;
    enum kc_geo_kind kind;
} type_table[] = {
    {"ASN", KC_GEO_ASN},
    {"-ISP", KC_GEO_ASN},
    {"Country", KC_GEO_COUNTRY},
    {"City", KC_GEO_COUNTRY},
    {"Enterprise", KC_GEO_COUNTRY}, /* GeoIP2-Enterprise is a City superset */
};

const char *kc_geo_kind_str(enum kc_geo_kind k)
{
    switch (k) {
    case KC_GEO_COUNTRY:
        return "country";
    case KC_GEO_ASN:
        return "asn";
    case KC_GEO_KIND__COUNT:
        break;
    }
    return "?";
}

static bool kind_from_type(const char *type, enum kc_geo_kind *out)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(type_table); i++) {
        if (strstr(type, type_table[i].needle) != NULL) {
            *out = type_table[i].kind;
            return true;
        }
    }
    return false;
}

/* A readable regular file, so a directory or a missing path gets its own
 * errno rather than libmaxminddb's generic "error opening the file". */
static int check_file(const char *path, struct kc_error *err)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        int e = errno;
        return kc_error_set(err, -e, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return kc_error_set(err, -EINVAL, "%s: not a regular file", path);
    return 0;
}

static int mmdb_errno(int status)
{
    /* check_file() has already reported missing and unreadable paths:
     * what fails here is the content. */
    return status == MMDB_OUT_OF_MEMORY_ERROR ? -ENOMEM : -EINVAL;
}

static void addr_to_sockaddr(const struct kc_addr *a,
                             struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, a->bytes, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, a->bytes, 16);
    }
}

/* One lookup: returns the libmaxminddb status (MMDB_SUCCESS or an error
 * such as a corrupt tree). An IPv6 address in an IPv4-only database is
 * simply not found. */
static int db_find(const struct geo_db *db, const struct kc_addr *a,
                   MMDB_lookup_result_s *res)
{
    struct sockaddr_storage ss;
    int status = MMDB_SUCCESS;

    addr_to_sockaddr(a, &ss);
    *res = MMDB_lookup_sockaddr(&db->mmdb, (struct sockaddr *)&ss, &status);
    if (status == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) {
        res->found_entry = false;
        return MMDB_SUCCESS;
    }
    return status;
}

/*
 * libmaxminddb checks the metadata and section sizes at open, not the
 * search tree. Walking a few addresses (both families, inside and outside
 * the loopback fleet) catches a damaged tree before any scanning starts.
 */
static int db_probe_tree(const struct geo_db *db, struct kc_error *err)
{
    static const char *const probes[] = {
        "0.0.0.0", "1.1.1.1", "127.16.0.1", "127.255.255.255", "8.8.8.8",
        "192.0.2.1", "255.255.255.255", "::1", "2001:db8::1", "2a00::1",
    };

    for (size_t i = 0; i < KC_ARRAY_LEN(probes); i++) {
        struct kc_addr a;
        MMDB_lookup_result_s res;
        MMDB_entry_data_list_s *list = NULL;

        if (!kc_addr_parse(probes[i], &a))
            continue;
        int status = db_find(db, &a, &res);
        if (status != MMDB_SUCCESS)
            return kc_error_set(err, -EINVAL, "%s: corrupt database (%s)",
                                db->info.path, MMDB_strerror(status));
        if (!res.found_entry)
            continue;
        /* Decoding the whole record checks the data section pointer. */
        status = MMDB_get_entry_data_list(&res.entry, &list);
        MMDB_free_entry_data_list(list);
        if (status != MMDB_SUCCESS)
            return kc_error_set(err, -EINVAL,
                                "%s: corrupt database (data: %s)",
                                db->info.path, MMDB_strerror(status));
    }
    return 0;
}

static int db_open(struct geo_db *db, const char *path, struct kc_error *err)
{
    int rc = check_file(path, err);
    if (rc < 0)
        return rc;
    db->path = strdup(path);
    if (db->path == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    db->info.path = db->path;

    int status = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
    if (status != MMDB_SUCCESS)
        return kc_error_set(err, mmdb_errno(status),
                            "%s: not a usable MaxMind DB file (%s)", path,
                            MMDB_strerror(status));
    db->opened = true;

    const MMDB_metadata_s *md = &db->mmdb.metadata;
    db->type = strdup(md->database_type ? md->database_type : "");
    if (db->type == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    db->info.database_type = db->type;
    db->info.build_epoch = md->build_epoch;
    db->info.ip_version = md->ip_version;
    if (!kind_from_type(db->type, &db->info.kind))
        return kc_error_set(err, -EPROTOTYPE,
                            "%s: database type '%s' is not a Country, City "
                            "or ASN database",
                            path, db->type);
    return db_probe_tree(db, err);
}

static void db_close(struct geo_db *db)
{
    if (db->opened)
        MMDB_close(&db->mmdb);
    free(db->path);
    free(db->type);
    memset(db, 0, sizeof(*db));
}

static void build_source(struct kc_geo *g)
{
    size_t off = 0;

    g->source[0] = '\0';
    for (size_t i = 0; i < g->n && off < sizeof(g->source); i++) {
        const struct kc_geo_db_info *in = &g->dbs[i].info;
        off += kc_snprintf(g->source + off, sizeof(g->source) - off,
                           "%s%s@%" PRIu64, i ? "," : "",
                           in->database_type, in->build_epoch);
    }
}

int kc_geo_open(const char *const *paths, size_t n, struct kc_geo **out,
                struct kc_error *err)
{
    struct kc_geo *g;

    *out = NULL;
    if (n == 0)
        return kc_error_set(err, -EINVAL, "no geo database given");
    if (n > KC_GEO_MAX_DBS)
        return kc_error_set(err, -E2BIG, "at most %d geo databases",
                            KC_GEO_MAX_DBS);
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        g->n = i + 1; /* so kc_geo_free closes what was opened */
        int rc = db_open(&g->dbs[i], paths[i], err);
        if (rc < 0) {
            kc_geo_free(g);
            return rc;
        }
    }
    build_source(g);
    *out = g;
    return 0;
}

void kc_geo_free(struct kc_geo *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++)
        db_close(&g->dbs[i]);
    free(g);
}

size_t kc_geo_db_count(const struct kc_geo *g)
{
    return g->n;
}

const struct kc_geo_db_info *kc_geo_db(const struct kc_geo *g, size_t i)
{
    return i < g->n ? &g->dbs[i].info : NULL;
}

bool kc_geo_has(const struct kc_geo *g, enum kc_geo_kind kind)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->dbs[i].info.kind == kind)
            return true;
    return false;
}

const char *kc_geo_source(const struct kc_geo *g)
{
    return g->source;
}

/* A string at path, copied bounded; false if absent or not a string. */
static bool get_string(MMDB_entry_s *e, char *out, size_t size,
                       const char *const *path)
{
    MMDB_entry_data_s d;

    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return false;
    size_t n = d.data_size < size - 1 ? d.data_size : size - 1;
    memcpy(out, d.utf8_string, n);
    out[n] = '\0';
    return true;
}

static bool is_iso2(const char *s)
{
    return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
           s[1] <= 'Z';
}

/* country.iso_code, else registered_country.iso_code (GeoLite2 leaves
 * country out for some networks, such as anycast). */
static bool fill_country(MMDB_entry_s *e, struct kc_result *r)
{
    static const char *const paths[][3] = {
        {"country", "iso_code", NULL},
        {"registered_country", "iso_code", NULL},
    };
    char cc[8];

    for (size_t i = 0; i < KC_ARRAY_LEN(paths); i++) {
        if (get_string(e, cc, sizeof(cc), paths[i]) && is_iso2(cc)) {
            memcpy(r->country, cc, 3);
            return true;
        }
    }
    return false;
}

/* Control bytes in an organisation name would reach CSV and terminals. */
static void scrub_controls(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

static bool fill_asn(MMDB_entry_s *e, struct kc_result *r)
{
    static const char *const num_path[] = {"autonomous_system_number", NULL};
    static const char *const org_path[] = {"autonomous_system_organization",
                                           NULL};
    MMDB_entry_data_s d;
    uint32_t asn;

    if (MMDB_aget_value(e, &d, num_path) != MMDB_SUCCESS || !d.has_data)
        return false;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT32:
        asn = d.uint32;
        break;
    case MMDB_DATA_TYPE_UINT16:
        asn = d.uint16;
        break;
    default:
        return false;
    }
    if (asn == 0)
        return false;
    r->asn = asn;
    r->as_org[0] = '\0';
    if (get_string(e, r->as_org, sizeof(r->as_org), org_path))
        scrub_controls(r->as_org);
    return true;
}

int kc_geo_lookup(const struct kc_geo *g, struct kc_result *r,
                  struct kc_error *err)
{
    bool done[KC_GEO_KIND__COUNT] = {false};
    int rc = 0;

    if (r->addr.family != AF_INET && r->addr.family != AF_INET6)
        return 0;
    /* A kind we have databases for is answered afresh (a newer database
     * that no longer knows the address says NULL); other kinds keep
     * whatever the result had. */
    if (kc_geo_has(g, KC_GEO_COUNTRY))
        r->country[0] = '\0';
    if (kc_geo_has(g, KC_GEO_ASN)) {
        r->asn = 0;
        r->as_org[0] = '\0';
    }
    for (size_t i = 0; i < g->n; i++) {
        const struct geo_db *db = &g->dbs[i];
        MMDB_lookup_result_s res;
        enum kc_geo_kind kind = db->info.kind;

        if (done[kind])
            continue;
        int status = db_find(db, &r->addr, &res);
        if (status != MMDB_SUCCESS) {
            rc = kc_error_set(err, -EIO, "%s: %s", db->info.path,
                              MMDB_strerror(status));
            continue;
        }
        if (!res.found_entry)
            continue;
        switch (kind) {
        case KC_GEO_COUNTRY:
            done[kind] = fill_country(&res.entry, r);
            break;
        case KC_GEO_ASN:
            done[kind] = fill_asn(&res.entry, r);
            break;
        case KC_GEO_KIND__COUNT:
            break;
        }
    }
    return rc;
}
