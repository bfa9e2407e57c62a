/* registry_json.c — a model set's metadata.json, written and read back (cpe/registry.h
 * draws the format; registry_int.h). */
#include "registry_int.h"

#include "rvol_json.h"

#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON helpers ------------------------------------------------------------------- */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double get_num(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int64_t reg_get_i64(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)get_num(o, k);
}

static json_t *num_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, num(v[i]));
    return a;
}

static json_t *garch_json(const cpe_garch_t *g)
{
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:b,s:b,s:o}", "kind",
                     cpe_garch_kind_name(g->kind), "dist", cpe_garch_dist_name(g->dist), "mu",
                     num(g->mu), "omega", num(g->omega), "alpha", num(g->alpha), "gamma",
                     num(g->gamma), "beta", num(g->beta), "nu", num(g->nu), "loglik",
                     num(g->loglik), "backcast", num(g->backcast), "last_h", num(g->last_h),
                     "scale", num(g->scale), "n_obs", g->n_obs, "converged", g->converged,
                     "fallback", g->fallback, "ewma_lambda", num(g->ewma_lambda));
}

static void garch_from(const json_t *o, cpe_garch_t *g)
{
    memset(g, 0, sizeof *g);
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *dist = json_string_value(json_object_get(o, "dist"));
    g->kind = kind && !strcmp(kind, "gjr") ? CPE_GJR : CPE_GARCH;
    g->dist = dist && !strcmp(dist, "t") ? CPE_DIST_T : CPE_DIST_NORMAL;
    g->mu = get_num(o, "mu");
    g->omega = get_num(o, "omega");
    g->alpha = get_num(o, "alpha");
    g->gamma = get_num(o, "gamma");
    g->beta = get_num(o, "beta");
    g->nu = get_num(o, "nu");
    g->loglik = get_num(o, "loglik");
    g->backcast = get_num(o, "backcast");
    g->last_h = get_num(o, "last_h");
    g->scale = get_num(o, "scale");
    g->n_obs = (int)reg_get_i64(o, "n_obs");
    g->converged = json_is_true(json_object_get(o, "converged"));
    g->fallback = json_is_true(json_object_get(o, "fallback"));
    g->ewma_lambda = get_num(o, "ewma_lambda");
    if (isnan(g->gamma)) g->gamma = 0;
    if (isnan(g->nu)) g->nu = 0;
    if (isnan(g->mu)) g->mu = 0;
    if (isnan(g->ewma_lambda)) g->ewma_lambda = 0;
    g->se_mu = g->se_omega = g->se_alpha = g->se_gamma = g->se_beta = g->se_nu = NAN;
}

static json_t *gbt_params_json(const cpe_gbt_params_t *p)
{
    return json_pack("{s:s,s:s,s:s,s:f,s:i,s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:i,s:i,s:I}", "library",
                     "xgboost 1.7 (tree_method=hist, grow_policy=lossguide)", "objective",
                     p->objective == CPE_GBT_BINARY ? "binary:logistic" : "reg:squarederror",
                     "early_stopping", "time-ordered validation split", "eta", p->eta, "max_leaves",
                     p->max_leaves, "max_depth", p->max_depth, "max_rounds", p->max_rounds,
                     "early_stop_rounds", p->early_stop_rounds, "valid_frac", p->valid_frac,
                     "min_child_weight", p->min_child_weight, "subsample", p->subsample,
                     "colsample_bytree", p->colsample, "lambda", p->lambda, "max_bin", p->max_bin,
                     "nthread", p->nthread, "seed", (json_int_t)p->seed);
}

static void gbt_params_from(const json_t *o, cpe_gbt_params_t *p, cpe_gbt_objective_t obj)
{
    cpe_gbt_params_default(p, obj);
    if (!o) return;
    double v;
    if (!isnan(v = get_num(o, "eta"))) p->eta = v;
    if (!isnan(v = get_num(o, "max_leaves"))) p->max_leaves = (int)v;
    if (!isnan(v = get_num(o, "max_rounds"))) p->max_rounds = (int)v;
    if (!isnan(v = get_num(o, "early_stop_rounds"))) p->early_stop_rounds = (int)v;
    if (!isnan(v = get_num(o, "min_child_weight"))) p->min_child_weight = v;
}

/* The drift score's reference (drift.h); absent when the model has none. */
static json_t *drift_json(const cpe_drift_ref_t *r)
{
    json_t *fs = json_array();
    for (int i = 0; i < r->k; i++) {
        const cpe_drift_feat_t *f = &r->f[i];
        json_array_append_new(fs, json_pack("{s:s,s:o,s:o,s:o}", "name", f->name, "importance",
                                            num(f->importance), "edges",
                                            num_array(f->edges, CPE_DRIFT_BINS - 1), "shares",
                                            num_array(f->share, CPE_DRIFT_BINS)));
    }
    return json_pack("{s:s,s:o}", "importance", "mean_abs_shap", "features", fs);
}

/* A reference that does not parse is left out (no score), never an error. */
static void drift_from(const json_t *o, cpe_drift_ref_t *r)
{
    memset(r, 0, sizeof *r);
    json_t *fs = json_object_get(o, "features");
    for (size_t i = 0; i < json_array_size(fs) && r->k < CPE_DRIFT_K; i++) {
        json_t *f = json_array_get(fs, i), *e = json_object_get(f, "edges"),
               *sh = json_object_get(f, "shares");
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!name || json_array_size(e) != CPE_DRIFT_BINS - 1 ||
            json_array_size(sh) != CPE_DRIFT_BINS)
            continue;
        cpe_drift_feat_t *d = &r->f[r->k];
        snprintf(d->name, sizeof d->name, "%s", name);
        d->importance = get_num(f, "importance");
        for (size_t b = 0; b < CPE_DRIFT_BINS; b++) {
            if (b < CPE_DRIFT_BINS - 1) d->edges[b] = json_number_value(json_array_get(e, b));
            d->share[b] = json_number_value(json_array_get(sh, b));
        }
        r->k++;
    }
}

static json_t *iso(int64_t ms)
{
    char b[32];
    cpe_format_iso8601(ms, b);
    return json_string(b);
}

json_t *reg_metadata_json(const char *symbol, const char *version, const cpe_modelset_t *ms,
                          const char *metrics_json)
{
    json_t *m = json_object();
    json_object_set_new(m, "format", json_integer(FORMAT));
    json_object_set_new(m, "symbol", json_string(symbol));
    json_object_set_new(m, "model_version", json_string(version));
    json_object_set_new(m, "trained_at", iso(ms->trained_at_ms));
    json_object_set_new(m, "trained_at_ms", json_integer(ms->trained_at_ms));
    json_object_set_new(m, "training_window",
                        json_pack("{s:o,s:o,s:o,s:I,s:I,s:I}", "from", iso(ms->train_from_ms), "to",
                                  iso(ms->train_to_ms), "label_cutoff", iso(ms->label_cutoff_ms),
                                  "from_ms", (json_int_t)ms->train_from_ms, "to_ms",
                                  (json_int_t)ms->train_to_ms, "label_cutoff_ms",
                                  (json_int_t)ms->label_cutoff_ms));
    json_t *feat = json_array();
    for (size_t j = 0; j < ms->ncol; j++)
        json_array_append_new(feat, json_string(ms->names[j]));
    json_object_set_new(m, "features_used", json_integer((json_int_t)ms->ncol));
    json_object_set_new(m, "features", feat);
    json_object_set_new(m, "feature_presence", num_array(ms->present, ms->ncol));
    json_object_set_new(m, "hyperparameters",
                        json_pack("{s:o,s:o,s:i}", "classifier", gbt_params_json(&ms->cls_params),
                                  "regressor", gbt_params_json(&ms->reg_params), "filter_hours",
                                  ms->filter_hours));
    json_t *hs = json_array();
    for (int k = 0; k < ms->n_h; k++) {
        const cpe_hmodel_t *h = &ms->h[k];
        json_t *cal =
            json_pack("{s:s,s:o,s:o,s:o,s:o}", "method", cpe_calib_name(h->calib.method), "a",
                      num(h->calib.a), "b", num(h->calib.b), "x", num_array(h->calib.x, h->calib.n),
                      "y", num_array(h->calib.y, h->calib.n));
        json_t *sc =
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:I}", "s1", num(h->scale.s1), "s2", num(h->scale.s2),
                      "s", num(h->scale.s), "cov1_s1", num(h->scale.cov1_s1), "cov2_s2",
                      num(h->scale.cov2_s2), "n", (json_int_t)h->scale.n);
        json_t *vm =
            json_pack("{s:o,s:o,s:o,s:I,s:I}", "logloss_raw", num(h->valid_logloss_raw),
                      "logloss_calibrated", num(h->valid_logloss_cal), "auc", num(h->valid_auc),
                      "n_fit", (json_int_t)h->n_fit, "n_valid", (json_int_t)h->n_valid);
        json_t *dr = json_pack(
            "{s:b,s:o,s:o,s:b,s:o,s:o,s:b,s:o}", "use_direction", h->use_direction,
            "holdout_logloss_model", num(h->holdout_logloss_model), "holdout_logloss_base",
            num(h->holdout_logloss_base), "use_move", h->use_move, "valid_rmse_move",
            num(h->valid_rmse_move), "valid_rmse_zero", num(h->valid_rmse_zero), "use_regime_drift",
            h->use_regime_drift, "regime_drift_hit", num(h->regime_drift_hit));
        json_object_set_new(dr, "shrink_weight", num(h->shrink_w));
        json_object_set_new(dr, "shrink_t", num(h->shrink_t));
        json_array_append_new(hs, json_pack("{s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "horizon_h",
                                            h->horizon_h, "classifier_rounds", h->cls.best_rounds,
                                            "regressor_rounds", h->reg.best_rounds, "base_rate",
                                            num(h->base_rate), "calibration", cal, "cone_scale", sc,
                                            "validation", vm, "valid_rmse",
                                            num(h->reg.best_valid_loss), "drift", dr));
    }
    json_object_set_new(m, "horizons", hs);
    json_object_set_new(m, "volatility", garch_json(&ms->vol));
    json_object_set_new(m, "volatility_normal", garch_json(&ms->vol_n));
    json_t *rv = cpe_rvol_to_json(&ms->rvol);
    if (rv) json_object_set_new(m, "realized_volatility", rv);
    if (ms->has_regime) {
        const cpe_regime_thresholds_t *t = &ms->regime;
        json_object_set_new(m, "regime_thresholds",
                            json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:[f,f,f,f,f]}", "vol_low",
                                      num(t->vol_low), "vol_high", num(t->vol_high), "trend_down",
                                      num(t->trend_down), "trend_up", num(t->trend_up), "panic_ret",
                                      num(t->panic_ret), "n", (json_int_t)t->n, "levels",
                                      t->levels.vol_low, t->levels.vol_high, t->levels.trend_down,
                                      t->levels.trend_up, t->levels.panic_ret));
    }
    if (ms->drift.k) json_object_set_new(m, "drift_reference", drift_json(&ms->drift));
    if (metrics_json) {
        json_t *mj = json_loads(metrics_json, 0, NULL);
        if (mj) json_object_set_new(m, "metrics", mj);
    }
    return m;
}

int reg_load_meta(const char *dir, json_t **out, cpe_diag_t *d)
{
    char p[1100];
    json_error_t je;
    snprintf(p, sizeof p, "%s/metadata.json", dir);
    *out = json_load_file(p, 0, &je);
    if (!*out) return cpe_diag_set(d, CPE_EPARSE, "%s:%d: %s", p, je.line, je.text);
    if (reg_get_i64(*out, "format") != FORMAT) {
        json_decref(*out);
        *out = NULL;
        return cpe_diag_set(d, CPE_EUNSUPPORTED, "%s: unsupported format", p);
    }
    return 0;
}

int reg_fill_from_meta(cpe_modelset_t *ms, const json_t *m, const char *dir, cpe_diag_t *d)
{
    json_t *feat = json_object_get(m, "features"), *pres = json_object_get(m, "feature_presence");
    size_t nf = json_array_size(feat);
    const char **names = calloc(nf ? nf : 1, sizeof *names);
    if (!names) return CPE_ENOMEM;
    for (size_t j = 0; j < nf; j++)
        names[j] = json_string_value(json_array_get(feat, j));
    int rc = cpe_modelset_set_names(ms, names, nf);
    free(names);
    if (rc) return rc;
    for (size_t j = 0; j < nf && j < json_array_size(pres); j++) {
        json_t *v = json_array_get(pres, j);
        ms->present[j] = json_is_number(v) ? json_number_value(v) : 1.0;
    }
    json_t *tw = json_object_get(m, "training_window");
    ms->train_from_ms = reg_get_i64(tw, "from_ms");
    ms->train_to_ms = reg_get_i64(tw, "to_ms");
    ms->label_cutoff_ms = reg_get_i64(tw, "label_cutoff_ms");
    ms->trained_at_ms = reg_get_i64(m, "trained_at_ms");
    json_t *hp = json_object_get(m, "hyperparameters");
    gbt_params_from(json_object_get(hp, "classifier"), &ms->cls_params, CPE_GBT_BINARY);
    gbt_params_from(json_object_get(hp, "regressor"), &ms->reg_params, CPE_GBT_REGRESSION);
    ms->filter_hours = (int)reg_get_i64(hp, "filter_hours");
    if (ms->filter_hours <= 0) ms->filter_hours = 240;
    garch_from(json_object_get(m, "volatility"), &ms->vol);
    garch_from(json_object_get(m, "volatility_normal"), &ms->vol_n);
    cpe_rvol_from_json(json_object_get(m, "realized_volatility"), (const char *const *)ms->names,
                       ms->ncol, &ms->rvol);
    drift_from(json_object_get(m, "drift_reference"), &ms->drift);
    json_t *rt = json_object_get(m, "regime_thresholds");
    if (rt) {
        cpe_regime_thresholds_t *t = &ms->regime;
        t->vol_low = get_num(rt, "vol_low");
        t->vol_high = get_num(rt, "vol_high");
        t->trend_down = get_num(rt, "trend_down");
        t->trend_up = get_num(rt, "trend_up");
        t->panic_ret = get_num(rt, "panic_ret");
        t->n = (size_t)reg_get_i64(rt, "n");
        json_t *lv = json_object_get(rt, "levels");
        double *l[5] = {&t->levels.vol_low, &t->levels.vol_high, &t->levels.trend_down,
                        &t->levels.trend_up, &t->levels.panic_ret};
        for (int i = 0; i < 5; i++)
            *l[i] = json_number_value(json_array_get(lv, (size_t)i));
        ms->has_regime = 1;
    }
    json_t *hs = json_object_get(m, "horizons");
    if (json_array_size(hs) < 1 || json_array_size(hs) > CPE_MS_MAX_H)
        return cpe_diag_set(d, CPE_EPARSE, "%s/metadata.json: 'horizons' must hold 1..4 entries",
                            dir);
    ms->n_h = (int)json_array_size(hs);
    for (int k = 0; k < ms->n_h; k++) {
        json_t *h = json_array_get(hs, (size_t)k);
        cpe_hmodel_t *hm = &ms->h[k];
        hm->horizon_h = (int)reg_get_i64(h, "horizon_h");
        hm->base_rate = get_num(h, "base_rate");
        json_t *cal = json_object_get(h, "calibration");
        const char *meth = json_string_value(json_object_get(cal, "method"));
        hm->calib.method = meth && !strcmp(meth, "platt")      ? CPE_CALIB_PLATT
                           : meth && !strcmp(meth, "isotonic") ? CPE_CALIB_ISOTONIC
                                                               : CPE_CALIB_NONE;
        hm->calib.a = get_num(cal, "a");
        hm->calib.b = get_num(cal, "b");
        json_t *cx = json_object_get(cal, "x"), *cy = json_object_get(cal, "y");
        size_t nk = json_array_size(cx);
        if (nk && nk == json_array_size(cy)) {
            double *kx = malloc(2 * nk * sizeof *kx);
            if (!kx) return CPE_ENOMEM;
            for (size_t i = 0; i < nk; i++) {
                kx[i] = json_number_value(json_array_get(cx, i));
                kx[nk + i] = json_number_value(json_array_get(cy, i));
            }
            rc = cpe_calib_set_knots(&hm->calib, kx, kx + nk, nk);
            free(kx);
            if (rc) return rc;
        }
        json_t *sc = json_object_get(h, "cone_scale");
        hm->scale.s1 = get_num(sc, "s1");
        hm->scale.s2 = get_num(sc, "s2");
        hm->scale.s = get_num(sc, "s");
        if (!(hm->scale.s1 > 0)) hm->scale.s1 = 1;
        if (!(hm->scale.s2 > 0)) hm->scale.s2 = 1;
        /* versions written before the validation gates existed used every term */
        json_t *dr = json_object_get(h, "drift");
        hm->use_move = dr ? json_is_true(json_object_get(dr, "use_move")) : 1;
        hm->use_direction = dr ? json_is_true(json_object_get(dr, "use_direction")) : 1;
        hm->holdout_logloss_model = get_num(dr, "holdout_logloss_model");
        hm->holdout_logloss_base = get_num(dr, "holdout_logloss_base");
        /* versions before the shrinkage: all or nothing */
        hm->shrink_w = get_num(dr, "shrink_weight");
        if (!(hm->shrink_w >= 0 && hm->shrink_w <= 1)) hm->shrink_w = hm->use_direction ? 1 : 0;
        hm->shrink_t = get_num(dr, "shrink_t");
        hm->use_regime_drift = dr ? json_is_true(json_object_get(dr, "use_regime_drift")) : 1;
        hm->valid_rmse_move = get_num(dr, "valid_rmse_move");
        hm->valid_rmse_zero = get_num(dr, "valid_rmse_zero");
        hm->regime_drift_hit = get_num(dr, "regime_drift_hit");
        json_t *vm = json_object_get(h, "validation");
        hm->valid_logloss_raw = get_num(vm, "logloss_raw");
        hm->valid_logloss_cal = get_num(vm, "logloss_calibrated");
        hm->valid_auc = get_num(vm, "auc");
        hm->n_fit = (size_t)reg_get_i64(vm, "n_fit");
        hm->n_valid = (size_t)reg_get_i64(vm, "n_valid");
        char p[900];
        snprintf(p, sizeof p, "%s/cls_%dh.json", dir, hm->horizon_h);
        if ((rc = cpe_gbt_load(&hm->cls, p, nf, d)) != 0) return rc;
        snprintf(p, sizeof p, "%s/reg_%dh.json", dir, hm->horizon_h);
        if ((rc = cpe_gbt_load(&hm->reg, p, nf, d)) != 0) return rc;
    }
    return 0;
}
