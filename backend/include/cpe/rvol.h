/*
 * rvol.h — the realized-volatility forecaster: per horizon H a seasonal log-HAR on 1m
 * realized variance, combined with the GARCH-t and EWMA forecasts of hourly returns by
 * validation QLIKE, with a Student-t predictive shape fitted on validation residuals.
 *
 * Inputs at a row (bar close t): the feature columns realized_var_{1h,4h,8h,24h,7d} and
 * volume_{1h,24h}_vs_7d (features_realized.c), and the GARCH-t / EWMA variance of the next
 * H hours (from hourly returns, modelset.h). Seasonal factors S (of the variance of 1m
 * returns) and SV (of volume) per hour of week (season.h), fitted on training rows only.
 *
 *   deseasonalised RV of a window w ending at t:  RVd_w = RV_w / S(t - w, t)
 *   regressors  1, ln RVd_1h, ln RVd_24h, ln RVd_7d, ln RVd_H (H = 4, 8),
 *               ln(volume_1h_vs_7d / SV(t - 1h, t)), ln(volume_24h_vs_7d / SV(t - 24h, t))
 *   target      ln RVd of the next H hours = ln(RV_H(t + H) / S(t, t + H))
 *   HAR         OLS on the fit rows (the first 80 % minus an H gap, as the trees);
 *               V_har = exp(x b + s2/2) S(t, t + H)      (s2 = residual variance: the
 *               log-normal bias correction)
 *   combination ln V = w_har ln V_har + w_garch ln V_garch + w_ewma ln V_ewma, weights on a
 *               0.05 grid of the simplex minimising QLIKE (ln f + y^2/f) of the H-hour log
 *               return on the validation rows, each candidate with its QLIKE-optimal level;
 *               kept only when it beats the HAR alone by CPE_RVOL_COMB_MARGIN, else the
 *               HAR alone (w = 1, 0, 0);
 *   level       var = level * V, level = mean(y^2 / V) on the validation rows (RV of 1m
 *               returns and the variance of H-hour returns differ by microstructure);
 *   shape       z = y / sqrt(var) on the validation rows, fitted z ~ scale * X_nu
 *               (unit-variance Student-t, cpe_t_fit): y ~ sd X_nu, sd = sqrt(var) scale.
 *   extremes    the spec widens the cone after an extreme move (> 5 sigma): by how much is
 *               measured, not assumed — ext_mult = sqrt(mean(y^2 / var)) over the validation
 *               rows that followed one (>= 20 of them, else 1), clamped to [1, 2]; the
 *               volatility model has usually reacted already, and a fixed factor made the
 *               cones worse out of sample (ETH hourly: CRPS 1.3-2.9 % worse).
 *
 * A row lacking a realized column (warm-up) has no forecast: cpe_rvol_forecast returns
 * CPE_EDATA and the caller uses the GARCH cone.
 * Without realized history (no_har: a symbol trained on hourly bars, whose rows never carry
 * the realized columns — dataset.h), candidate 0 is the GARCH-t forecast itself: the same
 * combination (kept only when it beats GARCH-t alone by the margin), level and t shape on
 * the validation rows, so such a symbol still gets the t cone, its term structure and the
 * online recalibration; no season, no HAR.
 * Everything is pure computation over caller-owned arrays; the struct is plain numbers
 * (registry metadata stores them field by field).
 */
#ifndef CPE_RVOL_H
#define CPE_RVOL_H

#include "cpe/error.h"
#include "cpe/season.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_RVOL_MAX_H 4
#define CPE_RVOL_MAXP 8
#define CPE_RVOL_NCAND 3          /* HAR, GARCH-t, EWMA */
#define CPE_RVOL_COMB_MARGIN 0.01 /* validation QLIKE a combination must gain over the HAR */

/* Feature columns the model reads, in this order. */
enum {
    CPE_RVC_1H,
    CPE_RVC_4H,
    CPE_RVC_8H,
    CPE_RVC_24H,
    CPE_RVC_7D,
    CPE_RVC_VOL1H,
    CPE_RVC_VOL24H,
    CPE_RVC_N
};
extern const char *const cpe_rvol_columns[CPE_RVC_N];

typedef struct cpe_rvol_h {
    int horizon_h;
    int p;                                  /* regressors incl. the intercept */
    double b[CPE_RVOL_MAXP], s2;            /* log-HAR coefficients and residual variance */
    double w[CPE_RVOL_NCAND];               /* combination weights (sum 1) */
    double level, level_har;                /* variance multipliers: combined, HAR alone */
    double nu, scale;                       /* predictive shape */
    double ext_mult;                        /* sd factor after an extreme move (>= 1) */
    double valid_qlike[CPE_RVOL_NCAND + 1]; /* HAR, GARCH-t, EWMA, combined (validation) */
    size_t n_fit, n_valid;
} cpe_rvol_h_t;

typedef struct cpe_rvol {
    int ok;     /* trained (0: no realized columns or too few rows) */
    int no_har; /* 1: no realized history: candidate 0 is GARCH-t (top comment) */
    int n_h;
    cpe_season_t s_rv, s_vol;
    int col[CPE_RVC_N]; /* feature column of each input, -1 when the model lacks it */
    cpe_rvol_h_t h[CPE_RVOL_MAX_H];
} cpe_rvol_t;

/* Training data of one horizon, gathered by the caller (modelset.c): for rows[n] the
 * feature matrix X (row i at X + row[i] * ncol), the bar close time t_close_ms[i], the label
 * y[i] (H-hour log return), the future RV target rv_next[i] (realized_var_H of the row H
 * hours later; NaN when absent) and the GARCH-t and EWMA variances of the next H hours
 * (NaN when unavailable). The first n_fit rows fit the HAR, rows from valid_from on the
 * weights, level and shape. */
typedef struct cpe_rvol_data {
    size_t n, ncol, n_fit, valid_from;
    const double *X; /* feature rows: row i is X + row[i] * ncol */
    const size_t *row;
    const int64_t *t_close_ms;
    const double *y, *rv_next, *v_garch, *v_ewma;
    const unsigned char *extreme; /* 1: an extreme move (> 5 sigma, regime.h) in the 24 h
                                   * before the row; NULL = none known */
} cpe_rvol_data_t;

/* Column indices from feature names; 0 when every input exists, else CPE_EDATA. */
int cpe_rvol_bind(cpe_rvol_t *m, const char *const *names, size_t ncol, cpe_diag_t *d);

/* Seasonal factors from hourly samples of the training rows: row i is X + row[i] * ncol,
 * its 1h window ends at t_close[i]; the ratio realized_var_1h / (realized_var_7d / 168)
 * (and the volume ratio volume_1h_vs_7d). Call once before the horizons. */
int cpe_rvol_fit_season(cpe_rvol_t *m, const double *X, size_t ncol, const size_t *row,
                        const int64_t *t_close_ms, size_t n, cpe_diag_t *d);

/* Fit horizon index k (horizon_h) on the data. */
int cpe_rvol_fit_horizon(cpe_rvol_t *m, int k, int horizon_h, const cpe_rvol_data_t *data,
                         cpe_diag_t *d);

/* Forecast of horizon index k at a row: variance of the H-hour log return (*var, after the
 * level), and the predictive sd and nu (y ~ sd X_nu). v_garch / v_ewma may be NaN (the
 * HAR alone is used, with its own level). CPE_EDATA when a realized input is missing. */
int cpe_rvol_forecast(const cpe_rvol_t *m, int k, const double *x, int64_t t_close_ms,
                      double v_garch, double v_ewma, double *var, double *sd, double *nu);

/* The HAR alone (its own level, no combination): variance of the H-hour log return, NaN
 * when an input is missing. A baseline of the evaluation. */
double cpe_rvol_har_var(const cpe_rvol_t *m, int k, const double *x, int64_t t_close_ms);

/* HAR regressors of horizon H at a row into r[CPE_RVOL_MAXP]; returns p, or 0 when an
 * input is missing. Exposed for the tests (no future data: only the row's own features
 * and the calendar). */
int cpe_rvol_regressors(const cpe_rvol_t *m, int horizon_h, const double *x, int64_t t_close_ms,
                        double *r);

/* EWMA (RiskMetrics, lambda 0.94 per hour) variance of the next hour after hourly returns
 * r[n] (oldest first; started at the mean square of the first min(n, 24)); NaN when n < 24. */
double cpe_rvol_ewma_next(const double *r, size_t n);

#endif
