/*
 * wfcache.h — walk-forward predictions computed once and kept in the store (issue 16).
 *
 * A backtest that needs as-of predictions over [from, to) asks cpe_wfc_ensure for them.
 * The range is covered by FOLDS on a fixed grid of 7-day test windows (UTC Mondays,
 * 1970-01-05 + k weeks), so two runs over overlapping ranges share their folds:
 *
 *   time ──────────────────────────────────────────────────────────────────────────►
 *   | feature warm-up 31 d | training rows: up to 90 d | purge 24 h | test week k |
 *   └──────────────── fingerprinted bars: [input_from, test_to) ──────────────────┘
 *
 * Fold k is trained on the rows of its own window only (rolling, at least min_train_days
 * of rows; labels end before the test week, cpe_wf_is_train_row), so what it predicts
 * depends on nothing outside that window and is the same whichever run computes it.
 * Its records (every 5-minute row of the test week, every horizon of the model set, with
 * opts.explain their explanations as `cpe predict --backfill --explain` stores them;
 * model_version "<SYMBOL>-wf-<test start day>") go to the store's prediction table, and one
 * meta row says what they were computed from:
 *
 *   meta key   "wfc:<SYMBOL>:<test_from_ms>"
 *        value "cfg=<16 hex> code=<CPE_WFC_CODE_VERSION> fp=<16 hex> ex=<0|1> n=<records>"
 *   cfg = FNV-1a of the walk-forward + model-set configuration (every field, bytes of the
 *         zero-initialised struct), code = the models' code version below,
 *   fp  = FNV-1a over the 1m klines of every kline series of the symbol (spot, perp,
 *         binance, sim) with open time in [input_from, test_to): every field of every kline.
 *
 * A fold is REUSED when its meta row matches all three (and has explanations if they are
 * asked for: ~7.7 KB a record, ~16 GB of SQLite file for a year); TRAINED when it has none
 * or any differs (a new or corrected bar in its window, another configuration or code version:
 * that fold only, its records overwritten); STORED when it has no meta row but the store
 * already holds as-of walk-forward records for every requested horizon inside the run's
 * part of its week (`cpe predict --backfill`): those are used as they are.
 *
 * Parallel. Folds to train run on `threads` worker threads (0 = the online cores), each
 * fold's XGBoost training on one thread (cores / parallel folds on 2 cores; fixed, so that
 * the records are bit-identical whatever `threads` is). The caller's thread loads the
 * data, writes each finished fold to the store (one transaction per fold: a cancelled run
 * keeps the folds it finished) and reports progress.
 *
 * Cancel. *cancel != 0 stops the run with CPE_ECANCELED: no new fold starts and the
 * caller's thread returns within 100 ms. The folds being trained are stopped through the
 * gbt cancel hook (cpe_gbt_params_t.cancel, read between boosting rounds): their threads
 * leave the training at its next round, discard the fold and free what they used;
 * cpe_wfc_drain() waits for them. The hook is not part of the configuration hash.
 *
 * Ownership: the caller owns the store (one thread: this one). Threads: one run per store.
 */
#ifndef CPE_WFCACHE_H
#define CPE_WFCACHE_H

#include "cpe/error.h"
#include "cpe/mldata.h"
#include "cpe/prediction.h"
#include "cpe/store.h"
#include "cpe/walkforward.h"

#include <stdatomic.h>
#include <stdint.h>

/* Bump when a change to models/ or engine/ changes what a fold predicts. */
#define CPE_WFC_CODE_VERSION 1
/* Boosting rounds without a better validation loss before a fold's direction classifier
 * stops (the model set's default, which the regressors keep, is 20). A fold's boosters keep
 * 1-25 trees, so the rounds after the best were ~70 % of its boosting. Measured on the year
 * 2024-09-01 .. 2025-08-31 (docs/BENCHMARKS.md): with 10 for all eight boosters one week's
 * 24 h regressor changed (its drift then passed the validation test and worsened that
 * week's cones); with 10 for the classifiers only every stored record of the year is
 * bit-identical to 20's. Part of the configuration hash: folds stored before are trained
 * again. */
#define CPE_WFC_CLS_EARLY_STOP_ROUNDS 10
#define CPE_WFC_WEEK_MS (7 * 86400000LL)
#define CPE_WFC_GRID0_MS (4 * 86400000LL) /* Monday 1970-01-05 00:00 UTC */

typedef struct cpe_wfc_progress {
    const char *stage; /* "checking", "loading data", "training", "done" */
    int folds_total, folds_done, folds_reused, folds_trained, folds_stored;
    int64_t elapsed_ms;
    int64_t eta_ms; /* -1 while unknown (before the first trained fold) */
} cpe_wfc_progress_t;

typedef struct cpe_wfc_opts {
    int threads;        /* parallel folds; 0 = online cores */
    int train_days;     /* 90: training window before each test week */
    int min_train_days; /* 21: fewer days of rows before the purge -> CPE_EDATA */
    int max_rounds;     /* 0 = the model set's default; tests use few */
    int explain;        /* 0; 1: store each record's explanation too (GET /explain) */
    const atomic_int *cancel;
    void (*progress)(const cpe_wfc_progress_t *p, void *ctx);
    void *ctx;
} cpe_wfc_opts_t;

void cpe_wfc_opts_default(cpe_wfc_opts_t *o);

/* The week of fold k of a run over [from, to): its test window. n = folds covering it. */
int cpe_wfc_fold_count(int64_t from_ms, int64_t to_ms);
int64_t cpe_wfc_fold_start(int64_t from_ms, int k);

/* 1 when p was made by a walk-forward model ("<SYMBOL>-wf-YYYYMMDD", the day its label
 * cutoff falls on) on or after that day: the as-of rule every reader applies. */
int cpe_wf_record_as_of(const cpe_prediction_t *p);

/* Make sure the store holds as-of predictions of every fold covering [from, to) for the
 * horizons hs[nh] (the STORED rule; the folds trained have all the model set's). */
int cpe_wfc_ensure(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                   const int *hs, int nh, const cpe_wfc_opts_t *o, cpe_wfc_progress_t *out,
                   cpe_diag_t *d);

/* wf_parallel.c: train the one-fold plans[n] over the rows of m (every fold's window; m is
 * moved in: zeroed on return) on o->threads workers; each finished fold is handed to sink
 * ON THE CALLER'S THREAD, in completion order, as sink(i, result) (the sink frees it). A sink
 * error or a cancel stops the run. */
typedef int (*cpe_wfc_sink_fn)(int i, cpe_wf_result_t *res, void *ctx, cpe_diag_t *d);
int cpe_wfc_train_parallel(cpe_mldata_t *m, const cpe_wf_config_t *c, const cpe_wf_plan_t *plans,
                           int n, const cpe_wfc_opts_t *o, cpe_wfc_sink_fn sink, void *ctx,
                           cpe_diag_t *d);

/* Wait until the fold threads left running by cancelled runs have finished. */
void cpe_wfc_drain(void);

#endif
