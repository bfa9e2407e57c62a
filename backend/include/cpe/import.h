/*
 * import.h — importers for market data files into the store (`cpe import`).
 *
 * One call imports one file, inside ONE store transaction: either every row of the file
 * is upserted, or (on any error) nothing is and the store is exactly as before.
 *
 * What a file is, is found from its name, then its header, then options:
 *
 *   data.binance.vision   SYMBOL-<interval>-DATE      klines (12 cols; 11 without `ignore`)
 *   (.csv/.csv.gz/.zip)   SYMBOL-aggTrades-DATE       aggTrades (7 cols futures, 8 spot)
 *                         SYMBOL-trades-DATE          trades (6 cols futures, 7 spot)
 *                         SYMBOL-fundingRate-MONTH    calc_time,funding_interval_hours,rate
 *                         .../premiumIndexKlines/...  premium index klines (12 cols)
 *                         SYMBOL-metrics-DATE         OI + long/short ratios (5m)
 *                         SYMBOL-bookDepth-DATE       timestamp,percentage,depth,notional
 *                         SYMBOL-liquidationSnapshot-DATE
 *   shared/data/real      SRC_SYMBOL_KIND_INTERVAL_START_END (see its MANIFEST): klines,
 *                         ohlcv (6 cols, ISO time), fundingRate (timestamp,rate),
 *                         fearGreedIndex / futuresOpenInterestUSD / exchangeReservesBTC
 *                         (daily named series), liquidationEvents, aggTradesLargeOnly
 *   anything, --series N  ts,value (header optional)
 *
 * Spot or perp: from the path ("/spot/", "binance-spot" vs "/futures/um/", "binance-usdm")
 * or --market; kinds that only exist on futures (funding, premium, metrics, bookDepth,
 * liquidations) default to perp. Timestamps: ms (11-13 digits), µs (14+ digits, floored
 * to ms), s (<= 10 digits) since the epoch, or ISO-8601.
 *
 * Where rows go (instrument, kind, values; see cpe/market.h):
 *   klines, ohlcv     EXCH:MKT:SYM  kline:<iv>   (ohlcv: quote/trades/taker = NaN)
 *   aggTrades, trades EXCH:MKT:SYM  trade        price, qty, side(+1 buy aggressor), id
 *   aggTradesLarge    binance:perp:SYM trade_large  same as trade (NOT a complete tape)
 *   fundingRate       binance:perp:SYM funding   rate (interval from the file, else 8h)
 *   premiumIndex      binance:perp:SYM premium   open, high, low, close
 *   metrics           binance:perp:SYM oi        contracts, notional
 *                     binance:perp:SYM lsr       ratio, long_share, short_share (accounts)
 *   bookDepth         binance:perp:SYM book      notional within -0.5/-1/-2 % (bids),
 *                                                +0.5/+1/+2 % (asks); other levels ignored
 *   liquidations      binance:perp:SYM liq       side(+1 long liquidated = SELL), price, qty
 *   named series      series:ASSET:name  series:name   value (daily: ts = day start,
 *                                                interval 1d; usable from D+1 00:00)
 * Events that share a ts (trades, liquidations) get seq 0,1,2... in file order, so a
 * re-import writes the same keys.
 *
 * Bad rows. FATAL (the file is rolled back, the message is FILE:LINE: field 'X' (value)
 * <rule>): wrong column count, a field that is not a number/time, NaN or inf, price <= 0,
 * negative volume/quantity/trade count, high < low, open/close outside [low, high],
 * taker-buy volume > volume, a kline not on its interval grid, the same key twice with
 * DIFFERENT values, an unknown side. COUNTED and handled: the same key twice with the
 * same values (duplicates: kept once), rows out of time order (sorted before the
 * upsert), rows the store already holds (duplicates) or holds with other values
 * (updated: the file wins, except that a kline with fewer known fields never replaces
 * one with more: "kept", reported with the duplicates).
 */
#ifndef CPE_IMPORT_H
#define CPE_IMPORT_H

#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_import_opts {
    const char *series;   /* --series NAME ("ASSET:name" or "name"): a ts,value file */
    int market;           /* -1 = from the path; CPE_SPOT or CPE_PERP */
    const char *symbol;   /* override the symbol found in the name ("BTCUSDT") */
    const char *exchange; /* NULL = "binance" */
    int simulated;        /* mark created series as simulated */
    size_t batch_rows;    /* 0 = 1M: a series' rows held in memory before the older part is
                           * written (still inside the file's one transaction); a file
                           * bigger than this must be in time order */
    /* called every ~1 MB of input and at the end; may be NULL */
    void (*progress)(void *ctx, const char *path, uint64_t done, uint64_t total);
    void *progress_ctx;
} cpe_import_opts_t;

typedef struct cpe_import_stats {
    char format[32];                    /* "klines", "fundingRate", "series", ... */
    char instrument[CPE_INSTR_KEY_MAX]; /* the (first) instrument written */
    char kind[CPE_KIND_MAX];            /* its kind ("kline:1m") */
    int nseries;                        /* series written (liquidation streams: many) */
    int64_t rows;                       /* data rows read */
    int64_t inserted;                   /* new in the store */
    int64_t updated;                    /* existed with other values (the file won) */
    int64_t duplicates;        /* repeated in the file, already stored as is, or stored with more
                                * fields (a 6-col OHLCV row over a 12-col kline: kept) */
    int64_t out_of_order;      /* rows earlier than the row before them */
    int64_t gaps, missing;     /* gap runs / missing bars in the file's span */
    int64_t first_ts, last_ts; /* span of the file's rows */
} cpe_import_stats_t;

void cpe_import_opts_init(cpe_import_opts_t *o);

/* Import one file (see above). st may be NULL. 0 or a negative code with d filled. */
int cpe_import_file(cpe_store_t *s, const char *path, const cpe_import_opts_t *o,
                    cpe_import_stats_t *st, cpe_diag_t *d);

/* The importable files under dir (recursively: *.csv, *.csv.gz, *.zip), sorted by path.
 * Free with cpe_import_free_list(). */
int cpe_import_list_dir(const char *dir, char ***paths, size_t *n, cpe_diag_t *d);
void cpe_import_free_list(char **paths, size_t n);

/* "BTC:exchange_reserves" (or "exchange_reserves", asset "CRYPTO") -> instrument
 * "series:BTC:exchange_reserves" and kind "series:exchange_reserves". 0 or CPE_EINVAL. */
int cpe_series_key(const char *name, char instrument[CPE_INSTR_KEY_MAX], char kind[CPE_KIND_MAX]);

#endif
