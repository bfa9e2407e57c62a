/* drift.c — decile references, PSI and the live ring of the model drift score
 * (cpe/drift.h). */
#include "cpe/drift.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cpe_drift_bin(const cpe_drift_feat_t *f, double x)
{
    if (isnan(x)) return -1;
    int b = 0;
    while (b < CPE_DRIFT_BINS - 1 && x >= f->edges[b])
        b++;
    return b;
}

double cpe_drift_psi(const double *p_live, const double *p_train, int nb)
{
    double s = 0;
    for (int b = 0; b < nb; b++) {
        double l = p_live[b] > CPE_DRIFT_FLOOR ? p_live[b] : CPE_DRIFT_FLOOR;
        double t = p_train[b] > CPE_DRIFT_FLOOR ? p_train[b] : CPE_DRIFT_FLOOR;
        s += (l - t) * log(l / t);
    }
    return s;
}

/* Edges and shares of column j over the rows (v: scratch of nrows). 0 when too few values. */
static int fit_feature(cpe_drift_feat_t *f, const double *X, size_t ncol, size_t j,
                       const size_t *rows, size_t nrows, double *v)
{
    size_t n = 0;
    for (size_t r = 0; r < nrows; r++) {
        double x = X[rows[r] * ncol + j];
        if (!isnan(x)) v[n++] = x;
    }
    if (n < CPE_DRIFT_BINS) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    for (int b = 0; b < CPE_DRIFT_BINS - 1; b++)
        f->edges[b] = v[(size_t)(b + 1) * n / CPE_DRIFT_BINS];
    size_t cnt[CPE_DRIFT_BINS] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[cpe_drift_bin(f, v[i])]++;
    for (int b = 0; b < CPE_DRIFT_BINS; b++)
        f->share[b] = (double)cnt[b] / (double)n;
    return 1;
}

int cpe_drift_ref_fit(cpe_drift_ref_t *ref, const double *X, size_t ncol, const char *const *names,
                      const size_t *rows, size_t nrows, const double *importance, cpe_diag_t *d)
{
    memset(ref, 0, sizeof *ref);
    double *v = malloc((nrows ? nrows : 1) * sizeof *v);
    char *used = calloc(ncol ? ncol : 1, 1);
    if (!v || !used) {
        free(v);
        free(used);
        return cpe_diag_set(d, CPE_ENOMEM, "drift reference: out of memory");
    }
    while (ref->k < CPE_DRIFT_K) {
        size_t best = ncol;
        for (size_t j = 0; j < ncol; j++)
            if (!used[j] && importance[j] > 0 && (best == ncol || importance[j] > importance[best]))
                best = j;
        if (best == ncol) break;
        used[best] = 1;
        cpe_drift_feat_t *f = &ref->f[ref->k];
        if (!fit_feature(f, X, ncol, best, rows, nrows, v)) continue;
        snprintf(f->name, sizeof f->name, "%s", names[best]);
        f->importance = importance[best];
        ref->k++;
    }
    free(v);
    free(used);
    return 0;
}

void cpe_drift_live_reset(cpe_drift_live_t *l)
{
    memset(l, 0, sizeof *l);
}

void cpe_drift_live_push(cpe_drift_live_t *l, const cpe_drift_ref_t *ref, const double *x)
{
    uint8_t *slot = l->ring[l->head];
    if (l->n == CPE_DRIFT_RING) /* the oldest minute leaves */
        for (int i = 0; i < CPE_DRIFT_K; i++)
            if (slot[i] != 255) {
                l->count[i][slot[i]]--;
                l->valid[i]--;
            }
    for (int i = 0; i < CPE_DRIFT_K; i++) {
        int b = i < ref->k ? cpe_drift_bin(&ref->f[i], x[i]) : -1;
        slot[i] = b < 0 ? 255 : (uint8_t)b;
        if (b >= 0) {
            l->count[i][b]++;
            l->valid[i]++;
        }
    }
    l->head = (l->head + 1) % CPE_DRIFT_RING;
    if (l->n < CPE_DRIFT_RING) l->n++;
}

int cpe_drift_live_score(const cpe_drift_live_t *l, const cpe_drift_ref_t *ref, double *score,
                         int *worst, double *worst_psi)
{
    double sum = 0;
    int m = 0;
    *worst = -1;
    *worst_psi = NAN;
    for (int i = 0; i < ref->k; i++) {
        if (l->valid[i] < CPE_DRIFT_MIN_ROWS) continue;
        double p[CPE_DRIFT_BINS];
        for (int b = 0; b < CPE_DRIFT_BINS; b++)
            p[b] = (double)l->count[i][b] / l->valid[i];
        double psi = cpe_drift_psi(p, ref->f[i].share, CPE_DRIFT_BINS);
        sum += psi;
        m++;
        if (*worst < 0 || psi > *worst_psi) {
            *worst = i;
            *worst_psi = psi;
        }
    }
    if (!m) {
        *score = NAN;
        return CPE_ENOTFOUND;
    }
    *score = sum / m;
    return 0;
}
