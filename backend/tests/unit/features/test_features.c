/* test_features.c — every price, technical and flow feature against values worked out by hand
 * on small fixed inputs, and bars the engine rejects (shared/spec/features.md); the side
 * observations and batch == streaming are test_features_stream.c. */
#include "cpe/features.h"

#include <stdint.h>

#include "features_test.h"
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
    RUN(test_time_features_and_atr);
    RUN(test_range_position_matches_direct_scan);
    RUN(test_push_rejects_bad_bars);
    return TEST_DONE();
}
