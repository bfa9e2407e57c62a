/*
 * calib_report.h — how well the stored as-of predictions of one (symbol, horizon) turned
 * out: is today's cone to be trusted?
 *
 * Model. A prediction made at the close of the 1m bar opening at ts (record ts_ms) for
 * horizon H is RESOLVED at its outcome time
 *
 *     outcome_ms = ts + H h + 1 min      (the close of the 1m bar opening at ts + H h)
 *
 * and its outcome is that bar's close y. The report at now_ms over window_days W uses the
 * predictions with  now - W days < outcome_ms <= now:  one range read of the stored
 * predictions and one of the asset's 1m bars (cpe_load_bars: the same instrument rule as
 * the chart, real Binance bars first when they cover the window, the simulator's
 * otherwise). A prediction whose outcome is still in the future is counted as pending and
 * used for nothing; one whose outcome bar is missing from the store (a gap) is counted as
 * missing and used for nothing.
 *
 *   band coverage   1-sigma: p159 <= y <= p841 (target 0.683); 2-sigma: p023 <= y <= p977
 *                   (target 0.954); over the last 7 days (the whole window when shorter)
 *                   and the whole window, with counts; and per UTC day of outcome_ms.
 *                   Predictions with a NaN band edge are left out of coverage.
 *   direction       up = y > close (a tie is not up). Reliability diagram of p_up in 10
 *                   equal-width bins [k/10, (k+1)/10) (p_up = 1 in the last): count, mean
 *                   p_up, observed up share. Brier = mean (p_up - up)^2 of the model and of
 *                   the AS-OF BASE RATE: for each prediction, the up share of the report's
 *                   predictions already resolved when it was made (outcome_ms <= ts + 1 min),
 *                   0.5 when none — no look-ahead. Predictions with NaN p_up are left out.
 *
 * Ownership: the report is a plain struct (no heap); the caller owns it.
 * Threads: reads the store from the calling thread only (cpe/store.h).
 */
#ifndef CPE_CALIB_REPORT_H
#define CPE_CALIB_REPORT_H

#include "cpe/error.h"
#include "cpe/json.h"
#include "cpe/market.h"
#include "cpe/store.h"

#include <stdint.h>

#define CPE_CALREP_BINS 10
#define CPE_CALREP_MAX_WINDOW_DAYS 90
#define CPE_CALREP_SHORT_DAYS 7
#define CPE_CALREP_TARGET_1S 0.683
#define CPE_CALREP_TARGET_2S 0.954

/* Coverage of both bands over a set of resolved predictions (cov = NaN when n == 0). */
typedef struct cpe_calrep_cov {
    int64_t n;        /* resolved predictions with finite band edges */
    int64_t in1, in2; /* outcomes inside the 1-sigma / 2-sigma band */
    double cov1, cov2;
} cpe_calrep_cov_t;

typedef struct cpe_calrep_bin {
    int64_t n;
    double mean_p;   /* mean p_up of the bin (NaN when empty) */
    double up_share; /* observed share of up outcomes (NaN when empty) */
} cpe_calrep_bin_t;

typedef struct cpe_calib_report {
    char symbol[32];
    char instrument[CPE_INSTR_KEY_MAX]; /* the 1m series the outcomes came from */
    int simulated;
    int horizon_h;
    int64_t now_ms;
    int window_days;
    int64_t n_read;    /* stored predictions read (outcome after now - W) */
    int64_t n_pending; /* outcome_ms > now: excluded */
    int64_t n_missing; /* outcome bar absent from the store: excluded */
    int64_t n_resolved;
    cpe_calrep_cov_t cov_short;  /* last CPE_CALREP_SHORT_DAYS days (or W when shorter) */
    cpe_calrep_cov_t cov_window; /* last W days */
    int short_days;
    size_t ndays; /* UTC days from day(now - W + 1 ms) to day(now), oldest first */
    int64_t day_ms[CPE_CALREP_MAX_WINDOW_DAYS + 1];
    cpe_calrep_cov_t daily[CPE_CALREP_MAX_WINDOW_DAYS + 1];
    cpe_calrep_bin_t bins[CPE_CALREP_BINS];
    int64_t n_dir;     /* resolved predictions with a finite p_up */
    double up_share;   /* of those (NaN when none) */
    double brier;      /* of the model's p_up (NaN when none) */
    double brier_base; /* of the as-of base rate (NaN when none) */
} cpe_calib_report_t;

/* Reports of `what` (asset "BTC", symbol "BTCUSDT" or instrument key for the bars; the
 * predictions are the symbol's) for nh horizons at now_ms over window_days (1..90): one
 * read of bars, one read of predictions per horizon. out[nh]. CPE_EINVAL for a bad
 * window or horizon, CPE_ENOTFOUND when the asset has no 1m bars (message names it). */
int cpe_calib_report_build(cpe_store_t *st, const char *what, const int *horizons_h, size_t nh,
                           int64_t now_ms, int window_days, cpe_calib_report_t *out, cpe_diag_t *d);

/* The computation alone, over caller-owned arrays: preds[np] of one horizon ascending by
 * ts, bars[nb] 1m bars ascending by open time. Fills everything but symbol, instrument and
 * simulated (kept as the caller set them). 0, CPE_EINVAL (window_days outside 1..90,
 * horizon_h < 1) or CPE_ENOMEM. */
int cpe_calib_report_compute(const cpe_prediction_t *preds, size_t np, const cpe_bar_t *bars,
                             size_t nb, int horizon_h, int64_t now_ms, int window_days,
                             cpe_calib_report_t *out);

/* key: {"days" (when > 0), "n", "sigma1", "sigma2", "in_sigma1", "in_sigma2"}. */
void cpe_calrep_cov_json(cpe_jw_t *w, const char *key, int days, const cpe_calrep_cov_t *c);

/* One report as a JSON object (docs/API.md, GET /calibration). */
void cpe_calib_report_json(cpe_jw_t *w, const cpe_calib_report_t *r);

#endif
