/*
 * dataset.h — a feature matrix from the store: the bars of a symbol (1m, or hourly when
 * that is the only real history) run through the streaming feature engine (features.h)
 * with every side series the store holds, sampled.
 *
 * Instrument rule (main price series) for a symbol "BTCUSDT" (or asset "BTC"): the
 * universe's one rule (cpe_store_resolve(), cpe/universe.h) at 1m — real exchanges, then
 * the simulator, spot before perp — restricted to an instrument with at least one 1m bar
 * in the range read. Symbols with coarser history: the first REAL candidate of the same
 * order with a series coarser than 1m (the finest of 5m/15m/1h) with bars in the range
 * replaces the 1m one when it is the better history — over a simulated 1m series when it
 * covers at least 30 days of the range (or as much as the minutes), over a real 1m series
 * holding less than 30 days of the range when it covers more. The rows then come from that
 * series (bar_ms = its interval): ETH in the shared data has only real hourly bars, so it
 * trains on them rather than on simulated minutes; once a live feed has stored 30 days of
 * real 1m bars, they win again. A window the coarse series does not reach (the last days
 * before a live prediction) reads the 1m series as before. An instrument key passed as
 * `symbol` ("sim:perp:BTCUSDT") is used as given (1m, else its finest series dividing 1 h).
 *
 * Coarse rows. The feature engine runs on the coarse bars (features.h, "Coarse bars": the
 * columns that need 1m bars are NaN). Each row is stamped with the open time of its bar's
 * LAST MINUTE (an hourly bar opened 10:00 is the row 10:59), so that for every bar length
 * row time + 1 minute is the close the features are as of, and labels, purges and the
 * hourly returns of the models (modelset.h) work on coarse rows unchanged.
 *
 * Side series (all optional; a missing one leaves its features NaN), from the main
 * instrument's exchange EX and symbol SYM, asset A (SYM without USDT):
 *   funding        EX:perp:SYM "funding"                    avail = ts (settlement)
 *   other funding  (other exchanges):perp:SYM "funding"   funding_sentiment slots 1..
 *   oi             EX:perp:SYM "oi" (v1 notional, else v0)  avail = ts, interval = series'
 *                  else series:A:futures_open_interest_usd  avail = ts + 1 day (daily)
 *   lsr            EX:perp:SYM "lsr"                        avail = ts
 *   book           EX:perp:SYM "book", else EX:spot:SYM     avail = ts
 *   liquidations   EX:perp:SYM "liq": notional (price*qty) summed into the 1m bar that
 *                  contains ts, long (v0 = +1) / short; 0 inside the feed's span, NaN out
 *   large trades   main instrument "trade": quote notional of trades > 100,000 per bar
 *   basis leg      main spot -> EX:perp:SYM, else binance:perp:SYM klines (finest stored
 *                  interval); main perp -> EX:spot:SYM; avail = open + interval
 *   cross asset    ETHUSDT for a BTC main (BTCUSDT for ETH): binance:spot, sim:spot,
 *                  binance:perp, sim:perp — finest kline series; avail = open + interval
 *   named series   series:A:NAME, series:CRYPTO:NAME, series:MACRO:NAME for every
 *                  NAME known to cpe_fseries_from_name(); avail = ts + the series'
 *                  interval (period aggregates: a daily value is known at the end of
 *                  its day), interval 0 -> avail = ts
 *
 * Rows. Features are computed on every 1m bar from `from_ms - warmup_ms` (default 31
 * days, enough for every window incl. the 30-day funding z-score); side observations
 * from before the first bar (30 days back) are delivered with the first bar. Rows are the
 * bars with open time in [from_ms, to_ms) whose open time is on the sampling grid:
 * ts % sample_ms == 0 (epoch-anchored), or with anchor_last, (t_last - ts) % sample_ms == 0
 * so that the newest bar is always a row. Each row has ts_ms (bar open), close (of that
 * bar: the feature vector is as of its close) and the feature values (row-major, NaN =
 * missing).
 *
 * Labels: close1m/ts1m hold the main series' closes (stamped as rows) from the first row through
 * to_ms + label_tail_ms (default 24 h + 1 m) as far as the store has them, so y_move for
 * any horizon up to the tail can be computed for rows whose label window is stored.
 *
 * Reads only; the store is used from the calling thread. cpe_dataset_free frees the
 * arrays (no-op on a zeroed struct).
 */
#ifndef CPE_DATASET_H
#define CPE_DATASET_H

#include "cpe/error.h"
#include "cpe/features.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_dataset_opts {
    int64_t sample_ms;     /* 0 = 60000 (every 1m bar) */
    int64_t warmup_ms;     /* < 0 = none; 0 = default 31 days */
    int64_t label_tail_ms; /* < 0 = none; 0 = default 24 h + 1 m */
    int anchor_last;       /* sample grid anchored at the last bar instead of the epoch */
} cpe_dataset_opts_t;

typedef struct cpe_dataset {
    size_t n;                           /* rows */
    size_t ncol;                        /* = cpe_features_count() */
    int64_t *ts_ms;                     /* [n] bar open time */
    double *close;                      /* [n] bar close */
    double *X;                          /* [n * ncol] row-major features */
    size_t n1m;                         /* 1m close series for labels */
    int64_t *ts1m;                      /* [n1m] open times, ascending */
    double *close1m;                    /* [n1m] */
    char instrument[CPE_INSTR_KEY_MAX]; /* the main price series */
    int simulated;
    unsigned sources; /* CPE_FSRC_* mask of the sources found (cpe_features_sources_seen) */
    int64_t first_bar_ms, last_bar_ms; /* bars read, incl. warm-up, stamped as rows */
    int64_t bar_ms;                    /* the main series' bar: 60000, or coarser (above) */
} cpe_dataset_t;

/* Build the matrix for symbol ("BTCUSDT", "BTC" or an instrument key) over [from, to).
 * to_ms = INT64_MAX: up to the last stored bar. opts may be NULL. CPE_ENOTFOUND when no
 * instrument has 1m klines for the symbol (the message says what exists), CPE_EDATA when
 * no row falls in [from, to), CPE_EINVAL for a sample_ms that is not a multiple of 1m. */
int cpe_dataset_build(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                      const cpe_dataset_opts_t *opts, cpe_dataset_t *out, cpe_diag_t *d);

void cpe_dataset_free(cpe_dataset_t *ds);

#endif
