/* ship.c -- collection's spool batch handler (see ship.h).
 *
 * Per batch (records in arrival order):
 *   parse -> Redis exchange 1 (decisions): INCRBY/PEXPIRE NX rl:<ih> once
 *     per distinct counted address, then defense's burst / bot-IP /
 *     correlator commands (score_ship_queue) -> per record: over the limit?
 *     final score, discard?
 *   -> MariaDB: one transaction, INSERT ... ON DUPLICATE KEY UPDATE
 *     record_id = record_id, up to SHIP_ROWS_PER_INSERT rows per statement
 *     (spec/30 §1.1.8: deduplicates like INSERT IGNORE but keeps data errors
 *     visible); in a second thread, chunk by chunk, while the next chunks
 *     are parsed and decided (see "pipeline" below)
 *   -> Redis exchange 2 (effects, after COMMIT so a failed insert that is
 *     retried does not count realtime twice): rl:over, realtime windows,
 *     minute/hour counters; sent without waiting for the replies (Redis
 *     applies them while the next batch is loaded).
 * Two exchanges rather than one because every write of the second depends
 * on a decision that needs the replies of the first; each is one pipeline.
 *
 * Both exchanges are aggregated per batch in C: one command per distinct
 * key (INCRBY by the batch's count, one ZADD with all members, one EXPIRE
 * per key after its writes) instead of one per record. Redis's cost per
 * shipped record is what decides whether shipping keeps up with the
 * workers at peak (they share the CPUs), and every command also lands in
 * the append-only file. The stored values are those one command per record
 * in arrival order gives: a counter ends at the same value, a ZADD naming
 * a member twice keeps the later score, the k-th counted request of an
 * address in the batch saw (total - batch count + k).
 *
 * Redis keys: collect/live_keys.h. Tables: visitor_views, semantic_events. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "collect/decode.h"
#include "collect/live_keys.h"
#include "collect/record.h"
#include "collect/ship.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "defense/score.h"
#include "store/db.h"
#include "store/kv.h"

/* Payloads not in rec_to_json's exact layout (spool lines of an older
 * build): what json-c reads, as rec_parse_json would. */
static void count_json(const char *p, size_t n, long long rows[SHIPPER_ROW_KINDS])
{
    json_tokener *tok = json_tokener_new();
    if (!tok || n > INT32_MAX) {
        if (tok) json_tokener_free(tok);
        return;
    }
    json_object *o = json_tokener_parse_ex(tok, p, (int)n), *k, *ev;
    json_tokener_free(tok);
    if (o && json_object_object_get_ex(o, "k", &k) && json_object_is_type(k, json_type_string)) {
        const char *ks = json_object_get_string(k);
        if (strcmp(ks, "v") == 0) {
            rows[SHIPPER_ROWS_VIEWS]++;
        } else if (strcmp(ks, "e") == 0 && json_object_object_get_ex(o, "ev", &ev) &&
                   json_object_is_type(ev, json_type_array)) {
            rows[SHIPPER_ROWS_EVENTS] += (long long)json_object_array_length(ev);
        }
    }
    json_object_put(o);
}

/* The row counter of the backlog split (store/shipper.h): a pageview
 * record is one view, an event record one event per event it holds (future
 * semantic_events rows, up to REC_MAX_EVENTS), a counting-only record
 * nothing -- counted before the ship-time decisions (rate limit, discard
 * score) that may still drop some, as "accepted, not yet in MariaDB" means.
 * rec_to_json starts with {"k":"<kind>" and opens every event with {"id":
 * -- a sequence no JSON string can hold (its quotes are escaped) and no
 * other object of an event record begins with -- so the common layout is
 * counted without parsing. */
static void ship_count(const char *p, size_t n, long long rows[SHIPPER_ROW_KINDS])
{
    static const char head[] = "{\"k\":\"", ev[] = "{\"id\":";
    const size_t hl = sizeof head - 1, el = sizeof ev - 1;
    if (n < hl + 2 || memcmp(p, head, hl) != 0 || p[hl + 1] != '"') {
        count_json(p, n, rows);
        return;
    }
    if (p[hl] == REC_VIEW) {
        rows[SHIPPER_ROWS_VIEWS]++;
    } else if (p[hl] == REC_EVENTS) {
        const char *q = p + hl, *e = p + n;
        while ((q = memchr(q, '{', (size_t)(e - q))) != NULL) {
            if ((size_t)(e - q) >= el && memcmp(q, ev, el) == 0) rows[SHIPPER_ROWS_EVENTS]++;
            q++;
        }
    }
}

void ship_init(void)
{
    shipper_register(REC_SPOOL_TYPE, ship_batch);
    shipper_register_counter(REC_SPOOL_TYPE, ship_count);
}

typedef struct judged {
    int ok;                 /* parsed */
    int limited;            /* over the rate limit: store nothing */
    long long rl_end_ms;    /* when its window ends (for rl:over) */
    int store;              /* row(s) to insert */
    int total;
    const char *detail;
} judged_t;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Column widths of sql/001_init.sql: an over-long value must never fail a
 * whole batch (spec/10 §11.33). */
static const char *fit(arena_t *a, const char *s, size_t max_cp)
{
    if (!s) return NULL;
    size_t n = strlen(s), k = dec_utf8_prefix(s, n, max_cp);
    return k == n ? s : arena_strndup(a, s, k);
}


/* ------------------------------------------------------------ key tables */

/* Distinct (key, field) pairs of a batch in first-seen order: open
 * addressing over entry indices (slot = index + 1, 0 = empty). Everything
 * lives in the batch's arena. */
enum { OP_INCR = 1, OP_HINCR, OP_ZADD, OP_TTL };

typedef struct zmem {
    const char *score, *member;
    size_t next;                /* index + 1 of the next member, 0 = last */
} zmem_t;

typedef struct ent {
    const char *key, *field;    /* field: HINCRBY only */
    int op;
    int ttl;                    /* EXPIRE after the writes; 0 = none */
    long long trim_below;       /* ZSET: ZREMRANGEBYSCORE -inf (this, after the ZADD; 0 = none */
    long long n;                /* INCRBY / HINCRBY amount */
    size_t zhead, ztail, zn;    /* ZADD members (zmem_t list) */
} ent_t;

typedef struct tab {
    ent_t *e;
    size_t n, cap;
    size_t *slot, mask;
    zmem_t *zm;
    size_t nzm, zcap;
} tab_t;

static void tab_init(tab_t *t, arena_t *a, size_t cap, size_t zcap)
{
    size_t s = 16;
    while (s < 2 * cap)
        s *= 2;
    t->e = arena_calloc(a, (cap ? cap : 1) * sizeof *t->e);
    t->slot = arena_calloc(a, s * sizeof *t->slot);
    t->zm = arena_calloc(a, (zcap ? zcap : 1) * sizeof *t->zm);
    t->n = t->nzm = 0;
    t->cap = cap;
    t->zcap = zcap;
    t->mask = s - 1;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* The entry of (key, field), created with op and ttl when new; NULL when
 * the table is full (cannot happen: callers size it for the batch). */
static ent_t *tab_get(tab_t *t, arena_t *a, const char *key, const char *field, int op, int ttl)
{
    uint64_t h = fnv(1469598103934665603ULL, key);
    if (field)
        h = fnv(h ^ 0xff, field);
    for (size_t s = (size_t)h & t->mask;; s = (s + 1) & t->mask) {
        if (!t->slot[s]) {
            if (t->n == t->cap)
                return NULL;
            ent_t *e = &t->e[t->n];
            e->key = arena_strdup(a, key);
            e->field = field;
            e->op = op;
            e->ttl = ttl;
            t->slot[s] = ++t->n;
            return e;
        }
        ent_t *e = &t->e[t->slot[s] - 1];
        if (strcmp(e->key, key) == 0 && (e->field == field ||
            (e->field && field && strcmp(e->field, field) == 0)))
            return e;
    }
}

static void tab_zadd(tab_t *t, ent_t *e, const char *score, const char *member)
{
    if (!e || t->nzm == t->zcap)
        return;
    zmem_t *m = &t->zm[t->nzm++];
    m->score = score;
    m->member = member;
    if (e->ztail)
        t->zm[e->ztail - 1].next = t->nzm;
    else
        e->zhead = t->nzm;
    e->ztail = t->nzm;
    e->zn++;
}

/* Queue every entry's write, then the EXPIREs (an EXPIRE before the key's
 * first write would do nothing). */
static void tab_send(const tab_t *t)
{
    size_t cap = 0;
    const char **argv = NULL;
    size_t *lens = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const ent_t *e = &t->e[i];
        char nb[24];
        if (e->op == OP_INCR)
            kv_pipe_strs("INCRBY", e->key, buf_dec(nb, e->n), NULL);
        else if (e->op == OP_HINCR)
            kv_pipe_strs("HINCRBY", e->key, e->field, buf_dec(nb, e->n));
        else if (e->op == OP_ZADD && e->zn) {
            size_t need = 2 + 2 * e->zn, k = 0;
            if (need > cap) {
                free(argv);
                free(lens);
                cap = need;
                argv = malloc(cap * sizeof *argv);
                lens = malloc(cap * sizeof *lens);
                if (!argv || !lens) {
                    cap = 0;
                    continue;
                }
            }
            argv[k++] = "ZADD";
            argv[k++] = e->key;
            for (size_t m = e->zhead; m; m = t->zm[m - 1].next) {
                argv[k++] = t->zm[m - 1].score;
                argv[k++] = t->zm[m - 1].member;
            }
            for (size_t j = 0; j < k; j++)
                lens[j] = strlen(argv[j]);
            kv_pipe_argv((int)k, argv, lens);
            if (e->trim_below > 0) {
                char lo[24];
                lo[0] = '(';
                buf_dec(lo + 1, e->trim_below);
                kv_pipe_strs("ZREMRANGEBYSCORE", e->key, "-inf", lo);
            }
        }
    }
    free(argv);
    free(lens);
    for (size_t i = 0; i < t->n; i++) {
        char nb[24];
        if (t->e[i].ttl > 0)
            kv_pipe_strs("EXPIRE", t->e[i].key, buf_dec(nb, t->e[i].ttl), NULL);
    }
}

/* ------------------------------------------------------------- decisions */

static int counted(const rec_t *r, const judged_t *j)
{
    return j->ok && cfg->rate_limit_max > 0 && r->rl && r->ip_hash[0];
}

/* Window ends of the over-limit addresses whose window did not start in
 * this batch: one more (small) exchange, only when there are such. */
static void window_ends(char **ips, long long *end, size_t n, long long now, long long win)
{
    size_t q = 0;
    for (size_t k = 0; k < n; k++)
        if (ips[k])
            q += kv_pipe("PTTL %s" LK_RL, kv_prefix, ips[k]) == 0;
    for (size_t k = 0; k < n && q; k++) {
        if (!ips[k])
            continue;
        kv_reply_t *t = kv_pipe_read();
        q--;
        long long ttl = (t && kv_type(t) == KV_INT && kv_int(t) > 0) ? kv_int(t) : win;
        end[k] = now + ttl;
        kv_free(t);
    }
}

static void decide(rec_t *R, judged_t *J, size_t n, arena_t *a)
{
    long long max = cfg->rate_limit_max, win = cfg->rate_limit_window_ms;
    size_t ns = 0;
    score_ship_rec_t *S = arena_calloc(a, (n ? n : 1) * sizeof *S);
    size_t *sidx = arena_calloc(a, (n ? n : 1) * sizeof *sidx);
    /* distinct counted addresses: rl_ip[i] = their index + 1 */
    tab_t ips;
    tab_init(&ips, a, n, 0);
    size_t *rl_ip = arena_calloc(a, (n ? n : 1) * sizeof *rl_ip);
    for (size_t i = 0; i < n; i++) {
        if (counted(&R[i], &J[i])) {
            ent_t *e = tab_get(&ips, a, R[i].ip_hash, NULL, OP_INCR, 0);
            e->n++;
            rl_ip[i] = (size_t)(e - ips.e) + 1;
        }
        if (J[i].ok && (R[i].kind == REC_VIEW || R[i].kind == REC_EVENTS)) {
            score_ship_rec_t *s = &S[ns];
            s->kind = R[i].kind == REC_VIEW ? SCORE_KIND_BEACON : SCORE_KIND_EVENTS;
            s->ip_hash = R[i].ip_known ? R[i].ip_hash : NULL;
            s->site_id = R[i].kind == REC_VIEW ? R[i].view.site_id : R[i].events.site_id;
            s->visitor_id = R[i].vid0;
            s->fp_key = R[i].kind == REC_VIEW ? R[i].fp : NULL;
            s->ts_ms = R[i].ts_ms;
            s->score = R[i].score;
            sidx[ns++] = i;
        }
    }
    size_t nrl = 0;
    char wb[24], kb[sizeof LK_RL + 128 + 64];
    buf_dec(wb, win);
    for (size_t k = 0; k < ips.n; k++) {
        char nb[24];
        snprintf(kb, sizeof kb, "%s" LK_RL, kv_prefix, ips.e[k].key);
        nrl += kv_pipe_strs("INCRBY", kb, buf_dec(nb, ips.e[k].n), NULL) == 0;
        nrl += kv_pipe_strs("PEXPIRE", kb, wb, "NX") == 0;
    }
    size_t q = ns ? score_ship_queue(S, ns) : 0;
    long long now = now_ms();
    /* per address: counter before the batch (-1: unknown, Redis down) and
     * whether its window started with this batch */
    long long *before = arena_alloc(a, (ips.n ? ips.n : 1) * sizeof *before);
    int *fresh = arena_calloc(a, (ips.n ? ips.n : 1) * sizeof *fresh);
    for (size_t k = 0; k < ips.n; k++) {
        kv_reply_t *c = nrl == 2 * ips.n ? kv_pipe_read() : NULL;
        kv_reply_t *e = nrl == 2 * ips.n ? kv_pipe_read() : NULL;
        before[k] = c && kv_type(c) == KV_INT ? kv_int(c) - ips.e[k].n : -1;
        fresh[k] = e && kv_type(e) == KV_INT && kv_int(e) == 1;
        kv_free(c);
        kv_free(e);
    }
    if (nrl != 2 * ips.n)
        for (size_t k = 0; k < nrl; k++) kv_free(kv_pipe_read());
    kv_reply_t **rep = q ? arena_calloc(a, q * sizeof *rep) : NULL;
    for (size_t k = 0; k < q; k++)
        rep[k] = kv_pipe_read();
    if (ns) score_ship_apply(S, ns, rep, q);
    for (size_t k = 0; k < q; k++) kv_free(rep[k]);
    /* over the limit, in arrival order */
    long long *seen = arena_calloc(a, (ips.n ? ips.n : 1) * sizeof *seen);
    long long *end = arena_calloc(a, (ips.n ? ips.n : 1) * sizeof *end);
    char **ask = arena_calloc(a, (ips.n ? ips.n : 1) * sizeof *ask);
    int asking = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rl_ip[i]) continue;
        size_t k = rl_ip[i] - 1;
        seen[k]++;
        if (before[k] < 0 || before[k] + seen[k] <= max) continue;
        J[i].limited = 1;
        if (!end[k] && !ask[k]) {
            if (fresh[k]) end[k] = now + win;
            else {
                ask[k] = (char *)ips.e[k].key;
                asking = 1;
            }
        }
    }
    if (asking) window_ends(ask, end, ips.n, now, win);
    for (size_t i = 0; i < n; i++)
        if (J[i].limited) J[i].rl_end_ms = end[rl_ip[i] - 1];
    /* the detail text of consecutive equal scores is written once */
    score_t last;
    const char *last_d = NULL;
    for (size_t k = 0; k < ns; k++) {
        size_t i = sidx[k];
        J[i].total = S[k].total;
        if (!last_d || memcmp(&last, &S[k].score, sizeof last) != 0) {
            char d[SCORE_DETAIL_MAX];
            if (score_detail_json(&S[k].score, d, sizeof d) < 0) snprintf(d, sizeof d, "{}");
            last = S[k].score;
            last_d = arena_strdup(a, d);
        }
        J[i].detail = last_d;
        J[i].store = !J[i].limited && !S[k].discard;
    }
}

/* ---------------------------------------------------------------- inserts */

#define VIEW_COLS 25
#define EVENT_COLS 18
static const char view_cols[] =
    "INSERT INTO `visitor_views` (`visitor_id`,`path`,`site_id`,`session_id`,`interaction_ms`,"
    "`screen_width`,`screen_height`,`device_type`,`os_name`,`browser_name`,`browser_version`,"
    "`country_code`,`is_returning`,`referrer`,`referrer_type`,`bot_score`,`bot_score_detail`,"
    "`is_pwa`,`utm_source`,`utm_medium`,`utm_campaign`,`utm_content`,`utm_term`,`created_at`,"
    "`record_id`) VALUES ";
static const char event_cols[] =
    "INSERT INTO `semantic_events` (`event_type`,`site_id`,`session_id`,`visitor_id`,`data`,"
    "`experiment_id`,`variant_id`,`utm_campaign`,`device_type`,`referrer`,`hour`,`month`,"
    "`day_of_week`,`is_returning`,`bot_score`,`bot_score_detail`,`created_at`,`record_id`) VALUES ";

static db_param_t P_s(const char *s) { db_param_t p = { .type = s ? 's' : 'n', .s = s }; return p; }
static db_param_t P_i(long long i) { db_param_t p = { .type = 'i', .i = i }; return p; }
static db_param_t P_b(const unsigned char *b) { db_param_t p = { .type = 'b', .s = (const char *)b, .len = REC_ID_LEN }; return p; }

static int flush_rows(const char *head, size_t ncols, const db_param_t *P, size_t rows)
{
    if (rows == 0) return 0;
    buf_t sql;
    buf_init(&sql);
    buf_puts(&sql, head);
    for (size_t r = 0; r < rows; r++) {
        buf_puts(&sql, r ? ",(" : "(");
        for (size_t c = 0; c < ncols; c++) buf_puts(&sql, c ? ",?" : "?");
        buf_putc(&sql, ')');
    }
    buf_puts(&sql, " ON DUPLICATE KEY UPDATE `record_id` = `record_id`");
    long long rc = db_execv(sql.p, P, rows * ncols);
    buf_free(&sql);
    return rc < 0 ? -1 : 0;
}

/* One more row in P (*rows of them): a full statement goes out at once. */
static int row_added(const char *head, size_t ncols, const db_param_t *P, size_t *rows)
{
    if (++*rows < SHIP_ROWS_PER_INSERT) return 0;
    *rows = 0;
    return flush_rows(head, ncols, P, SHIP_ROWS_PER_INSERT);
}

/* The rows of one transaction, statement by statement: a record's rows
 * are added in arrival order and a full statement goes out at once. */
typedef struct inserter {
    arena_t a;
    db_param_t *P, *E;
    size_t pr, er;
    int began;
} inserter_t;

static int ins_open(inserter_t *s)
{
    memset(s, 0, sizeof *s);
    s->P = malloc(sizeof(db_param_t) * VIEW_COLS * SHIP_ROWS_PER_INSERT);
    s->E = malloc(sizeof(db_param_t) * EVENT_COLS * SHIP_ROWS_PER_INSERT);
    return s->P && s->E ? 0 : -1;
}

static int ins_add(inserter_t *s, const rec_t *r, const judged_t *j)
{
    arena_t *a = &s->a;
    int rc = 0;
    if (!s->began) {
        if (db_begin() != 0) return -1;
        s->began = 1;
    }
    char *ts = arena_alloc(a, 24);
    rec_datetime(r->ts_ms, ts);
    if (r->kind == REC_VIEW) {
        const rec_view_t *v = &r->view;
        db_param_t *p = s->P + s->pr * VIEW_COLS;
        p[0] = P_s(fit(a, v->visitor_id, 128));
        p[1] = P_s(fit(a, v->path, 2048));
        p[2] = P_s(fit(a, v->site_id, 64));
        p[3] = P_s(fit(a, v->session_id, 64));
        p[4] = P_i(v->interaction_ms);
        p[5] = v->has_w ? P_i(v->w) : P_s(NULL);
        p[6] = v->has_h ? P_i(v->h) : P_s(NULL);
        p[7] = P_s(fit(a, v->device_type, 32));
        p[8] = P_s(fit(a, v->os_name, 64));
        p[9] = P_s(fit(a, v->browser_name, 64));
        p[10] = P_s(fit(a, v->browser_version, 64));
        p[11] = P_s(fit(a, v->country_code, 32));
        p[12] = P_i(v->is_returning);
        p[13] = P_s(fit(a, v->referrer, 2048));
        p[14] = P_s(fit(a, v->referrer_type, 32));
        p[15] = P_i(j->total);
        p[16] = P_s(j->detail);
        p[17] = P_i(v->is_pwa);
        for (int k = 0; k < 5; k++) p[18 + k] = P_s(fit(a, v->utm[k], 256));
        p[23] = P_s(ts);
        p[24] = P_b(v->id);
        rc = row_added(view_cols, VIEW_COLS, s->P, &s->pr);
    } else if (r->kind == REC_EVENTS) {
        const rec_events_t *e = &r->events;
        for (size_t k = 0; k < e->n && rc == 0; k++) {
            const rec_event_t *x = &e->ev[k];
            db_param_t *p = s->E + s->er * EVENT_COLS;
            p[0] = P_s(fit(a, x->event_type, 64));
            p[1] = P_s(fit(a, e->site_id, 64));
            p[2] = P_s(fit(a, x->session_id, 64));
            p[3] = P_s(fit(a, e->visitor_id, 128));
            p[4] = P_s(x->data);
            p[5] = P_s(fit(a, x->experiment_id, 128));
            p[6] = P_s(fit(a, x->variant_id, 128));
            p[7] = P_s(fit(a, x->utm_campaign, 256));
            p[8] = P_s(fit(a, e->device_type, 32));
            p[9] = P_s(fit(a, e->referrer, 2048));
            p[10] = P_i(e->hour);
            p[11] = P_i(e->month);
            p[12] = P_i(e->day_of_week);
            p[13] = P_i(e->is_returning);
            p[14] = P_i(j->total);
            p[15] = P_s(j->detail);
            p[16] = P_s(ts);
            p[17] = P_b(x->id);
            rc = row_added(event_cols, EVENT_COLS, s->E, &s->er);
        }
    }
    return rc;
}

/* The last statements and COMMIT when rc is 0, else ROLLBACK; frees s.
 * Returns 0 when the rows are committed (or there were none). */
static int ins_close(inserter_t *s, int rc)
{
    if (s->began) {
        if (rc == 0) rc = flush_rows(view_cols, VIEW_COLS, s->P, s->pr);
        if (rc == 0) rc = flush_rows(event_cols, EVENT_COLS, s->E, s->er);
        if (rc == 0 && db_commit() != 0) rc = -1;
        if (rc != 0) db_rollback();
    }
    free(s->P);
    free(s->E);
    arena_free(&s->a);
    return rc;
}

/* ------------------------------------------------------------- pipeline */

/* A batch's stages are serial per record (decide needs the parse, the
 * insert needs the decision, the effects need the commit), and each waits
 * on another process: measured shipping alone, MariaDB ~40 us of CPU per
 * record, Redis ~25, this process ~14, one after the other, so the box sat
 * half idle. The batch therefore goes in chunks of SHIP_CHUNK records: a
 * second thread inserts the chunks already decided while this one parses
 * and decides the next (its Redis exchange). Deciding chunk by chunk in
 * arrival order gives the values one command per record would (see the top
 * of this file). The insert thread has the process's MariaDB connection to
 * itself until it is joined (nothing on this side touches store/db
 * meanwhile); this thread has Redis. Batches of one chunk, and a failed
 * pthread_create, insert in this thread. (Two insert threads on two
 * connections were tried: their transactions fight over the same index
 * pages, MariaDB burnt 1.5x the CPU per row and shipped no faster.) */
#define SHIP_CHUNK 100
#define SHIP_FIRST_CHUNK 25     /* the insert thread starts sooner */

typedef struct stage {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const rec_t *R;
    const judged_t *J;
    size_t ready;           /* records [0, ready) are decided */
    size_t n;
    int threaded;           /* mu and cv in use: the inserts run in a thread */
    int rc;                 /* the insert's result, after the join */
} stage_t;

static void *insert_stage(void *arg)
{
    stage_t *st = arg;
    inserter_t s;
    int rc = ins_open(&s);
    size_t done = 0;
    while (rc == 0 && done < st->n) {
        size_t upto = st->ready;            /* inline: everything is decided */
        if (st->threaded) {
            pthread_mutex_lock(&st->mu);
            while (st->ready == done) pthread_cond_wait(&st->cv, &st->mu);
            upto = st->ready;
            pthread_mutex_unlock(&st->mu);
        }
        for (; done < upto && rc == 0; done++)
            if (st->J[done].ok && st->J[done].store) rc = ins_add(&s, &st->R[done], &st->J[done]);
    }
    st->rc = ins_close(&s, rc);
    return NULL;
}

/* Start the insert thread (st->threaded); when it cannot start, the
 * inserts run in this thread once everything is decided. */
static void stage_start(stage_t *st, pthread_t *th)
{
    if (pthread_mutex_init(&st->mu, NULL) != 0) return;
    if (pthread_cond_init(&st->cv, NULL) == 0) {
        st->threaded = 1;               /* before the thread reads it */
        if (pthread_create(th, NULL, insert_stage, st) == 0) return;
        st->threaded = 0;
        pthread_cond_destroy(&st->cv);
    }
    pthread_mutex_destroy(&st->mu);
}

/* Every record is decided: wait for the inserts (or do them now). */
static void stage_finish(stage_t *st, pthread_t th)
{
    if (!st->threaded) {
        insert_stage(st);
        return;
    }
    pthread_join(th, NULL);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
}

static void stage_ready(stage_t *st, size_t upto)
{
    if (!st->threaded) {
        st->ready = upto;
        return;
    }
    pthread_mutex_lock(&st->mu);
    st->ready = upto;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* ---------------------------------------------------------------- effects */

static void effects(rec_t *R, judged_t *J, size_t n, arena_t *a)
{
    long long now = now_ms();
    char key[512];
    /* per record at most: rl:over, a window, pv, paths + its TTL, vm, vh */
    tab_t t;
    tab_init(&t, a, 7 * n + 1, 2 * n + 1);
    ent_t *over = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!J[i].ok) continue;
        if (J[i].limited) {
            if (!over) {
                snprintf(key, sizeof key, "%s" LK_RL_OVER, kv_prefix);
                over = tab_get(&t, a, key, NULL, OP_ZADD, 0);
            }
            tab_zadd(&t, over, arena_printf(a, "%lld", J[i].rl_end_ms), R[i].ip_hash);
        }
        if (!J[i].store) continue;
        long long ts = R[i].ts_ms;
        if (R[i].kind == REC_VIEW) {
            const char *site = R[i].view.site_id, *vid = R[i].view.visitor_id;
            const char *score = arena_printf(a, "%lld", ts);
            ent_t *e;
            int bot = J[i].total >= 50;
            snprintf(key, sizeof key, bot ? "%s" LK_RT_BV : "%s" LK_RT_HV, kv_prefix, site);
            if ((e = tab_get(&t, a, key, NULL, OP_ZADD, LK_RT_TTL_S))) e->trim_below = now - LK_RT_WINDOW_MS;
            tab_zadd(&t, e, score, vid);
            if (bot) continue;
            long long b = ts / LK_RT_BUCKET_MS, m = ts / 60000, h = ts / 3600000;
            snprintf(key, sizeof key, "%s" LK_RT_PV, kv_prefix, site, b);
            if ((e = tab_get(&t, a, key, NULL, OP_INCR, LK_RT_TTL_S))) e->n++;
            snprintf(key, sizeof key, "%s" LK_RT_PATHS, kv_prefix, site, b);
            tab_get(&t, a, key, NULL, OP_TTL, LK_RT_TTL_S);
            if ((e = tab_get(&t, a, key, R[i].view.path, OP_HINCR, 0))) e->n++;
            snprintf(key, sizeof key, "%s" LK_RT_VM, kv_prefix, site, m);
            if ((e = tab_get(&t, a, key, NULL, OP_INCR, LK_RT_MIN_TTL_S))) e->n++;
            snprintf(key, sizeof key, "%s" LK_RT_VH, kv_prefix, site, h);
            if ((e = tab_get(&t, a, key, NULL, OP_INCR, LK_RT_HOUR_TTL_S))) e->n++;
        } else if (R[i].kind == REC_EVENTS && J[i].total < 50 && R[i].events.n) {
            const char *site = R[i].events.site_id;
            long long m = ts / 60000, h = ts / 3600000, cnt = (long long)R[i].events.n;
            ent_t *e;
            snprintf(key, sizeof key, "%s" LK_RT_EM, kv_prefix, site, m);
            if ((e = tab_get(&t, a, key, NULL, OP_INCR, LK_RT_MIN_TTL_S))) e->n += cnt;
            snprintf(key, sizeof key, "%s" LK_RT_EH, kv_prefix, site, h);
            if ((e = tab_get(&t, a, key, NULL, OP_INCR, LK_RT_HOUR_TTL_S))) e->n += cnt;
        }
    }
    tab_send(&t);
    if (n) kv_pipe("ZREMRANGEBYSCORE %s" LK_RL_OVER " -inf %lld", kv_prefix, now);
    /* nothing here needs the replies: Redis applies these while the next
     * batch is loaded and parsed */
    kv_pipe_defer();
}

int ship_batch(const shipper_rec_t *recs, size_t n)
{
    arena_t a = { 0 };
    rec_t *R = calloc(n ? n : 1, sizeof *R);
    judged_t *J = calloc(n ? n : 1, sizeof *J);
    int rc = -1;
    if (!R || !J) goto out;
    stage_t st = { .R = R, .J = J, .n = n };
    pthread_t th = 0;
    if (n > SHIP_CHUNK) stage_start(&st, &th);
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        size_t len = lo ? SHIP_CHUNK : SHIP_FIRST_CHUNK;
        hi = n - lo > len ? lo + len : n;
        for (size_t i = lo; i < hi; i++) {
            J[i].ok = rec_parse(&a, recs[i].payload, recs[i].len, &R[i]) == 0;
            if (!J[i].ok) log_warn("collect", "skipping a malformed spool record (%zu bytes)", recs[i].len);
        }
        decide(R + lo, J + lo, hi - lo, &a);
        stage_ready(&st, hi);
    }
    stage_finish(&st, th);
    if (st.rc != 0) goto out;
    effects(R, J, n, &a);
    rc = 0;
out:
    free(R);
    free(J);
    arena_free(&a);
    return rc;
}
