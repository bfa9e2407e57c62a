/*
 * livefeat.h — the live clock's features of one symbol, kept between closes: the feature
 * engine's streaming state (features.h) fed each newly closed 1m bar with the side
 * observations that became available since the previous one, instead of rebuilding 42
 * days of features at every close.
 *
 * Build. The first call (and any call that cannot continue the stream, below) runs the
 * batch path of dataset.h over the window cpe_mldata_load_recent() reads — features from
 * 31 days before the 11 days of rows up to the bar — and keeps the engine's state, the
 * side series the build found (the fallbacks it took: daily OI when the perp has no
 * samples, the spot book when the perp has none, ...), the features of the newest two
 * bars and the (open time, close) of the bars of the last 11 days.
 *
 * Advance. Each later call reads only the bars after the newest one pushed, up to the
 * bar asked for, attaches their liquidations and large trades, reads the observations of
 * the build's side series that became available in between, and pushes them through the
 * engine in the order the batch does. So the features at every bar are, bit for bit, those
 * of cpe_dataset_build() over the same store from the build's first bar to that bar: the
 * batch "as of the bar" (test_livefeat.c proves it). What a stream cannot see: bars or
 * side points written later with an older time (a backfill behind the stream), and a side
 * series that had no point in the build's window; a rebuild (a restart, another series
 * serving the symbol, a bar asked for before the newest one pushed, or more than 11 days
 * to catch up) picks them up.
 *
 * Threads: one thread per cpe_livefeat_t (the live pipeline's); it uses the caller's store.
 */
#ifndef CPE_LIVEFEAT_H
#define CPE_LIVEFEAT_H

#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/modelset.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_livefeat {
    char symbol[32];
    char instrument[CPE_INSTR_KEY_MAX]; /* the main series the build resolved */
    int64_t series_id;
    struct cpe_features *f; /* NULL: not built */
    struct ds_plan *plan;   /* the side series found by the build (dataset_int.h) */
    cpe_instrument_t in;    /* the main instrument */
    int simulated;
    int64_t last_ts; /* open time of the newest bar pushed */
    size_t ncol;
    double *x, *x_prev; /* features as of the newest bar and the one before it */
    int has_prev;
    int64_t *ts; /* open times and closes of the pushed bars of the last 11 days */
    double *close;
    size_t n, cap;
    const char *const *names; /* cpe_features_count() feature names */
    long builds, pushed;      /* how often it was built; bars pushed since */
} cpe_livefeat_t;

void cpe_livefeat_init(cpe_livefeat_t *lf, const char *symbol);
void cpe_livefeat_free(cpe_livefeat_t *lf); /* back to the init state; zeroed: no-op */

/* Bring the state to the newest stored 1m bar with open time <= bar_ts (building it when
 * needed). CPE_ENOTFOUND / CPE_EDATA as cpe_mldata_load_recent(). */
int cpe_livefeat_advance(cpe_livefeat_t *lf, cpe_store_t *st, int64_t bar_ts, cpe_diag_t *d);

/* The closes of the last 11 days of bars as a view (X is NULL: only ts_ms and close are
 * set), for cpe_ml_hourly_returns() at its last row. */
void cpe_livefeat_view(const cpe_livefeat_t *lf, cpe_mlview_t *v);

#endif
