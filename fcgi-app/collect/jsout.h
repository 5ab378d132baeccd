/* jsout: JSON text exactly as JavaScript's JSON.stringify writes it
 * (spec/10 §6.3: event `data` is stored re-serialised by the reference).
 *
 * Owns: compact serialisation of a json-c value: no whitespace, member order
 * as parsed (json-c keeps the first position of a duplicate key and the last
 * value, like JSON.parse), numbers in shortest round-trip form (integers
 * without ".0", exponent form outside 1e-7..1e21), non-ASCII literal, only
 * '"', '\\' and control characters escaped.
 * Promises: pure; output appended to a core/buf.h buffer. Never: pretty-
 * prints or escapes '/'. Nesting deeper than JSOUT_MAX_DEPTH fails (the
 * parser's depth limit is lower, so this never triggers on parsed input). */
#ifndef ECHELON_COLLECT_JSOUT_H
#define ECHELON_COLLECT_JSOUT_H
#include <json-c/json.h>
#include "core/buf.h"

#define JSOUT_MAX_DEPTH 1100

/* 0, or -1 when too deep. A NULL object is written as `null`. */
int jsout_value(buf_t *b, struct json_object *o);
/* A JavaScript Number as text (shortest round trip, JS exponent rules). */
void jsout_number(buf_t *b, double d);
/* A JSON string literal with JS escaping. */
void jsout_string(buf_t *b, const char *s, size_t n);
#endif
