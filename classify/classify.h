/*
 * classify.h - pure rules: is it Kubernetes, its anonymous posture, its
 * version and vendor. No sockets: input is a struct kc_result whose
 * transport, probe and certificate parts the scanner (or storage, for
 * re-classification) filled.
 *
 * CONTRACT (the scanner and `reclassify` code against this).
 */
#ifndef KCENSUS_CLASSIFY_H
#define KCENSUS_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

/* Recorded with every result; bump when a rule changes. */
#define KC_CLASSIFIER_VERSION "3"

/*
 * Fills r's verdict: is_kubernetes, evidence, posture, git_version, major,
 * minor, patch, prerelease, vendor, vendor_suffix, version.*,
 * cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count,
 * classifier_version. Reads probes[] (status, headers of note, bodies) and
 * cert. Idempotent. Returns 0 or -ENOMEM.
 */
int kc_classify(struct kc_result *r);

/*
 * Re-classification (`kcensus reclassify`): r is a record rebuilt from
 * storage, with the probe fields storage keeps (id, answered, status,
 * content_type, has_audit_id / has_pf_* flags, the bounded bodies) and the
 * cert fields (issuer_cn, sans), plus the verdict stored with it. Runs
 * kc_classify() (nothing else) and sets *changed (if non-NULL) when any
 * verdict column differs from the stored one: is_kubernetes, evidence,
 * posture, vendor, vendor_suffix, major/minor/patch, prerelease,
 * cluster_info_readable, cluster_ca_sha256, jws_keys, namespaces_count.
 * Returns 0 or -ENOMEM.
 */
int kc_reclassify(struct kc_result *r, bool *changed);

/*
 * Early stop: called by the scanner after each answered probe. False when
 * what was answered so far already shows the endpoint is not Kubernetes
 * (e.g. /version answered with an HTML 404), so the remaining probes are
 * not sent.
 */
bool kc_classify_continue(const struct kc_result *r);

/*
 * The same answer for a caller that asks after every answered probe and
 * stops at the first false (the scanner): only the newest probe is looked
 * at, since the earlier ones were judged by the earlier calls. Saves
 * re-parsing every body after each probe (15 contradiction checks and 5
 * /version parses per target become 5 and 1).
 */
bool kc_classify_continue_newest(const struct kc_result *r);

/* ^v?(\d+)\.(\d+)(?:\.(\d+))? ; patch -1 when absent. False if no match
 * (outputs untouched). */
bool kc_git_version_parse(const char *s, size_t n, int *major, int *minor,
                          int *patch, bool *prerelease);
/* Vendor from a gitVersion by the ordered rule table. suffix gets what
 * follows the semver core (for "other"). */
enum kc_vendor kc_vendor_classify(const char *s, size_t n, char *suffix,
                                  size_t suffix_size);

#endif
