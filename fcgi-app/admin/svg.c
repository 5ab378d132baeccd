/* svg.c -- server-side SVG charts (see svg.h; spec/40 §6.5, §6.9).
 *
 * Numbers are printed with at most two decimals ("%.2f" trimmed), so the
 * markup stays small and byte-stable for tests. The daily-trend chart keeps
 * the spec's bar width even when many days do not fit 600 px: the viewBox
 * grows instead and the SVG scales down to the panel width (CSS). */
#include "admin/svg.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "admin/html.h"

static void num(buf_t *out, double v)
{
    char tmp[48];
    if (!isfinite(v)) v = 0;
    snprintf(tmp, sizeof tmp, "%.2f", v);
    char *dot = strchr(tmp, '.');
    if (dot) {
        char *e = tmp + strlen(tmp) - 1;
        while (e > dot && *e == '0') *e-- = '\0';
        if (e == dot) *e = '\0';
    }
    if (strcmp(tmp, "-0") == 0) strcpy(tmp, "0");
    buf_puts(out, tmp);
}

static void esc(buf_t *out, const char *s)
{
    if (s) html_escape_buf(out, s, strlen(s));
}

/* ---------------------------------------------------------------- trend */

double svg_trend_bar_width(size_t n)
{
    if (n == 0) return 0;
    double w = ((double)SVG_TREND_WIDTH - 2.0 * (double)n) / (double)n;
    return w < 4 ? 4 : w;
}

double svg_trend_bar_height(long long v, long long max)
{
    if (max <= 0) return 1;
    double h = (double)v / (double)max * SVG_TREND_BARS_H;
    return h < 1 ? 1 : h;
}

size_t svg_trend_label_step(size_t n)
{
    size_t s = n / 8;
    return s < 1 ? 1 : s;
}

size_t svg_trend_chart(buf_t *out, const svg_day_t *days, size_t n)
{
    if (n == 0) return 0;
    long long max = 0;
    for (size_t i = 0; i < n; i++)
        if (days[i].visits > max) max = days[i].visits;
    double bw = svg_trend_bar_width(n);
    double total_w = (double)n * (bw + 2.0);
    if (total_w < SVG_TREND_WIDTH) total_w = SVG_TREND_WIDTH;
    size_t step = svg_trend_label_step(n);
    int h = SVG_TREND_BARS_H + SVG_TREND_LABELS_H;

    buf_puts(out, "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
    num(out, total_w);
    buf_printf(out, " %d\" width=\"", h);
    num(out, total_w);
    buf_printf(out, "\" height=\"%d\" role=\"img\" aria-label=\"Daily trend\">", h);
    for (size_t i = 0; i < n; i++) {
        double x = (double)i * (bw + 2.0);
        double bh = svg_trend_bar_height(days[i].visits, max);
        double y = SVG_TREND_BARS_H - bh;
        buf_puts(out, "<g class=\"bar\" data-date=\"");
        esc(out, days[i].date);
        buf_printf(out, "\" data-visits=\"%lld\" data-visitors=\"%lld\"><title>", days[i].visits,
                   days[i].visitors);
        esc(out, days[i].date);
        buf_printf(out, ": %lld views, %lld visitors</title><rect x=\"", days[i].visits,
                   days[i].visitors);
        num(out, x);
        buf_puts(out, "\" y=\"");
        num(out, y);
        buf_puts(out, "\" width=\"");
        num(out, bw);
        buf_puts(out, "\" height=\"");
        num(out, bh);
        buf_puts(out, "\"/><text class=\"val\" x=\"");
        num(out, x + bw / 2);
        buf_puts(out, "\" y=\"");
        num(out, y - 3 < 9 ? 9 : y - 3);
        buf_printf(out, "\" text-anchor=\"middle\">%lld</text></g>", days[i].visits);
        if (i % step == 0) {
            const char *d = days[i].date ? days[i].date : "";
            const char *md = strlen(d) >= 10 ? d + 5 : d;   /* MM-DD */
            buf_puts(out, "<text class=\"lbl\" x=\"");
            num(out, x + bw / 2);
            buf_printf(out, "\" y=\"%d\" text-anchor=\"middle\">", SVG_TREND_BARS_H + 14);
            html_escape_buf(out, md, strnlen(md, 5));
            buf_puts(out, "</text>");
        }
    }
    buf_puts(out, "</svg>");
    return n;
}

/* ----------------------------------------------------------------- line */

double svg_line_x(size_t i, size_t n, int width)
{
    double span = (double)width - 2.0 * SVG_LINE_PAD;
    if (n <= 1) return SVG_LINE_PAD + span / 2;
    return SVG_LINE_PAD + (double)i * span / (double)(n - 1);
}

double svg_line_y(long long v, long long maxv, int height)
{
    double ph = (double)height - 30.0;
    double m = maxv < 1 ? 1 : (double)maxv;
    return 10.0 + ph - (double)v / m * ph;
}

int svg_line_has_label(size_t i, size_t n)
{
    if (n == 0) return 0;
    size_t step = n / 5 < 1 ? 1 : n / 5;
    return i % step == 0 || i == n - 1;
}

size_t svg_line_chart(buf_t *out, const svg_pt_t *pts, size_t n, int width, int height,
                      const char *color)
{
    buf_printf(out, "<svg class=\"line\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "width=\"%d\" height=\"%d\">", width, height, width, height);
    if (n == 0) {
        buf_printf(out, "<text class=\"nodata\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">No data</text></svg>",
                   width / 2, height / 2);
        return 0;
    }
    long long maxv = 1;
    for (size_t i = 0; i < n; i++)
        if (pts[i].count > maxv) maxv = pts[i].count;
    for (int g = 0; g <= 4; g++) {
        long long gv = (long long)llround((double)maxv * g / 4.0);
        double y = svg_line_y(0, 1, height) - ((double)g / 4.0) * ((double)height - 30.0);
        buf_printf(out, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"", SVG_LINE_PAD,
                   width - SVG_LINE_PAD);
        num(out, y);
        buf_puts(out, "\" y2=\"");
        num(out, y);
        buf_printf(out, "\"/><text class=\"axis\" x=\"%d\" y=\"", SVG_LINE_PAD - 4);
        num(out, y + 3);
        buf_printf(out, "\" text-anchor=\"end\">%lld</text>", gv);
    }
    /* area under the line, then the line itself */
    buf_puts(out, "<polygon fill=\"");
    esc(out, color);
    buf_puts(out, "\" fill-opacity=\"0.1\" points=\"");
    num(out, svg_line_x(0, n, width));
    buf_putc(out, ',');
    num(out, svg_line_y(0, maxv, height));
    for (size_t i = 0; i < n; i++) {
        buf_putc(out, ' ');
        num(out, svg_line_x(i, n, width));
        buf_putc(out, ',');
        num(out, svg_line_y(pts[i].count, maxv, height));
    }
    buf_putc(out, ' ');
    num(out, svg_line_x(n - 1, n, width));
    buf_putc(out, ',');
    num(out, svg_line_y(0, maxv, height));
    buf_puts(out, "\"/><polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"");
    esc(out, color);
    buf_puts(out, "\" points=\"");
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(out, ' ');
        num(out, svg_line_x(i, n, width));
        buf_putc(out, ',');
        num(out, svg_line_y(pts[i].count, maxv, height));
    }
    buf_puts(out, "\"/>");
    for (size_t i = 0; i < n; i++) {
        if (!svg_line_has_label(i, n)) continue;
        buf_puts(out, "<text class=\"xl\" x=\"");
        num(out, svg_line_x(i, n, width));
        buf_printf(out, "\" y=\"%d\" text-anchor=\"middle\">", height - 4);
        esc(out, pts[i].label);
        buf_puts(out, "</text>");
    }
    buf_puts(out, "</svg>");
    return n;
}

/* ------------------------------------------------------------ sparkline */

double svg_spark_height(double v, double min, double max)
{
    if (!(max > min)) return 12;
    double h = (v - min) / (max - min) * 24.0;
    return h < 2 ? 2 : h;
}

size_t svg_sparkline(buf_t *out, const svg_spark_t *v, size_t n)
{
    if (n == 0) return 0;
    double min = v[0].value, max = v[0].value;
    for (size_t i = 1; i < n; i++) {
        if (v[i].value < min) min = v[i].value;
        if (v[i].value > max) max = v[i].value;
    }
    double w = 100.0 / (double)n;
    buf_puts(out, "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 24\" "
                  "preserveAspectRatio=\"none\" width=\"100%\" height=\"24\">");
    for (size_t i = 0; i < n; i++) {
        double h = svg_spark_height(v[i].value, min, max);
        buf_puts(out, "<rect fill=\"#ff6600\" x=\"");
        num(out, (double)i * w);
        buf_puts(out, "\" y=\"");
        num(out, 24.0 - h);
        buf_puts(out, "\" width=\"");
        num(out, w * 0.9);
        buf_puts(out, "\" height=\"");
        num(out, h);
        buf_puts(out, "\"><title>");
        esc(out, v[i].tooltip);
        buf_puts(out, "</title></rect>");
    }
    buf_puts(out, "</svg>");
    return n;
}
