/*
 * log.h — leveled logging to stderr: "2026-11-23T10:00:00.123Z INFO  serve: listening on :8000".
 * Thread-safe (one fprintf per line). The level comes from CPE_LOG (debug|info|warn|error),
 * default info; cpe_log_set_level() overrides it.
 */
#ifndef CPE_LOG_H
#define CPE_LOG_H

enum cpe_log_level { CPE_LOG_DEBUG = 0, CPE_LOG_INFO, CPE_LOG_WARN, CPE_LOG_ERROR, CPE_LOG_OFF };

void cpe_log_set_level(int level);
int cpe_log_level(void);
void cpe_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cpe_debug(...) cpe_log(CPE_LOG_DEBUG, __VA_ARGS__)
#define cpe_info(...) cpe_log(CPE_LOG_INFO, __VA_ARGS__)
#define cpe_warn(...) cpe_log(CPE_LOG_WARN, __VA_ARGS__)
#define cpe_error(...) cpe_log(CPE_LOG_ERROR, __VA_ARGS__)

#endif
