/*
 * exchange.h — public market-data adapters for Binance, Bybit, OKX and Coinbase (spot only):
 * endpoints, request building and message parsing, with no I/O of their own.
 *
 * An adapter is a row of function pointers (cpe_exchange_t). The network runtime
 * (feed.h) asks it for REST URLs and WebSocket subscriptions, hands it every body or
 * frame it receives, and gets back normalised events through a sink callback. Keeping
 * the adapters pure makes them testable on fixtures written to the documented formats,
 * and lets the tests point the runtime at a local exchange double instead of the real
 * hosts (every base URL can be overridden, see cpe_exchange_base()).
 *
 * Data kinds (cpe_data_kind_t) are the unit of fallback: each kind has its own
 * primary -> secondary -> tertiary order (spec 9.3: Binance -> Bybit -> OKX) and its own
 * staleness limit (spec 16.3).
 *
 * Which exchanges exist, their names, order and symbol forms are rows of the universe
 * table (cpe/universe.h, CPE_EXCHANGE_LIST); cpe_exchanges()[id] is the adapter of
 * exchange id. Symbols are given in Binance form ("BTCUSDT"); each adapter maps them to
 * its own with cpe_exchange_symbol() (Bybit "BTCUSDT", OKX "BTC-USDT" spot /
 * "BTC-USDT-SWAP" perp). OKX sizes swap trades and liquidations in contracts: the adapter
 * converts to base units with the asset's contract value from the universe table.
 */
#ifndef CPE_EXCHANGE_H
#define CPE_EXCHANGE_H

#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/universe.h"

#include <stddef.h>
#include <stdint.h>

typedef enum cpe_data_kind {
    CPE_DK_KLINE = 0, /* 1m klines, in progress and closed */
    CPE_DK_TRADE,     /* aggressive trades (CVD, large trades) */
    CPE_DK_FUNDING,   /* funding rate (settled, or current estimate with next funding time) */
    CPE_DK_OI,        /* open interest */
    CPE_DK_LIQ,       /* liquidations */
    CPE_DK_BOOK,      /* order-book depth snapshot */
    CPE_DK_COUNT
} cpe_data_kind_t;

const char *cpe_data_kind_name(cpe_data_kind_t k);
/* Spec 16.3 staleness limits, ms: price 5 s, funding 60 s, OI 60 s, liquidations 10 s. */
int64_t cpe_data_kind_max_age_ms(cpe_data_kind_t k);

/* One normalised event. */
typedef struct cpe_market_event {
    cpe_data_kind_t kind;
    cpe_market_kind_t market; /* CPE_SPOT or CPE_PERP */
    char symbol[32];          /* Binance form */
    int closed;               /* klines: 1 when the bar is final */
    cpe_kline_t kline;        /* CPE_DK_KLINE */
    cpe_trade_t trade;        /* CPE_DK_TRADE */
    cpe_liquidation_t liq;    /* CPE_DK_LIQ */
    /* CPE_DK_FUNDING: ts_ms = funding time, v[0] = rate, v[1] = 1 if settled else 0.
     * CPE_DK_OI:      ts_ms, v[0] = contracts (base units), v[1] = notional (quote).
     * CPE_DK_BOOK:    ts_ms, v[0..5] = bid 0.5/1/2 %, ask 0.5/1/2 % depth (base). */
    cpe_point_t point;
} cpe_market_event_t;

typedef int (*cpe_event_sink_fn)(void *ctx, const cpe_market_event_t *ev);

/* Rate-limit facts read from a REST response. */
typedef struct cpe_rate_info {
    double used;            /* weight/requests used in the window (NaN when not sent) */
    double remaining;       /* requests left in the window (NaN when not sent) */
    double limit;           /* the window's limit (NaN when unknown) */
    int64_t reset_ms;       /* when the window resets (0 unknown) */
    int64_t retry_after_ms; /* from Retry-After on 418/429 (0 none) */
} cpe_rate_info_t;

typedef struct cpe_exchange {
    const char *name; /* cpe_exchange_name() of its universe row */
    /* Default REST and WebSocket bases, e.g. "https://fapi.binance.com". */
    const char *rest_base[2]; /* [CPE_SPOT], [CPE_PERP] */
    const char *ws_base[2];
    /* Requests per minute the adapter allows itself (spec 9.1, with margin). */
    double rest_per_min;
    /* Rows in a full page of klines (the limit= the request asks for). */
    int kline_page;
    /* Path+query of a REST request for kind over [from_ms, to_ms) (klines 1m). CPE_EUNSUPPORTED
     * when the exchange has no such endpoint for that market. */
    int (*rest_path)(cpe_data_kind_t kind, cpe_market_kind_t m, const char *symbol, int64_t from_ms,
                     int64_t to_ms, char *out, size_t cap);
    /* Parse a REST body for (kind, market, symbol); every event goes to sink. */
    int (*parse_rest)(cpe_data_kind_t kind, cpe_market_kind_t m, const char *symbol,
                      const char *body, size_t len, cpe_event_sink_fn sink, void *ctx,
                      cpe_diag_t *d);
    /* Split a mask of kinds into the groups that need separate connections (OKX serves
     * candles on another path); returns the number of groups. NULL: one group. Kinds in no
     * group are not streamed by this exchange for that market (Coinbase: no perp at all),
     * and the feed never falls back to it for them. */
    int (*ws_split)(cpe_market_kind_t m, unsigned kinds, unsigned groups[4]);
    /* WebSocket path (after the base) and the subscribe message (may be empty when the
     * subscription is in the path) for a symbol and a mask of kinds (1 << kind). */
    int (*ws_path)(cpe_market_kind_t m, const char *symbol, unsigned kinds, char *out, size_t cap);
    int (*ws_subscribe)(cpe_market_kind_t m, const char *symbol, unsigned kinds, char *out,
                        size_t cap);
    /* Parse one WebSocket text frame. Control frames (pong, subscription acks) are accepted
     * and produce no event. CPE_EPARSE for malformed JSON or a message of unknown shape. */
    int (*parse_ws)(cpe_market_kind_t m, const char *msg, size_t len, cpe_event_sink_fn sink,
                    void *ctx, cpe_diag_t *d);
    /* Application-level keep-alive text frame and its period (NULL: none needed). */
    const char *ws_ping;
    int64_t ws_ping_ms;
    /* Rate-limit headers: called per header line (name lower-case). */
    void (*rate_header)(const char *name, const char *value, cpe_rate_info_t *ri);
} cpe_exchange_t;

/* All fields unknown (NaN / 0). */
void cpe_rate_info_init(cpe_rate_info_t *ri);
/* Requests left in the current window as the exchange reported it, NaN when unknown. */
double cpe_rate_info_left(const cpe_rate_info_t *ri);

extern const cpe_exchange_t cpe_exchange_binance;
extern const cpe_exchange_t cpe_exchange_bybit;
extern const cpe_exchange_t cpe_exchange_okx;
extern const cpe_exchange_t cpe_exchange_coinbase;

/* The adapters in the universe's fallback order (spec 9.3), indexed by exchange id,
 * NULL-terminated (CPE_NEXCHANGES entries). */
const cpe_exchange_t *const *cpe_exchanges(void);
const cpe_exchange_t *cpe_exchange_find(const char *name);
/* Base URL after overrides: env CPE_<NAME>_REST_SPOT / _REST_PERP / _WS_SPOT / _WS_PERP
 * (e.g. CPE_BINANCE_REST_PERP=http://127.0.0.1:9001), else the adapter default. */
const char *cpe_exchange_base(const cpe_exchange_t *ex, int ws, cpe_market_kind_t m);

#endif
