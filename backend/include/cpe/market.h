/*
 * market.h — the market data model: instruments, raw events, and the bar the pipeline uses.
 *
 * Instruments are named by a key "exchange:kind:SYMBOL", e.g. "binance:spot:BTCUSDT",
 * "binance:perp:ETHUSDT", "sim:perp:BTCUSDT". Named series that belong to no exchange
 * (on-chain, sentiment, macro) use the exchange "series": "series:BTC:exchange_reserves".
 * An "asset" in the API ("BTC") maps to the symbol "BTCUSDT".
 *
 * Time: every event carries ts_ms (ms since epoch, UTC). Klines and bars are indexed by
 * their OPEN time and become known at open + interval (their close). Values that are
 * absent are NaN, never zero and never invented.
 *
 * Events                               stored as kind        values (cpe_point_t.v[])
 * ------------------------------------ --------------------- ------------------------------
 * kline (OHLCV + taker buy)            "kline:<interval>"    (klines have their own table)
 * trade (price, qty, aggressor)        "trade"               price, qty, side(+1 buy/-1 sell)
 * funding (rate at funding time)       "funding"             rate
 * open interest                        "oi"                  contracts, notional
 * liquidation (side, price, qty)       "liq"                 side(+1 long liq'd/-1 short), price,
 * qty long/short account ratio             "lsr"                 ratio, long_share, short_share
 * book snapshot depth within x% of mid "book"                bid05, bid1, bid2, ask05, ask1, ask2
 * named numeric series                 "series:<name>"       value
 * premium index kline (close)          "premium"             open, high, low, close
 */
#ifndef CPE_MARKET_H
#define CPE_MARKET_H

#include <stddef.h>
#include <stdint.h>

#define CPE_INSTR_KEY_MAX 64

typedef enum cpe_market_kind { CPE_SPOT = 0, CPE_PERP = 1, CPE_SERIES = 2 } cpe_market_kind_t;

typedef struct cpe_instrument {
    char exchange[16]; /* "binance", "bybit", "okx", "sim", "series" */
    cpe_market_kind_t kind;
    char symbol[32]; /* "BTCUSDT", or the series' asset ("BTC") */
} cpe_instrument_t;

/* Parse "binance:spot:BTCUSDT"; 0 or CPE_EPARSE. */
int cpe_instrument_parse(const char *key, cpe_instrument_t *out);
/* Write the key into out (CPE_INSTR_KEY_MAX bytes). */
void cpe_instrument_key(const cpe_instrument_t *in, char out[CPE_INSTR_KEY_MAX]);
/* "BTC" -> "BTCUSDT"; a symbol that already ends in USDT is copied. */
void cpe_asset_to_symbol(const char *asset, char out[32]);
/* "BTCUSDT" -> "BTC" (what the API calls the asset); a name without USDT is copied. */
void cpe_symbol_to_asset(const char *symbol, char *out, size_t cap);

/* One kline as exchanges publish it. Indexed by open time. */
typedef struct cpe_kline {
    int64_t ts_ms;
    double open, high, low, close;
    double volume;          /* base asset */
    double quote_volume;    /* NaN when the source has none */
    double trades;          /* trade count, NaN when unknown */
    double taker_buy_base;  /* NaN when unknown */
    double taker_buy_quote; /* NaN when unknown */
} cpe_kline_t;

typedef struct cpe_trade {
    int64_t ts_ms;
    double price, qty;
    int side; /* +1 aggressive buy, -1 aggressive sell */
} cpe_trade_t;

typedef struct cpe_liquidation {
    int64_t ts_ms;
    int side; /* +1 a long was liquidated (forced sell), -1 a short (forced buy) */
    double price, qty;
} cpe_liquidation_t;

/* A generic stored observation: (series, ts, seq) -> up to 6 values (unused = NaN).
 * seq distinguishes several events with the same ts (liquidations, trades) so that
 * re-importing a file is idempotent. */
#define CPE_POINT_NV 6
typedef struct cpe_point {
    int64_t ts_ms;
    int32_t seq;
    double v[CPE_POINT_NV];
} cpe_point_t;

/*
 * The pipeline's bar: a kline plus market structure aggregated onto it.
 * Produced by the bar builder (from trades or klines + side series) and aggregated
 * from 1m to coarser intervals by cpe_bars_aggregate().
 */
typedef struct cpe_bar {
    int64_t ts_ms; /* open time */
    double open, high, low, close, volume, quote_volume, trades;
    double taker_buy_base, taker_buy_quote;
    double cvd_delta;   /* taker buy - taker sell, base units: 2*tb - v (NaN w/o tb) */
    double liq_long;    /* notional (quote) of longs liquidated in the bar, NaN w/o feed */
    double liq_short;   /* notional of shorts liquidated in the bar, NaN w/o feed */
    double oi;          /* open interest (notional) at close: latest available, NaN */
    double funding;     /* latest settled funding rate at close, NaN */
    double basis;       /* perp close / spot close - 1 at close, NaN */
    double large_quote; /* quote volume of trades > 100k USD (needs a tape), NaN */
} cpe_bar_t;

/* Initialise a bar from a kline; market-structure fields become NaN. */
void cpe_bar_from_kline(cpe_bar_t *b, const cpe_kline_t *k);

/* Interval names: "1m","5m","15m","1h","4h","1d","8h" <-> milliseconds. 0 / CPE_EINVAL.
 * The table is in universe.c (cpe/universe.h); so are the asset <-> symbol rules. */
int cpe_interval_parse(const char *s, int64_t *ms);
const char *cpe_interval_name(int64_t ms); /* NULL for an unnamed interval */

#endif
