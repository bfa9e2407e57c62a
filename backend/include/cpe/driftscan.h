/*
 * driftscan.h — the model drift score replayed over a stored range, minute by minute, and
 * the same model's out-of-sample scores over it: what `cpe drift` measures to choose the
 * drift alert's threshold (docs/ALERTS.md, "Thresholds").
 *
 * One ring code. The model (a registry version, or the champion) is fixed; every stored 1m
 * bar of [from, to) — and the CPE_DRIFT_RING minutes before `from`, so the first minute
 * scores a full day — goes through cpe_drift_track_push() (drift.h) exactly as the live
 * predictor pushes its closed minutes, with the batch features of that minute (mldata.h
 * over the same 31-day warm-up; the streamed live features are bit for bit the batch's,
 * livefeat.h). The range is read in blocks of CPE_DRIFTSCAN_BLOCK_DAYS, each block's
 * features warmed up again; the ring runs across blocks.
 *
 * Scores. At every bar whose close is on the hour, inside [from, to), the model predicts
 * every horizon (the trained band levels: no online recalibration) and, where the store has
 * the close H hours later, the point records y = ln(close[t+H] / close[t]), the Brier term
 * (p_up - [y > 0])^2, the CRPS of the cone's Gaussian (median p500, sigma half the 1-sigma
 * band's log width) and that of the trailing-24 h constant-volatility Gaussian (zero mean,
 * the root mean square of the last 24 hourly log returns times sqrt(H)), with the drift
 * score as of that bar.
 *
 * Ownership: cpe_driftscan_t owns its arrays (cpe_driftscan_free; no-op when zeroed). One
 * thread; the store handle is the caller's.
 */
#ifndef CPE_DRIFTSCAN_H
#define CPE_DRIFTSCAN_H

#include "cpe/error.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_DRIFTSCAN_BLOCK_DAYS 28

typedef struct cpe_driftscan_point {
    int64_t ts_ms; /* open time of the bar at whose close the prediction was made */
    int horizon_h;
    double drift;   /* the score as of the bar (NaN: none yet) */
    double brier;   /* (p_up - [y > 0])^2 */
    double crps;    /* the cone's Gaussian */
    double crps_cv; /* the trailing-24 h constant-volatility Gaussian */
} cpe_driftscan_point_t;

typedef struct cpe_driftscan {
    char version[48]; /* the model's */
    size_t n;         /* minutes of [from, to) with a stored bar */
    int64_t *ts_ms;
    double *score; /* the drift score after that minute (NaN: none yet) */
    size_t npts, cap_pts;
    cpe_driftscan_point_t *pts;
} cpe_driftscan_t;

/* Scan symbol's [from_ms, to_ms) with model `version` (NULL: the champion) of the registry
 * at models_dir (NULL: $CPE_MODELS or data/models). CPE_ENOTFOUND: no such model or no
 * bars; CPE_EDATA: the model has no drift reference (trained before drift existed). */
int cpe_driftscan_run(cpe_store_t *st, const char *models_dir, const char *symbol,
                      const char *version, int64_t from_ms, int64_t to_ms, cpe_driftscan_t *out,
                      cpe_diag_t *d);
void cpe_driftscan_free(cpe_driftscan_t *s);

#endif
