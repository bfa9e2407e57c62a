/*
 * retrain.h — the retraining schedule of `cpe serve` (spec 10.4), on its own thread.
 *
 * Schedule. Daily at CPE_RETRAIN_AT (HH:MM UTC, default 00:00) every symbol of
 * CPE_SYMBOLS that has bars in the store is retrained with cpe/trainer.h (the code of
 * `cpe train`: last 180 days, rows every 5 min) and the new version becomes champion;
 * the live predictor (livepred.h) loads it within a minute. The spec's separate times for
 * the direction classifier (00:00) and the magnitude regressor (00:30) collapse into one
 * run because both live in one model set, which also holds the regime thresholds (spec:
 * weekly) — the daily run covers them. GARCH is refitted hourly by livepred.h, not here.
 * A symbol without a champion (ETH when only BTC has real data; a store that grew since
 * `make run`) need not wait for the daily run: CPE_RETRAIN_MISSING_S (30) after start
 * those symbols alone are trained, and again every hour while one still lacks a model
 * (the simulator's first days of a symbol are too few until ~5 days exist).
 * CPE_RETRAIN_EVERY_S > 0 (tests) replaces the daily time: a run every N seconds after the
 * previous one ends, the first N seconds after start. CPE_RETRAIN=0: no thread.
 *
 * Failure. A symbol whose training fails (too few rows, store busy past the 10 s busy
 * timeout, registry error) keeps its champion; the failure is logged and shown by
 * /health, and the symbol is tried again at the next run. A symbol without bars is
 * "skipped".
 *
 * Store. The thread opens its own handle per run and only reads (SQLite WAL: the
 * pipeline thread writes meanwhile; each read is its own read transaction).
 *
 * Threads: start/stop from the service thread; cpe_retrain_write_health from any thread
 * (the status is under a mutex). Stop waits for a training in progress to end (the
 * symbols after it are not started).
 */
#ifndef CPE_API_RETRAIN_H
#define CPE_API_RETRAIN_H

#include "cpe/api.h"
#include "cpe/json.h"

#include <stdint.h>

typedef struct cpe_retrain cpe_retrain_t;

/* Start the thread (*out NULL when cfg->retrain is 0). */
int cpe_retrain_start(const cpe_api_config_t *cfg, cpe_retrain_t **out, cpe_diag_t *d);
void cpe_retrain_stop(cpe_retrain_t *r); /* NULL is a no-op */

/* The /health "retraining" object (r NULL: disabled). */
void cpe_retrain_write_health(cpe_retrain_t *r, cpe_jw_t *w);

/* The first time after now_ms at minute-of-day at_min (UTC), strictly later. */
int64_t cpe_retrain_next_daily(int64_t now_ms, int at_min);

#endif
