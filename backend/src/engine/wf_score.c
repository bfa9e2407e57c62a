/* wf_score.c — the walk-forward's scores per horizon: direction beside the base rate, the
 * cone's coverage, and the predictive distribution beside its baselines (CRPS from 199
 * quantiles, QLIKE, MSE, Winkler, PIT, Diebold-Mariano, coverage per month). See
 * cpe/walkforward.h for the definitions. */
#include "wf_int.h"

#include "cpe/metrics.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define Z1 0.99857627061565934 /* Phi^-1(0.841) */
#define Z2 1.99539331692198030 /* Phi^-1(0.977) */

const char *const cpe_wf_base_names[CPE_WF_NBASE] = {"const-vol-24h-1m", "const-vol-24h-1h", "ewma",
                                                     "garch-normal",     "garch-t",          "har"};

static int grow(double **a, size_t cap)
{
    double *n = realloc(*a, cap * sizeof *n);
    if (!n) return CPE_ENOMEM;
    *a = n;
    return 0;
}

static int acc_push(wf_acc_t *a, double p, double pb, double y)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 4096;
        if (grow(&a->p, nc) || grow(&a->pb, nc) || grow(&a->y, nc)) return CPE_ENOMEM;
        a->cap = nc;
    }
    a->p[a->n] = p;
    a->pb[a->n] = pb;
    a->y[a->n] = y;
    a->n++;
    return 0;
}

static int conf_index(const char *c)
{
    return !strcmp(c, "high") ? 2 : !strcmp(c, "medium") ? 1 : 0;
}

static int month_of(int64_t ts_ms)
{
    time_t s = (time_t)(ts_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

static void count_month(wf_acc_t *a, int64_t ts, int in1, int in2)
{
    int key = month_of(ts), m = 0;
    while (m < a->nm && a->month_key[m] != key)
        m++;
    if (m == a->nm) {
        if (a->nm == CPE_WF_MAX_MONTHS) return;
        a->month_key[a->nm++] = key;
    }
    a->month_n[m]++;
    a->month_in1[m] += in1;
    a->month_in2[m] += in2;
}

static double base_crps(int b, double var, double nu, double y)
{
    if (b == CPE_WF_B_GT && nu > 2) return cpe_crps_t(y, nu, 0, sqrt(var * (nu - 2) / nu));
    return cpe_crps_normal(y, 0, sqrt(var));
}

/* CRPS of a t cone's distribution (tcone.h), the t grid cached per nu. */
static double crps_t_cone(wf_acc_t *a, const cpe_tcone_h_t *th, double y)
{
    if (a->qt_nu != th->nu) {
        cpe_tcone_grid(th->nu, CPE_WF_NTAU, a->qt);
        a->qt_nu = th->nu;
    }
    return cpe_tcone_crps(th, y, a->qt, CPE_WF_NTAU);
}

static int has_var(const wf_row_t *r, int b)
{
    return r->b_var[b] > 0 && isfinite(r->b_var[b]);
}

/* The distribution scores of one row (the reference baseline `ref` present). */
static int score_dist(wf_acc_t *a, const cpe_prediction_t *pr, const wf_row_t *r, int ref)
{
    if (a->nd == a->nd_cap) {
        size_t nc = a->nd_cap ? a->nd_cap * 2 : 4096;
        if (grow(&a->d_crps, nc) || grow(&a->d_cv, nc)) return CPE_ENOMEM;
        a->nd_cap = nc;
    }
    const double y = r->y, y2 = y * y, mid = log(pr->p500 / pr->close);
    double crps, u, var;
    if (r->has_t) {
        crps = crps_t_cone(a, &r->th, y);
        u = cpe_tcone_cdf(&r->th, y);
        var = r->th.sd * r->th.sd;
        a->n_rvol++;
    } else {
        crps = cpe_crps_normal(y, mid, pr->volatility);
        u = cpe_t_std_cdf((y - mid) / pr->volatility, INFINITY);
        var = pr->volatility * pr->volatility;
    }
    a->crps_q += crps;
    a->ql += cpe_qlike(var, y2);
    a->mse += (var - y2) * (var - y2);
    for (int b = 0; b < CPE_WF_NBASE; b++) {
        if (!has_var(r, b)) continue;
        a->b_n[b]++;
        a->b_crps[b] += base_crps(b, r->b_var[b], r->gt_nu, y);
        a->b_ql[b] += cpe_qlike(r->b_var[b], y2);
        a->b_mse[b] += (r->b_var[b] - y2) * (r->b_var[b] - y2);
    }
    a->n_ref1h += ref == CPE_WF_B_CV1H;
    double sd = sqrt(r->b_var[ref]);
    a->wk1 += cpe_winkler(log(pr->p159 / pr->close), log(pr->p841 / pr->close), y, 0.3173);
    a->wk2 += cpe_winkler(log(pr->p023 / pr->close), log(pr->p977 / pr->close), y, 0.0455);
    a->bwk1 += cpe_winkler(-Z1 * sd, Z1 * sd, y, 0.3173);
    a->bwk2 += cpe_winkler(-Z2 * sd, Z2 * sd, y, 0.0455);
    cpe_pit_add(a->pit, u);
    a->d_crps[a->nd] = crps;
    a->d_cv[a->nd] = base_crps(ref, r->b_var[ref], 0, y);
    a->nd++;
    return 0;
}

int wf_acc_score(wf_acc_t *a, const cpe_prediction_t *pr, const wf_row_t *r)
{
    const double y = r->y;
    int rc = acc_push(a, pr->p_up, r->base_rate, y > 0 ? 1 : 0);
    if (rc) return rc;
    a->se_move += (pr->expected_move - y) * (pr->expected_move - y);
    a->se_zero += y * y;
    int ci = conf_index(pr->confidence);
    a->nconf[ci]++;
    a->hitconf[ci] += ((pr->p_up > 0.5) == (y > 0));
    double sig_cv = sqrt(r->b_var[CPE_WF_B_CV1H]), sig_gn = sqrt(r->b_var[CPE_WF_B_GN]);
    if (!(sig_cv > 0) || !(sig_gn > 0) || !(pr->volatility > 0)) return 0;
    double price = pr->close * exp(y);
    int in1 = price >= pr->p159 && price <= pr->p841, in2 = price >= pr->p023 && price <= pr->p977;
    a->ncone++;
    a->in1 += in1;
    a->in2 += in2;
    count_month(a, r->ts_ms, in1, in2);
    a->cv1 += fabs(y) <= Z1 * sig_cv;
    a->cv2 += fabs(y) <= Z2 * sig_cv;
    a->gn1 += fabs(y) <= Z1 * sig_gn;
    a->gn2 += fabs(y) <= Z2 * sig_gn;
    a->crps += cpe_crps_gauss(log(pr->p500 / pr->close), pr->volatility, y);
    a->cv_crps += cpe_crps_gauss(0, sig_cv, y);
    a->gn_crps += cpe_crps_gauss(0, sig_gn, y);
    /* the reference: const-vol of 1m returns, else (hourly history) of 1h returns */
    int ref = has_var(r, CPE_WF_B_CV1M) ? CPE_WF_B_CV1M : CPE_WF_B_CV1H;
    if (!has_var(r, ref)) return 0;
    return score_dist(a, pr, r, ref);
}

static void finish_dist(const wf_acc_t *a, int H, int64_t step_ms, cpe_wf_scores_t *s)
{
    double nd = (double)a->nd;
    s->n_dist = a->nd;
    s->n_rvol = a->n_rvol;
    s->ref = a->n_ref1h * 2 > a->nd ? CPE_WF_B_CV1H : CPE_WF_B_CV1M;
    s->crps_q = nd ? a->crps_q / nd : NAN;
    s->qlike = nd ? a->ql / nd : NAN;
    s->mse = nd ? a->mse / nd : NAN;
    for (int b = 0; b < CPE_WF_NBASE; b++) { /* only a baseline present on every row */
        int all = a->nd && a->b_n[b] == a->nd;
        s->b_crps[b] = all ? a->b_crps[b] / nd : NAN;
        s->b_qlike[b] = all ? a->b_ql[b] / nd : NAN;
        s->b_mse[b] = all ? a->b_mse[b] / nd : NAN;
    }
    s->winkler1 = nd ? a->wk1 / nd : NAN;
    s->winkler2 = nd ? a->wk2 / nd : NAN;
    s->b_winkler1 = nd ? a->bwk1 / nd : NAN;
    s->b_winkler2 = nd ? a->bwk2 / nd : NAN;
    memcpy(s->pit, a->pit, sizeof s->pit);
    s->dm_stat = s->dm_p = NAN;
    double *d = a->nd ? malloc(a->nd * sizeof *d) : NULL;
    if (d) {
        for (size_t i = 0; i < a->nd; i++)
            d[i] = a->d_crps[i] - a->d_cv[i];
        int lags = step_ms > 0 ? (int)(2 * (int64_t)H * CPE_MS_PER_HOUR / step_ms) : 24;
        if (cpe_dm_test(d, a->nd, lags, &s->dm_stat, &s->dm_p, NULL) != 0)
            s->dm_stat = s->dm_p = NAN;
        free(d);
    }
    s->n_months = a->nm;
    for (int m = 0; m < a->nm; m++) {
        double n = (double)a->month_n[m];
        s->month[m] =
            (cpe_wf_month_t){a->month_key[m], a->month_n[m], n ? (double)a->month_in1[m] / n : NAN,
                             n ? (double)a->month_in2[m] / n : NAN};
    }
}

void wf_acc_finish(const wf_acc_t *a, int H, int64_t step_ms, cpe_wf_scores_t *s)
{
    s->horizon_h = H;
    s->n = a->n;
    s->acc = cpe_metric_accuracy(a->p, a->y, a->n);
    s->auc = cpe_metric_auc(a->p, a->y, a->n);
    s->brier = cpe_metric_brier(a->p, a->y, a->n);
    s->logloss = cpe_metric_logloss(a->p, a->y, a->n);
    s->ece = cpe_metric_ece(a->p, a->y, a->n, 10);
    s->top10 = cpe_metric_top_accuracy(a->p, a->y, a->n, 0.1);
    s->b_acc = cpe_metric_accuracy(a->pb, a->y, a->n);
    s->b_auc = cpe_metric_auc(a->pb, a->y, a->n);
    s->b_brier = cpe_metric_brier(a->pb, a->y, a->n);
    s->b_logloss = cpe_metric_logloss(a->pb, a->y, a->n);
    s->b_ece = cpe_metric_ece(a->pb, a->y, a->n, 10);
    s->b_top10 = cpe_metric_top_accuracy(a->pb, a->y, a->n, 0.1);
    double up = 0;
    for (size_t i = 0; i < a->n; i++)
        up += a->y[i];
    s->up_share = a->n ? up / (double)a->n : NAN;
    s->move_rmse = a->n ? sqrt(a->se_move / (double)a->n) : NAN;
    s->zero_rmse = a->n ? sqrt(a->se_zero / (double)a->n) : NAN;
    double nc = (double)a->ncone;
    s->cov1 = nc ? (double)a->in1 / nc : NAN;
    s->cov2 = nc ? (double)a->in2 / nc : NAN;
    s->cv_cov1 = nc ? (double)a->cv1 / nc : NAN;
    s->cv_cov2 = nc ? (double)a->cv2 / nc : NAN;
    s->gn_cov1 = nc ? (double)a->gn1 / nc : NAN;
    s->gn_cov2 = nc ? (double)a->gn2 / nc : NAN;
    s->crps = nc ? a->crps / nc : NAN;
    s->cv_crps = nc ? a->cv_crps / nc : NAN;
    s->gn_crps = nc ? a->gn_crps / nc : NAN;
    s->n_low = a->nconf[0], s->n_medium = a->nconf[1], s->n_high = a->nconf[2];
    s->acc_low = a->nconf[0] ? (double)a->hitconf[0] / (double)a->nconf[0] : NAN;
    s->acc_medium = a->nconf[1] ? (double)a->hitconf[1] / (double)a->nconf[1] : NAN;
    s->acc_high = a->nconf[2] ? (double)a->hitconf[2] / (double)a->nconf[2] : NAN;
    finish_dist(a, H, step_ms, s);
}

void wf_acc_free(wf_acc_t *a)
{
    free(a->p);
    free(a->pb);
    free(a->y);
    free(a->d_crps);
    free(a->d_cv);
    memset(a, 0, sizeof *a);
}
