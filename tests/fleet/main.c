/*
 * main.c - kcensus-fleet: options, truth file, READY line, run.
 *
 *   kcensus-fleet --spec SPEC [--truth FILE] [--duration SECONDS]
 *                 [--netns-wildcard | --no-wildcard] [--seed N]
 *                 [--prewarm-certs THREADS] [--threads N]
 *
 * Exit codes: 0 clean exit, 1 runtime failure, 2 usage.
 */
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"

struct options {
    const char *spec;
    const char *truth;
    uint64_t duration_ms;
    uint64_t seed;
    int wildcard; /* -1 auto, 0 never, 1 told */
    unsigned prewarm; /* threads issuing every leaf before READY */
    unsigned threads; /* event loops */
};

static void usage(FILE *f)
{
    fputs("usage: kcensus-fleet --spec SPEC [--truth FILE] [--duration SECONDS]\n"
          "                     [--netns-wildcard | --no-wildcard] [--seed N]\n"
          "                     [--prewarm-certs THREADS] [--threads N]\n"
          "Serves a simulated fleet of Kubernetes API servers on 127.0.0.0/8\n"
          "until SIGINT/SIGTERM or --duration, after writing the truth CSV and\n"
          "printing one READY line on stdout. --threads N: N event loops\n"
          "(1-16) sharing the listening addresses (SO_REUSEPORT).\n", f);
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"spec", required_argument, NULL, 's'},
        {"truth", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 'S'},
        {"netns-wildcard", no_argument, NULL, 'w'},
        {"no-wildcard", no_argument, NULL, 'W'},
        {"prewarm-certs", required_argument, NULL, 'P'},
        {"threads", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    o->wildcard = -1;
    while ((ch = getopt_long(argc, argv, "s:t:d:S:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': o->spec = optarg; break;
        case 't': o->truth = optarg; break;
        case 'd':
            if (!kc_parse_duration_ms(optarg, 1, 7 * 86400000ull,
                                      &o->duration_ms)) {
                fprintf(stderr, "kcensus-fleet: bad --duration '%s'\n", optarg);
                return 2;
            }
            break;
        case 'S':
            if (!kc_parse_u64(optarg, 1, UINT64_MAX, &o->seed)) {
                fprintf(stderr, "kcensus-fleet: bad --seed '%s'\n", optarg);
                return 2;
            }
            break;
        case 'P': {
            uint64_t t;
            if (!kc_parse_u64(optarg, 1, 16, &t)) {
                fprintf(stderr, "kcensus-fleet: --prewarm-certs takes 1-16 "
                                "(threads)\n");
                return 2;
            }
            o->prewarm = (unsigned)t;
            break;
        }
        case 'T': {
            uint64_t t;
            if (!kc_parse_u64(optarg, 1, 16, &t)) {
                fprintf(stderr, "kcensus-fleet: --threads takes 1-16\n");
                return 2;
            }
            o->threads = (unsigned)t;
            break;
        }
        case 'w': o->wildcard = 1; break;
        case 'W': o->wildcard = 0; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (!o->spec || optind != argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/*
 * True when binding the wildcard cannot expose anything: this network
 * namespace has no interface but loopback (what `unshare -n` gives). Asking
 * for pid 1's namespace does not work in every sandbox (/proc/1 may be
 * unreadable), and an interface list is what actually matters.
 */
static bool in_private_netns(void)
{
    struct if_nameindex *ifs = if_nameindex();
    bool only_lo = ifs != NULL;
    for (struct if_nameindex *i = ifs; i && i->if_index != 0; i++)
        if (strcmp(i->if_name, "lo") != 0)
            only_lo = false;
    if (ifs)
        if_freenameindex(ifs);
    return only_lo;
}

static int write_truth(const struct fleet_plan *plan, const char *path)
{
    char tmp[4096];
    kc_snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror(tmp);
        return -1;
    }
    int rc = fleet_truth_write(plan, f);
    if (fclose(f) != 0 || rc < 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "kcensus-fleet: cannot write %s\n", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void print_ready(const struct fleet_plan *plan, const char *truth,
                        const struct fleet_server *s)
{
    struct kc_addr a;
    char first[32], last[32];
    kc_addr_set_v4(&a, plan->base);
    kc_addr_format(&a, first, sizeof(first));
    kc_addr_set_v4(&a, plan->base + plan->n_members - 1);
    kc_addr_format(&a, last, sizeof(last));
    printf("READY fleet members=%u addrs=%s-%s ports=", plan->n_members, first,
           last);
    for (size_t i = 0; i < plan->n_ports; i++)
        printf("%s%u", i ? "," : "", plan->ports[i]);
    size_t wild = fleet_server_wildcard_ports(s);
    printf(" truth=%s listeners=%zu bind=%s\n", truth ? truth : "-",
           fleet_server_listeners(s),
           wild == plan->n_ports ? "wildcard" : wild ? "mixed" : "per-address");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    bool private_ns = in_private_netns();
    if (o.wildcard == 1 && !private_ns) {
        fprintf(stderr, "kcensus-fleet: --netns-wildcard outside a private "
                        "network namespace: refusing to bind 0.0.0.0\n");
        return 2;
    }
    bool wildcard = o.wildcard == 1 || (o.wildcard == -1 && private_ns);

    struct fleet_plan plan;
    struct kc_error err = {0};
    if (fleet_plan_load(&plan, o.spec, o.seed, &err) < 0) {
        fprintf(stderr, "kcensus-fleet: %s\n", err.msg);
        return 2;
    }
    if (o.truth && write_truth(&plan, o.truth) < 0) {
        fleet_plan_free(&plan);
        return 1;
    }
    struct fleet_server *s = NULL;
    struct fleet_server_config cfg = {
        .plan = &plan, .wildcard = wildcard, .duration_ms = o.duration_ms,
        .prewarm_threads = o.prewarm, .threads = o.threads};
    rc = fleet_server_new(&s, &plan, &cfg, &err);
    if (rc < 0) {
        fprintf(stderr, "kcensus-fleet: %s\n", err.msg);
        fleet_server_free(s);
        fleet_plan_free(&plan);
        return 1;
    }
    print_ready(&plan, o.truth, s);
    if (fleet_server_run(s) < 0)
        fprintf(stderr, "kcensus-fleet: not every --threads loop started\n");
    fprintf(stderr, "kcensus-fleet: stopped after %llu connections",
            (unsigned long long)fleet_server_accepted(s));
    if (fleet_server_threads(s) > 1) {
        fputs(" (per thread:", stderr);
        for (unsigned i = 0; i < fleet_server_threads(s); i++)
            fprintf(stderr, " %llu",
                    (unsigned long long)fleet_server_accepted_by(s, i));
        fputs(")", stderr);
    }
    fputs("\n", stderr);
    int closed = fleet_server_free(s);
    fleet_plan_free(&plan);
    if (closed != 0) {
        fprintf(stderr, "kcensus-fleet: event loop did not close cleanly\n");
        return 1;
    }
    return 0;
}
