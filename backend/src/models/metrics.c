/* metrics.c — forecast scores (formulas in cpe/metrics.h). */
#include "cpe/metrics.h"

#include <math.h>
#include <stdlib.h>

static int bad(double a, double b)
{
    return isnan(a) || isnan(b);
}

double cpe_metric_accuracy(const double *p, const double *y, size_t n)
{
    size_t k = 0, hit = 0;
    for (size_t i = 0; i < n; i++) {
        if (bad(p[i], y[i])) continue;
        k++;
        hit += ((p[i] > 0.5) == (y[i] > 0.5));
    }
    return k ? (double)hit / (double)k : NAN;
}

typedef struct pv {
    double p, y;
} pv_t;

static int cmp_p(const void *a, const void *b)
{
    double x = ((const pv_t *)a)->p, z = ((const pv_t *)b)->p;
    return (x > z) - (x < z);
}

double cpe_metric_auc(const double *p, const double *y, size_t n)
{
    pv_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!bad(p[i], y[i])) v[k++] = (pv_t){p[i], y[i] > 0.5 ? 1.0 : 0.0};
    qsort(v, k, sizeof *v, cmp_p);
    /* Sum of ranks of positives, ties get the mean rank. */
    double rank_sum = 0, npos = 0;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && v[j].p == v[i].p)
            j++;
        double mean_rank = (double)(i + 1 + j) / 2.0; /* ranks i+1..j */
        for (size_t t = i; t < j; t++)
            if (v[t].y > 0.5) {
                rank_sum += mean_rank;
                npos++;
            }
        i = j;
    }
    double nneg = (double)k - npos;
    free(v);
    if (npos == 0 || nneg == 0) return NAN;
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
}

double cpe_metric_brier(const double *p, const double *y, size_t n)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (bad(p[i], y[i])) continue;
        s += (p[i] - y[i]) * (p[i] - y[i]);
        k++;
    }
    return k ? s / (double)k : NAN;
}

double cpe_logloss1(double p, double y)
{
    if (bad(p, y)) return NAN;
    double q = fmin(fmax(p, 1e-15), 1 - 1e-15);
    return y > 0.5 ? -log(q) : -log(1 - q);
}

double cpe_metric_logloss(const double *p, const double *y, size_t n)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (bad(p[i], y[i])) continue;
        s += cpe_logloss1(p[i], y[i]);
        k++;
    }
    return k ? s / (double)k : NAN;
}

double cpe_metric_ece(const double *p, const double *y, size_t n, int bins)
{
    if (bins <= 0) bins = 10;
    double *sp = calloc((size_t)bins * 3, sizeof *sp);
    if (!sp) return NAN;
    double *sy = sp + bins, *cnt = sy + bins;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (bad(p[i], y[i])) continue;
        int b = (int)(p[i] * bins);
        if (b < 0) b = 0;
        if (b >= bins) b = bins - 1;
        sp[b] += p[i];
        sy[b] += y[i];
        cnt[b] += 1;
        k++;
    }
    double e = 0;
    for (int b = 0; b < bins; b++)
        if (cnt[b] > 0) e += fabs(sp[b] - sy[b]) / (double)k;
    free(sp);
    return k ? e : NAN;
}

typedef struct conf {
    double c;
    size_t i;
} conf_t;

static int cmp_conf_desc(const void *a, const void *b)
{
    const conf_t *x = a, *z = b;
    if (x->c != z->c) return x->c < z->c ? 1 : -1;
    return (x->i > z->i) - (x->i < z->i);
}

double cpe_metric_top_accuracy(const double *p, const double *y, size_t n, double frac)
{
    conf_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!bad(p[i], y[i])) v[k++] = (conf_t){fabs(p[i] - 0.5), i};
    qsort(v, k, sizeof *v, cmp_conf_desc);
    size_t m = (size_t)ceil(frac * (double)k);
    size_t hit = 0;
    for (size_t t = 0; t < m; t++)
        hit += ((p[v[t].i] > 0.5) == (y[v[t].i] > 0.5));
    free(v);
    return m ? (double)hit / (double)m : NAN;
}

double cpe_metric_coverage(const double *x, const double *lo, const double *hi, size_t n)
{
    size_t k = 0, in = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(lo[i]) || isnan(hi[i])) continue;
        k++;
        in += (x[i] >= lo[i] && x[i] <= hi[i]);
    }
    return k ? (double)in / (double)k : NAN;
}

double cpe_crps_gauss(double mu, double sigma, double x)
{
    if (isnan(mu) || isnan(sigma) || isnan(x) || sigma <= 0) return NAN;
    double z = (x - mu) / sigma;
    double Phi = 0.5 * erfc(-z / sqrt(2.0));
    double phi = exp(-0.5 * z * z) / sqrt(2.0 * 3.14159265358979323846);
    return sigma * (z * (2 * Phi - 1) + 2 * phi - 1.0 / sqrt(3.14159265358979323846));
}

double cpe_crps_samples(const double *s, size_t n, double x)
{
    if (!n || isnan(x)) return NAN;
    double a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        a += fabs(s[i] - x);
        b += (2.0 * (double)(i + 1) - (double)n - 1.0) * s[i];
    }
    return a / (double)n - b / ((double)n * (double)n);
}
