/* log.c — see cpe/log.h. */
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_level = -1;

static int level_from_env(void)
{
    const char *s = getenv("CPE_LOG");
    if (!s) return CPE_LOG_INFO;
    if (!strcmp(s, "debug")) return CPE_LOG_DEBUG;
    if (!strcmp(s, "warn")) return CPE_LOG_WARN;
    if (!strcmp(s, "error")) return CPE_LOG_ERROR;
    if (!strcmp(s, "off")) return CPE_LOG_OFF;
    return CPE_LOG_INFO;
}

void cpe_log_set_level(int level)
{
    g_level = level;
}

int cpe_log_level(void)
{
    if (g_level < 0) g_level = level_from_env();
    return g_level;
}

void cpe_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (level < cpe_log_level() || level >= CPE_LOG_OFF) return;
    char ts[40], line[2048];
    cpe_format_iso8601(cpe_now_ms(), ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", ts, names[level], line);
}
