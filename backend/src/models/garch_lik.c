/* garch_lik.c — the GARCH/GJR log-likelihood and its exact gradient (see cpe/garch.h).
 *
 * The gradient carries d h_t / d theta through the variance recursion:
 *     d h_{t+1} = [ -2 (alpha + gamma I_t) e_t,  1,  e_t^2,  I_t e_t^2,  h_t ] + beta d h_t
 * for theta = (mu, omega, alpha, gamma, beta), d h_1 = 0 (fixed backcast), and adds the
 * direct terms d l_t / d e_t (for mu) and d l_t / d nu.
 *
 * Speed: the two logarithms per observation (ln h_t and, for the t, ln D_t with
 * D_t = (nu-2) h_t + e_t^2) are taken of running products, renormalised before they can
 * overflow or underflow, so the loop costs one log per ~many observations. */
#include "cpe/garch.h"

#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Running product whose logarithm is flushed into acc when it leaves [1e-200, 1e200]. */
typedef struct logprod {
    double p, acc;
} logprod_t;

static inline void lp_mul(logprod_t *l, double v)
{
    l->p *= v;
    if (l->p > 1e200 || l->p < 1e-200) {
        l->acc += log(l->p);
        l->p = 1.0;
    }
}

static inline double lp_sum(const logprod_t *l)
{
    return l->acc + log(l->p);
}

/* 1.0 when e is negative, else 0.0, from the sign bit: a comparison here tends to be
 * compiled to a branch, which mispredicts half the time (the sign of e is a coin flip). */
static inline double neg_ind(double e)
{
    uint64_t u;
    memcpy(&u, &e, sizeof u);
    return (double)(u >> 63);
}

static int params_ok(int kind, int dist, const double *p)
{
    if (!(p[CPE_GP_OMEGA] >= 0) || !(p[CPE_GP_ALPHA] >= 0) || !(p[CPE_GP_BETA] >= 0) ||
        !isfinite(p[CPE_GP_MU]) || !isfinite(p[CPE_GP_OMEGA]) || !isfinite(p[CPE_GP_BETA]))
        return 0;
    if (kind == CPE_GJR && !(p[CPE_GP_ALPHA] + p[CPE_GP_GAMMA] >= 0)) return 0;
    if (dist == CPE_DIST_T && !(p[CPE_GP_NU] > 2.0 && isfinite(p[CPE_GP_NU]))) return 0;
    return 1;
}

double cpe_garch_loglik(int kind, int dist, const double *p, const double *r, size_t n,
                        double backcast, double *grad, double *last_h)
{
    if (grad)
        for (int j = 0; j < CPE_GP_COUNT; j++)
            grad[j] = 0;
    if (!params_ok(kind, dist, p) || !(backcast > 0)) return -INFINITY;
    const double mu = p[CPE_GP_MU], omega = p[CPE_GP_OMEGA], alpha = p[CPE_GP_ALPHA];
    const double gamma = kind == CPE_GJR ? p[CPE_GP_GAMMA] : 0.0, beta = p[CPE_GP_BETA];
    const int is_t = dist == CPE_DIST_T;
    const double nu = is_t ? p[CPE_GP_NU] : 0.0;
    const double nm2 = nu - 2.0, half_nu1 = 0.5 * (nu + 1.0);

    logprod_t lh = {1.0, 0.0}, ld = {1.0, 0.0};
    double h = backcast, sum_e2h = 0.0;
    /* gradient state */
    double dmu = 0, dom = 0, dal = 0, dga = 0, dbe = 0;          /* d h_t / d theta */
    double gmu = 0, gom = 0, gal = 0, gga = 0, gbe = 0, gnu = 0; /* accumulated score */

    if (!grad) {
        for (size_t t = 0; t < n; t++) {
            double e = r[t] - mu, e2 = e * e;
            lp_mul(&lh, h);
            if (is_t)
                lp_mul(&ld, nm2 * h + e2);
            else
                sum_e2h += e2 / h;
            double ae = alpha + gamma * neg_ind(e);
            h = (omega + ae * e2) + beta * h;
        }
    } else {
        for (size_t t = 0; t < n; t++) {
            double e = r[t] - mu, e2 = e * e, ih = 1.0 / h;
            double A, dle; /* d l_t / d h_t and d l_t / d e_t */
            lp_mul(&lh, h);
            if (is_t) {
                double D = nm2 * h + e2, iD = 1.0 / D;
                lp_mul(&ld, D);
                A = 0.5 * ((nu + 1.0) * e2 * iD - 1.0) * ih;
                dle = -(nu + 1.0) * e * iD;
                gnu += e2 * iD;
            } else {
                double e2h = e2 * ih;
                sum_e2h += e2h;
                A = 0.5 * (e2h - 1.0) * ih;
                dle = -e * ih;
            }
            gmu += A * dmu - dle;
            gom += A * dom;
            gal += A * dal;
            gga += A * dga;
            gbe += A * dbe;
            double neg = neg_ind(e), ae = alpha + gamma * neg;
            dmu = -2.0 * ae * e + beta * dmu;
            dom = 1.0 + beta * dom;
            dal = e2 + beta * dal;
            dga = neg * e2 + beta * dga;
            dbe = h + beta * dbe;
            h = (omega + ae * e2) + beta * h;
        }
    }
    if (last_h) *last_h = h;

    double sum_lnh = lp_sum(&lh), ll;
    const double dn = (double)n;
    if (is_t) {
        double sum_lnD = lp_sum(&ld);
        double c = lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu) - 0.5 * log(M_PI * nm2);
        /* l_t = c - 0.5 ln h - (nu+1)/2 ln(1 + e^2/((nu-2)h)),  1 + q = D / ((nu-2) h) */
        double sum_ln1q = sum_lnD - dn * log(nm2) - sum_lnh;
        ll = dn * c - 0.5 * sum_lnh - half_nu1 * sum_ln1q;
        if (grad) {
            double dc = 0.5 * gsl_sf_psi(0.5 * (nu + 1.0)) - 0.5 * gsl_sf_psi(0.5 * nu) - 0.5 / nm2;
            /* d/dnu of -(nu+1)/2 ln(1+q) at fixed h: -0.5 ln(1+q) + (nu+1)/2 q/((nu-2)(1+q)),
             * q/(1+q) = e^2 / D */
            grad[CPE_GP_NU] = dn * dc - 0.5 * sum_ln1q + half_nu1 * gnu / nm2;
        }
    } else {
        ll = -0.5 * dn * log(2.0 * M_PI) - 0.5 * sum_lnh - 0.5 * sum_e2h;
    }
    if (grad) {
        grad[CPE_GP_MU] = gmu;
        grad[CPE_GP_OMEGA] = gom;
        grad[CPE_GP_ALPHA] = gal;
        grad[CPE_GP_GAMMA] = kind == CPE_GJR ? gga : 0.0;
        grad[CPE_GP_BETA] = gbe;
    }
    return isfinite(ll) ? ll : -INFINITY;
}
