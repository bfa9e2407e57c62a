/* nnfit.c — the neural models on the feature table: training rows and walk-forward scores
 * (see cpe/nnfit.h). */
#include "cpe/nnfit.h"

#include "wf_int.h"

#include "cpe/metrics.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the 15.9-84.1 % and 2.3-97.7 % quantiles of a Gaussian, in sd (as walkforward.h) */
#define Z1 0.9986
#define Z2 1.9954

void cpe_nnfit_config_default(cpe_nnfit_config_t *c, cpe_nn_arch_t arch,
                              const cpe_modelset_config_t *ms)
{
    memset(c, 0, sizeof *c);
    cpe_nn_params_default(&c->nn, arch);
    c->nn.n_h = ms->n_h < CPE_NN_MAX_H ? ms->n_h : CPE_NN_MAX_H;
    for (int k = 0; k < c->nn.n_h; k++)
        c->nn.horizons_h[k] = ms->horizons_h[k];
    c->nn.seed = ms->seed;
    c->sample_every = 3;
    c->valid_frac = 0.2;
}

static int max_h(const cpe_nn_params_t *p)
{
    int m = 0;
    for (int k = 0; k < p->n_h; k++)
        if (p->horizons_h[k] > m) m = p->horizons_h[k];
    return m;
}

/* y[v->n * n_h]: labels whose end is <= cutoff, else NaN. */
static double *label_matrix(const cpe_mlview_t *v, const cpe_nn_params_t *p, int64_t cutoff)
{
    double *y = malloc((v->n ? v->n : 1) * (size_t)p->n_h * sizeof *y);
    if (!y) return NULL;
    for (size_t i = 0; i < v->n; i++)
        for (int k = 0; k < p->n_h; k++) {
            int H = p->horizons_h[k];
            y[i * (size_t)p->n_h + (size_t)k] =
                cpe_ml_label_end(v->ts_ms[i], H) <= cutoff ? cpe_ml_label(v, i, H) : NAN;
        }
    return y;
}

int cpe_nnfit_train(cpe_nn_t *m, const cpe_mlview_t *v, const size_t *rows, size_t nrows,
                    int64_t label_cutoff_ms, const cpe_nnfit_config_t *c, cpe_diag_t *d)
{
    memset(m, 0, sizeof *m);
    if (c->sample_every < 1 || !(c->valid_frac > 0 && c->valid_frac < 1))
        return cpe_diag_set(d, CPE_EINVAL, "neural: sample_every >= 1 and valid_frac in (0, 1)");
    size_t step = (size_t)c->sample_every, ns = (nrows + step - 1) / step;
    size_t nv = (size_t)((double)ns * c->valid_frac);
    if (ns < 64 || nv < 8)
        return cpe_diag_set(d, CPE_EDATA, "neural %s: %zu samples (need 64)",
                            cpe_nn_arch_name(c->nn.arch), ns);
    size_t *fit = malloc(ns * sizeof *fit), *valid = malloc(nv * sizeof *valid);
    double *y = label_matrix(v, &c->nn, label_cutoff_ms);
    int rc = 0;
    if (!fit || !valid || !y) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "neural: out of memory");
        goto out;
    }
    size_t first_valid = ns - nv, nf = 0;
    for (size_t j = 0; j < nv; j++)
        valid[j] = rows[(first_valid + j) * step];
    const int64_t valid_ts = v->ts_ms[valid[0]];
    const int hm = max_h(&c->nn);
    for (size_t j = 0; j < first_valid; j++) {
        size_t i = rows[j * step];
        if (cpe_ml_label_end(v->ts_ms[i], hm) < valid_ts) fit[nf++] = i; /* the purge */
    }
    rc = cpe_nn_train(m, &c->nn, v->X, v->n, v->ncol, fit, nf, valid, nv, y, d);
out:
    free(fit);
    free(valid);
    free(y);
    return rc;
}

/* Per horizon: the scored rows' direction forecasts and running sums of the rest. */
typedef struct acc {
    double *p, *b, *yu;
    size_t n, cap;
    double se_move, se_zero, crps, qlike, cov1, cov2, cv_crps, cv_qlike, cv_cov1, cv_cov2;
    double pinball, cv_pinball;
} acc_t;

/* The distribution's scores: from the quantiles q[CPE_NN_NQ] when from_q (the TFT), else
 * from the Gaussian N(move, var); the pinball loss always from q. */
static void acc_dist(acc_t *a, double y, double move, double var, const double *q, int from_q)
{
    double sd = sqrt(var);
    a->pinball += cpe_nn_pinball(q, y);
    if (from_q) {
        a->crps += cpe_nn_crps_quantiles(q, y);
        a->cov1 += y >= q[1] && y <= q[3];
        a->cov2 += y >= q[0] && y <= q[4];
    } else {
        a->crps += cpe_crps_gauss(move, sd, y);
        a->cov1 += fabs(y - move) <= Z1 * sd;
        a->cov2 += fabs(y - move) <= Z2 * sd;
    }
}

static int acc_add(acc_t *a, double p, double base, double y, double move, double var,
                   double cv_var)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        double *np = realloc(a->p, nc * sizeof *np), *nb, *ny;
        if (!np) return CPE_ENOMEM;
        a->p = np;
        if (!(nb = realloc(a->b, nc * sizeof *nb))) return CPE_ENOMEM;
        a->b = nb;
        if (!(ny = realloc(a->yu, nc * sizeof *ny))) return CPE_ENOMEM;
        a->yu = ny;
        a->cap = nc;
    }
    a->p[a->n] = p;
    a->b[a->n] = base;
    a->yu[a->n] = y > 0 ? 1 : 0;
    a->n++;
    double cs = sqrt(cv_var), cq[CPE_NN_NQ];
    for (int l = 0; l < CPE_NN_NQ; l++)
        cq[l] = (l - 2) * cs;
    a->se_move += (move - y) * (move - y);
    a->se_zero += y * y;
    a->qlike += cpe_qlike(var, y * y);
    a->cv_pinball += cpe_nn_pinball(cq, y);
    a->cv_crps += cpe_crps_gauss(0, cs, y);
    a->cv_qlike += cpe_qlike(cv_var, y * y);
    a->cv_cov1 += fabs(y) <= Z1 * cs;
    a->cv_cov2 += fabs(y) <= Z2 * cs;
    return 0;
}

static void acc_finish(const acc_t *a, int H, cpe_nnfit_scores_t *s)
{
    memset(s, 0, sizeof *s);
    s->horizon_h = H;
    s->n = a->n;
    double n = a->n ? (double)a->n : NAN;
    s->auc = cpe_metric_auc(a->p, a->yu, a->n);
    s->brier = cpe_metric_brier(a->p, a->yu, a->n);
    s->logloss = cpe_metric_logloss(a->p, a->yu, a->n);
    s->acc = cpe_metric_accuracy(a->p, a->yu, a->n);
    s->b_auc = cpe_metric_auc(a->b, a->yu, a->n);
    s->b_brier = cpe_metric_brier(a->b, a->yu, a->n);
    s->b_logloss = cpe_metric_logloss(a->b, a->yu, a->n);
    s->b_acc = cpe_metric_accuracy(a->b, a->yu, a->n);
    s->move_rmse = sqrt(a->se_move / n);
    s->zero_rmse = sqrt(a->se_zero / n);
    s->crps = a->crps / n, s->qlike = a->qlike / n, s->cov1 = a->cov1 / n, s->cov2 = a->cov2 / n;
    s->cv_crps = a->cv_crps / n, s->cv_qlike = a->cv_qlike / n;
    s->cv_cov1 = a->cv_cov1 / n, s->cv_cov2 = a->cv_cov2 / n;
    s->pinball = a->pinball / n, s->cv_pinball = a->cv_pinball / n;
}

/* Score the test rows test[nt] of one fold with the fold's network. */
static int score_fold(const cpe_mlview_t *v, const cpe_nn_t *m, const size_t *test, size_t nt,
                      acc_t *acc, const double *base, cpe_nnfit_result_t *res, double *pred_s,
                      cpe_diag_t *d)
{
    const int nh = m->p.n_h;
    double *pu = malloc((nt ? nt : 1) * (size_t)nh * (3 + CPE_NN_NQ) * sizeof *pu);
    if (!pu) return cpe_diag_set(d, CPE_ENOMEM, "neural: out of memory");
    double *mv = pu + nt * (size_t)nh, *var = mv + nt * (size_t)nh, *q = var + nt * (size_t)nh;
    int64_t t0 = cpe_mono_ns();
    int rc = nt ? cpe_nn_predict_dist(m, v->X, v->n, v->ncol, test, nt, pu, mv, var, q, d) : 0;
    *pred_s += (double)(cpe_mono_ns() - t0) / 1e9;
    for (size_t t = 0; t < nt && !rc; t++) {
        double ret[24];
        if (cpe_ml_hourly_returns(v, test[t], 24, ret) < 24) continue;
        double cs = wf_sdev(ret, 24);
        for (int k = 0; k < nh && !rc; k++) {
            double y = cpe_ml_label(v, test[t], res->s[k].horizon_h);
            if (isnan(y)) continue;
            size_t at = (size_t)k * nt + t;
            rc = acc_add(&acc[k], pu[at], base[k], y, mv[at], var[at],
                         cs * cs * res->s[k].horizon_h);
            acc_dist(&acc[k], y, mv[at], var[at], q + at * CPE_NN_NQ, m->p.arch == CPE_NN_TFT);
        }
    }
    free(pu);
    return rc ? cpe_diag_set(d, rc, "neural: scoring failed") : 0;
}

int cpe_nnfit_wf(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, const cpe_nnfit_config_t *c,
                 cpe_nnfit_result_t *res, void (*progress)(int fold, int n_folds, void *ctx),
                 void *ctx, cpe_diag_t *d)
{
    memset(res, 0, sizeof *res);
    res->arch = c->nn.arch;
    res->n_h = c->nn.n_h;
    for (int k = 0; k < res->n_h; k++)
        res->s[k].horizon_h = c->nn.horizons_h[k];
    acc_t acc[CPE_MS_MAX_H];
    memset(acc, 0, sizeof acc);
    size_t *train = malloc((v->n ? v->n : 1) * sizeof *train);
    size_t *test = malloc((v->n ? v->n : 1) * sizeof *test);
    int rc = 0;
    double pred_s = 0;
    size_t n_pred = 0;
    if (!train || !test) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "neural: out of memory");
        goto out;
    }
    const int hm = max_h(&c->nn);
    for (int f = 0; f < plan->n; f++) {
        const cpe_wf_fold_t *fo = &plan->f[f];
        size_t ntr = 0, nt = 0;
        for (size_t i = 0; i < v->n; i++) {
            if (cpe_wf_is_train_row(plan, f, v->ts_ms[i], hm))
                train[ntr++] = i;
            else if (v->ts_ms[i] >= fo->test_from_ms && v->ts_ms[i] < fo->test_to_ms)
                test[nt++] = i;
        }
        if (progress) progress(f, plan->n, ctx);
        cpe_nn_t m = {0};
        int64_t t0 = cpe_mono_ns();
        if ((rc = cpe_nnfit_train(&m, v, train, ntr, fo->test_from_ms, c, d)) != 0) {
            cpe_diag_prefix(d, "neural walk-forward fold %d: ", f);
            goto out;
        }
        res->train_s += (double)(cpe_mono_ns() - t0) / 1e9;
        res->epochs[f] = m.epochs;
        res->best_epoch[f] = m.best_epoch;
        /* the base rate: share of up labels among the fold's training rows */
        double base[CPE_MS_MAX_H];
        for (int k = 0; k < res->n_h; k++) {
            double up = 0, cnt = 0;
            for (size_t j = 0; j < ntr; j++) {
                double y = cpe_ml_label(v, train[j], res->s[k].horizon_h);
                if (!isnan(y)) up += y > 0, cnt += 1;
            }
            base[k] = cnt > 0 ? up / cnt : 0.5;
        }
        rc = score_fold(v, &m, test, nt, acc, base, res, &pred_s, d);
        cpe_nn_free(&m);
        if (rc) goto out;
        n_pred += nt;
        res->n_folds = f + 1;
    }
    for (int k = 0; k < res->n_h; k++)
        acc_finish(&acc[k], res->s[k].horizon_h, &res->s[k]);
    res->predict_us_row = n_pred ? pred_s * 1e6 / (double)n_pred : NAN;
out:
    for (int k = 0; k < CPE_MS_MAX_H; k++) {
        free(acc[k].p);
        free(acc[k].b);
        free(acc[k].yu);
    }
    free(train);
    free(test);
    return rc;
}
