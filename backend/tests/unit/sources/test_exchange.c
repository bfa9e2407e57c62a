/* Unit tests for the exchange adapters (fixtures written to each exchange's documented
 * message formats), the fallback state machine and the reconnect backoff. */
#include "cpe/exchange.h"
#include "cpe/fallback.h"
#include "test.h"

#include <math.h>

#define MAXEV 32
typedef struct {
    int n;
    cpe_market_event_t ev[MAXEV];
} sink_t;

static int collect(void *ctx, const cpe_market_event_t *ev)
{
    sink_t *s = ctx;
    if (s->n < MAXEV) s->ev[s->n++] = *ev;
    return 0;
}

static int ws(const cpe_exchange_t *ex, cpe_market_kind_t m, const char *msg, sink_t *s)
{
    cpe_diag_t d = {0};
    memset(s, 0, sizeof *s);
    return ex->parse_ws(m, msg, strlen(msg), collect, s, &d);
}

static int rest(const cpe_exchange_t *ex, cpe_data_kind_t k, cpe_market_kind_t m, const char *body,
                sink_t *s, cpe_diag_t *d)
{
    memset(s, 0, sizeof *s);
    return ex->parse_rest(k, m, "BTCUSDT", body, strlen(body), collect, s, d);
}

static void test_binance_ws_kline_trade_funding_liq_depth(void)
{
    const cpe_exchange_t *b = &cpe_exchange_binance;
    sink_t s;
    CHECK_EQ_INT(
        ws(b, CPE_PERP,
           "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":1,\"s\":\"BTCUSDT\","
           "\"k\":{\"t\":1704067200000,\"T\":1704067259999,\"s\":\"BTCUSDT\",\"i\":\"1m\","
           "\"o\":\"42000.1\",\"c\":\"42010.5\",\"h\":\"42020\",\"l\":\"41990\",\"v\":\"12.5\","
           "\"n\":321,\"x\":true,\"q\":\"525000.25\",\"V\":\"7.25\",\"Q\":\"304600\",\"B\":\"0\"}}"
           "}",
           &s),
        0);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.ev[0].kind, CPE_DK_KLINE);
    CHECK_EQ_INT(s.ev[0].closed, 1);
    CHECK_EQ_INT(s.ev[0].kline.ts_ms, 1704067200000LL);
    CHECK(s.ev[0].kline.close == 42010.5 && s.ev[0].kline.taker_buy_base == 7.25);
    CHECK_STR(s.ev[0].symbol, "BTCUSDT");

    CHECK_EQ_INT(
        ws(b, CPE_PERP,
           "{\"e\":\"aggTrade\",\"E\":2,\"s\":\"BTCUSDT\",\"a\":5,\"p\":\"42000\",\"q\":\"3\","
           "\"f\":1,\"l\":2,\"T\":1704067201000,\"m\":true}",
           &s),
        0);
    CHECK_EQ_INT(s.ev[0].trade.side, -1); /* buyer is maker: an aggressive sell */
    CHECK(s.ev[0].trade.qty == 3);

    CHECK_EQ_INT(
        ws(b, CPE_PERP,
           "{\"e\":\"markPriceUpdate\",\"E\":3,\"s\":\"BTCUSDT\",\"p\":\"42001\",\"i\":\"42000\","
           "\"P\":\"42000\",\"r\":\"0.00012\",\"T\":1704096000000}",
           &s),
        0);
    CHECK(s.ev[0].kind == CPE_DK_FUNDING && s.ev[0].point.v[0] == 0.00012);
    CHECK(s.ev[0].point.v[1] == 0 && s.ev[0].point.ts_ms == 1704096000000LL);

    CHECK_EQ_INT(
        ws(b, CPE_PERP,
           "{\"e\":\"forceOrder\",\"E\":4,\"o\":{\"s\":\"BTCUSDT\",\"S\":\"SELL\",\"o\":\"LIMIT\","
           "\"f\":\"IOC\",\"q\":\"0.5\",\"p\":\"41900\",\"ap\":\"41950\",\"X\":\"FILLED\","
           "\"l\":\"0.5\",\"z\":\"0.5\",\"T\":1704067202000}}",
           &s),
        0);
    CHECK(s.ev[0].kind == CPE_DK_LIQ && s.ev[0].liq.side == 1 && s.ev[0].liq.price == 41950);

    CHECK_EQ_INT(ws(b, CPE_PERP,
                    "{\"e\":\"depthUpdate\",\"E\":1704067203000,\"s\":\"BTCUSDT\","
                    "\"b\":[[\"100\",\"1\"],[\"99.6\",\"2\"],[\"98.5\",\"4\"],[\"90\",\"100\"]],"
                    "\"a\":[[\"100.2\",\"1.5\"],[\"101\",\"3\"]]}",
                    &s),
                 0);
    /* mid 100.1: bids within 0.5% = 1+2 = 3, within 1% = 3, within 2% = 7; asks 1.5, 4.5, 4.5 */
    CHECK(s.ev[0].kind == CPE_DK_BOOK);
    CHECK_NEAR(s.ev[0].point.v[0], 3, 1e-12);
    CHECK_NEAR(s.ev[0].point.v[2], 7, 1e-12);
    CHECK_NEAR(s.ev[0].point.v[3], 1.5, 1e-12);
    CHECK_NEAR(s.ev[0].point.v[4], 4.5, 1e-12);

    CHECK_EQ_INT(ws(b, CPE_PERP, "{\"result\":null,\"id\":1}", &s), 0);
    CHECK_EQ_INT(s.n, 0);
}

static void test_binance_rejects_malformed_messages(void)
{
    const cpe_exchange_t *b = &cpe_exchange_binance;
    sink_t s;
    CHECK_EQ_INT(ws(b, CPE_PERP, "{\"e\":\"kline\",\"k\":{\"t\":1", &s), CPE_EPARSE);
    CHECK_EQ_INT(ws(b, CPE_PERP, "{\"e\":\"kline\",\"k\":{\"t\":1,\"o\":\"x\"}}", &s), CPE_EPARSE);
    CHECK_EQ_INT(ws(b, CPE_PERP, "{\"e\":\"surprise\"}", &s), CPE_EPARSE);
    /* high below low is not a kline */
    CHECK_EQ_INT(
        ws(b, CPE_PERP,
           "{\"e\":\"kline\",\"s\":\"BTCUSDT\",\"k\":{\"t\":1,\"o\":\"2\",\"c\":\"2\",\"h\":\"1\","
           "\"l\":\"3\",\"v\":\"1\",\"n\":1,\"x\":false,\"q\":\"1\",\"V\":\"1\",\"Q\":\"1\"}}",
           &s),
        CPE_EPARSE);
    CHECK_EQ_INT(s.n, 0);
}

/* Found by fuzz_sources_*: every refusal comes with a message for the feed's log (a
 * frame of unknown shape, a malformed depth snapshot, a data kind without a REST parser). */
static void test_adapters_explain_every_refusal(void)
{
    sink_t s;
    cpe_diag_t d = {0};
    const cpe_exchange_t *b = &cpe_exchange_binance;
    CHECK_EQ_INT(b->parse_ws(CPE_PERP, "[]", 2, collect, &s, &d), CPE_EPARSE);
    CHECK_MSG(d.msg[0], "binance ws [] gave no message");
    d.msg[0] = 0;
    CHECK_EQ_INT(b->parse_ws(CPE_SPOT, "{\"bids\":1,\"asks\":2}", 19, collect, &s, &d), CPE_EPARSE);
    CHECK_MSG(d.msg[0], "binance ws depth gave no message");
    d.msg[0] = 0;
    CHECK_EQ_INT(rest(b, CPE_DK_BOOK, CPE_PERP, "{\"bids\":1}", &s, &d), CPE_EPARSE);
    CHECK_MSG(d.msg[0], "binance REST depth gave no message");
    const cpe_exchange_t *const *ex = cpe_exchanges();
    for (int i = 0; ex[i]; i++) {
        d.msg[0] = 0;
        CHECK(rest(ex[i], CPE_DK_LIQ, CPE_PERP,
                   "{\"retCode\":0,\"code\":\"0\",\"result\":{\"list\":[{}]},\"data\":[{}]}", &s,
                   &d) < 0);
        CHECK_MSG(d.msg[0], "%s REST liquidations gave no message", ex[i]->name);
    }
}

static void test_binance_rest_klines_funding_oi(void)
{
    const cpe_exchange_t *b = &cpe_exchange_binance;
    sink_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(
        rest(b, CPE_DK_KLINE, CPE_SPOT,
             "[[1704067200000,\"42283.58\",\"42298.62\",\"42261.02\",\"42298.61\",\"35.92724\","
             "1704067259999,\"1519032.6\",1327,\"18.27\",\"772600.1\",\"0\"],"
             "[1704067260000,\"42298.62\",\"42320\",\"42298.61\",\"42319.99\",\"21.5\","
             "1704067319999,\"909000\",900,\"11\",\"465000\",\"0\"]]",
             &s, &d),
        0);
    CHECK_EQ_INT(s.n, 2);
    CHECK(s.ev[1].kline.ts_ms == 1704067260000LL && s.ev[1].kline.trades == 900);
    CHECK_EQ_INT(
        rest(
            b, CPE_DK_FUNDING, CPE_PERP,
            "[{\"symbol\":\"BTCUSDT\",\"fundingRate\":\"0.00010000\",\"fundingTime\":1704067200000,"
            "\"markPrice\":\"42300\"}]",
            &s, &d),
        0);
    CHECK(s.ev[0].point.v[0] == 0.0001 && s.ev[0].point.v[1] == 1);
    CHECK_EQ_INT(rest(b, CPE_DK_OI, CPE_PERP,
                      "[{\"symbol\":\"BTCUSDT\",\"sumOpenInterest\":\"80000.5\","
                      "\"sumOpenInterestValue\":\"3400000000\",\"timestamp\":1704067200000}]",
                      &s, &d),
                 0);
    CHECK(s.ev[0].point.v[0] == 80000.5 && s.ev[0].point.v[1] == 3400000000.0);
    CHECK_EQ_INT(
        rest(b, CPE_DK_KLINE, CPE_SPOT, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", &s, &d),
        CPE_EPARSE);
    CHECK(strstr(d.msg, "not an array") != NULL);
    char path[256];
    CHECK_EQ_INT(b->rest_path(CPE_DK_LIQ, CPE_PERP, "BTCUSDT", 0, 1, path, sizeof path),
                 CPE_EUNSUPPORTED);
    CHECK_EQ_INT(b->rest_path(CPE_DK_KLINE, CPE_PERP, "BTCUSDT", 1000, 61000, path, sizeof path),
                 0);
    CHECK_STR(path,
              "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=1000&endTime=60999&limit=1000");
    CHECK_EQ_INT(b->ws_path(CPE_PERP, "BTCUSDT", (1u << CPE_DK_KLINE) | (1u << CPE_DK_LIQ), path,
                            sizeof path),
                 0);
    CHECK_STR(path, "/stream?streams=btcusdt@kline_1m/btcusdt@forceOrder");
}

static void test_bybit_ws_and_rest(void)
{
    const cpe_exchange_t *y = &cpe_exchange_bybit;
    sink_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(ws(y, CPE_PERP,
                    "{\"topic\":\"kline.1.BTCUSDT\",\"data\":[{\"start\":1704067200000,\"end\":"
                    "1704067259999,"
                    "\"interval\":\"1\",\"open\":\"42000\",\"close\":\"42005\",\"high\":\"42010\","
                    "\"low\":\"41999\","
                    "\"volume\":\"10\",\"turnover\":\"420000\",\"confirm\":false,\"timestamp\":"
                    "1704067230000}],"
                    "\"ts\":1704067230000,\"type\":\"snapshot\"}",
                    &s),
                 0);
    CHECK(s.n == 1 && s.ev[0].closed == 0 && s.ev[0].kline.close == 42005);
    CHECK(isnan(s.ev[0].kline.taker_buy_base));
    CHECK_EQ_INT(
        ws(y, CPE_PERP,
           "{\"topic\":\"allLiquidation.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1,\"data\":["
           "{\"T\":1704067201000,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"0.3\",\"p\":\"41000\"},"
           "{\"T\":1704067202000,\"s\":\"BTCUSDT\",\"S\":\"Sell\",\"v\":\"0.1\",\"p\":\"43000\"}]}",
           &s),
        0);
    CHECK(s.n == 2 && s.ev[0].liq.side == 1 && s.ev[1].liq.side == -1);
    CHECK_EQ_INT(ws(y, CPE_PERP, "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\"}", &s),
                 0);
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(ws(y, CPE_PERP, "{\"topic\":\"kline.1.BTCUSDT\",\"data\":{}}", &s), CPE_EPARSE);
    /* REST lists newest first: events must come oldest first */
    CHECK_EQ_INT(rest(y, CPE_DK_KLINE, CPE_PERP,
                      "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"linear\","
                      "\"symbol\":\"BTCUSDT\","
                      "\"list\":[[\"1704067260000\",\"2\",\"3\",\"1\",\"2.5\",\"5\",\"12\"],"
                      "[\"1704067200000\",\"1\",\"2\",\"1\",\"2\",\"4\",\"8\"]]}}",
                      &s, &d),
                 0);
    CHECK(s.n == 2 && s.ev[0].kline.ts_ms == 1704067200000LL && s.ev[1].kline.close == 2.5);
    CHECK_EQ_INT(rest(y, CPE_DK_KLINE, CPE_PERP,
                      "{\"retCode\":10006,\"retMsg\":\"Too many visits!\"}", &s, &d),
                 CPE_ENET);
    CHECK(strstr(d.msg, "Too many visits") != NULL);
    char sub[512];
    CHECK_EQ_INT(y->ws_subscribe(CPE_PERP, "BTCUSDT", (1u << CPE_DK_KLINE) | (1u << CPE_DK_TRADE),
                                 sub, sizeof sub),
                 0);
    CHECK_STR(sub, "{\"op\":\"subscribe\",\"args\":[\"kline.1.BTCUSDT\",\"publicTrade.BTCUSDT\"]}");
}

static void test_okx_converts_instruments_and_contracts(void)
{
    const cpe_exchange_t *o = &cpe_exchange_okx;
    sink_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(ws(o, CPE_PERP,
                    "{\"arg\":{\"channel\":\"candle1m\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[["
                    "\"1704067200000\","
                    "\"42000\",\"42010\",\"41990\",\"42005\",\"1500\",\"15\",\"630000\",\"1\"]]}",
                    &s),
                 0);
    CHECK(s.n == 1 && s.ev[0].closed == 1 && s.ev[0].kline.volume == 15);
    CHECK_STR(s.ev[0].symbol, "BTCUSDT");
    CHECK_EQ_INT(
        ws(o, CPE_PERP,
           "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[{\"instId\":"
           "\"BTC-USDT-SWAP\",\"tradeId\":\"1\",\"px\":\"42000\",\"sz\":\"200\",\"side\":\"sell\","
           "\"ts\":\"1704067201000\"}]}",
           &s),
        0);
    CHECK(s.ev[0].trade.side == -1);
    CHECK_NEAR(s.ev[0].trade.qty, 2.0, 1e-12); /* 200 contracts x 0.01 BTC */
    CHECK_EQ_INT(ws(o, CPE_PERP,
                    "{\"arg\":{\"channel\":\"liquidation-orders\",\"instType\":\"SWAP\"},\"data\":["
                    "{\"instId\":"
                    "\"ETH-USDT-SWAP\",\"details\":[{\"side\":\"sell\",\"posSide\":\"long\","
                    "\"bkPx\":\"2200\","
                    "\"sz\":\"30\",\"ts\":\"1704067202000\"}]}]}",
                    &s),
                 0);
    CHECK(s.n == 1 && s.ev[0].liq.side == 1);
    CHECK_NEAR(s.ev[0].liq.qty, 3.0, 1e-12);
    CHECK_STR(s.ev[0].symbol, "ETHUSDT");
    CHECK_EQ_INT(ws(o, CPE_PERP, "{\"event\":\"subscribe\",\"arg\":{\"channel\":\"trades\"}}", &s),
                 0);
    CHECK_EQ_INT(rest(o, CPE_DK_KLINE, CPE_PERP,
                      "{\"code\":\"50011\",\"msg\":\"Too Many Requests\",\"data\":[]}", &s, &d),
                 CPE_ENET);
    unsigned g[4];
    CHECK_EQ_INT(o->ws_split(CPE_PERP, (1u << CPE_DK_KLINE) | (1u << CPE_DK_TRADE), g), 2);
    char path[64];
    o->ws_path(CPE_PERP, "BTCUSDT", g[0], path, sizeof path);
    CHECK_STR(path, "/ws/v5/business");
    o->ws_path(CPE_PERP, "BTCUSDT", g[1], path, sizeof path);
    CHECK_STR(path, "/ws/v5/public");
}

static void test_base_url_override_from_env(void)
{
    setenv("CPE_BYBIT_REST_PERP", "http://127.0.0.1:9999", 1);
    CHECK_STR(cpe_exchange_base(&cpe_exchange_bybit, 0, CPE_PERP), "http://127.0.0.1:9999");
    CHECK_STR(cpe_exchange_base(&cpe_exchange_bybit, 0, CPE_SPOT), "https://api.bybit.com");
    unsetenv("CPE_BYBIT_REST_PERP");
    CHECK(cpe_exchange_find("okx") == &cpe_exchange_okx);
    CHECK(cpe_exchanges()[0] == &cpe_exchange_binance);
}

static void test_fallback_switches_when_primary_stale_and_reverts(void)
{
    cpe_fallback_t fb;
    const int64_t T0 = 1700000000000LL; /* real clocks are never 0 */
    cpe_fb_init(&fb, 3, 5000, 10000, T0);
    /* primary delivers */
    for (int64_t t = 0; t <= 10000; t += 1000) {
        cpe_fb_event(&fb, 0, T0 + t);
        CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + t), 0);
    }
    /* primary goes silent at 10 s: still active until 15 s, then the secondary is tried */
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 15000), 0);
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 15001), 1);
    CHECK(!cpe_fb_use(&fb, 0) && cpe_fb_use(&fb, 1));
    for (int64_t t = 15500; t <= 30000; t += 1000) {
        cpe_fb_event(&fb, 1, T0 + t);
        CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + t), 1);
    }
    /* primary comes back at 31 s; it takes over only after 10 s fresh without a break */
    for (int64_t t = 31000; t < 41000; t += 1000) {
        cpe_fb_event(&fb, 0, T0 + t);
        cpe_fb_event(&fb, 1, T0 + t);
        CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + t), 1);
    }
    cpe_fb_event(&fb, 0, T0 + 41000);
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 41000), 0);
    CHECK_EQ_INT(fb.switches, 2);
}

static void test_fallback_skips_failed_providers(void)
{
    cpe_fallback_t fb;
    const int64_t T0 = 1700000000000LL;
    cpe_fb_init(&fb, 3, 5000, 10000, T0);
    cpe_fb_failure(&fb, 0, T0 + 100, 60000);
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 200), 1); /* primary failed: secondary tried at once */
    cpe_fb_failure(&fb, 1, T0 + 300, 60000);
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 400), 2);   /* secondary failed too: tertiary */
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 5000), 2);  /* within its grace period */
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 5401), 2);  /* nothing else available: stays */
    cpe_fb_event(&fb, 1, T0 + 61000);              /* secondary recovered ... */
    CHECK_EQ_INT(cpe_fb_tick(&fb, T0 + 61000), 1); /* ... and is fresh while tertiary is silent */
}

/* rate-limit headers: numbers are read, anything else leaves the field unknown (it used to
 * read as 0: "no requests left", "retry now") */
static void test_rate_headers_ignore_what_is_not_a_number(void)
{
    cpe_rate_info_t ri;
    cpe_rate_info_init(&ri);
    cpe_exchange_binance.rate_header("x-mbx-used-weight-1m", "37", &ri);
    cpe_exchange_binance.rate_header("retry-after", "2.5", &ri);
    CHECK_NEAR(ri.used, 37, 0);
    CHECK_EQ_INT(ri.retry_after_ms, 2500);
    cpe_rate_info_init(&ri);
    cpe_exchange_binance.rate_header("x-mbx-used-weight-1m", "many", &ri);
    cpe_exchange_okx.rate_header("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT", &ri);
    CHECK(isnan(ri.used));
    CHECK_EQ_INT(ri.retry_after_ms, 0);
    cpe_rate_info_init(&ri);
    cpe_exchange_bybit.rate_header("x-bapi-limit-status", "", &ri);
    cpe_exchange_bybit.rate_header("x-bapi-limit", "600", &ri);
    cpe_exchange_bybit.rate_header("x-bapi-limit-reset-timestamp", "1765100000000", &ri);
    CHECK(isnan(ri.remaining));
    CHECK_NEAR(ri.limit, 600, 0);
    CHECK_EQ_INT(ri.reset_ms, 1765100000000LL);
}

static void test_backoff_grows_with_jitter_and_cap(void)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    int64_t mx[6] = {0};
    for (int a = 0; a < 6; a++)
        for (int i = 0; i < 200; i++) {
            int64_t v = cpe_backoff_ms(a, 500, 8000, &r);
            CHECK(v >= 250 && v <= 8000);
            if (v > mx[a]) mx[a] = v;
        }
    CHECK(mx[0] <= 500 && mx[3] > 2000 && mx[5] <= 8000 && mx[5] > 6000);
}

/* Coinbase fixtures: the documented shapes of docs.cdp.coinbase.com ("Get product candles",
 * "Get product trades", "Exchange WebSocket Channels"), with the product BTC-USDT where the
 * documentation's examples say BTC-USD or ETH-USD. */
static void test_coinbase_rest_candles_and_trades(void)
{
    const cpe_exchange_t *c = &cpe_exchange_coinbase;
    sink_t s;
    cpe_diag_t d = {0};
    char path[256];
    CHECK_EQ_INT(c->rest_path(CPE_DK_KLINE, CPE_SPOT, "BTCUSDT", 1704067200000LL,
                              1704067200000LL + 300 * 60000LL, path, sizeof path),
                 0);
    CHECK_STR(path, "/products/BTC-USDT/candles?granularity=60&start=2024-01-01T00:00:00Z"
                    "&end=2024-01-01T04:59:00Z");
    CHECK_EQ_INT(c->rest_path(CPE_DK_KLINE, CPE_PERP, "BTCUSDT", 0, 60000, path, sizeof path),
                 CPE_EUNSUPPORTED);
    CHECK_EQ_INT(c->rest_path(CPE_DK_FUNDING, CPE_SPOT, "BTCUSDT", 0, 60000, path, sizeof path),
                 CPE_EUNSUPPORTED);
    /* [time, low, high, open, close, volume], newest first, time in seconds */
    CHECK_EQ_INT(rest(c, CPE_DK_KLINE, CPE_SPOT,
                      "[[1704067260,42000.5,42100,42010.25,42090,1.25],"
                      "[1704067200,41950,42020,41990,42010.25,3.5]]",
                      &s, &d),
                 0);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(s.ev[0].kline.ts_ms, 1704067260000LL);
    CHECK(s.ev[0].kline.low == 42000.5 && s.ev[0].kline.high == 42100);
    CHECK(s.ev[0].kline.open == 42010.25 && s.ev[0].kline.close == 42090);
    CHECK(s.ev[1].kline.volume == 3.5 && isnan(s.ev[1].kline.taker_buy_base));
    CHECK_EQ_INT(s.ev[1].closed, 1);
    CHECK_STR(s.ev[1].symbol, "BTCUSDT");
    CHECK_EQ_INT(rest(c, CPE_DK_TRADE, CPE_SPOT,
                      "[{\"time\":\"2014-11-07T22:19:28.578544Z\",\"trade_id\":74,"
                      "\"price\":\"10.00000000\",\"size\":\"0.01000000\",\"side\":\"buy\"}]",
                      &s, &d),
                 0);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.ev[0].trade.side, -1); /* the maker bought: an aggressive sell */
    CHECK_EQ_INT(s.ev[0].trade.ts_ms, 1415398768578LL);
    /* an error body, a short row, a high below the low */
    CHECK_EQ_INT(rest(c, CPE_DK_KLINE, CPE_SPOT, "{\"message\":\"NotFound\"}", &s, &d), CPE_EPARSE);
    CHECK(strstr(d.msg, "NotFound") != NULL);
    CHECK_EQ_INT(rest(c, CPE_DK_KLINE, CPE_SPOT, "[[1704067200,1,2,1.5]]", &s, &d), CPE_EPARSE);
    CHECK_EQ_INT(rest(c, CPE_DK_KLINE, CPE_SPOT, "[[1704067200,5,2,3,3,1]]", &s, &d), CPE_EPARSE);
}

static void test_coinbase_ws_matches_ticker_and_control(void)
{
    const cpe_exchange_t *c = &cpe_exchange_coinbase;
    sink_t s;
    char sub[256];
    unsigned groups[4];
    unsigned both = (1u << CPE_DK_KLINE) | (1u << CPE_DK_TRADE);
    CHECK_EQ_INT(c->ws_split(CPE_PERP, both, groups), 0); /* no perp */
    CHECK_EQ_INT(c->ws_split(CPE_SPOT, both | (1u << CPE_DK_BOOK), groups), 1);
    CHECK_EQ_INT(groups[0], both);
    CHECK_EQ_INT(c->ws_subscribe(CPE_SPOT, "BTCUSDT", both, sub, sizeof sub), 0);
    CHECK_STR(sub, "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USDT\"],"
                   "\"channels\":[\"matches\",\"ticker\"]}");
    CHECK_EQ_INT(ws(c, CPE_SPOT,
                    "{\"type\":\"match\",\"trade_id\":10,\"sequence\":50,"
                    "\"maker_order_id\":\"ac928c66-ca53-498f-9c13-a110027a60e8\","
                    "\"taker_order_id\":\"132fb6ae-456b-4654-b4e0-d681ac05cea1\","
                    "\"time\":\"2014-11-07T08:19:27.028459Z\",\"product_id\":\"BTC-USDT\","
                    "\"size\":\"5.23512\",\"price\":\"400.23\",\"side\":\"sell\"}",
                    &s),
                 0);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.ev[0].kind, CPE_DK_TRADE);
    CHECK_EQ_INT(s.ev[0].trade.side, +1); /* the maker sold: an up-tick, an aggressive buy */
    CHECK(s.ev[0].trade.price == 400.23 && s.ev[0].trade.qty == 5.23512);
    CHECK_STR(s.ev[0].symbol, "BTCUSDT");
    CHECK_EQ_INT(ws(c, CPE_SPOT,
                    "{\"type\":\"ticker\",\"sequence\":37475248783,\"product_id\":\"BTC-USDT\","
                    "\"price\":\"1285.22\",\"open_24h\":\"1310.79\",\"volume_24h\":"
                    "\"245532.79269678\",\"low_24h\":\"1280.52\",\"high_24h\":\"1313.8\","
                    "\"volume_30d\":\"9788783.60117027\",\"best_bid\":\"1285.04\","
                    "\"best_bid_size\":\"0.46688654\",\"best_ask\":\"1285.27\","
                    "\"best_ask_size\":\"1.56637040\",\"side\":\"buy\","
                    "\"time\":\"2022-10-19T23:28:22.061769Z\",\"trade_id\":370843401,"
                    "\"last_size\":\"11.4396987\"}",
                    &s),
                 0);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.ev[0].kind, CPE_DK_KLINE);
    CHECK_EQ_INT(s.ev[0].closed, 0); /* the minute in progress, price only */
    CHECK_EQ_INT(s.ev[0].kline.ts_ms, 1666222080000LL);
    CHECK(s.ev[0].kline.close == 1285.22 && s.ev[0].kline.high == 1285.22);
    CHECK_EQ_INT(ws(c, CPE_SPOT,
                    "{\"type\":\"subscriptions\",\"channels\":[{\"name\":\"matches\","
                    "\"product_ids\":[\"BTC-USDT\"]}]}",
                    &s),
                 0);
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(ws(c, CPE_SPOT,
                    "{\"type\":\"heartbeat\",\"sequence\":90,\"last_trade_id\":20,"
                    "\"product_id\":\"BTC-USDT\",\"time\":\"2014-11-07T08:19:28.464459Z\"}",
                    &s),
                 0);
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(ws(c, CPE_SPOT, "{\"type\":\"error\",\"message\":\"Failed to subscribe\"}", &s),
                 CPE_EPARSE);
    CHECK_EQ_INT(ws(c, CPE_SPOT,
                    "{\"type\":\"match\",\"product_id\":\"BTC-USDT\",\"price\":\"1\","
                    "\"size\":\"1\",\"side\":\"up\",\"time\":\"2014-11-07T08:19:27Z\"}",
                    &s),
                 CPE_EPARSE);
    CHECK_EQ_INT(ws(c, CPE_SPOT, "{\"type\":\"l2update\",\"product_id\":\"BTC-USDT\"}", &s),
                 CPE_EPARSE);
}

int main(void)
{
    RUN(test_binance_ws_kline_trade_funding_liq_depth);
    RUN(test_binance_rejects_malformed_messages);
    RUN(test_binance_rest_klines_funding_oi);
    RUN(test_adapters_explain_every_refusal);
    RUN(test_bybit_ws_and_rest);
    RUN(test_okx_converts_instruments_and_contracts);
    RUN(test_coinbase_rest_candles_and_trades);
    RUN(test_coinbase_ws_matches_ticker_and_control);
    RUN(test_base_url_override_from_env);
    RUN(test_fallback_switches_when_primary_stale_and_reverts);
    RUN(test_fallback_skips_failed_providers);
    RUN(test_rate_headers_ignore_what_is_not_a_number);
    RUN(test_backoff_grows_with_jitter_and_cap);
    return TEST_DONE();
}
