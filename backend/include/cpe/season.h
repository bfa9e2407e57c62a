/*
 * season.h — the hour-of-week seasonal factor of a variance-like quantity (the variance of
 * 1m returns, or the volume), estimated on training data only, robustly.
 *
 * Model. f[b] for the 168 hour-of-week buckets b (Monday 00:00-01:00 UTC = 0, epoch
 * Thursday => b = (floor(t / 1 h) + 72) mod 168), normalised so the mean over the week is
 * 1. The factor is constant within an hour, so the mean factor over any time interval is
 * exact arithmetic on a prefix sum (cpe_season_mean): the seasonal share of a window.
 *
 * Fit (cpe_season_fit). Samples are (window end time, ratio) where ratio = the quantity
 * over one hour divided by its local level (the hourly mean of the trailing week), so the
 * level of volatility, which changes over months, cancels; each sample goes to the bucket
 * of its window's middle (end - 30 min). Per bucket: the mean of the ratios winsorised at
 * 8 (a crash hour moves its bucket by at most 8/n), shrunk toward 1 by 1 pseudo-sample
 * (a bucket with a few samples stays near neutral); then the 168 values are normalised to mean 1.
 *
 * Pure computation; the struct is plain numbers (stored in model metadata).
 */
#ifndef CPE_SEASON_H
#define CPE_SEASON_H

#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_SEASON_N 168

typedef struct cpe_season {
    double f[CPE_SEASON_N];       /* factor per hour-of-week bucket, mean 1 */
    double cum[CPE_SEASON_N + 1]; /* prefix sums of f (cum[0] = 0, cum[168] = 168) */
    size_t n;                     /* samples the fit used */
} cpe_season_t;

/* Bucket of a time: (floor(t / 1 h) + 72) mod 168. */
int cpe_season_bucket(int64_t t_ms);

/* Neutral factor (all 1). */
void cpe_season_flat(cpe_season_t *s);

/* Fit from n samples (end_ms[i], ratio[i]); NaN or negative ratios are skipped.
 * CPE_EDATA when fewer than 168 usable samples. */
int cpe_season_fit(cpe_season_t *s, const int64_t *end_ms, const double *ratio, size_t n,
                   cpe_diag_t *d);

/* Recompute cum[] from f[] (after loading f from metadata). */
void cpe_season_finish(cpe_season_t *s);

/* Mean factor over [from_ms, to_ms) (minute-exact: the factor is constant per hour);
 * 1 when to <= from. */
double cpe_season_mean(const cpe_season_t *s, int64_t from_ms, int64_t to_ms);

#endif
