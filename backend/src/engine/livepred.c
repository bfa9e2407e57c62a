/* livepred.c — live predictions at a bar's close, stored with their explanations
 * (see cpe/livepred.h). */
#include "cpe/livepred.h"

#include "cpe/barload.h"
#include "cpe/buf.h"
#include "cpe/log.h"
#include "cpe/market.h"
#include "cpe/mldata.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALE_AFTER_MS (10 * CPE_MS_PER_MIN)
#define REGISTRY_CHECK_MS 60000

void cpe_livepred_init(cpe_livepred_t *lp, const char *models_dir, const char *symbol, int n_paths)
{
    memset(lp, 0, sizeof *lp);
    cpe_asset_to_symbol(symbol, lp->symbol);
    cpe_symbol_to_asset(lp->symbol, lp->asset, sizeof lp->asset);
    cpe_registry_init(&lp->reg, models_dir);
    lp->n_paths = n_paths;
    lp->refit_hours = 8760;
    lp->refit_hour = INT64_MIN;
    lp->last_ts = INT64_MIN;
    lp->registry_checked_ms = INT64_MIN;
    lp->shap_ts = INT64_MIN;
    cpe_livefeat_init(&lp->feat, lp->symbol);
    lp->drift.score = lp->drift.worst_psi = NAN;
    lp->drift.worst = -1;
    cpe_livepred_aci_open(lp);
}

void cpe_livepred_close(cpe_livepred_t *lp)
{
    cpe_livepred_drift_save(lp, NULL); /* before the model and its reference go */
    if (lp->loaded) cpe_predictor_close(&lp->pred);
    if (lp->chal_loaded) cpe_predictor_close(&lp->chal);
    lp->loaded = lp->chal_loaded = 0;
    cpe_livefeat_free(&lp->feat);
    cpe_livepred_aci_close(lp);
    free(lp->shap);
    lp->shap = NULL;
}

static int check_champion_pointer(cpe_livepred_t *lp, cpe_diag_t *d);

/* Load the champion (and challenger) when none is loaded or they changed; at most once a
 * minute. */
static void check_challenger(cpe_livepred_t *lp);

static int check_champion(cpe_livepred_t *lp, int64_t now_ms, cpe_diag_t *d)
{
    if (lp->loaded && now_ms - lp->registry_checked_ms < REGISTRY_CHECK_MS) return 0;
    lp->registry_checked_ms = now_ms;
    int rc = check_champion_pointer(lp, d);
    if (rc == 0) check_challenger(lp);
    return rc;
}

static int check_champion_pointer(cpe_livepred_t *lp, cpe_diag_t *d)
{
    char v[CPE_VERSION_MAX];
    if (cpe_registry_champion(&lp->reg, lp->symbol, v) != 0) {
        if (lp->loaded) return 0; /* the pointer vanished: keep serving the loaded model */
        return cpe_diag_set(d, CPE_ENOTFOUND, "%s: no champion model in %s (run `cpe train`)",
                            lp->symbol, lp->reg.root);
    }
    if (lp->loaded && !strcmp(v, lp->pred.version)) return 0;
    cpe_predictor_t p;
    memset(&p, 0, sizeof p);
    cpe_diag_t e = {0};
    if (cpe_predictor_open(&p, &lp->reg, lp->symbol, v, lp->n_paths, &e) != 0) {
        if (lp->loaded) {
            cpe_warn("live predictions: %s: cannot load champion %s, keeping %s: %s", lp->symbol, v,
                     lp->pred.version, e.msg);
            return 0;
        }
        return cpe_diag_set(d, e.code ? e.code : CPE_EINTERNAL, "%s", e.msg);
    }
    if (lp->loaded) {
        cpe_info("live predictions: %s: champion %s replaces %s", lp->symbol, v, lp->pred.version);
        cpe_predictor_close(&lp->pred);
    } else {
        cpe_info("live predictions: %s: using champion %s", lp->symbol, v);
    }
    lp->pred = p;
    lp->loaded = 1;
    lp->refit_hour = INT64_MIN; /* refit the new model's volatility at the next bar */
    return 0;
}

/* The challenger and its traffic split (registry.h), checked with the champion. A challenger
 * that cannot be loaded, or equals the champion, gets no traffic. */
static void check_challenger(cpe_livepred_t *lp)
{
    char v[CPE_VERSION_MAX];
    double split = 0;
    int has = cpe_registry_challenger(&lp->reg, lp->symbol, v, &split) == 0 && split > 0 &&
              strcmp(v, lp->pred.version);
    if (!has) {
        if (lp->chal_loaded) {
            cpe_info("live predictions: %s: challenger %s removed", lp->symbol, lp->chal.version);
            cpe_predictor_close(&lp->chal);
            lp->chal_loaded = 0;
        }
        lp->split = 0;
        return;
    }
    lp->split = split;
    if (lp->chal_loaded && !strcmp(v, lp->chal.version)) return;
    cpe_predictor_t p;
    memset(&p, 0, sizeof p);
    cpe_diag_t e = {0};
    if (cpe_predictor_open(&p, &lp->reg, lp->symbol, v, lp->n_paths, &e) != 0) {
        cpe_warn("live predictions: %s: cannot load challenger %s: %s", lp->symbol, v, e.msg);
        return;
    }
    if (lp->chal_loaded) cpe_predictor_close(&lp->chal);
    lp->chal = p;
    lp->chal_loaded = 1;
    cpe_info("live predictions: %s: challenger %s gets %.0f %% of the bars", lp->symbol, v,
             100 * split);
}

/* Hourly GARCH-t refit on the 1h returns ending at the close of bar_ts. */
static void refit_volatility(cpe_livepred_t *lp, cpe_store_t *st, int64_t bar_ts)
{
    int64_t hour = cpe_floor_ms(bar_ts + CPE_MS_PER_MIN, CPE_MS_PER_HOUR);
    if (hour == lp->refit_hour) return;
    lp->refit_hour = hour;
    cpe_bar_t *b = NULL;
    size_t nb = 0;
    cpe_diag_t e = {0};
    /* whole hours that closed by the bar's close */
    if (cpe_load_bars(st, lp->symbol, CPE_MS_PER_HOUR,
                      hour - (int64_t)lp->refit_hours * CPE_MS_PER_HOUR, hour, &b, &nb, NULL,
                      &e) != 0) {
        free(b);
        return;
    }
    double *r = nb > 1 ? malloc((nb - 1) * sizeof *r) : NULL;
    size_t n = 0;
    for (size_t i = 1; r && i < nb; i++) {
        /* a gap in the hours ends the run: start again after it */
        if (b[i].ts_ms != b[i - 1].ts_ms + CPE_MS_PER_HOUR || !(b[i].close > 0) ||
            !(b[i - 1].close > 0)) {
            n = 0;
            continue;
        }
        r[n++] = log(b[i].close / b[i - 1].close);
    }
    free(b);
    lp->refit_n = (int)n;
    if (n < CPE_LIVEPRED_MIN_REFIT) {
        lp->refit_converged = 0;
        free(r);
        return;
    }
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    o.dist = CPE_DIST_T;
    o.std_errors = 0;
    cpe_garch_t g;
    if (cpe_garch_fit_or_ewma(r, n, &o, &g, &e) == 0) {
        lp->pred.ms.vol = g;
        if (lp->chal_loaded) lp->chal.ms.vol = g;
        lp->refit_converged = !g.fallback;
    }
    free(r);
}

/* A prediction for this bar is in the store already (a restart, or a backfill): keep it. */
static int already_stored(cpe_livepred_t *lp, cpe_store_t *st, int64_t bar_ts)
{
    cpe_prediction_t p;
    int h = lp->pred.ms.n_h > 0 ? lp->pred.ms.h[0].horizon_h : 1;
    if (st->ops->get_prediction(st, lp->symbol, h, bar_ts, &p, NULL) == 0 && p.ts_ms == bar_ts) {
        lp->last_ts = bar_ts;
        return 1;
    }
    return 0;
}

/* SHAP rows of the horizon classifiers for the bar (cur, one row per horizon index) and, where
 * prev is given, the previous bar's (*sh_prev): read from lp->shap when it holds that bar for
 * this model version, else computed beside the bar's own in one call. 0 or a CPE_E code. */
static int bar_shap(cpe_livepred_t *lp, const cpe_predictor_t *p, const cpe_pred_input_t *in,
                    const cpe_pred_input_t *prev, int k, double *cur, double *two,
                    const double **sh_prev)
{
    const cpe_modelset_t *ms = &p->ms;
    size_t nc = ms->ncol, w = nc + 1;
    *sh_prev = NULL;
    if (!prev) return cpe_gbt_contribs(&ms->h[k].cls, in->x, 1, cur + k * w);
    if (lp->shap && lp->shap_w == w && lp->shap_ts == prev->ts_ms &&
        !strcmp(lp->shap_version, p->version)) {
        *sh_prev = lp->shap + k * w;
        return cpe_gbt_contribs(&ms->h[k].cls, in->x, 1, cur + k * w);
    }
    double *X = malloc(2 * nc * sizeof *X);
    if (!X) return CPE_ENOMEM;
    memcpy(X, in->x, nc * sizeof *X);
    memcpy(X + nc, prev->x, nc * sizeof *X);
    int rc = cpe_gbt_contribs(&ms->h[k].cls, X, 2, two);
    free(X);
    if (rc) return rc;
    memcpy(cur + k * w, two, w * sizeof *two);
    *sh_prev = two + w;
    return 0;
}

/* The explanation of every horizon into b[k] (ex[k] = its text, NULL where none could be
 * made), before the store's write lock is taken: made inside the transaction, the
 * explanations held SQLite's write lock through TreeSHAP, and the other prediction threads'
 * writes slept in SQLite's busy handler meanwhile. The bar's SHAP rows are kept for the
 * next bar (lp->shap). */
static void explain_all(cpe_livepred_t *lp, const cpe_predictor_t *p, const cpe_pred_input_t *in,
                        const cpe_pred_input_t *prev, const cpe_prediction_t *out, cpe_buf_t *b,
                        const char **ex)
{
    const cpe_modelset_t *ms = &p->ms;
    size_t w = ms->ncol + 1;
    double *cur = malloc((size_t)CPE_MS_MAX_H * w * sizeof *cur),
           *two = malloc(2 * w * sizeof *two);
    int ok = cur && two;
    for (int k = 0; k < ms->n_h; k++) {
        ex[k] = NULL;
        const double *sh_prev = NULL;
        cpe_diag_t e = {0};
        if (!ok || bar_shap(lp, p, in, prev, k, cur, two, &sh_prev) != 0) {
            ok = 0;
            continue;
        }
        if (cpe_explain_json(ms, p->symbol, p->version, in, sh_prev ? prev : NULL, &out[k],
                             lp->asset, cur + k * w, sh_prev, &b[k], &e) == 0)
            ex[k] = b[k].data;
    }
    free(two);
    if (!ok) { /* keep nothing that is not the bar's */
        free(cur);
        cur = NULL;
    }
    free(lp->shap);
    lp->shap = cur;
    lp->shap_w = w;
    lp->shap_ts = cur ? in->ts_ms : INT64_MIN;
    snprintf(lp->shap_version, sizeof lp->shap_version, "%s", p->version);
}

/* The records of every horizon and their explanations, in one short transaction. */
static int store_all(cpe_store_t *st, int n_h, const cpe_prediction_t *out, const char **ex,
                     cpe_diag_t *d)
{
    st->ops->begin(st);
    for (int k = 0; k < n_h; k++) {
        if (st->ops->put_prediction(st, &out[k], ex[k]) != 0) {
            st->ops->rollback(st);
            return cpe_diag_set(d, CPE_ESTORE, "store: cannot write a prediction: %s",
                                st->diag.msg);
        }
    }
    if (st->ops->commit(st) != 0)
        return cpe_diag_set(d, CPE_ESTORE, "store: cannot commit predictions: %s", st->diag.msg);
    return 0;
}

int cpe_livepred_step(cpe_livepred_t *lp, cpe_store_t *st, int64_t at_ms, int64_t now_ms,
                      cpe_prediction_t *out, int *n, cpe_diag_t *d)
{
    *n = 0;
    int rc = check_champion(lp, now_ms, d);
    if (rc) {
        snprintf(lp->last_error, sizeof lp->last_error, "%.255s", d->msg);
        return rc;
    }
    double *x = NULL, *x0 = NULL, r[240], r0[240];
    cpe_buf_t b[CPE_MS_MAX_H];
    for (int k = 0; k < CPE_MS_MAX_H; k++)
        cpe_buf_init(&b[k], 1 << 22);
    int64_t last;
    if ((rc = cpe_mldata_last_bar(st, lp->symbol, &last, d)) != 0) goto out;
    if (at_ms != INT64_MAX && cpe_floor_ms(at_ms, CPE_MS_PER_MIN) - CPE_MS_PER_MIN < last)
        last = cpe_floor_ms(at_ms, CPE_MS_PER_MIN) - CPE_MS_PER_MIN;
    if (last <= lp->last_ts) goto out; /* nothing new */
    if (already_stored(lp, st, last)) goto out;
    cpe_livefeat_t *lf = &lp->feat;
    if ((rc = cpe_livefeat_advance(lf, st, last, d)) != 0) goto out;
    if (lf->last_ts <= lp->last_ts) goto out;
    refit_volatility(lp, st, lf->last_ts);
    cpe_livepred_drift_step(lp, now_ms);
    /* the bar goes to the challenger with probability split (deterministic in the bar time) */
    cpe_predictor_t *p =
        lp->chal_loaded && cpe_ab_route(lp->split, (uint64_t)lf->last_ts) ? &lp->chal : &lp->pred;
    x = malloc(p->ms.ncol * sizeof *x);
    x0 = malloc(p->ms.ncol * sizeof *x0);
    if (!x || !x0) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory");
        goto out;
    }
    cpe_mlview_t v;
    cpe_livefeat_view(lf, &v);
    cpe_pred_input_t in, prev;
    cpe_predictor_input_from(p, lf->names, lf->x, lf->ncol, &v, v.n - 1, x, r, &in);
    in.stale = now_ms - (in.ts_ms + CPE_MS_PER_MIN) > STALE_AFTER_MS;
    if (lf->has_prev)
        cpe_predictor_input_from(p, lf->names, lf->x_prev, lf->ncol, &v, v.n - 2, x0, r0, &prev);
    int hs[CPE_MS_MAX_H];
    for (int k = 0; k < p->ms.n_h; k++)
        hs[k] = p->ms.h[k].horizon_h;
    cpe_livepred_aci_before(lp, p, in.ts_ms + CPE_MS_PER_MIN, in.close);
    if ((rc = cpe_predictor_predict(p, &in, hs, p->ms.n_h, out, d)) != 0) goto out;
    cpe_livepred_aci_after(lp, out, p->ms.n_h, now_ms);
    const char *ex[CPE_MS_MAX_H];
    explain_all(lp, p, &in, lf->has_prev ? &prev : NULL, out, b, ex);
    if ((rc = store_all(st, p->ms.n_h, out, ex, d)) != 0) goto out;
    *n = p->ms.n_h;
    lp->last_ts = in.ts_ms;
out:
    if (rc)
        snprintf(lp->last_error, sizeof lp->last_error, "%.255s", d->msg);
    else
        lp->last_error[0] = 0;
    free(x);
    free(x0);
    for (int k = 0; k < CPE_MS_MAX_H; k++)
        cpe_buf_free(&b[k]);
    return rc;
}
