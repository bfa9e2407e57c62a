/* test_predictor.c — a full prediction for several horizons, its determinism and stale
 * fallback, the explanation's SHAP bookkeeping, and the /predict JSON. */
#include "cpe/predictor.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <jansson.h>

#define NCOL 6
#define STEP (5 * 60000LL)
static const char *const NAMES[NCOL] = {"volatility_1h", "volatility_24h", "returns_4h",
                                        "returns_24h",   "cvd_1h",         "funding_rate"};

static cpe_mlview_t V;
static int64_t *TS;
static double *CL, *XX;

static void build(void)
{
    size_t n = 12 * 288;
    TS = malloc(n * sizeof *TS);
    CL = malloc(n * sizeof *CL);
    XX = malloc(n * NCOL * sizeof *XX);
    cpe_rng_t r;
    cpe_rng_seed(&r, 31);
    double c = 60000;
    for (size_t i = 0; i < n; i++) {
        c *= exp(0.0015 * cpe_rng_normal(&r));
        TS[i] = 1704067200000LL + (int64_t)i * STEP;
        CL[i] = c;
    }
    for (size_t i = 0; i < n; i++) {
        double *x = XX + i * NCOL;
        x[0] = 0.0015;
        x[1] = i >= 288 ? 0.0052 + 0.0005 * cpe_rng_uniform(&r) : NAN;
        x[2] = i >= 48 ? log(CL[i] / CL[i - 48]) : NAN;
        x[3] = i >= 288 ? log(CL[i] / CL[i - 288]) : NAN;
        x[4] = i + 12 < n ? log(CL[i + 12] / CL[i]) * 100 + 0.3 * cpe_rng_normal(&r) : NAN;
        x[5] = cpe_rng_normal(&r) * 1e-4;
    }
    V = (cpe_mlview_t){n, NCOL, TS, XX, CL, NAMES};
}

static int make_predictor(cpe_predictor_t *p)
{
    size_t *rows = malloc(V.n * sizeof *rows);
    for (size_t i = 0; i < V.n; i++)
        rows[i] = i;
    cpe_modelset_config_t c;
    cpe_modelset_config_default(&c);
    c.cls.max_rounds = c.reg.max_rounds = 40;
    c.cls.eta = c.reg.eta = 0.1;
    c.cone_paths = 400;
    c.scale_rows = 150;
    cpe_modelset_t ms;
    cpe_diag_t d = {0};
    int rc = cpe_modelset_train(&ms, &V, rows, V.n - 600, TS[V.n - 600], &c, &d);
    free(rows);
    if (rc) {
        fprintf(stderr, "train: %s\n", d.msg);
        return rc;
    }
    return cpe_predictor_adopt(p, &ms, "BTCUSDT", "BTCUSDT-test", 0, &d);
}

static void input_at(size_t i, double *ret, cpe_pred_input_t *in)
{
    in->ts_ms = TS[i];
    in->close = CL[i];
    in->x = XX + i * NCOL;
    in->r_1h = ret;
    in->n_r = cpe_ml_hourly_returns(&V, i, 240, ret);
    in->stale = 0;
}

static void test_predicts_all_horizons_with_ordered_cones(void)
{
    cpe_predictor_t p;
    CHECK_EQ_INT(make_predictor(&p), 0);
    static const int hs[4] = {1, 4, 8, 24};
    cpe_prediction_t out[4], again[4];
    double ret[240];
    cpe_pred_input_t in;
    input_at(V.n - 300, ret, &in);
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_predictor_predict(&p, &in, hs, 4, out, &d), 0);
    for (int k = 0; k < 4; k++) {
        const cpe_prediction_t *o = &out[k];
        CHECK_EQ_INT(o->horizon_h, hs[k]);
        CHECK_EQ_INT(o->n_cone, hs[k] + 1);
        CHECK_NEAR(o->cone[0].p500, in.close, 1e-9 * in.close);
        CHECK_EQ_INT(o->cone[o->n_cone - 1].t_ms, in.ts_ms + 60000 + hs[k] * 3600000LL);
        CHECK(o->p023 < o->p159 && o->p159 < o->p500 && o->p500 < o->p841 && o->p841 < o->p977);
        CHECK(o->p_up > 0 && o->p_up < 1);
        CHECK(o->volatility > 0);
        CHECK(!strcmp(o->confidence, "low") || !strcmp(o->confidence, "medium") ||
              !strcmp(o->confidence, "high"));
        CHECK(cpe_regime_from_name(o->regime) >= 0);
        CHECK_STR(o->model_version, "BTCUSDT-test");
        CHECK_EQ_INT(o->stale, 0);
        if (k) /* before the fitted scales, the spread grows with the horizon */
            CHECK(o->volatility / p.ms.h[k].scale.s1 >
                  out[k - 1].volatility / p.ms.h[k - 1].scale.s1);
    }
    /* Same bar, same prediction, bit for bit (seeded cone). */
    CHECK_EQ_INT(cpe_predictor_predict(&p, &in, hs, 4, again, &d), 0);
    CHECK(memcmp(out, again, sizeof out) == 0);
    /* A failing prediction returns the last valid one, flagged stale. */
    cpe_pred_input_t bad = in;
    bad.close = 0;
    CHECK_EQ_INT(cpe_predictor_predict(&p, &bad, hs, 4, again, &d), CPE_ESTALE);
    CHECK_EQ_INT(again[2].stale, 1);
    CHECK_NEAR(again[2].p_up, out[2].p_up, 0);
    /* Unknown horizons are refused. */
    int h5 = 5;
    CHECK_EQ_INT(cpe_predictor_predict(&p, &in, &h5, 1, again, &d), CPE_EINVAL);
    cpe_predictor_close(&p);
    cpe_predictor_close(&p);
}

static void test_explanation_sums_to_margin_and_groups_reasons(void)
{
    cpe_predictor_t p;
    CHECK_EQ_INT(make_predictor(&p), 0);
    int h = 1;
    cpe_prediction_t out;
    double ret[240], ret0[240];
    cpe_pred_input_t in, prev;
    input_at(V.n - 300, ret, &in);
    input_at(V.n - 301, ret0, &prev);
    CHECK_EQ_INT(cpe_predictor_predict(&p, &in, &h, 1, &out, NULL), 0);
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(cpe_predictor_explain(&p, &in, &prev, &out, "BTC", &b, NULL), 0);
    json_error_t je;
    json_t *j = json_loads(b.data, 0, &je);
    CHECK_MSG(j != NULL, "explain json: %s", je.text);
    double base = json_number_value(json_object_get(j, "base_value"));
    double margin = json_number_value(json_object_get(j, "margin"));
    double sum = base, rsum = base;
    json_t *c = json_object_get(j, "contributions"), *r = json_object_get(j, "reasons");
    CHECK_EQ_INT(json_array_size(c), NCOL);
    for (size_t i = 0; i < json_array_size(c); i++)
        sum += json_number_value(json_object_get(json_array_get(c, i), "shap"));
    for (size_t i = 0; i < json_array_size(r); i++)
        rsum += json_number_value(json_object_get(json_array_get(r, i), "contribution"));
    CHECK_NEAR(sum, margin, 1e-6);
    CHECK_NEAR(rsum, margin, 1e-6);
    /* The raw classifier's probability is the logistic of the margin. */
    double raw;
    CHECK_EQ_INT(cpe_gbt_predict(&p.ms.h[0].cls, in.x, 1, 0, &raw), 0);
    CHECK_NEAR(1 / (1 + exp(-margin)), raw, 1e-5);
    /* cvd_1h carries the planted signal: it leads the contributions, under "CVD shift". */
    json_t *top = json_array_get(c, 0);
    CHECK_STR(json_string_value(json_object_get(top, "feature")), "cvd_1h");
    CHECK_STR(json_string_value(json_object_get(top, "reason")), "CVD shift");
    CHECK(json_array_size(json_object_get(j, "changes")) > 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "horizon_hours")), 1);
    json_decref(j);
    cpe_buf_free(&b);
    cpe_predictor_close(&p);
}

static void test_feature_reasons_table(void)
{
    CHECK_STR(cpe_feature_reason("funding_zscore"), "funding skew");
    CHECK_STR(cpe_feature_reason("cvd_5m"), "CVD shift");
    CHECK_STR(cpe_feature_reason("liq_imbalance_1h"), "liquidation imbalance");
    CHECK_STR(cpe_feature_reason("oi_change_24h"), "OI expansion/contraction");
    CHECK_STR(cpe_feature_reason("rsi_14"), "momentum");
    CHECK_STR(cpe_feature_reason("volatility_24h"), "volatility");
    CHECK_STR(cpe_feature_reason("atr_14"), "volatility");
    CHECK_STR(cpe_feature_reason("range_position_24h"), "momentum");
    CHECK_STR(cpe_feature_reason("fear_greed_index"), "sentiment");
    CHECK_STR(cpe_feature_reason("eth_btc_ratio"), "cross-asset");
    CHECK_STR(cpe_feature_reason("hour_sin"), "time");
    CHECK_STR(cpe_feature_reason("mystery"), "other");
}

static void test_prediction_json_has_the_api_fields(void)
{
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    p.horizon_h = 1;
    p.ts_ms = 1756684740000LL;
    p.close = 108246.4;
    p.p_up = 0.53;
    p.n_cone = 2;
    p.cone[0] = (cpe_cone_point_t){1756684800000LL, 1, 2, 3, 4, 5};
    p.cone[1] = (cpe_cone_point_t){1756688400000LL, 1, 2, 3, 4, 5};
    snprintf(p.confidence, sizeof p.confidence, "low");
    snprintf(p.regime, sizeof p.regime, "normal");
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 16);
    CHECK_EQ_INT(cpe_prediction_json(&p, "BTC", 0, &b), 0);
    json_t *j = json_loads(b.data, 0, NULL);
    CHECK(j != NULL);
    CHECK_NEAR(json_number_value(json_object_get(j, "p_down")), 0.47, 1e-12);
    CHECK_STR(json_string_value(json_object_get(j, "ts")), "2025-08-31T23:59:00.000Z");
    json_t *c1 = json_array_get(json_object_get(j, "cone"), 1);
    CHECK_NEAR(json_number_value(json_object_get(c1, "lower2")), 1, 0);
    CHECK_NEAR(json_number_value(json_object_get(c1, "upper")), 4, 0);
    CHECK(json_is_false(json_object_get(j, "stale")));
    json_decref(j);
    cpe_buf_free(&b);
}

int main(void)
{
    build();
    RUN(test_predicts_all_horizons_with_ordered_cones);
    RUN(test_explanation_sums_to_margin_and_groups_reasons);
    RUN(test_feature_reasons_table);
    RUN(test_prediction_json_has_the_api_fields);
    free(TS), free(CL), free(XX);
    return TEST_DONE();
}
