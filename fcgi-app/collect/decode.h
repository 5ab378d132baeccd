/* decode: the byte-level decoders of the tracking endpoints (spec/10 §0, §1,
 * §5.2, §5.3).
 *
 * Owns: forgiving base64, the path / UTM value pipelines, leading-integer
 * parsing, site-id and session-id validation, UTF-8 helpers (validation,
 * code-point counting and truncation, replacement decoding of request bodies).
 * Promises: pure functions over (pointer, length); bounded output written
 * into caller buffers or the caller's arena; hostile input never reads or
 * writes out of bounds. Never: touches a request, a socket or global state.
 *
 * Deviations from the reference, per spec/10 §11 recommendations:
 *  - `p` and `ref` arrive un-percent-encoded from old trackers, so query
 *    decoding turned their '+' into ' '; dec_plus_fix() maps spaces back to
 *    '+' before base64 (§11.1: fixes "/a~" and "/test~page").
 *  - UTM values are base64 of UTF-8 without percent escapes: they are decoded
 *    as UTF-8 bytes, not Latin-1 + percent-decoding (§11.2).
 *  - A decoded path containing NUL is invalid (C strings end at NUL; the
 *    tracker never produces %00). */
#ifndef ECHELON_COLLECT_DECODE_H
#define ECHELON_COLLECT_DECODE_H
#include <stddef.h>
#include "core/arena.h"

#define DEC_PATH_MAX_CHARS 2048      /* §5.2: longer paths are truncated */
#define DEC_UTM_MAX_CHARS 256        /* §5.3 */
#define DEC_SITE_MAX 64              /* §1 site-id validation */
#define DEC_SID_LEN 36               /* §5.2 sid */
#define DEC_DEFAULT_SITE "default"

/* Forgiving base64 (§5.3). out needs capacity >= n*3/4 + 3. Returns 0 and
 * *outlen, or -1 when the input is not acceptable. */
int dec_b64_forgiving(const char *s, size_t n, unsigned char *out, size_t *outlen);

/* Copy of s with every ' ' replaced by '+' (arena). */
char *dec_plus_fix(arena_t *a, const char *s, size_t n);

/* §5.3 path pipeline on an already query-decoded value: forgiving base64,
 * Latin-1 mapping, strict percent-decoding (runs of %XX as UTF-8), then
 * truncation to DEC_PATH_MAX_CHARS code points. Returns the NUL-terminated
 * UTF-8 path in the arena (*outlen its length), or NULL when invalid. The
 * caller checks "non-empty and starts with '/'". */
char *dec_path(arena_t *a, const char *s, size_t n, size_t *outlen);

/* §5.3 UTM value (with the §11.2 recommendation): absent/empty -> NULL;
 * forgiving base64, valid UTF-8 without NUL, truncated to 256 code points;
 * any failure -> NULL. */
char *dec_utm(arena_t *a, const char *s, size_t n);

/* Strict percent-decoding of UTF-8 text (JavaScript decodeURIComponent on
 * Latin-1-mapped input): in = bytes, each byte is one code point; runs of
 * %XX must form valid UTF-8. Output is UTF-8 in out (capacity >= 2n+1).
 * Returns 0 and *outlen, or -1 when invalid. */
int dec_pct_strict(const unsigned char *in, size_t n, char *out, size_t *outlen);

/* Leading-integer parse (§0). Returns 0 and *out (saturated at +/-LLONG_MAX
 * on overflow), or -1 when no digit was read ("NaN"). s may be NULL (-> -1). */
int dec_lint(const char *s, long long *out);

/* §1: the site id if it is 1..64 of [A-Za-z0-9._-], else "default". Returns
 * a pointer to s or to a static "default". s may be NULL. */
const char *dec_site_id(const char *s);
/* 1 if s (NUL-terminated) passes the site-id rule above. */
int dec_site_id_valid(const char *s, size_t n);

/* §5.2: 1 iff s is exactly 36 chars of [0-9a-f-]. */
int dec_sid_valid(const char *s, size_t n);
/* 1 iff exactly 16 chars of [0-9a-f] (cookie _ev, §5.5). */
int dec_hex16_valid(const char *s, size_t n);

/* ---- UTF-8 helpers ---- */
/* 1 if [s, s+n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int dec_utf8_valid(const char *s, size_t n);
/* Number of code points in well-formed UTF-8 text (lead bytes counted). */
size_t dec_utf8_count(const char *s, size_t n);
/* Byte length of the first max_cp code points of well-formed UTF-8 text
 * (never splits a sequence). */
size_t dec_utf8_prefix(const char *s, size_t n, size_t max_cp);
/* WHATWG UTF-8 decode: invalid sequences become U+FFFD (maximal subparts),
 * a leading BOM is removed. Returns arena text, *outlen its length. */
char *dec_utf8_sanitize(arena_t *a, const char *s, size_t n, size_t *outlen);
/* Append code point cp as UTF-8 to out; returns bytes written (1..4). */
size_t dec_utf8_put(unsigned long cp, char *out);
#endif
