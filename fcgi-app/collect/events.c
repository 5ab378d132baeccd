/* events.c -- parsing and validation of the POST /e body (spec/10 §6).
 *
 * JSON.parse semantics with json-c: strict mode (no comments, single quotes
 * or trailing commas), the whole text must be one value with only JSON
 * whitespace around it, and duplicate keys keep the first position with the
 * last value (json-c replaces in place). A trailing space is appended before
 * parsing because json-c cannot know that a bare top-level number ended. */
#include <json-c/json.h>
#include <string.h>
#include "collect/decode.h"
#include "collect/events.h"
#include "collect/jsout.h"
#include "core/buf.h"

static const char *const allowed[] = {
    "bounce", "session_end", "session_resume", "scroll_depth", "click", "ad_click",
    "form_focus", "form_blur", "form_submit", "hover", "outbound", "download", "web_vital",
    "custom",
};

int events_type_allowed(const char *t)
{
    if (t == NULL) return 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(t, allowed[i]) == 0) return 1;
    return 0;
}

static const char *str_member(json_object *o, const char *k, size_t *len)
{
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    if (len) *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

/* Truncated arena copy, cut at max code points. The string comes from
 * sanitised UTF-8, so code-point counting is safe. */
static const char *trunc_dup(arena_t *a, const char *s, size_t n, size_t max_cp)
{
    return arena_strndup(a, s, dec_utf8_prefix(s, n, max_cp));
}

static int is_json_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int events_parse(arena_t *a, const char *body, size_t len, ev_body_t *out)
{
    memset(out, 0, sizeof *out);
    out->site_id = DEC_DEFAULT_SITE;
    out->pow_sid = "";
    size_t tl;
    char *text = dec_utf8_sanitize(a, body ? body : "", body ? len : 0, &tl);
    if (tl == 0) return 400;
    /* JSON.parse allows surrounding whitespace but not an all-space body */
    size_t i0 = 0;
    while (i0 < tl && is_json_ws(text[i0])) i0++;
    if (i0 == tl) return 400;
    char *in = arena_alloc(a, tl + 2);
    memcpy(in, text, tl);
    in[tl] = ' ';
    in[tl + 1] = '\0';

    /* json-c accepts single-quoted strings even in strict mode; JSON.parse
     * does not: refuse a quote outside double-quoted strings */
    int instr = 0;
    for (size_t i = 0; i < tl; i++) {
        char c = in[i];
        if (instr) {
            if (c == '\\') i++;
            else if (c == '"') instr = 0;
        } else if (c == '"')
            instr = 1;
        else if (c == '\'')
            return 400;
    }
    json_tokener *tok = json_tokener_new_ex(EV_JSON_DEPTH);
    if (!tok) return 400;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, in, (int)(tl + 1));
    size_t used = json_tokener_get_parse_end(tok);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    /* a top-level JSON null parses to NULL with success */
    if (jerr != json_tokener_success) {
        json_object_put(root);
        return 400;
    }
    for (size_t i = used; i < tl + 1; i++)
        if (!is_json_ws(in[i])) {
            json_object_put(root);
            return 400;
        }
    if (!root || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return 0;                                   /* no events -> 204 */
    }
    json_object *events;
    if (!json_object_object_get_ex(root, "events", &events) ||
        !json_object_is_type(events, json_type_array) || json_object_array_length(events) == 0) {
        json_object_put(root);
        return 0;
    }
    out->has_events = 1;
    size_t sl;
    const char *site = str_member(root, "siteId", &sl);
    if (site) out->site_id = dec_site_id_valid(site, sl) ? arena_strndup(a, site, sl) : DEC_DEFAULT_SITE;
    size_t tkl;
    const char *tk = str_member(root, "tok", &tkl);
    if (tk && tkl > 0) out->tok = arena_strndup(a, tk, tkl);
    size_t psl;
    const char *ps = str_member(json_object_array_get_idx(events, 0), "sessionId", &psl);
    if (ps) out->pow_sid = arena_strndup(a, ps, psl);

    size_t n = json_object_array_length(events);
    if (n > EV_MAX) n = EV_MAX;
    buf_t b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(events, i);
        if (!e || !json_object_is_type(e, json_type_object)) continue;   /* §6.1 decision */
        const char *type = str_member(e, "type", NULL);
        if (!events_type_allowed(type)) continue;
        json_object *data = NULL;
        json_object_object_get_ex(e, "data", &data);
        buf_reset(&b);
        if (data == NULL)
            buf_puts(&b, "{}");
        else if (jsout_value(&b, data) != 0)
            continue;
        if (dec_utf8_count(b.p, b.len) > EV_DATA_MAX_CHARS) continue;
        ev_item_t *it = &out->items[out->n];
        it->type = arena_strdup(a, type);
        it->data = arena_strndup(a, b.p, b.len);
        size_t l;
        const char *sid = str_member(e, "sessionId", &l);
        it->session_id = (sid && dec_sid_valid(sid, l)) ? arena_strndup(a, sid, l) : NULL;
        const char *x = str_member(data, "experiment_id", &l);
        it->experiment_id = x ? trunc_dup(a, x, l, EV_ID_MAX_CHARS) : NULL;
        x = str_member(data, "variant_id", &l);
        it->variant_id = x ? trunc_dup(a, x, l, EV_ID_MAX_CHARS) : NULL;
        x = str_member(e, "utmCampaign", &l);
        it->utm_campaign = x ? trunc_dup(a, x, l, EV_UTM_MAX_CHARS) : NULL;
        out->n++;
    }
    buf_free(&b);
    json_object_put(root);
    return 0;
}
