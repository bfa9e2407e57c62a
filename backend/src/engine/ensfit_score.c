/* ensfit_score.c — the scores of every line of the ensemble table on the same rows, and the
 * Diebold-Mariano tests of the ensemble against the champion and the baseline (see
 * cpe/ensfit.h). */
#include "ens_int.h"

#include "cpe/metrics.h"
#include "cpe/scores.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the 15.9-84.1 % and 2.3-97.7 % quantiles of a Gaussian, in sd (as walkforward.h) */
#define Z1 0.9986
#define Z2 1.9954
#define L CPE_ENS_MAX_LINES

int ens_acc_push(ens_acc_t *a, double y, const double *p, const double *var)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        double *ny = realloc(a->y, nc * sizeof *ny);
        if (!ny) return CPE_ENOMEM;
        a->y = ny;
        double *np = realloc(a->p, nc * L * sizeof *np);
        if (!np) return CPE_ENOMEM;
        a->p = np;
        double *nv = realloc(a->var, nc * L * sizeof *nv);
        if (!nv) return CPE_ENOMEM;
        a->var = nv;
        a->cap = nc;
    }
    a->y[a->n] = y;
    memcpy(a->p + a->n * L, p, L * sizeof *p);
    memcpy(a->var + a->n * L, var, L * sizeof *var);
    a->n++;
    return 0;
}

void ens_acc_free(ens_acc_t *a)
{
    free(a->y);
    free(a->p);
    free(a->var);
    memset(a, 0, sizeof *a);
}

static double row_logloss(double p, double y)
{
    if (p < 1e-15) p = 1e-15;
    if (p > 1 - 1e-15) p = 1 - 1e-15;
    return y > 0 ? -log(p) : -log(1 - p);
}

static void dm(const double *da, const double *db, size_t n, int lags, double *out, double *tmp)
{
    out[0] = out[1] = NAN;
    if (n < 3) return;
    for (size_t i = 0; i < n; i++)
        tmp[i] = da[i] - db[i];
    if (lags >= (int)n) lags = (int)n - 1;
    cpe_diag_t d = {0};
    if (cpe_dm_test(tmp, n, lags, &out[0], &out[1], &d) != 0) out[0] = out[1] = NAN;
}

/* One line's scores from column l. Per-row losses into ll[n] / ql[n]. */
static void line_scores(const ens_acc_t *a, int l, double *yu, double *col, double *ll, double *ql,
                        cpe_ens_line_t *o)
{
    const size_t n = a->n;
    double crps = 0, qs = 0, c1 = 0, c2 = 0;
    for (size_t i = 0; i < n; i++) {
        double y = a->y[i], p = a->p[i * L + (size_t)l], v = a->var[i * L + (size_t)l];
        col[i] = p;
        ll[i] = row_logloss(p, y);
        double sd = sqrt(v);
        ql[i] = cpe_qlike(v, y * y);
        crps += cpe_crps_gauss(0, sd, y);
        qs += ql[i];
        c1 += fabs(y) <= Z1 * sd;
        c2 += fabs(y) <= Z2 * sd;
    }
    double dn = n ? (double)n : NAN;
    if (o->has_dir) {
        o->auc = cpe_metric_auc(col, yu, n);
        o->brier = cpe_metric_brier(col, yu, n);
        o->logloss = cpe_metric_logloss(col, yu, n);
    } else {
        o->auc = o->brier = o->logloss = NAN;
    }
    if (o->has_var) {
        o->crps = crps / dn, o->qlike = qs / dn, o->cov1 = c1 / dn, o->cov2 = c2 / dn;
    } else {
        o->crps = o->qlike = o->cov1 = o->cov2 = NAN;
    }
}

void ens_acc_finish(const ens_acc_t *a, cpe_ens_h_t *h, int ens, int base, int champ,
                    double rows_per_hour)
{
    const size_t n = a->n, m = n ? n : 1;
    h->n = n;
    double *buf = malloc(m * 9 * sizeof *buf);
    if (!buf) {
        for (int l = 0; l < h->n_lines; l++)
            h->line[l].auc = h->line[l].brier = h->line[l].logloss = h->line[l].crps = NAN;
        return;
    }
    double *yu = buf, *col = buf + m, *tmp = buf + 2 * m;
    double *ll[3] = {buf + 3 * m, buf + 4 * m, buf + 5 * m}; /* ens, champ, base */
    double *ql[3] = {buf + 6 * m, buf + 7 * m, buf + 8 * m};
    for (size_t i = 0; i < n; i++)
        yu[i] = a->y[i] > 0 ? 1 : 0;
    double *sink_ll = tmp, *sink_ql = tmp; /* losses of lines that are not tested */
    for (int l = 0; l < h->n_lines; l++) {
        int k = l == ens ? 0 : l == champ ? 1 : l == base ? 2 : -1;
        line_scores(a, l, yu, col, k >= 0 ? ll[k] : sink_ll, k >= 0 ? ql[k] : sink_ql, &h->line[l]);
    }
    int lags = (int)(2 * h->horizon_h * rows_per_hour);
    dm(ll[0], ll[1], n, lags, h->dm_ll_champ, tmp);
    dm(ll[0], ll[2], n, lags, h->dm_ll_base, tmp);
    dm(ql[0], ql[1], n, lags, h->dm_ql_champ, tmp);
    dm(ql[0], ql[2], n, lags, h->dm_ql_base, tmp);
    free(buf);
}
