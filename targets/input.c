/*
 * input.c - one line of a target list, in each supported format: plain
 * specs, ZMap CSV, masscan -oL and -oJ, JSON lines (Censys/Shodan style).
 * Lines are parsed one at a time so files and streams share the code.
 */
#include <jansson.h>
#include <string.h>

#include "targets-private.h"

static char *trim(char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
                     s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

bool kc_input_line_blank(const char *line)
{
    line += strspn(line, " \t\r\n");
    return *line == '\0' || *line == '#';
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

enum kc_input_format kc_input_detect(const char *line)
{
    line += strspn(line, " \t");
    if (line[0] == '[' && line[1] != '\0' && strchr(line, ']') &&
        !strchr(line, '{'))
        return KC_INPUT_PLAIN; /* "[2001:db8::1]:443" */
    if (line[0] == '{' || line[0] == '[')
        return strstr(line, "\"ports\"") ? KC_INPUT_MASSCAN_JSON
                                         : KC_INPUT_JSONL;
    if (has_prefix(line, "open ") || has_prefix(line, "closed ") ||
        has_prefix(line, "banner "))
        return KC_INPUT_MASSCAN_LIST;
    if (strchr(line, ',') || has_prefix(line, "saddr"))
        return KC_INPUT_ZMAP;
    return KC_INPUT_PLAIN;
}

void kc_zmap_cols_init(struct kc_zmap_cols *c)
{
    c->saddr = 0;
    c->sport = 1;
    c->seen_line = false;
}

/* A single address with no port of its own (list formats). */
static bool single_addr(const char *s, struct kc_spec *sp)
{
    if (!kc_spec_parse(s, sp))
        return false;
    return sp->kind == KC_SPEC_RANGE && sp->lo == sp->hi && sp->port == 0;
}

/* Splits s in place on sep into at most max fields. */
static size_t split(char *s, char sep, char **f, size_t max)
{
    size_t n = 0;
    while (n < max) {
        char *e;
        f[n++] = s;
        if ((e = strchr(s, sep)) == NULL)
            break;
        *e = '\0';
        s = e + 1;
        if (sep == ' ')
            s += strspn(s, " ");
    }
    return n;
}

static enum kc_line_result parse_zmap(char *line, struct kc_zmap_cols *zc,
                                      struct kc_line_items *out)
{
    char *f[32];
    size_t n = split(line, ',', f, KC_ARRAY_LEN(f));
    bool first = !zc->seen_line;
    zc->seen_line = true;
    if (first && !single_addr(trim(f[0]), &out->spec)) {
        /* A header names the columns: find ours. */
        zc->saddr = zc->sport = -1;
        for (size_t i = 0; i < n; i++) {
            char *c = trim(f[i]);
            if (strcmp(c, "saddr") == 0)
                zc->saddr = (int)i;
            else if (strcmp(c, "sport") == 0)
                zc->sport = (int)i;
        }
        return zc->saddr >= 0 ? KC_LINE_SKIP : KC_LINE_BAD;
    }
    if (zc->saddr < 0 || (size_t)zc->saddr >= n ||
        !single_addr(trim(f[zc->saddr]), &out->spec))
        return KC_LINE_BAD;
    if (zc->sport >= 0 && (size_t)zc->sport < n &&
        !kc_parse_port(trim(f[zc->sport]), &out->spec.port))
        return KC_LINE_BAD;
    return KC_LINE_ITEM;
}

static enum kc_line_result parse_masscan_list(char *line,
                                              struct kc_line_items *out)
{
    char *f[8];
    size_t n = split(line, ' ', f, KC_ARRAY_LEN(f));
    if (n < 4)
        return KC_LINE_BAD;
    if (strcmp(f[0], "open") != 0 || strcmp(f[1], "tcp") != 0)
        return KC_LINE_SKIP; /* banners, closed ports, UDP */
    if (!single_addr(f[3], &out->spec) ||
        !kc_parse_port(f[2], &out->spec.port))
        return KC_LINE_BAD;
    return KC_LINE_ITEM;
}

/* A JSON port: integer or decimal string. */
static bool json_port(json_t *v, uint16_t *port)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 1 || i > 65535)
            return false;
        *port = (uint16_t)i;
        return true;
    }
    return json_is_string(v) && kc_parse_port(json_string_value(v), port);
}

/* masscan's "ports": [{"port": 6443, "proto": "tcp", "status": "open"}]. */
static bool json_ports(json_t *arr, struct kc_line_items *out)
{
    size_t i;
    json_t *p;
    json_array_foreach(arr, i, p) {
        json_t *proto = json_object_get(p, "proto");
        json_t *status = json_object_get(p, "status");
        uint16_t port;
        if (!json_is_object(p) || !json_port(json_object_get(p, "port"), &port))
            return false;
        if ((proto && (!json_is_string(proto) ||
                       strcmp(json_string_value(proto), "tcp") != 0)) ||
            (status && (!json_is_string(status) ||
                        strcmp(json_string_value(status), "open") != 0)))
            continue;
        if (out->n_ports >= KC_TARGETS_MAX_PORTS)
            return false;
        out->ports[out->n_ports++] = port;
    }
    return true;
}

static enum kc_line_result parse_json(char *line, struct kc_line_items *out)
{
    size_t n = strlen(line);
    json_t *o, *ip, *port, *ports;
    enum kc_line_result r = KC_LINE_BAD;

    if (strcmp(line, "[") == 0 || strcmp(line, "]") == 0)
        return KC_LINE_SKIP; /* masscan -oJ wraps objects in an array */
    if (n > 0 && line[n - 1] == ',')
        line[--n] = '\0';
    o = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o))
        goto out;
    if (json_object_get(o, "finished")) {
        r = KC_LINE_SKIP; /* masscan's closing {finished: 1} */
        goto out;
    }
    /* Shodan has "ip" as an integer next to "ip_str": take the string. */
    ip = json_object_get(o, "ip");
    if (!json_is_string(ip))
        ip = json_object_get(o, "ip_str");
    if (!json_is_string(ip) || !single_addr(json_string_value(ip), &out->spec))
        goto out;
    port = json_object_get(o, "port");
    ports = json_object_get(o, "ports");
    if (port && !json_port(port, &out->spec.port))
        goto out;
    if (json_is_array(ports)) {
        if (!json_ports(ports, out))
            goto out;
        if (out->n_ports == 0 && out->spec.port == 0) {
            r = KC_LINE_SKIP; /* nothing open on this line */
            goto out;
        }
    } else if (ports != NULL) {
        goto out;
    }
    r = KC_LINE_ITEM;
out:
    json_decref(o);
    return r;
}

enum kc_line_result kc_input_parse_line(enum kc_input_format fmt, char *line,
                                        struct kc_zmap_cols *zc,
                                        struct kc_line_items *out)
{
    char *s = trim(line);
    memset(out, 0, sizeof(*out));
    if (*s == '\0' || *s == '#')
        return KC_LINE_SKIP;
    switch (fmt) {
    case KC_INPUT_AUTO:
    case KC_INPUT_PLAIN: {
        char *hash = strchr(s, '#');
        if (hash != NULL)
            *hash = '\0';
        s = trim(s);
        return kc_spec_parse(s, &out->spec) ? KC_LINE_ITEM : KC_LINE_BAD;
    }
    case KC_INPUT_ZMAP:
        return parse_zmap(s, zc, out);
    case KC_INPUT_MASSCAN_LIST:
        return parse_masscan_list(s, out);
    case KC_INPUT_MASSCAN_JSON:
    case KC_INPUT_JSONL:
        return parse_json(s, out);
    }
    return KC_LINE_BAD;
}

static const char *const format_names[] = {
    [KC_INPUT_AUTO] = "auto",
    [KC_INPUT_PLAIN] = "plain",
    [KC_INPUT_ZMAP] = "zmap",
    [KC_INPUT_MASSCAN_LIST] = "masscan-list",
    [KC_INPUT_MASSCAN_JSON] = "masscan-json",
    [KC_INPUT_JSONL] = "jsonl",
};

const char *kc_input_format_str(enum kc_input_format f)
{
    return (size_t)f < KC_ARRAY_LEN(format_names) ? format_names[f] : "?";
}

bool kc_input_format_parse(const char *s, enum kc_input_format *out)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(format_names); i++) {
        if (strcmp(s, format_names[i]) == 0) {
            *out = (enum kc_input_format)i;
            return true;
        }
    }
    return false;
}
