/* scores.c — scoring rules, unit-variance Student-t helpers, the Diebold-Mariano test.
 * The formulas are in include/cpe/scores.h; the t fit is in scores_tfit.c. */
#include "cpe/scores.h"

#include "cpe/metrics.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

/* Beyond this nu the unit-variance t is the standard normal to double precision. */
#define T_NORMAL_NU 1e6

double cpe_crps_normal(double y, double mu, double sd)
{
    return cpe_crps_gauss(mu, sd, y);
}

double cpe_crps_t(double y, double nu, double loc, double scale)
{
    if (isnan(y) || isnan(loc) || !(nu > 1) || !(scale > 0) || !isfinite(scale)) return NAN;
    if (nu > T_NORMAL_NU) return cpe_crps_normal(y, loc, scale);
    double z = (y - loc) / scale;
    double F = gsl_cdf_tdist_P(z, nu), f = gsl_ran_tdist_pdf(z, nu);
    double lb = gsl_sf_lnbeta(0.5, nu - 0.5) - 2.0 * gsl_sf_lnbeta(0.5, 0.5 * nu);
    double spread = 2.0 * sqrt(nu) / (nu - 1.0) * exp(lb);
    return scale * (z * (2.0 * F - 1.0) + 2.0 * f * (nu + z * z) / (nu - 1.0) - spread);
}

double cpe_t_std_cdf(double x, double nu)
{
    if (isnan(x) || !(nu > 2)) return NAN;
    if (nu > T_NORMAL_NU) return gsl_cdf_ugaussian_P(x);
    return gsl_cdf_tdist_P(x * sqrt(nu / (nu - 2.0)), nu);
}

double cpe_t_std_quantile(double p, double nu)
{
    if (!(p >= 0 && p <= 1) || !(nu > 2)) return NAN;
    if (nu > T_NORMAL_NU) return gsl_cdf_ugaussian_Pinv(p);
    return gsl_cdf_tdist_Pinv(p, nu) * sqrt((nu - 2.0) / nu);
}

void cpe_tau_grid(size_t n, double *tau)
{
    for (size_t i = 0; i < n; i++)
        tau[i] = ((double)i + 0.5) / (double)n;
}

double cpe_crps_quantiles(double y, const double *q, const double *tau, size_t n)
{
    if (!n || isnan(y)) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += ((y < q[i] ? 1.0 : 0.0) - tau[i]) * (q[i] - y);
    return 2.0 * s / (double)n;
}

double cpe_qlike(double f, double y)
{
    if (!(f > 0) || !(y >= 0) || !isfinite(f) || !isfinite(y)) return NAN;
    return log(f) + y / f;
}

double cpe_qlike_patton(double f, double y)
{
    if (!(f > 0) || !(y > 0) || !isfinite(f) || !isfinite(y)) return NAN;
    double r = y / f;
    return r - log(r) - 1.0;
}

double cpe_winkler(double lo, double hi, double y, double alpha)
{
    if (isnan(lo) || isnan(hi) || isnan(y) || !(alpha > 0 && alpha < 1) || hi < lo) return NAN;
    double s = hi - lo;
    if (y < lo) s += 2.0 / alpha * (lo - y);
    if (y > hi) s += 2.0 / alpha * (y - hi);
    return s;
}

void cpe_pit_add(uint64_t hist[CPE_PIT_BINS], double u)
{
    if (!(u >= 0 && u <= 1)) return;
    int b = (int)(u * CPE_PIT_BINS);
    hist[b < CPE_PIT_BINS ? b : CPE_PIT_BINS - 1]++;
}

int cpe_dm_test(const double *d, size_t n, int lags, double *stat, double *p_two_sided,
                cpe_diag_t *diag)
{
    if (!d || !stat || !p_two_sided)
        return cpe_diag_set(diag, CPE_EINVAL, "dm_test: NULL argument");
    if (n < 2) return cpe_diag_set(diag, CPE_EDATA, "dm_test: %zu loss differences, need >= 2", n);
    size_t L = lags >= 0 ? (size_t)lags : (size_t)floor(4.0 * pow((double)n / 100.0, 2.0 / 9.0));
    if (L >= n)
        return cpe_diag_set(diag, CPE_EINVAL, "dm_test: lags (%zu) must be below n (%zu)", L, n);
    double m = 0;
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(d[t]))
            return cpe_diag_set(diag, CPE_EINVAL, "dm_test: d[%zu] is not finite (%g)", t, d[t]);
        m += d[t];
    }
    m /= (double)n;
    double lrv = 0;
    for (size_t j = 0; j <= L; j++) {
        double g = 0;
        for (size_t t = j; t < n; t++)
            g += (d[t] - m) * (d[t - j] - m);
        g /= (double)n;
        lrv += j ? 2.0 * (1.0 - (double)j / (double)(L + 1)) * g : g;
    }
    if (!(lrv > 0))
        return cpe_diag_set(diag, CPE_EDATA,
                            "dm_test: the %zu loss differences have zero long-run variance", n);
    *stat = m / sqrt(lrv / (double)n);
    *p_two_sided = erfc(fabs(*stat) / sqrt(2.0));
    return 0;
}
