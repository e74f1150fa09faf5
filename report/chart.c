/* chart.c - cairo charts: one drawing code, SVG or PNG surfaces. */
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define CHART_W 900.0
#define CHART_H 500.0
#define LABEL_MAX 96 /* bytes of a drawn label */
#define MAX_BARS 40

struct rgb {
    double r, g, b;
};

struct bar {
    char label[LABEL_MAX];
    uint64_t value;
    struct rgb color;
};

struct legend {
    const char *name;
    struct rgb color;
};

/* A bar chart, ready to draw. */
struct bars {
    char title[256];
    char subtitle[256];
    const char *y_label;
    const char *x_label;
    struct bar v[MAX_BARS];
    size_t n;
    struct legend legend[KC_EOL__COUNT];
    size_t n_legend;
};

static const char *const chart_names[KC_CHART__COUNT] = {
    [KC_CHART_MINOR] = "minor",
    [KC_CHART_VENDOR] = "vendor",
    [KC_CHART_POSTURE] = "posture",
};

const char *kc_chart_str(enum kc_chart c)
{
    return (unsigned)c < KC_CHART__COUNT ? chart_names[c] : "?";
}

static const struct rgb eol_colors[KC_EOL__COUNT] = {
    [KC_EOL_PAST] = {0.84, 0.15, 0.16},
    [KC_EOL_SUPPORTED] = {0.17, 0.63, 0.17},
    [KC_EOL_NEWER] = {0.50, 0.50, 0.80},
    [KC_EOL_NO_VERSION] = {0.70, 0.70, 0.70},
};

/* tab20-like palette for series. */
static const struct rgb palette[] = {
    {0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17},
    {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
    {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13},
    {0.09, 0.75, 0.81}, {0.68, 0.78, 0.91}, {1.00, 0.73, 0.47},
    {0.60, 0.87, 0.54}, {1.00, 0.60, 0.59}, {0.77, 0.69, 0.84},
    {0.77, 0.61, 0.58},
};

/* Labels drawn by cairo must be valid UTF-8 without controls. */
static void label_of(const char *s, char *out)
{
    if (s == NULL || *s == '\0')
        kc_strlcpy(out, "(none)", LABEL_MAX);
    else
        kc_text_sanitize(s, strlen(s), out, 40);
}

/* 1234567 -> "1,234,567" */
static void thousands(uint64_t v, char *out, size_t size)
{
    char tmp[32];
    size_t n = kc_snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
}

/* A "nice" axis step for a maximum value, ~5 ticks. */
static double nice_step(double max)
{
    double raw = max / 5.0, mag, f;
    if (raw <= 0)
        return 1;
    mag = pow(10, floor(log10(raw)));
    f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void set_rgb(cairo_t *cr, struct rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static void text_at(cairo_t *cr, double x, double y, const char *s,
                    double align)
{
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, x - ext.x_advance * align, y);
    cairo_show_text(cr, s);
}

static void draw_titles(cairo_t *cr, const char *title, const char *sub)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 16);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, CHART_W / 2, 26, title, 0.5);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    text_at(cr, CHART_W / 2, 46, sub, 0.5);
}

static void draw_legend(cairo_t *cr, const struct legend *l, size_t n,
                        double x, double y)
{
    cairo_set_font_size(cr, 11);
    for (size_t i = 0; i < n; i++) {
        set_rgb(cr, l[i].color);
        cairo_rectangle(cr, x, y + i * 16 - 9, 10, 10);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x + 14, y + i * 16, l[i].name, 0);
    }
}

/* Plot area and y axis with ticks; returns the scale top. */
static double draw_y_axis(cairo_t *cr, double x0, double y0, double x1,
                          double y1, double max, bool percent,
                          const char *y_label)
{
    double step = percent ? 0.2 : nice_step(max);
    if (!percent && step < 1)
        step = 1; /* host counts are whole numbers */
    double top = percent ? 1.0 : ceil(max / step) * step;
    if (top <= 0)
        top = step;
    cairo_set_font_size(cr, 10);
    cairo_set_line_width(cr, 1);
    for (double v = 0; v <= top + step / 2; v += step) {
        double y = y1 - (y1 - y0) * v / top;
        char t[32];
        if (percent)
            kc_snprintf(t, sizeof(t), "%.0f%%", v * 100);
        else
            thousands((uint64_t)llround(v), t, sizeof(t));
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x1, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x0 - 4, y + 3, t, 1.0);
    }
    cairo_save(cr);
    cairo_translate(cr, 18, (y0 + y1) / 2);
    cairo_rotate(cr, -M_PI / 2);
    cairo_set_font_size(cr, 11);
    text_at(cr, 0, 0, y_label, 0.5);
    cairo_restore(cr);
    return top;
}

static void draw_x_label(cairo_t *cr, double x, double y, const char *s,
                         bool rotate)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (!rotate) {
        text_at(cr, x, y + 14, s, 0.5);
        return;
    }
    cairo_save(cr);
    cairo_translate(cr, x + 3, y + 10);
    cairo_rotate(cr, -M_PI / 4);
    text_at(cr, 0, 0, s, 1.0);
    cairo_restore(cr);
}

static void draw_bars(cairo_t *cr, const void *ctx)
{
    const struct bars *b = ctx;
    double x0 = 80, y0 = 70, x1 = CHART_W - 150, y1 = CHART_H - 90;
    double max = 0, top, slot;
    bool rotate = b->n > 12;

    draw_titles(cr, b->title, b->subtitle);
    for (size_t i = 0; i < b->n; i++)
        if ((double)b->v[i].value > max)
            max = (double)b->v[i].value;
    top = draw_y_axis(cr, x0, y0, x1, y1, max, false, b->y_label);
    slot = b->n ? (x1 - x0) / (double)b->n : 0;
    cairo_set_font_size(cr, 10);
    for (size_t i = 0; i < b->n; i++) {
        double h = (y1 - y0) * (double)b->v[i].value / top;
        double x = x0 + slot * i;
        set_rgb(cr, b->v[i].color);
        cairo_rectangle(cr, x + slot * 0.1, y1 - h, slot * 0.8, h);
        cairo_fill(cr);
        draw_x_label(cr, x + slot / 2, y1, b->v[i].label, rotate);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x0, y1);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 11);
    text_at(cr, (x0 + x1) / 2, CHART_H - 12, b->x_label, 0.5);
    draw_legend(cr, b->legend, b->n_legend, x1 + 20, y0 + 10);
}

/* ------------------------------------------------------------------ */
/* Surfaces                                                            */
/* ------------------------------------------------------------------ */

static cairo_status_t to_buf(void *closure, const unsigned char *data,
                             unsigned int len)
{
    return kc_buf_append(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS
                                                  : CAIRO_STATUS_WRITE_ERROR;
}

typedef void (*draw_fn)(cairo_t *cr, const void *ctx);

static int render(draw_fn draw, const void *ctx, enum kc_image_format fmt,
                  struct kc_buf *out, struct kc_error *err)
{
    cairo_surface_t *s;
    cairo_t *cr;
    cairo_status_t st;

    if (fmt == KC_IMAGE_SVG)
        s = cairo_svg_surface_create_for_stream(to_buf, out, CHART_W,
                                                CHART_H);
    else
        s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)CHART_W,
                                       (int)CHART_H);
    cr = cairo_create(s);
    draw(cr, ctx);
    st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && fmt == KC_IMAGE_PNG)
        st = cairo_surface_write_to_png_stream(s, to_buf, out);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st == CAIRO_STATUS_NO_MEMORY)
        return kc_error_set(err, -ENOMEM, "chart: out of memory");
    if (st == CAIRO_STATUS_WRITE_ERROR)
        return kc_error_set(err, -ENOBUFS, "chart: larger than its buffer");
    if (st != CAIRO_STATUS_SUCCESS)
        return kc_error_set(err, -EIO, "chart: cairo: %s",
                            cairo_status_to_string(st));
    return 0;
}

/* ------------------------------------------------------------------ */
/* The charts of one report                                            */
/* ------------------------------------------------------------------ */

static void subtitle_of(const struct kc_report *r, char *out, size_t size)
{
    const struct kc_report_meta *m = kc_report_meta(r);
    char total[32], label[LABEL_MAX];
    uint64_t past = kc_report_eol_count(r, KC_EOL_PAST);
    uint64_t v1 = kc_report_denominator(r, KC_AGG_EOL);
    thousands(kc_report_total(r), total, sizeof(total));
    label_of(m->label, label);
    kc_snprintf(out, size,
                "scan %" PRId64 " %s, %s: %s Kubernetes %ss, %.1f%% of "
                "1.x versions past upstream EOL",
                m->scan_id, label, kc_report_date(r), total, m->unit,
                v1 ? 100.0 * past / v1 : 0.0);
}

static void fill_minor(const struct kc_report *r, struct bars *b)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, KC_AGG_MINOR, &n);
    static const enum kc_eol shown[] = {KC_EOL_PAST, KC_EOL_SUPPORTED,
                                        KC_EOL_NEWER, KC_EOL_NO_VERSION};
    kc_strlcpy(b->title, "Kubernetes API servers by minor version",
               sizeof(b->title));
    b->y_label = "hosts";
    b->x_label = "minor version (colour: upstream support on the scan date)";
    /* Keep the largest MAX_BARS minors, still in version order. */
    for (size_t i = 0; i < n && b->n < MAX_BARS; i++) {
        size_t larger = 0;
        for (size_t j = 0; j < n; j++)
            if (v[j].hosts > v[i].hosts)
                larger++;
        if (larger >= MAX_BARS)
            continue;
        label_of(v[i].key, b->v[b->n].label);
        b->v[b->n].value = v[i].hosts;
        b->v[b->n].color = eol_colors[v[i].eol];
        b->n++;
    }
    for (size_t i = 0; i < KC_ARRAY_LEN(shown); i++) {
        b->legend[i].name = kc_eol_str(shown[i]);
        b->legend[i].color = eol_colors[shown[i]];
    }
    b->n_legend = KC_ARRAY_LEN(shown);
}

/* Vendor and posture: bars in descending count, top MAX_BARS. */
static void fill_counts(const struct kc_report *r, enum kc_agg a,
                        struct bars *b)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    kc_snprintf(b->title, sizeof(b->title), "Kubernetes API servers by %s",
                a == KC_AGG_VENDOR ? "distribution (vendor)"
                                   : "anonymous-access posture");
    b->y_label = "hosts";
    b->x_label = a == KC_AGG_VENDOR ? "vendor" : "posture";
    for (size_t i = 0; i < n && b->n < MAX_BARS; i++) {
        label_of(v[i].key, b->v[b->n].label);
        b->v[b->n].value = v[i].hosts;
        b->v[b->n].color = palette[b->n % KC_ARRAY_LEN(palette)];
        b->n++;
    }
}

int kc_report_chart(const struct kc_report *r, enum kc_chart c,
                    enum kc_image_format fmt, struct kc_buf *out,
                    struct kc_error *err)
{
    struct bars *b = calloc(1, sizeof(*b));
    int rc;
    if (b == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    subtitle_of(r, b->subtitle, sizeof(b->subtitle));
    switch (c) {
    case KC_CHART_MINOR:
        fill_minor(r, b);
        break;
    case KC_CHART_VENDOR:
        fill_counts(r, KC_AGG_VENDOR, b);
        break;
    case KC_CHART_POSTURE:
        fill_counts(r, KC_AGG_POSTURE, b);
        break;
    case KC_CHART__COUNT:
        free(b);
        return kc_error_set(err, -EINVAL, "no such chart");
    }
    rc = render(draw_bars, b, fmt, out, err);
    free(b);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Trend: stacked shares per scan                                      */
/* ------------------------------------------------------------------ */

#define MAX_SERIES 10     /* the rest is "other": legible over 52 scans */
#define MAX_CANDIDATES 256 /* distinct keys considered for the series */
#define DATE_GAP 8.0       /* pixels between two date labels */

struct candidate {
    char key[LABEL_MAX];
    double peak; /* the largest share the key reaches in any scan */
};

struct trend_chart {
    const struct kc_trend *t;
    enum kc_agg agg;
    char series[MAX_SERIES][LABEL_MAX];
    size_t n_series;
    char title[128];
    char y_label[128];
    const char *other;
    char subtitle[256];
};

/* The share of key in one scan's aggregation (0 when absent or outside
 * the denominator). */
static double series_share(const struct kc_report *r, enum kc_agg a,
                           const char *key)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, a, &n);
    for (size_t i = 0; i < n; i++)
        if (v[i].has_share && strcmp(v[i].key, key) == 0)
            return v[i].share;
    return 0;
}

static void note_candidate(struct candidate *c, size_t *n,
                           const struct kc_agg_entry *e)
{
    size_t i;
    if (!e->has_share || e->key_len >= LABEL_MAX ||
        strlen(e->key) != e->key_len)
        return;
    for (i = 0; i < *n; i++)
        if (strcmp(c[i].key, e->key) == 0)
            break;
    if (i == *n) {
        if (*n == MAX_CANDIDATES)
            return;
        kc_strlcpy(c[i].key, e->key, LABEL_MAX);
        c[i].peak = 0;
        (*n)++;
    }
    if (e->share > c[i].peak)
        c[i].peak = e->share;
}

static int cmp_peak(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->peak != b->peak)
        return a->peak > b->peak ? -1 : 1;
    return kc_version_cmp(a->key, b->key);
}

static int cmp_series(const void *a, const void *b)
{
    return kc_version_cmp(a, b);
}

/* The MAX_SERIES keys with the largest peak share, stacked in version
 * (minor) or name order; the rest of each scan is drawn as "other". */
static int pick_series(struct trend_chart *c)
{
    struct candidate *cand = calloc(MAX_CANDIDATES, sizeof(*cand));
    size_t n = 0;
    if (cand == NULL)
        return -ENOMEM;
    for (size_t s = 0; s < kc_trend_len(c->t); s++) {
        size_t ne;
        const struct kc_agg_entry *v =
            kc_report_entries(kc_trend_at(c->t, s), c->agg, &ne);
        for (size_t i = 0; i < ne; i++)
            note_candidate(cand, &n, &v[i]);
    }
    qsort(cand, n, sizeof(*cand), cmp_peak);
    for (size_t i = 0; i < n && c->n_series < MAX_SERIES; i++)
        kc_strlcpy(c->series[c->n_series++], cand[i].key, LABEL_MAX);
    qsort(c->series, c->n_series, LABEL_MAX, cmp_series);
    free(cand);
    return 0;
}

/* EOL statuses keep their meaning's colour, a missing value (an import's
 * postures) is neutral; other series take the palette. */
static struct rgb series_color(const struct trend_chart *c, size_t k)
{
    if (strcmp(c->series[k], KC_KEY_NOT_RECORDED) == 0)
        return (struct rgb){0.62, 0.66, 0.72};
    if (c->agg == KC_AGG_EOL)
        for (size_t e = 0; e < KC_EOL__COUNT; e++)
            if (strcmp(c->series[k], kc_eol_str((enum kc_eol)e)) == 0)
                return eol_colors[e];
    return palette[k % KC_ARRAY_LEN(palette)];
}

static const struct rgb other_color = {0.85, 0.85, 0.85};

static void draw_stack(cairo_t *cr, const struct trend_chart *c,
                       const struct kc_report *r, double x, double w,
                       double y0, double y1)
{
    double y = y1, rest = 1.0;
    if (kc_report_denominator(r, c->agg) == 0)
        return; /* nothing to share out: an empty column */
    for (size_t k = 0; k <= c->n_series; k++) {
        double share = k < c->n_series
                           ? series_share(r, c->agg, c->series[k])
                           : rest;
        double h = (y1 - y0) * (share > 0 ? share : 0);
        rest -= share;
        set_rgb(cr, k < c->n_series ? series_color(c, k) : other_color);
        cairo_rectangle(cr, x, y - h, w, h);
        cairo_fill(cr);
        y -= h;
    }
}

/* Every step-th scan gets its date, horizontally, so that no two labels
 * overlap however many scans there are (52 weekly scans: every 5th). */
static size_t date_step(cairo_t *cr, size_t n, double slot)
{
    cairo_text_extents_t ext;
    size_t step;
    cairo_text_extents(cr, "0000-00-00", &ext);
    if (slot <= 0)
        return 1;
    step = (size_t)ceil((ext.x_advance + DATE_GAP) / slot);
    return step > 0 && step < n ? step : (n ? n : 1);
}

static void draw_trend(cairo_t *cr, const void *ctx)
{
    const struct trend_chart *c = ctx;
    size_t n = kc_trend_len(c->t), step;
    double x0 = 80, y0 = 70, x1 = CHART_W - 150, y1 = CHART_H - 90;
    double slot = n ? (x1 - x0) / (double)n : 0;
    struct legend lg[MAX_SERIES + 1];

    draw_titles(cr, c->title, c->subtitle);
    draw_y_axis(cr, x0, y0, x1, y1, 1.0, true, c->y_label);
    cairo_set_font_size(cr, 10);
    step = date_step(cr, n, slot);
    for (size_t s = 0; s < n; s++) {
        const struct kc_report *r = kc_trend_at(c->t, s);
        double x = x0 + slot * s;
        draw_stack(cr, c, r, x + slot * 0.15, slot * 0.7, y0, y1);
        if (s % step == 0) {
            cairo_set_font_size(cr, 10);
            draw_x_label(cr, x + slot / 2, y1, kc_report_date(r), false);
        }
    }
    for (size_t k = 0; k < c->n_series; k++) {
        lg[k].name = c->series[c->n_series - 1 - k];
        lg[k].color = series_color(c, c->n_series - 1 - k);
    }
    lg[c->n_series].name = c->other;
    lg[c->n_series].color = other_color;
    cairo_set_font_size(cr, 11);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, (x0 + x1) / 2, CHART_H - 12, "scan date", 0.5);
    draw_legend(cr, lg, c->n_series + 1, x1 + 20, y0 + 10);
}

/* Titles and the denominator named on the y axis. */
static int describe_trend(struct trend_chart *c)
{
    const struct kc_report *first = kc_trend_at(c->t, 0);
    const char *unit = first ? kc_report_meta(first)->unit : "endpoint";
    switch (c->agg) {
    case KC_AGG_MINOR:
        kc_strlcpy(c->title, "Kubernetes minor versions over time",
                   sizeof(c->title));
        kc_snprintf(c->y_label, sizeof(c->y_label),
                    "share of %ss that showed a version", unit);
        c->other = "other minors";
        return 0;
    case KC_AGG_EOL:
        kc_strlcpy(c->title, "Upstream end of life over time",
                   sizeof(c->title));
        kc_snprintf(c->y_label, sizeof(c->y_label),
                    "share of %ss showing a 1.x version", unit);
        c->other = "other";
        return 0;
    case KC_AGG_POSTURE:
        kc_strlcpy(c->title, "Anonymous-access posture over time",
                   sizeof(c->title));
        kc_snprintf(c->y_label, sizeof(c->y_label),
                    "share of Kubernetes %ss", unit);
        c->other = "other postures";
        return 0;
    case KC_AGG_GIT_VERSION:
    case KC_AGG_VENDOR:
    case KC_AGG_PORT:
    case KC_AGG_COUNTRY:
    case KC_AGG_ASN:
    case KC_AGG_POSTURE_VENDOR:
    case KC_AGG_MINOR_VENDOR:
    case KC_AGG__COUNT:
        break;
    }
    return -EINVAL;
}

int kc_trend_chart(const struct kc_trend *t, enum kc_agg a,
                   enum kc_image_format fmt, struct kc_buf *out,
                   struct kc_error *err)
{
    struct trend_chart *c = calloc(1, sizeof(*c));
    size_t n = kc_trend_len(t);
    int rc;
    if (c == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    c->t = t;
    c->agg = a;
    if (describe_trend(c) < 0) {
        free(c);
        return kc_error_set(err, -EINVAL, "no trend chart of %s",
                            kc_agg_str(a));
    }
    if (pick_series(c) < 0) {
        free(c);
        return kc_error_set(err, -ENOMEM, "out of memory");
    }
    kc_snprintf(c->subtitle, sizeof(c->subtitle), "%zu scans, %s to %s", n,
                n ? kc_report_date(kc_trend_at(t, 0)) : "-",
                n ? kc_report_date(kc_trend_at(t, n - 1)) : "-");
    rc = render(draw_trend, c, fmt, out, err);
    free(c);
    return rc;
}

void kc_report_graphics_release(void)
{
    /* cairo first: its font map holds fontconfig patterns FcFini frees. */
    cairo_debug_reset_static_data();
    FcFini();
}
