/*
 * mldata.h — the feature table the models train and predict on, built from the store:
 * 1m bars of a symbol (barload.h: klines + liquidations, OI, funding, basis by
 * availability time) run through the streaming feature engine (features.h), sampled.
 *
 * Rows. Features are computed on every 1m bar from `from_ms - warmup_ms` on (so long
 * windows such as the 30-day funding z-score are filled when the kept rows start), and
 * the rows kept are the bars with open time in [from_ms, to_ms) that lie on the sampling
 * grid ANCHORED AT THE LAST BAR: (t_last - ts) % step_ms == 0. Anchoring at the end
 * makes the newest bar a row whatever the step, which is what a prediction "as of now"
 * needs; with step 5 min a year is 105,120 rows. Each row carries the bar's open time
 * and close; labels and hourly returns come from these rows (modelset.h), so the step
 * must divide one hour.
 *
 * Ownership: cpe_mldata_t owns its arrays; cpe_mldata_free (no-op when zeroed).
 */
#ifndef CPE_MLDATA_H
#define CPE_MLDATA_H

#include "cpe/error.h"
#include "cpe/modelset.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_MLDATA_WARMUP_MS (31LL * 86400000LL)

typedef struct cpe_mldata {
    cpe_mlview_t v; /* view over the arrays below */
    size_t n, ncol;
    int64_t *ts_ms;
    double *close;
    double *X;
    char **names;
    char instrument[64];
    int simulated;
    int64_t first_bar_ms, last_bar_ms; /* of the bars read (incl. warm-up), stamped as rows */
    int64_t bar_ms;                    /* the rows' bar: 60000, or coarser (dataset.h) */
} cpe_mldata_t;

/* Build the table for symbol ("BTCUSDT" or "BTC"). to_ms = INT64_MAX: up to the last
 * bar. CPE_ENOTFOUND when the store has no bars for the symbol, CPE_EDATA when no row
 * falls in [from, to). step_ms must divide one hour. */
int cpe_mldata_load(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                    int64_t step_ms, int64_t warmup_ms, cpe_mldata_t *out, cpe_diag_t *d);

/* Time of the newest row of symbol in the store over its candidate instruments (binance
 * spot, sim spot, binance perp, sim perp): the open of the newest 1m bar, or of the last
 * minute of the newest bar of a real coarser series (dataset.h): CPE_ENOTFOUND when none
 * has bars. */
int cpe_mldata_last_bar(cpe_store_t *st, const char *symbol, int64_t *ts_ms, cpe_diag_t *d);

/* The rows needed to predict at `at_ms` (INT64_MAX: the last bar): 1m rows of the last
 * 11 days (240 hourly returns for the volatility filter) up to the bar closed by at_ms,
 * features warmed up over CPE_MLDATA_WARMUP_MS. */
int cpe_mldata_load_recent(cpe_store_t *st, const char *symbol, int64_t at_ms, cpe_mldata_t *m,
                           cpe_diag_t *d);

void cpe_mldata_free(cpe_mldata_t *m);

#endif
