/* modelset.c — training and prediction of one symbol's set of models (see cpe/modelset.h). */
#include "cpe/modelset.h"

#include "cpe/metrics.h"
#include "cpe/scores.h"
#include "cpe/universe.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const regime_cols[4] = {"volatility_1h", "volatility_24h", "returns_4h",
                                           "returns_24h"};

void cpe_modelset_config_default(cpe_modelset_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->n_h = CPE_MS_MAX_H;
    _Static_assert(CPE_MS_MAX_H == CPE_NHORIZONS, "one model per horizon of the universe");
    memcpy(c->horizons_h, cpe_horizons_h, sizeof c->horizons_h); /* the universe's */
    cpe_gbt_params_default(&c->cls, CPE_GBT_BINARY);
    cpe_gbt_params_default(&c->reg, CPE_GBT_REGRESSION);
    c->garch_hours = 8760;
    c->filter_hours = 240;
    c->cone_paths = 1000;
    c->scale_rows = 600;
    c->seed = 20240101;
}

size_t cpe_ml_find(const cpe_mlview_t *v, int64_t ts)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->ts_ms[mid] < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n && v->ts_ms[lo] == ts ? lo : (size_t)-1;
}

/* Find ts, trying index `guess` first (regular grids hit it). */
static size_t find_near(const cpe_mlview_t *v, int64_t ts, long long guess)
{
    if (guess >= 0 && (size_t)guess < v->n && v->ts_ms[guess] == ts) return (size_t)guess;
    return cpe_ml_find(v, ts);
}

static long long rows_per(const cpe_mlview_t *v, int64_t span_ms)
{
    if (v->n < 2 || v->ts_ms[1] <= v->ts_ms[0]) return 0;
    return (long long)(span_ms / (v->ts_ms[1] - v->ts_ms[0]));
}

int64_t cpe_ml_label_end(int64_t ts_ms, int horizon_h)
{
    return ts_ms + (int64_t)horizon_h * CPE_MS_PER_HOUR + CPE_MS_PER_MIN;
}

double cpe_ml_label(const cpe_mlview_t *v, size_t i, int horizon_h)
{
    int64_t span = (int64_t)horizon_h * CPE_MS_PER_HOUR;
    size_t j = find_near(v, v->ts_ms[i] + span, (long long)i + rows_per(v, span));
    if (j == (size_t)-1 || !(v->close[i] > 0) || !(v->close[j] > 0)) return NAN;
    return log(v->close[j] / v->close[i]);
}

size_t cpe_ml_hourly_returns(const cpe_mlview_t *v, size_t i, size_t max, double *out)
{
    long long rph = rows_per(v, CPE_MS_PER_HOUR);
    size_t k = 0, cur = i;
    while (k < max) {
        size_t prev = find_near(v, v->ts_ms[cur] - CPE_MS_PER_HOUR, (long long)cur - rph);
        if (prev == (size_t)-1 || !(v->close[prev] > 0) || !(v->close[cur] > 0)) break;
        out[k++] = log(v->close[cur] / v->close[prev]);
        cur = prev;
    }
    for (size_t a = 0, b = k ? k - 1 : 0; a < b; a++, b--) { /* oldest first */
        double t = out[a];
        out[a] = out[b];
        out[b] = t;
    }
    return k;
}

int cpe_modelset_set_names(cpe_modelset_t *ms, const char *const *names, size_t ncol)
{
    ms->names = calloc(ncol ? ncol : 1, sizeof *ms->names);
    ms->present = calloc(ncol ? ncol : 1, sizeof *ms->present);
    if (!ms->names || !ms->present) return CPE_ENOMEM;
    for (size_t j = 0; j < ncol; j++)
        ms->present[j] = 1.0;
    ms->ncol = ncol;
    for (size_t j = 0; j < ncol; j++)
        if (!(ms->names[j] = strdup(names && names[j] ? names[j] : "?"))) return CPE_ENOMEM;
    for (int r = 0; r < 4; r++) {
        ms->regime_idx[r] = -1;
        for (size_t j = 0; j < ncol; j++)
            if (!strcmp(ms->names[j], regime_cols[r])) ms->regime_idx[r] = (int)j;
    }
    return 0;
}

void cpe_modelset_free(cpe_modelset_t *ms)
{
    if (!ms) return;
    for (int k = 0; k < ms->n_h; k++) {
        cpe_gbt_free(&ms->h[k].cls);
        cpe_gbt_free(&ms->h[k].reg);
        cpe_calib_free(&ms->h[k].calib);
    }
    if (ms->names)
        for (size_t j = 0; j < ms->ncol; j++)
            free(ms->names[j]);
    free(ms->names);
    free(ms->present);
    memset(ms, 0, sizeof *ms);
}

int cpe_modelset_hidx(const cpe_modelset_t *ms, int horizon_h)
{
    for (int k = 0; k < ms->n_h; k++)
        if (ms->h[k].horizon_h == horizon_h) return k;
    return -1;
}

static void regime_features(const cpe_modelset_t *ms, const double *x, cpe_regime_features_t *f)
{
    double v[4];
    for (int r = 0; r < 4; r++)
        v[r] = ms->regime_idx[r] >= 0 ? x[ms->regime_idx[r]] : NAN;
    f->vol_1h = v[0], f->vol_24h = v[1], f->ret_4h = v[2], f->ret_24h = v[3];
}

cpe_regime_t cpe_modelset_regime(const cpe_modelset_t *ms, const double *x)
{
    if (!ms->has_regime) return CPE_REGIME_NORMAL;
    cpe_regime_features_t f;
    regime_features(ms, x, &f);
    return cpe_regime_classify(&ms->regime, &f);
}

double cpe_modelset_h_next(const cpe_modelset_t *ms, const double *r, size_t n)
{
    return n ? cpe_garch_filter(&ms->vol, r, n) : ms->vol.last_h;
}

double cpe_modelset_vol_state(const cpe_modelset_t *ms, const double *r, size_t n,
                              cpe_extreme_t *extreme);

/* The rows of one horizon: labelled, label end <= cutoff. */
typedef struct hrows {
    size_t n;
    size_t *idx;
    double *X, *yb, *yr;
} hrows_t;

static void hrows_free(hrows_t *h)
{
    free(h->idx);
    free(h->X);
    free(h->yb);
    free(h->yr);
    memset(h, 0, sizeof *h);
}

static int hrows_build(const cpe_mlview_t *v, const size_t *rows, size_t nrows, int H,
                       int64_t cutoff, hrows_t *h)
{
    memset(h, 0, sizeof *h);
    size_t cap = nrows ? nrows : 1;
    h->idx = malloc(cap * sizeof *h->idx);
    h->X = malloc(cap * v->ncol * sizeof *h->X);
    h->yb = malloc(cap * sizeof *h->yb);
    h->yr = malloc(cap * sizeof *h->yr);
    if (!h->idx || !h->X || !h->yb || !h->yr) return CPE_ENOMEM;
    for (size_t r = 0; r < nrows; r++) {
        size_t i = rows[r];
        if (cpe_ml_label_end(v->ts_ms[i], H) > cutoff) continue;
        double y = cpe_ml_label(v, i, H);
        if (isnan(y)) continue;
        memcpy(h->X + h->n * v->ncol, v->X + i * v->ncol, v->ncol * sizeof *h->X);
        h->yr[h->n] = y;
        h->yb[h->n] = y > 0 ? 1 : 0;
        h->idx[h->n++] = i;
    }
    return 0;
}

/* Fit s1, s2 on evenly spaced validation rows: uncalibrated cones vs realised prices. */
static int fit_scale(cpe_modelset_t *ms, const cpe_mlview_t *v, const hrows_t *h, size_t vf,
                     const double *move, int k, const cpe_modelset_config_t *cfg, cpe_diag_t *d)
{
    cpe_hmodel_t *hm = &ms->h[k];
    hm->scale = (cpe_cone_scale_t){1, 1, 1, NAN, NAN, NAN, NAN, 0};
    size_t nv = h->n - vf, want = (size_t)(cfg->scale_rows > 0 ? cfg->scale_rows : 1);
    size_t stride = nv > want ? nv / want : 1;
    size_t cap = nv / stride + 1, m = 0;
    int rc = 0;
    double *r1 = malloc(cap * sizeof *r1), *r2 = malloc(cap * sizeof *r2);
    double *ret = malloc((size_t)(cfg->filter_hours + 1) * sizeof *ret);
    cpe_cone_ws_t ws = {0};
    if (!r1 || !r2 || !ret || (rc = cpe_cone_ws_init(&ws, cfg->cone_paths)) != 0) {
        rc = rc ? rc : CPE_ENOMEM;
        goto out;
    }
    for (size_t t = vf; t < h->n && m < cap; t += stride) {
        size_t i = h->idx[t];
        size_t nr = cpe_ml_hourly_returns(v, i, (size_t)cfg->filter_hours, ret);
        cpe_extreme_t ex;
        double hn = cpe_modelset_vol_state(ms, ret, nr, &ex);
        if (!(hn > 0)) continue;
        cpe_cone_params_t p;
        cpe_modelset_cone_params(ms, k, v->close[i], v->ts_ms[i] + CPE_MS_PER_MIN, move[t - vf],
                                 cpe_modelset_regime(ms, v->X + i * v->ncol), &ex, 0, &p);
        cpe_prediction_t pred;
        memset(&pred, 0, sizeof pred);
        if (cpe_cone_predict(&ws, &ms->vol, hn, cfg->seed + t, &p, 1, &pred, NULL) != 0) continue;
        cpe_cone_outcome_ratio(&pred, v->close[i] * exp(h->yr[t]), &r1[m], &r2[m]);
        if (isfinite(r1[m]) && isfinite(r2[m])) m++;
    }
    if (m >= 20 && cpe_cone_fit_scale(r1, r2, m, &hm->scale, d) != 0) rc = d ? d->code : CPE_EDATA;
out:
    cpe_cone_ws_free(&ws);
    free(r1);
    free(r2);
    free(ret);
    return rc;
}

/* Cross-fitted log-losses of the calibrated classifier (calibrator fitted on one half of
 * the validation rows, applied to the other, both ways) into pc[n]; 0 or CPE_EDATA. */
static int cross_fit(const double *q, const double *y, size_t n, double *pc)
{
    size_t half = n / 2;
    for (int side = 0; side < 2; side++) {
        size_t f0 = side ? half : 0, f1 = side ? n : half, a0 = side ? 0 : half,
               a1 = side ? half : n;
        cpe_calib_t c = {0};
        if (cpe_calib_fit_auto(&c, q + f0, y + f0, f1 - f0) != 0) return CPE_EDATA;
        for (size_t t = a0; t < a1; t++)
            pc[t] = cpe_calib_apply(&c, q[t]);
        cpe_calib_free(&c);
    }
    return 0;
}

/* The shrinkage weight toward the base rate (see modelset.h). */
static int fit_shrink(cpe_hmodel_t *hm, const double *q, const double *y, size_t n, double step_ms)
{
    hm->shrink_w = hm->shrink_t = 0;
    hm->use_direction = 0;
    hm->holdout_logloss_model = hm->holdout_logloss_base = NAN;
    if (n < 120) return 0;
    double *pc = malloc(n * sizeof *pc), *dl = malloc(n * sizeof *dl);
    if (!pc || !dl) {
        free(pc);
        free(dl);
        return CPE_ENOMEM;
    }
    if (cross_fit(q, y, n, pc) == 0) {
        const double b = hm->base_rate;
        double best = INFINITY, wbest = 0, lb = 0;
        for (size_t t = 0; t < n; t++)
            lb += cpe_logloss1(b, y[t]);
        for (int g = 0; g <= 20; g++) {
            double w = g / 20.0, l = 0;
            for (size_t t = 0; t < n; t++)
                l += cpe_logloss1(b + w * (pc[t] - b), y[t]);
            if (l < best - 1e-12) best = l, wbest = w;
        }
        for (size_t t = 0; t < n; t++)
            dl[t] = cpe_logloss1(b + wbest * (pc[t] - b), y[t]) - cpe_logloss1(b, y[t]);
        int lags = step_ms > 0 ? (int)(2.0 * hm->horizon_h * CPE_MS_PER_HOUR / step_ms) : 24;
        double tstat = 0, p = 1;
        if (wbest > 0 && cpe_dm_test(dl, n, lags, &tstat, &p, NULL) != 0) tstat = 0;
        hm->shrink_t = tstat;
        hm->shrink_w = wbest > 0 && tstat <= -1.645 ? wbest : 0;
        hm->use_direction = hm->shrink_w > 0;
        hm->holdout_logloss_model = best / (double)n;
        hm->holdout_logloss_base = lb / (double)n;
    }
    free(pc);
    free(dl);
    return 0;
}

static int train_horizon(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                         size_t nrows, int64_t cutoff, const cpe_modelset_config_t *cfg, int k,
                         int defer_scale, cpe_diag_t *d)
{
    cpe_hmodel_t *hm = &ms->h[k];
    int H = hm->horizon_h, rc;
    hrows_t h;
    double *q = NULL, *pm = NULL;
    if ((rc = hrows_build(v, rows, nrows, H, cutoff, &h)) != 0) goto out;
    if (h.n < 200) {
        rc = cpe_diag_set(d, CPE_EDATA, "%dh: only %zu labelled rows before the cutoff (need 200)",
                          H, h.n);
        goto out;
    }
    double step = (double)(v->ts_ms[h.idx[h.n - 1]] - v->ts_ms[h.idx[0]]) / (double)(h.n - 1);
    size_t gap = (size_t)ceil((double)H * CPE_MS_PER_HOUR / (step > 0 ? step : 1));
    cpe_gbt_params_t pc = cfg->cls, pr = cfg->reg;
    pc.gap_rows = pr.gap_rows = gap;
    if ((rc = cpe_gbt_train2(&hm->cls, &pc, h.yb, &hm->reg, &pr, h.yr, h.X, h.n, v->ncol, d)) !=
        0) {
        cpe_diag_prefix(d, "%dh: ", H);
        goto out;
    }
    size_t vf = hm->cls.valid_from, nfit = 0;
    double up = 0;
    for (size_t t = 0; t + gap < vf && t < h.n; t++)
        up += h.yb[t], nfit++;
    hm->base_rate = nfit ? up / (double)nfit : 0.5;
    hm->n_fit = hm->cls.n_train;
    hm->n_valid = h.n - vf;
    q = malloc((hm->n_valid ? hm->n_valid : 1) * sizeof *q);
    pm = malloc((hm->n_valid ? hm->n_valid : 1) * sizeof *pm);
    if (!q || !pm) {
        rc = CPE_ENOMEM;
        goto out;
    }
    if ((rc = cpe_gbt_predict(&hm->cls, h.X + vf * v->ncol, hm->n_valid, 0, q)) != 0 ||
        (rc = cpe_gbt_predict(&hm->reg, h.X + vf * v->ncol, hm->n_valid, 0, pm)) != 0)
        goto out;
    if (cpe_calib_fit_auto(&hm->calib, q, h.yb + vf, hm->n_valid) != 0) cpe_calib_free(&hm->calib);
    hm->valid_logloss_raw = cpe_metric_logloss(q, h.yb + vf, hm->n_valid);
    hm->valid_auc = cpe_metric_auc(q, h.yb + vf, hm->n_valid);
    if ((rc = fit_shrink(hm, q, h.yb + vf, hm->n_valid, step)) != 0) goto out;
    for (size_t t = 0; t < hm->n_valid; t++)
        q[t] = cpe_calib_apply(&hm->calib, q[t]);
    hm->valid_logloss_cal = cpe_metric_logloss(q, h.yb + vf, hm->n_valid);
    /* Validate the drift terms on the held-out rows (see modelset.h): each must beat "no
     * drift" significantly, the outcomes overlapping over H hours of rows. */
    double se_m = 0, se_z = 0, hit = 0, nd = 0;
    double *dm = malloc((hm->n_valid ? hm->n_valid : 1) * sizeof *dm);
    if (!dm) {
        rc = CPE_ENOMEM;
        goto out;
    }
    for (size_t t = 0; t < hm->n_valid; t++) {
        double y = h.yr[vf + t];
        se_m += (pm[t] - y) * (pm[t] - y);
        se_z += y * y;
        dm[t] = (pm[t] - y) * (pm[t] - y) - y * y;
        const cpe_regime_adjust_t *adj =
            cpe_regime_adjust(cpe_modelset_regime(ms, h.X + (vf + t) * v->ncol));
        if (adj && adj->drift_sigma != 0 && y != 0) {
            nd++;
            hit += (adj->drift_sigma > 0) == (y > 0);
        }
    }
    const double overlap = step > 0 ? (double)H * CPE_MS_PER_HOUR / step : 1; /* rows per outcome */
    double tm = 0, pmv = 1;
    if (hm->n_valid < 30 || cpe_dm_test(dm, hm->n_valid, (int)(2 * overlap), &tm, &pmv, NULL) != 0)
        tm = 0;
    free(dm);
    hm->valid_rmse_move = hm->n_valid ? sqrt(se_m / (double)hm->n_valid) : NAN;
    hm->valid_rmse_zero = hm->n_valid ? sqrt(se_z / (double)hm->n_valid) : NAN;
    hm->use_move = tm <= -1.645;
    hm->regime_drift_hit = nd > 0 ? hit / nd : NAN;
    double zr = nd > 0 ? (hit - nd / 2) / sqrt(nd / 4 * (overlap > 1 ? overlap : 1)) : 0;
    hm->use_regime_drift = nd >= 50 && zr >= 1.645;
    if (defer_scale)
        hm->scale = (cpe_cone_scale_t){1, 1, 1, NAN, NAN, NAN, NAN, 0};
    else
        rc = fit_scale(ms, v, &h, vf, pm, k, cfg, d);
out:
    hrows_free(&h);
    free(q);
    free(pm);
    return rc;
}

static int fit_vol(cpe_modelset_t *ms, const cpe_mlview_t *v, size_t last,
                   const cpe_modelset_config_t *cfg, cpe_diag_t *d)
{
    size_t cap = (size_t)(cfg->garch_hours > 0 ? cfg->garch_hours : 8760);
    double *r = malloc(cap * sizeof *r);
    if (!r) return CPE_ENOMEM;
    size_t n = cpe_ml_hourly_returns(v, last, cap, r);
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    o.dist = CPE_DIST_T;
    o.std_errors = 0;
    int rc = cpe_garch_fit_or_ewma(r, n, &o, &ms->vol, d);
    if (rc == 0) {
        o.dist = CPE_DIST_NORMAL;
        if (cpe_garch_fit_or_ewma(r, n, &o, &ms->vol_n, NULL) != 0) ms->vol_n = ms->vol;
    } else {
        cpe_diag_prefix(d, "volatility fit on %zu hourly returns: ", n);
    }
    free(r);
    return rc;
}

static void fit_regime(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows, size_t n)
{
    cpe_regime_features_t *f = malloc((n ? n : 1) * sizeof *f);
    if (!f) return;
    for (size_t r = 0; r < n; r++)
        regime_features(ms, v->X + rows[r] * v->ncol, &f[r]);
    ms->has_regime = cpe_regime_fit(f, n, NULL, &ms->regime, NULL) == 0;
    free(f);
}

static int train_all(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows, size_t nrows,
                     int64_t label_cutoff_ms, const cpe_modelset_config_t *cfg, int defer_scale,
                     cpe_diag_t *d)
{
    int rc;
    memset(ms, 0, sizeof *ms);
    if (!v || !rows || !nrows || !cfg || cfg->n_h < 1 || cfg->n_h > CPE_MS_MAX_H)
        return cpe_diag_set(d, CPE_EINVAL, "modelset: no rows or bad configuration");
    if ((rc = cpe_modelset_set_names(ms, v->names, v->ncol)) != 0) goto fail;
    ms->n_h = cfg->n_h;
    ms->cls_params = cfg->cls;
    ms->reg_params = cfg->reg;
    ms->filter_hours = cfg->filter_hours;
    ms->train_from_ms = v->ts_ms[rows[0]];
    ms->train_to_ms = v->ts_ms[rows[nrows - 1]];
    ms->label_cutoff_ms = label_cutoff_ms;
    ms->trained_at_ms = cpe_now_ms();
    for (int k = 0; k < ms->n_h; k++)
        ms->h[k].horizon_h = cfg->horizons_h[k];
    for (size_t j = 0; j < v->ncol; j++) {
        size_t ok = 0;
        for (size_t r = 0; r < nrows; r++)
            ok += !isnan(v->X[rows[r] * v->ncol + j]);
        ms->present[j] = (double)ok / (double)nrows;
    }
    fit_regime(ms, v, rows, nrows);
    if ((rc = fit_vol(ms, v, rows[nrows - 1], cfg, d)) != 0) goto fail;
    for (int k = 0; k < ms->n_h; k++) /* horizons first: the realized model reads them */
        ms->h[k].horizon_h = cfg->horizons_h[k];
    if ((rc = cpe_modelset_train_rvol(ms, v, rows, nrows, label_cutoff_ms, cfg, d)) != 0) goto fail;
    for (int k = 0; k < ms->n_h; k++)
        if ((rc = train_horizon(ms, v, rows, nrows, label_cutoff_ms, cfg, k, defer_scale, d)) != 0)
            goto fail;
    ms->scales_pending = defer_scale;
    return 0;
fail:
    cpe_modelset_free(ms);
    return rc;
}

int cpe_modelset_train(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows, size_t nrows,
                       int64_t label_cutoff_ms, const cpe_modelset_config_t *cfg, cpe_diag_t *d)
{
    return train_all(ms, v, rows, nrows, label_cutoff_ms, cfg, 0, d);
}

int cpe_modelset_train_lazy(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                            size_t nrows, int64_t label_cutoff_ms, const cpe_modelset_config_t *cfg,
                            cpe_diag_t *d)
{
    return train_all(ms, v, rows, nrows, label_cutoff_ms, cfg, 1, d);
}

int cpe_modelset_fit_scales(cpe_modelset_t *ms, const cpe_mlview_t *v, const size_t *rows,
                            size_t nrows, const cpe_modelset_config_t *cfg, cpe_diag_t *d)
{
    int rc = 0;
    for (int k = 0; k < ms->n_h && ms->scales_pending && !rc; k++) {
        cpe_hmodel_t *hm = &ms->h[k];
        hrows_t h;
        double *pm = NULL;
        /* the rows, split and regressor outputs train_horizon had: the same scales */
        if ((rc = hrows_build(v, rows, nrows, hm->horizon_h, ms->label_cutoff_ms, &h)) == 0) {
            size_t vf = hm->cls.valid_from, nv = h.n > vf ? h.n - vf : 0;
            if (!(pm = malloc((nv ? nv : 1) * sizeof *pm)))
                rc = CPE_ENOMEM;
            else if ((rc = cpe_gbt_predict(&hm->reg, h.X + vf * v->ncol, nv, 0, pm)) == 0)
                rc = fit_scale(ms, v, &h, vf, pm, k, cfg, d);
        }
        hrows_free(&h);
        free(pm);
    }
    if (rc) {
        cpe_diag_prefix(d, "cone scales: ");
        return rc;
    }
    ms->scales_pending = 0;
    return 0;
}

int cpe_modelset_predict(const cpe_modelset_t *ms, const double *X, size_t nrow, double *p_raw,
                         double *p_up, double *move)
{
    int rc = 0;
    double *q = malloc((nrow ? nrow : 1) * sizeof *q);
    if (!q) return CPE_ENOMEM;
    for (int k = 0; k < ms->n_h && !rc; k++) {
        const cpe_hmodel_t *hm = &ms->h[k];
        if (p_raw || p_up) {
            if ((rc = cpe_gbt_predict(&hm->cls, X, nrow, 0, q)) != 0) break;
            for (size_t i = 0; i < nrow; i++) {
                if (p_raw) p_raw[k * nrow + i] = q[i];
                if (p_up)
                    p_up[k * nrow + i] =
                        hm->base_rate +
                        hm->shrink_w * (cpe_calib_apply(&hm->calib, q[i]) - hm->base_rate);
            }
        }
        if (move) rc = cpe_gbt_predict(&hm->reg, X, nrow, 0, move + k * nrow);
    }
    free(q);
    return rc;
}

double cpe_modelset_vol_state(const cpe_modelset_t *ms, const double *r, size_t n,
                              cpe_extreme_t *extreme)
{
    double z[24] = {0};
    size_t nz = 0;
    double h = ms->vol.backcast;
    for (size_t t = 0; t < n; t++) {
        if (t + 24 >= n && h > 0) z[nz++] = (r[t] - (ms->vol.fallback ? 0 : ms->vol.mu)) / sqrt(h);
        h = cpe_garch_step(&ms->vol, h, r[t]);
    }
    if (extreme) cpe_extreme_check(z, nz, 5.0, extreme);
    return n ? h : ms->vol.last_h;
}

const char *cpe_confidence(double p_up, cpe_regime_t regime, int extreme_penalty,
                           double data_quality, int stale)
{
    static const char *const names[3] = {"low", "medium", "high"};
    if (isnan(p_up) || stale || !(data_quality >= 0.8)) return names[0];
    double edge = fabs(p_up - 0.5);
    int level = edge >= 0.10 ? 2 : edge >= 0.04 ? 1 : 0;
    if (regime == CPE_REGIME_HIGH_VOL || regime == CPE_REGIME_PANIC) level--;
    if (extreme_penalty > 0) level -= extreme_penalty;
    return names[level < 0 ? 0 : level];
}

double cpe_modelset_data_quality(const cpe_modelset_t *ms, const double *x)
{
    size_t ok = 0, want = 0;
    for (size_t j = 0; j < ms->ncol; j++)
        if (!ms->present || ms->present[j] >= 0.5) {
            want++;
            ok += !isnan(x[j]);
        }
    return want ? (double)ok / (double)want : 1.0;
}

double cpe_modelset_move(const cpe_modelset_t *ms, int k, double move_raw)
{
    return ms->h[k].use_move ? move_raw : 0.0;
}

void cpe_modelset_cone_params(const cpe_modelset_t *ms, int k, double close, int64_t t0_ms,
                              double move_raw, cpe_regime_t rg, const cpe_extreme_t *ex, int scaled,
                              cpe_cone_params_t *p)
{
    const cpe_hmodel_t *hm = &ms->h[k];
    const cpe_regime_adjust_t *adj = cpe_regime_adjust(rg);
    cpe_cone_params_default(p);
    p->horizon_h = hm->horizon_h;
    p->close = close;
    p->t0_ms = t0_ms;
    p->expected_move = cpe_modelset_move(ms, k, move_raw);
    p->s1 = scaled && hm->scale.s1 > 0 ? hm->scale.s1 : 1.0;
    p->s2 = scaled && hm->scale.s2 > 0 ? hm->scale.s2 : 1.0;
    p->vol_mult = adj ? adj->vol_mult : 1.0;
    p->drift_sigma = adj && hm->use_regime_drift ? adj->drift_sigma : 0.0;
    p->extreme_mult = ex && ex->mult > 0 ? ex->mult : 1.0;
}
