/* test_features_coarse.c — the feature engine on coarse (hourly) bars: every column an hourly
 * bar can carry equals the 1m stream's value at the same close; the columns that need 1m bars
 * are NaN, never an approximation. */
#include "cpe/features.h"
#include "cpe/rng.h"
#include "feature_index.h"
#include "test.h"

#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAYS 9

/* n 1m bars of a random walk with random highs, lows, volume and taker split. */
static cpe_bar_t *minute_bars(int n, uint64_t seed)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    cpe_bar_t *b = malloc((size_t)n * sizeof *b);
    double x = log(40000.0);
    for (int i = 0; i < n; i++) {
        double o = exp(x);
        x += 1e-3 * cpe_rng_normal(&r);
        double c = exp(x), v = 1 + 10 * cpe_rng_uniform(&r);
        cpe_kline_t k = {.ts_ms = T0 + i * MIN,
                         .open = o,
                         .high = fmax(o, c) * (1 + 2e-4 * cpe_rng_uniform(&r)),
                         .low = fmin(o, c) * (1 - 2e-4 * cpe_rng_uniform(&r)),
                         .close = c,
                         .volume = v,
                         .quote_volume = v * c,
                         .trades = NAN,
                         .taker_buy_base = v * cpe_rng_uniform(&r),
                         .taker_buy_quote = NAN};
        cpe_bar_from_kline(&b[i], &k);
    }
    return b;
}

/* The hourly bars of n 1m bars (n a multiple of 60), as an exchange aggregates them. */
static cpe_bar_t *hourly_bars(const cpe_bar_t *m, int n)
{
    cpe_bar_t *h = malloc((size_t)(n / 60) * sizeof *h);
    for (int k = 0; k < n / 60; k++) {
        const cpe_bar_t *a = m + 60 * k;
        cpe_bar_t b = a[0];
        for (int i = 1; i < 60; i++) {
            b.high = fmax(b.high, a[i].high);
            b.low = fmin(b.low, a[i].low);
            b.volume += a[i].volume;
            b.quote_volume += a[i].quote_volume;
            b.taker_buy_base += a[i].taker_buy_base;
        }
        b.close = a[59].close;
        h[k] = b;
    }
    return h;
}

static void test_hourly_bars_match_the_minute_stream(void)
{
    const size_t nf = cpe_features_count();
    const int n = DAYS * 1440;
    cpe_bar_t *m = minute_bars(n, 7), *h = hourly_bars(m, n);
    cpe_features_t *fm, *fh;
    cpe_features_config_t coarse = {.bar_ms = HOUR};
    CHECK(cpe_features_create(NULL, &fm) == 0);
    CHECK(cpe_features_create(&coarse, &fh) == 0);
    double *om = malloc(nf * sizeof *om), *oh = malloc(nf * sizeof *oh);
    /* the same value at the same close (exact: the same closes / extremes) */
    const char *exact[] = {"returns_1h",     "returns_4h",         "returns_24h",
                           "volatility_24h", "range_position_24h", "hour_of_day",
                           "day_of_week",    "hour_sin",           "minutes_to_funding"};
    /* sums in another order: equal to rounding */
    const char *summed[] = {"cvd_1h", "volume_1h_vs_7d", "volume_24h_vs_7d", "cvd_1h_z_7d"};
    const char *missing[] = {"returns_1m",           "returns_5m",      "returns_15m",
                             "volatility_1h",        "rsi_14",          "atr_14",
                             "macd_signal",          "bb_position",     "vwap_deviation",
                             "trade_flow_imbalance", "cvd_5m",          "volume_ratio_1h",
                             "high_low_range",       "realized_var_1h", "realized_var_24h",
                             "bipower_var_24h",      "semivar_down_24h"};
    int compared = 0;
    for (int k = 0; k < n / 60; k++) {
        for (int i = 60 * k; i < 60 * k + 60; i++)
            CHECK(cpe_features_push(fm, &m[i], NULL, 0, om) == 0);
        CHECK(cpe_features_push(fh, &h[k], NULL, 0, oh) == 0);
        for (size_t e = 0; e < sizeof exact / sizeof *exact; e++) {
            int j = fi(exact[e]);
            CHECK_MSG(om[j] == oh[j] || (isnan(om[j]) && isnan(oh[j])),
                      "hour %d %s: 1m %.17g, 1h %.17g", k, exact[e], om[j], oh[j]);
        }
        for (size_t e = 0; e < sizeof summed / sizeof *summed; e++)
            CHECK_CLOSE(om[fi(summed[e])], oh[fi(summed[e])], 1e-9);
        for (size_t e = 0; e < sizeof missing / sizeof *missing; e++)
            CHECK_MSG(isnan(oh[fi(missing[e])]), "hour %d %s = %g on hourly bars", k, missing[e],
                      oh[fi(missing[e])]);
        compared += isfinite(oh[fi("volume_1h_vs_7d")]) && isfinite(oh[fi("volatility_24h")]) &&
                    isfinite(oh[fi("cvd_1h_z_7d")]);
    }
    CHECK(compared >= 24); /* the 7-day windows filled: the comparison covered full windows */
    free(om);
    free(oh);
    cpe_features_free(fm);
    cpe_features_free(fh);
    free(m);
    free(h);
}

static void test_bar_length_must_be_whole_minutes(void)
{
    cpe_features_t *f = NULL;
    cpe_features_config_t c = {.bar_ms = 30000};
    CHECK(cpe_features_create(&c, &f) == CPE_EINVAL && !f);
    c.bar_ms = 90000;
    CHECK(cpe_features_create(&c, &f) == CPE_EINVAL && !f);
    c.bar_ms = 4 * HOUR; /* a 4h bar: the 1h windows do not exist, the 24h ones do */
    CHECK(cpe_features_create(&c, &f) == 0);
    const size_t nf = cpe_features_count();
    double *o = malloc(nf * sizeof *o);
    for (int k = 0; k < 20; k++) {
        cpe_bar_t b = {.ts_ms = T0 + k * 4 * HOUR,
                       .open = 100,
                       .high = 101,
                       .low = 99,
                       .close = 100 + k,
                       .volume = 1,
                       .taker_buy_base = NAN,
                       .quote_volume = NAN,
                       .large_quote = NAN,
                       .liq_long = NAN,
                       .liq_short = NAN};
        CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    }
    CHECK(isnan(o[fi("returns_1h")]) && isnan(o[fi("volatility_24h")]));
    CHECK_NEAR(o[fi("returns_4h")], log(119.0 / 118.0), 1e-15);
    CHECK_NEAR(o[fi("returns_24h")], log(119.0 / 113.0), 1e-15);
    free(o);
    cpe_features_free(f);
}

int main(void)
{
    RUN(test_hourly_bars_match_the_minute_stream);
    RUN(test_bar_length_must_be_whole_minutes);
    return TEST_DONE();
}
