/* features_norm.c — a feature against its own recent norm: the z-score of a value against
 * its samples at the last 168 hour closes (the taker-flow surprise cvd_1h_z_7d).
 *
 * A sample is taken at each bar that closes on the hour (every bar of an hourly history,
 * every 60th of the 1m stream: the same samples, so both streams agree). The bar's value is
 * scored against the samples BEFORE it, then becomes one: no value is part of its own norm.
 * The mean and sd are recomputed (two-pass over <= 168 samples) only when a sample is added:
 * O(1) per bar between hour closes, and no running-sum drift.
 */
#include "features_int.h"

#include <math.h>
#include <string.h>

#define MS_HOUR 3600000LL

void cpe_hourly_norm_reset(cpe_hourly_norm_t *s)
{
    memset(s, 0, sizeof *s);
    s->last_ms = INT64_MIN;
    s->m = s->sd = NAN;
}

double cpe_hourly_norm_push(cpe_hourly_norm_t *s, double v, int64_t close_ms)
{
    double z = NAN;
    if (!isnan(s->sd) && isfinite(v)) z = s->sd > 0 ? (v - s->m) / s->sd : 0.0;
    if (close_ms % MS_HOUR != 0 || close_ms == s->last_ms) return z;
    s->last_ms = close_ms;
    if (!isfinite(v)) return z;
    s->h[s->n++ % CPE_NORM_HOURS] = v;
    uint32_t n = s->n < CPE_NORM_HOURS ? s->n : CPE_NORM_HOURS;
    if (n < CPE_NORM_MIN_HOURS) return z;
    double m = 0, ss = 0;
    for (uint32_t k = 0; k < n; k++)
        m += s->h[k];
    m /= n;
    for (uint32_t k = 0; k < n; k++)
        ss += (s->h[k] - m) * (s->h[k] - m);
    s->m = m;
    s->sd = sqrt(ss / (n - 1));
    return z;
}
