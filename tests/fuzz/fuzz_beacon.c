/* fuzz_beacon.c -- libFuzzer entry for the /b.gif decoders (spec/10 §5.3,
 * §5.6, §5.7): the input is split on NUL bytes into a base64 path, a base64
 * referrer, a UTM value and a User-Agent, each fed to the production parser.
 * Built by tests/fuzz/run.sh (clang -fsanitize=fuzzer), not by automake. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "collect/decode.h"
#include "collect/referrer.h"
#include "collect/ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena_t a;
    const char *parts[4] = { "", "", "", "" };
    size_t lens[4] = { 0, 0, 0, 0 };
    char *copy = arena_strndup(&a, (const char *)data, size);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size && k < 4; i++) {
        if (i == size || copy[i] == '\0') {
            parts[k] = copy + start;
            lens[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    size_t n;
    char *p = dec_path(&a, dec_plus_fix(&a, parts[0], lens[0]), lens[0], &n);
    if (p && strlen(p) != n) __builtin_trap();
    unsigned char *bin = arena_alloc(&a, lens[1] * 3 / 4 + 4);
    if (dec_b64_forgiving(parts[1], lens[1], bin, &n) == 0) {
        const char *o = ref_origin(&a, (const char *)bin, n);
        (void)ref_type(o);
    }
    (void)ref_origin(&a, parts[1], lens[1]);
    (void)dec_utm(&a, parts[2], lens[2]);
    const char *name, *ver;
    (void)ua_os(&a, parts[3]);
    ua_browser(&a, parts[3], &name, &ver);
    (void)ua_event_device(NULL, parts[3]);
    long long v;
    (void)dec_lint(parts[2], &v);
    arena_reset(&a);
    return 0;
}
