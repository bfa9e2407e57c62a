/* timeutil.c — see cpe/timeutil.h. */
#include "cpe/timeutil.h"
#include "cpe/error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cpe_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec cpe_realtime_after_ms(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int64_t cpe_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t cpe_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void cpe_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int digits(const char *s, const char *end, int n, int *out)
{
    if (end - s < n) return -1;
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int cpe_parse_iso8601(const char *s, long len, int64_t *ts_ms)
{
    const char *p = s, *end = s + (len < 0 ? (long)strlen(s) : len);
    int y, mo, d, hh = 0, mm = 0, ss = 0, ms = 0;
    if (digits(p, end, 4, &y) || end - p < 10 || p[4] != '-' || digits(p + 5, end, 2, &mo) ||
        p[7] != '-' || digits(p + 8, end, 2, &d))
        return CPE_EPARSE;
    p += 10;
    if (p < end && (*p == 'T' || *p == ' ')) {
        p++;
        if (digits(p, end, 2, &hh) || end - p < 5 || p[2] != ':' || digits(p + 3, end, 2, &mm))
            return CPE_EPARSE;
        p += 5;
        if (p < end && *p == ':') {
            if (digits(p + 1, end, 2, &ss)) return CPE_EPARSE;
            p += 3;
            if (p < end && *p == '.') {
                p++;
                int nd = 0;
                ms = 0;
                while (p < end && *p >= '0' && *p <= '9') {
                    if (nd < 3) ms = ms * 10 + (*p - '0');
                    nd++;
                    p++;
                }
                if (nd == 0) return CPE_EPARSE;
                for (; nd < 3; nd++)
                    ms *= 10;
            }
        }
    }
    int64_t off_ms = 0;
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int oh, om;
        int sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, end, 2, &oh)) return CPE_EPARSE;
        p += 3;
        if (p < end && *p == ':') p++;
        if (digits(p, end, 2, &om)) return CPE_EPARSE;
        p += 2;
        off_ms = sign * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
    }
    if (p != end) return CPE_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return CPE_EPARSE;
    int64_t days = cpe_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ts_ms = days * CPE_MS_PER_DAY + (int64_t)hh * 3600000 + (int64_t)mm * 60000 +
             (int64_t)ss * 1000 + ms - off_ms;
    return 0;
}

void cpe_format_iso8601(int64_t ts_ms, char out[32])
{
    int64_t day = cpe_floor_ms(ts_ms, CPE_MS_PER_DAY) / CPE_MS_PER_DAY;
    int64_t rem = ts_ms - day * CPE_MS_PER_DAY;
    int y;
    unsigned m, d;
    cpe_civil_from_days(day, &y, &m, &d);
    snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

int cpe_parse_time_arg(const char *s, int64_t *ts_ms)
{
    size_t n = strlen(s);
    size_t i = (s[0] == '-') ? 1 : 0;
    int all_digits = n > i;
    for (size_t k = i; k < n; k++)
        if (s[k] < '0' || s[k] > '9') all_digits = 0;
    if (all_digits && n - i > 4) {
        if (n - i > 18) return CPE_ERANGE; /* more would overflow: no time has that many */
        long long v = 0;
        for (size_t k = i; k < n; k++)
            v = v * 10 + (s[k] - '0');
        if (i) v = -v;
        size_t nd = n - i;
        if (nd <= 10)
            v *= 1000; /* seconds */
        else if (nd >= 15)
            v /= 1000; /* microseconds */
        *ts_ms = v;
        return 0;
    }
    return cpe_parse_iso8601(s, -1, ts_ms);
}
