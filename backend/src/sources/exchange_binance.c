/*
 * exchange_binance.c — Binance spot and USDT-M futures, public endpoints only.
 *
 * REST (weights per the exchange docs; X-MBX-USED-WEIGHT-1M reports the used weight,
 * 429 / 418 carry Retry-After):
 *   spot klines   GET /api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=&endTime=&limit=1000
 *   perp klines   GET /fapi/v1/klines?... (same query)
 *       -> [[openTime, "o", "h", "l", "c", "v", closeTime, "quoteVol", trades,
 *            "takerBuyBase", "takerBuyQuote", "ignore"], ...]
 *   funding       GET /fapi/v1/fundingRate?symbol=&startTime=&endTime=&limit=1000
 *       -> [{"symbol", "fundingRate": "0.0001", "fundingTime": ms, "markPrice"}, ...]
 *   open interest GET
 * /futures/data/openInterestHist?symbol=&period=5m&startTime=&endTime=&limit=500
 *       -> [{"symbol", "sumOpenInterest": "base", "sumOpenInterestValue": "quote", "timestamp":
 * ms}] agg trades    GET /api/v3/aggTrades | /fapi/v1/aggTrades
 * ?symbol=&startTime=&endTime=&limit=1000
 *       -> [{"a": id, "p": "px", "q": "qty", "f", "l", "T": ms, "m": buyerIsMaker}, ...]
 *   depth         GET /api/v3/depth | /fapi/v1/depth ?symbol=&limit=500
 *       -> {"lastUpdateId", "bids": [["px", "qty"]], "asks": [...]}
 *   (liquidation history has no public REST endpoint: CPE_EUNSUPPORTED)
 * WebSocket (combined streams in the path, so no subscribe message):
 *   spot
 * wss://stream.binance.com:9443/stream?streams=btcusdt@kline_1m/btcusdt@aggTrade/btcusdt@depth20@1000ms
 *   perp wss://fstream.binance.com/stream?streams=btcusdt@kline_1m/btcusdt@aggTrade/
 *        btcusdt@markPrice@1s/btcusdt@forceOrder/btcusdt@depth20@500ms
 *   frames {"stream": "...", "data": {...}} with data:
 *     {"e":"kline","E":ms,"s":"BTCUSDT","k":{"t":open,"T":close,"i":"1m","o","h","l","c","v",
 *       "n":trades,"x":closed,"q":quoteVol,"V":takerBuyBase,"Q":takerBuyQuote}}
 *     {"e":"aggTrade","s","p","q","T":ms,"m":buyerIsMaker}        (m true = aggressive sell)
 *     {"e":"markPriceUpdate","s","p":mark,"r":fundingRate,"T":nextFundingTime,"E":ms}
 *     {"e":"forceOrder","o":{"s","S":"SELL"|"BUY","q","p","ap","z":filled,"T":ms}}
 *                                     (S = SELL: a long was liquidated)
 *     {"e":"depthUpdate","b":[[px,qty]],"a":[...],"E":ms}  (futures partial depth)
 *     {"lastUpdateId", "bids", "asks"}                      (spot partial depth)
 */
#include "cpe/exchange.h"
#include "sources/exjson.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rest_path(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, int64_t from,
                     int64_t to, char *out, size_t cap)
{
    const char *pfx = m == CPE_SPOT ? "/api/v3" : "/fapi/v1";
    int n;
    switch (kind) {
    case CPE_DK_KLINE:
        n = snprintf(out, cap,
                     "%s/klines?symbol=%s&interval=1m&startTime=%lld&endTime=%lld&limit=1000", pfx,
                     sym, (long long)from, (long long)(to - 1));
        break;
    case CPE_DK_TRADE:
        n = snprintf(out, cap, "%s/aggTrades?symbol=%s&startTime=%lld&endTime=%lld&limit=1000", pfx,
                     sym, (long long)from, (long long)(to - 1));
        break;
    case CPE_DK_BOOK:
        n = snprintf(out, cap, "%s/depth?symbol=%s&limit=500", pfx, sym);
        break;
    case CPE_DK_FUNDING:
        if (m != CPE_PERP) return CPE_EUNSUPPORTED;
        n = snprintf(out, cap,
                     "/fapi/v1/fundingRate?symbol=%s&startTime=%lld&endTime=%lld&limit=1000", sym,
                     (long long)from, (long long)(to - 1));
        break;
    case CPE_DK_OI:
        if (m != CPE_PERP) return CPE_EUNSUPPORTED;
        n = snprintf(out, cap,
                     "/futures/data/"
                     "openInterestHist?symbol=%s&period=5m&startTime=%lld&endTime=%lld&limit=500",
                     sym, (long long)from, (long long)(to - 1));
        break;
    default:
        return CPE_EUNSUPPORTED;
    }
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

static int emit_kline_array(const json_t *row, cpe_market_kind_t m, const char *sym,
                            cpe_event_sink_fn sink, void *ctx)
{
    cpe_market_event_t ev;
    exj_event_init(&ev, CPE_DK_KLINE, m, sym);
    cpe_kline_t *k = &ev.kline;
    if (!json_is_array(row) || json_array_size(row) < 11) return CPE_EPARSE;
    int64_t close_ms;
    if (exj_i64(json_array_get(row, 0), &k->ts_ms) || exj_num(json_array_get(row, 1), &k->open) ||
        exj_num(json_array_get(row, 2), &k->high) || exj_num(json_array_get(row, 3), &k->low) ||
        exj_num(json_array_get(row, 4), &k->close) || exj_num(json_array_get(row, 5), &k->volume) ||
        exj_i64(json_array_get(row, 6), &close_ms) ||
        exj_num(json_array_get(row, 7), &k->quote_volume) ||
        exj_num(json_array_get(row, 8), &k->trades) ||
        exj_num(json_array_get(row, 9), &k->taker_buy_base) ||
        exj_num(json_array_get(row, 10), &k->taker_buy_quote))
        return CPE_EPARSE;
    if (!exj_kline_ok(k)) return CPE_EPARSE;
    ev.closed = 1; /* REST rows are final except possibly the current minute: the caller
                      drops rows whose close time is in the future */
    (void)close_ms;
    return sink(ctx, &ev);
}

static int parse_rest(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, const char *body,
                      size_t len, cpe_event_sink_fn sink, void *ctx, cpe_diag_t *d)
{
    json_t *j = exj_load(CPE_EX_BINANCE_NAME, body, len, d);
    if (!j) return CPE_EPARSE;
    int rc = 0;
    size_t i;
    json_t *row;
    cpe_market_event_t ev;
    if (kind == CPE_DK_BOOK) {
        exj_event_init(&ev, CPE_DK_BOOK, m, sym);
        rc = exj_book_depth(json_object_get(j, "bids"), json_object_get(j, "asks"), &ev.point);
        if (rc)
            rc = cpe_diag_set(d, CPE_EPARSE, "binance: malformed depth snapshot");
        else
            rc = sink(ctx, &ev);
        goto out;
    }
    if (!json_is_array(j)) {
        rc = cpe_diag_set(d, CPE_EPARSE, "binance: %s response is not an array",
                          cpe_data_kind_name(kind));
        goto out;
    }
    json_array_foreach(j, i, row)
    {
        switch (kind) {
        case CPE_DK_KLINE:
            rc = emit_kline_array(row, m, sym, sink, ctx);
            break;
        case CPE_DK_FUNDING:
            exj_event_init(&ev, CPE_DK_FUNDING, m, sym);
            rc = exj_get_num(row, "fundingRate", &ev.point.v[0]) ||
                 exj_get_i64(row, "fundingTime", &ev.point.ts_ms);
            ev.point.v[1] = 1;
            if (!rc) rc = sink(ctx, &ev);
            break;
        case CPE_DK_OI:
            exj_event_init(&ev, CPE_DK_OI, m, sym);
            rc = exj_get_num(row, "sumOpenInterest", &ev.point.v[0]) ||
                 exj_get_num(row, "sumOpenInterestValue", &ev.point.v[1]) ||
                 exj_get_i64(row, "timestamp", &ev.point.ts_ms);
            if (!rc) rc = sink(ctx, &ev);
            break;
        case CPE_DK_TRADE:
            exj_event_init(&ev, CPE_DK_TRADE, m, sym);
            rc = exj_get_num(row, "p", &ev.trade.price) || exj_get_num(row, "q", &ev.trade.qty) ||
                 exj_get_i64(row, "T", &ev.trade.ts_ms) ||
                 !json_is_boolean(json_object_get(row, "m"));
            ev.trade.side = json_is_true(json_object_get(row, "m")) ? -1 : +1;
            if (!rc) rc = sink(ctx, &ev);
            break;
        default:
            rc = cpe_diag_set(d, CPE_EUNSUPPORTED, "binance: no REST parser for %s",
                              cpe_data_kind_name(kind));
        }
        if (rc) {
            if (rc > 0 || rc == CPE_EPARSE) {
                rc = cpe_diag_set(d, CPE_EPARSE, "binance: %s row %zu is malformed",
                                  cpe_data_kind_name(kind), i);
            }
            goto out;
        }
    }
out:
    json_decref(j);
    return rc;
}

static int ws_path(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    char s[32];
    size_t n = 0;
    for (; sym[n] && n < sizeof s - 1; n++)
        s[n] = (char)tolower((unsigned char)sym[n]);
    s[n] = 0;
    size_t len = (size_t)snprintf(out, cap, "/stream?streams=");
    const char *sep = "";
#define ADD(fmt)                                                                                   \
    do {                                                                                           \
        int w = snprintf(out + len, cap - len, "%s" fmt, sep, s);                                  \
        if (w < 0 || (size_t)w >= cap - len) return CPE_ETOOBIG;                                   \
        len += (size_t)w;                                                                          \
        sep = "/";                                                                                 \
    } while (0)
    if (kinds & (1u << CPE_DK_KLINE)) ADD("%s@kline_1m");
    if (kinds & (1u << CPE_DK_TRADE)) ADD("%s@aggTrade");
    if (m == CPE_PERP && (kinds & (1u << CPE_DK_FUNDING))) ADD("%s@markPrice@1s");
    if (m == CPE_PERP && (kinds & (1u << CPE_DK_LIQ))) ADD("%s@forceOrder");
    if (kinds & (1u << CPE_DK_BOOK)) {
        if (m == CPE_PERP)
            ADD("%s@depth20@500ms");
        else
            ADD("%s@depth20@1000ms");
    }
#undef ADD
    return 0;
}

static int ws_subscribe(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    (void)m, (void)sym, (void)kinds;
    if (cap) out[0] = 0; /* streams are named in the path */
    return 0;
}

static int parse_ws(cpe_market_kind_t m, const char *msg, size_t len, cpe_event_sink_fn sink,
                    void *ctx, cpe_diag_t *d)
{
    json_t *root = exj_load("binance ws", msg, len, d);
    if (!root) return CPE_EPARSE;
    json_t *j = json_object_get(root, "data");
    if (!j) j = root;
    int rc = 0;
    cpe_market_event_t ev;
    const char *e = exj_get_str(j, "e");
    const char *sym = exj_get_str(j, "s");
    if (!e) {
        if (json_object_get(j, "result") || json_object_get(j, "id")) goto out; /* ack */
        if (json_object_get(j, "bids") && json_object_get(j, "asks")) {
            /* spot partial depth has no symbol: it comes from the stream name */
            const char *stream = exj_get_str(root, "stream");
            char s[32] = "";
            if (stream) {
                size_t k = 0;
                for (; stream[k] && stream[k] != '@' && k < sizeof s - 1; k++)
                    s[k] = (char)toupper((unsigned char)stream[k]);
                s[k] = 0;
            }
            exj_event_init(&ev, CPE_DK_BOOK, m, s);
            ev.point.ts_ms = 0; /* the runtime stamps it with the receive time */
            rc = exj_book_depth(json_object_get(j, "bids"), json_object_get(j, "asks"), &ev.point);
            if (rc)
                rc = cpe_diag_set(d, CPE_EPARSE, "binance ws: malformed depth snapshot");
            else
                rc = sink(ctx, &ev);
            goto out;
        }
        rc = cpe_diag_set(d, CPE_EPARSE, "binance ws: message of unknown shape (no 'e')");
        goto out;
    }
    if (!strcmp(e, "kline")) {
        json_t *k = json_object_get(j, "k");
        exj_event_init(&ev, CPE_DK_KLINE, m, sym ? sym : "");
        cpe_kline_t *kl = &ev.kline;
        rc = exj_get_i64(k, "t", &kl->ts_ms) || exj_get_num(k, "o", &kl->open) ||
             exj_get_num(k, "h", &kl->high) || exj_get_num(k, "l", &kl->low) ||
             exj_get_num(k, "c", &kl->close) || exj_get_num(k, "v", &kl->volume) ||
             exj_get_num(k, "q", &kl->quote_volume) || exj_get_num(k, "n", &kl->trades) ||
             exj_get_num(k, "V", &kl->taker_buy_base) ||
             exj_get_num(k, "Q", &kl->taker_buy_quote) ||
             !json_is_boolean(json_object_get(k, "x")) || !exj_kline_ok(kl);
        ev.closed = json_is_true(json_object_get(k, "x"));
    } else if (!strcmp(e, "aggTrade")) {
        exj_event_init(&ev, CPE_DK_TRADE, m, sym ? sym : "");
        rc = exj_get_num(j, "p", &ev.trade.price) || exj_get_num(j, "q", &ev.trade.qty) ||
             exj_get_i64(j, "T", &ev.trade.ts_ms) || !json_is_boolean(json_object_get(j, "m"));
        ev.trade.side = json_is_true(json_object_get(j, "m")) ? -1 : +1;
    } else if (!strcmp(e, "markPriceUpdate")) {
        exj_event_init(&ev, CPE_DK_FUNDING, m, sym ? sym : "");
        rc = exj_get_num(j, "r", &ev.point.v[0]) || exj_get_i64(j, "T", &ev.point.ts_ms);
        ev.point.v[1] = 0; /* an estimate for the next funding time, not yet settled */
    } else if (!strcmp(e, "forceOrder")) {
        json_t *o = json_object_get(j, "o");
        const char *side = exj_get_str(o, "S");
        exj_event_init(&ev, CPE_DK_LIQ, m, exj_get_str(o, "s") ? exj_get_str(o, "s") : "");
        double ap = NAN;
        rc = !side || exj_get_num(o, "p", &ev.liq.price) || exj_get_num(o, "q", &ev.liq.qty) ||
             exj_get_i64(o, "T", &ev.liq.ts_ms);
        if (!exj_get_num(o, "ap", &ap) && ap > 0) ev.liq.price = ap;
        double z;
        if (!exj_get_num(o, "z", &z) && z > 0) ev.liq.qty = z;
        ev.liq.side = side && !strcmp(side, "SELL") ? +1 : -1;
    } else if (!strcmp(e, "depthUpdate")) {
        exj_event_init(&ev, CPE_DK_BOOK, m, sym ? sym : "");
        rc = exj_get_i64(j, "E", &ev.point.ts_ms) ||
             exj_book_depth(json_object_get(j, "b"), json_object_get(j, "a"), &ev.point);
    } else {
        rc = CPE_EPARSE;
    }
    if (rc) {
        rc = cpe_diag_set(d, CPE_EPARSE, "binance ws: malformed '%s' message", e);
        goto out;
    }
    rc = sink(ctx, &ev);
out:
    json_decref(root);
    return rc;
}

static void rate_header(const char *name, const char *value, cpe_rate_info_t *ri)
{
    if (!strcmp(name, "x-mbx-used-weight-1m")) {
        ri->used = exj_header_num(value);
        ri->limit = 1200; /* the public weight limit per minute of the docs (spec 9.1) */
    } else if (!strcmp(name, "retry-after")) {
        exj_retry_after(value, ri);
    }
}

const cpe_exchange_t cpe_exchange_binance = {
    .name = CPE_EX_BINANCE_NAME,
    .rest_base = {"https://api.binance.com", "https://fapi.binance.com"},
    .ws_base = {"wss://stream.binance.com:9443", "wss://fstream.binance.com"},
    .rest_per_min = 600, /* half the documented 1200 weight/min: margin for shared IPs */
    .kline_page = 1000,
    .rest_path = rest_path,
    .parse_rest = parse_rest,
    .ws_path = ws_path,
    .ws_subscribe = ws_subscribe,
    .parse_ws = parse_ws,
    .rate_header = rate_header,
};
