/* apiutil.c -- shared helpers of the management API (see apiutil.h).
 *
 * The reference is JavaScript: its handlers coerce request values with
 * String(), Number() and truthiness. These functions reproduce exactly the
 * coercions spec/40 §3 relies on, so each handler reads like the spec. */
#include "api/apiutil.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/log.h"
#include "store/kv.h"

int apiu_parse_json(const char *buf, size_t n, json_object **out)
{
    *out = NULL;
    if (!buf) return -1;
    size_t s = 0, e = n;
    while (s < e && isspace((unsigned char)buf[s])) s++;
    while (e > s && isspace((unsigned char)buf[e - 1])) e--;
    if (s == e || e - s > (size_t)0x7fffffff) return -1;
    json_tokener *tok = json_tokener_new_ex(APIU_JSON_DEPTH);
    if (!tok) return -1;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, buf + s, (int)(e - s));
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    if (err == json_tokener_continue && used == e - s) {
        /* a bare literal or number at the end of input ends only at a
         * terminator: feed the NUL the buffer (by contract) would have */
        o = json_tokener_parse_ex(tok, "", 1);
        err = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (err != json_tokener_success || used != e - s) {
        if (o) json_object_put(o);
        return -1;
    }
    *out = o;   /* may be NULL for the literal null */
    return 0;
}

int apiu_body_json(req_t *req, json_object **out)
{
    return apiu_parse_json(req->body, req->body ? req->body_len : 0, out);
}

json_object *apiu_obj(json_object *v)
{
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

json_object *apiu_get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object)) return NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

int apiu_has(json_object *obj, const char *key)
{
    return obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, NULL);
}

int apiu_truthy(json_object *v)
{
    if (!v) return 0;
    switch (json_object_get_type(v)) {
    case json_type_null: return 0;
    case json_type_boolean: return json_object_get_boolean(v);
    case json_type_int: return json_object_get_int64(v) != 0;
    case json_type_double: {
        double d = json_object_get_double(v);
        return d != 0 && !isnan(d);
    }
    case json_type_string: return json_object_get_string_len(v) > 0;
    default: return 1;
    }
}

/* Number -> text as JavaScript's Number.prototype.toString() does. */
void apiu_fmt_double(double d, char *out, size_t outsz)
{
    if (isnan(d)) { snprintf(out, outsz, "NaN"); return; }
    if (isinf(d)) { snprintf(out, outsz, d < 0 ? "-Infinity" : "Infinity"); return; }
    if (d == 0) { snprintf(out, outsz, "0"); return; }
    char tmp[64];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    /* tmp = [-]D[.DDD]e[+-]XX */
    char digits[32];
    size_t k = 0;
    const char *q = tmp;
    int neg = *q == '-';
    if (neg) q++;
    for (; *q && *q != 'e'; q++)
        if (isdigit((unsigned char)*q)) digits[k++] = *q;
    while (k > 1 && digits[k - 1] == '0') k--;
    digits[k] = '\0';
    int n = atoi(q + 1) + 1;   /* position of the decimal point */
    size_t o = 0;
    char buf[128];
    if (neg) buf[o++] = '-';
    if ((int)k <= n && n <= 21) {
        memcpy(buf + o, digits, k); o += k;
        for (int i = (int)k; i < n; i++) buf[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(buf + o, digits, (size_t)n); o += (size_t)n;
        buf[o++] = '.';
        memcpy(buf + o, digits + n, k - (size_t)n); o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        buf[o++] = '0'; buf[o++] = '.';
        for (int i = 0; i < -n; i++) buf[o++] = '0';
        memcpy(buf + o, digits, k); o += k;
    } else {
        buf[o++] = digits[0];
        if (k > 1) {
            buf[o++] = '.';
            memcpy(buf + o, digits + 1, k - 1); o += k - 1;
        }
        o += (size_t)snprintf(buf + o, sizeof buf - o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    buf[o] = '\0';
    snprintf(out, outsz, "%s", buf);
}

static int double_serializer(json_object *jso, struct printbuf *pb, int level, int flags)
{
    (void)level;
    (void)flags;
    char tmp[64];
    apiu_fmt_double(json_object_get_double(jso), tmp, sizeof tmp);
    if (!isfinite(json_object_get_double(jso))) snprintf(tmp, sizeof tmp, "null");
    return printbuf_memappend(pb, tmp, (int)strlen(tmp));
}

json_object *apiu_json_double(double d)
{
    json_object *o = json_object_new_double(d);
    json_object_set_serializer(o, double_serializer, NULL, NULL);
    return o;
}

static void string_of(buf_t *b, json_object *v, int depth)
{
    char tmp[64];
    if (!v) { buf_puts(b, "undefined"); return; }
    switch (json_object_get_type(v)) {
    case json_type_null: buf_puts(b, "null"); break;
    case json_type_boolean: buf_puts(b, json_object_get_boolean(v) ? "true" : "false"); break;
    case json_type_int:
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_object_get_int64(v));
        buf_puts(b, tmp);
        break;
    case json_type_double:
        apiu_fmt_double(json_object_get_double(v), tmp, sizeof tmp);
        buf_puts(b, tmp);
        break;
    case json_type_string:
        buf_append(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_object: buf_puts(b, "[object Object]"); break;
    case json_type_array: {
        if (depth > APIU_JSON_DEPTH) break;
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            if (i) buf_putc(b, ',');
            json_object *e = json_object_array_get_idx(v, i);
            if (e && !json_object_is_type(e, json_type_null)) string_of(b, e, depth + 1);
        }
        break;
    }
    }
}

const char *apiu_string(arena_t *a, json_object *v, size_t *len)
{
    if (v && json_object_is_type(v, json_type_string)) {
        size_t n = (size_t)json_object_get_string_len(v);
        if (len) *len = n;
        return arena_strndup(a, json_object_get_string(v), n);
    }
    buf_t b;
    buf_init(&b);
    string_of(&b, v, 0);
    char *r = arena_strndup(a, b.p ? b.p : "", b.len);
    if (len) *len = b.len;
    buf_free(&b);
    return r;
}

/* JS whitespace + line terminators at s (byte length, 0 if none). */
static size_t js_space(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || (s[0] >= 9 && s[0] <= 13))) return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) return 2;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) return 3;
    if (n >= 3 && s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF)) return 3;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) return 3;
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3;
    return 0;
}

static double js_string_number(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t b = 0, e = n, k;
    while (b < e && (k = js_space(s + b, e - b))) b += k;
    /* trailing: step back over single-byte spaces and known multibyte ones */
    for (;;) {
        if (e > b && (s[e - 1] == ' ' || (s[e - 1] >= 9 && s[e - 1] <= 13))) { e--; continue; }
        if (e >= b + 2 && js_space(s + e - 2, 2) == 2) { e -= 2; continue; }
        if (e >= b + 3 && js_space(s + e - 3, 3) == 3) { e -= 3; continue; }
        break;
    }
    if (b == e) return 0;
    const char *p = str + b;
    size_t len = e - b;
    if (len > 2 && p[0] == '0' && strchr("xXoObB", p[1])) {
        int base = (p[1] == 'x' || p[1] == 'X') ? 16 : (p[1] == 'o' || p[1] == 'O') ? 8 : 2;
        double v = 0;
        for (size_t i = 2; i < len; i++) {
            int c = tolower((unsigned char)p[i]), d;
            if (isdigit(c)) d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else return NAN;
            if (d >= base) return NAN;
            v = v * base + d;
        }
        return v;
    }
    size_t i = 0;
    int neg = 0;
    if (p[i] == '+' || p[i] == '-') neg = p[i++] == '-';
    if (len - i == 8 && memcmp(p + i, "Infinity", 8) == 0) return neg ? -INFINITY : INFINITY;
    size_t digits = 0, j = i;
    while (j < len && isdigit((unsigned char)p[j])) { j++; digits++; }
    if (j < len && p[j] == '.') {
        j++;
        while (j < len && isdigit((unsigned char)p[j])) { j++; digits++; }
    }
    if (!digits) return NAN;
    if (j < len && (p[j] == 'e' || p[j] == 'E')) {
        j++;
        if (j < len && (p[j] == '+' || p[j] == '-')) j++;
        size_t ed = 0;
        while (j < len && isdigit((unsigned char)p[j])) { j++; ed++; }
        if (!ed) return NAN;
    }
    if (j != len) return NAN;
    char tmp[512];
    if (len >= sizeof tmp) return NAN;
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    return strtod(tmp, NULL);
}

double apiu_number(json_object *v)
{
    if (!v) return NAN;
    switch (json_object_get_type(v)) {
    case json_type_null: return 0;
    case json_type_boolean: return json_object_get_boolean(v) ? 1 : 0;
    case json_type_int: return (double)json_object_get_int64(v);
    case json_type_double: return json_object_get_double(v);
    case json_type_string:
        return js_string_number(json_object_get_string(v), (size_t)json_object_get_string_len(v));
    case json_type_object: return NAN;
    case json_type_array: {
        buf_t b;
        buf_init(&b);
        string_of(&b, v, 0);
        double d = js_string_number(b.p ? b.p : "", b.len);
        buf_free(&b);
        return d;
    }
    }
    return NAN;
}

const char *apiu_trunc(arena_t *a, const char *s, size_t n, size_t max, size_t *outlen)
{
    size_t i = 0, cp = 0;
    while (i < n && cp < max) {
        unsigned char c = (unsigned char)s[i];
        size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        if (i + l > n) l = n - i;
        i += l;
        cp++;
    }
    if (outlen) *outlen = i;
    return arena_strndup(a, s, i);
}

static int slug_char(int c) { return isalnum(c) || c == '.' || c == '_' || c == '-'; }

int apiu_is_slug(const char *s, size_t n)
{
    if (!s || n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!slug_char((unsigned char)s[i])) return 0;
    return 1;
}

int apiu_is_site(const char *s, size_t n) { return n <= 64 && apiu_is_slug(s, n); }

int apiu_is_uuid(const char *s, size_t n)
{
    if (!s || n != 36) return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int apiu_is_event_type(const char *s, size_t n)
{
    if (!s || n == 0 || n > 64) return 0;
    if (!isalpha((unsigned char)s[0]) && s[0] != '_') return 0;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_') return 0;
    return 1;
}

int apiu_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t l;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { l = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { l = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { l = 4; cp = c & 0x07; }
        else return 0;
        if (i + l > n) return 0;
        for (size_t k = 1; k < l; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((l == 2 && cp < 0x80) || (l == 3 && cp < 0x800) || (l == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += l;
    }
    return 1;
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int apiu_path_id_or_reply(req_t *req, resp_t *resp, size_t max, const char **out, size_t *outlen)
{
    const char *path = req->path;
    const char *seg = strrchr(path, '/');
    seg = seg ? seg + 1 : path;
    size_t n = strlen(seg);
    char *d = arena_alloc(req->arena, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] == '%') {
            int h = i + 2 < n ? hexv((unsigned char)seg[i + 1]) : -1;
            int l = i + 2 < n ? hexv((unsigned char)seg[i + 2]) : -1;
            if (h < 0 || l < 0) {
                resp_error(resp, 400, "invalid_payload", "Invalid path parameter");
                return -1;
            }
            d[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            d[o++] = seg[i];
        }
    }
    d[o] = '\0';
    if (!apiu_utf8_valid(d, o)) {
        resp_error(resp, 400, "invalid_payload", "Invalid path parameter");
        return -1;
    }
    if (max) {
        *out = apiu_trunc(req->arena, d, o, max, outlen);
    } else {
        *out = d;
        if (outlen) *outlen = o;
    }
    return 0;
}

int apiu_ts_canon(const char *db, char *out, size_t outsz)
{
    if (!db || outsz < 25) return -1;
    size_t n = strlen(db);
    if (n < 19) return -1;
    for (int i = 0; i < 19; i++) {
        char c = db[i];
        if (i == 4 || i == 7) { if (c != '-') return -1; }
        else if (i == 10) { if (c != ' ' && c != 'T') return -1; }
        else if (i == 13 || i == 16) { if (c != ':') return -1; }
        else if (!isdigit((unsigned char)c)) return -1;
    }
    char ms[4] = "000";
    if (n > 19 && db[19] == '.')
        for (int i = 0; i < 3 && 20 + (size_t)i < n && isdigit((unsigned char)db[20 + i]); i++) ms[i] = db[20 + i];
    snprintf(out, outsz, "%.10sT%.8s.%sZ", db, db + 11, ms);
    return 0;
}

json_object *apiu_json_ts(const char *db)
{
    char t[32];
    if (!db || apiu_ts_canon(db, t, sizeof t) < 0) return NULL;
    return json_object_new_string(t);
}

json_object *apiu_json_str(const char *s) { return s ? json_object_new_string(s) : NULL; }

int apiu_lint(const char *s, long long *out)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
    long long v = 0;
    int any = 0;
    for (;; s++) {
        int d = hexv((unsigned char)*s);
        if (d < 0 || d >= base) break;
        any = 1;
        if (v < (long long)1e15) v = v * base + d;
    }
    if (!any) return -1;
    *out = neg ? -v : v;
    return 0;
}

long long apiu_lint_clamp(const char *s, long long def, long long lo, long long hi)
{
    long long v;
    if (apiu_lint(s, &v) < 0 || v == 0) v = def;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return v;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

int apiu_parse_ts(const char *s, size_t n, long long *ms_out)
{
    /* YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z */
    if (!s || n < 20 || s[n - 1] != 'Z') return -1;
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; i < 19; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i]) return -1;
    }
    int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14), se = atoi(s + 17);
    long long frac = 0;
    size_t i = 19;
    if (s[i] == '.') {
        size_t digits = 0;
        for (i++; i < n - 1; i++, digits++) {
            if (!isdigit((unsigned char)s[i]) || digits >= 9) return -1;
            if (digits < 3) frac = frac * 10 + (s[i] - '0');
        }
        if (digits == 0) return -1;
        for (; digits < 3; digits++) frac *= 10;
    }
    if (i != n - 1) return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *ms_out = (long long)timegm(&tm) * 1000 + frac;
    return 0;
}

void apiu_bump_gen(const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s", kv_prefix, name);
    if (kv_int_cmd("INCR %s", key) < 0) log_warn("api", "could not bump %s (Redis down?)", name);
}

void apiu_reply_id(resp_t *resp, int status, const char *key, const char *id, size_t idn)
{
    json_object *out = json_object_new_object();
    json_object_object_add(out, key, json_object_new_string_len(id, (int)idn));
    resp_json(resp, status, out);
}
