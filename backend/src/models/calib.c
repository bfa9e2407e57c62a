/* calib.c — Platt and isotonic (PAV) calibration (see cpe/calib.h). */
#include "cpe/calib.h"

#include "cpe/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-4
#define MIN_ROWS 20

static double clip(double p)
{
    return fmin(fmax(p, EPS), 1 - EPS);
}

static double logit(double q)
{
    q = fmin(fmax(q, 1e-9), 1 - 1e-9);
    return log(q / (1 - q));
}

const char *cpe_calib_name(cpe_calib_method_t m)
{
    static const char *names[] = {"none", "platt", "isotonic"};
    return (unsigned)m < 3 ? names[m] : "none";
}

void cpe_calib_free(cpe_calib_t *c)
{
    if (!c) return;
    free(c->x);
    memset(c, 0, sizeof *c);
}

int cpe_calib_set_knots(cpe_calib_t *c, const double *x, const double *y, size_t n)
{
    double *nx = malloc((n ? n : 1) * 2 * sizeof *nx);
    if (!nx) return CPE_ENOMEM;
    memcpy(nx, x, n * sizeof *nx);
    memcpy(nx + n, y, n * sizeof *nx);
    free(c->x);
    c->x = nx;
    c->y = nx + n;
    c->n = n;
    return 0;
}

int cpe_calib_copy(cpe_calib_t *dst, const cpe_calib_t *src)
{
    memset(dst, 0, sizeof *dst);
    dst->method = src->method;
    dst->a = src->a;
    dst->b = src->b;
    return src->n ? cpe_calib_set_knots(dst, src->x, src->y, src->n) : 0;
}

static int fit_platt(cpe_calib_t *c, const double *q, const double *y, size_t n)
{
    double a = 1, b = 0;
    for (int it = 0; it < 50; it++) {
        double g0 = 0, g1 = 0, h00 = 1e-6, h01 = 0, h11 = 1e-6;
        for (size_t i = 0; i < n; i++) {
            if (isnan(q[i]) || isnan(y[i])) continue;
            double z = logit(q[i]);
            double p = 1 / (1 + exp(-(a * z + b)));
            double r = p - y[i], w = p * (1 - p);
            g0 += r * z;
            g1 += r;
            h00 += w * z * z;
            h01 += w * z;
            h11 += w;
        }
        double det = h00 * h11 - h01 * h01;
        if (!(fabs(det) > 1e-300)) break;
        double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
        a -= da;
        b -= db;
        if (fabs(da) + fabs(db) < 1e-10) break;
    }
    if (!isfinite(a) || !isfinite(b)) return CPE_ECONVERGE;
    c->method = CPE_CALIB_PLATT;
    c->a = a;
    c->b = b;
    return 0;
}

typedef struct blk {
    double sq, sy, w;
} blk_t;

typedef struct qy {
    double q, y;
} qy_t;

static int cmp_q(const void *a, const void *b)
{
    double x = ((const qy_t *)a)->q, z = ((const qy_t *)b)->q;
    return (x > z) - (x < z);
}

static int fit_isotonic(cpe_calib_t *c, const double *q, const double *y, size_t n)
{
    int rc = 0;
    qy_t *v = malloc(n * sizeof *v);
    blk_t *s = malloc(n * sizeof *s);
    if (!v || !s) {
        rc = CPE_ENOMEM;
        goto out;
    }
    size_t k = 0, m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(q[i]) && !isnan(y[i])) v[k++] = (qy_t){q[i], y[i]};
    qsort(v, k, sizeof *v, cmp_q);
    for (size_t i = 0; i < k;) {
        /* equal forecasts form one block: a step inside a tie cannot be applied */
        blk_t b = {0, 0, 0};
        size_t j = i;
        for (; j < k && v[j].q == v[i].q; j++)
            b.sq += v[j].q, b.sy += v[j].y, b.w += 1;
        i = j;
        s[m++] = b;
        /* Pool while the previous block's mean exceeds the last one's. */
        while (m > 1 && s[m - 2].sy / s[m - 2].w >= s[m - 1].sy / s[m - 1].w) {
            s[m - 2].sq += s[m - 1].sq;
            s[m - 2].sy += s[m - 1].sy;
            s[m - 2].w += s[m - 1].w;
            m--;
        }
    }
    double *kx = malloc((m ? m : 1) * 2 * sizeof *kx);
    if (!kx) {
        rc = CPE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m; i++) {
        kx[i] = s[i].sq / s[i].w;
        kx[m + i] = s[i].sy / s[i].w;
    }
    free(c->x);
    c->x = kx;
    c->y = kx + m;
    c->n = m;
    c->method = CPE_CALIB_ISOTONIC;
out:
    free(v);
    free(s);
    return rc;
}

static size_t count_rows(const double *q, const double *y, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !isnan(q[i]) && !isnan(y[i]);
    return k;
}

int cpe_calib_fit(cpe_calib_t *c, cpe_calib_method_t method, const double *q, const double *y,
                  size_t n)
{
    memset(c, 0, sizeof *c);
    if (method == CPE_CALIB_NONE) return 0;
    if (count_rows(q, y, n) < MIN_ROWS) return CPE_EDATA;
    return method == CPE_CALIB_PLATT ? fit_platt(c, q, y, n) : fit_isotonic(c, q, y, n);
}

double cpe_calib_apply(const cpe_calib_t *c, double q)
{
    if (isnan(q)) return NAN;
    switch (c ? c->method : CPE_CALIB_NONE) {
    case CPE_CALIB_PLATT:
        return clip(1 / (1 + exp(-(c->a * logit(q) + c->b))));
    case CPE_CALIB_ISOTONIC: {
        if (c->n == 0) return clip(q);
        if (q <= c->x[0]) return clip(c->y[0]);
        if (q >= c->x[c->n - 1]) return clip(c->y[c->n - 1]);
        size_t lo = 0, hi = c->n - 1;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (c->x[mid] <= q)
                lo = mid;
            else
                hi = mid;
        }
        double t = (q - c->x[lo]) / (c->x[hi] - c->x[lo]);
        return clip(c->y[lo] + t * (c->y[hi] - c->y[lo]));
    }
    default:
        return clip(q);
    }
}

static double holdout_logloss(const cpe_calib_t *c, const double *q, const double *y, size_t n)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(q[i]) || isnan(y[i])) continue;
        s += cpe_logloss1(cpe_calib_apply(c, q[i]), y[i]);
        k++;
    }
    return k ? s / (double)k : INFINITY;
}

int cpe_calib_fit_auto(cpe_calib_t *c, const double *q, const double *y, size_t n)
{
    memset(c, 0, sizeof *c);
    if (count_rows(q, y, n) < 3 * MIN_ROWS) return cpe_calib_fit(c, CPE_CALIB_PLATT, q, y, n);
    size_t cut = n * 2 / 3;
    cpe_calib_t pl = {0}, is = {0};
    int rc = cpe_calib_fit(&pl, CPE_CALIB_PLATT, q, y, cut);
    if (!rc) rc = cpe_calib_fit(&is, CPE_CALIB_ISOTONIC, q, y, cut);
    cpe_calib_method_t best = CPE_CALIB_PLATT;
    if (!rc && holdout_logloss(&is, q + cut, y + cut, n - cut) <
                   holdout_logloss(&pl, q + cut, y + cut, n - cut))
        best = CPE_CALIB_ISOTONIC;
    cpe_calib_free(&pl);
    cpe_calib_free(&is);
    return cpe_calib_fit(c, best, q, y, n);
}
