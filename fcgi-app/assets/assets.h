/* assets: files embedded into the binary at build time.
 *
 * Owns: nothing but the declarations. Each fcgi-app/assets/NAME.EXT is turned
 * by tools/bin2c (rule in assets/local.mk) into the generated build-dir file
 * assets/NAME_EXT.c defining asset_NAME_EXT[] (the bytes, plus a NUL so text
 * assets can be used as C strings) and asset_NAME_EXT_len (without the NUL).
 * Promises: the bytes are exactly the source file's. Never: edited by hand
 * in the build dir (regenerated whenever the source changes). */
#ifndef ECHELON_ASSETS_ASSETS_H
#define ECHELON_ASSETS_ASSETS_H
#include <stddef.h>

/* The tracker template served by GET /ea.js (collect/tracker.c). */
extern const unsigned char asset_ea_js[];
extern const size_t asset_ea_js_len;
#endif
