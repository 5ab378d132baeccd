/* correlator: see correlator.h.
 *
 * Prints live in Redis as "last seen" sorted sets per group (member = IP
 * hash or visitor id, score = arrival ms), which gives the same distinct
 * counts as the reference's list of prints. The sweep reads the groups that
 * saw a print in the last 20 minutes, and for each flagged one raises the
 * stored rows in one MariaDB transaction, then confirms the cluster's IPs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gcrypt.h>
#include <json-c/json.h>
#include "core/config.h"
#include "core/http.h"
#include "core/log.h"
#include "store/db.h"
#include "store/kv.h"
#include "defense/correlator.h"
#include "defense/score.h"

#define MOD "correlator"
#define SWEEP_LOCK_MS 110000
#define MAX_GROUPS 100000
#define PIPE_CHUNK 256          /* groups per pipelined exchange */
#define MAX_MEMBERS 5000        /* score.c caps each set at the same size */

/* ------------------------------------------------------------ pure parts */

static size_t put(char *out, size_t outsz, size_t o, const char *s, size_t n)
{
    if (o >= outsz)
        return o;
    size_t room = outsz - 1 - o;
    if (n > room)
        n = room;
    memcpy(out + o, s, n);
    out[o + n] = '\0';
    return o + n;
}

size_t correlator_fp_key(const char *os, const char *browser, const char *version,
                         const char *sw, const char *sh, const char *country,
                         const char *accept_language, char *out, size_t outsz)
{
    if (!outsz)
        return 0;
    char dims[48];
    long w, h;
    if (sw && score_parse_int(sw, &w) == 0 && w > 0 && w <= 10000) {
        if (!sh || score_parse_int(sh, &h) != 0)
            h = 0;      /* the reference renders undefined/NaN; we render 0 */
        snprintf(dims, sizeof dims, "%ldx%ld", w, h);
    } else {
        snprintf(dims, sizeof dims, "0x0");
    }
    const char *f[6] = { os ? os : "unknown", browser ? browser : "unknown",
                         version ? version : "unknown", dims, country ? country : "unknown",
                         accept_language ? accept_language : "unknown" };
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < 6; i++) {
        if (i)
            o = put(out, outsz, o, "|", 1);
        o = put(out, outsz, o, f[i], strlen(f[i]));
    }
    return o;
}

void correlator_gid(const char *site_id, const char *fp_key, char gid[CORR_GID_LEN + 1])
{
    gcry_md_hd_t h;
    static const char hex[] = "0123456789abcdef";
    if (gcry_md_open(&h, GCRY_MD_SHA256, 0) != 0) {
        memset(gid, '0', CORR_GID_LEN);
        gid[CORR_GID_LEN] = '\0';
        return;
    }
    gcry_md_write(h, site_id, strlen(site_id));
    gcry_md_write(h, "||", 2);
    gcry_md_write(h, fp_key, strlen(fp_key));
    const unsigned char *d = gcry_md_read(h, GCRY_MD_SHA256);
    for (int i = 0; i < CORR_GID_LEN / 2; i++) {
        gid[2 * i] = hex[d[i] >> 4];
        gid[2 * i + 1] = hex[d[i] & 15];
    }
    gid[CORR_GID_LEN] = '\0';
    gcry_md_close(h);
}

int correlator_penalty(size_t nips, int tainted)
{
    if (tainted && nips >= 4)
        return 50;
    if (!tainted && nips >= 6)
        return nips >= 8 ? 50 : 30;
    return 0;
}

int correlator_detail_json(int penalty, size_t cluster_size, int tainted,
                           const char *fingerprint, char *out, size_t outsz)
{
    json_object *o = json_object_new_object();
    if (!o)
        return -1;
    json_object_object_add(o, "reason", json_object_new_string("correlated"));
    json_object_object_add(o, "penalty", json_object_new_int(penalty));
    json_object_object_add(o, "cluster_size", json_object_new_int64((int64_t)cluster_size));
    json_object_object_add(o, "tainted", json_object_new_boolean(tainted));
    json_object_object_add(o, "fingerprint", json_object_new_string(fingerprint));
    size_t n;
    const char *t = json_object_to_json_string_length(o, HTTP_JSON_FLAGS, &n);
    int rc = -1;
    if (t && n < outsz) {
        memcpy(out, t, n + 1);
        rc = (int)n;
    }
    json_object_put(o);
    return rc;
}

/* ------------------------------------------------------------ SQL */

/* The detail merge is string concatenation so the stored text stays compact
 * and key order is "existing keys, then the new one" on MariaDB and MySQL
 * alike (their JSON_SET output formats differ). Invalid or non-object text
 * is treated like NULL (spec/20 §7.5 mapping). */
#define OPEN_OBJ(col)                                                              \
    "CASE WHEN " col " IS NULL THEN '{' WHEN JSON_VALID(" col ") = 0 THEN '{' "    \
    "WHEN JSON_TYPE(" col ") <> 'OBJECT' THEN '{' WHEN JSON_LENGTH(" col ") = 0 "  \
    "THEN '{' ELSE CONCAT(LEFT(TRIM(" col "), CHAR_LENGTH(TRIM(" col ")) - 1), ',') END"

/* The no-event penalty (§7.6). The window [now-30min, now-5min] is fixed
 * once per sweep and walked in slices of about NE_SLICE rows, each its own
 * autocommit statement (outside any transaction, as the spec has it): one
 * UPDATE over the whole window touched every bounce of 25 minutes at once --
 * at a few thousand pageviews a second, millions of rows, longer than the
 * read timeout, rolled back and retried every sweep.
 *
 * A row's verdict cannot change once a sweep has seen it in the window: its
 * events stay, its score only rises. So a sweep need not re-read what the
 * last one read. Redis keeps NE_MARK = "<max id>|<window end>" of the last
 * completed pass, and the next pass reads
 *   - rows created after that window end (created_at slices), and
 *   - older rows of the window committed since: their ids are above the
 *     last pass's max id, or a little below it (ids taken before that read
 *     and committed after it; NE_ID_SLACK is far more than can be in flight),
 *     so id slices from max id - NE_ID_SLACK cover rows shipped late from a
 *     spool backlog and bulk-ingested rows.
 * Without a mark (first sweep, Redis restarted, ids reset by TRUNCATE) the
 * pass reads the whole window. */
#define NE_SLICE 5000
#define NE_ID_SLACK 100000LL
#define NE_MARK "corr:ne:mark"
#define NE_UPD(index) "UPDATE visitor_views v FORCE INDEX (" index ") "                       \
    "SET v.bot_score = LEAST(v.bot_score + 15, 100), "                                       \
    "v.bot_score_detail = CONCAT(" OPEN_OBJ("v.bot_score_detail") ", '\"no_events\":true}') WHERE "
#define NE_COND " AND v.bot_score BETWEEN 0 AND 49 "                                          \
    "AND (v.bot_score_detail IS NULL OR v.bot_score_detail NOT LIKE '%\"no_events\"%') "       \
    "AND NOT EXISTS (SELECT 1 FROM semantic_events e "                                        \
    "WHERE e.visitor_id = v.visitor_id AND e.site_id = v.site_id)"
static const char sql_ne_slice[] =
    NE_UPD("idx_vv_created_bot") "v.created_at >= ? AND v.created_at < ?" NE_COND;
static const char sql_ne_last[] =
    NE_UPD("idx_vv_created_bot") "v.created_at >= ? AND v.created_at <= ?" NE_COND;
static const char sql_ne_ids[] =
    NE_UPD("PRIMARY") "v.id > ? AND v.id <= ? AND v.created_at >= ? AND v.created_at < ?" NE_COND;
static const char sql_ne_window[] =
    "SELECT DATE_FORMAT(UTC_TIMESTAMP(3) - INTERVAL 30 MINUTE, '%Y-%m-%d %H:%i:%s.%f'), "
    "DATE_FORMAT(UTC_TIMESTAMP(3) - INTERVAL 5 MINUTE, '%Y-%m-%d %H:%i:%s.%f'), "
    "(SELECT COALESCE(MAX(id), 0) FROM visitor_views)";
/* where the next slice starts: the created_at NE_SLICE rows on (index only) */
static const char sql_ne_next[] =
    "SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') FROM visitor_views "
    "FORCE INDEX (idx_vv_created_bot) WHERE created_at >= ? AND created_at <= ? "
    "ORDER BY created_at LIMIT 1 OFFSET ?";
/* more than NE_SLICE rows at one instant: the slice takes all of them */
static const char sql_ne_after[] =
    "SELECT DATE_FORMAT(MIN(created_at), '%Y-%m-%d %H:%i:%s.%f') FROM visitor_views "
    "FORCE INDEX (idx_vv_created_bot) WHERE created_at > ? AND created_at <= ?";

/* [from, to] in created_at slices; rows raised or -1. */
static long long ne_range(const char *from, const char *to)
{
    char cur[40], next[40];
    snprintf(cur, sizeof cur, "%s", from);
    long long total = 0;
    for (;;) {
        int f = db_scalar_str(next, sizeof next, sql_ne_next, "ssi", cur, to, (long long)NE_SLICE);
        if (f > 0 && strcmp(next, cur) == 0)
            f = db_scalar_str(next, sizeof next, sql_ne_after, "ss", cur, to);
        if (f < 0) return -1;
        long long n = f ? db_exec(sql_ne_slice, "ss", cur, next) : db_exec(sql_ne_last, "ss", cur, to);
        if (n < 0) return -1;
        total += n;
        if (!f) return total;
        snprintf(cur, sizeof cur, "%s", next);
    }
}

static const char *pf(void);

/* The last pass's mark when it still applies to this window: 1 and *id,
 * end filled; else 0 (read the whole window). */
static int ne_mark(const char *lo, const char *hi, long long max_id, long long *id, char *end, size_t endsz)
{
    kv_reply_t *m = kv_cmd("GET %s" NE_MARK, pf());
    const char *v = m && kv_type(m) == KV_STR ? kv_str(m) : NULL;
    const char *bar = v ? strchr(v, '|') : NULL;
    int ok = 0;
    if (bar && strlen(bar + 1) < endsz) {
        char *e;
        long long d = strtoll(v, &e, 10);
        snprintf(end, endsz, "%s", bar + 1);
        /* an end inside this window, ids that did not go backwards */
        ok = e == bar && d >= 0 && d <= max_id && strcmp(end, lo) > 0 && strcmp(end, hi) <= 0;
        if (ok) *id = d;
    }
    kv_free(m);
    return ok;
}

/* Rows raised, or -1 when a statement fails (the sweep then aborts). */
static long long no_events_penalty(void)
{
    char lo[40], hi[40], end[40];
    long long max_id = 0, last_id = 0;
    db_res_t *w = NULL;
    if (db_query(&w, sql_ne_window, "") != 0) return -1;
    int ok = db_next(w) && db_str(w, 0) && db_str(w, 1);
    if (ok) {
        snprintf(lo, sizeof lo, "%s", db_str(w, 0));
        snprintf(hi, sizeof hi, "%s", db_str(w, 1));
        max_id = db_int(w, 2);
    }
    db_free(w);
    if (!ok) return -1;
    long long total;
    if (ne_mark(lo, hi, max_id, &last_id, end, sizeof end)) {
        total = 0;
        for (long long a = last_id > NE_ID_SLACK ? last_id - NE_ID_SLACK : 0; a < max_id; a += NE_SLICE) {
            long long b = max_id - a > NE_SLICE ? a + NE_SLICE : max_id;
            long long n = db_exec(sql_ne_ids, "iiss", a, b, lo, end);
            if (n < 0) return -1;
            total += n;
        }
        long long n = ne_range(end, hi);
        if (n < 0) return -1;
        total += n;
    } else {
        total = ne_range(lo, hi);
        if (total < 0) return -1;
    }
    kv_free(kv_cmd("SET %s" NE_MARK " %lld|%s EX 3600", pf(), max_id, hi));
    return total;
}

static const size_t in_sizes[] = { 1, 8, 64, 500 };

/* UPDATE <table> for one chunk of visitor ids; the IN list is padded with
 * repeats of the last id to one of four sizes, so the statement cache holds
 * at most four texts per table. */
static long long update_chunk(const char *table, const char *site, int penalty,
                              const char *detail, char **vids, size_t n)
{
    size_t sz = in_sizes[3];
    for (size_t i = 0; i < 4; i++)
        if (n <= in_sizes[i]) {
            sz = in_sizes[i];
            break;
        }
    buf_t sql;
    buf_init(&sql);
    buf_printf(&sql,
               "UPDATE %s SET bot_score = LEAST(bot_score + ?, 100), "
               "bot_score_detail = CONCAT(" OPEN_OBJ("bot_score_detail") ", '\"correlated\":', ?, '}') "
               "WHERE site_id = ? AND bot_score BETWEEN 0 AND 49 "
               "AND (bot_score_detail IS NULL OR bot_score_detail NOT LIKE '%%\"correlated\"%%') "
               "AND visitor_id IN (",
               table);
    for (size_t i = 0; i < sz; i++)
        buf_puts(&sql, i ? ",?" : "?");
    buf_putc(&sql, ')');
    db_param_t *p = calloc(sz + 3, sizeof *p);
    if (!p) {
        buf_free(&sql);
        return -1;
    }
    p[0].type = 'i';
    p[0].i = penalty;
    p[1].type = 's';
    p[1].s = detail;
    p[2].type = 's';
    p[2].s = site;
    for (size_t i = 0; i < sz; i++) {
        p[3 + i].type = 's';
        p[3 + i].s = vids[i < n ? i : n - 1];
    }
    long long rc = db_execv(sql.p, p, sz + 3);
    free(p);
    buf_free(&sql);
    return rc;
}

/* ------------------------------------------------------------ Redis helpers */

static const char *pf(void)
{
    return kv_prefix ? kv_prefix : "";
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct group {
    char gid[CORR_GID_LEN + 1];
    size_t nips;
    int tainted;
    char *meta;                 /* site || fingerprint */
    int penalty;
    char **ips, **vids;
    size_t nip_list, nvid_list;
} group_t;

static void group_free(group_t *g)
{
    free(g->meta);
    for (size_t i = 0; i < g->nip_list; i++)
        free(g->ips[i]);
    for (size_t i = 0; i < g->nvid_list; i++)
        free(g->vids[i]);
    free(g->ips);
    free(g->vids);
}

static char **members(const kv_reply_t *r, size_t *n)
{
    *n = 0;
    if (!r || kv_type(r) != KV_ARR)
        return NULL;
    size_t m = kv_nelem(r);
    char **out = calloc(m ? m : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < m; i++) {
        const kv_reply_t *e = kv_elem(r, i);
        if (e && kv_str(e))
            out[(*n)++] = strndup(kv_str(e), kv_len(e));
    }
    return out;
}

/* Apply one flagged cluster: its own transaction; IPs confirmed after COMMIT. */
static int apply_cluster(group_t *g, long long *rows)
{
    const char *sep = strstr(g->meta, "||");
    if (!sep || g->nvid_list == 0)
        return 0;
    char *site = strndup(g->meta, (size_t)(sep - g->meta));
    const char *fp = sep + 2;
    char detail[CORR_FP_MAX + 256];
    if (!site || correlator_detail_json(g->penalty, g->nips, g->tainted, fp, detail, sizeof detail) < 0) {
        free(site);
        return -1;
    }
    long long changed = 0;
    int ok = db_begin() == 0;
    static const char *tables[2] = { "visitor_views", "semantic_events" };
    for (int t = 0; ok && t < 2; t++)
        for (size_t i = 0; ok && i < g->nvid_list; i += 500) {
            size_t n = g->nvid_list - i < 500 ? g->nvid_list - i : 500;
            long long r = update_chunk(tables[t], site, g->penalty, detail, g->vids + i, n);
            if (r < 0)
                ok = 0;
            else
                changed += r;
        }
    if (ok && db_commit() != 0)
        ok = 0;
    if (!ok) {
        db_rollback();
        log_err(MOD, "cluster %s on %s: update failed, not confirmed (%s)", g->gid, site, db_error());
        free(site);
        return -1;
    }
    /* feedback loop (§7.7): confirmed even when zero rows changed */
    size_t q = 0;
    for (size_t i = 0; i < g->nip_list; i++) {
        char key[160];
        snprintf(key, sizeof key, "%sbotip:c:%s", pf(), g->ips[i]);
        if (kv_pipe("SET %s 1 EX %d", key, SCORE_BOTIP_CONFIRMED_TTL_S) == 0)
            q++;
    }
    for (size_t i = 0; i < q; i++)
        kv_free(kv_pipe_read());
    if (changed)
        log_info(MOD, "cluster on %s: %zu IPs%s, +%d, %lld rows raised", site, g->nips,
                 g->tainted ? " (tainted)" : "", g->penalty, changed);
    *rows += changed;
    free(site);
    return 0;
}

int correlator_sweep_ex(size_t *flagged_out, long long *rows_out)
{
    size_t flagged = 0;
    long long rows = 0;
    if (flagged_out)
        *flagged_out = 0;
    if (rows_out)
        *rows_out = 0;
    static const char lock[] = "corr:lock";    /* kv_lock adds kv_prefix */
    char tok[33];
    int l = kv_lock(lock, SWEEP_LOCK_MS, tok);
    if (l == 0)
        return 1;       /* another worker or host is sweeping */
    if (l < 0)
        return -1;

    /* (2) no-event penalty first; a failure aborts this sweep (§7.3) */
    long long ne = no_events_penalty();
    if (ne < 0) {
        kv_unlock(lock, tok);
        return -1;
    }
    rows += ne;

    long long cutoff = now_ms() - CORR_WINDOW_MS;
    char gkey[96], excl[32];
    snprintf(gkey, sizeof gkey, "%scorr:groups", pf());
    snprintf(excl, sizeof excl, "(%lld", cutoff);   /* strictly older than 20 min */
    kv_free(kv_cmd("ZREMRANGEBYSCORE %s -inf %s", gkey, excl));
    kv_reply_t *gr = kv_cmd("ZRANGE %s 0 %d", gkey, MAX_GROUPS - 1);
    if (!gr) {
        kv_unlock(lock, tok);
        return -1;
    }
    size_t ng = 0;
    char **gids = members(gr, &ng);
    kv_free(gr);
    int rc = 0;
    for (size_t base = 0; base < ng; base += PIPE_CHUNK) {
        size_t cn = ng - base < PIPE_CHUNK ? ng - base : PIPE_CHUNK;
        group_t *gs = calloc(cn, sizeof *gs);
        if (!gs) {
            rc = -1;
            break;
        }
        /* prune and count, one exchange per chunk of groups */
        for (size_t i = 0; i < cn; i++) {
            const char *gid = gids[base + i];
            snprintf(gs[i].gid, sizeof gs[i].gid, "%.*s", CORR_GID_LEN, gid);
            kv_pipe("ZREMRANGEBYSCORE %scorr:ip:%s -inf %s", pf(), gid, excl);
            kv_pipe("ZREMRANGEBYSCORE %scorr:vid:%s -inf %s", pf(), gid, excl);
            kv_pipe("ZREMRANGEBYSCORE %scorr:taint:%s -inf %s", pf(), gid, excl);
            kv_pipe("ZCARD %scorr:ip:%s", pf(), gid);
            kv_pipe("ZCARD %scorr:taint:%s", pf(), gid);
            kv_pipe("GET %scorr:meta:%s", pf(), gid);
        }
        size_t nflag = 0;
        for (size_t i = 0; i < cn; i++) {
            kv_reply_t *r[6];
            for (int k = 0; k < 6; k++)
                r[k] = kv_pipe_read();
            if (r[3] && r[4] && r[5]) {
                gs[i].nips = (size_t)kv_int(r[3]);
                gs[i].tainted = kv_int(r[4]) > 0;
                if (kv_type(r[5]) == KV_STR)
                    gs[i].meta = strndup(kv_str(r[5]), kv_len(r[5]));
                gs[i].penalty = gs[i].meta ? correlator_penalty(gs[i].nips, gs[i].tainted) : 0;
                nflag += gs[i].penalty > 0;
            } else {
                rc = -1;
            }
            for (int k = 0; k < 6; k++)
                kv_free(r[k]);
        }
        /* members of the flagged groups; drop groups whose prints expired */
        for (size_t i = 0; i < cn; i++) {
            if (gs[i].penalty) {
                kv_pipe("ZRANGE %scorr:ip:%s 0 %d", pf(), gs[i].gid, MAX_MEMBERS - 1);
                kv_pipe("ZRANGE %scorr:vid:%s 0 %d", pf(), gs[i].gid, MAX_MEMBERS - 1);
            } else if (gs[i].nips == 0 && rc == 0) {
                kv_pipe("ZREM %s %s", gkey, gs[i].gid);
            }
        }
        for (size_t i = 0; i < cn; i++) {
            if (gs[i].penalty) {
                kv_reply_t *a = kv_pipe_read(), *b = kv_pipe_read();
                gs[i].ips = members(a, &gs[i].nip_list);
                gs[i].vids = members(b, &gs[i].nvid_list);
                kv_free(a);
                kv_free(b);
            } else if (gs[i].nips == 0 && rc == 0) {
                kv_free(kv_pipe_read());
            }
        }
        for (size_t i = 0; i < cn; i++) {
            if (gs[i].penalty && gs[i].vids) {
                flagged++;
                if (apply_cluster(&gs[i], &rows) != 0)
                    rc = -1;    /* next sweep retries; other clusters go on */
            }
            group_free(&gs[i]);
        }
        free(gs);
        (void)nflag;
    }
    for (size_t i = 0; i < ng; i++)
        free(gids[i]);
    free(gids);
    kv_unlock(lock, tok);
    if (flagged_out)
        *flagged_out = flagged;
    if (rows_out)
        *rows_out = rows;
    return rc;
}

int correlator_sweep(void)
{
    return correlator_sweep_ex(NULL, NULL);
}

int correlator_job(long budget_ms)
{
    (void)budget_ms;
    return correlator_sweep() < 0 ? -1 : 0;   /* "someone else sweeps" is fine */
}
