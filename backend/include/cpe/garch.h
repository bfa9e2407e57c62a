/*
 * garch.h — conditional volatility: GARCH(1,1) and GJR-GARCH(1,1) with a constant mean and
 * Normal or Student-t innovations, fitted by maximum likelihood; EWMA as the fallback.
 *
 * The model, for returns r_t (t = 1..n):
 *
 *     r_t = mu + e_t,        e_t = sqrt(h_t) z_t,   z_t iid, mean 0, variance 1
 *     h_{t+1} = omega + (alpha + gamma [e_t < 0]) e_t^2 + beta h_t       (gamma = 0: GARCH)
 *     h_1 = backcast = sample variance of r (the "start-up"; fixed, not estimated)
 *
 * z_t is N(0,1) or a Student-t with nu degrees of freedom scaled to unit variance.
 * Constraints hold by construction (the optimiser works on transformed parameters):
 * omega > 0, alpha, gamma, beta >= 0, persistence alpha + beta + gamma/2 < 1, nu > 2.
 *
 * Fitting: exact analytic gradient of the log-likelihood (derivatives carried through the
 * variance recursion), BFGS with a backtracking line search on the transformed parameters;
 * standard errors from the inverse of a numerical Hessian (finite differences of the
 * analytic gradient) in natural parameters. Returns are internally multiplied by a power of
 * ten (`scale`, auto or given) so that their std lies in [1, 10); everything stored in
 * cpe_garch_t is converted back to the units of the returns passed in.
 *
 * The product fits this model on 1h log returns (see docs/MODELS_VOLATILITY.md), so one
 * model step = one hour and forecasts over horizon H are sums of H one-step variances.
 *
 * State: cpe_garch_t is a plain struct of numbers (no pointers), safe to copy, to write
 * into JSON metadata field by field and to share read-only between threads. All functions
 * are pure: no I/O, no globals; random draws take an explicit seed.
 */
#ifndef CPE_GARCH_H
#define CPE_GARCH_H

#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

enum cpe_garch_kind { CPE_GARCH = 0, CPE_GJR = 1 };
enum cpe_garch_dist { CPE_DIST_NORMAL = 0, CPE_DIST_T = 1 };

/* Parameter order used by every array of parameters below. */
enum cpe_garch_param {
    CPE_GP_MU = 0,
    CPE_GP_OMEGA,
    CPE_GP_ALPHA,
    CPE_GP_GAMMA,
    CPE_GP_BETA,
    CPE_GP_NU,
    CPE_GP_COUNT
};

#define CPE_EWMA_LAMBDA 0.94 /* RiskMetrics (1996) daily decay; used per hourly step */
#define CPE_GARCH_MIN_OBS 50

typedef struct cpe_garch_opts {
    int kind;            /* CPE_GARCH or CPE_GJR */
    int dist;            /* CPE_DIST_NORMAL or CPE_DIST_T */
    double scale;        /* multiply returns by this before fitting; <= 0: auto power of ten */
    int max_iter;        /* BFGS iterations (default 200) */
    double grad_tol;     /* converged when max |gradient of mean log-lik| < grad_tol (1e-6) */
    int std_errors;      /* compute standard errors (default 1) */
    const double *start; /* optional natural-parameter start (CPE_GP_COUNT values) or NULL */
} cpe_garch_opts_t;

typedef struct cpe_garch {
    int kind, dist;
    /* natural parameters in the units of the returns; gamma = 0 unless GJR; nu = 0 if Normal */
    double mu, omega, alpha, gamma, beta, nu;
    /* standard errors (NaN when not computed or the Hessian was not negative definite) */
    double se_mu, se_omega, se_alpha, se_gamma, se_beta, se_nu;
    double loglik;   /* at the optimum, in the units of the returns passed in */
    double backcast; /* h_1: sample variance of the fitted returns */
    double last_h;   /* conditional variance of the step after the last fitted return */
    double scale;    /* factor the returns were multiplied by during the fit */
    int n_obs;
    int converged; /* 1 when the gradient criterion was met */
    int iterations;
    int fallback;       /* 1: this is the EWMA model (omega 0, alpha 1-lambda, beta lambda) */
    double ewma_lambda; /* lambda of the fallback, 0 otherwise */
} cpe_garch_t;

void cpe_garch_opts_default(cpe_garch_opts_t *o);

/* Maximum-likelihood fit. Returns 0 with *out filled (check out->converged), or
 * CPE_EINVAL / CPE_EDATA (fewer than CPE_GARCH_MIN_OBS returns, non-finite values, zero
 * variance) with a message in d. A fit that does not converge still returns 0. */
int cpe_garch_fit(const double *r, size_t n, const cpe_garch_opts_t *o, cpe_garch_t *out,
                  cpe_diag_t *d);

/* As cpe_garch_fit, but when the fit fails or does not converge *out becomes the EWMA
 * model (lambda CPE_EWMA_LAMBDA, fallback = 1) filtered over r. Fails only on input that
 * cannot give any variance (n < 2, non-finite values). */
int cpe_garch_fit_or_ewma(const double *r, size_t n, const cpe_garch_opts_t *o, cpe_garch_t *out,
                          cpe_diag_t *d);

/* The EWMA model: h_{t+1} = lambda h_t + (1 - lambda) r_t^2 (mean 0), h_1 = sample variance. */
int cpe_ewma_fit(const double *r, size_t n, double lambda, cpe_garch_t *out, cpe_diag_t *d);

/* Log-likelihood of r under the natural parameters p[CPE_GP_COUNT] (kind/dist from m),
 * recursion started at h_1 = backcast; grad (may be NULL) receives d loglik / d p.
 * *last_h (may be NULL) receives h_{n+1}. Returns -inf for parameters outside the domain. */
double cpe_garch_loglik(int kind, int dist, const double *p, const double *r, size_t n,
                        double backcast, double *grad, double *last_h);

/* Run the recursion of m over r starting from m->backcast; returns h_{n+1}, the variance of
 * the next return (what a live model calls after each new hourly return). */
double cpe_garch_filter(const cpe_garch_t *m, const double *r, size_t n);
/* One recursion step: the variance after observing return r when the current one was h. */
double cpe_garch_step(const cpe_garch_t *m, double h, double r);

double cpe_garch_persistence(const cpe_garch_t *m); /* alpha + beta + gamma/2 */
double cpe_garch_half_life(const cpe_garch_t *m);   /* steps; INFINITY when persistence >= 1 */
double cpe_garch_uncond_var(const cpe_garch_t *m);  /* omega/(1-p); NaN when p >= 1 */
/* Expected variance k steps ahead (k >= 1) given h_next = variance of the next step. */
double cpe_garch_forecast(const cpe_garch_t *m, double h_next, int k);
/* Sum of the expected variances of steps 1..steps: the variance of the log return over
 * `steps` steps (the mean is ignored). */
double cpe_garch_forecast_sum(const cpe_garch_t *m, double h_next, int steps);

/* Simulate n returns from m (start h = unconditional variance, or m->backcast if it is
 * not finite), seeded. out[n] caller-owned. */
void cpe_garch_simulate(const cpe_garch_t *m, size_t n, uint64_t seed, double *out);

const char *cpe_garch_kind_name(int kind); /* "garch" / "gjr" */
const char *cpe_garch_dist_name(int dist); /* "normal" / "t" */

#endif
