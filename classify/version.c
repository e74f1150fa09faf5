/*
 * version.c - gitVersion parsing and the vendor rule table.
 *
 * The vendor rules are hand-written anchored matchers in a const table, not
 * POSIX regcomp(): kc_vendor_classify() takes no context object, a compiled
 * regex_t would have to live in a mutable global (or be compiled on every
 * call), regexec() cannot see past an embedded NUL in a counted string, and
 * the patterns are simple enough (a literal substring, or one fixed shape)
 * that a matcher of a few lines is easier to check than a regex engine's
 * locale-dependent character classes. Each rule names the regex it
 * implements (the vendor table of docs/classification.md).
 */
#include <string.h>

#include "classify-private.h"

/* A counted view of the string under test. */
struct span {
    const char *p;
    size_t n;
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_lhex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

/* Reads \d+ at *i into *val (false if no digit or it would not fit an int). */
static bool read_uint(struct span s, size_t *i, int *val)
{
    size_t j = *i;
    long v = 0;
    while (j < s.n && is_digit(s.p[j])) {
        if (j - *i >= 9)
            return false; /* 10+ digits: not a version we can store */
        v = v * 10 + (s.p[j] - '0');
        j++;
    }
    if (j == *i)
        return false;
    *val = (int)v;
    *i = j;
    return true;
}

/* Skips \d+; false if none. */
static bool skip_digits(struct span s, size_t *i)
{
    size_t j = *i;
    while (j < s.n && is_digit(s.p[j]))
        j++;
    if (j == *i)
        return false;
    *i = j;
    return true;
}

/* Skips exactly `count` lowercase hex digits (not followed by more when
 * exact). */
static size_t count_lhex(struct span s, size_t i)
{
    size_t j = i;
    while (j < s.n && is_lhex(s.p[j]))
        j++;
    return j - i;
}

static bool lit(struct span s, size_t *i, const char *l)
{
    size_t n = strlen(l);
    if (s.n - *i < n || memcmp(s.p + *i, l, n) != 0)
        return false;
    *i += n;
    return true;
}

/* ^v\d+\.\d+\.\d+ : index just past the core, or 0 when it does not match. */
static size_t strict_core(struct span s)
{
    size_t i = 0;
    if (!lit(s, &i, "v") || !skip_digits(s, &i) || !lit(s, &i, ".") ||
        !skip_digits(s, &i) || !lit(s, &i, ".") || !skip_digits(s, &i))
        return 0;
    return i;
}

bool kc_git_version_parse(const char *str, size_t n, int *major, int *minor,
                          int *patch, bool *prerelease)
{
    struct span s = {str, n};
    size_t i = 0;
    int ma, mi, pa = -1;
    if (str == NULL)
        return false;
    if (i < n && s.p[i] == 'v')
        i++;
    if (!read_uint(s, &i, &ma) || !lit(s, &i, ".") || !read_uint(s, &i, &mi))
        return false;
    size_t save = i;
    if (!(lit(s, &i, ".") && read_uint(s, &i, &pa))) {
        i = save;
        pa = -1;
    }
    /* Prerelease: the core is followed by -alpha, -beta or -rc (semver
     * pre-release identifiers Kubernetes uses: -alpha.1, -rc.0). */
    bool pre = false;
    static const char *const tags[] = {"-alpha", "-beta", "-rc"};
    for (size_t t = 0; t < KC_ARRAY_LEN(tags); t++) {
        size_t j = i;
        if (lit(s, &j, tags[t]) &&
            (j == n || s.p[j] == '.' || is_digit(s.p[j]) || s.p[j] == '+'))
            pre = true;
    }
    *major = ma;
    *minor = mi;
    *patch = pa;
    *prerelease = pre;
    return true;
}

/* ---- matchers ---------------------------------------------------------- */

static bool has(struct span s, const char *needle)
{
    return memmem(s.p, s.n, needle, strlen(needle)) != NULL;
}

/* -eks[-.] */
static bool m_eks(struct span s, const char *a)
{
    return has(s, "-eks-") || has(s, "-eks.");
}

/* -(aliyun|alibaba) */
static bool m_aliyun(struct span s, const char *a)
{
    return has(s, "-aliyun") || has(s, "-alibaba");
}

/* A plain substring rule (arg is the literal). */
static bool m_sub(struct span s, const char *a) { return has(s, a); }

/* ^v\d+\.\d+\.\d+-\d+\+[0-9a-f]{14}$ (MicroK8s snap builds). */
static bool m_microk8s(struct span s, const char *a)
{
    size_t i = strict_core(s);
    if (i == 0 || !lit(s, &i, "-") || !skip_digits(s, &i) || !lit(s, &i, "+"))
        return false;
    return count_lhex(s, i) == 14 && i + 14 == s.n;
}

/* ^v\d+\.\d+\.\d+\+[0-9a-f]{7,10}$ (OpenShift: kube version + short
 * openshift/kubernetes commit). */
static bool m_openshift(struct span s)
{
    size_t i = strict_core(s);
    if (i == 0 || !lit(s, &i, "+"))
        return false;
    size_t h = count_lhex(s, i);
    return h >= 7 && h <= 10 && i + h == s.n;
}

/*
 * ^v\d+\.\d+\.\d+-\d{4,}\+[0-9a-f]{14}-dirty$ : builds from the
 * openshift/kubernetes fork tree (oc, openshift-apiserver, MicroShift dev
 * builds): thousands of commits past the tag. In the 2024-02-05 data every
 * such build whose commit prefix also appears in a `+<7 hex>` OpenShift
 * string has a count >= 1330, while MicroK8s-like dirty builds count 1-33;
 * requiring 4+ digits takes the shared-prefix family without a hand list of
 * commits that would go stale.
 */
static bool m_openshift_dirty(struct span s)
{
    size_t i = strict_core(s);
    if (i == 0 || !lit(s, &i, "-"))
        return false;
    size_t d = i;
    if (!skip_digits(s, &i) || i - d < 4 || !lit(s, &i, "+"))
        return false;
    if (count_lhex(s, i) != 14)
        return false;
    i += 14;
    return lit(s, &i, "-dirty") && i == s.n;
}

static bool m_openshift_any(struct span s, const char *a)
{
    return m_openshift(s) || m_openshift_dirty(s);
}

/* ^v\d+\.\d+\.\d+(-(alpha|beta|rc)\.\d+)?$ */
static bool m_upstream(struct span s, const char *a)
{
    size_t i = strict_core(s);
    if (i == 0)
        return false;
    if (i == s.n)
        return true;
    static const char *const tags[] = {"-alpha.", "-beta.", "-rc."};
    for (size_t t = 0; t < KC_ARRAY_LEN(tags); t++) {
        size_t j = i;
        if (lit(s, &j, tags[t]) && skip_digits(s, &j) && j == s.n)
            return true;
    }
    return false;
}

struct vendor_rule {
    enum kc_vendor vendor;
    bool (*match)(struct span s, const char *arg);
    const char *arg;
};

/* Ordered: first match wins (the order of docs/classification.md). */
static const struct vendor_rule vendor_rules[] = {
    {KC_VENDOR_GKE, m_sub, "-gke."},
    {KC_VENDOR_EKS, m_eks, NULL},
    {KC_VENDOR_IKS, m_sub, "+IKS"},
    {KC_VENDOR_ALIYUN, m_aliyun, NULL},
    {KC_VENDOR_TKE, m_sub, "-tke."},
    {KC_VENDOR_K3S, m_sub, "+k3s"},
    {KC_VENDOR_RKE2, m_sub, "+rke2r"},
    {KC_VENDOR_K0S, m_sub, "+k0s"},
    {KC_VENDOR_VMWARE, m_sub, "+vmware"},
    {KC_VENDOR_VKE, m_sub, "-vke."},
    {KC_VENDOR_HPE, m_sub, "-hpe"},
    {KC_VENDOR_MICROK8S, m_microk8s, NULL},
    {KC_VENDOR_OPENSHIFT, m_openshift_any, NULL},
    {KC_VENDOR_UPSTREAM, m_upstream, NULL},
};

/* What follows ^v?\d+\.\d+(\.\d+)? ; the whole string if that does not
 * match. */
static void copy_suffix(struct span s, char *suffix, size_t size)
{
    size_t i = 0;
    int x;
    if (i < s.n && s.p[i] == 'v')
        i++;
    if (!read_uint(s, &i, &x) || !lit(s, &i, ".") || !read_uint(s, &i, &x))
        i = 0;
    else {
        size_t save = i;
        if (!(lit(s, &i, ".") && read_uint(s, &i, &x)))
            i = save;
    }
    size_t n = s.n - i;
    if (n >= size)
        n = size - 1;
    memcpy(suffix, s.p + i, n);
    suffix[n] = '\0';
    /* Keep the field printable text: an embedded NUL ends it. */
}

enum kc_vendor kc_vendor_classify(const char *str, size_t n, char *suffix,
                                  size_t suffix_size)
{
    struct span s = {str ? str : "", str ? n : 0};
    if (suffix != NULL && suffix_size > 0)
        copy_suffix(s, suffix, suffix_size);
    for (size_t r = 0; r < KC_ARRAY_LEN(vendor_rules); r++)
        if (vendor_rules[r].match(s, vendor_rules[r].arg))
            return vendor_rules[r].vendor;
    return KC_VENDOR_OTHER;
}
