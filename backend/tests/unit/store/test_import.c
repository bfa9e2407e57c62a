/* test_import.c — every Binance file kind (with and without header, ms and µs), the
 * shared-data layouts, named series, and each bad-input rule (fatal rows roll the
 * whole file back; duplicates and out-of-order rows are counted). */
#include "cpe/import.h"
#include "cpe/timeutil.h"
#include "fixtures.h"

static cpe_store_t *store(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/db/%s.db", test_tmpdir(), name);
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    CHECK_MSG(cpe_store_open(p, &s, &d) == 0, "%s", d.msg);
    return s;
}

static int import(cpe_store_t *s, const char *path, const cpe_import_opts_t *o,
                  cpe_import_stats_t *st, cpe_diag_t *d)
{
    cpe_import_opts_t def;
    cpe_import_opts_init(&def);
    cpe_diag_clear(d);
    return cpe_import_file(s, path, o ? o : &def, st, d);
}

static size_t nklines(cpe_store_t *s, const char *instr, const char *kind, cpe_kline_t **k)
{
    size_t n = 0;
    *k = NULL;
    cpe_store_read_klines(s, instr, kind, INT64_MIN, INT64_MAX, k, &n);
    return n;
}

static size_t npoints(cpe_store_t *s, const char *instr, const char *kind, cpe_point_t **p)
{
    size_t n = 0;
    *p = NULL;
    cpe_store_read_points(s, instr, kind, INT64_MIN, INT64_MAX, p, &n);
    return n;
}

#define T0 "1704067200000" /* 2024-01-01 00:00 UTC */
#define KL_HDR                                                                                     \
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"         \
    "taker_buy_quote_volume,ignore\n"
#define KL1 "1704067200000,100.5,101,99.5,100,10,1704067259999,1000,5,4,400,0\n"
#define KL2 "1704067260000,100,102,100,101,2,1704067319999,201,3,1,100,0\n"
#define KL3 "1704067320000,101,101,100,100.5,0,1704067379999,0,0,0,0,0\n"

static void test_import_klines_without_header_ms(void)
{
    cpe_store_t *s = store("k1");
    const char *p =
        fx_write("v/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.csv", KL1 KL2 KL3);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(s, p, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.format, "klines");
    CHECK_STR(st.instrument, "binance:spot:BTCUSDT");
    CHECK_STR(st.kind, "kline:1m");
    CHECK_EQ_INT(st.rows, 3);
    CHECK_EQ_INT(st.inserted, 3);
    cpe_kline_t *k;
    CHECK_EQ_INT(nklines(s, "binance:spot:BTCUSDT", "kline:1m", &k), 3);
    if (k) {
        CHECK_EQ_INT(k[0].ts_ms, 1704067200000LL);
        CHECK_NEAR(k[0].open, 100.5, 0);
        CHECK_NEAR(k[0].taker_buy_base, 4, 0);
        CHECK_NEAR(k[1].quote_volume, 201, 0);
        CHECK_NEAR(k[1].trades, 3, 0);
    }
    free(k);
    /* a second import adds nothing */
    CHECK_EQ_INT(import(s, p, NULL, &st, &d), 0);
    CHECK_EQ_INT(st.inserted, 0);
    CHECK_EQ_INT(st.duplicates, 3);
    cpe_store_close(s);
}

static void test_import_klines_with_header_and_microseconds_from_gz_and_zip(void)
{
    cpe_store_t *s = store("k2");
    const char *us = KL_HDR "1735689600000000,5,6,4,5,1,1735689659999999,5,1,0.5,2.5,0\n"
                            "1735689660000000,5,5,5,5,0,1735689719999999,0,0,0,0,0\n";
    const char *p =
        fx_write_gz("v/spot/daily/klines/ETHUSDT/1m/ETHUSDT-1m-2025-01-01.csv.gz", us, 0);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(s, p, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.inserted, 2);
    CHECK_EQ_INT(st.first_ts, 1735689600000LL);
    const char *z =
        fx_write_zip("v/futures/um/daily/klines/ETHUSDT/1h/ETHUSDT-1h-2024-01-01.zip",
                     "ETHUSDT-1h-2024-01-01.csv",
                     KL_HDR "1704067200000,5,6,4,5,1,1704070799999,5,1,0.5,2.5,0\n", 0, 0, 0);
    CHECK_MSG(import(s, z, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "binance:perp:ETHUSDT");
    CHECK_STR(st.kind, "kline:1h");
    cpe_kline_t *k;
    CHECK_EQ_INT(nklines(s, "binance:spot:ETHUSDT", "kline:1m", &k), 2);
    free(k);
    cpe_store_close(s);
}

static void test_import_klines_interval_from_close_time_needs_market(void)
{
    cpe_store_t *s = store("k3");
    const char *p = fx_write("plain/klines.csv", KL_HDR KL1);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_EQ_INT(import(s, p, NULL, &st, &d), CPE_EINVAL); /* symbol unknown */
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    o.symbol = "SOLUSDT";
    CHECK_EQ_INT(import(s, p, &o, &st, &d), CPE_EINVAL); /* spot or perp unknown */
    CHECK(strstr(d.msg, "--market") != NULL);
    o.market = CPE_PERP;
    CHECK_MSG(import(s, p, &o, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "binance:perp:SOLUSDT");
    CHECK_STR(st.kind, "kline:1m");
    cpe_store_close(s);
}

static void test_import_aggtrades_spot_and_futures_sides_and_seq(void)
{
    cpe_store_t *s = store("agg");
    /* spot: no header, 8 columns, µs; two trades in the same ms */
    const char *sp = fx_write("v/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.csv",
                              "10,100.5,0.1,1,1,1735689600000123,True,True\n"
                              "11,100.6,0.2,2,3,1735689600000456,False,True\n");
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(s, sp, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.kind, "trade");
    cpe_point_t *p;
    CHECK_EQ_INT(npoints(s, "binance:spot:BTCUSDT", "trade", &p), 2);
    if (p) {
        CHECK_EQ_INT(p[0].seq, 0);
        CHECK_EQ_INT(p[1].seq, 1);
        CHECK_NEAR(p[0].v[2], -1, 0); /* buyer was maker: aggressive sell */
        CHECK_NEAR(p[1].v[2], 1, 0);
        CHECK_NEAR(p[1].v[3], 11, 0);
    }
    free(p);
    const char *fu =
        fx_write("v/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01.csv",
                 "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,"
                 "is_buyer_maker\n5,42000,0.01,7,7,1704067200001,false\n");
    CHECK_MSG(import(s, fu, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "binance:perp:BTCUSDT");
    cpe_store_close(s);
}

static void test_import_trades_with_and_without_header(void)
{
    cpe_store_t *s = store("trades");
    const char *sp = fx_write("v/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.csv",
                              "1,42000,0.5,21000,1704067200000,True,True\n");
    const char *fu = fx_write("v/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.csv",
                              "id,price,qty,quote_qty,time,is_buyer_maker\n"
                              "2,42001,0.5,21000.5,1704067200005,false\n"
                              "1,42000,0.5,21000,1704067200000,true\n");
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(s, sp, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_MSG(import(s, fu, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.out_of_order, 1);
    cpe_point_t *p;
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "trade", &p), 2);
    if (p) CHECK_EQ_INT(p[0].ts_ms, 1704067200000LL);
    free(p);
    cpe_store_close(s);
}

static void test_import_funding_premium_metrics_book_liquidations(void)
{
    cpe_store_t *s = store("deriv");
    cpe_import_stats_t st;
    cpe_diag_t d;
    const char *f =
        fx_write("v/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.csv",
                 "calc_time,funding_interval_hours,last_funding_rate\n"
                 "1704067200000,8,0.0001\n1704096000000,8,-0.00005\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.kind, "funding");
    cpe_point_t *p;
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "funding", &p), 2);
    if (p) CHECK_NEAR(p[1].v[0], -0.00005, 0);
    free(p);

    f = fx_write("v/futures/um/daily/premiumIndexKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.csv",
                 "1704067200000,-0.0001,0.0002,-0.0003,0.0001,0,1704067259999,0,12,0,0,0\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.kind, "premium");
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "premium", &p), 1);
    if (p) CHECK_NEAR(p[0].v[2], -0.0003, 0);
    free(p);

    f = fx_write("v/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-01.csv",
                 "create_time,symbol,sum_open_interest,sum_open_interest_value,"
                 "count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,"
                 "count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
                 "2024-01-01 00:05:00,BTCUSDT,80000,3400000000,1.5,1.2,3,0.9\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.nseries, 2);
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "oi", &p), 1);
    if (p) CHECK_NEAR(p[0].v[1], 3400000000.0, 0);
    free(p);
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "lsr", &p), 1);
    if (p) {
        CHECK_NEAR(p[0].v[0], 3, 0);
        CHECK_NEAR(p[0].v[1], 0.75, 1e-15);
        CHECK_EQ_INT(p[0].ts_ms, 1704067500000LL);
    }
    free(p);

    f = fx_write("v/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-01-01.csv",
                 "timestamp,percentage,depth,notional\n"
                 "2024-01-01 00:00:07,-2.00,10,420000\n2024-01-01 00:00:07,-1.00,5,210000\n"
                 "2024-01-01 00:00:07,1.00,6,252000\n2024-01-01 00:00:07,5.00,60,2520000\n"
                 "2024-01-01 00:00:37,1.00,7,294000\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "book", &p), 2);
    if (p) {
        CHECK_NEAR(p[0].v[2], 420000, 0); /* bid 2 % */
        CHECK_NEAR(p[0].v[1], 210000, 0); /* bid 1 % */
        CHECK_NEAR(p[0].v[4], 252000, 0); /* ask 1 % */
        CHECK(isnan(p[0].v[0]));          /* no 0.5 % level in the file */
    }
    free(p);

    f = fx_write("v/futures/um/daily/liquidationSnapshot/BTCUSDT/"
                 "BTCUSDT-liquidationSnapshot-2024-01-01.csv",
                 "time,side,order_type,time_in_force,original_quantity,price,average_price,"
                 "order_status,last_fill_quantity,accumulated_fill_quantity\n"
                 "1704067200000,SELL,LIMIT,IOC,0.5,41000,41100,FILLED,0.5,0.5\n"
                 "1704067200000,BUY,LIMIT,IOC,0.2,42000,0,FILLED,0.2,0.2\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "liq", &p), 2);
    if (p) {
        CHECK_NEAR(p[0].v[0], 1, 0); /* SELL: a long was liquidated */
        CHECK_NEAR(p[0].v[1], 41100, 0);
        CHECK_NEAR(p[1].v[0], -1, 0);
        CHECK_NEAR(p[1].v[1], 42000, 0); /* average 0: the order price */
        CHECK_EQ_INT(p[1].seq, 1);
    }
    free(p);
    cpe_store_close(s);
}

static void test_import_headerless_funding_and_premium_with_header(void)
{
    cpe_store_t *s = store("hdr");
    cpe_import_stats_t st;
    cpe_diag_t d;
    const char *f =
        fx_write("v/futures/um/monthly/fundingRate/ETHUSDT/ETHUSDT-fundingRate-2024-01.csv",
                 "1704067200000,4,0.0001\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    int64_t id;
    cpe_series_info_t si;
    CHECK_EQ_INT(s->ops->series_id(s, "binance:perp:ETHUSDT", "funding", 0, 0, 0, &id), 0);
    CHECK_EQ_INT(s->ops->series_get(s, id, &si), 0);
    CHECK_EQ_INT(si.interval_ms, 4 * CPE_MS_PER_HOUR); /* from funding_interval_hours */
    f = fx_write("v/futures/um/daily/premiumIndexKlines/ETHUSDT/1h/ETHUSDT-1h-2024-01-01.csv",
                 KL_HDR "1704067200000,0.0001,0.0002,-0.0001,0.0001,0,1704070799999,0,60,0,0,0\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "binance:perp:ETHUSDT");
    CHECK_STR(st.kind, "premium");
    /* a header that belongs to another kind is refused */
    f = fx_write("v/futures/um/daily/metrics/ETHUSDT/ETHUSDT-metrics-2024-01-01.csv",
                 "timestamp,percentage,depth,notional\n2024-01-01 00:00:07,1,1,1\n");
    CHECK_EQ_INT(import(s, f, NULL, &st, &d), CPE_EPARSE);
    CHECK(strstr(d.msg, ":1: header 'timestamp,percentage,...' is not a metrics header") != NULL);
    cpe_store_close(s);
}

static void test_import_shared_layouts_and_named_series(void)
{
    cpe_store_t *s = store("shared");
    cpe_import_stats_t st;
    cpe_diag_t d;
    const char *f = fx_write("real/binance-usdm_BTCUSDT_ohlcv_1h_2023-01-01_2023-01-01.csv",
                             "timestamp,open,high,low,close,volume\n"
                             "2023-01-01T00:00:00Z,16537.5,16540.9,16504.0,16527.0,5381.399\n"
                             "2023-01-01T01:00:00Z,16527.1,16554.3,16524.1,16550.4,3210.826\n"
                             "2023-01-01T03:00:00Z,16527.1,16554.3,16524.1,16550.4,3210.826\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "binance:perp:BTCUSDT");
    CHECK_STR(st.kind, "kline:1h");
    CHECK_EQ_INT(st.gaps, 1);
    CHECK_EQ_INT(st.missing, 1);
    cpe_kline_t *k;
    CHECK_EQ_INT(nklines(s, "binance:perp:BTCUSDT", "kline:1h", &k), 3);
    if (k) CHECK(isnan(k[0].taker_buy_base));
    free(k);

    f = fx_write("real/alternative-me_CRYPTO_fearGreedIndex_1d_2018-02-01_2018-02-03.csv",
                 "date,fng\n2018-02-01,30\n2018-02-02,15\n2018-02-03,40\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "series:CRYPTO:fear_greed");
    CHECK_STR(st.kind, "series:fear_greed");
    int64_t id;
    CHECK_EQ_INT(
        s->ops->series_id(s, "series:CRYPTO:fear_greed", "series:fear_greed", 0, 0, 0, &id), 0);
    cpe_series_info_t si;
    CHECK_EQ_INT(s->ops->series_get(s, id, &si), 0);
    CHECK_EQ_INT(si.interval_ms, CPE_MS_PER_DAY);
    CHECK_EQ_INT(si.first_ts, 1517443200000LL); /* day start */

    f = fx_write("real/binance-usdm_ALL_liquidationEvents_stream_2024-08-17_2024-08-17.csv",
                 "symbol,side,order_type,time_in_force,original_quantity,price,average_price,"
                 "order_status,order_last_filled_quantity,order_filled_accumulated_quantity,"
                 "order_trade_time,usd_size\n"
                 "BTC,SELL,LIMIT,IOC,0.1,58000,None,FILLED,0.1,0.1,1723895903305,5800\n"
                 "BTC,BUY,LIMIT,IOC,0.1,58100,58050,FILLED,0.1,0.1,1723895903305,5805\n"
                 "ETH,SELL,LIMIT,IOC,1,2600,2601,FILLED,1,1,1723895903306,2601\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.nseries, 2);
    cpe_point_t *p;
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "liq", &p), 2);
    if (p) {
        CHECK_EQ_INT(p[1].seq, 1);
        CHECK_NEAR(p[0].v[1], 58000, 0);
    }
    free(p);

    f = fx_write("real/binance-usdm_MULTI_aggTradesLargeOnly_stream_2024-08-15_2024-08-16.csv",
                 "event_time,symbol,agg_trade_id,price,quantity,trade_time,is_buyer_maker\n"
                 "1723705562482,SOLUSDT,764936925,141.967,285.0,1723705562477,False\n"
                 "1723705563505,BTCUSDT,2291080928,58105.9,0.5,1723705563418,True\n");
    CHECK_MSG(import(s, f, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "trade_large", &p), 1);
    if (p) CHECK_NEAR(p[0].v[3], 2291080928.0, 0);
    free(p);
    CHECK_EQ_INT(npoints(s, "binance:perp:BTCUSDT", "trade", &p), 0);
    free(p);

    f = fx_write("any/my_series.csv", "ts,value\n1704067200000,1.5\n1704067260000,2.5\n");
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    o.series = "BTC:whale_transactions";
    CHECK_MSG(import(s, f, &o, &st, &d) == 0, "%s", d.msg);
    CHECK_STR(st.instrument, "series:BTC:whale_transactions");
    CHECK_EQ_INT(npoints(s, "series:BTC:whale_transactions", "series:whale_transactions", &p), 2);
    free(p);
    cpe_store_close(s);
}

/* A good file first, then `bad` (which also holds new rows): the import must fail with
 * a message containing `want`, and the store must be exactly as before. */
static void expect_rejected(const char *name, const char *bad, const char *want)
{
    cpe_store_t *s = store(name);
    char rel[256];
    snprintf(rel, sizeof rel, "bad/%s/spot/BTCUSDT-1m-2024-01-01.csv", name);
    const char *good = fx_write(rel, KL1);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(s, good, NULL, &st, &d) == 0, "%s", d.msg);
    snprintf(rel, sizeof rel, "bad/%s/spot/BTCUSDT-1m-2024-01-01b.csv", name);
    const char *p = fx_write(rel, bad);
    int rc = import(s, p, NULL, &st, &d);
    CHECK_MSG(rc < 0, "%s: accepted", name);
    CHECK_MSG(strstr(d.msg, want) != NULL, "%s: message '%s' lacks '%s'", name, d.msg, want);
    cpe_kline_t *k;
    CHECK_EQ_INT(nklines(s, "binance:spot:BTCUSDT", "kline:1m", &k), 1);
    if (k) CHECK_NEAR(k[0].open, 100.5, 0);
    free(k);
    cpe_store_close(s);
}

static void test_import_rejects_nan_and_inf(void)
{
    expect_rejected("nan", KL2 "1704067320000,nan,101,100,100.5,0,1704067379999,0,0,0,0,0\n",
                    "BTCUSDT-1m-2024-01-01b.csv:2: field 'open' (nan) is not finite");
    expect_rejected("inf", KL2 "1704067320000,101,inf,100,100.5,0,1704067379999,0,0,0,0,0\n",
                    ":2: field 'high' (inf) is not finite");
}

static void test_import_rejects_negative_volume(void)
{
    expect_rejected("negvol", KL2 "1704067320000,101,101,100,100.5,-1,1704067379999,0,0,0,0,0\n",
                    ":2: field 'volume' (-1) is negative");
}

static void test_import_rejects_high_below_low(void)
{
    expect_rejected("hilo", KL2 "1704067320000,101,100,101,100.5,1,1704067379999,0,0,0,0,0\n",
                    ":2: field 'high' (100) is below 'low' (101)");
    expect_rejected("openout", "1704067320000,99,101,100,100.5,1,1704067379999,0,0,0,0,0\n",
                    ":1: field 'open' (99) is outside");
}

static void test_import_rejects_taker_buy_above_volume(void)
{
    expect_rejected("taker", KL2 "1704067320000,101,101,100,100.5,1,1704067379999,5,2,3,1,0\n",
                    ":2: field 'taker_buy_volume' (3) is above 'volume' (1)");
}

static void test_import_rejects_conflicting_duplicate_and_bad_shape(void)
{
    expect_rejected(
        "dupconf", KL2 "1704067260000,100,102,100,101,3,1704067319999,201,3,1,100,0\n",
        ":2: field 'time' (2024-01-01T00:01:00.000Z) repeats line 1 with different values");
    expect_rejected("ncols", KL2 "1704067320000,101,101,100\n", ":2: has 4 fields");
    expect_rejected("text", KL2 "1704067320000,abc,101,100,100.5,1,1704067379999,0,0,0,0,0\n",
                    ":2: field 'open' (abc) is not a number");
    expect_rejected("grid", "1704067320001,101,101,100,100.5,1,1704067379999,0,0,0,0,0\n",
                    ":1: field 'open_time' (1704067320001) is not on the 1m grid");
}

static void test_import_counts_identical_duplicates_and_sorts_out_of_order(void)
{
    cpe_store_t *s = store("dupooo");
    const char *p = fx_write("ooo/spot/BTCUSDT-1m-2024-01-01.csv", KL3 KL1 KL2 KL1);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(s, p, NULL, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.rows, 4);
    CHECK_EQ_INT(st.inserted, 3);
    CHECK_EQ_INT(st.duplicates, 1);
    CHECK_EQ_INT(st.out_of_order, 2);
    cpe_kline_t *k;
    CHECK_EQ_INT(nklines(s, "binance:spot:BTCUSDT", "kline:1m", &k), 3);
    if (k) CHECK(k[0].ts_ms < k[1].ts_ms && k[1].ts_ms < k[2].ts_ms);
    free(k);
    cpe_store_close(s);
}

static void test_import_truncated_gz_and_zip_import_nothing(void)
{
    cpe_store_t *s = store("trunc");
    char *t = malloc(3000 * 80), *w = t;
    for (int i = 0; i < 3000; i++)
        w += sprintf(w, "%lld,100,101,99,100,%d,%lld,1,1,0.5,0.5,0\n",
                     1704067200000LL + i * 60000LL, i + 1, 1704067200000LL + i * 60000LL + 59999);
    const char *g = fx_write_gz("tr/spot/BTCUSDT-1m-2024-01-01.csv.gz", t, 0);
    struct stat st0;
    stat(g, &st0);
    g = fx_write_gz("tr/spot/BTCUSDT-1m-2024-01-01.csv.gz", t, (long)st0.st_size - 9);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_EQ_INT(import(s, g, NULL, &st, &d), CPE_ETRUNCATED);
    CHECK(strstr(d.msg, "truncated gzip") != NULL);
    const char *z =
        fx_write_zip("tr/spot/BTCUSDT-1m-2024-01-02.zip", "BTCUSDT-1m-2024-01-02.csv", t, 0, 0, 0);
    stat(z, &st0);
    z = fx_write_zip("tr/spot/BTCUSDT-1m-2024-01-02.zip", "BTCUSDT-1m-2024-01-02.csv", t, 0,
                     (long)st0.st_size / 2, 0);
    CHECK_EQ_INT(import(s, z, NULL, &st, &d), CPE_ETRUNCATED);
    cpe_series_info_t *si = NULL;
    size_t n = 0;
    CHECK_EQ_INT(s->ops->list_series(s, &si, &n), 0);
    CHECK_EQ_INT(n, 0);
    free(si);
    free(t);
    cpe_store_close(s);
}

/* Files bigger than batch_rows are written in parts inside one transaction: the result
 * equals an import in one part; events sharing a ms keep consecutive seq; a row older
 * than a written part is fatal and rolls back everything. */
static void test_import_large_files_written_in_parts_match_one_part(void)
{
    char *t = malloc(2000 * 64), *w = t;
    for (int i = 0; i < 2000; i++) /* 4 trades per ms */
        w += sprintf(w, "%d,%d.5,0.1,%d,%d,%lld,%s\n", i, 100 + i % 7, i, i,
                     1704067200000LL + i / 4, i % 3 ? "true" : "false");
    const char *f =
        fx_write("v/futures/um/daily/aggTrades/XUSDT/XUSDT-aggTrades-2024-01-01.csv", t);
    cpe_store_t *one = store("batch1"), *parts = store("batch2");
    cpe_import_opts_t o;
    cpe_import_opts_init(&o);
    cpe_import_stats_t st;
    cpe_diag_t d;
    CHECK_MSG(import(one, f, &o, &st, &d) == 0, "%s", d.msg);
    o.batch_rows = 37;
    CHECK_MSG(import(parts, f, &o, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.inserted, 2000);
    CHECK_EQ_INT(st.first_ts, 1704067200000LL);
    CHECK_EQ_INT(st.last_ts, 1704067200000LL + 499);
    cpe_point_t *a, *b;
    size_t na = npoints(one, "binance:perp:XUSDT", "trade", &a);
    size_t nb = npoints(parts, "binance:perp:XUSDT", "trade", &b);
    CHECK_EQ_INT(na, 2000);
    CHECK_EQ_INT(nb, 2000);
    int same = na == nb && a && b;
    for (size_t i = 0; same && i < na; i++) /* field by field: cpe_point_t has padding */
        same = a[i].ts_ms == b[i].ts_ms && a[i].seq == b[i].seq &&
               !memcmp(a[i].v, b[i].v, sizeof a[i].v);
    CHECK(same);
    if (b) CHECK_EQ_INT(b[3].seq, 3);
    free(a);
    free(b);
    CHECK_MSG(import(parts, f, &o, &st, &d) == 0, "%s", d.msg); /* re-import in parts */
    CHECK_EQ_INT(st.inserted, 0);
    CHECK_EQ_INT(st.duplicates, 2000);
    /* a late row after the first part was written */
    w += sprintf(w, "99999,100,0.1,1,1,1704067200000,true\n");
    f = fx_write("v/futures/um/daily/aggTrades/YUSDT/YUSDT-aggTrades-2024-01-01.csv", t);
    CHECK_EQ_INT(import(parts, f, &o, &st, &d), CPE_EPARSE);
    CHECK(strstr(d.msg, ":2001: row is older than rows already written") != NULL);
    CHECK_EQ_INT(npoints(parts, "binance:perp:YUSDT", "trade", &a), 0);
    free(a);
    free(t);
    /* klines: day chunks merged across parts */
    t = malloc(3000 * 90);
    w = t;
    for (int i = 0; i < 3000; i++)
        w += sprintf(w, "%lld,100,101,99,100,%d,%lld,1,1,0.5,0.5,0\n",
                     1704067200000LL + i * 60000LL, i + 1, 1704067200000LL + i * 60000LL + 59999);
    f = fx_write("v/spot/daily/klines/XUSDT/1m/XUSDT-1m-2024-01-01.csv", t);
    o.batch_rows = 0;
    CHECK_MSG(import(one, f, &o, &st, &d) == 0, "%s", d.msg);
    o.batch_rows = 101;
    CHECK_MSG(import(parts, f, &o, &st, &d) == 0, "%s", d.msg);
    CHECK_EQ_INT(st.inserted, 3000);
    cpe_kline_t *ka, *kb;
    na = nklines(one, "binance:spot:XUSDT", "kline:1m", &ka);
    nb = nklines(parts, "binance:spot:XUSDT", "kline:1m", &kb);
    CHECK_EQ_INT(nb, 3000);
    CHECK(na == nb && ka && kb && !memcmp(ka, kb, na * sizeof *ka));
    free(ka);
    free(kb);
    free(t);
    cpe_store_close(one);
    cpe_store_close(parts);
}

static void test_import_lists_directories_sorted(void)
{
    fx_write("dir/b/x.csv", "1\n");
    fx_write("dir/a.csv.gz", "1\n");
    fx_write("dir/notes.md", "x\n");
    char **v = NULL;
    size_t n = 0;
    cpe_diag_t d;
    char root[1024];
    snprintf(root, sizeof root, "%s/dir", test_tmpdir());
    CHECK_EQ_INT(cpe_import_list_dir(root, &v, &n, &d), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) CHECK(strstr(v[0], "a.csv.gz") && strstr(v[1], "b/x.csv"));
    cpe_import_free_list(v, n);
    char instr[CPE_INSTR_KEY_MAX], kind[CPE_KIND_MAX];
    CHECK_EQ_INT(cpe_series_key("fear_greed", instr, kind), 0);
    CHECK_STR(instr, "series:CRYPTO:fear_greed");
    CHECK_EQ_INT(cpe_series_key("series:BTC:x:y", instr, kind), CPE_EINVAL);
}

int main(void)
{
    RUN(test_import_klines_without_header_ms);
    RUN(test_import_klines_with_header_and_microseconds_from_gz_and_zip);
    RUN(test_import_klines_interval_from_close_time_needs_market);
    RUN(test_import_aggtrades_spot_and_futures_sides_and_seq);
    RUN(test_import_trades_with_and_without_header);
    RUN(test_import_funding_premium_metrics_book_liquidations);
    RUN(test_import_headerless_funding_and_premium_with_header);
    RUN(test_import_shared_layouts_and_named_series);
    RUN(test_import_rejects_nan_and_inf);
    RUN(test_import_rejects_negative_volume);
    RUN(test_import_rejects_high_below_low);
    RUN(test_import_rejects_taker_buy_above_volume);
    RUN(test_import_rejects_conflicting_duplicate_and_bad_shape);
    RUN(test_import_counts_identical_duplicates_and_sorts_out_of_order);
    RUN(test_import_truncated_gz_and_zip_import_nothing);
    RUN(test_import_large_files_written_in_parts_match_one_part);
    RUN(test_import_lists_directories_sorted);
    return TEST_DONE();
}
