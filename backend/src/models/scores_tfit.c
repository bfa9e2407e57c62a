/* scores_tfit.c — maximum likelihood fit of z ~ s * X_nu (unit-variance Student-t,
 * location 0) by Newton's method on p = (ln v, ln nu), v = c^2 the squared standard-t scale.
 *
 * Per observation, with q = z^2 / (nu v), r = q / (1 + q):
 *   l      = A(nu) - ln(v)/2 - (nu+1)/2 ln(1+q),  A = lnG((nu+1)/2) - lnG(nu/2) - ln(nu pi)/2
 *   dl/dlnv = -1/2 + (nu+1)/2 r                     d r/d lnv = -r(1-r)
 *   dl/dnu  = A' - ln(1+q)/2 + (nu+1)/(2 nu) r       d r/d nu  = -r(1-r)/nu
 * so one pass accumulating sum ln(1+q), sum r and sum r(1-r) gives the log-likelihood,
 * the gradient and the Hessian. */
#include "cpe/scores.h"

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>

#define NU_MIN 2.05
#define NU_MAX 200.0
#define MAX_ITER 200
#define MAX_HALVINGS 30
#define ZCAP 100.0

typedef struct tfit_eval {
    double ll;
    double g[2];    /* d/d ln v, d/d ln nu */
    double h[2][2]; /* Hessian in the same coordinates */
} tfit_eval_t;

/* z is multiplied by k = 1 / (robust sd) so that z^2 neither underflows nor overflows;
 * v is in those units. */
static void tfit_eval(const double *z, size_t n, double k, double lv, double lnu, tfit_eval_t *e)
{
    double nu = exp(lnu), inv = exp(-lv) / nu;
    double sl = 0, sr = 0, srr = 0;
    for (size_t i = 0; i < n; i++) {
        double zs = z[i] * k, q = fmin(zs * zs, ZCAP * ZCAP) * inv, w = 1.0 / (1.0 + q);
        sl += log1p(q);
        sr += q * w;
        srr += q * w * w;
    }
    double dn = (double)n, a = 0.5 * (nu + 1.0);
    double A = gsl_sf_lngamma(a) - gsl_sf_lngamma(0.5 * nu) - 0.5 * log(nu * M_PI);
    double A1 = 0.5 * gsl_sf_psi(a) - 0.5 * gsl_sf_psi(0.5 * nu) - 0.5 / nu;
    double A2 = 0.25 * gsl_sf_psi_1(a) - 0.25 * gsl_sf_psi_1(0.5 * nu) + 0.5 / (nu * nu);
    double g_nu = dn * A1 - 0.5 * sl + a / nu * sr;
    double h_nunu = dn * A2 + 0.5 * sr / nu - 0.5 * sr / (nu * nu) - a / (nu * nu) * srr;
    e->ll = dn * A - 0.5 * dn * lv - a * sl;
    e->g[0] = -0.5 * dn + a * sr;
    e->g[1] = nu * g_nu;
    e->h[0][0] = -a * srr;
    e->h[0][1] = e->h[1][0] = nu * (0.5 * sr - a / nu * srr);
    e->h[1][1] = nu * nu * h_nunu + nu * g_nu;
}

/* The Newton step (or, where the Hessian is not negative definite, a scaled gradient
 * step), capped in length; ln nu is held when it sits on a bound and wants to cross it. */
static void tfit_step(const tfit_eval_t *e, double lnu, double step[2])
{
    const double lo = log(NU_MIN), hi = log(NU_MAX);
    int hold = (lnu <= lo && e->g[1] < 0) || (lnu >= hi && e->g[1] > 0);
    double h00 = e->h[0][0], h01 = e->h[0][1], h11 = e->h[1][1];
    double det = h00 * h11 - h01 * h01;
    if (hold) {
        step[0] = h00 < 0 ? -e->g[0] / h00 : (e->g[0] > 0 ? 1.0 : -1.0);
        step[1] = 0;
    } else if (h00 < 0 && det > 0) {
        step[0] = -(h11 * e->g[0] - h01 * e->g[1]) / det;
        step[1] = -(h00 * e->g[1] - h01 * e->g[0]) / det;
    } else {
        step[0] = h00 < 0 ? -e->g[0] / h00 : (e->g[0] > 0 ? 0.5 : -0.5);
        step[1] = h11 < 0 ? -e->g[1] / h11 : (e->g[1] > 0 ? 0.5 : -0.5);
    }
    double cap = fmax(fabs(step[0]) / 2.0, fabs(step[1]) / 1.0);
    if (cap > 1.0) {
        step[0] /= cap;
        step[1] /= cap;
    }
}

/* The robust sd exp(mean ln|z| + 0.635), which a few huge values hardly move (E ln|X| is
 * -0.635 for a standard normal; good enough as a unit). The fit runs on z / sd, starting
 * at nu = 5 and unit variance; residuals beyond ZCAP robust sds count as ZCAP: they are
 * data errors, not tails (a unit-variance t with nu = 2.05 goes that far with probability
 * ~2e-6), and without the cap one value of 1e200 would drag nu to its lower bound. */
static int tfit_robust_sd(const double *z, size_t n, double *sd, cpe_diag_t *d)
{
    double sum = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(z[i]))
            return cpe_diag_set(d, CPE_EINVAL, "t_fit: z[%zu] is not finite (%g)", i, z[i]);
        if (fabs(z[i]) > 1e-300) {
            sum += log(fabs(z[i]));
            used++;
        }
    }
    if (used < 10)
        return cpe_diag_set(d, CPE_EDATA, "t_fit: %zu non-zero residuals of %zu, need >= 10", used,
                            n);
    *sd = exp(sum / (double)used + 0.635);
    return 0;
}

int cpe_t_fit(const double *z, size_t n, double *nu, double *scale, cpe_diag_t *d)
{
    if (!z || !nu || !scale) return cpe_diag_set(d, CPE_EINVAL, "t_fit: NULL argument");
    double p[2] = {log(3.0 / 5.0), log(5.0)}, sd = 1;
    int rc = tfit_robust_sd(z, n, &sd, d);
    if (rc) return rc;
    const double lo = log(NU_MIN), hi = log(NU_MAX), k = 1.0 / sd;
    tfit_eval_t cur, trial;
    tfit_eval(z, n, k, p[0], p[1], &cur);
    rc = CPE_ECONVERGE;
    for (int it = 0; it < MAX_ITER && rc; it++) {
        double step[2], np[2] = {p[0], p[1]};
        tfit_step(&cur, p[1], step);
        /* converged when the step promises a gain below the likelihood's rounding */
        if (cur.g[0] * step[0] + cur.g[1] * step[1] <= 1e-12 * (1.0 + fabs(cur.ll))) {
            rc = 0;
            break;
        }
        int h;
        for (h = 0; h < MAX_HALVINGS; h++) {
            const double t = ldexp(1.0, -h); /* step halving: 1, 1/2, 1/4, ... */
            np[0] = p[0] + t * step[0];
            np[1] = fmin(fmax(p[1] + t * step[1], lo), hi);
            tfit_eval(z, n, k, np[0], np[1], &trial);
            if (trial.ll > cur.ll) break;
        }
        if (h == MAX_HALVINGS)
            rc = 0; /* no ascent left along the step: at the optimum */
        else {
            p[0] = np[0];
            p[1] = np[1];
            cur = trial;
        }
    }
    double v = exp(p[0]), f = exp(p[1]);
    *nu = f;
    *scale = sd * sqrt(v * f / (f - 2.0));
    if (rc) cpe_diag_set(d, rc, "t_fit: no convergence in %d iterations (nu %g)", MAX_ITER, f);
    return rc;
}
