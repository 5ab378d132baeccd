/* svg: server-side SVG charts of the admin UI (spec/40 §6.5, §6.9).
 *
 * Owns: the geometry of the three chart kinds: the daily-trend bar chart,
 * the mini line chart (the same drawing the dashboard's live panel does in
 * admin.js) and the performance sparkline. Promises: pure functions that
 * append one self-contained <svg> element to a buffer; every label goes
 * through the HTML escaper; colours are CSS classes or the caller's
 * literals, never data; no inline script or event handler (hover effects
 * are CSS, the hover caption is wired by admin.js from data-* attributes).
 * Never: reads a request, the database or the clock. */
#ifndef ECHELON_ADMIN_SVG_H
#define ECHELON_ADMIN_SVG_H
#include <stddef.h>
#include "core/buf.h"

/* ---- daily trend (spec/40 §6.5) ---- */
#define SVG_TREND_WIDTH 600
#define SVG_TREND_BARS_H 160
#define SVG_TREND_LABELS_H 30

typedef struct svg_day {
    const char *date;          /* "YYYY-MM-DD" */
    long long visits;
    long long visitors;
} svg_day_t;

/* Bar geometry, exposed for tests: bar width max(4, (600 - 2n)/n), bar
 * height max(1, v/max * 160), label every max(1, n/8)-th bar. */
double svg_trend_bar_width(size_t n);
double svg_trend_bar_height(long long v, long long max);
size_t svg_trend_label_step(size_t n);

/* Appends the chart; n == 0 appends nothing and returns 0. Returns the
 * number of bars drawn. */
size_t svg_trend_chart(buf_t *out, const svg_day_t *days, size_t n);

/* ---- mini line chart (spec/40 §6.5) ---- */
typedef struct svg_pt {
    const char *label;         /* "HH:MM" / "HH:00" */
    long long count;
} svg_pt_t;

#define SVG_LINE_PAD 30
/* Appends an <svg> width x height; `color` is a literal CSS colour chosen by
 * the caller (e.g. "#ff6600"). Empty series -> a "No data" text element.
 * Returns the number of points drawn. */
size_t svg_line_chart(buf_t *out, const svg_pt_t *pts, size_t n, int width, int height,
                      const char *color);
/* x of point i of n in a chart of `width` (evenly spaced by index). */
double svg_line_x(size_t i, size_t n, int width);
/* y of value v (scaled to max(maxv, 1)) in a chart of `height`. */
double svg_line_y(long long v, long long maxv, int height);
/* X-axis label positions: every max(1, n/5)-th point plus the last. */
int svg_line_has_label(size_t i, size_t n);

/* ---- performance sparkline (spec/40 §6.9) ---- */
typedef struct svg_spark {
    double value;
    const char *tooltip;       /* "<value> (<date>)" */
} svg_spark_t;

/* Bar height in px: 12 when all values are equal, else
 * max(2, (v - min)/(max - min) * 24). */
double svg_spark_height(double v, double min, double max);
size_t svg_sparkline(buf_t *out, const svg_spark_t *v, size_t n);
#endif
