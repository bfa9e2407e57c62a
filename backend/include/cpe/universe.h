/*
 * universe.h — the market universe: which assets, exchanges, horizons and intervals exist,
 * and the one rule that picks the stored series of an asset.
 *
 * Everything that names an asset, an exchange or a horizon reads these tables; nothing
 * else in backend/src writes "BTCUSDT", "binance" or {1, 4, 8, 24} as a literal
 * (tests/check_literals.sh fails the build's tests when something does).
 *
 * Exchanges, in the fallback order of spec 9.3 (CPE_EXCHANGE_LIST is the only copy):
 *
 *   id               name       symbol spot   symbol perp       (asset BTC, quote USDT)
 *   ---------------- ---------- ------------- -----------------
 *   CPE_EX_BINANCE   binance    BTCUSDT       BTCUSDT
 *   CPE_EX_BYBIT     bybit      BTCUSDT       BTCUSDT
 *   CPE_EX_OKX       okx        BTC-USDT      BTC-USDT-SWAP
 *   CPE_EX_COINBASE  coinbase   BTC-USDT      (none: spot only)
 *
 * The store names every instrument with the Binance form of the symbol ("okx:perp:BTCUSDT");
 * only an adapter speaks its exchange's form (cpe_exchange_symbol()). The simulator's
 * instruments use the exchange name CPE_SIM_EXCHANGE.
 *
 * Assets are CONFIGURED, not compiled in: env CPE_ASSETS="BTC,ETH,SOL" (or the serve
 * config file's CPE_ASSETS, applied with cpe_universe_configure()), default "BTC,ETH".
 * Each configured asset gets its row of the catalogue (tick, lot, OKX contract value,
 * simulator parameters) or, for an asset without one, the generic row, so any USDT pair
 * works given data. The quote is USDT for every asset.
 *
 * Thread safety: the configured table is built once, on first use, from the environment;
 * cpe_universe_configure() replaces it and may only be called before other threads start
 * (cpe serve calls it during setup). Readers get pointers into a table that then never
 * changes.
 *
 * The resolver (cpe_instrument_resolve): which stored series is an asset's. Candidates
 * are the sources in preference order — CPE_PREFER_REAL: the exchanges in fallback order,
 * then the simulator; CPE_PREFER_SIM: the simulator first — and, within a source, spot
 * before perp (or only the market asked for). A candidate qualifies when it has a kline
 * series whose interval divides the requested interval (the finest such). The first
 * candidate with bars in [from, to) wins; when none has, the first candidate with any bars
 * (in_window = 0). So real Binance data serves a window it covers and the simulator's
 * series the rest, side by side in one store.
 */
#ifndef CPE_UNIVERSE_H
#define CPE_UNIVERSE_H

#include "cpe/error.h"
#include "cpe/market.h"

#include <stddef.h>
#include <stdint.h>

/* ---------- exchanges ---------- */

#define CPE_EX_BINANCE_NAME "binance"
#define CPE_EX_BYBIT_NAME "bybit"
#define CPE_EX_OKX_NAME "okx"
#define CPE_EX_COINBASE_NAME "coinbase"
#define CPE_SIM_EXCHANGE "sim"

/* X(id, name, symbol separator, perp suffix): one row per exchange, fallback order. */
#define CPE_EXCHANGE_LIST(X)                                                                       \
    X(CPE_EX_BINANCE, CPE_EX_BINANCE_NAME, "", "")                                                 \
    X(CPE_EX_BYBIT, CPE_EX_BYBIT_NAME, "", "")                                                     \
    X(CPE_EX_OKX, CPE_EX_OKX_NAME, "-", "-SWAP")                                                   \
    X(CPE_EX_COINBASE, CPE_EX_COINBASE_NAME, "-", "")

#define CPE_EX_ENUM_(id, name, sep, suffix) id,
typedef enum cpe_exchange_id { CPE_EXCHANGE_LIST(CPE_EX_ENUM_) CPE_NEXCHANGES } cpe_exchange_id_t;
#undef CPE_EX_ENUM_

/* "binance" for CPE_EX_BINANCE; NULL outside [0, CPE_NEXCHANGES). */
const char *cpe_exchange_name(int id);
/* The id of an exchange name, -1 for none (the simulator is not an exchange). */
int cpe_exchange_id(const char *name);
/* Binance-form symbol ("BTCUSDT") -> the exchange's form for a market ("BTC-USDT-SWAP"). */
void cpe_exchange_symbol(int id, cpe_market_kind_t m, const char *symbol, char *out, size_t cap);
/* The reverse: an exchange's instrument name -> the Binance form. */
void cpe_exchange_symbol_back(int id, const char *name, char *out, size_t cap);

/* ---------- horizons ---------- */

#define CPE_NHORIZONS 4
extern const int cpe_horizons_h[CPE_NHORIZONS]; /* 1, 4, 8, 24 hours */
/* Index of a horizon in cpe_horizons_h, -1 for none. */
int cpe_horizon_index(int horizon_h);
/* "1, 4, 8, 24" for messages (CPE_HORIZONS_TEXT where a constant is needed; the unit test
 * checks it against cpe_horizons_h). */
#define CPE_HORIZONS_TEXT "1, 4, 8, 24"
const char *cpe_horizons_text(void);

/* ---------- intervals ---------- */

/* The named kline intervals, finest first: i-th interval in ms, 0 past the end. */
int64_t cpe_interval_at(size_t i);
/* 1 when the API serves bars of this interval name ("1m","5m","15m","1h","4h","1d"). */
int cpe_interval_is_served(const char *name);
/* "1m, 5m, 15m, 1h, 4h, 1d" for messages (the unit test checks it against the table). */
#define CPE_INTERVALS_SERVED_TEXT "1m, 5m, 15m, 1h, 4h, 1d"
const char *cpe_intervals_served_text(void);

/* ---------- assets ---------- */

#define CPE_QUOTE "USDT"
#define CPE_ASSETS_MAX 32
#define CPE_ASSET_NAME_MAX 16
#define CPE_ASSETS_DEFAULT "BTC,ETH"

/* Simulator parameters of an asset (docs/SIMULATOR.md). */
typedef struct cpe_asset_sim {
    double price0;        /* starting spot price */
    double sigma_1m;      /* base 1m log-return sd */
    double rho;           /* loading on the market factor */
    double volume_usd_1m; /* mean spot quote volume per minute */
    double oi_usd;        /* equilibrium perp open interest (notional) */
    double trade_usd;     /* mean trade size */
} cpe_asset_sim_t;

typedef struct cpe_asset {
    char asset[CPE_ASSET_NAME_MAX]; /* "BTC" */
    char symbol[32];                /* "BTCUSDT": the store's and Binance's name */
    double tick, lot;               /* price grid and quantity grid */
    double contract_value;          /* base units per OKX swap contract */
    int catalogued;                 /* 0: generic parameters (no row of its own) */
    cpe_asset_sim_t sim;
    /* The cross-asset ratio feature (features.md 8.6, ETH close / BTC close): the other
     * asset ("" none) and whether this asset is the ratio's numerator. */
    char cross[CPE_ASSET_NAME_MAX];
    int cross_numerator;
} cpe_asset_t;

/* The configured assets. */
size_t cpe_asset_count(void);
const cpe_asset_t *cpe_asset_at(size_t i);
/* A configured asset by name, any case, "BTC" or "BTCUSDT"; NULL when not configured. */
const cpe_asset_t *cpe_asset_find(const char *name);
/* Index of a configured asset (as cpe_asset_find), -1 when not configured. */
int cpe_asset_index(const char *name);
/* The parameters of any asset: its configured or catalogue row, else the generic one
 * (named after the asset). 0, or CPE_EINVAL for a name that is not 2-10 letters/digits. */
int cpe_asset_params(const char *name, cpe_asset_t *out, cpe_diag_t *d);
/* "BTC, ETH" for messages (into out, cap bytes). */
void cpe_assets_text(char *out, size_t cap);
/* "BTCUSDT,ETHUSDT": the configured assets' symbols, comma-separated. */
void cpe_assets_symbols(char *out, size_t cap);
/* Replace the configured assets from a list "BTC,ETH,SOL" (or symbols). Before threads
 * start only. CPE_EINVAL names a bad, repeated or surplus entry; the table is unchanged. */
int cpe_universe_configure(const char *list, cpe_diag_t *d);

/* ---------- the resolver ---------- */

typedef enum cpe_source_pref { CPE_PREFER_REAL = 0, CPE_PREFER_SIM = 1 } cpe_source_pref_t;
#define CPE_MARKET_ANY (-1) /* market argument: spot, else perp */

/* What a store knows of an instrument's klines. */
typedef struct cpe_kline_span {
    int ok;              /* 0: no such non-empty series */
    int64_t id;          /* the store's series id */
    int64_t interval_ms; /* the series' interval */
    int64_t first_ts, last_ts, count;
    int simulated;
} cpe_kline_span_t;

/* The finest non-empty kline series of instrument whose interval divides divides_ms (0: any)
 * into *out (out->ok = 0 when none). 0 or a store error. */
typedef int (*cpe_kline_probe_fn)(void *ctx, const char *instrument, int64_t divides_ms,
                                  cpe_kline_span_t *out);

typedef struct cpe_resolved {
    char instrument[CPE_INSTR_KEY_MAX]; /* "binance:spot:BTCUSDT" */
    cpe_instrument_t in;
    cpe_kline_span_t span;
    int in_window; /* 1: it has bars in [from, to) */
} cpe_resolved_t;

/* The candidates of the rule in order (at most CPE_RESOLVE_MAX): their number. */
#define CPE_RESOLVE_MAX (2 * (CPE_NEXCHANGES + 1))
size_t cpe_instrument_candidates(const char *asset, int market, cpe_source_pref_t pref,
                                 cpe_instrument_t out[CPE_RESOLVE_MAX]);

/* The rule above. asset: "BTC" or "BTCUSDT" (need not be configured); market: CPE_SPOT,
 * CPE_PERP or CPE_MARKET_ANY. 0, CPE_ENOTFOUND (diag lists what was looked for) or the
 * probe's error. */
int cpe_instrument_resolve(const char *asset, int market, int64_t interval_ms,
                           cpe_source_pref_t pref, int64_t from_ms, int64_t to_ms,
                           cpe_kline_probe_fn probe, void *ctx, cpe_resolved_t *out, cpe_diag_t *d);

#endif
