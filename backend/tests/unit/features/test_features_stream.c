/* test_features_stream.c — the feature engine's side observations by availability time
 * (funding, daily series, OI and netflow coarseness, basis, cross asset, book, correlations),
 * batch == streaming bit for bit, no look-ahead, and running sums over long runs
 * (shared/spec/features.md); test_features.c has the per-bar features. */
#include "features_test.h"

#include <stdint.h>

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

int main(void)
{
    NF = cpe_features_count();
    RUN(test_funding_availability_and_zscore);
    RUN(test_funding_zscore_window_is_30_days);
    RUN(test_daily_series_available_at_end_of_day);
    RUN(test_oi_and_netflow_respect_coarseness);
    RUN(test_netflow_sum_and_funding_sentiment);
    RUN(test_basis_at_the_latest_common_close);
    RUN(test_eth_btc_ratio_and_24h_return);
    RUN(test_book_lsr_and_latest_value_series);
    RUN(test_daily_correlations);
    RUN(test_batch_equals_streaming_bit_for_bit);
    RUN(test_no_look_ahead_random_cutoffs);
    RUN(test_running_sums_stay_exact_over_long_runs);
    return TEST_DONE();
}
