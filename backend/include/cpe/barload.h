/*
 * barload.h — the bars the chart and /market-data show: klines from the store with the
 * market structure attached, aggregated to the requested interval.
 *
 * cpe_load_bars(store, what, interval, from, to) does:
 *  1. Resolve `what`. An instrument key ("binance:spot:BTCUSDT", "sim:perp:ETHUSDT") is
 *     used as given. A symbol ("BTCUSDT") or asset ("BTC") is resolved by the universe's
 *     one rule (cpe_store_resolve(), cpe/universe.h): real exchanges in fallback order,
 *     then the simulator; spot before perp; the first with a kline series whose interval
 *     divides the requested one AND bars in [from, to) wins, else the first non-empty one.
 *     So real Binance data serves whatever interval and range it can (an old imported
 *     history does not hide the simulator's current bars, and the simulator's bars do not
 *     hide a replay of that history): binance:spot:ETHUSDT at 1h serves 1h/4h/1d, but a
 *     1m or 5m request falls through to sim:spot:ETHUSDT when that exists.
 *  2. Read the price instrument's finest stored kline series that divides the interval
 *     (the "source interval": 1m when stored), over the whole output buckets that open
 *     in [from, to) (from is floored to the interval; INT64_MIN / INT64_MAX = everything).
 *  3. Attach, per source bar, from the same exchange's perp ("EX:perp:SYM") and spot, by
 *     the availability rule of shared/spec/features.md (a value counts for a bar only
 *     once available at or before the bar's close = open + source interval):
 *        liq_long / liq_short  notional (price x qty) of "liq" events with ts in the bar;
 *                              0 inside the feed's coverage, NaN outside. Coverage: a
 *                              "sim" feed is complete over the simulated perp klines;
 *                              any other feed covers the UTC days with >= 1 event
 *        oi                    notional (v1) of the latest "oi" point with ts <= close,
 *                              NaN when none within 24 h; without an "oi" series, the
 *                              daily "series:ASSET:futures_open_interest_usd" (stamped
 *                              day D, available from D+1 00:00, kept at most 2 days)
 *        funding               rate of the latest "funding" point with ts <= close
 *                              (settled), NaN when none within 24 h
 *        basis                 perp close / spot close - 1 at the latest close time
 *                              where both klines exist (the finest kline series of
 *                              each), carried at most one perp interval
 *        large_quote           quote volume of "trade" points of the price instrument
 *                              with notional > 100,000, 0 inside the span of the trades
 *                              read, NaN without a tape; without "trade", the
 *                              "trade_large" stream (large trades only, complete above
 *                              its recorder's threshold of 15,000) serves the same way
 *  4. Aggregate to the interval with cpe_bars_aggregate (rules: cpe/bars.h).
 *
 * Klines are read a few days at a time into one reused buffer, so a year of 1m bars costs
 * the bars plus a small window, not a second copy of the year. Series are found by
 * indexed (instrument, kind) lookups, never by listing the store.
 *
 * Reads only; the store is used from the calling thread. *out is malloc'd (free it).
 */
#ifndef CPE_BARLOAD_H
#define CPE_BARLOAD_H

#include "cpe/bars.h"
#include "cpe/store.h"

typedef struct cpe_barload_info {
    char instrument[CPE_INSTR_KEY_MAX]; /* the price series' instrument */
    int64_t src_interval_ms;            /* the stored interval the bars were built from */
    int simulated;                      /* the price series is simulated */
    int has_liq, has_oi, has_funding, has_basis, has_trades; /* which feeds were found */
    int oi_daily;              /* oi came from the daily series fallback */
    int last_partial;          /* the last bar has fewer source bars than it holds */
    int64_t first_ts, last_ts; /* open times of the price series' first and last stored bars */
} cpe_barload_info_t;

/* Bars of `what` (instrument key, symbol or asset) at interval_ms opening in [from, to).
 * CPE_ENOTFOUND (with a message naming what exists) when nothing can serve the interval;
 * an empty range is not an error (*n = 0). info may be NULL. */
int cpe_load_bars(cpe_store_t *st, const char *what, int64_t interval_ms, int64_t from_ms,
                  int64_t to_ms, cpe_bar_t **out, size_t *n, cpe_barload_info_t *info,
                  cpe_diag_t *d);

#endif
