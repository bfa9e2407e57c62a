/*
 * timeutil.h — time in the engine is int64 milliseconds since the Unix epoch, UTC (`ts_ms`).
 *
 * ISO-8601 parsing accepts what real data files use: "2024-01-01", "2024-01-01T00:00:00Z",
 * "2024-01-01 00:00:00", "2025-08-31T16:00:00.001Z", "+00:00" offsets. Formatting always
 * writes "YYYY-MM-DDTHH:MM:SS.mmmZ". No locale, no TZ variable, no libc time zone state.
 */
#ifndef CPE_TIMEUTIL_H
#define CPE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CPE_MS_PER_MIN 60000LL
#define CPE_MS_PER_HOUR 3600000LL
#define CPE_MS_PER_DAY 86400000LL

/* Wall clock now, ms since epoch. */
int64_t cpe_now_ms(void);
/* Monotonic clock in nanoseconds (for measuring durations). */
int64_t cpe_mono_ns(void);
/* The CLOCK_REALTIME instant `ms` (>= 0) from now: the deadline pthread_cond_timedwait takes. */
struct timespec cpe_realtime_after_ms(int64_t ms);

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
int64_t cpe_days_from_civil(int y, unsigned m, unsigned d);
void cpe_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/* Parse an ISO-8601 date or date-time of `len` bytes (len = -1: up to NUL). 0 or CPE_EPARSE. */
int cpe_parse_iso8601(const char *s, long len, int64_t *ts_ms);
/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 chars + NUL) into out (>= 32 bytes). */
void cpe_format_iso8601(int64_t ts_ms, char out[32]);
/* Parse either an ISO-8601 string or integer epoch ms/s/us (by digit count). */
int cpe_parse_time_arg(const char *s, int64_t *ts_ms);

/* Floor to a multiple of step_ms (step > 0), correct for negative times. */
static inline int64_t cpe_floor_ms(int64_t ts, int64_t step)
{
    int64_t r = ts % step;
    return r < 0 ? ts - r - step : ts - r;
}
static inline int64_t cpe_day_start_ms(int64_t ts)
{
    return cpe_floor_ms(ts, CPE_MS_PER_DAY);
}

#endif
