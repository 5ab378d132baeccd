/* anon.c -- pre-storage anonymisation (spec/10 §7, Appendix B).
 *
 * Every mapping is HMAC-SHA-256 under a key that changes at UTC midnight, so
 * the stored data still aggregates within a day and identifies nothing.
 * The tables are copied from Appendix B in order: their indexes are part of
 * the contract (the admin UI renders terminal names from stored sizes). */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>
#include "collect/anon.h"
#include "collect/jsout.h"
#include "collect/visitor.h"
#include "core/buf.h"

static const char *const PLANETS[] = {
    "Kepler-442b", "Proxima-b", "TRAPPIST-1e", "Gliese-667Cc", "HD-40307g", "Kepler-62f",
    "Kepler-186f", "Wolf-1061c", "LHS-1140b", "Ross-128b", "Tau-Ceti-e", "Teegarden-b",
    "GJ-357d", "K2-18b", "TOI-700d", "Kepler-22b", "Kepler-452b", "Kepler-1649c", "GJ-1002b",
    "Proxima-d", "TRAPPIST-1f", "TRAPPIST-1g", "Kepler-438b", "Kepler-296e", "HD-85512b",
    "Gliese-581g", "55-Cancri-e", "CoRoT-7b", "Kepler-69c", "Kepler-62e", "Barnard-b",
    "LP-890-9c",
};
static const char *const FISHERMEN[] = {
    "Torstein Sjømann", "Bjørn Havblikk", "Olav Sildekong", "Knut Garndrager", "Einar Tråler",
    "Sigurd Fjordmann", "Harald Bølge", "Ragnar Snørekaster", "Leif Tangansen",
    "Gunnar Strømvik", "Magnus Kveitefisker", "Arne Juksafisker", "Trygve Notmann",
    "Per Loddefanger", "Sverre Brosme", "Ivar Djuphavsmann", "Nils Stormfugl",
    "Oddvar Sjøsprøyt", "Rolf Skjæansen", "Terje Havøransen", "Kristoffer Torsken",
    "Halvor Krabben", "Ottar Steinbitansen", "Thoralf Makkansen", "Asbjørn Pilken",
    "Fritjof Hummeransen", "Geir Flyndansen", "Steinar Laksen", "Vidar Reketansen",
    "Håkon Blåskjelansen", "Yngve Sjøstjernansen", "Dagfinn Brislingansen", "Petter Seifisker",
    "Jostein Breiflabb", "Morten Havabbansen", "Sondre Blåkveiten", "Øystein Lusufiskansen",
    "Torbjørn Steinkobbe", "Arvid Sjøpølsen", "Kolbjørn Brugden", "Anfinn Leppefisker",
    "Birger Trollgansen", "Erling Rypen", "Guttorm Småsild", "Helge Dorgansen",
    "Jarle Havmusen", "Kåre Teinansen", "Lauritz Åleransen", "Mathias Fjordansen",
    "Nikolai Blåstålansen",
};
static const char *const NSA[] = {
    "STELLAR-WIND", "PRISM", "XKEYSCORE", "MUSCULAR", "BULLRUN", "BOUNDLESS-INFORMANT",
    "TEMPORA", "UPSTREAM", "PINWALE", "MARINA", "MAINWAY", "NUCLEON", "TURBULENCE", "TURMOIL",
    "TUMULT", "DISHFIRE", "MYSTIC", "SOMALGET", "DIRTBOX", "STINGRAY", "FAIRVIEW", "STORMBREW",
    "BLARNEY", "OAKSTAR", "LITHIUM", "SENTRY-EAGLE", "TREASURE-MAP", "AURORAGOLD",
    "COTTONMOUTH", "QUANTUM-INSERT", "FOXACID", "EGOTISTICAL-GIRAFFE", "FLYING-PIG",
    "HAPPY-FOOT", "JUGGERNAUT", "RAGE-MASTER", "SWAP", "DROPOUT-JEEP", "MONKEYROCKET", "OLYMPIA",
};
static const char *const OPERATIONS[] = {
    "operation-mockingbird", "operation-paperclip", "operation-gladio", "operation-condor",
    "operation-cyclone", "operation-ajax", "operation-northwoods", "operation-chaos",
    "operation-mongoose", "operation-overlord", "operation-valkyrie", "operation-barbarossa",
    "operation-market-garden", "operation-sea-lion", "operation-fortitude",
    "operation-mincemeat", "operation-crossbow", "operation-dragoon", "operation-dynamo",
    "operation-torch", "operation-husky", "operation-avalanche", "operation-shingle",
    "operation-anvil", "operation-plunder", "operation-varsity", "operation-grenade",
    "operation-veritable", "operation-lumberjack", "operation-undertone", "operation-iceberg",
    "operation-downfall", "operation-coronet", "operation-olympic", "operation-magic-carpet",
    "operation-paperback", "operation-ivy-bells", "operation-gold", "operation-stopwatch",
    "operation-wrath-of-god",
};
static const char *const BIRDS[] = {
    "Hoatzin", "Paradise Tanager", "Flamingo", "Harpy Eagle", "Blue-crowned Motmot",
    "Crimson Rosella", "Keel-billed Toucan", "Sun Conure", "King Vulture", "Mandarin Duck",
    "Painted Bunting", "Cock-of-the-rock", "Eclectus Parrot", "Lilac-breasted Roller",
    "Jabiru Stork", "Resplendent Quetzal", "Red-legged Honeycreeper", "Rainbow Lorikeet",
    "Blue-and-yellow Macaw", "Golden Pheasant", "Superb Bird-of-Paradise", "Hyacinth Macaw",
    "Turquoise-browed Motmot", "Scarlet Macaw",
};
static const char *const MAMMALS[] = {
    "Badger", "Fox", "Wolf", "Bear", "Otter", "Elk", "Lynx", "Hare", "Mink", "Seal", "Moose",
    "Stoat", "Beaver", "Marten", "Hedgehog", "Wolverine", "Boar", "Deer", "Squirrel",
    "Reindeer", "Weasel", "Polecat", "Vole", "Shrew",
};
static const char *const BODY_PARTS[] = {
    "head", "paw", "snout", "ear", "claw", "tail", "jaw", "fang", "horn", "hoof", "mane",
    "whisker", "haunch", "flank", "rump", "hide",
};
static const int TERMINALS[16][2] = {
    { 40, 24 }, { 80, 24 }, { 80, 25 }, { 80, 43 }, { 80, 50 }, { 132, 24 }, { 132, 43 },
    { 128, 48 }, { 160, 50 }, { 80, 34 }, { 64, 32 }, { 40, 25 }, { 80, 48 }, { 80, 60 },
    { 120, 50 }, { 80, 30 },
};
#define NT(t) (sizeof(t) / sizeof((t)[0]))

void anon_key_init(arena_t *a, anon_key_t *k, const char *secret, size_t secret_len,
                   const char *date)
{
    static const char tag[] = "echelon-anon-";
    size_t dl = strlen(date);
    k->len = secret_len + sizeof tag - 1 + dl;
    k->k = arena_alloc(a, k->len + 1);
    memcpy(k->k, secret, secret_len);
    memcpy(k->k + secret_len, tag, sizeof tag - 1);
    memcpy(k->k + secret_len + sizeof tag - 1, date, dl);
}

void anon_h(const anon_key_t *k, const char *x, size_t n, char out[65])
{
    unsigned char mac[32];
    if (visitor_hmac(k->k, k->len, x, n, mac) != 0)
        memset(mac, 0, sizeof mac);      /* crypto failure: still no clear text */
    visitor_hex(mac, 32, out);
}

static unsigned long hexn(const char *h, size_t n)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        v = v * 16 + (unsigned long)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return v;
}

size_t anon_pick(const char *hex, size_t n)
{
    return (size_t)(hexn(hex, 8) % n);
}

static const char *hpick(const anon_key_t *k, const char *x, const char *const *tab, size_t n)
{
    char h[65];
    if (x == NULL) return NULL;
    anon_h(k, x, strlen(x), h);
    return tab[anon_pick(h, n)];
}

const char *anon_device(const char *d)
{
    if (d == NULL) return NULL;
    if (strcasecmp(d, "desktop") == 0) return "mothership";
    if (strcasecmp(d, "tablet") == 0) return "shuttle";
    if (strcasecmp(d, "mobile") == 0) return "probe";
    return "unknown-vessel";
}

static const char *hvisitor(arena_t *a, const anon_key_t *k, const char *v)
{
    char h[65];
    if (v == NULL) return NULL;
    anon_h(k, v, strlen(v), h);
    return arena_strndup(a, h, 16);
}

static const char *hreferrer(arena_t *a, const anon_key_t *k, const char *r)
{
    char h[65];
    if (r == NULL) return NULL;
    anon_h(k, r, strlen(r), h);
    return arena_printf(a, "https://nsa-intranet.gov/ops/%s-%.4s", NSA[anon_pick(h, NT(NSA))], h);
}

static const char *hpath(arena_t *a, const anon_key_t *k, const char *p)
{
    buf_t b;
    if (p == NULL) return NULL;
    buf_init(&b);
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n > 0) {
            char h[65];
            anon_h(k, s, n, h);
            buf_putc(&b, '/');
            buf_puts(&b, OPERATIONS[anon_pick(h, NT(OPERATIONS))]);
        }
        if (!e) break;
        s = e + 1;
    }
    const char *out = b.len ? arena_strndup(a, b.p, b.len) : "/";
    buf_free(&b);
    return out;
}

void anon_view(arena_t *a, const anon_key_t *k, anon_view_t *v)
{
    char h[65];
    v->visitor_id = hvisitor(a, k, v->visitor_id);
    v->session_id = hpick(k, v->session_id, FISHERMEN, NT(FISHERMEN));
    v->path = hpath(a, k, v->path);
    v->country_code = hpick(k, v->country_code, PLANETS, NT(PLANETS));
    if (v->has_w || v->has_h) {
        char *wh = arena_printf(a, "%lldx%lld", v->has_w ? v->w : 0, v->has_h ? v->h : 0);
        anon_h(k, wh, strlen(wh), h);
        size_t t = anon_pick(h, NT(TERMINALS));
        v->w = TERMINALS[t][0];
        v->h = TERMINALS[t][1];
        v->has_w = v->has_h = 1;
    }
    v->device_type = anon_device(v->device_type);
    v->os_name = hpick(k, v->os_name, BIRDS, NT(BIRDS));
    if (v->browser_name) {
        anon_h(k, v->browser_name, strlen(v->browser_name), h);
        v->browser_name = arena_printf(a, "%s%s", MAMMALS[anon_pick(h, NT(MAMMALS))],
                                       BODY_PARTS[anon_pick(h + 8, NT(BODY_PARTS))]);
    }
    if (v->browser_version) {
        anon_h(k, v->browser_version, strlen(v->browser_version), h);
        v->browser_version = arena_printf(a, "%lu.%lu", hexn(h, 4) % 150 + 1, hexn(h + 4, 2) % 10);
    }
    v->referrer = hreferrer(a, k, v->referrer);
    for (int i = 0; i < 5; i++)
        if (v->utm[i] && v->utm[i][0])
            v->utm[i] = hpick(k, v->utm[i], OPERATIONS, NT(OPERATIONS));
}

/* §7.3 allow-lists, in output order. */
static const struct { const char *type; const char *keys[9]; } allow[] = {
    { "scroll_depth", { "depth", "path" } },
    { "bounce", { "dwell", "trigger", "path" } },
    { "session_end", { "dwell_s", "path" } },
    { "session_resume", { "path" } },
    { "web_vital", { "metric", "value", "rating", "path" } },
    { "click", { "tag", "path" } },
    { "ad_click", { "tag", "path" } },
    { "hover", { "tag", "path" } },
    { "form_focus", { "tag", "input_type", "field_name", "form_id", "form_name", "path" } },
    { "form_blur", { "tag", "input_type", "field_name", "form_id", "form_name", "value",
                     "value_length", "path" } },
    { "form_submit", { "method", "id", "name", "label", "path" } },
    { "outbound", { "host", "path" } },
    { "download", { "ext", "path" } },
};

static char *scramble(arena_t *a, const anon_key_t *k, const char *v, size_t n)
{
    static const char L[] = "abcdefghijklmnopqrstuvwxyz", U[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                      D[] = "0123456789";
    char h[65];
    anon_h(k, v, n, h);
    char *out = arena_strndup(a, v, n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if ((c & 0xC0) == 0x80) continue;          /* one position per code point */
        unsigned b = (unsigned)hexn(h + 2 * (pos % 32), 2);
        if (c >= 'a' && c <= 'z') out[i] = L[b % 26];
        else if (c >= 'A' && c <= 'Z') out[i] = U[b % 26];
        else if (c >= '0' && c <= '9') out[i] = D[b % 10];
        pos++;
    }
    return out;
}

static const char *sanitize_data(arena_t *a, const anon_key_t *k, const char *type,
                                 const char *data)
{
    size_t t;
    for (t = 0; t < NT(allow); t++)
        if (type && strcmp(type, allow[t].type) == 0) break;
    if (t == NT(allow) || data == NULL) return "{}";
    json_object *in = json_tokener_parse(data);
    if (!in || !json_object_is_type(in, json_type_object)) {
        json_object_put(in);
        return "{}";
    }
    buf_t b;
    buf_init(&b);
    buf_putc(&b, '{');
    int first = 1;
    for (size_t i = 0; i < 9 && allow[t].keys[i]; i++) {
        json_object *v;
        if (!json_object_object_get_ex(in, allow[t].keys[i], &v)) continue;
        if (!first) buf_putc(&b, ',');
        first = 0;
        jsout_string(&b, allow[t].keys[i], strlen(allow[t].keys[i]));
        buf_putc(&b, ':');
        if (strcmp(allow[t].keys[i], "value") == 0 && strcmp(type, "form_blur") == 0 &&
            json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0) {
            size_t n = (size_t)json_object_get_string_len(v);
            jsout_string(&b, scramble(a, k, json_object_get_string(v), n), n);
        } else
            jsout_value(&b, v);
    }
    buf_putc(&b, '}');
    const char *out = arena_strndup(a, b.p, b.len);
    buf_free(&b);
    json_object_put(in);
    return out;
}

void anon_event(arena_t *a, const anon_key_t *k, anon_event_t *e)
{
    char h[65];
    e->visitor_id = hvisitor(a, k, e->visitor_id);
    e->session_id = hpick(k, e->session_id, FISHERMEN, NT(FISHERMEN));
    e->device_type = e->device_type ? anon_device(e->device_type) : "unknown-vessel";
    e->referrer = hreferrer(a, k, e->referrer);
    if (e->experiment_id) {
        anon_h(k, e->experiment_id, strlen(e->experiment_id), h);
        e->experiment_id = arena_printf(a, "experiment-%.8s", h);
    }
    if (e->variant_id) {
        anon_h(k, e->variant_id, strlen(e->variant_id), h);
        e->variant_id = arena_printf(a, "variant-%.8s", h);
    }
    if (e->utm_campaign)
        e->utm_campaign = hpick(k, e->utm_campaign, OPERATIONS, NT(OPERATIONS));
    e->data = sanitize_data(a, k, e->event_type, e->data);
}

int anon_site(const char *site_id, char *const *sites, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(site_id, sites[i]) == 0) return 1;
    return 0;
}
