/* log: one line per event to stderr (the web server collects it).
 * Format: `echelon[pid] LEVEL module: message`. Never log secrets, IPs or
 * full tokens; callers pass only what is safe. */
#ifndef ECHELON_CORE_LOG_H
#define ECHELON_CORE_LOG_H
enum { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_set_level(int level);
int log_enabled(int level);
void log_msg(int level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define log_err(mod, ...) log_msg(LOG_ERR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, mod, __VA_ARGS__); } while (0)
#endif
