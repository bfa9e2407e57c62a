/*
 * tcone.h — the cone of the realized-volatility model: per horizon H a Student-t
 * predictive distribution of the H-hour log return, y ~ D + sd X_nu (X_nu unit-variance t,
 * rvol.h), with bands at the levels that online recalibration (aci.h) currently uses.
 *
 * Bands. The 1-sigma band is the central (1 - a1) interval and the 2-sigma band the
 * central (1 - a2) interval of the distribution, a1 = 0.3173 and a2 = 0.0455 when
 * calibrated as fitted; ACI moves a1, a2 per horizon. The full predictive quantile function
 * is the t's, with its probability levels warped piecewise linearly so that the nominal
 * levels 0.02275 / 0.15866 / 0.5 land on a2/2 / a1/2 / 0.5 (symmetric above 0.5): with
 * a1, a2 at their targets it is exactly the fitted t, and the bands shown are quantiles of
 * the distribution that is scored (cpe_tcone_quantile, CRPS from 199 of them).
 *
 * Steps. The cone of horizon H has points k = 0..H hours. Between the horizons' knots
 * (k = 0: variance 0; k = H_i: sd_i^2) the variance is interpolated linearly in k, and nu,
 * a1, a2 likewise, so the 1, 4, 8 and 24 h cones are one term structure: the point at 4 h
 * of the 24 h cone is the 4 h forecast. Drift: D k / H.
 *
 * Paths. The cone needs no simulation: its quantiles are those of any set of paths whose
 * marginal at each step is the distribution above (e.g. the GARCH-t Monte Carlo paths of
 * cone.h mapped rank for rank onto these marginals, which keeps each path coherent).
 * Pure computation.
 */
#ifndef CPE_TCONE_H
#define CPE_TCONE_H

#include "cpe/error.h"
#include "cpe/prediction.h"

#include <stdint.h>

#define CPE_TCONE_MAX_H 4
#define CPE_TCONE_A1 0.31731050786291410 /* 1 - (Phi(1) - Phi(-1)) */
#define CPE_TCONE_A2 0.04550026389635842 /* 1 - (Phi(2) - Phi(-2)) */

typedef struct cpe_tcone_h {
    int horizon_h;
    double sd, nu, drift; /* y ~ drift + sd X_nu over the horizon */
    double a1, a2;        /* band miss levels (CPE_TCONE_A1/A2 when uncorrected) */
} cpe_tcone_h_t;

/* Quantile at level tau of one horizon's predictive log return. */
double cpe_tcone_quantile(const cpe_tcone_h_t *h, double tau);

/* The level warp: the t's level w of nominal level tau (warp) and back (unwarp), for band
 * levels a1, a2 (clamped as the cone does). unwarp is piecewise linear in w; its slope on
 * w's segment is *slope (may be NULL): lets a scorer integrate over a fixed grid of t
 * levels (whose t quantiles it computes once per nu) instead of calling the t quantile
 * at every nominal level of every row. */
double cpe_tcone_warp(double tau, double a1, double a2);
double cpe_tcone_unwarp(double w, double a1, double a2, double *slope);

/* CRPS of one horizon's distribution at y: 2 * integral over the nominal levels of the
 * pinball loss, taken over the fixed grid of t levels w_j = (j + 1/2)/n (tau = unwarp(w_j),
 * d tau = slope dw) whose unit-variance t quantiles qt[j] the caller computed once per nu
 * with cpe_tcone_grid — a scorer pays n t quantiles per nu, not per row. At the target
 * levels the warp is the identity: cpe_crps_quantiles on n levels. */
void cpe_tcone_grid(double nu, int n, double *qt);
double cpe_tcone_crps(const cpe_tcone_h_t *h, double y, const double *qt, int n);

/* Its cumulative distribution at y (the PIT of an outcome). */
double cpe_tcone_cdf(const cpe_tcone_h_t *h, double y);

/* Fill out[i] (volatility, p023..p977, n_cone, cone[0..H]) for the n horizons (ascending
 * horizon_h), priced from close at t0_ms; other fields untouched. volatility = sd times
 * the 1-sigma band's widening (sd when a1 is at target). */
int cpe_tcone_fill(const cpe_tcone_h_t *h, int n, double close, int64_t t0_ms,
                   cpe_prediction_t *out, cpe_diag_t *d);

#endif
