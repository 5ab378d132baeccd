/* jsout.c -- JSON.stringify-compatible serialisation (spec/10 §6.3).
 *
 * json-c's own writer keeps the source text of doubles ("1.0", "1e2") and
 * prints integers beyond 2^53 exactly, while the reference stores what
 * JavaScript prints ("1", "100", 12345678901234567000): stored `data` must
 * match byte for byte, hence this small writer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/jsout.h"

void jsout_string(buf_t *b, const char *s, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c < 0x20) {
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
            u[4] = hx[c >> 4]; u[5] = hx[c & 15]; u[6] = '\0';
            esc = u;
        }
        if (esc) {
            buf_append(b, s + i - run, run);
            run = 0;
            buf_puts(b, esc);
        } else
            run++;
    }
    buf_append(b, s + n - run, run);
    buf_putc(b, '"');
}

/* Number::toString(10) for finite d: shortest digits that round-trip
 * (found by trying precisions 1..17), then the ECMAScript layout rules. */
void jsout_number(buf_t *b, double d)
{
    if (!isfinite(d)) {
        buf_puts(b, "null");            /* JSON.stringify(NaN/Infinity) */
        return;
    }
    if (d == 0) {
        buf_putc(b, '0');               /* also -0 */
        return;
    }
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    /* tmp = [-]D[.DDD]e[+-]XX: collect digits and exponent */
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') { neg = 1; p++; }
    char digits[24];
    int k = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0') k--;
    digits[k] = '\0';
    int e = atoi(p + 1);
    int n = e + 1;                      /* ECMAScript's n: decimal point position */
    if (neg) buf_putc(b, '-');
    if (k <= n && n <= 21) {
        buf_append(b, digits, (size_t)k);
        for (int i = k; i < n; i++) buf_putc(b, '0');
    } else if (0 < n && n <= 21) {
        buf_append(b, digits, (size_t)n);
        buf_putc(b, '.');
        buf_append(b, digits + n, (size_t)(k - n));
    } else if (-6 < n && n <= 0) {
        buf_puts(b, "0.");
        for (int i = 0; i < -n; i++) buf_putc(b, '0');
        buf_append(b, digits, (size_t)k);
    } else {
        buf_putc(b, digits[0]);
        if (k > 1) {
            buf_putc(b, '.');
            buf_append(b, digits + 1, (size_t)(k - 1));
        }
        buf_printf(b, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
}

static int value(buf_t *b, struct json_object *o, int depth)
{
    if (depth > JSOUT_MAX_DEPTH) return -1;
    switch (json_object_get_type(o)) {
    case json_type_null:
        buf_puts(b, "null");
        return 0;
    case json_type_boolean:
        buf_puts(b, json_object_get_boolean(o) ? "true" : "false");
        return 0;
    case json_type_int:
        /* through a double, as JavaScript holds every number */
        if (json_object_get_int64(o) == INT64_MAX)
            jsout_number(b, (double)json_object_get_uint64(o));
        else
            jsout_number(b, (double)json_object_get_int64(o));
        return 0;
    case json_type_double:
        jsout_number(b, json_object_get_double(o));
        return 0;
    case json_type_string:
        jsout_string(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
        return 0;
    case json_type_array: {
        size_t n = json_object_array_length(o);
        buf_putc(b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i) buf_putc(b, ',');
            if (value(b, json_object_array_get_idx(o, i), depth + 1) != 0) return -1;
        }
        buf_putc(b, ']');
        return 0;
    }
    case json_type_object: {
        int first = 1;
        buf_putc(b, '{');
        /* the iterator API, not json_object_object_foreach (a GNU
         * statement expression that -Wpedantic rejects under clang) */
        struct json_object_iterator it = json_object_iter_begin(o);
        struct json_object_iterator end = json_object_iter_end(o);
        for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
            const char *key = json_object_iter_peek_name(&it);
            if (!first) buf_putc(b, ',');
            first = 0;
            jsout_string(b, key, strlen(key));
            buf_putc(b, ':');
            if (value(b, json_object_iter_peek_value(&it), depth + 1) != 0) return -1;
        }
        buf_putc(b, '}');
        return 0;
    }
    }
    return -1;
}

int jsout_value(buf_t *b, struct json_object *o)
{
    return value(b, o, 0);
}
