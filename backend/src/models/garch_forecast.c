/* garch_forecast.c — filtering, multi-step forecasts, summary numbers and simulation for a
 * fitted cpe_garch_t (see cpe/garch.h). Units are those of the fitted returns. */
#include "cpe/garch.h"
#include "cpe/rng.h"

#include <math.h>

double cpe_garch_step(const cpe_garch_t *m, double h, double r)
{
    double e = r - m->mu;
    double a = e < 0 ? m->alpha + m->gamma : m->alpha;
    return m->omega + a * e * e + m->beta * h;
}

double cpe_garch_filter(const cpe_garch_t *m, const double *r, size_t n)
{
    double h = m->backcast;
    for (size_t t = 0; t < n; t++)
        h = cpe_garch_step(m, h, r[t]);
    return h;
}

double cpe_garch_persistence(const cpe_garch_t *m)
{
    return m->alpha + m->beta + 0.5 * m->gamma;
}

double cpe_garch_half_life(const cpe_garch_t *m)
{
    double p = cpe_garch_persistence(m);
    if (!(p < 1.0)) return INFINITY;
    if (!(p > 0.0)) return 0.0;
    return log(0.5) / log(p);
}

double cpe_garch_uncond_var(const cpe_garch_t *m)
{
    double p = cpe_garch_persistence(m);
    return p < 1.0 ? m->omega / (1.0 - p) : NAN;
}

/* E h_{t+k} = omega sum_{i<k-1} p^i + p^{k-1} h_{t+1}: valid for p >= 1 too (EWMA). */
double cpe_garch_forecast(const cpe_garch_t *m, double h_next, int k)
{
    if (k <= 1) return h_next;
    double p = cpe_garch_persistence(m), pk = pow(p, k - 1);
    double geo = fabs(1.0 - p) < 1e-12 ? (double)(k - 1) : (1.0 - pk) / (1.0 - p);
    return m->omega * geo + pk * h_next;
}

double cpe_garch_forecast_sum(const cpe_garch_t *m, double h_next, int steps)
{
    double p = cpe_garch_persistence(m), s = 0, h = h_next;
    for (int k = 1; k <= steps; k++) {
        s += h;
        h = m->omega + p * h;
    }
    return s;
}

void cpe_garch_simulate(const cpe_garch_t *m, size_t n, uint64_t seed, double *out)
{
    cpe_rng_t rng;
    cpe_rng_seed(&rng, seed);
    double h = cpe_garch_uncond_var(m);
    if (!isfinite(h) || !(h > 0)) h = m->backcast;
    for (size_t t = 0; t < n; t++) {
        double z = m->dist == CPE_DIST_T ? cpe_rng_t_unit(&rng, m->nu) : cpe_rng_normal(&rng);
        double r = m->mu + sqrt(h) * z;
        out[t] = r;
        h = cpe_garch_step(m, h, r);
    }
}

const char *cpe_garch_kind_name(int kind)
{
    return kind == CPE_GJR ? "gjr" : "garch";
}

const char *cpe_garch_dist_name(int dist)
{
    return dist == CPE_DIST_T ? "t" : "normal";
}
