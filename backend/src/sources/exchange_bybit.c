/*
 * exchange_bybit.c — Bybit v5 public market data (spot and linear perpetuals).
 *
 * REST (base https://api.bybit.com; X-Bapi-Limit-Status = requests left in the window,
 * X-Bapi-Limit = the window's limit, X-Bapi-Limit-Reset-Timestamp = ms; 120 req/min in spec 9.1):
 *   klines  GET
 * /v5/market/kline?category=spot|linear&symbol=BTCUSDT&interval=1&start=&end=&limit=1000
 *     -> {"retCode":0,"result":{"list":[["startMs","o","h","l","c","volume","turnover"],...]}}
 *        list is sorted NEWEST FIRST; no taker-buy volume (NaN).
 *   OI      GET
 * /v5/market/open-interest?category=linear&symbol=&intervalTime=5min&startTime=&endTime=&limit=200
 *     -> {"result":{"list":[{"openInterest":"base","timestamp":"ms"}]}}
 *   funding GET /v5/market/funding/history?category=linear&symbol=&startTime=&endTime=&limit=200
 *     -> {"result":{"list":[{"symbol","fundingRate","fundingRateTimestamp":"ms"}]}}
 *   trades  GET /v5/market/recent-trade?category=&symbol=&limit=1000
 *     -> {"result":{"list":[{"time":"ms","price","size","side":"Buy"|"Sell"}]}}
 *   book    GET /v5/market/orderbook?category=&symbol=&limit=200 ->
 * {"result":{"b":[[p,q]],"a":[...],"ts":ms}} a retCode other than 0 is an error (the message is
 * reported). WebSocket: wss://stream.bybit.com/v5/public/spot | /v5/public/linear, subscribe
 *   {"op":"subscribe","args":["kline.1.BTCUSDT","publicTrade.BTCUSDT","allLiquidation.BTCUSDT",
 *                              "orderbook.50.BTCUSDT","tickers.BTCUSDT"]}
 *   frames {"topic":"kline.1.BTCUSDT","data":[{"start","open","high","low","close","volume",
 *            "turnover","confirm":bool}]}
 *          {"topic":"publicTrade.BTCUSDT","data":[{"T":ms,"s","S":"Buy"|"Sell","v","p"}]}
 *          {"topic":"allLiquidation.BTCUSDT","data":[{"T":ms,"s","S":"Buy"|"Sell","v","p"}]}
 *             (S is the side of the liquidated POSITION: Buy = a long was liquidated)
 *          {"topic":"orderbook.50.BTCUSDT","type":"snapshot"|"delta","ts":ms,"data":{"b":[],"a":[]}}
 *             (only snapshots are used: deltas would need a local book)
 *          {"topic":"tickers.BTCUSDT","data":{"fundingRate","nextFundingTime","openInterest"}}
 *          {"op":"subscribe","success":true} / {"op":"pong"} acks
 */
#include "cpe/exchange.h"
#include "sources/exjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *category(cpe_market_kind_t m)
{
    return m == CPE_SPOT ? "spot" : "linear";
}

static int rest_path(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, int64_t from,
                     int64_t to, char *out, size_t cap)
{
    int n;
    long long f = (long long)from, t = (long long)(to - 1);
    switch (kind) {
    case CPE_DK_KLINE:
        n = snprintf(
            out, cap,
            "/v5/market/kline?category=%s&symbol=%s&interval=1&start=%lld&end=%lld&limit=1000",
            category(m), sym, f, t);
        break;
    case CPE_DK_OI:
        if (m != CPE_PERP) return CPE_EUNSUPPORTED;
        n = snprintf(out, cap,
                     "/v5/market/"
                     "open-interest?category=linear&symbol=%s&intervalTime=5min&startTime=%lld&"
                     "endTime=%lld&limit=200",
                     sym, f, t);
        break;
    case CPE_DK_FUNDING:
        if (m != CPE_PERP) return CPE_EUNSUPPORTED;
        n = snprintf(out, cap,
                     "/v5/market/funding/"
                     "history?category=linear&symbol=%s&startTime=%lld&endTime=%lld&limit=200",
                     sym, f, t);
        break;
    case CPE_DK_TRADE:
        n = snprintf(out, cap, "/v5/market/recent-trade?category=%s&symbol=%s&limit=1000",
                     category(m), sym);
        break;
    case CPE_DK_BOOK:
        n = snprintf(out, cap, "/v5/market/orderbook?category=%s&symbol=%s&limit=200", category(m),
                     sym);
        break;
    default:
        return CPE_EUNSUPPORTED;
    }
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

static int kline_from_list(const json_t *row, cpe_market_event_t *ev)
{
    cpe_kline_t *k = &ev->kline;
    if (!json_is_array(row) || json_array_size(row) < 7) return CPE_EPARSE;
    if (exj_i64(json_array_get(row, 0), &k->ts_ms) || exj_num(json_array_get(row, 1), &k->open) ||
        exj_num(json_array_get(row, 2), &k->high) || exj_num(json_array_get(row, 3), &k->low) ||
        exj_num(json_array_get(row, 4), &k->close) || exj_num(json_array_get(row, 5), &k->volume) ||
        exj_num(json_array_get(row, 6), &k->quote_volume))
        return CPE_EPARSE;
    return exj_kline_ok(k) ? 0 : CPE_EPARSE;
}

static int parse_rest(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, const char *body,
                      size_t len, cpe_event_sink_fn sink, void *ctx, cpe_diag_t *d)
{
    json_t *j = exj_load(CPE_EX_BYBIT_NAME, body, len, d);
    if (!j) return CPE_EPARSE;
    int rc = 0;
    int64_t ret;
    if (exj_get_i64(j, "retCode", &ret) || ret != 0) {
        const char *msg = exj_get_str(j, "retMsg");
        rc = cpe_diag_set(d, CPE_ENET, "bybit: error %lld: %s", (long long)ret, msg ? msg : "?");
        goto out;
    }
    json_t *res = json_object_get(j, "result");
    cpe_market_event_t ev;
    if (kind == CPE_DK_BOOK) {
        exj_event_init(&ev, CPE_DK_BOOK, m, sym);
        rc = exj_get_i64(res, "ts", &ev.point.ts_ms) ||
             exj_book_depth(json_object_get(res, "b"), json_object_get(res, "a"), &ev.point);
        if (rc)
            rc = cpe_diag_set(d, CPE_EPARSE, "bybit: malformed orderbook");
        else
            rc = sink(ctx, &ev);
        goto out;
    }
    json_t *list = json_object_get(res, "list");
    if (!json_is_array(list)) {
        rc = cpe_diag_set(d, CPE_EPARSE, "bybit: %s response has no result.list",
                          cpe_data_kind_name(kind));
        goto out;
    }
    /* Bybit lists newest first: walk backwards so events come oldest first. */
    for (size_t n = json_array_size(list); n-- > 0;) {
        json_t *row = json_array_get(list, n);
        int bad = 0;
        switch (kind) {
        case CPE_DK_KLINE:
            exj_event_init(&ev, CPE_DK_KLINE, m, sym);
            bad = kline_from_list(row, &ev) != 0;
            ev.closed = 1;
            break;
        case CPE_DK_OI:
            exj_event_init(&ev, CPE_DK_OI, m, sym);
            bad = exj_get_num(row, "openInterest", &ev.point.v[0]) ||
                  exj_get_i64(row, "timestamp", &ev.point.ts_ms);
            break;
        case CPE_DK_FUNDING:
            exj_event_init(&ev, CPE_DK_FUNDING, m, sym);
            bad = exj_get_num(row, "fundingRate", &ev.point.v[0]) ||
                  exj_get_i64(row, "fundingRateTimestamp", &ev.point.ts_ms);
            ev.point.v[1] = 1;
            break;
        case CPE_DK_TRADE: {
            exj_event_init(&ev, CPE_DK_TRADE, m, sym);
            const char *side = exj_get_str(row, "side");
            bad = !side || exj_get_i64(row, "time", &ev.trade.ts_ms) ||
                  exj_get_num(row, "price", &ev.trade.price) ||
                  exj_get_num(row, "size", &ev.trade.qty);
            ev.trade.side = side && !strcmp(side, "Buy") ? +1 : -1;
            break;
        }
        default:
            rc = cpe_diag_set(d, CPE_EUNSUPPORTED, "bybit: no REST parser for %s",
                              cpe_data_kind_name(kind));
            goto out;
        }
        if (bad) {
            rc = cpe_diag_set(d, CPE_EPARSE, "bybit: %s row %zu is malformed",
                              cpe_data_kind_name(kind), n);
            goto out;
        }
        if ((rc = sink(ctx, &ev))) goto out;
    }
out:
    json_decref(j);
    return rc;
}

static int ws_path(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    (void)sym, (void)kinds;
    int n = snprintf(out, cap, "/v5/public/%s", category(m));
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

static int ws_subscribe(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "{\"op\":\"subscribe\",\"args\":[");
    const char *sep = "";
#define ADD(fmt)                                                                                   \
    do {                                                                                           \
        int w = snprintf(out + len, cap - len, "%s\"" fmt "\"", sep, sym);                         \
        if (w < 0 || (size_t)w >= cap - len) return CPE_ETOOBIG;                                   \
        len += (size_t)w;                                                                          \
        sep = ",";                                                                                 \
    } while (0)
    if (kinds & (1u << CPE_DK_KLINE)) ADD("kline.1.%s");
    if (kinds & (1u << CPE_DK_TRADE)) ADD("publicTrade.%s");
    if (m == CPE_PERP && (kinds & (1u << CPE_DK_LIQ))) ADD("allLiquidation.%s");
    if (kinds & (1u << CPE_DK_BOOK)) ADD("orderbook.50.%s");
    if (m == CPE_PERP && (kinds & ((1u << CPE_DK_FUNDING) | (1u << CPE_DK_OI)))) ADD("tickers.%s");
#undef ADD
    int w = snprintf(out + len, cap - len, "]}");
    return (w < 0 || (size_t)w >= cap - len) ? CPE_ETOOBIG : 0;
}

static int parse_ws(cpe_market_kind_t m, const char *msg, size_t len, cpe_event_sink_fn sink,
                    void *ctx, cpe_diag_t *d)
{
    json_t *j = exj_load("bybit ws", msg, len, d);
    if (!j) return CPE_EPARSE;
    int rc = 0;
    const char *topic = exj_get_str(j, "topic");
    json_t *data = json_object_get(j, "data");
    cpe_market_event_t ev;
    if (!topic) {
        if (!exj_get_str(j, "op"))
            rc = cpe_diag_set(d, CPE_EPARSE, "bybit ws: message has no topic");
        goto out; /* subscription ack or pong */
    }
    const char *dot = strrchr(topic, '.');
    const char *sym = dot ? dot + 1 : "";
    size_t i;
    json_t *row;
    if (!strncmp(topic, "kline.", 6)) {
        if (!json_is_array(data)) goto bad;
        json_array_foreach(data, i, row)
        {
            exj_event_init(&ev, CPE_DK_KLINE, m, sym);
            cpe_kline_t *k = &ev.kline;
            if (exj_get_i64(row, "start", &k->ts_ms) || exj_get_num(row, "open", &k->open) ||
                exj_get_num(row, "high", &k->high) || exj_get_num(row, "low", &k->low) ||
                exj_get_num(row, "close", &k->close) || exj_get_num(row, "volume", &k->volume) ||
                exj_get_num(row, "turnover", &k->quote_volume) || !exj_kline_ok(k))
                goto bad;
            ev.closed = json_is_true(json_object_get(row, "confirm"));
            if ((rc = sink(ctx, &ev))) goto out;
        }
    } else if (!strncmp(topic, "publicTrade.", 12) || !strncmp(topic, "allLiquidation.", 15)) {
        int liq = topic[0] == 'a';
        if (!json_is_array(data)) goto bad;
        json_array_foreach(data, i, row)
        {
            const char *side = exj_get_str(row, "S");
            double px, q;
            int64_t t;
            if (!side || exj_get_i64(row, "T", &t) || exj_get_num(row, "p", &px) ||
                exj_get_num(row, "v", &q))
                goto bad;
            if (liq) {
                exj_event_init(&ev, CPE_DK_LIQ, m, sym);
                ev.liq = (cpe_liquidation_t){
                    .ts_ms = t, .side = !strcmp(side, "Buy") ? +1 : -1, .price = px, .qty = q};
            } else {
                exj_event_init(&ev, CPE_DK_TRADE, m, sym);
                ev.trade = (cpe_trade_t){
                    .ts_ms = t, .price = px, .qty = q, .side = !strcmp(side, "Buy") ? +1 : -1};
            }
            if ((rc = sink(ctx, &ev))) goto out;
        }
    } else if (!strncmp(topic, "orderbook.", 10)) {
        const char *type = exj_get_str(j, "type");
        if (!type || strcmp(type, "snapshot")) goto out;
        exj_event_init(&ev, CPE_DK_BOOK, m, sym);
        if (exj_get_i64(j, "ts", &ev.point.ts_ms) ||
            exj_book_depth(json_object_get(data, "b"), json_object_get(data, "a"), &ev.point))
            goto bad;
        rc = sink(ctx, &ev);
    } else if (!strncmp(topic, "tickers.", 8)) {
        int64_t ts = 0;
        exj_get_i64(j, "ts", &ts);
        double v;
        if (!exj_get_num(data, "fundingRate", &v)) {
            exj_event_init(&ev, CPE_DK_FUNDING, m, sym);
            ev.point.v[0] = v;
            ev.point.v[1] = 0;
            if (exj_get_i64(data, "nextFundingTime", &ev.point.ts_ms)) goto bad;
            if ((rc = sink(ctx, &ev))) goto out;
        }
        if (!exj_get_num(data, "openInterest", &v)) {
            exj_event_init(&ev, CPE_DK_OI, m, sym);
            ev.point.ts_ms = ts;
            ev.point.v[0] = v;
            double val;
            if (!exj_get_num(data, "openInterestValue", &val)) ev.point.v[1] = val;
            rc = sink(ctx, &ev);
        }
    } else {
        goto bad;
    }
    goto out;
bad:
    rc = cpe_diag_set(d, CPE_EPARSE, "bybit ws: malformed '%s' message", topic ? topic : "?");
out:
    json_decref(j);
    return rc;
}

static void rate_header(const char *name, const char *value, cpe_rate_info_t *ri)
{
    if (!strcmp(name, "x-bapi-limit-status"))
        ri->remaining = exj_header_num(value);
    else if (!strcmp(name, "x-bapi-limit"))
        ri->limit = exj_header_num(value);
    else if (!strcmp(name, "x-bapi-limit-reset-timestamp")) {
        double t = exj_header_num(value);
        if (t >= 0) ri->reset_ms = (int64_t)t;
    } else if (!strcmp(name, "retry-after"))
        exj_retry_after(value, ri);
}

const cpe_exchange_t cpe_exchange_bybit = {
    .name = CPE_EX_BYBIT_NAME,
    .rest_base = {"https://api.bybit.com", "https://api.bybit.com"},
    .ws_base = {"wss://stream.bybit.com", "wss://stream.bybit.com"},
    .rest_per_min = 100, /* spec 9.1: 120 req/min, with margin */
    .kline_page = 1000,
    .rest_path = rest_path,
    .parse_rest = parse_rest,
    .ws_path = ws_path,
    .ws_subscribe = ws_subscribe,
    .parse_ws = parse_ws,
    .ws_ping = "{\"op\":\"ping\"}",
    .ws_ping_ms = 20000,
    .rate_header = rate_header,
};
