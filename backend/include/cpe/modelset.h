/*
 * modelset.h — everything that is trained for one symbol: per horizon a direction
 * classifier, its calibrator, a magnitude regressor and the cone's calibration scales;
 * one GARCH-t volatility model (EWMA fallback), one GARCH-normal model (a baseline), and
 * the regime thresholds. Walk-forward trains one per fold; `cpe train` trains one on the
 * whole window and the registry stores it.
 *
 * Data view (cpe_mlview_t). Rows are feature vectors sampled on a regular grid (5 min by
 * default: training on every 1m bar would repeat nearly identical rows and cost 5x).
 * Row i is computed at the close of the 1m bar with open time ts_ms[i]; close[i] is that
 * bar's close. Labels (features.md): y_move(i, H) = ln(close[j] / close[i]) with
 * ts_ms[j] = ts_ms[i] + 60 H minutes; the label is known at ts_ms[j] + 1 min (the close of
 * that bar) — its "label end". NaN when row j is absent.
 *
 * Training (cpe_modelset_train) for horizon H uses only the candidate rows whose label end
 * is <= label_cutoff_ms: the caller (walk-forward, `cpe train`) states the time up to
 * which outcomes may be known, and no label beyond it is ever read. Within the rows:
 *   [ fit rows | H-hour gap | validation rows (last 20 %) ]
 * trees are fitted on the fit rows, early-stopped on the validation rows, and the
 * calibrator (Platt or isotonic, whichever has the lower held-out log-loss) and the cone
 * scales s1, s2 (cone.h, spec 11.3) are fitted on the validation rows, which the trees never
 * saw. The volatility models are fitted on up to garch_hours 1h log returns ending at the
 * last candidate row (hourly, chosen by the volatility module: docs/MODELS_VOLATILITY.md).
 *
 * Volatility at a row. h_next = the GARCH-t recursion run over the last filter_hours
 * hourly returns ending at the row (cpe_modelset_h_next); the same happens live, so a
 * prediction needs the feature vector plus the recent hourly returns.
 *
 * Ownership: a cpe_modelset_t owns its boosters, calibrators and feature names;
 * cpe_modelset_free releases them (no-op on a zeroed struct). Threads: after training
 * or loading, predict functions are read-only and may run concurrently (see gbt.h).
 */
#ifndef CPE_MODELSET_H
#define CPE_MODELSET_H

#include "cpe/drift.h"
#include "cpe/calib.h"
#include "cpe/cone.h"
#include "cpe/error.h"
#include "cpe/garch.h"
#include "cpe/gbt.h"
#include "cpe/regime.h"
#include "cpe/rvol.h"
#include "cpe/tcone.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_MS_MAX_H 4

typedef struct cpe_mlview {
    size_t n, ncol;
    const int64_t *ts_ms;     /* ascending */
    const double *X;          /* n * ncol, row-major, NaN = missing */
    const double *close;      /* n */
    const char *const *names; /* ncol feature names */
} cpe_mlview_t;

/* y_move of row i for horizon_h hours (NaN when the row H hours later is absent). */
double cpe_ml_label(const cpe_mlview_t *v, size_t i, int horizon_h);
/* The label end (ms) of row i for horizon H: when the outcome becomes known. */
int64_t cpe_ml_label_end(int64_t ts_ms, int horizon_h);
/* Up to max consecutive 1h log returns ending at row i, oldest first; returns the count
 * (stops at the first missing hour). */
size_t cpe_ml_hourly_returns(const cpe_mlview_t *v, size_t i, size_t max, double *out);
/* Index of the row with ts_ms == ts, or (size_t)-1. */
size_t cpe_ml_find(const cpe_mlview_t *v, int64_t ts);

typedef struct cpe_hmodel {
    int horizon_h;
    cpe_gbt_t cls, reg;
    cpe_calib_t calib;
    double base_rate;       /* share of y_up = 1 among the fitted rows */
    cpe_cone_scale_t scale; /* s1, s2 for the cone bands */
    size_t n_fit, n_valid;
    double valid_logloss_raw, valid_logloss_cal, valid_auc;
    /* Drift terms are used only when they helped SIGNIFICANTLY on the validation rows
     * (one-sided 5 %, the overlap of H-hour outcomes on the row grid accounted for; an
     * unvalidated drift moved the cone's median the wrong way out of sample):
     * use_move          the regressor's squared error beat the zero forecast's
     *                   (Diebold-Mariano t <= -1.645, Newey-West over 2 H hours of rows)
     * use_regime_drift  the spec 11.2 trend drift (+-0.5 / -1 sigma) had the sign of the
     *                   outcome on more of the trending/panic validation rows than chance
     *                   allows (z >= 1.645 with the variance inflated by the overlap) */
    int use_move, use_regime_drift;
    double valid_rmse_move, valid_rmse_zero, regime_drift_hit;
    /* use_direction: the calibrated classifier (calibrator fitted on the first 2/3 of the
     * validation rows) beat the constant base rate in log-loss on the last 1/3; when it
     * did not, p_up is the base rate (the model abstains from a direction call). */
    int use_direction;
    double holdout_logloss_model, holdout_logloss_base;
    /* shrinkage toward the base rate: p_up = base + shrink_w (calibrated - base). The
     * weight minimises the cross-fitted log-loss of the validation rows (the calibrator
     * fitted on one half, scored on the other, both ways) and is kept only when that gain
     * over the base rate is significant (Diebold-Mariano t <= -1.645, Newey-West with 2 H
     * hours of lags: the outcomes overlap); else 0 = abstain. use_direction = shrink_w > 0. */
    double shrink_w, shrink_t;
} cpe_hmodel_t;

typedef struct cpe_modelset_config {
    int n_h;
    int horizons_h[CPE_MS_MAX_H]; /* 1, 4, 8, 24 */
    cpe_gbt_params_t cls, reg;
    int garch_hours;  /* 1h returns for the volatility fit (8760) */
    int filter_hours; /* 1h returns filtered for h_next at a row (240) */
    int cone_paths;   /* Monte Carlo paths for the scale fit (1000) */
    int scale_rows;   /* validation rows used for the scale fit, evenly spaced (600) */
    uint64_t seed;
} cpe_modelset_config_t;

typedef struct cpe_modelset {
    size_t ncol;
    char **names;
    double *present; /* ncol: share of training rows where the feature was not missing */
    int n_h;
    cpe_hmodel_t h[CPE_MS_MAX_H];
    cpe_garch_t vol;   /* GARCH-t on 1h returns, or EWMA (vol.fallback) */
    cpe_garch_t vol_n; /* GARCH-normal on the same returns (baseline) */
    cpe_rvol_t rvol;   /* realized-volatility forecaster (rvol.ok = 0: none, GARCH cone) */
    cpe_regime_thresholds_t regime;
    int has_regime;
    int regime_idx[4]; /* columns of volatility_1h, volatility_24h, returns_4h, returns_24h */
    int64_t train_from_ms, train_to_ms, label_cutoff_ms, trained_at_ms;
    cpe_gbt_params_t cls_params, reg_params;
    int filter_hours;
    cpe_drift_ref_t drift; /* the drift score's training deciles (drift.h); k = 0: none */
    int scales_pending;    /* cpe_modelset_train_lazy: h[].scale not fitted yet (all 1) */
} cpe_modelset_t;

void cpe_modelset_config_default(cpe_modelset_config_t *c);

/* Train on candidate rows[nrows] (indices into v, ascending). See the top comment. */
int cpe_modelset_train(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows, size_t nrows,
                       int64_t label_cutoff_ms, const cpe_modelset_config_t *cfg, cpe_diag_t *d);

/* As cpe_modelset_train, but the GARCH cone's scales s1, s2 of every horizon (a Monte
 * Carlo fit of cone_paths paths on scale_rows validation rows, ~7 % of a training) are
 * left out: ms->scales_pending = 1 and every scale is 1. For a caller whose predictions
 * mostly come from the realized-volatility model's t cone, which never reads them (the
 * walk-forward): it calls cpe_modelset_fit_scales with the same view, rows and
 * configuration before the first GARCH cone, which fits exactly the scales
 * cpe_modelset_train would have (same rows, seeds and regressor outputs). A failure of
 * that fit then surfaces there, not in the training. */
int cpe_modelset_train_lazy(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                            size_t nrows, int64_t label_cutoff_ms, const cpe_modelset_config_t *cfg,
                            cpe_diag_t *d);
int cpe_modelset_fit_scales(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                            size_t nrows, const cpe_modelset_config_t *cfg, cpe_diag_t *d);

/* Per horizon k (0..n_h-1): p_raw[k*nrow + i], p_up[k*nrow + i] (calibrated, or the base
 * rate when !use_direction), move[..] (the regressor's raw output).
 * Any output pointer may be NULL. */
int cpe_modelset_predict(const cpe_modelset_t *ms, const double *X, size_t nrow, double *p_raw,
                         double *p_up, double *move);

/* Variance of the next hour after the hourly returns r[n] (oldest first). */
double cpe_modelset_h_next(const cpe_modelset_t *ms, const double *r, size_t n);

/* Volatility state after the hourly returns r[n] (oldest first): *h_next as above, and the
 * extreme-volatility check (regime.h, spec 17.2) over the standardised residuals
 * r_t / sqrt(h_t) of the last 24 hours (threshold 5 sigma). */
double cpe_modelset_vol_state(const cpe_modelset_t *ms, const double *r, size_t n,
                              cpe_extreme_t *extreme);

/*
 * Confidence (low / medium / high) of a direction call, from three things:
 *   edge   = |p_up - 0.5| of the CALIBRATED probability: high >= 0.10, medium >= 0.04,
 *            otherwise low (on held-out BTC data few calls reach 0.10; see MODEL_CARD.md);
 *   regime = high-vol and panic lower the level by one (the cone is wide, calls fragile);
 *   data   = extreme volatility (> 5 sigma move in the last day) lowers it by one, and a
 *            feature vector with under 80 % of the model's features present (data_quality
 *            < 0.8) or stale inputs force "low".
 * Returns "low", "medium" or "high".
 */
const char *cpe_confidence(double p_up, cpe_regime_t regime, int extreme_penalty,
                           double data_quality, int stale);

/* Share of the features present in >= 50 % of training rows that are present in x (0..1;
 * 1 when the model has no such feature). */
double cpe_modelset_data_quality(const cpe_modelset_t *ms, const double *x);

/* The reported expected move of horizon index k: the regressor's output when use_move,
 * else 0 (the model abstains from a magnitude call it could not validate). */
double cpe_modelset_move(const cpe_modelset_t *ms, int k, double move_raw);

/* The cone parameters of horizon index k for a bar, identical at scale fitting, in the
 * walk-forward and live: drift = cpe_modelset_move + the regime's drift when
 * use_regime_drift; the regime's vol multiplier (spec 11.2); the extreme-volatility
 * multiplier; the fitted scales s1/s2 (or 1 when scaled == 0, for the scale fit itself). */
void cpe_modelset_cone_params(const cpe_modelset_t *ms, int k, double close, int64_t t0_ms,
                              double move_raw, cpe_regime_t rg, const cpe_extreme_t *ex, int scaled,
                              cpe_cone_params_t *p);

/*
 * Volatility forecasts of every horizon at a row (bar close t_close_ms, features x in the
 * model's columns, the hourly returns r1h[nr] ending at the close, oldest first):
 *   v_garch, v_ewma  the GARCH-t and EWMA (lambda 0.94 per hour) variance of the H-hour log
 *                    return (NaN without 24 hourly returns)
 *   var, sd, nu      the realized model's forecast (rvol.h) when has_rvol: y ~ sd X_nu
 *   h_next, ex       the GARCH-t state and the extreme-move check (cpe_modelset_vol_state)
 */
typedef struct cpe_volfc {
    int has_rvol;
    double var[CPE_MS_MAX_H], sd[CPE_MS_MAX_H], nu[CPE_MS_MAX_H];
    double v_garch[CPE_MS_MAX_H], v_ewma[CPE_MS_MAX_H];
    double h_next;
    cpe_extreme_t ex;
} cpe_volfc_t;

void cpe_modelset_volfc(const cpe_modelset_t *ms, const double *x, int64_t t_close_ms,
                        const double *r1h, size_t nr, cpe_volfc_t *fc);

/* The t cone of horizon index k from a forecast with fc->has_rvol: sd and nu from the
 * realized model (widened by the extreme-move multiplier, spec 17.2), drift =
 * cpe_modelset_move + the regime's drift (in units of sd) when use_regime_drift, band
 * levels a1, a2 (tcone.h; CPE_TCONE_A1/A2 without online recalibration). */
void cpe_modelset_tcone_params(const cpe_modelset_t *ms, int k, const cpe_volfc_t *fc,
                               double move_raw, cpe_regime_t rg, double a1, double a2,
                               cpe_tcone_h_t *out);

/* Train ms->rvol on the candidate rows (called by cpe_modelset_train after the GARCH fit).
 * A view without the realized columns, or too few rows, leaves rvol.ok = 0 and returns 0:
 * the GARCH cone is then used. Other errors are returned. */
int cpe_modelset_train_rvol(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                            size_t nrows, int64_t label_cutoff_ms, const cpe_modelset_config_t *cfg,
                            cpe_diag_t *d);

/* Regime of a feature row (rule tags; NORMAL when the features are missing). */
cpe_regime_t cpe_modelset_regime(const cpe_modelset_t *ms, const double *x);

/* Horizon index of horizon_h, or -1. */
int cpe_modelset_hidx(const cpe_modelset_t *ms, int horizon_h);

/* Feature names (copied) and column count; used by train and load. */
int cpe_modelset_set_names(cpe_modelset_t *ms, const char *const *names, size_t ncol);

void cpe_modelset_free(cpe_modelset_t *ms);

#endif
