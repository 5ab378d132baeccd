/* stats_util: the pure helpers of the statistics read APIs (spec/30 §0, §2.8,
 * §4.2, §5.3).
 *
 * Owns: lenient integer parsing (LINT) and clamps, the strict site-id check,
 * shortest round-trip doubles, canonical timestamp/date text, UTC day
 * arithmetic, terminal-resolution labels, the two-proportion z-test verdict
 * and the rounding rules of the request statistics.
 * Promises: every function is pure (no globals, no I/O, no allocation except
 * the json-c constructors), total on hostile input, and unit-tested in
 * tests/unit/test_stats_util.c.
 * Never: touches a request, Redis or MariaDB. */
#ifndef ECHELON_API_STATS_UTIL_H
#define ECHELON_API_STATS_UTIL_H
#include <stddef.h>
#include <json-c/json.h>

/* ---- spec/30 §0.3 lenient integers ---- */
/* LINT: skip leading whitespace, optional sign, 0x/0X = hex, stop at the
 * first non-digit. Returns 0 and *out, or -1 (NaN) when no digit was read.
 * Values beyond long long saturate. */
int stats_lint(const char *s, long long *out);
/* "LINT(s) || def": NaN or 0 -> def. s == NULL or "" -> def. */
long long stats_lint_or(const char *s, long long def);
long long stats_clamp(long long v, long long lo, long long hi);

/* ---- spec/30 §0.5 strict site id: 1..64 chars of [A-Za-z0-9._-] ---- */
int stats_site_valid(const char *s);

/* ---- spec/30 §0.7 doubles: shortest text that parses back to v ---- */
/* Writes into out (>= 32 bytes). Non-finite values are written as "0". */
void stats_fmt_double(double v, char *out, size_t outsz);
/* A json-c double that serialises in that shortest form. */
json_object *stats_json_double(double v);

/* ---- time and dates (UTC) ---- */
/* Days since 1970-01-01 for a civil date, and back. */
long stats_days_from_civil(int y, int m, int d);
void stats_civil_from_days(long days, int *y, int *m, int *d);
/* "YYYY-MM-DD" for an epoch day; out >= 11 bytes. */
void stats_fmt_date(long days, char *out, size_t outsz);
/* Strict "^\d{4}-\d{2}-\d{2}$" and a real calendar date. 0 / -1. */
int stats_parse_date(const char *s, long *days);
/* "YYYY-MM-DD HH:MM:SS.mmm" for an epoch-millisecond instant; out >= 24. */
void stats_fmt_sql_ms(long long ms, char *out, size_t outsz);
/* MariaDB DATETIME text ("2025-06-04 14:03:27.512", any number of fraction
 * digits, or none) -> canonical "2025-06-04T14:03:27.512Z"; out >= 25.
 * Returns 0, or -1 when the text is not a datetime (out gets a copy). */
int stats_ts_iso(const char *db, char *out, size_t outsz);
/* Canonical timestamp as a json-c string; NULL input -> JSON null. */
json_object *stats_json_ts(const char *db);

/* ---- spec/30 §5.3 terminal resolutions ---- */
/* The display label for a raw "WxH" label, or raw itself when not listed. */
const char *stats_resolution_label(const char *raw);

/* ---- spec/30 §2.8 two-proportion z-test ---- */
/* Writes the significance verdict for control c1/n1 against variant c2/n2
 * into out (>= 64 bytes) and returns out. */
const char *stats_ztest(long long c1, long long n1, long long c2, long long n2,
                        char *out, size_t outsz);

/* ---- spec/30 §4.2 rounding ---- */
double stats_round2(double v);           /* 2 decimals, half up */
long long stats_round_int(double v);     /* nearest, half up */
/* Nearest-rank index: max(0, ceil(p/100 * n) - 1) for n >= 1. */
size_t stats_rank_index(double p, size_t n);
#endif
