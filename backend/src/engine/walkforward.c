/* walkforward.c — purged, embargoed walk-forward evaluation (see cpe/walkforward.h). */
#include "cpe/walkforward.h"

#include "wf_int.h"

#include "cpe/aci.h"
#include "cpe/gbt.h"
#include "cpe/market.h"
#include "cpe/metrics.h"
#include "cpe/predictor.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_wf_config_default(cpe_wf_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->train_days = 30;
    c->test_days = 7;
    c->purge_h = 24;
    c->embargo_h = 6;
    c->folds = 5;
    c->expanding = 1;
    c->eval_paths = 2000;
    c->keep_records = 1;
    c->aci = 1;
    c->aci_gamma = 0.005;
    /* the first configured asset's symbol; callers set their own */
    snprintf(c->symbol, sizeof c->symbol, "%s", cpe_asset_count() ? cpe_asset_at(0)->symbol : "");
    cpe_modelset_config_default(&c->ms);
}

int cpe_wf_make_plan(const cpe_wf_config_t *c, int64_t start_ms, int64_t end_ms, cpe_wf_plan_t *p,
                     cpe_diag_t *d)
{
    memset(p, 0, sizeof *p);
    if (c->train_days <= 0 || c->test_days <= 0 || c->purge_h < 0 || c->embargo_h < 0 ||
        c->folds < 0)
        return cpe_diag_set(d, CPE_EINVAL,
                            "walk-forward: train/test days must be > 0, purge, "
                            "embargo and folds >= 0");
    p->train_ms = c->train_days * CPE_MS_PER_DAY;
    p->purge_ms = c->purge_h * CPE_MS_PER_HOUR;
    p->embargo_ms = c->embargo_h * CPE_MS_PER_HOUR;
    p->start_ms = start_ms;
    p->expanding = c->expanding;
    int64_t test_ms = c->test_days * CPE_MS_PER_DAY;
    int64_t room = end_ms - start_ms - p->train_ms - p->purge_ms;
    long fit = room > 0 ? (long)(room / test_ms) : 0;
    if (fit < 1)
        return cpe_diag_set(d, CPE_EDATA,
                            "walk-forward: %.1f days of rows do not fit %d training days + %d h "
                            "purge + one %d-day test window",
                            (double)(end_ms - start_ms) / CPE_MS_PER_DAY, c->train_days, c->purge_h,
                            c->test_days);
    long n = c->folds ? (c->folds < fit ? c->folds : fit) : fit;
    if (n > CPE_WF_MAX_FOLDS) n = CPE_WF_MAX_FOLDS;
    p->n = (int)n;
    for (int k = 0; k < p->n; k++) {
        cpe_wf_fold_t *f = &p->f[k];
        f->test_from_ms = end_ms - (int64_t)(p->n - k) * test_ms;
        f->test_to_ms = f->test_from_ms + test_ms;
        f->train_to_ms = f->test_from_ms - p->purge_ms;
        f->train_from_ms = p->expanding ? start_ms : f->train_to_ms - p->train_ms;
    }
    return 0;
}

int cpe_wf_is_train_row(const cpe_wf_plan_t *p, int k, int64_t ts, int horizon_h)
{
    const cpe_wf_fold_t *f = &p->f[k];
    if (ts < f->train_from_ms || ts >= f->train_to_ms) return 0;
    if (horizon_h > 0 && cpe_ml_label_end(ts, horizon_h) > f->test_from_ms) return 0;
    for (int j = 0; j < k; j++)
        if (ts >= p->f[j].test_to_ms && ts < p->f[j].test_to_ms + p->embargo_ms) return 0;
    return 1;
}

double wf_sdev(const double *r, size_t n)
{
    if (n < 2) return NAN;
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += r[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (r[i] - m) * (r[i] - m);
    return sqrt(s / (double)(n - 1));
}

static int push_record(cpe_wf_result_t *res, size_t *cap, const cpe_prediction_t *p,
                       int with_explanation)
{
    if (res->n_records == *cap) {
        size_t nc = *cap ? *cap * 2 : 4096;
        cpe_prediction_t *nr = realloc(res->records, nc * sizeof *nr);
        if (!nr) return CPE_ENOMEM;
        res->records = nr;
        if (with_explanation) {
            size_t *no = realloc(res->explain_off, nc * sizeof *no);
            if (!no) return CPE_ENOMEM;
            res->explain_off = no;
        }
        *cap = nc;
    }
    res->records[res->n_records++] = *p;
    return 0;
}

/* The explanation of the record just pushed (row i of v, features x, SHAP row sh; the
 * previous row's SHAP sh_prev when that row is i - 1), NUL-ended in explain_text; one that
 * cannot be made is an empty string. */
static int push_explanation(cpe_wf_result_t *res, const cpe_wf_config_t *c,
                            const cpe_modelset_t *ms, const char *version, const char *asset,
                            const cpe_mlview_t *v, size_t i, const double *x,
                            const cpe_prediction_t *p, const double *sh, const double *sh_prev)
{
    cpe_pred_input_t in, prev;
    memset(&in, 0, sizeof in);
    memset(&prev, 0, sizeof prev);
    in.ts_ms = v->ts_ms[i];
    in.close = v->close[i];
    in.x = x;
    if (sh_prev) {
        prev.ts_ms = v->ts_ms[i - 1];
        prev.x = v->X + (i - 1) * v->ncol;
    }
    size_t at = res->explain_text.len;
    res->explain_off[res->n_records - 1] = at;
    cpe_diag_t d = {0};
    if (cpe_explain_json(ms, c->symbol, version, &in, sh_prev ? &prev : NULL, p, asset, sh, sh_prev,
                         &res->explain_text, &d) != 0)
        res->explain_text.len = at;                   /* no explanation: an empty string */
    return cpe_buf_append(&res->explain_text, "", 1); /* the NUL that ends it */
}

/* What eval_fold carries from fold to fold: the accumulators and the ACI state. */
typedef struct wf_run {
    wf_acc_t acc[CPE_MS_MAX_H];
    cpe_aci_t aci;
    int has_aci;
    int col_rv24; /* realized_var_24h in the view (-1: none) */
} wf_run_t;

/* The fold's model set (trained lazily: its GARCH cone scales are fitted on the training
 * rows the first time a row needs that cone) and its test rows. */
typedef struct wf_fold {
    cpe_modelset_t ms;
    const size_t *train, *test;
    size_t ntr, nt;
    int k;
} wf_fold_t;

/* Predictions of every horizon at test row t (view row i): the t cone of the realized
 * model with the ACI band levels, else the GARCH Monte Carlo cone. 1 with a prediction, 0
 * when the row has none (no volatility state), < 0 when the cone's scales failed. */
static int predict_row(const cpe_mlview_t *v, const cpe_wf_config_t *c, wf_fold_t *fo,
                       wf_run_t *run, cpe_cone_ws_t *ws, size_t i, const double *x,
                       const double *move, size_t t, const double *ret, size_t nr, cpe_volfc_t *fc,
                       cpe_tcone_h_t *th, cpe_regime_t *rg, cpe_prediction_t *pr, cpe_diag_t *d)
{
    const cpe_modelset_t *ms = &fo->ms;
    const size_t nt = fo->nt;
    const int nh = ms->n_h;
    const int64_t t_close = v->ts_ms[i] + CPE_MS_PER_MIN;
    cpe_modelset_volfc(ms, x, t_close, ret, nr, fc);
    *rg = cpe_modelset_regime(ms, x);
    memset(pr, 0, sizeof *pr * (size_t)nh);
    if (fc->has_rvol) {
        for (int h = 0; h < nh; h++) {
            double a1 = run->has_aci ? run->aci.h[h].band[0].alpha : CPE_TCONE_A1;
            double a2 = run->has_aci ? run->aci.h[h].band[1].alpha : CPE_TCONE_A2;
            cpe_modelset_tcone_params(ms, h, fc, move[(size_t)h * nt + t], *rg, a1, a2, &th[h]);
        }
        return cpe_tcone_fill(th, nh, v->close[i], t_close, pr, NULL) == 0;
    }
    int rc;
    if (!(fc->h_next > 0)) return 0;
    if (fo->ms.scales_pending &&
        (rc = cpe_modelset_fit_scales(&fo->ms, v, fo->train, fo->ntr, &c->ms, d)) != 0)
        return rc;
    cpe_cone_params_t cp[CPE_MS_MAX_H];
    for (int h = 0; h < nh; h++)
        cpe_modelset_cone_params(ms, h, v->close[i], t_close, move[(size_t)h * nt + t], *rg,
                                 &fc->ex, 1, &cp[h]);
    return cpe_cone_predict(ws, &ms->vol, fc->h_next, c->ms.seed ^ (uint64_t)v->ts_ms[i], cp,
                            (size_t)nh, pr, NULL) == 0;
}

/* The scored row of horizon h: outcome, the model's distribution and the baselines. */
static void make_row(const cpe_mlview_t *v, const cpe_modelset_t *ms, const wf_run_t *run, size_t i,
                     const double *x, const cpe_volfc_t *fc, const cpe_tcone_h_t *th, int h,
                     double rv24h_1h, double hg, wf_row_t *row)
{
    int H = ms->h[h].horizon_h;
    memset(row, 0, sizeof *row);
    row->y = cpe_ml_label(v, i, H);
    row->base_rate = ms->h[h].base_rate;
    row->ts_ms = v->ts_ms[i];
    row->has_t = fc->has_rvol;
    if (fc->has_rvol) row->th = th[h];
    double rv24 = run->col_rv24 >= 0 ? x[run->col_rv24] : NAN;
    row->b_var[CPE_WF_B_CV1M] = rv24 * H / 24.0;
    row->b_var[CPE_WF_B_CV1H] = rv24h_1h * rv24h_1h * H;
    row->b_var[CPE_WF_B_EWMA] = fc->v_ewma[h];
    row->b_var[CPE_WF_B_GN] = hg > 0 ? cpe_garch_forecast_sum(&ms->vol_n, hg, H) : NAN;
    row->b_var[CPE_WF_B_GT] = fc->v_garch[h];
    row->b_var[CPE_WF_B_HAR] = cpe_rvol_har_var(&ms->rvol, h, x, v->ts_ms[i] + CPE_MS_PER_MIN);
    row->gt_nu = ms->vol.dist == CPE_DIST_T && !ms->vol.fallback ? ms->vol.nu : 0;
}

/* Evaluate the test rows of fold k with the fold's model set. */
static int eval_fold(const cpe_mlview_t *v, const cpe_wf_config_t *c, wf_fold_t *fo, wf_run_t *run,
                     cpe_wf_result_t *res, size_t *rec_cap, cpe_diag_t *d)
{
    const cpe_modelset_t *ms = &fo->ms;
    const size_t *test = fo->test, nt = fo->nt;
    const int k = fo->k;
    int rc = 0, nh = ms->n_h, fh = c->ms.filter_hours > 24 ? c->ms.filter_hours : 24;
    double *X = malloc((nt ? nt : 1) * v->ncol * sizeof *X);
    double *praw = malloc((nt ? nt : 1) * (size_t)nh * sizeof *praw);
    double *pup = malloc((nt ? nt : 1) * (size_t)nh * sizeof *pup);
    double *move = malloc((nt ? nt : 1) * (size_t)nh * sizeof *move);
    double *ret = malloc((size_t)fh * sizeof *ret);
    double *shap = NULL;
    cpe_cone_ws_t ws = {0};
    if (!X || !praw || !pup || !move || !ret) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "walk-forward: out of memory");
        goto out;
    }
    if ((rc = cpe_cone_ws_init(&ws, c->eval_paths)) != 0) goto out;
    for (size_t t = 0; t < nt; t++)
        memcpy(X + t * v->ncol, v->X + test[t] * v->ncol, v->ncol * sizeof *X);
    if ((rc = cpe_modelset_predict(ms, X, nt, praw, pup, move)) != 0) {
        rc = cpe_diag_set(d, rc, "walk-forward fold %d: prediction failed", k);
        goto out;
    }
    /* explanations: the SHAP rows of every test row, one call per horizon (a call per row
     * costs a thread-pool wake-up each) */
    const int explain = c->keep_records && c->keep_explanations;
    const size_t w = v->ncol + 1;
    if (explain && nt > 0) {
        shap = malloc(nt * w * (size_t)nh * sizeof *shap);
        if (!shap) {
            rc = cpe_diag_set(d, CPE_ENOMEM, "walk-forward: out of memory");
            goto out;
        }
        for (int h = 0; h < nh; h++)
            if ((rc = cpe_gbt_contribs(&ms->h[h].cls, X, nt, shap + (size_t)h * nt * w)) != 0) {
                rc = cpe_diag_set(d, rc, "walk-forward fold %d: SHAP failed", k);
                goto out;
            }
    }
    char version[48], day[32];
    cpe_format_iso8601(ms->label_cutoff_ms, day); /* the model knows outcomes up to here */
    snprintf(version, sizeof version, "%.20s-wf-%.4s%.2s%.2s", c->symbol, day, day + 5, day + 8);
    char asset[32];
    cpe_symbol_to_asset(c->symbol, asset, sizeof asset);
    for (size_t t = 0; t < nt; t++) {
        size_t i = test[t];
        const double *x = X + t * v->ncol;
        const int64_t t_close = v->ts_ms[i] + CPE_MS_PER_MIN;
        if (run->has_aci) cpe_aci_observe(&run->aci, t_close, log(v->close[i]));
        size_t nr = cpe_ml_hourly_returns(v, i, (size_t)fh, ret);
        cpe_volfc_t fc;
        cpe_tcone_h_t th[CPE_MS_MAX_H];
        cpe_regime_t rg;
        cpe_prediction_t pr[CPE_MS_MAX_H];
        int got = predict_row(v, c, fo, run, &ws, i, x, move, t, ret, nr, &fc, th, &rg, pr, d);
        if (got < 0) {
            rc = got;
            cpe_diag_prefix(d, "walk-forward fold %d: ", k);
            goto out;
        }
        if (!got) continue; /* no volatility state: the row has no prediction */
        double hg = nr ? cpe_garch_filter(&ms->vol_n, ret, nr) : ms->vol_n.last_h;
        double rv = nr >= 24 ? wf_sdev(ret + nr - 24, 24) : NAN;
        double dq = cpe_modelset_data_quality(ms, x);
        for (int h = 0; h < nh; h++) {
            cpe_prediction_t *p = &pr[h];
            int H = ms->h[h].horizon_h;
            p->ts_ms = v->ts_ms[i];
            snprintf(p->symbol, sizeof p->symbol, "%s", c->symbol);
            p->horizon_h = H;
            p->close = v->close[i];
            p->p_up = pup[(size_t)h * nt + t];
            p->expected_move = cpe_modelset_move(ms, h, move[(size_t)h * nt + t]);
            snprintf(p->regime, sizeof p->regime, "%s", cpe_regime_name(rg));
            snprintf(p->confidence, sizeof p->confidence, "%s",
                     cpe_confidence(p->p_up, rg, fc.ex.confidence_penalty, dq, 0));
            snprintf(p->model_version, sizeof p->model_version, "%s", version);
            p->vol_fallback = ms->vol.fallback && !fc.has_rvol;
            if (c->keep_records && (rc = push_record(res, rec_cap, p, explain)) != 0) goto out;
            if (explain) {
                const double *sh = shap + ((size_t)h * nt + t) * w;
                const double *sh_prev = t > 0 && test[t - 1] + 1 == i ? sh - w : NULL;
                if ((rc = push_explanation(res, c, ms, version, asset, v, i, x, p, sh, sh_prev)) !=
                    0)
                    goto out;
            }
            if (fc.has_rvol && run->has_aci) cpe_aci_offer(&run->aci, h, H, p->ts_ms, t_close, p);
            wf_row_t row;
            make_row(v, ms, run, i, x, &fc, th, h, rv, hg, &row);
            if (isnan(row.y)) continue;
            if ((rc = wf_acc_score(&run->acc[h], p, &row)) != 0) goto out;
        }
    }
out:
    cpe_cone_ws_free(&ws);
    free(shap);
    free(X);
    free(praw);
    free(pup);
    free(move);
    free(ret);
    return rc;
}

static int run_init(wf_run_t *run, const cpe_mlview_t *v, const cpe_wf_config_t *c, cpe_diag_t *d)
{
    memset(run, 0, sizeof *run);
    run->col_rv24 = -1;
    for (size_t j = 0; j < v->ncol; j++)
        if (v->names && v->names[j] && !strcmp(v->names[j], "realized_var_24h"))
            run->col_rv24 = (int)j;
    if (!c->aci) return 0;
    cpe_aci_opts_t o;
    cpe_aci_opts_default(&o);
    if (c->aci_gamma > 0) o.gamma = c->aci_gamma;
    int rc = cpe_aci_init(&run->aci, &o, d);
    run->has_aci = rc == 0;
    return rc;
}

static void run_free(wf_run_t *run)
{
    for (int h = 0; h < CPE_MS_MAX_H; h++)
        wf_acc_free(&run->acc[h]);
    cpe_aci_free(&run->aci);
}

int cpe_wf_run(const cpe_mlview_t *v, const cpe_wf_config_t *c, cpe_wf_result_t *res,
               void (*progress)(int fold, int n_folds, void *ctx), void *ctx, cpe_diag_t *d)
{
    cpe_wf_plan_t plan;
    memset(res, 0, sizeof *res);
    if (!v || v->n < 2) return cpe_diag_set(d, CPE_EDATA, "walk-forward: no rows");
    int64_t step = v->ts_ms[1] - v->ts_ms[0];
    int rc = cpe_wf_make_plan(c, v->ts_ms[0], v->ts_ms[v->n - 1] + step, &plan, d);
    return rc ? rc : cpe_wf_run_plan(v, c, &plan, res, progress, ctx, d);
}

int cpe_wf_run_plan(const cpe_mlview_t *v, const cpe_wf_config_t *c, const cpe_wf_plan_t *plan,
                    cpe_wf_result_t *res, void (*progress)(int fold, int n_folds, void *ctx),
                    void *ctx, cpe_diag_t *d)
{
    int rc = 0;
    size_t rec_cap = 0, *train = NULL, *test = NULL;
    wf_run_t run;
    memset(res, 0, sizeof *res);
    memset(&run, 0, sizeof run);
    cpe_buf_init(&res->explain_text, (size_t)1 << 31);
    if (!v || v->n < 2) return cpe_diag_set(d, CPE_EDATA, "walk-forward: no rows");
    const int64_t step = v->ts_ms[1] - v->ts_ms[0];
    res->plan = *plan;
    res->n_h = c->ms.n_h;
    train = malloc(v->n * sizeof *train);
    test = malloc(v->n * sizeof *test);
    if (!train || !test) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "walk-forward: out of memory");
        goto out;
    }
    if ((rc = run_init(&run, v, c, d)) != 0) goto out;
    for (int k = 0; k < res->plan.n; k++) {
        cpe_wf_fold_t *f = &res->plan.f[k];
        size_t ntr = 0, nt = 0;
        for (size_t i = 0; i < v->n; i++) {
            int64_t ts = v->ts_ms[i];
            if (cpe_wf_is_train_row(&res->plan, k, ts, 0))
                train[ntr++] = i;
            else if (ts >= f->test_from_ms && ts < f->test_to_ms)
                test[nt++] = i;
        }
        f->n_train = ntr;
        f->n_test = nt;
        if (progress) progress(k, res->plan.n, ctx);
        wf_fold_t fo = {.train = train, .test = test, .ntr = ntr, .nt = nt, .k = k};
        if ((rc = cpe_modelset_train_lazy(&fo.ms, v, train, ntr, f->test_from_ms, &c->ms, d)) !=
            0) {
            cpe_diag_prefix(d, "walk-forward fold %d: ", k);
            goto out;
        }
        for (int h = 0; h < fo.ms.n_h; h++)
            f->cls_rounds[h] = fo.ms.h[h].cls.best_rounds;
        rc = eval_fold(v, c, &fo, &run, res, &rec_cap, d);
        cpe_modelset_free(&fo.ms);
        if (rc) goto out;
    }
    for (int h = 0; h < res->n_h; h++) {
        wf_acc_finish(&run.acc[h], c->ms.horizons_h[h], step, &res->s[h]);
        res->s[h].aci_a1 = run.has_aci ? run.aci.h[h].band[0].alpha : NAN;
        res->s[h].aci_a2 = run.has_aci ? run.aci.h[h].band[1].alpha : NAN;
    }
out:
    run_free(&run);
    free(train);
    free(test);
    if (rc) cpe_wf_result_free(res);
    return rc;
}

void cpe_wf_result_free(cpe_wf_result_t *r)
{
    if (!r) return;
    free(r->records);
    r->records = NULL;
    r->n_records = 0;
    free(r->explain_off);
    r->explain_off = NULL;
    cpe_buf_free(&r->explain_text);
}
