/* ship.c -- collection's spool batch handler (see ship.h).
 *
 * Per batch (records in arrival order):
 *   parse -> Redis exchange 1 (decisions): INCR/PEXPIRE NX/PTTL rl:<ih> for
 *     every counted record, then defense's burst / bot-IP / correlator script
 *     (score_ship_queue) -> per record: over the limit? final score, discard?
 *   -> MariaDB: one transaction, INSERT ... ON DUPLICATE KEY UPDATE
 *     record_id = record_id, at most 50 rows per statement (spec/30 §1.1.8:
 *     deduplicates like INSERT IGNORE but keeps data errors visible)
 *   -> Redis exchange 2 (effects, after COMMIT so a failed insert that is
 *     retried does not count realtime twice): rl:over, realtime windows,
 *     minute/hour counters.
 * Two exchanges rather than one because every write of the second depends
 * on a decision that needs the replies of the first; each is one pipeline.
 *
 * Redis keys: collect/live_keys.h. Tables: visitor_views, semantic_events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

void ship_init(void)
{
    shipper_register(REC_SPOOL_TYPE, ship_batch);
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

/* ------------------------------------------------------------- decisions */

static void decide(rec_t *R, judged_t *J, size_t n, arena_t *a)
{
    long long max = cfg->rate_limit_max, win = cfg->rate_limit_window_ms;
    size_t nrl = 0, ns = 0;
    score_ship_rec_t *S = calloc(n ? n : 1, sizeof *S);
    size_t *sidx = calloc(n ? n : 1, sizeof *sidx);
    if (!S || !sidx) {
        free(S);
        free(sidx);
        for (size_t i = 0; i < n; i++) J[i].store = J[i].ok && R[i].kind != REC_HIT;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!J[i].ok) continue;
        if (max > 0 && R[i].rl && R[i].ip_hash[0]) {
            kv_pipe("INCR %s" LK_RL, kv_prefix, R[i].ip_hash);
            kv_pipe("PEXPIRE %s" LK_RL " %lld NX", kv_prefix, R[i].ip_hash, win);
            kv_pipe("PTTL %s" LK_RL, kv_prefix, R[i].ip_hash);
            nrl++;
        }
        if (R[i].kind == REC_VIEW || R[i].kind == REC_EVENTS) {
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
    size_t q = ns ? score_ship_queue(S, ns) : 0;
    long long now = now_ms();
    for (size_t i = 0; i < n; i++) {
        if (!J[i].ok || !(max > 0 && R[i].rl && R[i].ip_hash[0])) continue;
        kv_reply_t *c = kv_pipe_read(), *e = kv_pipe_read(), *t = kv_pipe_read();
        if (c && kv_type(c) == KV_INT && kv_int(c) > max) {
            J[i].limited = 1;
            long long ttl = (t && kv_type(t) == KV_INT && kv_int(t) > 0) ? kv_int(t) : win;
            J[i].rl_end_ms = now + ttl;
        }
        kv_free(c);
        kv_free(e);
        kv_free(t);
    }
    kv_reply_t **rep = q ? calloc(q, sizeof *rep) : NULL;
    for (size_t k = 0; k < q; k++) {
        kv_reply_t *r = kv_pipe_read();
        if (rep) rep[k] = r;
        else kv_free(r);
    }
    if (ns) score_ship_apply(S, ns, rep, rep ? q : 0);
    for (size_t k = 0; rep && k < q; k++) kv_free(rep[k]);
    free(rep);
    for (size_t k = 0; k < ns; k++) {
        size_t i = sidx[k];
        char d[SCORE_DETAIL_MAX];
        J[i].total = S[k].total;
        if (score_detail_json(&S[k].score, d, sizeof d) < 0) snprintf(d, sizeof d, "{}");
        J[i].detail = arena_strdup(a, d);
        J[i].store = !J[i].limited && !S[k].discard;
    }
    free(S);
    free(sidx);
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

static int insert_all(arena_t *a, rec_t *R, judged_t *J, size_t n)
{
    db_param_t *P = malloc(sizeof(db_param_t) * VIEW_COLS * SHIP_ROWS_PER_INSERT);
    db_param_t *E = malloc(sizeof(db_param_t) * EVENT_COLS * SHIP_ROWS_PER_INSERT);
    size_t pr = 0, er = 0;
    int rc = 0;
    if (!P || !E) { free(P); free(E); return -1; }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!J[i].ok || !J[i].store) continue;
        char *ts = arena_alloc(a, 24);
        rec_datetime(R[i].ts_ms, ts);
        if (R[i].kind == REC_VIEW) {
            const rec_view_t *v = &R[i].view;
            db_param_t *p = P + pr * VIEW_COLS;
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
            p[15] = P_i(J[i].total);
            p[16] = P_s(J[i].detail);
            p[17] = P_i(v->is_pwa);
            for (int k = 0; k < 5; k++) p[18 + k] = P_s(fit(a, v->utm[k], 256));
            p[23] = P_s(ts);
            p[24] = P_b(v->id);
            if (++pr == SHIP_ROWS_PER_INSERT) {
                rc = flush_rows(view_cols, VIEW_COLS, P, pr);
                pr = 0;
            }
        } else if (R[i].kind == REC_EVENTS) {
            const rec_events_t *e = &R[i].events;
            for (size_t k = 0; k < e->n && rc == 0; k++) {
                const rec_event_t *x = &e->ev[k];
                db_param_t *p = E + er * EVENT_COLS;
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
                p[14] = P_i(J[i].total);
                p[15] = P_s(J[i].detail);
                p[16] = P_s(ts);
                p[17] = P_b(x->id);
                if (++er == SHIP_ROWS_PER_INSERT) {
                    rc = flush_rows(event_cols, EVENT_COLS, E, er);
                    er = 0;
                }
            }
        }
    }
    if (rc == 0) rc = flush_rows(view_cols, VIEW_COLS, P, pr);
    if (rc == 0) rc = flush_rows(event_cols, EVENT_COLS, E, er);
    free(P);
    free(E);
    return rc;
}

/* ---------------------------------------------------------------- effects */

static void effects(rec_t *R, judged_t *J, size_t n)
{
    size_t q = 0;
    long long now = now_ms();
    int any_limited = 0;
    for (size_t i = 0; i < n; i++) {
        if (!J[i].ok) continue;
        if (J[i].limited) {
            kv_pipe("ZADD %s" LK_RL_OVER " %lld %s", kv_prefix, J[i].rl_end_ms, R[i].ip_hash);
            q++;
            any_limited = 1;
        }
        if (!J[i].store) continue;
        long long t = R[i].ts_ms;
        if (R[i].kind == REC_VIEW) {
            const char *site = R[i].view.site_id, *vid = R[i].view.visitor_id;
            if (J[i].total >= 50) {
                kv_pipe("ZADD %s" LK_RT_BV " %lld %s", kv_prefix, site, t, vid);
                kv_pipe("EXPIRE %s" LK_RT_BV " %d", kv_prefix, site, LK_RT_TTL_S);
                q += 2;
                continue;
            }
            long long b = t / LK_RT_BUCKET_MS, m = t / 60000, h = t / 3600000;
            kv_pipe("ZADD %s" LK_RT_HV " %lld %s", kv_prefix, site, t, vid);
            kv_pipe("EXPIRE %s" LK_RT_HV " %d", kv_prefix, site, LK_RT_TTL_S);
            kv_pipe("INCR %s" LK_RT_PV, kv_prefix, site, b);
            kv_pipe("EXPIRE %s" LK_RT_PV " %d", kv_prefix, site, b, LK_RT_TTL_S);
            kv_pipe("HINCRBY %s" LK_RT_PATHS " %s 1", kv_prefix, site, b, R[i].view.path);
            kv_pipe("EXPIRE %s" LK_RT_PATHS " %d", kv_prefix, site, b, LK_RT_TTL_S);
            kv_pipe("INCR %s" LK_RT_VM, kv_prefix, site, m);
            kv_pipe("EXPIRE %s" LK_RT_VM " %d", kv_prefix, site, m, LK_RT_MIN_TTL_S);
            kv_pipe("INCR %s" LK_RT_VH, kv_prefix, site, h);
            kv_pipe("EXPIRE %s" LK_RT_VH " %d", kv_prefix, site, h, LK_RT_HOUR_TTL_S);
            q += 10;
        } else if (R[i].kind == REC_EVENTS && J[i].total < 50 && R[i].events.n) {
            const char *site = R[i].events.site_id;
            long long m = t / 60000, h = t / 3600000, cnt = (long long)R[i].events.n;
            kv_pipe("INCRBY %s" LK_RT_EM " %lld", kv_prefix, site, m, cnt);
            kv_pipe("EXPIRE %s" LK_RT_EM " %d", kv_prefix, site, m, LK_RT_MIN_TTL_S);
            kv_pipe("INCRBY %s" LK_RT_EH " %lld", kv_prefix, site, h, cnt);
            kv_pipe("EXPIRE %s" LK_RT_EH " %d", kv_prefix, site, h, LK_RT_HOUR_TTL_S);
            q += 4;
        }
    }
    if (any_limited || n) {
        kv_pipe("ZREMRANGEBYSCORE %s" LK_RL_OVER " -inf %lld", kv_prefix, now);
        q++;
    }
    for (size_t k = 0; k < q; k++) kv_free(kv_pipe_read());
}

int ship_batch(const shipper_rec_t *recs, size_t n)
{
    arena_t a = { 0 };
    rec_t *R = calloc(n ? n : 1, sizeof *R);
    judged_t *J = calloc(n ? n : 1, sizeof *J);
    int rc = -1;
    if (!R || !J) goto out;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        J[i].ok = rec_parse(&a, recs[i].payload, recs[i].len, &R[i]) == 0;
        if (!J[i].ok) log_warn("collect", "skipping a malformed spool record (%zu bytes)", recs[i].len);
    }
    decide(R, J, n, &a);
    for (size_t i = 0; i < n; i++) rows += J[i].ok && J[i].store;
    if (rows) {
        if (db_begin() != 0) goto out;
        if (insert_all(&a, R, J, n) != 0 || db_commit() != 0) {
            db_rollback();
            goto out;
        }
    }
    effects(R, J, n);
    rc = 0;
out:
    free(R);
    free(J);
    arena_free(&a);
    return rc;
}
