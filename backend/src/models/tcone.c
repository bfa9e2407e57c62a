/* tcone.c — the Student-t cone of the realized-volatility model (see cpe/tcone.h). */
#include "cpe/tcone.h"

#include "cpe/scores.h"

#include <math.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define P2 0.02275013194817921 /* Phi(-2) */
#define P1 0.15865525393145705 /* Phi(-1) */

/* Warped level: nominal P2 -> a2/2, P1 -> a1/2, 1/2 -> 1/2, linear in between. */
static double warp(double tau, double a1, double a2)
{
    int up = tau > 0.5;
    double t = up ? 1.0 - tau : tau, w;
    double l2 = a2 / 2, l1 = a1 / 2;
    if (t <= P2)
        w = t / P2 * l2;
    else if (t <= P1)
        w = l2 + (t - P2) / (P1 - P2) * (l1 - l2);
    else
        w = l1 + (t - P1) / (0.5 - P1) * (0.5 - l1);
    return up ? 1.0 - w : w;
}

/* Inverse of warp; *slope = d tau / d w on w's segment. */
static double unwarp(double w, double a1, double a2, double *slope)
{
    int up = w > 0.5;
    double x = up ? 1.0 - w : w, t, sl;
    double l2 = a2 / 2, l1 = a1 / 2;
    if (x <= l2)
        sl = P2 / l2, t = x * sl;
    else if (x <= l1)
        sl = (P1 - P2) / (l1 - l2), t = P2 + (x - l2) * sl;
    else
        sl = (0.5 - P1) / (0.5 - l1), t = P1 + (x - l1) * sl;
    if (slope) *slope = sl;
    return up ? 1.0 - t : t;
}

static void clamp_levels(double *a1, double *a2)
{
    if (!(*a1 > 1e-4)) *a1 = 1e-4;
    if (*a1 > 0.999) *a1 = 0.999;
    if (!(*a2 > 1e-5)) *a2 = 1e-5;
    if (*a2 > *a1 * 0.999) *a2 = *a1 * 0.999;
}

double cpe_tcone_quantile(const cpe_tcone_h_t *h, double tau)
{
    double a1 = h->a1, a2 = h->a2;
    clamp_levels(&a1, &a2);
    if (tau == 0.5) return h->drift;
    return h->drift + h->sd * cpe_t_std_quantile(warp(tau, a1, a2), h->nu);
}

double cpe_tcone_cdf(const cpe_tcone_h_t *h, double y)
{
    double a1 = h->a1, a2 = h->a2;
    clamp_levels(&a1, &a2);
    return unwarp(cpe_t_std_cdf((y - h->drift) / h->sd, h->nu), a1, a2, NULL);
}

double cpe_tcone_warp(double tau, double a1, double a2)
{
    clamp_levels(&a1, &a2);
    return warp(tau, a1, a2);
}

double cpe_tcone_unwarp(double w, double a1, double a2, double *slope)
{
    clamp_levels(&a1, &a2);
    return unwarp(w, a1, a2, slope);
}

void cpe_tcone_grid(double nu, int n, double *qt)
{
    for (int j = 0; j < n; j++)
        qt[j] = cpe_t_std_quantile((j + 0.5) / n, nu);
}

double cpe_tcone_crps(const cpe_tcone_h_t *h, double y, const double *qt, int n)
{
    double a1 = h->a1, a2 = h->a2, s = 0;
    clamp_levels(&a1, &a2);
    for (int j = 0; j < n; j++) {
        double slope, tau = unwarp((j + 0.5) / n, a1, a2, &slope);
        double q = h->drift + h->sd * qt[j];
        s += ((y < q) - tau) * (q - y) * slope;
    }
    return 2.0 * s / n;
}

/* Interpolated distribution at step k (hours) from the knots h[0..n). */
static cpe_tcone_h_t at_step(const cpe_tcone_h_t *h, int n, int k, double drift)
{
    cpe_tcone_h_t r = h[n - 1];
    int i = 0;
    while (i < n && h[i].horizon_h < k)
        i++;
    if (i == n) i = n - 1;
    if (h[i].horizon_h == k) {
        r = h[i];
    } else {
        double k0 = i ? h[i - 1].horizon_h : 0, k1 = h[i].horizon_h, f = (k - k0) / (k1 - k0);
        double v0 = i ? h[i - 1].sd * h[i - 1].sd : 0, v1 = h[i].sd * h[i].sd;
        const cpe_tcone_h_t *lo = i ? &h[i - 1] : &h[i];
        r.sd = sqrt(v0 + f * (v1 - v0));
        r.nu = lo->nu + f * (h[i].nu - lo->nu);
        r.a1 = lo->a1 + f * (h[i].a1 - lo->a1);
        r.a2 = lo->a2 + f * (h[i].a2 - lo->a2);
    }
    r.horizon_h = k;
    r.drift = drift;
    return r;
}

int cpe_tcone_fill(const cpe_tcone_h_t *h, int n, double close, int64_t t0_ms,
                   cpe_prediction_t *out, cpe_diag_t *d)
{
    if (n < 1 || n > CPE_TCONE_MAX_H || !(close > 0))
        return cpe_diag_set(d, CPE_EINVAL, "t cone: 1..%d horizons and a positive close",
                            CPE_TCONE_MAX_H);
    for (int i = 0; i < n; i++)
        if (h[i].horizon_h < 1 || h[i].horizon_h > CPE_CONE_MAX_STEPS ||
            (i && h[i].horizon_h <= h[i - 1].horizon_h) || !(h[i].sd > 0) || !(h[i].nu > 2))
            return cpe_diag_set(d, CPE_EINVAL,
                                "t cone: horizon %d: ascending 1..%d h, sd > 0, nu > 2",
                                h[i].horizon_h, CPE_CONE_MAX_STEPS);
    /* Step k's distribution is the same in every horizon's cone but for its drift: its
     * unit-variance quantiles at the four band levels are computed once per step (the t
     * quantile is nearly all of the cost) and priced per cone with that cone's drift. */
    const double lc = log(close), lv[4] = {P2, P1, 1 - P1, 1 - P2};
    double sd[CPE_CONE_MAX_STEPS + 1], q[CPE_CONE_MAX_STEPS + 1][4];
    for (int k = 1; k <= h[n - 1].horizon_h; k++) {
        cpe_tcone_h_t s = at_step(h, n, k, 0);
        double a1 = s.a1, a2 = s.a2;
        clamp_levels(&a1, &a2);
        sd[k] = s.sd;
        for (int j = 0; j < 4; j++)
            q[k][j] = cpe_t_std_quantile(warp(lv[j], a1, a2), s.nu);
    }
    for (int i = 0; i < n; i++) {
        cpe_prediction_t *o = &out[i];
        int H = h[i].horizon_h;
        o->n_cone = H + 1;
        for (int k = 0; k <= H; k++) {
            cpe_cone_point_t *c = &o->cone[k];
            c->t_ms = t0_ms + (int64_t)k * HOUR_MS;
            if (k == 0) {
                c->p023 = c->p159 = c->p500 = c->p841 = c->p977 = close;
                continue;
            }
            const double drift = h[i].drift * k / H; /* as cpe_tcone_quantile adds it */
            c->p023 = exp(lc + (drift + sd[k] * q[k][0]));
            c->p159 = exp(lc + (drift + sd[k] * q[k][1]));
            c->p500 = exp(lc + drift);
            c->p841 = exp(lc + (drift + sd[k] * q[k][2]));
            c->p977 = exp(lc + (drift + sd[k] * q[k][3]));
        }
        const cpe_cone_point_t *e = &o->cone[H];
        o->p023 = e->p023, o->p159 = e->p159, o->p500 = e->p500, o->p841 = e->p841;
        o->p977 = e->p977;
        double a1 = h[i].a1, a2 = h[i].a2;
        clamp_levels(&a1, &a2);
        o->volatility = h[i].sd * cpe_t_std_quantile(1 - a1 / 2, h[i].nu) /
                        cpe_t_std_quantile(1 - CPE_TCONE_A1 / 2, h[i].nu);
    }
    return 0;
}
