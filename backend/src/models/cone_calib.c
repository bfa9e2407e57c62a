/* cone_calib.c — per-horizon cone scale factors fitted on validation outcomes (spec 11.3;
 * see cpe/cone.h).
 *
 * For each validation prediction made with scale 1, r1 (r2) is the smallest scale that
 * would have put the realised price inside the 1-sigma (2-sigma) band. Coverage at scale s
 * is then the share of r <= s, so s1 = the 68.3 % quantile of r1 and s2 = the 95.4 %
 * quantile of r2 hit both targets exactly in sample. One common scale cannot in general
 * hit both (the simulated shape's tails may be too thin or too fat); the compromise s
 * minimises (cov1(s) - 0.683)^2 + (cov2(s) - 0.954)^2 over the candidate values (coverage
 * only changes at observed ratios). The product uses s1 and s2 (one per band); s is
 * reported so the shape error is visible: s1 != s2 means the tails are mis-shaped. */
#include "cpe/cone.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COV1 0.683
#define COV2 0.954

static double side_ratio(double ly, double lmed, double lup, double llo)
{
    if (ly >= lmed) return lup > lmed ? (ly - lmed) / (lup - lmed) : (ly > lmed ? INFINITY : 0);
    return lmed > llo ? (lmed - ly) / (lmed - llo) : INFINITY;
}

void cpe_cone_outcome_ratio(const cpe_prediction_t *u, double realised_price, double *r1,
                            double *r2)
{
    double ly = log(realised_price), lm = log(u->p500);
    if (r1) *r1 = side_ratio(ly, lm, log(u->p841), log(u->p159));
    if (r2) *r2 = side_ratio(ly, lm, log(u->p977), log(u->p023));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* share of sorted v[n] that is <= s, advancing *pos monotonically */
static double share_le(const double *v, size_t n, size_t *pos, double s)
{
    while (*pos < n && v[*pos] <= s)
        (*pos)++;
    return (double)*pos / (double)n;
}

int cpe_cone_fit_scale(const double *r1, const double *r2, size_t n, cpe_cone_scale_t *out,
                       cpe_diag_t *d)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(r1[i]) && !isnan(r2[i])) m++;
    if (m < 20)
        return cpe_diag_set(d, CPE_EDATA, "%zu validation outcomes: at least 20 are needed", m);
    double *a = malloc(2 * m * sizeof *a), *b = a ? a + m : NULL;
    double *cand = malloc(2 * m * sizeof *cand);
    if (!a || !cand) {
        free(a);
        free(cand);
        return cpe_diag_set(d, CPE_ENOMEM, "out of memory for %zu outcomes", m);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(r1[i]) && !isnan(r2[i])) {
            a[k] = r1[i];
            b[k] = r2[i];
            k++;
        }
    qsort(a, m, sizeof *a, cmp_double);
    qsort(b, m, sizeof *b, cmp_double);
    memcpy(cand, a, m * sizeof *a);
    memcpy(cand + m, b, m * sizeof *b);
    qsort(cand, 2 * m, sizeof *cand, cmp_double);

    memset(out, 0, sizeof *out);
    out->n = m;
    /* sorted: the interpolated quantile; cov at s is the share <= s */
    double p1 = COV1 * (double)(m - 1), p2 = COV2 * (double)(m - 1);
    size_t i1 = (size_t)p1, i2 = (size_t)p2;
    out->s1 = a[i1] + (p1 - (double)i1) * (a[i1 + 1 < m ? i1 + 1 : i1] - a[i1]);
    out->s2 = b[i2] + (p2 - (double)i2) * (b[i2 + 1 < m ? i2 + 1 : i2] - b[i2]);
    size_t pa = 0, pb = 0;
    out->cov1_s1 = share_le(a, m, &pa, out->s1);
    out->cov2_s2 = share_le(b, m, &pb, out->s2);

    double best = INFINITY;
    pa = pb = 0;
    for (size_t c = 0; c < 2 * m; c++) {
        double s = cand[c];
        if (!isfinite(s) || !(s > 0)) continue;
        double c1 = share_le(a, m, &pa, s), c2 = share_le(b, m, &pb, s);
        double err = (c1 - COV1) * (c1 - COV1) + (c2 - COV2) * (c2 - COV2);
        if (err < best) {
            best = err;
            out->s = s;
            out->cov1_s = c1;
            out->cov2_s = c2;
        }
    }
    free(a);
    free(cand);
    if (!(out->s1 > 0) || !isfinite(out->s1) || !(out->s2 > 0) || !isfinite(out->s2) ||
        !(out->s > 0))
        return cpe_diag_set(d, CPE_EDATA,
                            "validation outcomes give no positive finite scale (s1 %g, s2 %g)",
                            out->s1, out->s2);
    return 0;
}
