/* test_version.c - gitVersion parsing and the vendor table (version.c),
 * and the hand-labelled corpus from the 2024-02-05 census. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>

#include "fixture.h"

static void test_parse(void **state)
{
    static const struct {
        const char *s;
        bool ok;
        int major, minor, patch;
        bool pre;
    } cases[] = {
        {"v1.28.3", true, 1, 28, 3, false},
        {"1.14.1", true, 1, 14, 1, false},
        {"v1.29.0-rc.1.3770+2f773e8d16da18-dirty", true, 1, 29, 0, true},
        {"v1.30.0-alpha.1.48+3a4c35cc89c0ce", true, 1, 30, 0, true},
        {"v1.27.0-beta.0", true, 1, 27, 0, true},
        {"v1.28.5-eks-5e0fdde", true, 1, 28, 5, false},
        {"v1.20.6-3+054f518d3e207f", true, 1, 20, 6, false},
        {"v1.2", true, 1, 2, -1, false},
        {"v1.2-rc.1", true, 1, 2, -1, true},
        {"v1.2.x", true, 1, 2, -1, false},
        {"v1.28.3-rcfoo", true, 1, 28, 3, false},
        {"v0.0.0-master+$Format:%h$", true, 0, 0, 0, false},
        {"v2.1.0-tos-final-build-20220805-tdh", true, 2, 1, 0, false},
        {"", false, 0, 0, 0, false},
        {"v", false, 0, 0, 0, false},
        {"v1", false, 0, 0, 0, false},
        {"v1.", false, 0, 0, 0, false},
        {"vv1.2.3", false, 0, 0, 0, false},
        {"x1.2.3", false, 0, 0, 0, false},
        {"v-1.2.3", false, 0, 0, 0, false},
        {"v12345678901.2.3", false, 0, 0, 0, false},
        {"unknown", false, 0, 0, 0, false},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        int ma = 77, mi = 77, pa = 77;
        bool pre = true;
        bool ok = kc_git_version_parse(cases[i].s, strlen(cases[i].s), &ma,
                                       &mi, &pa, &pre);
        if (ok != cases[i].ok)
            fail_msg("'%s': parse %d", cases[i].s, ok);
        if (!ok) {
            /* Outputs untouched on failure. */
            assert_int_equal(ma, 77);
            assert_int_equal(pa, 77);
            assert_true(pre);
            continue;
        }
        if (ma != cases[i].major || mi != cases[i].minor ||
            pa != cases[i].patch || pre != cases[i].pre)
            fail_msg("'%s': got %d.%d.%d pre=%d", cases[i].s, ma, mi, pa, pre);
    }
    /* Counted: bytes past n are not read. */
    int ma, mi, pa;
    bool pre;
    assert_true(kc_git_version_parse("v1.28.3", 4, &ma, &mi, &pa, &pre));
    assert_int_equal(mi, 2);
    assert_int_equal(pa, -1);
}

/* One or more cases per rule of the table, and the near misses. */
static void test_vendor_rules(void **state)
{
    static const struct {
        const char *s;
        enum kc_vendor v;
        const char *suffix;
    } cases[] = {
        {"v1.26.10-gke.1101000", KC_VENDOR_GKE, "-gke.1101000"},
        {"v1.28.5-eks-5e0fdde", KC_VENDOR_EKS, "-eks-5e0fdde"},
        {"v1.16.8-eks.1", KC_VENDOR_EKS, "-eks.1"},
        {"v1.28.5-eksfoo", KC_VENDOR_OTHER, "-eksfoo"},
        {"v1.26.13+IKS", KC_VENDOR_IKS, "+IKS"},
        {"v1.26.13+iks", KC_VENDOR_OTHER, "+iks"},
        {"v1.24.6-aliyun.1", KC_VENDOR_ALIYUN, "-aliyun.1"},
        {"v1.18.8-aliyunedge.1", KC_VENDOR_ALIYUN, "-aliyunedge.1"},
        {"v1.30.1-alibaba.2", KC_VENDOR_ALIYUN, "-alibaba.2"},
        {"v1.20.6-tke.34", KC_VENDOR_TKE, "-tke.34"},
        {"v1.26.9+k3s1", KC_VENDOR_K3S, "+k3s1"},
        {"v1.27.10+rke2r1", KC_VENDOR_RKE2, "+rke2r1"},
        {"v1.28.4+k0s", KC_VENDOR_K0S, "+k0s"},
        {"v1.24.9+vmware.1", KC_VENDOR_VMWARE, "+vmware.1"},
        {"v1.27.6-vke.4", KC_VENDOR_VKE, "-vke.4"},
        {"v1.25.3-hpe1", KC_VENDOR_HPE, "-hpe1"},
        {"v1.20.6-3+054f518d3e207f", KC_VENDOR_MICROK8S, "-3+054f518d3e207f"},
        {"v1.20.5-34+40f5951bd9888a", KC_VENDOR_MICROK8S, "-34+40f5951bd9888a"},
        {"v1.20.6-3+054f518d3e207", KC_VENDOR_OTHER, "-3+054f518d3e207"},
        {"v1.20.6-3+054F518D3E207F", KC_VENDOR_OTHER, "-3+054F518D3E207F"},
        {"v1.18.2-1+358c6e79ce6f76-dirty", KC_VENDOR_OTHER,
         "-1+358c6e79ce6f76-dirty"},
        {"v1.25.16+a4e782e", KC_VENDOR_OPENSHIFT, "+a4e782e"},
        {"v1.11.0+d4cacc0", KC_VENDOR_OPENSHIFT, "+d4cacc0"},
        {"v1.25.16+a4e782e28a", KC_VENDOR_OPENSHIFT, "+a4e782e28a"},
        {"v1.25.16+a4e782e28aa", KC_VENDOR_OTHER, "+a4e782e28aa"},
        {"v1.25.16+a4e782", KC_VENDOR_OTHER, "+a4e782"},
        {"v1.26.4-3014+636f2be6157d45-dirty", KC_VENDOR_OPENSHIFT,
         "-3014+636f2be6157d45-dirty"},
        {"v1.25.9-112763+a4e782e28aab09-dirty", KC_VENDOR_OPENSHIFT,
         "-112763+a4e782e28aab09-dirty"},
        {"v1.26.4-301+636f2be6157d45-dirty", KC_VENDOR_OTHER,
         "-301+636f2be6157d45-dirty"},
        {"v1.26.4-3014+636f2be6157d45-dirtyx", KC_VENDOR_OTHER,
         "-3014+636f2be6157d45-dirtyx"},
        {"v1.28.3", KC_VENDOR_UPSTREAM, ""},
        {"v1.29.0-rc.1", KC_VENDOR_UPSTREAM, "-rc.1"},
        {"v1.30.0-alpha.3", KC_VENDOR_UPSTREAM, "-alpha.3"},
        {"v1.27.0-beta.0", KC_VENDOR_UPSTREAM, "-beta.0"},
        {"v1.30.0-alpha.1.48+3a4c35cc89c0ce", KC_VENDOR_OTHER,
         "-alpha.1.48+3a4c35cc89c0ce"},
        {"1.14.1", KC_VENDOR_OTHER, ""},
        {"v1.28", KC_VENDOR_OTHER, ""},
        {"v1.20.14-es", KC_VENDOR_OTHER, "-es"},
        {"v1.28.3+3.el8", KC_VENDOR_OTHER, "+3.el8"},
        {"garbage", KC_VENDOR_OTHER, "garbage"},
        {"", KC_VENDOR_OTHER, ""},
        /* First match wins: a GKE string that also looks like k3s. */
        {"v1.27.3-gke.100+k3s1", KC_VENDOR_GKE, "-gke.100+k3s1"},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        char suffix[64];
        enum kc_vendor v = kc_vendor_classify(cases[i].s, strlen(cases[i].s),
                                              suffix, sizeof suffix);
        if (v != cases[i].v || strcmp(suffix, cases[i].suffix) != 0)
            fail_msg("'%s': got %s '%s', want %s '%s'", cases[i].s,
                     kc_vendor_str(v), suffix, kc_vendor_str(cases[i].v),
                     cases[i].suffix);
    }
    /* The suffix is bounded by its buffer. */
    char small[4];
    kc_vendor_classify("v1.2.3-abcdef", 13, small, sizeof small);
    assert_string_equal(small, "-ab");
    assert_int_equal(kc_vendor_classify(NULL, 0, NULL, 0), KC_VENDOR_OTHER);
}

/* Splits a CSV line in place (no quoting in these files). */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, ",\n", &save); t && n < max;
         t = strtok_r(NULL, ",\n", &save))
        f[n++] = t;
    return n;
}

/* Every hand label must match: vendor and the three version columns. */
static void test_labelled_corpus(void **state)
{
    char *text = fixture_read("gitversion-labels.csv", NULL);
    char *save = NULL;
    size_t n = 0, wrong = 0;
    strtok_r(text, "\n", &save); /* header */
    for (char *line = strtok_r(NULL, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        char *sv = NULL;
        size_t k = 0;
        for (char *t = strtok_r(line, ",", &sv); t && k < 5;
             t = strtok_r(NULL, ",", &sv))
            f[k++] = t;
        assert_int_equal(k, 5);
        char suffix[64];
        int ma = -1, mi = -1, pa = -1;
        bool pre;
        enum kc_vendor v =
            kc_vendor_classify(f[0], strlen(f[0]), suffix, sizeof suffix);
        kc_git_version_parse(f[0], strlen(f[0]), &ma, &mi, &pa, &pre);
        enum kc_vendor want;
        assert_true(kc_vendor_parse(f[1], &want));
        char got[32];
        snprintf(got, sizeof got, "%d,%d,%d", ma, mi, pa);
        char exp[32];
        snprintf(exp, sizeof exp, "%s,%s,%s", f[2], f[3], f[4]);
        if (v != want || strcmp(got, exp) != 0) {
            print_error("%s: got %s %s, label %s %s\n", f[0], kc_vendor_str(v),
                        got, f[1], exp);
            wrong++;
        }
        n++;
    }
    free(text);
    assert_int_equal(n, 200);
    assert_int_equal(wrong, 0);
}

/* Share of hosts whose gitVersion is left "other" over the whole file
 * (1,000 strings, 1.627M hosts). Printed for docs/classification.md. */
static void test_other_share(void **state)
{
    char *text = fixture_read("censys-2024-02-05-gitversions.csv", NULL);
    char *save = NULL;
    uint64_t hosts = 0, other = 0, per_vendor[KC_VENDOR__COUNT] = {0};
    strtok_r(text, "\n", &save);
    for (char *line = strtok_r(NULL, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[2];
        assert_int_equal(split(line, f, 2), 2);
        uint64_t count;
        assert_true(kc_parse_u64(f[1], 1, UINT64_MAX, &count));
        enum kc_vendor v = kc_vendor_classify(f[0], strlen(f[0]), NULL, 0);
        per_vendor[v] += count;
        hosts += count;
        if (v == KC_VENDOR_OTHER)
            other += count;
    }
    free(text);
    assert_int_equal(hosts, 1627001);
    printf("gitversion corpus: %" PRIu64 " hosts, other %" PRIu64
           " = %.3f%%\n",
           hosts, other, 100.0 * (double)other / (double)hosts);
    for (int v = 1; v < KC_VENDOR__COUNT; v++)
        printf("  %-10s %8" PRIu64 " %6.2f%%\n", kc_vendor_str(v),
               per_vendor[v], 100.0 * (double)per_vendor[v] / (double)hosts);
    /* The published analysis left 21.2% unclassified; ours must stay far
     * below that (a rule regression shows here). */
    assert_true(other * 100 < hosts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_vendor_rules),
        cmocka_unit_test(test_labelled_corpus),
        cmocka_unit_test(test_other_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
