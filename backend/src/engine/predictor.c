/* predictor.c — full predictions and SHAP explanations from a registered model set
 * (see cpe/predictor.h). */
#include "cpe/predictor.h"

#include "cpe/json.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reason groups by feature-name prefix; first match wins, so longer prefixes come first. */
static const struct {
    const char *prefix, *reason;
} reasons[] = {
    {"funding", "funding skew"},
    {"basis", "funding skew"},
    {"cvd", "CVD shift"},
    {"trade_flow", "CVD shift"},
    {"large_trade", "CVD shift"},
    {"bid_ask", "CVD shift"},
    {"order_book", "CVD shift"},
    {"liq", "liquidation imbalance"},
    {"oi_", "OI expansion/contraction"},
    {"long_short", "OI expansion/contraction"},
    {"volatility", "volatility"},
    {"high_low", "volatility"},
    {"atr", "volatility"},
    {"range_position", "momentum"},
    {"returns", "momentum"},
    {"rsi", "momentum"},
    {"macd", "momentum"},
    {"bb_", "momentum"},
    {"ema", "momentum"},
    {"vwap", "momentum"},
    {"close_position", "momentum"},
    {"fear_greed", "sentiment"},
    {"social", "sentiment"},
    {"google", "sentiment"},
    {"exchange_netflow", "on-chain"},
    {"whale", "on-chain"},
    {"miner", "on-chain"},
    {"stablecoin", "on-chain"},
    {"nvt", "on-chain"},
    {"eth_", "cross-asset"},
    {"btc_dominance", "cross-asset"},
    {"sp500", "cross-asset"},
    {"gold", "cross-asset"},
    {"dxy", "cross-asset"},
    {"hour", "time"},
    {"dow", "time"},
    {"day_of", "time"},
    {"minute", "time"},
    {"time_", "time"},
    {"session", "time"},
};

const char *cpe_feature_reason(const char *f)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (!strncmp(f, reasons[i].prefix, strlen(reasons[i].prefix))) return reasons[i].reason;
    return "other";
}

static int setup(cpe_predictor_t *p, const char *symbol, const char *version, int n_paths,
                 cpe_diag_t *d)
{
    snprintf(p->symbol, sizeof p->symbol, "%s", symbol);
    snprintf(p->version, sizeof p->version, "%s", version ? version : "");
    p->n_paths = n_paths > 0 ? n_paths : CPE_CONE_PATHS;
    for (int k = 0; k < CPE_MS_MAX_H; k++)
        p->band_a[k][0] = CPE_TCONE_A1, p->band_a[k][1] = CPE_TCONE_A2;
    int rc = cpe_cone_ws_init(&p->ws, p->n_paths);
    if (rc)
        return cpe_diag_set(d, rc, "predictor: cannot allocate %d Monte Carlo paths", p->n_paths);
    return 0;
}

int cpe_predictor_open(cpe_predictor_t *p, const cpe_registry_t *r, const char *symbol,
                       const char *version, int n_paths, cpe_diag_t *d)
{
    char ver[CPE_VERSION_MAX];
    memset(p, 0, sizeof *p);
    int rc = cpe_registry_load(r, symbol, version, &p->ms, ver, d);
    if (!rc) rc = setup(p, symbol, ver, n_paths, d);
    if (rc) cpe_predictor_close(p);
    return rc;
}

int cpe_predictor_adopt(cpe_predictor_t *p, cpe_modelset_t *ms, const char *symbol,
                        const char *version, int n_paths, cpe_diag_t *d)
{
    memset(p, 0, sizeof *p);
    p->ms = *ms;
    memset(ms, 0, sizeof *ms);
    int rc = setup(p, symbol, version, n_paths, d);
    if (rc) cpe_predictor_close(p);
    return rc;
}

void cpe_predictor_close(cpe_predictor_t *p)
{
    if (!p) return;
    cpe_modelset_free(&p->ms);
    cpe_cone_ws_free(&p->ws);
    memset(p, 0, sizeof *p);
}

size_t cpe_predictor_map_features(const cpe_predictor_t *p, const char *const *names,
                                  const double *values, size_t n, double *out)
{
    size_t found = 0;
    for (size_t j = 0; j < p->ms.ncol; j++) {
        out[j] = NAN;
        for (size_t i = 0; i < n; i++)
            if (names[i] && !strcmp(names[i], p->ms.names[j])) {
                out[j] = values[i];
                found++;
                break;
            }
    }
    return found;
}

static uint64_t seed_of(const char *symbol, int64_t ts)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *s = symbol; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ (uint64_t)ts;
}

static int predict_now(cpe_predictor_t *p, const cpe_pred_input_t *in, const int *horizons, int nh,
                       cpe_prediction_t *out, cpe_diag_t *d)
{
    const cpe_modelset_t *ms = &p->ms;
    int idx[CPE_MS_MAX_H];
    if (nh < 1 || nh > CPE_MS_MAX_H) return cpe_diag_set(d, CPE_EINVAL, "predict: 1..4 horizons");
    for (int i = 0; i < nh; i++)
        if ((idx[i] = cpe_modelset_hidx(ms, horizons[i])) < 0)
            return cpe_diag_set(d, CPE_EINVAL, "horizon %d h is not one of the model's",
                                horizons[i]);
    if (!(in->close > 0) || !in->x)
        return cpe_diag_set(d, CPE_EINVAL, "predict: no close or features");
    double praw[CPE_MS_MAX_H], pup[CPE_MS_MAX_H], move[CPE_MS_MAX_H];
    int rc = cpe_modelset_predict(ms, in->x, 1, praw, pup, move);
    if (rc) return cpe_diag_set(d, rc, "predict: model evaluation failed");
    size_t nr = in->n_r;
    const double *r = in->r_1h;
    if (nr > (size_t)ms->filter_hours) {
        r += nr - (size_t)ms->filter_hours;
        nr = (size_t)ms->filter_hours;
    }
    cpe_volfc_t fc;
    cpe_modelset_volfc(ms, in->x, in->ts_ms + CPE_MS_PER_MIN, r, nr, &fc);
    const cpe_extreme_t ex = fc.ex;
    if (!fc.has_rvol && (!(fc.h_next > 0) || !isfinite(fc.h_next)))
        return cpe_diag_set(d, CPE_EDATA, "predict: no volatility state (%zu hourly returns)", nr);
    cpe_regime_t rg = cpe_modelset_regime(ms, in->x);
    double dq = cpe_modelset_data_quality(ms, in->x);
    for (int i = 0; i < nh; i++)
        memset(&out[i], 0, sizeof out[i]);
    if (fc.has_rvol) {
        cpe_tcone_h_t th[CPE_MS_MAX_H]; /* every horizon of the model: one term structure */
        for (int k = 0; k < ms->n_h; k++)
            cpe_modelset_tcone_params(ms, k, &fc, move[k], rg, p->band_a[k][0], p->band_a[k][1],
                                      &th[k]);
        cpe_prediction_t all[CPE_MS_MAX_H];
        memset(all, 0, sizeof all);
        if ((rc = cpe_tcone_fill(th, ms->n_h, in->close, in->ts_ms + CPE_MS_PER_MIN, all, d)) != 0)
            return rc;
        for (int i = 0; i < nh; i++)
            out[i] = all[idx[i]];
    } else {
        cpe_cone_params_t cp[CPE_MS_MAX_H];
        for (int i = 0; i < nh; i++)
            cpe_modelset_cone_params(ms, idx[i], in->close, in->ts_ms + CPE_MS_PER_MIN,
                                     move[idx[i]], rg, &ex, 1, &cp[i]);
        if ((rc = cpe_cone_predict(&p->ws, &ms->vol, fc.h_next, seed_of(p->symbol, in->ts_ms), cp,
                                   (size_t)nh, out, d)) != 0)
            return rc;
    }
    for (int i = 0; i < nh; i++) {
        cpe_prediction_t *o = &out[i];
        o->ts_ms = in->ts_ms;
        snprintf(o->symbol, sizeof o->symbol, "%s", p->symbol);
        o->horizon_h = horizons[i];
        o->close = in->close;
        o->p_up = pup[idx[i]];
        o->expected_move = cpe_modelset_move(ms, idx[i], move[idx[i]]);
        snprintf(o->regime, sizeof o->regime, "%s", cpe_regime_name(rg));
        snprintf(o->confidence, sizeof o->confidence, "%s",
                 cpe_confidence(o->p_up, rg, ex.confidence_penalty, dq, in->stale));
        snprintf(o->model_version, sizeof o->model_version, "%s", p->version);
        o->stale = in->stale;
        o->vol_fallback = ms->vol.fallback && !fc.has_rvol;
    }
    return 0;
}

void cpe_predictor_input(const cpe_predictor_t *p, const cpe_mldata_t *m, size_t i, double *x,
                         double *r, cpe_pred_input_t *in)
{
    cpe_predictor_input_from(p, (const char *const *)m->names, m->X + i * m->ncol, m->ncol, &m->v,
                             i, x, r, in);
}

void cpe_predictor_input_from(const cpe_predictor_t *p, const char *const *names,
                              const double *feat, size_t ncol, const cpe_mlview_t *v, size_t i,
                              double *x, double *r, cpe_pred_input_t *in)
{
    cpe_predictor_map_features(p, names, feat, ncol, x);
    in->ts_ms = v->ts_ms[i];
    in->close = v->close[i];
    in->x = x;
    in->r_1h = r;
    in->n_r = cpe_ml_hourly_returns(v, i, 240, r);
    in->stale = 0;
}

int cpe_predictor_predict(cpe_predictor_t *p, const cpe_pred_input_t *in, const int *horizons,
                          int nh, cpe_prediction_t *out, cpe_diag_t *d)
{
    int rc = predict_now(p, in, horizons, nh, out, d);
    if (rc == 0) {
        for (int i = 0; i < nh; i++) {
            int k = cpe_modelset_hidx(&p->ms, horizons[i]);
            p->last[k] = out[i];
            p->has_last[k] = 1;
        }
        return 0;
    }
    /* Spec 17.2: on a failed prediction return the last valid one, flagged stale. */
    for (int i = 0; i < nh; i++) {
        int k = cpe_modelset_hidx(&p->ms, horizons[i]);
        if (k < 0 || !p->has_last[k]) return rc;
    }
    for (int i = 0; i < nh; i++) {
        out[i] = p->last[cpe_modelset_hidx(&p->ms, horizons[i])];
        out[i].stale = 1;
    }
    return CPE_ESTALE;
}

/* ---- explanation -------------------------------------------------------------------- */

typedef struct contrib {
    size_t j;
    double shap;
} contrib_t;

static int cmp_abs_desc(const void *a, const void *b)
{
    double x = fabs(((const contrib_t *)a)->shap), y = fabs(((const contrib_t *)b)->shap);
    return (x < y) - (x > y);
}

int cpe_predictor_explain(const cpe_predictor_t *p, const cpe_pred_input_t *in,
                          const cpe_pred_input_t *prev, const cpe_prediction_t *pred,
                          const char *asset, cpe_buf_t *out, cpe_diag_t *d)
{
    return cpe_modelset_explain(&p->ms, p->symbol, p->version, in, prev, pred, asset, out, d);
}

int cpe_modelset_explain(const cpe_modelset_t *ms, const char *symbol, const char *version,
                         const cpe_pred_input_t *in, const cpe_pred_input_t *prev,
                         const cpe_prediction_t *pred, const char *asset, cpe_buf_t *out,
                         cpe_diag_t *d)
{
    int k = cpe_modelset_hidx(ms, pred->horizon_h);
    if (k < 0) return cpe_diag_set(d, CPE_EINVAL, "explain: horizon %d h unknown", pred->horizon_h);
    size_t nc = ms->ncol, w = nc + 1;
    double *X = malloc(2 * nc * sizeof *X), *sh = malloc(2 * w * sizeof *sh);
    int rc = 0;
    if (!X || !sh) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "explain: out of memory");
        goto out;
    }
    size_t rows = prev && prev->x ? 2 : 1;
    memcpy(X, in->x, nc * sizeof *X);
    if (rows == 2) memcpy(X + nc, prev->x, nc * sizeof *X);
    if ((rc = cpe_gbt_contribs(&ms->h[k].cls, X, rows, sh)) != 0) {
        rc = cpe_diag_set(d, rc, "explain: SHAP failed");
        goto out;
    }
    rc = cpe_explain_json(ms, symbol, version, in, rows == 2 ? prev : NULL, pred, asset, sh,
                          rows == 2 ? sh + w : NULL, out, d);
out:
    free(X);
    free(sh);
    return rc;
}

int cpe_explain_json(const cpe_modelset_t *ms, const char *symbol, const char *version,
                     const cpe_pred_input_t *in, const cpe_pred_input_t *prev,
                     const cpe_prediction_t *pred, const char *asset, const double *sh,
                     const double *sh_prev, cpe_buf_t *out, cpe_diag_t *d)
{
    int k = cpe_modelset_hidx(ms, pred->horizon_h);
    if (k < 0) return cpe_diag_set(d, CPE_EINVAL, "explain: horizon %d h unknown", pred->horizon_h);
    size_t nc = ms->ncol;
    size_t rows = prev && prev->x && sh_prev ? 2 : 1;
    contrib_t *c = malloc((nc ? nc : 1) * sizeof *c);
    /* each feature's reason, looked up once (the prefix table is read per feature, not per
     * feature and reason group: that lookup was a tenth of a live close's CPU) */
    const char **fr = malloc((nc ? nc : 1) * sizeof *fr);
    int rc = 0;
    if (!c || !fr) {
        free(c);
        free(fr);
        return cpe_diag_set(d, CPE_ENOMEM, "explain: out of memory");
    }
    for (size_t f = 0; f < nc; f++)
        fr[f] = cpe_feature_reason(ms->names[f]);
    char ts[32];
    cpe_format_iso8601(in->ts_ms, ts);
    cpe_jw_t j;
    cpe_jw_init(&j, out);
    cpe_jw_obj(&j);
    cpe_jw_kstr(&j, "asset", asset);
    cpe_jw_kstr(&j, "symbol", symbol);
    cpe_jw_kint(&j, "horizon_hours", pred->horizon_h);
    cpe_jw_kstr(&j, "ts", ts);
    cpe_jw_kint(&j, "t_ms", in->ts_ms);
    cpe_jw_knum(&j, "p_up", pred->p_up);
    cpe_jw_kstr(&j, "model_version", version);
    cpe_jw_kstr(&j, "units", "log-odds of the raw classifier (before calibration)");
    cpe_jw_kbool(&j, "direction_model_used", ms->h[k].use_direction);
    cpe_jw_knum(&j, "direction_weight", ms->h[k].shrink_w);
    cpe_jw_knum(&j, "base_value", sh[nc]);
    double margin = sh[nc];
    for (size_t f = 0; f < nc; f++)
        margin += sh[f];
    cpe_jw_knum(&j, "margin", margin);
    /* reasons, in order of |sum| */
    const char *rnames[sizeof reasons / sizeof reasons[0] + 1];
    double rsum[sizeof reasons / sizeof reasons[0] + 1];
    size_t nr = 0;
    for (size_t f = 0; f < nc; f++) {
        const char *rn = fr[f];
        size_t g = 0;
        while (g < nr && strcmp(rnames[g], rn))
            g++;
        if (g == nr) rnames[nr] = rn, rsum[nr++] = 0;
        rsum[g] += sh[f];
    }
    contrib_t *order = malloc((nr ? nr : 1) * sizeof *order);
    if (!order) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "explain: out of memory");
        goto out;
    }
    for (size_t g = 0; g < nr; g++)
        order[g] = (contrib_t){g, rsum[g]};
    qsort(order, nr, sizeof *order, cmp_abs_desc);
    cpe_jw_key(&j, "reasons");
    cpe_jw_arr(&j);
    for (size_t g = 0; g < nr; g++) {
        const char *rn = rnames[order[g].j];
        cpe_jw_obj(&j);
        cpe_jw_kstr(&j, "name", rn);
        cpe_jw_knum(&j, "contribution", order[g].shap);
        cpe_jw_kstr(&j, "direction",
                    order[g].shap > 0   ? "up"
                    : order[g].shap < 0 ? "down"
                                        : "none");
        cpe_jw_key(&j, "features");
        cpe_jw_arr(&j);
        for (size_t f = 0; f < nc; f++)
            if (!strcmp(fr[f], rn)) cpe_jw_str(&j, ms->names[f]);
        cpe_jw_end(&j);
        cpe_jw_end(&j);
    }
    cpe_jw_end(&j);
    free(order);
    for (size_t f = 0; f < nc; f++)
        c[f] = (contrib_t){f, sh[f]};
    qsort(c, nc, sizeof *c, cmp_abs_desc);
    cpe_jw_key(&j, "contributions");
    cpe_jw_arr(&j);
    for (size_t f = 0; f < nc; f++) {
        cpe_jw_obj(&j);
        cpe_jw_kstr(&j, "feature", ms->names[c[f].j]);
        cpe_jw_kstr(&j, "reason", fr[c[f].j]);
        cpe_jw_knum(&j, "value", in->x[c[f].j]);
        cpe_jw_knum(&j, "shap", c[f].shap);
        cpe_jw_end(&j);
    }
    cpe_jw_end(&j);
    cpe_jw_key(&j, "changes");
    cpe_jw_arr(&j);
    if (rows == 2) {
        for (size_t f = 0; f < nc; f++)
            c[f] = (contrib_t){f, sh[f] - sh_prev[f]};
        qsort(c, nc, sizeof *c, cmp_abs_desc);
        for (size_t f = 0; f < nc && f < 8; f++) {
            if (c[f].shap == 0) break;
            cpe_jw_obj(&j);
            cpe_jw_kstr(&j, "feature", ms->names[c[f].j]);
            cpe_jw_knum(&j, "from", prev->x[c[f].j]);
            cpe_jw_knum(&j, "to", in->x[c[f].j]);
            cpe_jw_knum(&j, "shap_delta", c[f].shap);
            cpe_jw_end(&j);
        }
    }
    cpe_jw_end(&j);
    if (rows == 2) cpe_jw_kint(&j, "previous_t_ms", prev->ts_ms);
    cpe_jw_end(&j);
    if (j.err) rc = cpe_diag_set(d, CPE_ETOOBIG, "explain: output buffer too small");
out:
    free(c);
    free(fr);
    return rc;
}

int cpe_prediction_json(const cpe_prediction_t *p, const char *asset, int simulated, cpe_buf_t *out)
{
    char ts[32];
    cpe_jw_t j;
    cpe_jw_init(&j, out);
    cpe_jw_obj(&j);
    cpe_jw_kstr(&j, "asset", asset);
    cpe_jw_kstr(&j, "symbol", p->symbol);
    cpe_jw_kint(&j, "horizon_hours", p->horizon_h);
    cpe_format_iso8601(p->ts_ms, ts);
    cpe_jw_kstr(&j, "ts", ts);
    cpe_jw_kint(&j, "t_ms", p->ts_ms);
    cpe_jw_knum(&j, "close", p->close);
    cpe_jw_knum(&j, "p_up", p->p_up);
    cpe_jw_knum(&j, "p_down", 1.0 - p->p_up);
    cpe_jw_knum(&j, "expected_move", p->expected_move);
    cpe_jw_knum(&j, "volatility", p->volatility);
    cpe_jw_key(&j, "cone");
    cpe_jw_arr(&j);
    for (int k = 0; k < p->n_cone && k <= CPE_CONE_MAX_STEPS; k++) {
        const cpe_cone_point_t *c = &p->cone[k];
        cpe_jw_obj(&j);
        cpe_format_iso8601(c->t_ms, ts);
        cpe_jw_kstr(&j, "t", ts);
        cpe_jw_kint(&j, "t_ms", c->t_ms);
        cpe_jw_knum(&j, "mid", c->p500);
        cpe_jw_knum(&j, "upper", c->p841);
        cpe_jw_knum(&j, "lower", c->p159);
        cpe_jw_knum(&j, "upper2", c->p977);
        cpe_jw_knum(&j, "lower2", c->p023);
        cpe_jw_end(&j);
    }
    cpe_jw_end(&j);
    cpe_jw_kstr(&j, "confidence", p->confidence);
    cpe_jw_kstr(&j, "regime", p->regime);
    cpe_jw_kstr(&j, "model_version", p->model_version);
    cpe_jw_kbool(&j, "stale", p->stale);
    cpe_jw_kbool(&j, "simulated", simulated);
    cpe_jw_kbool(&j, "vol_fallback", p->vol_fallback);
    cpe_jw_end(&j);
    return j.err ? CPE_ETOOBIG : 0;
}
