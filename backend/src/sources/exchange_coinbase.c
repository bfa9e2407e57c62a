/*
 * exchange_coinbase.c — Coinbase Exchange public market data, spot only (Coinbase lists no
 * USDT perpetuals): the fourth row of the universe's exchange table.
 *
 * Written from Coinbase's public documentation (docs.cdp.coinbase.com, "Exchange REST API:
 * Get product candles / Get product trades" and "Exchange WebSocket Channels"); it has not
 * been run against the real hosts (no network here). The fixtures in
 * tests/unit/sources/test_exchange_coinbase.c copy the documented message shapes.
 *
 * Instruments: BTCUSDT -> product "BTC-USDT" (cpe_exchange_symbol(): separator "-").
 * REST (base https://api.exchange.coinbase.com; public endpoints 10 requests/s per IP, so
 * 300/min is half; 429 when over, no rate headers):
 *   candles GET /products/BTC-USDT/candles?granularity=60&start=<ISO>&end=<ISO>
 *     -> [[time, low, high, open, close, volume], ...]   time in UNIX SECONDS, the rest JSON
 *        numbers, NEWEST FIRST, at most 300 rows (a larger range is rejected; the request
 *        asks for [from, to - 1 min], both ends inclusive). A minute without trades has no
 *        row (documented: "no data is published for intervals where there are no ticks"),
 *        and rows may precede start: callers filter to the range. No quote or taker volume.
 *   trades  GET /products/BTC-USDT/trades?limit=1000
 *     -> [{"time":"2014-11-07T22:19:28.578544Z","trade_id":74,"price":"10.00000000",
 *          "size":"0.01000000","side":"buy"}, ...]            side = the MAKER's side
 *   errors  {"message": "..."} with a 4xx status
 * WebSocket (wss://ws-feed.exchange.coinbase.com, one connection, subscribe message):
 *   {"type":"subscribe","product_ids":["BTC-USDT"],"channels":["matches","ticker"]}
 *   {"type":"match","trade_id":10,"sequence":50,"maker_order_id":"..","taker_order_id":"..",
 *    "time":"2014-11-07T08:19:27.028459Z","product_id":"BTC-USDT","size":"5.23512",
 *    "price":"400.23","side":"sell"}     side = the MAKER's side: "sell" is an up-tick, i.e.
 *                                        an aggressive buy (+1); "buy" an aggressive sell
 *   {"type":"ticker","sequence":..,"product_id":"BTC-USDT","price":"1285.22","open_24h":..,
 *    "volume_24h":..,"low_24h":..,"high_24h":..,"volume_30d":..,"best_bid":..,
 *    "best_bid_size":..,"best_ask":..,"best_ask_size":..,"side":"buy",
 *    "time":"2022-10-19T23:28:22.061769Z","trade_id":370843401,"last_size":".."}
 *   {"type":"subscriptions","channels":[...]}, {"type":"heartbeat",..} and
 *   {"type":"last_match",..} (a replay of the last trade on subscribe) produce no event;
 *   {"type":"error","message":..} is reported as malformed.
 * The feed has no 1m candle channel: the kline kind is served by "ticker" as the minute in
 * progress (open = high = low = close = the last price, volume 0, never closed, never
 * stored); closed 1m bars come from the candles endpoint (backfill, `cpe fetch`).
 */
#include "cpe/exchange.h"
#include "cpe/timeutil.h"
#include "sources/exjson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KLINE_PAGE 300 /* the documented maximum of candles per request */

static void product_id(const char *sym, char *out, size_t cap)
{
    cpe_exchange_symbol(CPE_EX_COINBASE, CPE_SPOT, sym, out, cap);
}

/* "2024-01-01T00:00:00Z": whole seconds, as the documentation's examples. */
static void iso_seconds(int64_t ms, char out[32])
{
    cpe_format_iso8601(cpe_floor_ms(ms, 1000), out);
    char *dot = strchr(out, '.');
    if (dot) dot[0] = 'Z', dot[1] = 0;
}

static int rest_path(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, int64_t from,
                     int64_t to, char *out, size_t cap)
{
    if (m != CPE_SPOT) return CPE_EUNSUPPORTED;
    char pid[40], a[32], b[32];
    product_id(sym, pid, sizeof pid);
    int n;
    if (kind == CPE_DK_KLINE) {
        iso_seconds(from, a);
        iso_seconds(to - CPE_MS_PER_MIN > from ? to - CPE_MS_PER_MIN : from, b);
        n = snprintf(out, cap, "/products/%s/candles?granularity=60&start=%s&end=%s", pid, a, b);
    } else if (kind == CPE_DK_TRADE) {
        n = snprintf(out, cap, "/products/%s/trades?limit=1000", pid);
    } else {
        return CPE_EUNSUPPORTED;
    }
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

/* [time_s, low, high, open, close, volume] */
static int emit_candle(const json_t *row, const char *sym, cpe_event_sink_fn sink, void *ctx)
{
    cpe_market_event_t ev;
    exj_event_init(&ev, CPE_DK_KLINE, CPE_SPOT, sym);
    cpe_kline_t *k = &ev.kline;
    int64_t t;
    if (!json_is_array(row) || json_array_size(row) < 6 || exj_i64(json_array_get(row, 0), &t) ||
        exj_num(json_array_get(row, 1), &k->low) || exj_num(json_array_get(row, 2), &k->high) ||
        exj_num(json_array_get(row, 3), &k->open) || exj_num(json_array_get(row, 4), &k->close) ||
        exj_num(json_array_get(row, 5), &k->volume))
        return CPE_EPARSE;
    if (t < 0 || t > INT64_MAX / 1000) return CPE_EPARSE; /* seconds that fit in ms */
    k->ts_ms = t * 1000;
    if (!exj_kline_ok(k)) return CPE_EPARSE;
    ev.closed = 1;
    return sink(ctx, &ev);
}

static int time_ms(const json_t *obj, int64_t *out)
{
    const char *t = exj_get_str(obj, "time");
    return t ? cpe_parse_iso8601(t, -1, out) : CPE_EPARSE;
}

/* A match or a REST trade: side is the maker's, so "sell" is an aggressive buy. */
static int emit_trade(const json_t *o, const char *sym, cpe_event_sink_fn sink, void *ctx)
{
    cpe_market_event_t ev;
    exj_event_init(&ev, CPE_DK_TRADE, CPE_SPOT, sym);
    const char *side = exj_get_str(o, "side");
    if (!side || (strcmp(side, "buy") && strcmp(side, "sell")) ||
        exj_get_num(o, "price", &ev.trade.price) || exj_get_num(o, "size", &ev.trade.qty) ||
        time_ms(o, &ev.trade.ts_ms) || !(ev.trade.price > 0) || !(ev.trade.qty >= 0))
        return CPE_EPARSE;
    ev.trade.side = !strcmp(side, "sell") ? +1 : -1;
    return sink(ctx, &ev);
}

static int parse_rest(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, const char *body,
                      size_t len, cpe_event_sink_fn sink, void *ctx, cpe_diag_t *d)
{
    if (m != CPE_SPOT || (kind != CPE_DK_KLINE && kind != CPE_DK_TRADE))
        return cpe_diag_set(d, CPE_EUNSUPPORTED, "coinbase: no REST parser for %s",
                            cpe_data_kind_name(kind));
    json_t *j = exj_load(CPE_EX_COINBASE_NAME, body, len, d);
    if (!j) return CPE_EPARSE;
    int rc = 0;
    if (!json_is_array(j)) {
        const char *msg = exj_get_str(j, "message");
        rc = cpe_diag_set(d, CPE_EPARSE, "coinbase: %s response is not an array%s%s",
                          cpe_data_kind_name(kind), msg ? ": " : "", msg ? msg : "");
        json_decref(j);
        return rc;
    }
    size_t i;
    json_t *row;
    json_array_foreach(j, i, row)
    {
        rc = kind == CPE_DK_KLINE ? emit_candle(row, sym, sink, ctx)
                                  : emit_trade(row, sym, sink, ctx);
        if (rc) {
            if (rc == CPE_EPARSE)
                cpe_diag_set(d, rc, "coinbase: %s row %zu is malformed", cpe_data_kind_name(kind),
                             i);
            break;
        }
    }
    json_decref(j);
    return rc;
}

/* Spot: one connection for what it streams (klines via ticker, trades via matches). */
static int ws_split(cpe_market_kind_t m, unsigned kinds, unsigned groups[4])
{
    unsigned k = kinds & ((1u << CPE_DK_KLINE) | (1u << CPE_DK_TRADE));
    if (m != CPE_SPOT || !k) return 0;
    groups[0] = k;
    return 1;
}

static int ws_path(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    (void)m, (void)sym, (void)kinds;
    return snprintf(out, cap, "/") >= (int)cap ? CPE_ETOOBIG : 0;
}

static int ws_subscribe(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    (void)m;
    char pid[40];
    product_id(sym, pid, sizeof pid);
    int trades = (kinds >> CPE_DK_TRADE) & 1, ticker = (kinds >> CPE_DK_KLINE) & 1;
    int n = snprintf(
        out, cap, "{\"type\":\"subscribe\",\"product_ids\":[\"%s\"],\"channels\":[%s%s%s]}", pid,
        trades ? "\"matches\"" : "", trades && ticker ? "," : "", ticker ? "\"ticker\"" : "");
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

static int parse_ticker(const json_t *j, const char *sym, cpe_event_sink_fn sink, void *ctx)
{
    cpe_market_event_t ev;
    exj_event_init(&ev, CPE_DK_KLINE, CPE_SPOT, sym);
    cpe_kline_t *k = &ev.kline;
    int64_t t;
    if (exj_get_num(j, "price", &k->close) || time_ms(j, &t)) return CPE_EPARSE;
    k->ts_ms = cpe_floor_ms(t, CPE_MS_PER_MIN);
    k->open = k->high = k->low = k->close;
    k->volume = 0; /* the ticker carries no per-minute volume */
    if (!exj_kline_ok(k)) return CPE_EPARSE;
    ev.closed = 0;
    return sink(ctx, &ev);
}

static int parse_ws(cpe_market_kind_t m, const char *msg, size_t len, cpe_event_sink_fn sink,
                    void *ctx, cpe_diag_t *d)
{
    (void)m;
    json_t *j = exj_load("coinbase ws", msg, len, d);
    if (!j) return CPE_EPARSE;
    const char *type = exj_get_str(j, "type"), *pid = exj_get_str(j, "product_id");
    char sym[32] = "";
    if (pid) cpe_exchange_symbol_back(CPE_EX_COINBASE, pid, sym, sizeof sym);
    int rc = 0;
    if (!type) {
        rc = cpe_diag_set(d, CPE_EPARSE, "coinbase ws: message of unknown shape (no 'type')");
    } else if (!strcmp(type, "subscriptions") || !strcmp(type, "heartbeat") ||
               !strcmp(type, "last_match")) {
        rc = 0; /* control, or a replay of a trade already seen */
    } else if (!strcmp(type, "error")) {
        const char *e = exj_get_str(j, "message");
        rc = cpe_diag_set(d, CPE_EPARSE, "coinbase ws: error: %s", e ? e : "(no message)");
    } else if (!pid || (strcmp(type, "match") && strcmp(type, "ticker"))) {
        rc = cpe_diag_set(d, CPE_EPARSE, "coinbase ws: message of unknown shape ('%s')", type);
    } else {
        rc = !strcmp(type, "match") ? emit_trade(j, sym, sink, ctx)
                                    : parse_ticker(j, sym, sink, ctx);
        if (rc == CPE_EPARSE) cpe_diag_set(d, rc, "coinbase ws: malformed '%s' message", type);
    }
    json_decref(j);
    return rc;
}

const cpe_exchange_t cpe_exchange_coinbase = {
    .name = CPE_EX_COINBASE_NAME,
    .rest_base = {"https://api.exchange.coinbase.com", "https://api.exchange.coinbase.com"},
    .ws_base = {"wss://ws-feed.exchange.coinbase.com", "wss://ws-feed.exchange.coinbase.com"},
    .rest_per_min = 300, /* public endpoints: 10 requests/s per IP; half of it */
    .kline_page = KLINE_PAGE,
    .rest_path = rest_path,
    .parse_rest = parse_rest,
    .ws_split = ws_split,
    .ws_path = ws_path,
    .ws_subscribe = ws_subscribe,
    .parse_ws = parse_ws,
    .rate_header = exj_rate_header_retry_after, /* no rate headers: Retry-After only */
};
