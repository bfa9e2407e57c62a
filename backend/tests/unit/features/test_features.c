/* test_features.c — every feature against values worked out by hand on small fixed inputs,
 * batch == streaming bit for bit, and no look-ahead (shared/spec/features.md). */
#include "cpe/features.h"
#include "feature_index.h"
#include "test.h"

#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC, a Monday */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static size_t NF;

static cpe_bar_t mk(int64_t ts, double o, double h, double l, double c, double v, double tb)
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
static cpe_bar_t flat(int64_t i, double c)
{
    return mk(T0 + i * MIN, c, c, c, c, 1, 0.5);
}

/* Push closes[0..n) as flat bars; the vectors of every bar go to out (n x NF). */
static void run_closes(const double *cl, int n, double *out)
{
    cpe_features_t *f;
    CHECK(cpe_features_create(NULL, &f) == 0);
    for (int i = 0; i < n; i++) {
        cpe_bar_t b = flat(i, cl[i]);
        CHECK(cpe_features_push(f, &b, NULL, 0, out + (size_t)i * NF) == 0);
    }
    cpe_features_free(f);
}

static double *alloc_rows(int n)
{
    return malloc((size_t)n * NF * sizeof(double));
}

/* ---------------------------------------------------------------------------------- */

static void test_table_is_complete_and_indexed(void)
{
    static const char *const spec[] = {"returns_5m",
                                       "returns_15m",
                                       "returns_1h",
                                       "returns_4h",
                                       "returns_24h",
                                       "volatility_1h",
                                       "volatility_24h",
                                       "high_low_range",
                                       "close_position",
                                       "rsi_14",
                                       "rsi_7",
                                       "macd_signal",
                                       "bb_position",
                                       "ema_cross",
                                       "vwap_deviation",
                                       "trade_flow_imbalance",
                                       "cvd_5m",
                                       "cvd_1h",
                                       "large_trade_ratio",
                                       "bid_ask_imbalance",
                                       "order_book_slope_05",
                                       "order_book_slope_1",
                                       "order_book_slope_2",
                                       "funding_rate",
                                       "funding_zscore",
                                       "oi_change_1h",
                                       "oi_change_24h",
                                       "long_short_ratio",
                                       "basis_annualized",
                                       "liq_imbalance_1h",
                                       "exchange_netflow_1h",
                                       "exchange_netflow_24h",
                                       "whale_transactions",
                                       "miner_outflow",
                                       "stablecoin_supply_change",
                                       "nvt_signal",
                                       "eth_btc_ratio",
                                       "eth_btc_return_24h",
                                       "btc_dominance",
                                       "btc_dominance_change",
                                       "sp500_correlation",
                                       "gold_correlation",
                                       "dxy_inverse",
                                       "fear_greed_index",
                                       "social_volume",
                                       "google_trends",
                                       "funding_sentiment",
                                       "hour_of_day",
                                       "day_of_week",
                                       NULL};
    for (int i = 0; spec[i]; i++)
        CHECK_MSG(cpe_feature_index(spec[i]) >= 0, "missing %s", spec[i]);
    for (size_t i = 0; i < NF; i++) {
        const cpe_feature_def_t *d = cpe_feature_def(i);
        CHECK(d && d->name && d->definition);
        CHECK_EQ_INT(cpe_feature_index(d->name), (long long)i);
        CHECK(d->warmup_bars >= 1 && d->warmup_bars <= cpe_features_max_warmup());
        CHECK(strcmp(cpe_feature_family_name(d->family), "?"));
    }
    CHECK(cpe_feature_def(NF) == NULL);
    CHECK_EQ_INT(cpe_feature_index("nope"), -1);
    CHECK_EQ_INT(cpe_features_max_warmup(), 10081); /* realized_var_7d */
    CHECK_EQ_INT(cpe_fseries_from_name("fear_greed"), CPE_FSER_FEAR_GREED);
    CHECK_EQ_INT(cpe_fseries_from_name("exchange_reserves"), CPE_FSER_EXCHANGE_RESERVES);
    CHECK_EQ_INT(cpe_fseries_from_name("futures_open_interest_usd"), -1);
}

/* Returns are ln(c[t]/c[t-k]); NaN until k+1 bars. */
static void test_returns_need_k_plus_one_bars(void)
{
    enum { N = 20 };
    double cl[N], *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = 100 + i;
    run_closes(cl, N, o);
    int r5 = fi("returns_5m"), r15 = fi("returns_15m"), r1 = fi("returns_1m");
    CHECK(isnan(o[4 * NF + r5]));
    CHECK_NEAR(o[5 * NF + r5], log(105.0 / 100.0), 1e-15);
    CHECK_NEAR(o[19 * NF + r5], log(119.0 / 114.0), 1e-15);
    CHECK(isnan(o[14 * NF + r15]));
    CHECK_NEAR(o[15 * NF + r15], log(115.0 / 100.0), 1e-15);
    CHECK(isnan(o[0 * NF + r1]));
    CHECK_NEAR(o[1 * NF + r1], log(101.0 / 100.0), 1e-15);
    CHECK(isnan(o[19 * NF + fi("returns_1h")]));
    free(o);
}

/* 5m closes alternating 100, 110: the 12 non-overlapping 5m returns are +-L with L =
 * ln 1.1, six each: mean 0, sample variance 12 L^2 / 11. */
static void test_volatility_1h_of_alternating_5m_returns(void)
{
    enum { N = 61 };
    double cl[N], *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = (i / 5) % 2 ? 110 : 100; /* piecewise constant per 5 */
    run_closes(cl, N, o);
    int v = fi("volatility_1h");
    CHECK(isnan(o[59 * NF + v]));
    double L = log(1.1);
    CHECK_CLOSE(o[60 * NF + v], L * sqrt(12.0 / 11.0), 1e-14);
    free(o);
}

/* 1h closes alternating 100, 121 over 24 hours: hourly returns +-ln 1.21, 12 each. */
static void test_volatility_24h_of_alternating_1h_returns(void)
{
    enum { N = 1442 };
    double *cl = malloc(N * sizeof *cl), *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = (i / 60) % 2 ? 121 : 100;
    run_closes(cl, N, o);
    int v = fi("volatility_24h");
    CHECK(isnan(o[1439 * NF + v]));
    double L = log(1.21);
    CHECK_CLOSE(o[1440 * NF + v], L * sqrt(24.0 / 23.0), 1e-14);
    free(cl);
    free(o);
}

static void test_bar_range_and_close_position(void)
{
    cpe_features_t *f;
    double *o = alloc_rows(1);
    CHECK(cpe_features_create(NULL, &f) == 0);
    cpe_bar_t b = mk(T0, 100, 110, 90, 95, 2, 1);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[fi("high_low_range")], 20.0 / 95.0, 1e-15);
    CHECK_NEAR(o[fi("close_position")], 5.0 / 20.0, 1e-15);
    b = flat(1, 100);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[fi("close_position")], 0.5, 0); /* h == l */
    CHECK_NEAR(o[fi("high_low_range")], 0.0, 0);
    cpe_features_free(f);
    free(o);
}

/* Wilder RSI(7): closes 10 11 12 11 13 12 14 15 -> changes +1 +1 -1 +2 -1 +2 +1:
 * seed avg_gain = 7/7 = 1, avg_loss = 2/7, RS = 3.5, RSI = 100 - 100/4.5 = 77.777...
 * Next close 14 (change -1): avg_gain = 6/7, avg_loss = (2/7*6 + 1)/7 = 19/49,
 * RS = 42/19, RSI = 100*42/61. */
static void test_rsi7_wilder_seeding_by_hand(void)
{
    double cl[] = {10, 11, 12, 11, 13, 12, 14, 15, 14};
    double *o = alloc_rows(9);
    run_closes(cl, 9, o);
    int r = fi("rsi_7");
    CHECK(isnan(o[6 * NF + r]));
    CHECK_NEAR(o[7 * NF + r], 100.0 - 100.0 / 4.5, 1e-12);
    CHECK_NEAR(o[8 * NF + r], 100.0 * 42.0 / 61.0, 1e-12);
    CHECK(isnan(o[8 * NF + fi("rsi_14")]));
    free(o);
}

static void test_rsi_edge_cases_flat_is_50_rising_is_100(void)
{
    enum { N = 16 };
    double cl[N], *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = 50;
    run_closes(cl, N, o);
    int r = fi("rsi_14");
    CHECK(isnan(o[13 * NF + r]));
    CHECK_NEAR(o[14 * NF + r], 50.0, 0);
    for (int i = 0; i < N; i++)
        cl[i] = 50 + i;
    run_closes(cl, N, o);
    CHECK_NEAR(o[14 * NF + r], 100.0, 0);
    CHECK_NEAR(o[15 * NF + r], 100.0, 0);
    free(o);
}

/* EMAs seeded with the first value. 20 closes of 10, then 20: EMA9 = 10 + 0.2*10 = 12,
 * EMA21 = 10 + 10/11; ema_cross = (12 - 10 - 10/11)/20 = (12/11)/20. Missing before 21. */
static void test_ema_cross_seeding_by_hand(void)
{
    enum { N = 21 };
    double cl[N], *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = i < 20 ? 10 : 20;
    run_closes(cl, N, o);
    int e = fi("ema_cross");
    CHECK(isnan(o[19 * NF + e]));
    CHECK_NEAR(o[20 * NF + e], (12.0 / 11.0) / 20.0, 1e-14);
    free(o);
}

/* 34 closes of 10, then 20: EMA12 = 10 + 20/13, EMA26 = 10 + 20/27, macd = 280/351, the
 * signal (EMA9 of a macd that was 0) = 0.2*macd, histogram = 0.8*macd = 224/351, /20.
 * Missing until 26 + 9 = 35 bars exist. */
static void test_macd_signal_by_hand(void)
{
    enum { N = 35 };
    double cl[N], *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = i < 34 ? 10 : 20;
    run_closes(cl, N, o);
    int m = fi("macd_signal");
    CHECK(isnan(o[33 * NF + m]));
    CHECK_NEAR(o[34 * NF + m], (224.0 / 351.0) / 20.0, 1e-14);
    free(o);
}

/* 19 closes of 10 and one of 30: mean 11, population variance (19*1 + 19^2)/20 = 19,
 * position = (30 - 11 + 2 sqrt 19)/(4 sqrt 19) = sqrt(19)/4 + 0.5. Constant -> 0.5. */
static void test_bb_position_by_hand(void)
{
    enum { N = 20 };
    double cl[N], *o = alloc_rows(N);
    for (int i = 0; i < N; i++)
        cl[i] = i < 19 ? 10 : 30;
    run_closes(cl, N, o);
    int b = fi("bb_position");
    CHECK(isnan(o[18 * NF + b]));
    CHECK_NEAR(o[19 * NF + b], sqrt(19.0) / 4.0 + 0.5, 1e-14);
    for (int i = 0; i < N; i++)
        cl[i] = 42;
    run_closes(cl, N, o);
    CHECK_NEAR(o[19 * NF + b], 0.5, 0);
    free(o);
}

/* VWAP resets at 00:00 UTC: 23:58 (tp 100, v 1), 23:59 (tp 110, v 3) -> VWAP 107.5;
 * 00:00 next day (tp 120, v 2) -> VWAP 120. */
static void test_vwap_resets_at_utc_midnight(void)
{
    cpe_features_t *f;
    double *o = alloc_rows(1);
    int w = fi("vwap_deviation");
    CHECK(cpe_features_create(NULL, &f) == 0);
    cpe_bar_t b = mk(T0 + DAY - 2 * MIN, 100, 100, 100, 100, 1, 0.5);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[w], 0.0, 0);
    b = mk(T0 + DAY - MIN, 110, 110, 110, 110, 3, 1);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[w], 110.0 / 107.5 - 1.0, 1e-15);
    b = mk(T0 + DAY, 118, 121, 119, 120, 2, 1); /* tp = (121+119+120)/3 = 120 */
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[w], 0.0, 1e-15);
    b = mk(T0 + DAY + MIN, 120, 120, 120, 120, 0, 0); /* v = 0 adds nothing */
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[w], 0.0, 1e-15);
    cpe_features_reset(f);
    b = mk(T0, 100, 100, 100, 100, 0, 0); /* sum v = 0 -> 0 */
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[w], 0.0, 0);
    cpe_features_free(f);
    free(o);
}

/* Flow of bar i: v = i+1, tb = i/2 -> 2tb - v = -1 every bar. cvd_5m at bar 4:
 * -5 / (1+2+3+4+5) = -1/3; trade_flow_imbalance = -1/v. Missing taker volume -> NaN. */
static void test_trade_flow_and_cvd_by_hand(void)
{
    enum { N = 66 };
    cpe_features_t *f;
    double *o = alloc_rows(N);
    CHECK(cpe_features_create(NULL, &f) == 0);
    for (int i = 0; i < N; i++) {
        cpe_bar_t b = mk(T0 + i * MIN, 100, 100, 100, 100, i + 1, i / 2.0);
        CHECK(cpe_features_push(f, &b, NULL, 0, o + (size_t)i * NF) == 0);
    }
    int t = fi("trade_flow_imbalance"), c5 = fi("cvd_5m"), c60 = fi("cvd_1h");
    CHECK_NEAR(o[0 * NF + t], -1.0, 1e-15);
    CHECK_NEAR(o[3 * NF + t], -0.25, 1e-15);
    CHECK(isnan(o[3 * NF + c5]));
    CHECK_NEAR(o[4 * NF + c5], -5.0 / 15.0, 1e-15);
    CHECK(isnan(o[58 * NF + c60]));
    CHECK_NEAR(o[59 * NF + c60], -60.0 / 1830.0, 1e-15);              /* sum 1..60 */
    CHECK_NEAR(o[65 * NF + c60], -60.0 / (1830.0 + 6 * 60.0), 1e-15); /* 7..66 */
    /* volume_ratio_1h = v / mean v over 60: bar 59: 60 / 30.5 */
    CHECK_NEAR(o[59 * NF + fi("volume_ratio_1h")], 60.0 / 30.5, 1e-14);
    cpe_bar_t b = mk(T0 + N * MIN, 100, 100, 100, 100, 1, NAN);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK(isnan(o[t]) && isnan(o[c5]) && isnan(o[c60]));
    b = mk(T0 + (N + 1) * MIN, 100, 100, 100, 100, 0, 0);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[t], 0.0, 0); /* v = 0 */
    CHECK(isnan(o[c5]));      /* the window still holds the bar without taker volume */
    cpe_features_free(f);
    free(o);
}

/* Liquidations: L = 3, S = 1 in the window -> 0.5; none -> 0; no feed -> NaN. */
static void test_liq_imbalance_and_large_trade_ratio(void)
{
    enum { N = 61 };
    cpe_features_t *f;
    double *o = alloc_rows(1);
    int li = fi("liq_imbalance_1h"), lt = fi("large_trade_ratio");
    CHECK(cpe_features_create(NULL, &f) == 0);
    for (int i = 0; i < N; i++) {
        cpe_bar_t b = flat(i, 100);
        b.liq_long = i == 10 ? 3 : 0;
        b.liq_short = i == 20 ? 1 : 0;
        b.large_quote = 25; /* quote volume = v*c = 100 */
        CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
        if (i == 58) CHECK(isnan(o[li]));
        if (i == 59) CHECK_NEAR(o[li], 0.5, 1e-15);
        CHECK_NEAR(o[lt], 0.25, 1e-15);
    }
    /* bar 60: bars 1..60 still hold both */
    CHECK_NEAR(o[li], 0.5, 1e-15);
    for (int i = N; i < N + 60; i++) {
        cpe_bar_t b = flat(i, 100);
        b.liq_long = b.liq_short = 0;
        CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    }
    CHECK_NEAR(o[li], 0.0, 0);
    CHECK(isnan(o[lt]));
    cpe_bar_t b = flat(N + 60, 100); /* no liquidation feed for this bar */
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK(isnan(o[li]));
    cpe_features_free(f);
    free(o);
}

static cpe_feature_obs_t ob(int kind, int src, int64_t avail, int64_t interval, double v)
{
    cpe_feature_obs_t x = {.avail_ms = avail,
                           .interval_ms = interval,
                           .kind = kind,
                           .src = src,
                           .v = {v, NAN, NAN, NAN, NAN, NAN}};
    return x;
}

/* Funding settles a few ms after the hour: a settlement at 08:00:00.008 is known at the
 * close of the 08:00 bar (08:01), not at the close of the 07:59 bar (08:00). push()
 * refuses the future; batch delivers it with the first bar whose close covers it. */
static void test_funding_availability_and_zscore(void)
{
    enum { N = 481 + 8 * 60 };
    cpe_bar_t *bars = malloc(N * sizeof *bars);
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, 100);
    cpe_feature_obs_t obs[3] = {ob(CPE_FOBS_FUNDING, 0, T0, 8 * HOUR, 0.0001),
                                ob(CPE_FOBS_FUNDING, 0, T0 + 8 * HOUR + 8, 8 * HOUR, 0.0002),
                                ob(CPE_FOBS_FUNDING, 0, T0 + 16 * HOUR + 8, 8 * HOUR, 0.0003)};
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, N, obs, 3, 0, o, &nr, NULL, NULL) == 0);
    CHECK_EQ_INT(nr, N);
    int fr = fi("funding_rate"), fz = fi("funding_zscore"), fs = fi("funding_sentiment");
    CHECK_NEAR(o[0 * NF + fr], 0.0001, 0);
    CHECK(isnan(o[0 * NF + fz]));            /* one settlement: no std */
    CHECK_NEAR(o[479 * NF + fr], 0.0001, 0); /* bar 07:59 closes at 08:00:00.000 */
    CHECK_NEAR(o[480 * NF + fr], 0.0002, 0); /* bar 08:00 closes at 08:01 */
    /* two settlements 1e-4, 2e-4: mean 1.5e-4, sd = 1e-4/sqrt 2 -> z = sqrt(2)/2 */
    CHECK_CLOSE(o[480 * NF + fz], sqrt(2.0) / 2.0, 1e-9);
    CHECK_CLOSE(o[960 * NF + fz], 1.0, 1e-9); /* 1,2,3e-4: mean 2e-4, sd 1e-4 */
    CHECK_NEAR(o[960 * NF + fs], 0.0003, 0);
    int fc = fi("funding_change"); /* last settlement - the one before */
    CHECK(isnan(o[479 * NF + fc]));
    CHECK_CLOSE(o[480 * NF + fc], 0.0001, 1e-12);
    CHECK_CLOSE(o[960 * NF + fc], 0.0001, 1e-12);

    cpe_features_t *f;
    CHECK(cpe_features_create(NULL, &f) == 0);
    CHECK(cpe_features_push(f, &bars[0], obs, 1, o) == 0);
    for (int i = 1; i < 479; i++)
        CHECK(cpe_features_push(f, &bars[i], NULL, 0, o) == 0);
    CHECK_EQ_INT(cpe_features_push(f, &bars[479], obs + 1, 1, o), CPE_EINVAL); /* future */
    CHECK_EQ_INT(cpe_features_bars(f), 479);                                   /* unchanged */
    CHECK(cpe_features_push(f, &bars[479], NULL, 0, o) == 0);
    CHECK(cpe_features_push(f, &bars[480], obs + 1, 1, o) == 0);
    CHECK_NEAR(o[fr], 0.0002, 0);
    cpe_features_free(f);
    free(bars);
    free(o);
}

/* Settlements older than 30 days leave the z-score window. */
static void test_funding_zscore_window_is_30_days(void)
{
    cpe_features_t *f;
    double *o = alloc_rows(1);
    int fz = fi("funding_zscore");
    CHECK(cpe_features_create(NULL, &f) == 0);
    int64_t t1 = T0 + 31 * DAY;
    cpe_feature_obs_t obs[3] = {ob(CPE_FOBS_FUNDING, 0, T0 - 5 * DAY, 8 * HOUR, 0.009),
                                ob(CPE_FOBS_FUNDING, 0, T0, 8 * HOUR, 0.0001),
                                ob(CPE_FOBS_FUNDING, 0, T0 + MIN, 8 * HOUR, 0.0003)};
    cpe_bar_t b = flat(0, 100);
    CHECK(cpe_features_push(f, &b, obs, 2, o) == 0); /* older obs may come with the first bar */
    b = flat(1, 100);
    CHECK(cpe_features_push(f, &b, obs + 2, 1, o) == 0);
    double m = (0.009 + 0.0001 + 0.0003) / 3, s = 0;
    double xs[3] = {0.009, 0.0001, 0.0003};
    for (int i = 0; i < 3; i++)
        s += (xs[i] - m) * (xs[i] - m);
    CHECK_CLOSE(o[fz], (0.0003 - m) / sqrt(s / 2), 1e-12);
    /* 25 days later (all within 30 d of T0 - 5 d + 30 d = T0 + 25 d? no: expires at T0 + 25 d) */
    b = mk(T0 + 25 * DAY, 100, 100, 100, 100, 1, 0.5); /* closes at T0+25d+1m: first expired */
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_CLOSE(o[fz], 1.0 / sqrt(2.0), 1e-12); /* 1e-4, 3e-4: mean 2e-4, sd sqrt(2)e-4 */
    b = mk(t1, 100, 100, 100, 100, 1, 0.5);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK(isnan(o[fz])); /* window empty */
    CHECK_NEAR(o[fi("funding_rate")], 0.0003, 0);
    cpe_features_free(f);
    free(o);
}

/* A daily value stamped day D is available at D+1 00:00: its observation carries that
 * availability time, so the 23:59 bar of day D (close D+1 00:00) is the first to see it. */
static void test_daily_series_available_at_end_of_day(void)
{
    enum { N = 2 * 1440 };
    cpe_bar_t *bars = malloc(N * sizeof *bars);
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, 100);
    /* fear & greed stamped 2024-01-01 (value 55) -> avail 2024-01-02 00:00 */
    cpe_feature_obs_t obs[1] = {ob(CPE_FOBS_SERIES, CPE_FSER_FEAR_GREED, T0 + DAY, DAY, 55)};
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, N, obs, 1, 0, o, &nr, NULL, NULL) == 0);
    int g = fi("fear_greed_index");
    CHECK(isnan(o[1438 * NF + g]));
    CHECK_NEAR(o[1439 * NF + g], 55, 0);
    CHECK_NEAR(o[(N - 1) * NF + g], 55, 0);
    CHECK(isnan(o[(N - 1) * NF + fi("social_volume")])); /* absent source stays NaN */
    free(bars);
    free(o);
}

/* Daily OI: coarser than 1h -> oi_change_1h missing; oi_change_24h = ln(OI now / OI 24h
 * ago) using the latest values available at t and at t - 1440. Reserves likewise. */
static void test_oi_and_netflow_respect_coarseness(void)
{
    enum { N = 3 * 1440 };
    cpe_bar_t *bars = malloc(N * sizeof *bars);
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, 100);
    cpe_feature_obs_t obs[4] = {
        ob(CPE_FOBS_OI, 0, T0, DAY, 1000),
        ob(CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_RESERVES, T0, DAY, 2e6),
        ob(CPE_FOBS_OI, 0, T0 + DAY, DAY, 1100),
        ob(CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_RESERVES, T0 + DAY, DAY, 2e6 - 500),
    };
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, N, obs, 4, 0, o, &nr, NULL, NULL) == 0);
    int c1 = fi("oi_change_1h"), c24 = fi("oi_change_24h");
    int n1 = fi("exchange_netflow_1h"), n24 = fi("exchange_netflow_24h");
    CHECK(isnan(o[1439 * NF + c24]));                            /* t - 1440 does not exist yet */
    CHECK_NEAR(o[1440 * NF + c24], log(1100.0 / 1000.0), 1e-15); /* at t: 1100, at t-1440: 1000 */
    CHECK_NEAR(o[1440 * NF + n24], -500.0, 0);
    /* bar 2878: t-1440 = bar 1438 (close 23:59) still saw 1000; bar 2879: t-1440 = bar 1439,
     * whose close (day 1 00:00) is when the second value became available: both 1100 */
    CHECK_NEAR(o[(2 * 1440 - 2) * NF + c24], log(1100.0 / 1000.0), 1e-15);
    CHECK_NEAR(o[(2 * 1440 - 1) * NF + c24], 0.0, 0);
    for (int i = 0; i < N; i++)
        CHECK(isnan(o[(size_t)i * NF + c1]) && isnan(o[(size_t)i * NF + n1]));
    free(bars);
    free(o);
}

/* Without reserves, exchange netflow is the sum of a netflow series over the window (by
 * availability time); funding_sentiment averages the latest rate of every exchange. */
static void test_netflow_sum_and_funding_sentiment(void)
{
    enum { N = 1500 };
    cpe_bar_t *bars = malloc(N * sizeof *bars);
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, 100);
    cpe_feature_obs_t obs[6] = {
        ob(CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_NETFLOW, T0 + 10 * MIN, HOUR, 5),
        ob(CPE_FOBS_FUNDING, 0, T0 + 10 * MIN, 8 * HOUR, 1e-4),
        ob(CPE_FOBS_FUNDING, 2, T0 + 20 * MIN, 8 * HOUR, 3e-4),
        ob(CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_NETFLOW, T0 + 70 * MIN, HOUR, -2),
        ob(CPE_FOBS_FUNDING, 0, T0 + 80 * MIN, 8 * HOUR, -1e-4),
        ob(CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_NETFLOW, T0 + 130 * MIN, HOUR, 7),
    };
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, N, obs, 6, 0, o, &nr, NULL, NULL) == 0);
    int n1 = fi("exchange_netflow_1h"), n24 = fi("exchange_netflow_24h"),
        fs = fi("funding_sentiment");
    /* bar 9 closes at 00:10: the first flow (5) is in; bar 69 (close 01:10): 5 left the 1h
     * window (avail 00:10 <= 01:10 - 1h), -2 entered */
    CHECK_NEAR(o[9 * NF + n1], 5, 0);
    CHECK_NEAR(o[68 * NF + n1], 5, 0);
    CHECK_NEAR(o[69 * NF + n1], -2, 0);
    CHECK_NEAR(o[69 * NF + n24], 3, 0);
    CHECK_NEAR(o[129 * NF + n1], 7, 0);
    CHECK_NEAR(o[129 * NF + n24], 10, 0);
    CHECK_NEAR(o[1448 * NF + n24], 10, 0); /* window = bars 9..1448 */
    CHECK_NEAR(o[1449 * NF + n24], 5, 0);  /* close 24:10: the 00:10 flow (bar 9) left */
    CHECK_NEAR(o[9 * NF + fs], 1e-4, 0);
    CHECK_NEAR(o[19 * NF + fs], 2e-4, 1e-19);
    CHECK_NEAR(o[79 * NF + fs], 1e-4, 1e-19); /* (-1e-4 + 3e-4) / 2 */
    CHECK_NEAR(o[79 * NF + fi("funding_rate")], -1e-4, 0);
    free(bars);
    free(o);
}

/* Basis: the perp's 1h bar 00:00-01:00 (close 101, known at 01:00) meets the spot 1m bar
 * 00:59 (close 100, also closing at 01:00): (101/100 - 1) * 3 * 365 = 10.95. */
static void test_basis_at_the_latest_common_close(void)
{
    enum { N = 180 };
    cpe_bar_t *bars = malloc(N * sizeof *bars);
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, i == 59 ? 100 : 99);
    cpe_feature_obs_t obs[2] = {ob(CPE_FOBS_PERP_CLOSE, 0, T0 + HOUR, HOUR, 101),
                                ob(CPE_FOBS_PERP_CLOSE, 0, T0 + 2 * HOUR, HOUR, 99 * 1.001)};
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, N, obs, 2, 0, o, &nr, NULL, NULL) == 0);
    int b = fi("basis_annualized");
    CHECK(isnan(o[58 * NF + b]));
    CHECK_CLOSE(o[59 * NF + b], (101.0 / 100.0 - 1) * 3 * 365, 1e-12);
    CHECK_CLOSE(o[118 * NF + b], (101.0 / 100.0 - 1) * 3 * 365, 1e-12); /* carried */
    CHECK_CLOSE(o[119 * NF + b], (99 * 1.001 / 99.0 - 1) * 3 * 365, 1e-9);
    /* basis_change_1h: the basis now minus the basis as of 60 bars earlier */
    int bc = fi("basis_change_1h");
    CHECK(isnan(o[118 * NF + bc])); /* 60 bars earlier (bar 58) had no basis yet */
    CHECK_CLOSE(o[119 * NF + bc], o[119 * NF + b] - o[59 * NF + b], 1e-12);
    CHECK_NEAR(o[179 * NF + bc], 0.0, 1e-15); /* the same basis an hour apart: no change */
    /* a main perp with spot observations gives the same number */
    cpe_features_config_t cfg = {.main_kind = CPE_PERP};
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, i == 59 ? 101 : 99);
    cpe_feature_obs_t sp = ob(CPE_FOBS_SPOT_CLOSE, 0, T0 + HOUR, HOUR, 100);
    CHECK(cpe_features_batch(&cfg, bars, N, &sp, 1, 0, o, &nr, NULL, NULL) == 0);
    CHECK_CLOSE(o[59 * NF + b], (101.0 / 100.0 - 1) * 3 * 365, 1e-12);
    free(bars);
    free(o);
}

/* eth_btc_ratio = ETH close / BTC close at the latest common close; its 24h log change. */
static void test_eth_btc_ratio_and_24h_return(void)
{
    enum { N = 1500 };
    cpe_bar_t *bars = malloc(N * sizeof *bars);
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, 40000);
    cpe_feature_obs_t obs[26];
    for (int h = 0; h < 26; h++)
        obs[h] = ob(CPE_FOBS_CROSS_CLOSE, 0, T0 + (h + 1) * HOUR, HOUR, 2000 + 10 * h);
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, N, obs, 26, 0, o, &nr, NULL, NULL) == 0);
    int r = fi("eth_btc_ratio"), r24 = fi("eth_btc_return_24h");
    CHECK(isnan(o[58 * NF + r]));
    CHECK_CLOSE(o[59 * NF + r], 2000.0 / 40000.0, 1e-15);
    CHECK_CLOSE(o[1499 * NF + r], 2240.0 / 40000.0, 1e-15); /* hour 24 (h=24 obs at 25h) */
    /* bar 1499 (close 25h): ratio 2240/40000; bar 59 (close 1h): 2000/40000 */
    CHECK_CLOSE(o[1499 * NF + r24], log(2240.0 / 2000.0), 1e-12);
    CHECK(isnan(o[1498 * NF + r24])); /* t - 1440 = bar 58: no ratio yet */
    /* ETH as the main: ratio = main / cross */
    cpe_features_config_t cfg = {.main_is_eth = 1};
    for (int i = 0; i < N; i++)
        bars[i] = flat(i, 2000);
    cpe_feature_obs_t x = ob(CPE_FOBS_CROSS_CLOSE, 0, T0 + HOUR, HOUR, 40000);
    CHECK(cpe_features_batch(&cfg, bars, N, &x, 1, 0, o, &nr, NULL, NULL) == 0);
    CHECK_CLOSE(o[59 * NF + r], 0.05, 1e-15);
    free(bars);
    free(o);
}

static void test_book_lsr_and_latest_value_series(void)
{
    cpe_features_t *f;
    double *o = alloc_rows(1);
    CHECK(cpe_features_create(NULL, &f) == 0);
    cpe_feature_obs_t obs[4];
    obs[0] = ob(CPE_FOBS_BOOK, 0, T0, 0, 0);
    double bk[6] = {3, 6, 10, 1, 2, 10};
    memcpy(obs[0].v, bk, sizeof bk);
    obs[1] = ob(CPE_FOBS_LSR, 0, T0 + 1, 0, 1.7);
    obs[2] = ob(CPE_FOBS_SERIES, CPE_FSER_WHALE_TRANSACTIONS, T0 + 2, 0, 12);
    obs[3] = ob(CPE_FOBS_SERIES, CPE_FSER_BTC_DOMINANCE, T0 + 3, 0, 54.5);
    cpe_bar_t b = flat(0, 100);
    CHECK(cpe_features_push(f, &b, obs, 4, o) == 0);
    CHECK_NEAR(o[fi("order_book_slope_05")], 0.5, 1e-15); /* (3-1)/4 */
    CHECK_NEAR(o[fi("order_book_slope_1")], 0.5, 1e-15);  /* (6-2)/8 */
    CHECK_NEAR(o[fi("bid_ask_imbalance")], 0.5, 1e-15);
    CHECK_NEAR(o[fi("order_book_slope_2")], 0.0, 0);
    CHECK_NEAR(o[fi("long_short_ratio")], 1.7, 0);
    CHECK_NEAR(o[fi("whale_transactions")], 12, 0);
    CHECK_NEAR(o[fi("btc_dominance")], 54.5, 0);
    CHECK(isnan(o[fi("btc_dominance_change")]));
    CHECK(isnan(o[fi("miner_outflow")]) && isnan(o[fi("nvt_signal")]));
    CHECK(cpe_features_source_present(f, (size_t)fi("whale_transactions")));
    CHECK(!cpe_features_source_present(f, (size_t)fi("miner_outflow")));
    CHECK(!cpe_features_source_present(f, (size_t)fi("funding_rate")));
    cpe_features_free(f);
    free(o);
}

/* Correlation over 30 daily observations: a series whose returns are 2x BTC's -> +1; DXY
 * with the same returns -> dxy_inverse = -1. */
static void test_daily_correlations(void)
{
    enum { DAYS = 33 };
    int N = DAYS * 1440;
    cpe_bar_t *bars = malloc((size_t)N * sizeof *bars);
    double p = 40000;
    for (int i = 0; i < N; i++) {
        if (i % 1440 == 0) p *= (i / 1440) % 3 ? 1.01 : 0.985;
        bars[i] = flat(i, p);
    }
    cpe_feature_obs_t obs[2 * DAYS];
    int no = 0;
    for (int d = 0; d < DAYS; d++) {
        double c = bars[d * 1440 + 1439].close; /* BTC close at the end of day d */
        obs[no++] =
            ob(CPE_FOBS_SERIES, CPE_FSER_SP500, T0 + (d + 1) * DAY, DAY, 4000 * pow(c / 40000, 2));
        obs[no++] = ob(CPE_FOBS_SERIES, CPE_FSER_DXY, T0 + (d + 1) * DAY, DAY, 100 * (c / 40000));
    }
    double *o = alloc_rows(N);
    size_t nr;
    CHECK(cpe_features_batch(NULL, bars, (size_t)N, obs, (size_t)no, 0, o, &nr, NULL, NULL) == 0);
    int sp = fi("sp500_correlation"), dx = fi("dxy_inverse");
    CHECK(isnan(o[(size_t)(30 * 1440 - 2) * NF + sp])); /* 29 return pairs */
    CHECK_CLOSE(o[(size_t)(30 * 1440 + 1439) * NF + sp], 1.0, 1e-12);
    CHECK_CLOSE(o[(size_t)(N - 1) * NF + dx], -1.0, 1e-12);
    CHECK(isnan(o[(size_t)(N - 1) * NF + fi("gold_correlation")]));
    free(bars);
    free(o);
}

static void test_time_features_and_atr(void)
{
    cpe_features_t *f;
    double *o = alloc_rows(1);
    CHECK(cpe_features_create(NULL, &f) == 0);
    /* 2024-01-06 (Saturday) 18:30 */
    cpe_bar_t b = mk(T0 + 5 * DAY + 18 * HOUR + 30 * MIN, 100, 101, 99, 100, 1, 0.5);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[fi("hour_of_day")], 18, 0);
    CHECK_NEAR(o[fi("day_of_week")], 5, 0);
    CHECK_NEAR(o[fi("hour_sin")], -1.0, 1e-15);
    CHECK_NEAR(o[fi("hour_cos")], 0.0, 1e-15);
    /* ATR: 14 more bars with true range 2 (h-l = 2) then one with a gap: TR = 10 */
    for (int i = 1; i <= 14; i++) {
        b = mk(b.ts_ms + MIN, 100, 101, 99, 100, 1, 0.5);
        CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
        if (i == 13) CHECK(isnan(o[fi("atr_14")]));
    }
    CHECK_NEAR(o[fi("atr_14")], 2.0 / 100.0, 1e-15);
    b = mk(b.ts_ms + MIN, 109, 110, 108, 109, 1, 0.5); /* TR = max(2, |110-100|, |108-100|) = 10 */
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_NEAR(o[fi("atr_14")], (2.0 * 13 + 10) / 14 / 109.0, 1e-15);
    cpe_features_free(f);
    free(o);
}

/* The 24h range position uses a monotone deque: compare with a direct scan. */
static void test_range_position_matches_direct_scan(void)
{
    enum { N = 5000 };
    cpe_features_t *f;
    double *o = alloc_rows(1);
    double *h = malloc(N * sizeof *h), *l = malloc(N * sizeof *l);
    CHECK(cpe_features_create(NULL, &f) == 0);
    uint64_t s = 12345;
    double c = 1000;
    int rp = fi("range_position_24h"), bad = 0;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        c *= 1 + ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 0.01;
        h[i] = c * 1.001;
        l[i] = c * 0.999;
        cpe_bar_t b = mk(T0 + i * MIN, c, h[i], l[i], c, 1, 0.5);
        CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
        if (i < 1439) {
            if (!isnan(o[rp])) bad++;
            continue;
        }
        double mx = h[i], mn = l[i];
        for (int k = i - 1439; k <= i; k++) {
            if (h[k] > mx) mx = h[k];
            if (l[k] < mn) mn = l[k];
        }
        if (o[rp] != (c - mn) / (mx - mn)) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    cpe_features_free(f);
    free(h);
    free(l);
    free(o);
}

/* ---- batch == streaming, no look-ahead ------------------------------------------- */

typedef struct scen {
    cpe_bar_t *bars;
    int n;
    cpe_feature_obs_t *obs;
    int nobs;
} scen_t;

static uint64_t rs;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}

/* A random market with every side source: 1m bars, hourly perp and ETH closes, 8h funding
 * (two exchanges), 5m OI, book, lsr, liquidations, tape, daily series. */
static void make_scen(scen_t *s, int n, uint64_t seed)
{
    rs = seed;
    s->n = n;
    s->bars = malloc((size_t)n * sizeof *s->bars);
    s->obs = malloc((size_t)n * 2 * sizeof *s->obs);
    s->nobs = 0;
    double c = 40000, eth = 2000;
    for (int i = 0; i < n; i++) {
        double o = c;
        c *= exp((urand() - 0.5) * 0.004);
        double hi = fmax(o, c) * (1 + urand() * 0.001), lo = fmin(o, c) * (1 - urand() * 0.001);
        double v = urand() * 10;
        cpe_bar_t b = mk(T0 + i * MIN, o, hi, lo, c, v, v * urand());
        b.liq_long = urand() < 0.1 ? urand() * 1e5 : 0;
        b.liq_short = urand() < 0.1 ? urand() * 1e5 : 0;
        b.large_quote = urand() < 0.3 ? b.quote_volume * urand() : 0;
        s->bars[i] = b;
        int64_t close = b.ts_ms + MIN;
        eth *= exp((urand() - 0.5) * 0.004);
        if (close % HOUR == 0) {
            s->obs[s->nobs++] =
                ob(CPE_FOBS_PERP_CLOSE, 0, close, HOUR, c * (1 + (urand() - 0.5) * 0.002));
            s->obs[s->nobs++] = ob(CPE_FOBS_CROSS_CLOSE, 0, close, HOUR, eth);
        }
        if (close % (8 * HOUR) == MIN) {
            s->obs[s->nobs++] =
                ob(CPE_FOBS_FUNDING, 0, close - MIN + 7, 8 * HOUR, (urand() - 0.3) * 1e-3);
            s->obs[s->nobs++] =
                ob(CPE_FOBS_FUNDING, 1, close - MIN + 9, 8 * HOUR, (urand() - 0.3) * 1e-3);
        }
        if (close % (5 * MIN) == 0) {
            s->obs[s->nobs++] = ob(CPE_FOBS_OI, 0, close, 5 * MIN, 1e9 * (1 + urand() * 0.01));
            s->obs[s->nobs++] = ob(CPE_FOBS_LSR, 0, close - 1000, 5 * MIN, 0.5 + urand());
            cpe_feature_obs_t bk = ob(CPE_FOBS_BOOK, 0, close - 500, 0, 0);
            for (int k = 0; k < 6; k++)
                bk.v[k] = urand() * 100;
            s->obs[s->nobs++] = bk;
            s->obs[s->nobs++] = ob(CPE_FOBS_SERIES, CPE_FSER_EXCHANGE_NETFLOW, close, 5 * MIN,
                                   (urand() - 0.5) * 100);
        }
        if (close % DAY == 0) {
            s->obs[s->nobs++] =
                ob(CPE_FOBS_SERIES, CPE_FSER_FEAR_GREED, close, DAY, floor(urand() * 100));
            s->obs[s->nobs++] =
                ob(CPE_FOBS_SERIES, CPE_FSER_SP500, close, DAY, 5000 * (1 + urand() * 0.02));
            s->obs[s->nobs++] =
                ob(CPE_FOBS_SERIES, CPE_FSER_BTC_DOMINANCE, close, DAY, 50 + urand());
        }
    }
}

static void free_scen(scen_t *s)
{
    free(s->bars);
    free(s->obs);
}

static void test_batch_equals_streaming_bit_for_bit(void)
{
    scen_t s;
    make_scen(&s, 6000, 7);
    double *a = alloc_rows(s.n), *b = alloc_rows(s.n);
    size_t nr;
    CHECK(cpe_features_batch(NULL, s.bars, (size_t)s.n, s.obs, (size_t)s.nobs, 0, a, &nr, NULL,
                             NULL) == 0);
    CHECK_EQ_INT(nr, s.n);
    /* streaming, delivering each observation exactly at its bar */
    cpe_features_t *f;
    CHECK(cpe_features_create(NULL, &f) == 0);
    int k = 0;
    for (int i = 0; i < s.n; i++) {
        int k0 = k;
        while (k < s.nobs && s.obs[k].avail_ms <= s.bars[i].ts_ms + MIN)
            k++;
        CHECK(cpe_features_push(f, &s.bars[i], s.obs + k0, (size_t)(k - k0), b + (size_t)i * NF) ==
              0);
    }
    CHECK(memcmp(a, b, (size_t)s.n * NF * sizeof(double)) == 0);
    /* after warm-up (the daily dominance starts at bar 1439: its 24h change at 2879) every
     * feature with its source present is a number */
    int nan_after = 0;
    for (size_t j = 0; j < NF; j++) {
        const cpe_feature_def_t *d = cpe_feature_def(j);
        if (!cpe_features_source_present(f, j) || !strcmp(d->name, "gold_correlation") ||
            !strcmp(d->name, "sp500_correlation") || !strcmp(d->name, "exchange_netflow_1h"))
            continue;
        for (int i = d->warmup_bars > 2900 ? d->warmup_bars : 2900; i < s.n; i++)
            if (isnan(a[(size_t)i * NF + j])) {
                nan_after++;
                fprintf(stderr, "  NaN %s at %d\n", d->name, i);
                break;
            }
    }
    CHECK_EQ_INT(nan_after, 0);
    /* sampling keeps the 5m rows and they are the same values */
    size_t idx[6000];
    CHECK(cpe_features_batch(NULL, s.bars, (size_t)s.n, s.obs, (size_t)s.nobs, 5 * MIN, b, &nr, idx,
                             NULL) == 0);
    CHECK_EQ_INT(nr, s.n / 5);
    CHECK(memcmp(b + 7 * NF, a + idx[7] * NF, NF * sizeof(double)) == 0);
    CHECK(cpe_features_state_bytes(f) < 1024 * 1024);
    cpe_features_free(f);
    free(a);
    free(b);
    free_scen(&s);
}

/* Replacing every input after t with garbage leaves all features at or before t
 * bit-identical, for many random t. */
static void test_no_look_ahead_random_cutoffs(void)
{
    scen_t s, g;
    make_scen(&s, 4000, 11);
    double *a = alloc_rows(s.n), *b = alloc_rows(s.n);
    size_t nr;
    CHECK(cpe_features_batch(NULL, s.bars, (size_t)s.n, s.obs, (size_t)s.nobs, 0, a, &nr, NULL,
                             NULL) == 0);
    int fails = 0;
    for (int trial = 0; trial < 25; trial++) {
        int t = (int)(urand() * (s.n - 1));
        int64_t close_t = s.bars[t].ts_ms + MIN;
        make_scen(&g, s.n, 1000 + (uint64_t)trial); /* garbage of the same shape */
        memcpy(g.bars, s.bars, (size_t)(t + 1) * sizeof *g.bars);
        for (int i = t + 1; i < s.n; i++)
            g.bars[i].ts_ms = s.bars[i].ts_ms;
        /* keep the observations available by close_t, then garbage ones after it */
        int nk = 0;
        while (nk < s.nobs && s.obs[nk].avail_ms <= close_t)
            nk++;
        int ng = 0;
        while (ng < g.nobs && g.obs[ng].avail_ms <= close_t)
            ng++;
        cpe_feature_obs_t *mix = malloc((size_t)(nk + g.nobs - ng) * sizeof *mix);
        memcpy(mix, s.obs, (size_t)nk * sizeof *mix);
        memcpy(mix + nk, g.obs + ng, (size_t)(g.nobs - ng) * sizeof *mix);
        CHECK(cpe_features_batch(NULL, g.bars, (size_t)s.n, mix, (size_t)(nk + g.nobs - ng), 0, b,
                                 &nr, NULL, NULL) == 0);
        if (memcmp(a, b, (size_t)(t + 1) * NF * sizeof(double))) fails++;
        free(mix);
        free_scen(&g);
    }
    CHECK_EQ_INT(fails, 0);
    free(a);
    free(b);
    free_scen(&s);
}

/* Running 60-bar sums are re-summed every 4096 bars: still equal to a direct sum. */
static void test_running_sums_stay_exact_over_long_runs(void)
{
    scen_t s;
    make_scen(&s, 20000, 3);
    double *a = alloc_rows(s.n);
    size_t nr;
    CHECK(cpe_features_batch(NULL, s.bars, (size_t)s.n, NULL, 0, 0, a, &nr, NULL, NULL) == 0);
    int c60 = fi("cvd_1h"), bad = 0;
    for (int i = 59; i < s.n; i += 97) {
        double sf = 0, sv = 0;
        for (int k = i - 59; k <= i; k++) {
            sf += 2 * s.bars[k].taker_buy_base - s.bars[k].volume;
            sv += s.bars[k].volume;
        }
        if (fabs(a[(size_t)i * NF + c60] - sf / sv) > 1e-12) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    free(a);
    free_scen(&s);
}

static void test_push_rejects_bad_bars(void)
{
    cpe_features_t *f;
    double *o = alloc_rows(1);
    CHECK(cpe_features_create(NULL, &f) == 0);
    cpe_bar_t b = flat(5, 100);
    CHECK(cpe_features_push(f, &b, NULL, 0, o) == 0);
    CHECK_EQ_INT(cpe_features_push(f, &b, NULL, 0, o), CPE_EINVAL); /* same time */
    b = flat(4, 100);
    CHECK_EQ_INT(cpe_features_push(f, &b, NULL, 0, o), CPE_EINVAL); /* earlier */
    b = flat(6, -1);
    CHECK_EQ_INT(cpe_features_push(f, &b, NULL, 0, o), CPE_EINVAL);
    b = flat(6, 100);
    cpe_feature_obs_t x = ob(CPE_FOBS_SERIES, CPE_FSER_COUNT, T0, 0, 1);
    CHECK_EQ_INT(cpe_features_push(f, &b, &x, 1, o), CPE_EINVAL);
    CHECK_EQ_INT(cpe_features_bars(f), 1);
    cpe_features_free(f);
    cpe_features_free(NULL);
    free(o);
}

int main(void)
{
    NF = cpe_features_count();
    RUN(test_table_is_complete_and_indexed);
    RUN(test_returns_need_k_plus_one_bars);
    RUN(test_volatility_1h_of_alternating_5m_returns);
    RUN(test_volatility_24h_of_alternating_1h_returns);
    RUN(test_bar_range_and_close_position);
    RUN(test_rsi7_wilder_seeding_by_hand);
    RUN(test_rsi_edge_cases_flat_is_50_rising_is_100);
    RUN(test_ema_cross_seeding_by_hand);
    RUN(test_macd_signal_by_hand);
    RUN(test_bb_position_by_hand);
    RUN(test_vwap_resets_at_utc_midnight);
    RUN(test_trade_flow_and_cvd_by_hand);
    RUN(test_liq_imbalance_and_large_trade_ratio);
    RUN(test_funding_availability_and_zscore);
    RUN(test_funding_zscore_window_is_30_days);
    RUN(test_daily_series_available_at_end_of_day);
    RUN(test_oi_and_netflow_respect_coarseness);
    RUN(test_netflow_sum_and_funding_sentiment);
    RUN(test_basis_at_the_latest_common_close);
    RUN(test_eth_btc_ratio_and_24h_return);
    RUN(test_book_lsr_and_latest_value_series);
    RUN(test_daily_correlations);
    RUN(test_time_features_and_atr);
    RUN(test_range_position_matches_direct_scan);
    RUN(test_batch_equals_streaming_bit_for_bit);
    RUN(test_no_look_ahead_random_cutoffs);
    RUN(test_running_sums_stay_exact_over_long_runs);
    RUN(test_push_rejects_bad_bars);
    return TEST_DONE();
}
