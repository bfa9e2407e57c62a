/* test_barload.c — bars with market structure from a temp SQLite store. */
#include "cpe/barload.h"
#include "cpe/timeutil.h"
#include "test.h"

#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */
#define M CPE_MS_PER_MIN
#define H CPE_MS_PER_HOUR

static cpe_store_t *ST;

static int64_t sid(const char *instr, const char *kind, int64_t iv, int sim)
{
    int64_t id = -1;
    ST->ops->series_id(ST, instr, kind, iv, sim, 1, &id);
    return id;
}

static double spot_close(int i)
{
    return 100.0 + i * 0.1;
}

static void put_klines_at(const char *instr, int64_t t0, int64_t iv, int n, double mult, int sim);

static void put_klines(const char *instr, int64_t iv, int n, double mult, int sim)
{
    put_klines_at(instr, T0, iv, n, mult, sim);
}

static void put_klines_at(const char *instr, int64_t t0, int64_t iv, int n, double mult, int sim)
{
    cpe_kline_t *k = calloc((size_t)n, sizeof *k);
    for (int i = 0; i < n; i++) {
        int last_min = (int)((i + 1) * (iv / M)) - 1; /* the 1m bar sharing this close */
        double c = spot_close(last_min) * mult;
        k[i] = (cpe_kline_t){t0 + i * iv, c - 0.05, c + 0.5, c - 0.5, c,
                             2.0,         2.0 * c,  4,       1.5,     1.5 * c};
    }
    char kind[32];
    snprintf(kind, sizeof kind, "kline:%s", cpe_interval_name(iv));
    CHECK_EQ_INT(ST->ops->put_klines(ST, sid(instr, kind, iv, sim), k, (size_t)n, NULL), 0);
    free(k);
}

static void put_points(const char *instr, const char *kind, int64_t iv, const cpe_point_t *p,
                       size_t n)
{
    CHECK_EQ_INT(ST->ops->put_points(ST, sid(instr, kind, iv, 0), p, n, NULL), 0);
}

#define PT(ts, a, b, c)                                                                            \
    {                                                                                              \
        (ts), 0,                                                                                   \
        {                                                                                          \
            (a), (b), (c), NAN, NAN, NAN                                                           \
        }                                                                                          \
    }

static void setup(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/bars.db", test_tmpdir());
    CHECK_EQ_INT(cpe_store_open(db, &ST, NULL), 0);
    put_klines("binance:spot:BTCUSDT", M, 180, 1.0, 0);
    put_klines("binance:perp:BTCUSDT", H, 3, 1.001, 0);
    put_klines("sim:spot:BTCUSDT", M, 180, 2.0, 1);
    put_klines("binance:spot:ETHUSDT", H, 3, 1.0, 0);
    put_klines("sim:spot:ETHUSDT", M, 180, 1.0, 1);
    put_klines("binance:spot:SOLUSDT", M, 2, 1.0, 0);
    cpe_point_t fund[] = {PT(T0 + H + 3, 0.0002, NAN, NAN)};
    put_points("binance:perp:BTCUSDT", "funding", 8 * H, fund, 1);
    cpe_point_t oi[36];
    for (int k = 0; k < 36; k++)
        oi[k] = (cpe_point_t)PT(T0 + k * 5 * M, 10.0 + k, 1000.0 + k, NAN);
    put_points("binance:perp:BTCUSDT", "oi", 5 * M, oi, 36);
    cpe_point_t liq[] = {PT(T0 + 30000, 1, 100, 2), PT(T0 + 45000, -1, 100, 1),
                         PT(T0 + 61 * M + 1000, 1, 50, 1)};
    put_points("binance:perp:BTCUSDT", "liq", 0, liq, 3);
    cpe_point_t tr[] = {PT(T0 + 1000, 100, 2000, 1), PT(T0 + 2000, 100, 1, -1),
                        PT(T0 + 70000, 50, 3000, -1)};
    put_points("binance:spot:SOLUSDT", "trade", 0, tr, 3);
    /* two days of ADA (real exchange) and XRP (simulated) with liquidations on day 1 only,
     * and a daily OI series for ADA stamped day 0 */
    put_klines("binance:spot:ADAUSDT", M, 2 * 1440, 1.0, 0);
    put_klines("sim:spot:XRPUSDT", M, 2 * 1440, 1.0, 1);
    put_klines("sim:perp:XRPUSDT", M, 2 * 1440, 1.0, 1);
    cpe_point_t l1[] = {PT(T0 + 12 * H, 1, 10, 1)};
    put_points("binance:perp:ADAUSDT", "liq", 0, l1, 1);
    put_points("sim:perp:XRPUSDT", "liq", 0, l1, 1);
    put_klines("binance:perp:BNBUSDT", M, 3, 1.0, 0);
    cpe_point_t big[] = {PT(T0 + M + 5, 500, 300, -1), PT(T0 + M + 9, 500, 40, 1)};
    put_points("binance:perp:BNBUSDT", "trade_large", 0, big, 2);
    /* PEPE: an old real history (day 0) and newer simulated bars (day 1) */
    put_klines_at("binance:spot:PEPEUSDT", T0, M, 60, 1.0, 0);
    put_klines_at("sim:spot:PEPEUSDT", T0 + CPE_MS_PER_DAY, M, 60, 3.0, 1);
    cpe_point_t doi[] = {PT(T0, 5e9, NAN, NAN)};
    put_points("series:ADA:futures_open_interest_usd", "series:futures_open_interest_usd",
               CPE_MS_PER_DAY, doi, 1);
}

static void test_symbol_resolves_to_binance_1m_with_structure(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_load_bars(ST, "BTC", M, T0, T0 + 3 * H, &b, &n, &info, &d), 0);
    CHECK_STR(info.instrument, "binance:spot:BTCUSDT");
    CHECK_EQ_INT(info.src_interval_ms, M);
    CHECK_EQ_INT(info.simulated, 0);
    CHECK(info.has_liq && info.has_oi && info.has_funding && info.has_basis && !info.has_trades);
    CHECK_EQ_INT(n, 180);
    if (n != 180) goto out;
    CHECK_NEAR(b[0].liq_long, 200, 1e-12);
    CHECK_NEAR(b[0].liq_short, 100, 1e-12);
    CHECK_NEAR(b[1].liq_long, 0, 0); /* inside the feed's coverage: zero, not missing */
    CHECK_NEAR(b[61].liq_long, 50, 1e-12);
    CHECK_NEAR(b[0].cvd_delta, 2 * 1.5 - 2, 1e-12);
    /* OI observed at T0 + 5k min is available to bars closing at or after it */
    CHECK_NEAR(b[3].oi, 1000, 0);
    CHECK_NEAR(b[4].oi, 1001, 0);
    CHECK_NEAR(b[179].oi, 1035, 0);
    /* funding settled at 01:00:00.003: not yet at the 01:00 close, from the 01:01 close on */
    CHECK(isnan(b[59].funding));
    CHECK_NEAR(b[60].funding, 0.0002, 0);
    /* basis from the 1h perp: known from the 01:00 close, carried one hour */
    CHECK(isnan(b[58].basis));
    CHECK_NEAR(b[59].basis, 0.001, 1e-12);
    CHECK_NEAR(b[100].basis, 0.001, 1e-12);
    CHECK_NEAR(b[119].basis, 0.001, 1e-12);
out:
    free(b);
}

static void test_aggregates_to_1h_with_last_values(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    CHECK_EQ_INT(cpe_load_bars(ST, "BTCUSDT", H, T0 + 30 * M, T0 + 90 * M, &b, &n, &info, NULL), 0);
    CHECK_EQ_INT(n, 2); /* buckets opening in [00:30, 01:30): 00:00 and 01:00, whole */
    if (n == 2) {
        CHECK_EQ_INT(b[0].ts_ms, T0);
        CHECK_NEAR(b[0].volume, 120, 1e-9);
        CHECK_NEAR(b[0].close, spot_close(59), 0);
        CHECK_NEAR(b[0].liq_long, 200, 1e-12);
        CHECK_NEAR(b[0].oi, 1012, 0);
        CHECK(isnan(b[0].funding));
        CHECK_NEAR(b[0].basis, 0.001, 1e-12);
        CHECK_NEAR(b[1].funding, 0.0002, 0);
        CHECK_NEAR(b[1].liq_long, 50, 1e-12);
    }
    CHECK_EQ_INT(info.last_partial, 0);
    free(b);
}

static void test_resolution_falls_back_to_sim_for_finer_intervals(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    CHECK_EQ_INT(cpe_load_bars(ST, "ETH", M, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "sim:spot:ETHUSDT");
    CHECK_EQ_INT(info.simulated, 1);
    CHECK_EQ_INT(n, 180);
    free(b);
    CHECK_EQ_INT(cpe_load_bars(ST, "ETH", 4 * H, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "binance:spot:ETHUSDT");
    CHECK_EQ_INT(info.src_interval_ms, H);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(info.last_partial, 1);
    free(b);
    CHECK_EQ_INT(cpe_load_bars(ST, "sim:spot:BTCUSDT", M, T0, T0 + 10 * M, &b, &n, &info, NULL), 0);
    CHECK_EQ_INT(info.simulated, 1);
    CHECK_EQ_INT(n, 10);
    if (n) CHECK_NEAR(b[0].close, 2 * spot_close(0), 1e-12);
    free(b);
}

static void test_unknown_symbol_or_interval_is_not_found_with_reason(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_load_bars(ST, "DOGE", M, INT64_MIN, INT64_MAX, &b, &n, NULL, &d),
                 CPE_ENOTFOUND);
    CHECK(strstr(d.msg, "DOGEUSDT") != NULL);
    CHECK_EQ_INT(
        cpe_load_bars(ST, "binance:spot:ETHUSDT", 5 * M, INT64_MIN, INT64_MAX, &b, &n, NULL, &d),
        CPE_ENOTFOUND);
    CHECK(strstr(d.msg, "binance:spot:ETHUSDT kline:1h") != NULL);
    CHECK_EQ_INT(cpe_load_bars(ST, "bad key:", M, INT64_MIN, INT64_MAX, &b, &n, NULL, &d),
                 CPE_EINVAL);
    CHECK(b == NULL && n == 0);
    /* an empty range is not an error */
    CHECK_EQ_INT(cpe_load_bars(ST, "BTC", M, T0 + 10 * H, T0 + 11 * H, &b, &n, NULL, &d), 0);
    CHECK_EQ_INT(n, 0);
    free(b);
}

static void test_trade_tape_gives_large_quote(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    CHECK_EQ_INT(cpe_load_bars(ST, "SOL", M, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK(info.has_trades);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_NEAR(b[0].large_quote, 200000, 1e-6);
        CHECK_NEAR(b[1].large_quote, 150000, 1e-6);
        CHECK(isnan(b[0].oi) && isnan(b[0].liq_long));
    }
    free(b);
}

static void test_large_trade_stream_serves_when_no_full_tape(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    CHECK_EQ_INT(
        cpe_load_bars(ST, "binance:perp:BNBUSDT", M, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK(info.has_trades);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK(isnan(b[0].large_quote));             /* before the stream's first trade */
        CHECK_NEAR(b[1].large_quote, 150000, 1e-6); /* the 20,000 trade is not large */
        CHECK(isnan(b[2].large_quote));             /* after its last */
    }
    free(b);
}

static void test_liquidation_coverage_real_by_day_sim_complete(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    /* a range that does not contain the event still sees its day as covered */
    CHECK_EQ_INT(cpe_load_bars(ST, "ADA", M, T0, T0 + 10 * M, &b, &n, &info, NULL), 0);
    CHECK_EQ_INT(n, 10);
    if (n) CHECK_NEAR(b[0].liq_long, 0, 0);
    free(b);
    CHECK_EQ_INT(
        cpe_load_bars(ST, "ADA", CPE_MS_PER_DAY, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_NEAR(b[0].liq_long, 10, 1e-12);
        CHECK(isnan(b[1].liq_long)); /* a real feed says nothing about a day without events */
        /* daily OI stamped day 0 is usable only from day 1 00:00 (and day 0's last close) */
        CHECK_NEAR(b[0].oi, 5e9, 0);
        CHECK_NEAR(b[1].oi, 5e9, 0);
    }
    CHECK(info.oi_daily);
    free(b);
    CHECK_EQ_INT(cpe_load_bars(ST, "ADA", M, T0, T0 + 1440 * M, &b, &n, &info, NULL), 0);
    CHECK_EQ_INT(n, 1440);
    if (n == 1440) {
        CHECK(isnan(b[1438].oi));       /* closes at 23:59: the day-0 value is not available yet */
        CHECK_NEAR(b[1439].oi, 5e9, 0); /* closes at 24:00 */
    }
    free(b);
    CHECK_EQ_INT(
        cpe_load_bars(ST, "XRP", CPE_MS_PER_DAY, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "sim:spot:XRPUSDT");
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_NEAR(b[0].liq_long, 10, 1e-12);
        CHECK_NEAR(b[1].liq_long, 0, 0); /* the simulated feed is complete */
        CHECK_NEAR(b[1].basis, 0, 1e-12);
    }
    free(b);
}

static void test_basis_uses_spot_before_the_range(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    CHECK_EQ_INT(cpe_load_bars(ST, "BTC", M, T0 + 60 * M, T0 + 62 * M, &b, &n, NULL, NULL), 0);
    CHECK_EQ_INT(n, 2);
    if (n) CHECK_NEAR(b[0].basis, 0.001, 1e-12); /* perp close 01:00 vs the 00:59 spot bar */
    free(b);
}

/* The instrument with bars in the range wins; binance first when both (or neither) do. */
static void test_resolution_prefers_the_instrument_with_bars_in_range(void)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    const int64_t D = CPE_MS_PER_DAY;
    CHECK_EQ_INT(cpe_load_bars(ST, "PEPE", M, T0 + D, T0 + D + 30 * M, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "sim:spot:PEPEUSDT");
    CHECK_EQ_INT(n, 30);
    CHECK_EQ_INT(info.last_ts, T0 + D + 59 * M);
    free(b);
    CHECK_EQ_INT(cpe_load_bars(ST, "PEPE", M, T0, T0 + 30 * M, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "binance:spot:PEPEUSDT");
    CHECK_EQ_INT(n, 30);
    free(b);
    CHECK_EQ_INT(cpe_load_bars(ST, "PEPE", M, INT64_MIN, INT64_MAX, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "binance:spot:PEPEUSDT");
    CHECK_EQ_INT(n, 60);
    free(b);
    CHECK_EQ_INT(cpe_load_bars(ST, "PEPE", M, T0 + 5 * D, T0 + 6 * D, &b, &n, &info, NULL), 0);
    CHECK_STR(info.instrument, "binance:spot:PEPEUSDT");
    CHECK_EQ_INT(n, 0);
    free(b);
}

int main(void)
{
    setup();
    RUN(test_symbol_resolves_to_binance_1m_with_structure);
    RUN(test_aggregates_to_1h_with_last_values);
    RUN(test_resolution_falls_back_to_sim_for_finer_intervals);
    RUN(test_resolution_prefers_the_instrument_with_bars_in_range);
    RUN(test_unknown_symbol_or_interval_is_not_found_with_reason);
    RUN(test_trade_tape_gives_large_quote);
    RUN(test_large_trade_stream_serves_when_no_full_tape);
    RUN(test_liquidation_coverage_real_by_day_sim_complete);
    RUN(test_basis_uses_spot_before_the_range);
    cpe_store_close(ST);
    return TEST_DONE();
}
