/* live_keys: every Redis key collection writes or reads, in one place, so
 * the statistics readers (api/stats) and the bot-defense shipper use the
 * same names. Full key = kv_prefix ("ech:") + the name below, as everywhere
 * in store/kv.h users.
 *
 * Owns: names and value layouts only; no code.
 *
 * Daily visitor key (spec/10 §2.8, spec/20 §5.10, README decision 3)
 *   iphash-key:<YYYY-MM-DD>   STRING  64 lowercase hex = 32 random bytes (the
 *                                     HMAC key is the decoded bytes; a raw
 *                                     32-byte value is accepted too).
 *                                     SET NX EX 172800 by the first worker;
 *                                     fetched for tomorrow before midnight.
 *
 * Rate limit (spec/10 §2.4, README decision 9), written by the shipper
 *   rl:<iphash>               STRING  INCR per counted request; PEXPIRE
 *                                     window NX (fixed window from the first)
 *   rl:over                   ZSET    member iphash, score = ms when its
 *                                     window ends; workers read members with
 *                                     score > now once a second and refuse
 *                                     those addresses (429 on /e and /ea.js,
 *                                     nothing stored from /b.gif)
 *
 * Cache generations (bumped by the management API, api/apiutil.h)
 *   gen:campaigns             STRING  INCR on campaign create/update/delete
 *   gen:excluded              STRING  INCR on exclude/include
 *
 * Realtime window (spec/30 §2.3 mapping), written by the shipper for rows
 * it stores, with t = the record's request time in ms:
 *   rt:<site>:hv              ZSET    clean rows: member visitor_id, score t
 *   rt:<site>:bv              ZSET    rows with bot_score >= 50, same layout
 *                                     (both EXPIRE 330 s, refreshed per write;
 *                                     the shipper and readers ZREMRANGEBYSCORE
 *                                     < now-300000, so a window holds 5
 *                                     minutes however long nobody reads it)
 *   rt:<site>:pv:<t/10000>    STRING  clean pageviews in that 10-s bucket
 *   rt:<site>:paths:<t/10000> HASH    path -> clean pageviews in the bucket
 *                                     (bucket keys EXPIRE 330 s)
 *
 * Dashboard series (spec/30 §2.2 mapping), clean rows only:
 *   rt:<site>:vm:<t/60000>    STRING  pageviews in that UTC minute (EXPIRE 90000)
 *   rt:<site>:em:<t/60000>    STRING  events in that UTC minute (EXPIRE 90000)
 *   rt:<site>:vh:<t/3600000>  STRING  pageviews in that UTC hour (EXPIRE 176400)
 *   rt:<site>:eh:<t/3600000>  STRING  events in that UTC hour (EXPIRE 176400)
 *
 * The shipper writes each of these keys once per batch (INCRBY/HINCRBY by
 * the batch's count, one ZADD with all its members, one EXPIRE after the
 * batch's writes): the values are those one write per record in arrival
 * order gives (a ZADD naming a member twice keeps the later score); a TTL
 * counts from the batch's last write, well under a second later.
 *
 * Burst counters, bot-IP tiers and correlator prints belong to defense/
 * (defense/score.h, defense/correlator.h): burst:<iphash>,
 * botip:s:<iphash>, botip:c:<iphash>, corr:*. */
#ifndef ECHELON_COLLECT_LIVE_KEYS_H
#define ECHELON_COLLECT_LIVE_KEYS_H

#define LK_SALT "iphash-key:%s"             /* date */
#define LK_SALT_TTL_S 172800
#define LK_RL "rl:%s"                       /* iphash */
#define LK_RL_OVER "rl:over"
#define LK_GEN_CAMPAIGNS "gen:campaigns"
#define LK_GEN_EXCLUDED "gen:excluded"

#define LK_RT_HV "rt:%s:hv"                 /* site */
#define LK_RT_BV "rt:%s:bv"
#define LK_RT_PV "rt:%s:pv:%lld"            /* site, t / LK_RT_BUCKET_MS */
#define LK_RT_PATHS "rt:%s:paths:%lld"
#define LK_RT_BUCKET_MS 10000LL
#define LK_RT_TTL_S 330
#define LK_RT_WINDOW_MS 300000LL

#define LK_RT_VM "rt:%s:vm:%lld"            /* site, t / 60000 */
#define LK_RT_EM "rt:%s:em:%lld"
#define LK_RT_MIN_TTL_S 90000
#define LK_RT_VH "rt:%s:vh:%lld"            /* site, t / 3600000 */
#define LK_RT_EH "rt:%s:eh:%lld"
#define LK_RT_HOUR_TTL_S 176400
#endif
