/* test_dataset.c — the feature matrix from the store: instrument rule, side series by
 * availability time, sampling, label closes, and the real data over one month. */
#include "cpe/dataset.h"
#include "cpe/import.h"
#include "test.h"

#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static size_t NF;

static int fi(const char *name)
{
    return cpe_feature_index(name);
}

static int64_t sid(cpe_store_t *st, const char *instr, const char *kind, int64_t iv)
{
    int64_t id = -1;
    CHECK(st->ops->series_id(st, instr, kind, iv, 0, 1, &id) == 0);
    return id;
}

static cpe_kline_t kl(int64_t ts, double c)
{
    cpe_kline_t k = {.ts_ms = ts,
                     .open = c,
                     .high = c * 1.001,
                     .low = c * 0.999,
                     .close = c,
                     .volume = 2,
                     .quote_volume = 2 * c,
                     .trades = 10,
                     .taker_buy_base = 1.2,
                     .taker_buy_quote = 1.2 * c};
    return k;
}

static cpe_point_t pt(int64_t ts, double v)
{
    cpe_point_t p = {.ts_ms = ts, .seq = 0, .v = {v, NAN, NAN, NAN, NAN, NAN}};
    return p;
}

/* 3 days of BTC 1m spot, hourly perp, 8h funding, hourly ETH, daily fear & greed. */
static cpe_store_t *fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    CHECK(cpe_store_open(path, &st, &d) == 0);
    if (!st) return NULL;
    enum { N = 3 * 1440 };
    cpe_kline_t *k = malloc(N * sizeof *k);
    for (int i = 0; i < N; i++)
        k[i] = kl(T0 + i * MIN, 40000 + 10 * sin(i / 30.0) + i * 0.01);
    CHECK(st->ops->put_klines(st, sid(st, "binance:spot:BTCUSDT", "kline:1m", MIN), k, N, NULL) ==
          0);
    cpe_kline_t h[72], e[72];
    for (int i = 0; i < 72; i++) {
        h[i] = kl(T0 + i * HOUR, k[i * 60 + 59].close * 1.0005); /* close at the hour's end */
        e[i] = kl(T0 + i * HOUR, 2000 + i);
    }
    CHECK(st->ops->put_klines(st, sid(st, "binance:perp:BTCUSDT", "kline:1h", HOUR), h, 72, NULL) ==
          0);
    CHECK(st->ops->put_klines(st, sid(st, "binance:spot:ETHUSDT", "kline:1h", HOUR), e, 72, NULL) ==
          0);
    cpe_point_t f[9];
    for (int i = 0; i < 9; i++)
        f[i] = pt(T0 + i * 8 * HOUR + 5, 1e-4 * (i + 1));
    CHECK(st->ops->put_points(st, sid(st, "binance:perp:BTCUSDT", "funding", 8 * HOUR), f, 9,
                              NULL) == 0);
    cpe_point_t g[3] = {pt(T0, 40), pt(T0 + DAY, 60), pt(T0 + 2 * DAY, 70)};
    CHECK(st->ops->put_points(st, sid(st, "series:CRYPTO:fear_greed", "series:fear_greed", DAY), g,
                              3, NULL) == 0);
    free(k);
    return st;
}

static void test_dataset_samples_rows_and_applies_availability(void)
{
    cpe_store_t *st = fixture("a");
    if (!st) return;
    cpe_dataset_t ds;
    cpe_diag_t d = {0};
    cpe_dataset_opts_t o = {.sample_ms = 5 * MIN, .label_tail_ms = 6 * HOUR};
    int rc = cpe_dataset_build(st, "BTC", T0 + DAY, T0 + 2 * DAY, &o, &ds, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    if (rc) {
        cpe_store_close(st);
        return;
    }
    CHECK_STR(ds.instrument, "binance:spot:BTCUSDT");
    CHECK_EQ_INT(ds.n, 288);
    CHECK_EQ_INT(ds.ncol, NF);
    CHECK_EQ_INT(ds.ts_ms[0], T0 + DAY);
    CHECK_EQ_INT(ds.ts_ms[287], T0 + 2 * DAY - 5 * MIN);
    CHECK_EQ_INT(ds.first_bar_ms, T0); /* warm-up reads from the first stored bar */
    /* label closes: from the first row through to + 6 h */
    CHECK_EQ_INT(ds.ts1m[0], T0 + DAY);
    CHECK_EQ_INT(ds.n1m, 1440 + 360);
    CHECK(ds.sources & CPE_FSRC_FUNDING);
    CHECK(ds.sources & CPE_FSRC_BASIS);
    CHECK(ds.sources & CPE_FSRC_CROSS);
    int fg = fi("fear_greed_index"), fr = fi("funding_rate"), b = fi("basis_annualized");
    int r = fi("eth_btc_ratio");
    /* day 1 rows: fear & greed stamped day 0 (40) became available at day 1 00:00 */
    CHECK_NEAR(ds.X[0 * NF + fg], 40, 0);
    CHECK_NEAR(ds.X[287 * NF + fg], 40, 0); /* 23:55: day 1's value (60) not yet */
    /* funding settled at 08:00:00.005 of day 1 (the 5th, rate 5e-4) shows from the 08:00
     * bar on (its close 08:01 is the first close after the settlement) */
    CHECK_NEAR(ds.X[95 * NF + fr], 4e-4, 0); /* 07:55 */
    CHECK_NEAR(ds.X[96 * NF + fr], 5e-4, 0); /* 08:00 */
    CHECK_CLOSE(ds.X[0 * NF + b], 0.0005 * 3 * 365, 1e-9);
    CHECK(ds.X[0 * NF + r] > 0.04 && ds.X[0 * NF + r] < 0.06);
    CHECK(!isnan(ds.X[287 * NF + fi("volatility_24h")]));
    CHECK(isnan(ds.X[287 * NF + fi("large_trade_ratio")])); /* no tape */

    /* the 1m matrix holds the same values at the 5m rows, bit for bit */
    cpe_dataset_t d1;
    o.sample_ms = 0;
    CHECK(cpe_dataset_build(st, "BTCUSDT", T0 + DAY, T0 + 2 * DAY, &o, &d1, &d) == 0);
    CHECK_EQ_INT(d1.n, 1440);
    if (d1.n == 1440) CHECK(memcmp(d1.X + 5 * NF, ds.X + 1 * NF, NF * sizeof(double)) == 0);
    cpe_dataset_free(&d1);

    /* anchored at the last bar: the newest bar is a row whatever the step */
    o.sample_ms = HOUR;
    o.anchor_last = 1;
    CHECK(cpe_dataset_build(st, "BTCUSDT", T0 + DAY, T0 + DAY + 90 * MIN + 1, &o, &d1, &d) == 0);
    CHECK_EQ_INT(d1.n, 2);
    if (d1.n == 2) CHECK_EQ_INT(d1.ts_ms[1], T0 + DAY + 90 * MIN);
    cpe_dataset_free(&d1);
    cpe_dataset_free(&ds);
    cpe_dataset_free(&ds); /* twice is a no-op */
    cpe_store_close(st);
}

/* Liquidations and large trades are summed into the 1m bar that contains them; the book
 * and the long/short ratio are latest values by their time. */
static void test_dataset_buckets_liquidations_trades_and_book(void)
{
    cpe_store_t *st = fixture("c");
    if (!st) return;
    const int64_t t = T0 + DAY; /* day 1 00:00 */
    cpe_point_t liq[3] = {
        {.ts_ms = t + 10 * MIN + 500, .seq = 0, .v = {+1, 40000, 3, NAN, NAN, NAN}}, /* long 120k */
        {.ts_ms = t + 10 * MIN + 900, .seq = 1, .v = {-1, 40000, 1, NAN, NAN, NAN}}, /* short 40k */
        {.ts_ms = t + 50 * MIN, .seq = 0, .v = {+1, 40000, 0.5, NAN, NAN, NAN}}};    /* long 20k */
    CHECK(st->ops->put_points(st, sid(st, "binance:perp:BTCUSDT", "liq", 0), liq, 3, NULL) == 0);
    cpe_point_t tr[3] = {{.ts_ms = t + 20 * MIN + 1, .seq = 0, .v = {40000, 5, 1, NAN, NAN, NAN}},
                         {.ts_ms = t + 20 * MIN + 2, .seq = 1, .v = {40000, 1, -1, NAN, NAN, NAN}},
                         {.ts_ms = t + 20 * MIN + 3, .seq = 2, .v = {40000, 3, -1, NAN, NAN, NAN}}};
    CHECK(st->ops->put_points(st, sid(st, "binance:spot:BTCUSDT", "trade", 0), tr, 3, NULL) == 0);
    cpe_point_t bk = {.ts_ms = t + 5 * MIN + 30000, .seq = 0, .v = {3, 6, 10, 1, 2, 10}};
    CHECK(st->ops->put_points(st, sid(st, "binance:perp:BTCUSDT", "book", 0), &bk, 1, NULL) == 0);
    cpe_point_t ls = pt(t + 7 * MIN, 1.25);
    CHECK(st->ops->put_points(st, sid(st, "binance:perp:BTCUSDT", "lsr", 0), &ls, 1, NULL) == 0);
    cpe_dataset_t ds;
    cpe_diag_t d = {0};
    cpe_dataset_opts_t o = {.label_tail_ms = -1};
    int rc = cpe_dataset_build(st, "BTCUSDT", t, t + 2 * HOUR, &o, &ds, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    if (!rc) {
        int li = fi("liq_imbalance_1h"), lt = fi("large_trade_ratio"), bi = fi("bid_ask_imbalance");
        int lr = fi("long_short_ratio");
        CHECK(isnan(ds.X[9 * NF + li])); /* before the feed's first event */
        CHECK_CLOSE(ds.X[10 * NF + li], (120e3 - 40e3) / 160e3, 1e-12);
        CHECK_CLOSE(ds.X[50 * NF + li], (140e3 - 40e3) / 180e3, 1e-12);
        CHECK(isnan(ds.X[51 * NF + li])); /* after the last event */
        /* trades of 200k and 120k (> 100k) count, 40k does not; bar quote volume = 2 * close */
        CHECK_CLOSE(ds.X[20 * NF + lt], 320e3 / (2 * ds.close[20]), 1e-12);
        CHECK(isnan(ds.X[19 * NF + lt])); /* before the tape's span: no tape, not 0 */
        CHECK(isnan(ds.X[4 * NF + bi]));
        CHECK_NEAR(ds.X[5 * NF + bi], 0.5, 1e-15); /* snapshot at 05:30 -> the 05 bar (close 06) */
        CHECK_NEAR(ds.X[6 * NF + lr], 1.25, 0);    /* sampled at 00:07 = the close of the 06 bar */
        CHECK(isnan(ds.X[5 * NF + lr]));
        cpe_dataset_free(&ds);
    }
    cpe_store_close(st);
}

static void test_dataset_reports_missing_symbol_and_bad_step(void)
{
    cpe_store_t *st = fixture("b");
    if (!st) return;
    cpe_dataset_t ds;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_dataset_build(st, "SOLUSDT", T0, T0 + DAY, NULL, &ds, &d), CPE_ENOTFOUND);
    CHECK(strstr(d.msg, "SOLUSDT") != NULL);
    cpe_dataset_opts_t o = {.sample_ms = 90 * 1000};
    CHECK_EQ_INT(cpe_dataset_build(st, "BTCUSDT", T0, T0 + DAY, &o, &ds, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_dataset_build(st, "BTCUSDT", T0 + 10 * DAY, T0 + 11 * DAY, NULL, &ds, &d),
                 CPE_ENOTFOUND);
    cpe_store_close(st);
}

/* The real data over one month: every feature whose sources exist is a number once its
 * warm-up has passed. */
static void test_real_month_has_no_nan_after_warmup(void)
{
    const char *dir = test_shared_dir();
    if (!dir) SKIP("CPE_SHARED/data/real not found");
    static const char *const files[] = {
        "binance-spot_BTCUSDT_klines_1m_2024-06-01_2024-06-30.csv.gz",
        "binance-spot_BTCUSDT_klines_1m_2024-07-01_2024-07-31.csv.gz",
        "binance-usdm_BTCUSDT_fundingRate_8h_2023-01-01_2025-08-31.csv",
        "binance-usdm_BTCUSDT_ohlcv_1h_2023-01-01_2025-08-31.csv",
        "binance-spot_ETHUSDT_klines_1h_2024-05-13_2025-08-31.csv",
        "newhedge_BTC_futuresOpenInterestUSD_1d_2020-08-01_2025-08-31.csv",
        "newhedge_BTC_exchangeReservesBTC_1d_2010-11-02_2025-08-31.csv",
        "alternative-me_CRYPTO_fearGreedIndex_1d_2018-02-01_2025-08-31.csv",
        NULL};
    char path[2048];
    snprintf(path, sizeof path, "%s/real.db", test_tmpdir());
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    CHECK(cpe_store_open(path, &st, &d) == 0);
    if (!st) return;
    for (int i = 0; files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cpe_import_opts_t io;
        cpe_import_opts_init(&io);
        cpe_import_stats_t is;
        int rc = cpe_import_file(st, path, &io, &is, &d);
        CHECK_MSG(rc == 0, "import %s: %s", files[i], d.msg);
    }
    int64_t from = 1719792000000LL; /* 2024-07-01: June is the warm-up */
    int64_t to = from + 31 * DAY;
    cpe_dataset_t ds;
    int rc = cpe_dataset_build(st, "BTCUSDT", from, to, NULL, &ds, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    if (rc) {
        cpe_store_close(st);
        return;
    }
    CHECK_EQ_INT(ds.n, 31 * 1440);
    CHECK_EQ_INT(ds.first_bar_ms, from - 30 * DAY); /* the June bars were the warm-up */
    static const char *const expect[] = {"funding_rate",
                                         "funding_zscore",
                                         "basis_annualized",
                                         "oi_change_24h",
                                         "exchange_netflow_24h",
                                         "eth_btc_ratio",
                                         "eth_btc_return_24h",
                                         "fear_greed_index",
                                         "cvd_1h",
                                         "volatility_24h",
                                         NULL};
    /* features whose sources the real data has, by the engine's own account */
    unsigned need_src = CPE_FSRC_KLINE | CPE_FSRC_TAKER | CPE_FSRC_FUNDING | CPE_FSRC_OI |
                        CPE_FSRC_BASIS | CPE_FSRC_CROSS;
    CHECK((ds.sources & need_src) == need_src);
    int nan_cols = 0, present = 0;
    for (size_t j = 0; j < NF; j++) {
        const cpe_feature_def_t *def = cpe_feature_def(j);
        int expected = 0;
        for (int e = 0; expect[e]; e++)
            expected |= !strcmp(expect[e], def->name);
        size_t nn = 0;
        for (size_t r = 0; r < ds.n; r++)
            nn += isnan(ds.X[r * NF + j]) != 0;
        int has = ((def->sources & ~CPE_FSRC_SERIES) & ~ds.sources) == 0 &&
                  !(def->sources & (CPE_FSRC_TAPE | CPE_FSRC_BOOK | CPE_FSRC_LSR | CPE_FSRC_LIQ)) &&
                  (!(def->sources & CPE_FSRC_SERIES) || j == (size_t)fi("fear_greed_index") ||
                   j == (size_t)fi("exchange_netflow_24h")) &&
                  j != (size_t)fi("oi_change_1h");
        if (has) present++;
        if ((has || expected) && nn) {
            nan_cols++;
            fprintf(stderr, "  %s: %zu NaN of %zu\n", def->name, nn, ds.n);
        }
        if (j == (size_t)fi("oi_change_1h") || j == (size_t)fi("large_trade_ratio"))
            CHECK_EQ_INT(nn, ds.n); /* daily OI is coarser than 1h; no tape */
    }
    CHECK_EQ_INT(nan_cols, 0);
    CHECK(present >= 35);
    cpe_dataset_free(&ds);
    cpe_store_close(st);
}

/* ETH has only real hourly bars in the fixture: its rows are those bars, stamped with the
 * open of their last minute (row + 1 min = close), with the 1m-only features missing; a
 * simulated 1m series does not displace the real hours, nor does a real 1m series holding
 * less of the window; one holding as much wins. */
static void put_eth_1m(cpe_store_t *st, const char *instr, int simulated, int64_t from, int n)
{
    int64_t id = -1;
    CHECK(st->ops->series_id(st, instr, "kline:1m", MIN, simulated, 1, &id) == 0);
    cpe_kline_t *k = malloc((size_t)n * sizeof *k);
    for (int i = 0; i < n; i++)
        k[i] = kl(from + i * MIN, 2000 + i / 60.0);
    CHECK(st->ops->put_klines(st, id, k, (size_t)n, NULL) == 0);
    free(k);
}

static void test_dataset_hourly_history(void)
{
    cpe_store_t *st = fixture("hourly");
    if (!st) return;
    cpe_dataset_t ds;
    cpe_diag_t d = {0};
    cpe_dataset_opts_t o = {.sample_ms = 5 * MIN, .anchor_last = 1};
    put_eth_1m(st, "sim:spot:ETHUSDT", 1, T0, 3 * 1440);
    int rc = cpe_dataset_build(st, "ETH", T0 + DAY, T0 + 3 * DAY, &o, &ds, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    if (!rc) {
        CHECK_STR(ds.instrument, "binance:spot:ETHUSDT");
        CHECK_EQ_INT(ds.bar_ms, HOUR);
        CHECK_EQ_INT(ds.n, 48);
        CHECK_EQ_INT(ds.ts_ms[0], T0 + DAY + 59 * MIN);
        CHECK_EQ_INT(ds.last_bar_ms, T0 + 71 * HOUR + 59 * MIN);
        CHECK_NEAR(ds.close[0], 2000 + 24, 1e-9); /* the bar opened at T0 + 24 h */
        const double *x = ds.X + 5 * ds.ncol;     /* the hour opened at T0 + 29 h */
        CHECK_NEAR(x[fi("returns_1h")], log(2029.0 / 2028.0), 1e-12);
        CHECK_NEAR(x[fi("returns_24h")], log(2029.0 / 2005.0), 1e-12);
        CHECK(isnan(x[fi("rsi_14")]) && isnan(x[fi("returns_1m")]));
        CHECK(isnan(x[fi("realized_var_24h")]));
        CHECK_NEAR(x[fi("hour_of_day")], 5, 0);
        cpe_dataset_free(&ds);
    }
    put_eth_1m(st, "binance:spot:ETHUSDT", 0, T0 + 2 * DAY, 1440); /* one real day of 1m */
    rc = cpe_dataset_build(st, "ETH", T0 + DAY, T0 + 3 * DAY, &o, &ds, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    if (!rc) {
        CHECK_EQ_INT(ds.bar_ms, HOUR); /* the hours cover twice as much of the window */
        cpe_dataset_free(&ds);
    }
    rc = cpe_dataset_build(st, "ETH", T0 + 2 * DAY, T0 + 3 * DAY, &o, &ds, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    if (!rc) {
        CHECK_EQ_INT(ds.bar_ms, MIN); /* the same coverage: the minutes win */
        CHECK_STR(ds.instrument, "binance:spot:ETHUSDT");
        CHECK_EQ_INT(ds.ts_ms[ds.n - 1], T0 + 3 * DAY - MIN);
        cpe_dataset_free(&ds);
    }
    cpe_store_close(st);
}

int main(void)
{
    NF = cpe_features_count();
    RUN(test_dataset_samples_rows_and_applies_availability);
    RUN(test_dataset_buckets_liquidations_trades_and_book);
    RUN(test_dataset_reports_missing_symbol_and_bad_step);
    RUN(test_real_month_has_no_nan_after_warmup);
    RUN(test_dataset_hourly_history);
    return TEST_DONE();
}
