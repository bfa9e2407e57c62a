/*
 * scores.h — scoring rules for predictive distributions, the Student-t helpers they need,
 * and the Diebold-Mariano test that says whether one forecast's scores beat another's.
 *
 * Pure functions over caller-owned numbers: no I/O, no globals, no allocation. A score
 * whose inputs are invalid (NaN, sd <= 0, nu out of range) is NaN; lower is better for
 * every score here.
 *
 * Distributional scores (y = the realised value):
 *   crps_normal     CRPS of N(mu, sd^2):  sd [ z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi) ],
 *                   z = (y - mu)/sd (Gneiting & Raftery 2007; same as cpe_crps_gauss).
 *   crps_t          CRPS of loc + scale * T_nu (T_nu the standard t, NOT unit variance),
 *                   nu > 1, closed form (Gneiting & Raftery; R scoringRules crps_t):
 *                   scale [ z (2 F(z) - 1) + 2 f(z) (nu + z^2)/(nu - 1)
 *                           - 2 sqrt(nu) B(1/2, nu - 1/2) / ((nu - 1) B(1/2, nu/2)^2) ],
 *                   z = (y - loc)/scale, F and f the cdf and density of T_nu.
 *                   crps_t(-3; nu 5, 0, 1) = 2.33875895.
 *   crps_quantiles  CRPS from n quantiles q_i at levels tau_i (an even grid from
 *                   cpe_tau_grid: tau_i = (i + 1/2)/n):
 *                   2/n sum_i (1{y < q_i} - tau_i)(q_i - y)   (mean pinball loss x 2).
 *                   199 levels reproduce the closed forms within 0.5 %; 5 are too few.
 *   qlike           ln f + y/f for a variance forecast f > 0 and a realised proxy y >= 0
 *                   (defined at y = 0; differences between forecasts equal those of the
 *                   Patton form, which adds a term that depends on y alone).
 *   qlike_patton    y/f - ln(y/f) - 1, y > 0 (Patton 2011; 0 for a perfect forecast).
 *   winkler         interval score of a central (1 - alpha) interval [lo, hi]:
 *                   (hi - lo) + (2/alpha)(lo - y) 1{y < lo} + (2/alpha)(y - hi) 1{y > hi}.
 *   pit_add         10-bin PIT histogram: bin floor(10 u), u = 1 in the last bin; NaN and
 *                   u outside [0, 1] are not counted. Uniform bins = calibrated; a slope
 *                   shows bias, a U too narrow a distribution, a hump too wide.
 *
 * Student-t scaled to UNIT VARIANCE (X = sqrt((nu-2)/nu) T_nu, nu > 2), the shape the
 * volatility models use: cpe_t_std_cdf / cpe_t_std_quantile through GSL's t functions
 * (absolute error of the cdf < 1e-13 against 40-digit mpmath values, checked in the
 * tests); nu = INFINITY or nu > 1e6 is the standard normal.
 *
 * cpe_t_fit: maximum likelihood fit of z ~ s * X_nu (location 0) to standardised
 * residuals; nu in [2.05, 200] (the bounds are reached when the data ask for them: 200
 * means "Gaussian as far as the data can tell"), s > 0. Newton's method on
 * (ln c^2, ln nu), c = s sqrt((nu-2)/nu) the standard-t scale, on z divided by a robust
 * sd exp(mean ln|z| + 0.635) (so any scale, 1e-200 or 1e150, works alike), started at
 * nu = 5, with step halving so the likelihood never decreases; one pass over z per
 * iteration, no allocation (scores_tfit.c). The t likelihood already down-weights large
 * values (weight (nu+1)/(nu + z^2/c^2)); residuals beyond 100 robust sds are data errors
 * rather than tails and count as that cap, so a few wild values (1e6, 1e200, DBL_MAX) move nu by <
 * 0.2 and the scale by < 2 % instead of dragging nu towards its bound.
 *
 * Diebold-Mariano (cpe_dm_test) on loss differences d_t = loss_A,t - loss_B,t:
 *   t = mean(d) / sqrt(LRV / n),
 *   LRV = g_0 + 2 sum_{j=1..L} (1 - j/(L+1)) g_j,  g_j = 1/n sum_{t>=j} (d_t - m)(d_{t-j} - m)
 * (Newey-West, Bartlett weights), L = lags, or floor(4 (n/100)^(2/9)) when lags < 0;
 * p = 2 (1 - Phi(|t|)). Use L >= h - 1 for overlapping h-step outcomes (an MA(h-1)).
 * t < 0 means A has the lower loss.
 */
#ifndef CPE_SCORES_H
#define CPE_SCORES_H

#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_PIT_BINS 10

double cpe_crps_normal(double y, double mu, double sd);
double cpe_crps_t(double y, double nu, double loc, double scale);

/* Unit-variance Student-t (nu > 2; nu = INFINITY or > 1e6: standard normal). */
double cpe_t_std_cdf(double x, double nu);
double cpe_t_std_quantile(double p, double nu);

/* ML fit of z[n] ~ s * X_nu. 0, or CPE_EINVAL (NULL, NaN/inf z at index i),
 * CPE_EDATA (n < 10 or all |z| ~ 0), CPE_ECONVERGE (no convergence in 200 iterations;
 * *nu and *scale hold the last iterate). */
int cpe_t_fit(const double *z, size_t n, double *nu, double *scale, cpe_diag_t *d);

/* tau_i = (i + 0.5) / n for i < n. */
void cpe_tau_grid(size_t n, double *tau);
double cpe_crps_quantiles(double y, const double *q, const double *tau, size_t n);

double cpe_qlike(double f, double y);
double cpe_qlike_patton(double f, double y);
double cpe_winkler(double lo, double hi, double y, double alpha);

void cpe_pit_add(uint64_t hist[CPE_PIT_BINS], double u);

/* Diebold-Mariano on d[n]. 0, or CPE_EINVAL (NULL, NaN at index i, lags >= n),
 * CPE_EDATA (n < 2, or zero long-run variance: every d_t equal). */
int cpe_dm_test(const double *d, size_t n, int lags, double *stat, double *p_two_sided,
                cpe_diag_t *diag);

#endif
