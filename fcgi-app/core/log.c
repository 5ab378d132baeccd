/* log.c -- one line per event to stderr (see log.h). */
#include "core/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int log_level = LOG_INFO;
static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_set_level(int level) { log_level = level; }
int log_enabled(int level) { return level <= log_level; }

void log_msg(int level, const char *module, const char *fmt, ...)
{
    if (level > log_level) return;
    char line[1024];
    int n = snprintf(line, sizeof line, "echelon[%d] %s %s: ", (int)getpid(),
                     names[level < 0 ? 0 : level > 3 ? 3 : level], module);
    if (n < 0) return;
    va_list ap;
    va_start(ap, fmt);
    if ((size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write so concurrent workers' lines do not interleave. */
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}
