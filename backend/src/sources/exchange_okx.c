/*
 * exchange_okx.c — OKX v5 public market data, the tertiary source (spec 9.3).
 *
 * Instruments: BTCUSDT -> spot "BTC-USDT", perp "BTC-USDT-SWAP" (cpe_exchange_symbol()).
 * Swap sizes are in contracts; ctval() converts them to base units with the asset's
 * contract value from the universe table (cpe/universe.h: the exchange's published
 * contract values; 1 for an asset without a row).
 * REST (base https://www.okx.com; 20 req / 2 s per endpoint):
 *   candles GET /api/v5/market/history-candles?instId=&bar=1m&after=<to>&before=<from-1>&limit=100
 *     -> {"code":"0","data":[["ts","o","h","l","c","vol","volCcy","volCcyQuote","confirm"],...]}
 *        newest first; base volume = vol (spot) or volCcy (swap); quote = volCcyQuote.
 *   funding GET /api/v5/public/funding-rate-history?instId=&before=&after=&limit=100
 *     -> {"data":[{"fundingRate","fundingTime","realizedRate"}]}
 *   OI      GET /api/v5/public/open-interest?instType=SWAP&instId=   (current value only)
 *     -> {"data":[{"oi":contracts,"oiCcy":base,"ts"}]}
 *   trades  GET /api/v5/market/trades?instId=&limit=500 -> {"data":[{"px","sz","side","ts"}]}
 *   book    GET /api/v5/market/books?instId=&sz=400 ->
 * {"data":[{"bids":[[px,sz,..]],"asks":[],"ts"}]} "code" other than "0" is an error. WebSocket:
 * candles on wss://ws.okx.com:8443/ws/v5/business, the rest on /ws/v5/public; subscribe
 * {"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT-SWAP"}, ...]} channels
 * candle1m, trades, funding-rate, open-interest, liquidation-orders (instType SWAP), books5. Frames
 * {"arg":{"channel","instId"},"data":[...]}; events {"event":"subscribe"}. liquidation-orders: data
 * [{"instId","details":[{"side":"sell","posSide":"long","bkPx","sz","ts"}]}] (posSide long = a long
 * was liquidated; in net mode side sell = long liquidated).
 */
#include "cpe/exchange.h"
#include "sources/exjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Binance form <-> instId ("BTC-USDT", "BTC-USDT-SWAP"): the universe's symbol rule. */
static void inst_id(cpe_market_kind_t m, const char *sym, char *out, size_t cap)
{
    cpe_exchange_symbol(CPE_EX_OKX, m, sym, out, cap);
}

static void symbol_of(const char *inst, char *out, size_t cap)
{
    cpe_exchange_symbol_back(CPE_EX_OKX, inst, out, cap);
}

/* Base units per swap contract: the universe's contract value of the asset. */
static double ctval(const char *sym)
{
    char asset[CPE_ASSET_NAME_MAX];
    cpe_asset_t a;
    cpe_symbol_to_asset(sym, asset, sizeof asset);
    return cpe_asset_params(asset, &a, NULL) ? 1.0 : a.contract_value;
}

static int rest_path(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, int64_t from,
                     int64_t to, char *out, size_t cap)
{
    char id[48];
    inst_id(m, sym, id, sizeof id);
    int n;
    switch (kind) {
    case CPE_DK_KLINE:
        n = snprintf(
            out, cap,
            "/api/v5/market/history-candles?instId=%s&bar=1m&after=%lld&before=%lld&limit=100", id,
            (long long)to, (long long)(from - 1));
        break;
    case CPE_DK_FUNDING:
        if (m != CPE_PERP) return CPE_EUNSUPPORTED;
        n = snprintf(
            out, cap,
            "/api/v5/public/funding-rate-history?instId=%s&after=%lld&before=%lld&limit=100", id,
            (long long)to, (long long)(from - 1));
        break;
    case CPE_DK_OI:
        if (m != CPE_PERP) return CPE_EUNSUPPORTED;
        n = snprintf(out, cap, "/api/v5/public/open-interest?instType=SWAP&instId=%s", id);
        break;
    case CPE_DK_TRADE:
        n = snprintf(out, cap, "/api/v5/market/trades?instId=%s&limit=500", id);
        break;
    case CPE_DK_BOOK:
        n = snprintf(out, cap, "/api/v5/market/books?instId=%s&sz=400", id);
        break;
    default:
        return CPE_EUNSUPPORTED;
    }
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

static int candle(const json_t *row, cpe_market_kind_t m, cpe_market_event_t *ev)
{
    cpe_kline_t *k = &ev->kline;
    if (!json_is_array(row) || json_array_size(row) < 9) return CPE_EPARSE;
    if (exj_i64(json_array_get(row, 0), &k->ts_ms) || exj_num(json_array_get(row, 1), &k->open) ||
        exj_num(json_array_get(row, 2), &k->high) || exj_num(json_array_get(row, 3), &k->low) ||
        exj_num(json_array_get(row, 4), &k->close) ||
        exj_num(json_array_get(row, m == CPE_PERP ? 6 : 5), &k->volume) ||
        exj_num(json_array_get(row, 7), &k->quote_volume))
        return CPE_EPARSE;
    const char *confirm = json_string_value(json_array_get(row, 8));
    ev->closed = confirm && !strcmp(confirm, "1");
    return exj_kline_ok(k) ? 0 : CPE_EPARSE;
}

/* The book's sizes are contracts on swaps: scale the depth to base units. */
static int book(const json_t *obj, cpe_market_kind_t m, const char *sym, cpe_market_event_t *ev)
{
    if (exj_get_i64(obj, "ts", &ev->point.ts_ms) ||
        exj_book_depth(json_object_get(obj, "bids"), json_object_get(obj, "asks"), &ev->point))
        return CPE_EPARSE;
    if (m == CPE_PERP)
        for (int i = 0; i < 6; i++)
            ev->point.v[i] *= ctval(sym);
    return 0;
}

static int parse_rest(cpe_data_kind_t kind, cpe_market_kind_t m, const char *sym, const char *body,
                      size_t len, cpe_event_sink_fn sink, void *ctx, cpe_diag_t *d)
{
    json_t *j = exj_load(CPE_EX_OKX_NAME, body, len, d);
    if (!j) return CPE_EPARSE;
    int rc = 0;
    const char *code = exj_get_str(j, "code");
    json_t *data = json_object_get(j, "data");
    if (!code || strcmp(code, "0") || !json_is_array(data)) {
        const char *msg = exj_get_str(j, "msg");
        rc = cpe_diag_set(d, CPE_ENET, "okx: error %s: %s", code ? code : "?",
                          msg ? msg : "no data");
        goto out;
    }
    for (size_t n = json_array_size(data); n-- > 0;) { /* newest first -> oldest first */
        json_t *row = json_array_get(data, n);
        cpe_market_event_t ev;
        int bad = 0;
        exj_event_init(&ev, kind, m, sym);
        switch (kind) {
        case CPE_DK_KLINE:
            bad = candle(row, m, &ev) != 0;
            break;
        case CPE_DK_FUNDING: {
            double realized;
            bad = exj_get_num(row, "fundingRate", &ev.point.v[0]) ||
                  exj_get_i64(row, "fundingTime", &ev.point.ts_ms);
            if (!exj_get_num(row, "realizedRate", &realized)) ev.point.v[0] = realized;
            ev.point.v[1] = 1;
            break;
        }
        case CPE_DK_OI:
            bad = exj_get_num(row, "oiCcy", &ev.point.v[0]) ||
                  exj_get_i64(row, "ts", &ev.point.ts_ms);
            break;
        case CPE_DK_TRADE: {
            const char *side = exj_get_str(row, "side");
            bad = !side || exj_get_num(row, "px", &ev.trade.price) ||
                  exj_get_num(row, "sz", &ev.trade.qty) || exj_get_i64(row, "ts", &ev.trade.ts_ms);
            ev.trade.side = side && !strcmp(side, "buy") ? +1 : -1;
            if (m == CPE_PERP) ev.trade.qty *= ctval(sym);
            break;
        }
        case CPE_DK_BOOK:
            bad = book(row, m, sym, &ev) != 0;
            break;
        default:
            rc = cpe_diag_set(d, CPE_EUNSUPPORTED, "okx: no REST parser for %s",
                              cpe_data_kind_name(kind));
            goto out;
        }
        if (bad) {
            rc = cpe_diag_set(d, CPE_EPARSE, "okx: %s row %zu is malformed",
                              cpe_data_kind_name(kind), n);
            goto out;
        }
        if ((rc = sink(ctx, &ev))) goto out;
    }
out:
    json_decref(j);
    return rc;
}

static int ws_split(cpe_market_kind_t m, unsigned kinds, unsigned groups[4])
{
    (void)m;
    int n = 0;
    if (kinds & (1u << CPE_DK_KLINE)) groups[n++] = 1u << CPE_DK_KLINE;
    if (kinds & ~(1u << CPE_DK_KLINE)) groups[n++] = kinds & ~(1u << CPE_DK_KLINE);
    return n;
}

static int ws_path(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    (void)m, (void)sym;
    int n = snprintf(out, cap, "/ws/v5/%s", kinds == (1u << CPE_DK_KLINE) ? "business" : "public");
    return (n < 0 || (size_t)n >= cap) ? CPE_ETOOBIG : 0;
}

static int ws_subscribe(cpe_market_kind_t m, const char *sym, unsigned kinds, char *out, size_t cap)
{
    char id[48];
    inst_id(m, sym, id, sizeof id);
    size_t len = (size_t)snprintf(out, cap, "{\"op\":\"subscribe\",\"args\":[");
    const char *sep = "";
#define ADD(chan)                                                                                  \
    do {                                                                                           \
        int w = snprintf(out + len, cap - len, "%s{\"channel\":\"" chan "\",\"instId\":\"%s\"}",   \
                         sep, id);                                                                 \
        if (w < 0 || (size_t)w >= cap - len) return CPE_ETOOBIG;                                   \
        len += (size_t)w;                                                                          \
        sep = ",";                                                                                 \
    } while (0)
    if (kinds & (1u << CPE_DK_KLINE)) ADD("candle1m");
    if (kinds & (1u << CPE_DK_TRADE)) ADD("trades");
    if (kinds & (1u << CPE_DK_BOOK)) ADD("books5");
    if (m == CPE_PERP && (kinds & (1u << CPE_DK_FUNDING))) ADD("funding-rate");
    if (m == CPE_PERP && (kinds & (1u << CPE_DK_OI))) ADD("open-interest");
#undef ADD
    if (m == CPE_PERP && (kinds & (1u << CPE_DK_LIQ))) {
        int w = snprintf(out + len, cap - len,
                         "%s{\"channel\":\"liquidation-orders\",\"instType\":\"SWAP\"}", sep);
        if (w < 0 || (size_t)w >= cap - len) return CPE_ETOOBIG;
        len += (size_t)w;
    }
    int w = snprintf(out + len, cap - len, "]}");
    return (w < 0 || (size_t)w >= cap - len) ? CPE_ETOOBIG : 0;
}

static int parse_ws(cpe_market_kind_t m, const char *msg, size_t len, cpe_event_sink_fn sink,
                    void *ctx, cpe_diag_t *d)
{
    if (len == 4 && !memcmp(msg, "pong", 4)) return 0;
    json_t *j = exj_load("okx ws", msg, len, d);
    if (!j) return CPE_EPARSE;
    int rc = 0;
    json_t *arg = json_object_get(j, "arg");
    json_t *data = json_object_get(j, "data");
    const char *chan = exj_get_str(arg, "channel");
    if (!chan || !data) {
        if (!exj_get_str(j, "event"))
            rc = cpe_diag_set(d, CPE_EPARSE, "okx ws: message has no channel");
        goto out;
    }
    if (!json_is_array(data)) goto bad;
    char sym[32] = "";
    const char *inst = exj_get_str(arg, "instId");
    if (inst) symbol_of(inst, sym, sizeof sym);
    size_t i;
    json_t *row;
    json_array_foreach(data, i, row)
    {
        cpe_market_event_t ev;
        if (!strcmp(chan, "candle1m")) {
            exj_event_init(&ev, CPE_DK_KLINE, m, sym);
            if (candle(row, m, &ev)) goto bad;
        } else if (!strcmp(chan, "trades")) {
            const char *side = exj_get_str(row, "side");
            exj_event_init(&ev, CPE_DK_TRADE, m, sym);
            if (!side || exj_get_num(row, "px", &ev.trade.price) ||
                exj_get_num(row, "sz", &ev.trade.qty) || exj_get_i64(row, "ts", &ev.trade.ts_ms))
                goto bad;
            ev.trade.side = !strcmp(side, "buy") ? +1 : -1;
            if (m == CPE_PERP) ev.trade.qty *= ctval(sym);
        } else if (!strcmp(chan, "funding-rate")) {
            exj_event_init(&ev, CPE_DK_FUNDING, m, sym);
            if (exj_get_num(row, "fundingRate", &ev.point.v[0]) ||
                exj_get_i64(row, "fundingTime", &ev.point.ts_ms))
                goto bad;
            ev.point.v[1] = 0;
        } else if (!strcmp(chan, "open-interest")) {
            exj_event_init(&ev, CPE_DK_OI, m, sym);
            if (exj_get_num(row, "oiCcy", &ev.point.v[0]) ||
                exj_get_i64(row, "ts", &ev.point.ts_ms))
                goto bad;
        } else if (!strcmp(chan, "books5")) {
            exj_event_init(&ev, CPE_DK_BOOK, m, sym);
            if (book(row, m, sym, &ev)) goto bad;
        } else if (!strcmp(chan, "liquidation-orders")) {
            const char *rid = exj_get_str(row, "instId");
            char rs[32] = "";
            if (rid) symbol_of(rid, rs, sizeof rs);
            json_t *det = json_object_get(row, "details");
            size_t k;
            json_t *x;
            if (!json_is_array(det)) goto bad;
            json_array_foreach(det, k, x)
            {
                const char *side = exj_get_str(x, "side"), *pos = exj_get_str(x, "posSide");
                exj_event_init(&ev, CPE_DK_LIQ, m, rs);
                if (!side || exj_get_num(x, "bkPx", &ev.liq.price) ||
                    exj_get_num(x, "sz", &ev.liq.qty) || exj_get_i64(x, "ts", &ev.liq.ts_ms))
                    goto bad;
                int long_liq =
                    pos && strcmp(pos, "net") ? !strcmp(pos, "long") : !strcmp(side, "sell");
                ev.liq.side = long_liq ? +1 : -1;
                ev.liq.qty *= ctval(rs);
                if ((rc = sink(ctx, &ev))) goto out;
            }
            continue;
        } else {
            goto bad;
        }
        if ((rc = sink(ctx, &ev))) goto out;
    }
    goto out;
bad:
    rc = cpe_diag_set(d, CPE_EPARSE, "okx ws: malformed '%s' message", chan ? chan : "?");
out:
    json_decref(j);
    return rc;
}

const cpe_exchange_t cpe_exchange_okx = {
    .name = CPE_EX_OKX_NAME,
    .rest_base = {"https://www.okx.com", "https://www.okx.com"},
    .ws_base = {"wss://ws.okx.com:8443", "wss://ws.okx.com:8443"},
    .rest_per_min = 300, /* 20 requests per 2 s per endpoint, with margin */
    .kline_page = 100,
    .rest_path = rest_path,
    .parse_rest = parse_rest,
    .ws_split = ws_split,
    .ws_path = ws_path,
    .ws_subscribe = ws_subscribe,
    .parse_ws = parse_ws,
    .ws_ping = "ping",
    .ws_ping_ms = 20000,
    .rate_header = exj_rate_header_retry_after, /* no rate headers: Retry-After only */
};
