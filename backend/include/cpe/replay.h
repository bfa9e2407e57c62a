/*
 * replay.h — the replay clock: the stored bars of one asset and interval and the stored
 * predictions made at them, in time order, with the running accuracy of those predictions —
 * what the model said then, never recomputed (the third clock beside live, cpe/live.h, and
 * the backtest, cpe/backtest.h).
 *
 * The caller fills symbol, interval_ms and next_ts (the first bar's open time), then asks
 * for one bar at a time: cpe_replay_next() returns the next stored bar (loading batches of
 * CPE_REPLAY_BATCH bars and every horizon's predictions in their span from the store), and
 * cpe_replay_next_pred() the predictions made at that bar's last minute. Each prediction
 * with a price and a probability waits (at most CPE_REPLAY_PENDING of them) until a later
 * bar closes at or after its horizon's end, which then counts it in hits/total: direction
 * right when the close moved the way p_up > 0.5 said. Gaps are skipped: the next bar is the
 * next stored one.
 *
 * Drift (optional, cpe_replay_drift_open): the model drift score as of each replayed bar,
 * from the same ring the live predictor feeds (drift.h): each batch's minutes, with their
 * batch features (mldata.h; bit for bit the live stream's), go through
 * cpe_drift_track_push() in order, starting CPE_DRIFT_RING minutes before the first bar so
 * the first bar scores a full day, and cpe_replay_drift() is the score after the bar's last
 * minute. The reference is the champion's when the replay starts (a replay over a time when
 * another model was champion scores today's model against that time). Only intervals of
 * at most an hour: a batch of coarser bars would compute weeks of minute features at once
 * on the caller's thread.
 *
 * Pacing and rendering belong to the caller (the API's /ws replay channel paces by the
 * client's queue and writes the JSON). One thread per cpe_replay_t; the store handle is the
 * caller's.
 */
#ifndef CPE_REPLAY_H
#define CPE_REPLAY_H

#include "cpe/drift.h"
#include "cpe/market.h"
#include "cpe/prediction.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_REPLAY_BATCH 512
#define CPE_REPLAY_PENDING 4096

typedef struct cpe_replay_pending {
    int64_t due_ms;
    double close0;
    int up;
} cpe_replay_pending_t;

typedef struct cpe_replay {
    cpe_store_t *store;
    char symbol[32];
    int64_t interval_ms, next_ts;
    cpe_bar_t *bars;
    size_t nbars, pos;
    cpe_prediction_t *preds;
    size_t npreds, ppos;
    cpe_replay_pending_t *pend;
    size_t pend_head, pend_len;
    long hits, total;
    cpe_drift_ref_t *drift_ref; /* NULL: no drift (cpe_replay_drift_open) */
    cpe_drift_track_t *drift;
    double *drift_at; /* the score after each loaded bar's last minute (NaN: none) */
} cpe_replay_t;

/* Score drift against the champion of symbol in the registry at models_dir (NULL: the
 * default) from the next batch on. CPE_ENOTFOUND: no champion; CPE_EDATA: it has no drift
 * reference; CPE_EUNSUPPORTED: an interval over an hour (then the replay has no drift). */
int cpe_replay_drift_open(cpe_replay_t *r, const char *models_dir, cpe_diag_t *d);
/* The drift score as of the bar cpe_replay_next returned last (NaN: none, or no drift). */
double cpe_replay_drift(const cpe_replay_t *r);

/* The next bar (owned by r, valid until the next call), after resolving the pending
 * predictions that its close decides; NULL when the store has no later bar. */
const cpe_bar_t *cpe_replay_next(cpe_replay_t *r);
/* The next prediction made at bar's last minute (the bar cpe_replay_next returned), NULL
 * after the last; each one returned now waits for its outcome. */
const cpe_prediction_t *cpe_replay_next_pred(cpe_replay_t *r, const cpe_bar_t *bar);
/* Frees the loaded bars, predictions, pending outcomes and the drift ring and zeroes the
 * counters; symbol, interval and store stay. */
void cpe_replay_free(cpe_replay_t *r);

#endif
