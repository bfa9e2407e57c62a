/*
 * cone.h — the Monte Carlo prediction cone (spec 11.1) with GARCH-t dynamics.
 *
 * Paths: N (default 10,000) seeded paths of hourly log returns, driftless:
 *
 *     X_0 = 0,  X_k = X_{k-1} + e_k,  e_k = sqrt(h_k) z_k,  h_{k+1} = recursion of cpe_garch_t
 *     h_1 = the model's conditional variance of the next hour (passed in)
 *
 * z_k are unit-variance innovations of the model's distribution (Student-t(nu) or Normal),
 * drawn from a table of 4096 equiprobable quantiles (midpoints of 4096 equal-probability
 * cells, re-centred and re-scaled to mean 0 and variance 1 exactly) indexed by 12 random
 * bits; docs/MODELS_VOLATILITY.md measures the error this adds (far below the Monte Carlo
 * error of 10,000 paths). The 24 steps are simulated once and every horizon reads the same
 * paths: the quantiles q_k(p) of X_k at p = 2.3, 15.9, 50, 84.1, 97.7 % are kept per step.
 * They are exact order statistics (linear interpolation, numpy's default): a 512-bin
 * histogram on the analytic sd of X_k locates the bins holding the wanted ranks and a
 * quickselect runs on those bins only.
 *
 * A horizon H then becomes a prediction with no further simulation, because a drift and a
 * positive scale act on quantiles exactly. For step k <= H, with m = q_k(50 %):
 *
 *     ln P_k(p) = ln close + D k/H + m + s(p) * v * (q_k(p) - m)
 *     D = expected_move + drift_sigma * volatility        (the log-return drift over H)
 *     v = regime vol multiplier * extreme-volatility multiplier
 *     s = the calibration scale: s1 for the 15.9/84.1 % edges, s2 for 2.3/97.7 %
 *     volatility = sqrt(sum_{k<=H} E h_k) * v * s1        (analytic, not Monte Carlo)
 *
 * expected_move is the expected LOG return (features.md), so no -sigma^2/2 term is added.
 * The GARCH mean mu is not used: the drift comes from the magnitude model.
 *
 * Ownership: cpe_cone_ws_t is a caller-owned workspace (paths, innovation table, quantiles),
 * init/free paired; one workspace per thread. Everything else is pure computation.
 */
#ifndef CPE_CONE_H
#define CPE_CONE_H

#include "cpe/error.h"
#include "cpe/garch.h"
#include "cpe/prediction.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_CONE_PATHS 10000
#define CPE_CONE_TABLE_BITS 12
#define CPE_CONE_NQ 5 /* quantiles per step, in the order of cpe_cone_probs[] */

extern const double cpe_cone_probs[CPE_CONE_NQ]; /* 0.023, 0.159, 0.5, 0.841, 0.977 */

typedef struct cpe_cone_ws {
    int n_paths;
    int steps;      /* steps simulated by the last cpe_cone_simulate */
    int table_dist; /* distribution/nu the innovation table was built for */
    double table_nu;
    float *table;        /* 1 << CPE_CONE_TABLE_BITS innovations */
    double *x;           /* n_paths cumulative log returns */
    double *h;           /* n_paths conditional variances */
    double *tmp;         /* n_paths scratch for quantile selection */
    unsigned short *bin; /* n_paths histogram bin of each path's X_k (quantile search) */
    double h_sum[CPE_CONE_MAX_STEPS + 1];          /* analytic sum of E h_1..E h_k */
    double q[CPE_CONE_MAX_STEPS + 1][CPE_CONE_NQ]; /* q[k][j]: quantile j of X_k (q[0] = 0) */
} cpe_cone_ws_t;

int cpe_cone_ws_init(cpe_cone_ws_t *ws, int n_paths); /* <= 0: CPE_CONE_PATHS; >= 100 */
void cpe_cone_ws_free(cpe_cone_ws_t *ws);

/* Simulate `steps` (1..CPE_CONE_MAX_STEPS) hourly steps of n_paths driftless paths under
 * model m starting from h_next, fill ws->q and ws->h_sum. Deterministic for a seed. */
int cpe_cone_simulate(cpe_cone_ws_t *ws, const cpe_garch_t *m, double h_next, int steps,
                      uint64_t seed, cpe_diag_t *d);

/* Per-horizon calibration scales (spec 11.3): s1 for the 1-sigma band, s2 for the 2-sigma
 * band; s = single-scale compromise. 1.0 = uncalibrated. */
typedef struct cpe_cone_scale {
    double s1, s2, s;
    double cov1_s1, cov2_s2; /* in-sample coverage achieved by s1 (1-sigma) and s2 (2-sigma) */
    double cov1_s, cov2_s;   /* in-sample coverages achieved by the single scale s */
    size_t n;
} cpe_cone_scale_t;

/* What one horizon's prediction needs beyond the simulated paths. */
typedef struct cpe_cone_params {
    int horizon_h;        /* 1..ws->steps */
    double close;         /* price at step 0 */
    int64_t t0_ms;        /* time of step 0 (the bar's close); step k is t0_ms + k hours */
    double expected_move; /* magnitude model: expected log return over the horizon */
    double s1, s2;        /* calibration scales (1.0 when uncalibrated) */
    double vol_mult;      /* regime vol multiplier (spec 11.2; 1.0 = none) */
    double drift_sigma;   /* regime drift adjustment in units of the horizon sigma */
    double extreme_mult;  /* > 1 widens the cone after a > 5 sigma move (1.0 = none) */
} cpe_cone_params_t;

/* Defaults: scales 1, vol_mult 1, drift 0, extreme 1 (fields other than those zeroed). */
void cpe_cone_params_default(cpe_cone_params_t *p);

/* Fill out->volatility, p023..p977 (price at t0 + H), n_cone and cone[0..H] from the
 * simulated quantiles; leaves every other field of out untouched. */
int cpe_cone_fill(const cpe_cone_ws_t *ws, const cpe_cone_params_t *p, cpe_prediction_t *out,
                  cpe_diag_t *d);

/* One call for several horizons: simulate max(horizon) steps once, then fill out[i] from
 * p[i]. */
int cpe_cone_predict(cpe_cone_ws_t *ws, const cpe_garch_t *m, double h_next, uint64_t seed,
                     const cpe_cone_params_t *p, size_t n, cpe_prediction_t *out, cpe_diag_t *d);

/* The scale a realised price needed to fall inside an UNCALIBRATED prediction's bands
 * (made with s1 = s2 = 1): r1 for the 15.9/84.1 % band, r2 for 2.3/97.7 %, measured from the
 * median in log space on the side where the price fell. */
void cpe_cone_outcome_ratio(const cpe_prediction_t *uncal, double realised_price, double *r1,
                            double *r2);

/* Fit the scales on validation ratios (from cpe_cone_outcome_ratio): s1 = 68.3 % quantile
 * of r1, s2 = 95.4 % quantile of r2 (exact in-sample coverage); s minimises the sum of the
 * squared coverage errors of both bands with one scale. n >= 20 or CPE_EDATA. */
int cpe_cone_fit_scale(const double *r1, const double *r2, size_t n, cpe_cone_scale_t *out,
                       cpe_diag_t *d);

/* Quantile (linear interpolation between order statistics, numpy's default) of v[n] at
 * probability p; reorders v. */
double cpe_quantile_select(double *v, size_t n, double p);

#endif
