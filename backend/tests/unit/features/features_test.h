/* features_test.h — small fixed inputs shared by the feature engine's tests. */
#ifndef CPE_TEST_FEATURES_TEST_H
#define CPE_TEST_FEATURES_TEST_H

#include "cpe/features.h"
#include "feature_index.h"
#include "test.h"

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC, a Monday */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static size_t NF; /* cpe_features_count(), set by main */

static inline cpe_bar_t mk(int64_t ts, double o, double h, double l, double c, double v, double tb)
{
    cpe_bar_t b;
    cpe_kline_t k = {.ts_ms = ts,
                     .open = o,
                     .high = h,
                     .low = l,
                     .close = c,
                     .volume = v,
                     .quote_volume = v * c,
                     .trades = NAN,
                     .taker_buy_base = tb,
                     .taker_buy_quote = NAN};
    cpe_bar_from_kline(&b, &k);
    return b;
}

/* A flat bar at close c (o = h = l = c), volume 1, taker buy 0.5. */
static inline cpe_bar_t flat(int64_t i, double c)
{
    return mk(T0 + i * MIN, c, c, c, c, 1, 0.5);
}

/* Push closes[0..n) as flat bars; the vectors of every bar go to out (n x NF). */
static inline void run_closes(const double *cl, int n, double *out)
{
    cpe_features_t *f;
    CHECK(cpe_features_create(NULL, &f) == 0);
    for (int i = 0; i < n; i++) {
        cpe_bar_t b = flat(i, cl[i]);
        CHECK(cpe_features_push(f, &b, NULL, 0, out + (size_t)i * NF) == 0);
    }
    cpe_features_free(f);
}

static inline double *alloc_rows(int n)
{
    return malloc((size_t)n * NF * sizeof(double));
}

static inline cpe_feature_obs_t ob(int kind, int src, int64_t avail, int64_t interval, double v)
{
    cpe_feature_obs_t x = {.avail_ms = avail,
                           .interval_ms = interval,
                           .kind = kind,
                           .src = src,
                           .v = {v, NAN, NAN, NAN, NAN, NAN}};
    return x;
}

#endif
