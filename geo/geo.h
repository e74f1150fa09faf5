/*
 * geo.h - where a scanned address lives: country, ASN, AS organisation
 * (from MaxMind-format .mmdb databases: GeoLite2/GeoIP2 Country, City and
 * ASN, DB-IP's compatible lite files) and which provider runs it (a table
 * of rules over ASN, certificate SANs, vendor and gitVersion; docs/geo.md).
 *
 * geo/ is the only folder that includes maxminddb.h. The scan pipeline uses
 * it through kc_geo_sink_new(); `kcensus enrich` calls kc_geo_lookup() on
 * stored results.
 */
#ifndef KCENSUS_GEO_H
#define KCENSUS_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Most databases one kc_geo holds (a country and an ASN file is typical). */
#define KC_GEO_MAX_DBS 8

/* What a database can answer, read from its metadata's database_type. */
enum kc_geo_kind {
    KC_GEO_COUNTRY = 0, /* Country or City: country.iso_code */
    KC_GEO_ASN,         /* autonomous_system_number/_organization */
    KC_GEO_KIND__COUNT
};
/* "country", "asn" ("?" out of range). */
const char *kc_geo_kind_str(enum kc_geo_kind k);

/* One opened database, as recorded with the values it produced. */
struct kc_geo_db_info {
    const char *path;          /* as given to kc_geo_open */
    const char *database_type; /* metadata, e.g. "GeoLite2-Country" */
    enum kc_geo_kind kind;
    uint64_t build_epoch;      /* metadata build_epoch, seconds */
    unsigned ip_version;       /* 4 or 6 */
};

struct kc_geo;

/*
 * Opens n database files (1 <= n <= KC_GEO_MAX_DBS). The type of each is
 * read from its metadata; a missing or unreadable file (-ENOENT, -EACCES,
 * ...), one that is not a valid MaxMind DB or whose search tree is broken
 * (-EINVAL), or one of a type kcensus cannot use, such as Anonymous-IP
 * (-EPROTOTYPE), fails the whole open with a message naming the file.
 * Several files of the same kind are consulted in the order given.
 * On success *out is owned by the caller (kc_geo_free).
 */
int kc_geo_open(const char *const *paths, size_t n, struct kc_geo **out,
                struct kc_error *err);
void kc_geo_free(struct kc_geo *g);

/* Number of databases and the i-th one's description (pointers live as
 * long as g). */
size_t kc_geo_db_count(const struct kc_geo *g);
const struct kc_geo_db_info *kc_geo_db(const struct kc_geo *g, size_t i);

/* True if some database answers this kind. */
bool kc_geo_has(const struct kc_geo *g, enum kc_geo_kind kind);

/*
 * Which database builds answer lookups, for recording with the values:
 * "TYPE@EPOCH" per database, comma-separated, in the order given, e.g.
 * "GeoLite2-Country@1700000000,GeoLite2-ASN@1700000000". Lives as long as g.
 */
const char *kc_geo_source(const struct kc_geo *g);

/*
 * Looks r->addr up and sets r->country, r->asn and r->as_org from the
 * databases that know it (the first answer per kind wins). The fields of a
 * kind g has databases for are reset first, so an address the databases do
 * not cover ends up NULL there; the fields of a kind g has no database for
 * are left as they were (a Country-only enrich keeps a stored ASN). Does
 * not touch r->provider (see kc_geo_infer_provider). An address no
 * database covers is not an error: returns 0. Returns -EIO (message in
 * err) if a database is corrupt at this address (its kind stays NULL
 * unless another database of that kind answers).
 * Safe to call from several threads at once on the same g.
 */
int kc_geo_lookup(const struct kc_geo *g, struct kc_result *r,
                  struct kc_error *err);

/*
 * The provider an endpoint runs at, from r->asn, the certificate SANs,
 * r->vendor and r->git_version, by the first matching rule of the table in
 * docs/geo.md (ASN rules first). A known ASN that no rule maps gives
 * KC_PROVIDER_OTHER; nothing known gives KC_PROVIDER_NONE.
 */
enum kc_provider kc_geo_infer_provider(const struct kc_result *r);

/* The rule table, for docs and tests. */
enum kc_geo_rule_field {
    KC_GEO_RULE_ASN = 0,      /* r->asn equals asn */
    KC_GEO_RULE_SAN_SUFFIX,   /* a DNS: SAN ends with pattern (any case) */
    KC_GEO_RULE_VENDOR,       /* r->vendor equals vendor */
    KC_GEO_RULE_GIT_CONTAINS, /* r->git_version contains pattern */
};
struct kc_geo_rule {
    enum kc_geo_rule_field field;
    uint32_t asn;
    const char *pattern;
    enum kc_vendor vendor;
    enum kc_provider provider;
};
size_t kc_geo_rule_count(void);
const struct kc_geo_rule *kc_geo_rule_at(size_t i);

/*
 * A sink filter for the scan pipeline: each result written is copied,
 * looked up (kc_geo_lookup) and given a provider (kc_geo_infer_provider),
 * then written downstream. A lookup error does not stop the scan: the
 * result goes on without location and the error is counted
 * (kc_geo_sink_errors). checkpoint, flush and busy pass through.
 * The sink owns downstream (freed with it) but not g, which must outlive
 * it. Returns NULL (and frees downstream) on -ENOMEM.
 */
struct kc_sink *kc_geo_sink_new(struct kc_geo *g, struct kc_sink *downstream);
/* Lookup errors a geo sink has seen (0 for any other sink). */
uint64_t kc_geo_sink_errors(const struct kc_sink *s);

#endif
