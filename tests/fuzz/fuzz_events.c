/* fuzz_events.c -- libFuzzer entry for the POST /e body (spec/10 §6):
 * UTF-8 decoding, strict JSON, event validation, JSON.stringify-style
 * re-serialisation and the anonymisation data allow-lists.
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer), not by automake. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "collect/anon.h"
#include "collect/decode.h"
#include "collect/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena_t a;
    if (size > 16384) return 0;                 /* the route's body cap */
    ev_body_t b;
    int st = events_parse(&a, (const char *)data, size, &b);
    if (st != 0 && st != 400) __builtin_trap();
    anon_key_t k;
    anon_key_init(&a, &k, "fuzz", 4, "2026-01-01");
    for (size_t i = 0; i < b.n; i++) {
        if (!dec_utf8_valid(b.items[i].data, strlen(b.items[i].data))) __builtin_trap();
        anon_event_t e = { .event_type = b.items[i].type, .data = b.items[i].data,
                           .session_id = b.items[i].session_id };
        anon_event(&a, &k, &e);
    }
    arena_reset(&a);
    return 0;
}
