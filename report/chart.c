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
    uint64_t versioned =
        kc_report_total(r) - kc_report_eol_count(r, KC_EOL_NO_VERSION);
    thousands(kc_report_total(r), total, sizeof(total));
    label_of(m->label, label);
    kc_snprintf(out, size,
                "scan %" PRId64 " %s, %s: %s Kubernetes %ss, %.1f%% of "
                "versioned past upstream EOL",
                m->scan_id, label, kc_report_date(r), total, m->unit,
                versioned ? 100.0 * past / versioned : 0.0);
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
/* Trend: stacked shares of minors per scan                            */
/* ------------------------------------------------------------------ */

#define MAX_SERIES 15 /* the rest is "other" */

struct trend_chart {
    const struct kc_trend *t;
    char series[MAX_SERIES][LABEL_MAX];
    size_t n_series;
    char subtitle[256];
};

static bool series_has(const struct trend_chart *c, const char *key)
{
    for (size_t i = 0; i < c->n_series; i++)
        if (strcmp(c->series[i], key) == 0)
            return true;
    return false;
}

static int cmp_series(const void *a, const void *b)
{
    return kc_version_cmp(a, b);
}

static void add_series(struct trend_chart *c, double cut)
{
    for (size_t s = 0; s < kc_trend_len(c->t); s++) {
        size_t n;
        const struct kc_agg_entry *v =
            kc_report_entries(kc_trend_at(c->t, s), KC_AGG_MINOR, &n);
        for (size_t i = 0; i < n; i++)
            if (*v[i].key && v[i].share >= cut &&
                c->n_series < MAX_SERIES && !series_has(c, v[i].key) &&
                strlen(v[i].key) < LABEL_MAX)
                kc_strlcpy(c->series[c->n_series++], v[i].key, LABEL_MAX);
    }
}

/* Series: minors that reach 2% of some scan (any minor when none does),
 * capped; the rest is drawn as "other". */
static void pick_series(struct trend_chart *c)
{
    add_series(c, 0.02);
    if (c->n_series == 0)
        add_series(c, 0.0);
    qsort(c->series, c->n_series, LABEL_MAX, cmp_series);
}

static double series_share(const struct kc_report *r, const char *key)
{
    size_t n;
    const struct kc_agg_entry *v = kc_report_entries(r, KC_AGG_MINOR, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0)
            return v[i].share;
    return 0;
}

static void draw_trend(cairo_t *cr, const void *ctx)
{
    const struct trend_chart *c = ctx;
    size_t n = kc_trend_len(c->t);
    double x0 = 80, y0 = 70, x1 = CHART_W - 150, y1 = CHART_H - 90;
    double slot = n ? (x1 - x0) / (double)n : 0;
    struct legend lg[MAX_SERIES + 1];

    draw_titles(cr, "Kubernetes minor versions over time (share of hosts)",
                c->subtitle);
    draw_y_axis(cr, x0, y0, x1, y1, 1.0, true, "share of Kubernetes hosts");
    for (size_t s = 0; s < n; s++) {
        const struct kc_report *r = kc_trend_at(c->t, s);
        double y = y1, x = x0 + slot * s, rest = 1.0;
        char date[16];
        for (size_t k = 0; k <= c->n_series; k++) {
            double share = k < c->n_series ? series_share(r, c->series[k])
                                           : rest;
            double h = (y1 - y0) * (share > 0 ? share : 0);
            rest -= share;
            set_rgb(cr, k < c->n_series
                            ? palette[k % KC_ARRAY_LEN(palette)]
                            : (struct rgb){0.85, 0.85, 0.85});
            cairo_rectangle(cr, x + slot * 0.15, y - h, slot * 0.7, h);
            cairo_fill(cr);
            y -= h;
        }
        kc_strlcpy(date, kc_report_date(r), sizeof(date));
        cairo_set_font_size(cr, 10);
        draw_x_label(cr, x + slot / 2, y1, date, n > 8);
    }
    for (size_t k = 0; k < c->n_series; k++) {
        lg[k].name = c->series[c->n_series - 1 - k];
        lg[k].color = palette[(c->n_series - 1 - k) % KC_ARRAY_LEN(palette)];
    }
    lg[c->n_series].name = "other / no version";
    lg[c->n_series].color = (struct rgb){0.85, 0.85, 0.85};
    cairo_set_font_size(cr, 11);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, (x0 + x1) / 2, CHART_H - 12, "scan date", 0.5);
    draw_legend(cr, lg, c->n_series + 1, x1 + 20, y0 + 10);
}

int kc_trend_chart(const struct kc_trend *t, enum kc_image_format fmt,
                   struct kc_buf *out, struct kc_error *err)
{
    struct trend_chart *c = calloc(1, sizeof(*c));
    int rc;
    if (c == NULL)
        return kc_error_set(err, -ENOMEM, "out of memory");
    c->t = t;
    pick_series(c);
    kc_snprintf(c->subtitle, sizeof(c->subtitle), "%zu scans, %s to %s",
                kc_trend_len(t),
                kc_trend_len(t) ? kc_report_date(kc_trend_at(t, 0)) : "-",
                kc_trend_len(t)
                    ? kc_report_date(kc_trend_at(t, kc_trend_len(t) - 1))
                    : "-");
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
