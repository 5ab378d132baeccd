/* stats_util.c -- pure helpers of the statistics read APIs (see stats_util.h).
 *
 * Implements spec/30 §0.3 (LINT), §0.5 (strict site id), §0.7 (shortest
 * round-trip doubles), §0.1 (canonical timestamps), §5.3 (terminal labels),
 * §2.8 (z-test) and the rounding of §4.2. Date arithmetic uses Howard
 * Hinnant's days_from_civil algorithm, so no call depends on the process
 * time zone or on timegm(). */
#include "api/stats_util.h"
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int stats_lint(const char *s, long long *out)
{
    if (!s) return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    unsigned long long v = 0;
    int any = 0, sat = 0;
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else break;
        any = 1;
        if (v > ((unsigned long long)LLONG_MAX - (unsigned)d) / (unsigned)base) sat = 1;
        else v = v * (unsigned)base + (unsigned)d;
    }
    if (!any) return -1;
    long long r = sat ? LLONG_MAX : (long long)v;
    *out = neg ? -r : r;
    return 0;
}

long long stats_lint_or(const char *s, long long def)
{
    long long v;
    if (stats_lint(s, &v) != 0 || v == 0) return def;
    return v;
}

long long stats_clamp(long long v, long long lo, long long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int stats_site_valid(const char *s)
{
    if (!s) return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= 64) return 0;
        if (!(isalnum(c) && c < 128) && c != '.' && c != '_' && c != '-') return 0;
    }
    return n >= 1;
}

void stats_fmt_double(double v, char *out, size_t outsz)
{
    if (!isfinite(v)) {
        snprintf(out, outsz, "0");
        return;
    }
    if (v == 0) {                 /* also -0: "0", as the reference prints */
        snprintf(out, outsz, "0");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, outsz, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
}

json_object *stats_json_double(double v)
{
    char b[40];
    stats_fmt_double(v, b, sizeof b);
    return json_object_new_double_s(isfinite(v) ? v : 0, b);
}

long stats_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void stats_civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

void stats_fmt_date(long days, char *out, size_t outsz)
{
    int y, m, d;
    stats_civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
}

int stats_parse_date(const char *s, long *days)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9')) return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1) return -1;
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return -1;
    *days = stats_days_from_civil(y, m, d);
    return 0;
}

void stats_fmt_sql_ms(long long ms, char *out, size_t outsz)
{
    long long days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    long long rem = ms - days * 86400000;
    int y, m, d;
    stats_civil_from_days((long)days, &y, &m, &d);
    snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d:%02d.%03d", y, m, d,
             (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
             (int)(rem % 1000));
}

int stats_ts_iso(const char *db, char *out, size_t outsz)
{
    if (!db) {
        if (outsz) out[0] = '\0';
        return -1;
    }
    size_t n = strlen(db);
    int ok = n >= 19 && db[4] == '-' && db[7] == '-' && (db[10] == ' ' || db[10] == 'T') &&
             db[13] == ':' && db[16] == ':';
    for (size_t i = 0; ok && i < 19; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && !isdigit((unsigned char)db[i]))
            ok = 0;
    if (!ok || outsz < 25) {
        snprintf(out, outsz, "%s", db);
        return -1;
    }
    char frac[4] = "000";
    if (n > 19 && db[19] == '.')
        for (int i = 0; i < 3 && isdigit((unsigned char)db[20 + i]); i++) frac[i] = db[20 + i];
    memcpy(out, db, 10);
    out[10] = 'T';
    memcpy(out + 11, db + 11, 8);
    out[19] = '.';
    memcpy(out + 20, frac, 3);
    out[23] = 'Z';
    out[24] = '\0';
    return 0;
}

json_object *stats_json_ts(const char *db)
{
    if (!db) return NULL;
    char b[64];
    stats_ts_iso(db, b, sizeof b);
    return json_object_new_string(b);
}

static const struct { const char *raw, *label; } terminals[] = {
    { "40x24", "40\xc3\x97" "24 (Commodore 64)" },
    { "80x24", "80\xc3\x97" "24 (VT100)" },
    { "80x25", "80\xc3\x97" "25 (IBM PC)" },
    { "80x43", "80\xc3\x97" "43 (EGA)" },
    { "80x50", "80\xc3\x97" "50 (VGA)" },
    { "132x24", "132\xc3\x97" "24 (VT100 wide)" },
    { "132x43", "132\xc3\x97" "43 (VT220 wide)" },
    { "128x48", "128\xc3\x97" "48 (Wyse 60)" },
    { "160x50", "160\xc3\x97" "50 (Sun console)" },
    { "80x34", "80\xc3\x97" "34 (Atari ST)" },
    { "64x32", "64\xc3\x97" "32 (ZX Spectrum)" },
    { "40x25", "40\xc3\x97" "25 (Apple II)" },
    { "80x48", "80\xc3\x97" "48 (Amiga)" },
    { "80x60", "80\xc3\x97" "60 (SVGA)" },
    { "120x50", "120\xc3\x97" "50 (DEC VT320)" },
    { "80x30", "80\xc3\x97" "30 (xterm)" },
};

const char *stats_resolution_label(const char *raw)
{
    if (!raw) return raw;
    for (size_t i = 0; i < sizeof terminals / sizeof terminals[0]; i++)
        if (strcmp(raw, terminals[i].raw) == 0) return terminals[i].label;
    return raw;
}

const char *stats_ztest(long long c1, long long n1, long long c2, long long n2,
                        char *out, size_t outsz)
{
    if (n1 < 100 || n2 < 100) {
        snprintf(out, outsz, "Not yet \xe2\x80\x94 need more data (%lld < 100 impressions)",
                 n1 < n2 ? n1 : n2);
        return out;
    }
    double p1 = (double)c1 / (double)n1, p2 = (double)c2 / (double)n2;
    double p = ((double)c1 + (double)c2) / ((double)n1 + (double)n2);
    double se = sqrt(p * (1 - p) * (1 / (double)n1 + 1 / (double)n2));
    const char *v;
    if (se == 0 || isnan(se)) {
        v = "No variance";
    } else {
        double z = fabs(p2 - p1) / se;
        v = z >= 2.576 ? "Statistically significant at 99%"
          : z >= 1.96 ? "Statistically significant at 95%"
          : z >= 1.645 ? "Marginally significant at 90%"
          : "Not statistically significant";
    }
    snprintf(out, outsz, "%s", v);
    return out;
}

double stats_round2(double v)
{
    /* The reference's Math.round(x * 100) / 100: half up on the scaled
     * double (so 1.005, stored as 1.00499..., gives 1 there and here). */
    return floor(v * 100 + 0.5) / 100;
}

long long stats_round_int(double v)
{
    return (long long)floor(v + 0.5);
}

size_t stats_rank_index(double p, size_t n)
{
    if (n == 0) return 0;
    double r = ceil(p / 100.0 * (double)n) - 1;
    if (r < 0) r = 0;
    if (r > (double)(n - 1)) r = (double)(n - 1);
    return (size_t)r;
}
