/*
 * calib.h — probability calibration fitted on held-out data.
 *
 * Two maps from a raw classifier probability q to a calibrated probability:
 *   PLATT     p = 1 / (1 + exp(-(a * logit(q) + b))), (a, b) by Newton's method on the
 *             log-loss with a small ridge (1e-6) for stability; with a = 1, b = 0 it is the
 *             identity. Two parameters: robust when the signal is weak and q sits near 0.5,
 *             which is the usual case for crypto direction.
 *   ISOTONIC  pool-adjacent-violators (PAV) fit of y on q, non-decreasing; stored as knots
 *             (x_k = mean q of block k, y_k = its mean y), applied by linear interpolation
 *             between knots and held flat outside. Flexible, but steps overfit small sets.
 * Either output is clipped to [eps, 1 - eps] with eps = 1e-4, so log-loss stays finite.
 * cpe_calib_fit_auto fits both on the first 2/3 of the (time-ordered) rows, keeps the one
 * with the lower log-loss on the last 1/3, and refits the winner on all rows.
 *
 * Ownership: cpe_calib_t owns its knots; cpe_calib_free (no-op on a zeroed struct).
 * Threads: cpe_calib_apply is read-only and safe to call concurrently.
 */
#ifndef CPE_CALIB_H
#define CPE_CALIB_H

#include "cpe/error.h"

#include <stddef.h>

typedef enum cpe_calib_method {
    CPE_CALIB_NONE = 0,
    CPE_CALIB_PLATT = 1,
    CPE_CALIB_ISOTONIC = 2
} cpe_calib_method_t;

typedef struct cpe_calib {
    cpe_calib_method_t method;
    double a, b; /* Platt */
    size_t n;    /* isotonic knots */
    double *x, *y;
} cpe_calib_t;

/* Fit on q[n] (raw probabilities) and y[n] (0/1); NaN rows skipped. CPE_EDATA < 20 rows. */
int cpe_calib_fit(cpe_calib_t *c, cpe_calib_method_t method, const double *q, const double *y,
                  size_t n);
int cpe_calib_fit_auto(cpe_calib_t *c, const double *q, const double *y, size_t n);
double cpe_calib_apply(const cpe_calib_t *c, double q);
const char *cpe_calib_name(cpe_calib_method_t m); /* "none", "platt", "isotonic" */
/* Copy (deep). */
int cpe_calib_copy(cpe_calib_t *dst, const cpe_calib_t *src);
/* Set isotonic knots from arrays (used by the registry when loading). */
int cpe_calib_set_knots(cpe_calib_t *c, const double *x, const double *y, size_t n);
void cpe_calib_free(cpe_calib_t *c);

#endif
