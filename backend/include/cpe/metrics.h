/*
 * metrics.h — forecast scores used by walk-forward evaluation, the registry and the
 * champion/challenger test. Pure functions over caller-owned arrays; rows where any input
 * is NaN are skipped (each function says which inputs), and a function that has no usable
 * row returns NaN.
 *
 * Direction (p = forecast P(up), y = 1 up / 0 not up):
 *   accuracy      share of rows with (p > 0.5) == y
 *   auc           Mann-Whitney: P(p of a random positive > p of a random negative), ties 1/2
 *   brier         mean (p - y)^2
 *   logloss       -mean(y ln p + (1-y) ln(1-p)), p clipped to [1e-15, 1 - 1e-15]
 *   ece           10 equal-width bins of p on [0,1]: sum_b (n_b/n) |mean p_b - mean y_b|
 *   top_accuracy  accuracy over the `frac` (0.1) of rows with the largest |p - 0.5|
 *                 (ties at the cut are broken by row order)
 * Intervals:
 *   coverage      share of rows with lo <= x <= hi
 * Distribution (x = realised log return):
 *   crps_gauss    CRPS of N(mu, sigma^2) at x, closed form (Gneiting & Raftery 2007):
 *                 sigma * ( z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi) ),  z = (x - mu)/sigma
 *   crps_samples  CRPS of the empirical distribution of n SORTED samples s at x:
 *                 (1/n) sum |s_i - x| - (1/n^2) sum_i (2i - n - 1) s_i    (i = 1..n)
 *                 which equals E|S - x| - E|S - S'|/2 exactly for that distribution.
 * Lower is better for brier, logloss, ece, crps; higher for accuracy, auc.
 */
#ifndef CPE_METRICS_H
#define CPE_METRICS_H

#include <stddef.h>

double cpe_metric_accuracy(const double *p, const double *y, size_t n);
double cpe_metric_auc(const double *p, const double *y, size_t n);
double cpe_metric_brier(const double *p, const double *y, size_t n);
double cpe_metric_logloss(const double *p, const double *y, size_t n);
double cpe_metric_ece(const double *p, const double *y, size_t n, int bins);
double cpe_metric_top_accuracy(const double *p, const double *y, size_t n, double frac);
double cpe_metric_coverage(const double *x, const double *lo, const double *hi, size_t n);
double cpe_crps_gauss(double mu, double sigma, double x);
double cpe_crps_samples(const double *sorted, size_t n, double x);

/* Per-row log-loss (for paired tests); NaN where p or y is NaN. */
double cpe_logloss1(double p, double y);

#endif
