/*
 * predictor.h — turns the latest feature vector of a symbol into full predictions
 * (spec 5.1) and explanations (spec 5.2) with a registered model set.
 *
 * Inputs (cpe_pred_input_t): the bar (open time ts_ms, close), the feature vector in the
 * model's column order (cpe_predictor_map_features builds it from any named vector;
 * features the model knows but the caller lacks are NaN), and the recent 1h log returns
 * ending at the bar's close (oldest first; 240 are used), which drive the GARCH-t state.
 *
 * One prediction for all horizons (cpe_predictor_predict):
 *   p_up           classifier -> calibrator (calib.h)
 *   expected_move  regressor (expected log return)
 *   volatility, cone, p023..p977
 *                  with a realized-volatility model (rvol.h: the model set has one when its
 *                  training data had the realized features) the Student-t cone of tcone.h
 *                  from the realized measures in x, the hourly returns and the band levels
 *                  band_a (online recalibration); otherwise, and as the fallback,
 *                  one 10,000-path GARCH-t Monte Carlo run (cone.h) over max(H) hours;
 *                  every horizon reads the same paths with its drift (expected_move +
 *                  regime drift), its fitted scales s1/s2 and the regime's vol multiplier;
 *                  an extreme move (> 5 sigma in the last 24 h) widens the cone (spec 17.2)
 *   regime         rule tags with thresholds fitted at training (regime.h)
 *   confidence     cpe_confidence (modelset.h): calibrated edge, regime, extreme move,
 *                  share of expected features present, staleness
 *   stale          the caller's stale flag; and when a prediction fails, the last valid
 *                  one for that horizon is returned with stale = 1 and CPE_ESTALE
 * The cone's seed is derived from (symbol, ts_ms), so the same bar gives the same cone.
 *
 * Explanation (cpe_predictor_explain): TreeSHAP contributions of the direction
 * classifier in log-odds (they sum with base_value to the raw margin, before
 * calibration), grouped into named reasons by feature-name prefix (the table in
 * predictor.c): funding skew, CVD shift (order flow, incl. book imbalance), liquidation
 * imbalance, OI expansion/contraction, momentum, volatility, sentiment, on-chain,
 * cross-asset, time, other. "changes" compares with the previous bar's feature vector
 * (when given): the features whose SHAP moved most, with their old and new values.
 * JSON as docs/API.md "/explain".
 *
 * Ownership and threads: a cpe_predictor_t owns its model set and a Monte Carlo
 * workspace; it is used by one thread at a time (one predictor per thread, or a lock).
 */
#ifndef CPE_PREDICTOR_H
#define CPE_PREDICTOR_H

#include "cpe/buf.h"
#include "cpe/cone.h"
#include "cpe/error.h"
#include "cpe/mldata.h"
#include "cpe/modelset.h"
#include "cpe/prediction.h"
#include "cpe/registry.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_predictor {
    char symbol[32];
    char version[CPE_VERSION_MAX];
    cpe_modelset_t ms;
    cpe_cone_ws_t ws;
    int n_paths;
    /* band miss levels of the t cone per horizon index (tcone.h): the targets at open;
     * the live pipeline's online recalibration (aci.h) sets them before each prediction */
    double band_a[CPE_MS_MAX_H][2];
    cpe_prediction_t last[CPE_MS_MAX_H]; /* last valid prediction per horizon index */
    int has_last[CPE_MS_MAX_H];
} cpe_predictor_t;

typedef struct cpe_pred_input {
    int64_t ts_ms; /* open time of the bar at whose close the prediction is made */
    double close;
    const double *x;    /* ms.ncol values in the model's order, NaN = missing */
    const double *r_1h; /* recent 1h log returns, oldest first */
    size_t n_r;
    int stale; /* inputs older than the staleness limits */
} cpe_pred_input_t;

/* Load version (NULL: champion) of symbol from the registry. n_paths <= 0: 10,000. */
int cpe_predictor_open(cpe_predictor_t *p, const cpe_registry_t *r, const char *symbol,
                       const char *version, int n_paths, cpe_diag_t *d);
/* Take ownership of an already trained model set (it is zeroed in *ms). */
int cpe_predictor_adopt(cpe_predictor_t *p, cpe_modelset_t *ms, const char *symbol,
                        const char *version, int n_paths, cpe_diag_t *d);
void cpe_predictor_close(cpe_predictor_t *p);

/* Reorder a named feature vector (names[n], values[n]) into the model's columns (out
 * has ms.ncol entries; absent -> NaN). Returns how many model features were found. */
size_t cpe_predictor_map_features(const cpe_predictor_t *p, const char *const *names,
                                  const double *values, size_t n, double *out);

/* Predictor input for row i of m: features mapped to the model's columns into x
 * (ms.ncol values), the hourly returns ending at the row into r (240 values). stale = 0. */
void cpe_predictor_input(const cpe_predictor_t *p, const cpe_mldata_t *m, size_t i, double *x,
                         double *r, cpe_pred_input_t *in);
/* The same from a named feature vector feat[ncol] (names[ncol]) of the bar at row i of the
 * closes in v (v->ts_ms and v->close only). */
void cpe_predictor_input_from(const cpe_predictor_t *p, const char *const *names,
                              const double *feat, size_t ncol, const cpe_mlview_t *v, size_t i,
                              double *x, double *r, cpe_pred_input_t *in);

/* Predictions for horizons[nh] (each must be one of the model's). out[nh]. */
int cpe_predictor_predict(cpe_predictor_t *p, const cpe_pred_input_t *in, const int *horizons,
                          int nh, cpe_prediction_t *out, cpe_diag_t *d);

/* Explanation JSON of `pred` (made from `in`) into out; prev (may be NULL) is the
 * previous bar's input. asset is what the JSON calls the asset ("BTC"). */
int cpe_predictor_explain(const cpe_predictor_t *p, const cpe_pred_input_t *in,
                          const cpe_pred_input_t *prev, const cpe_prediction_t *pred,
                          const char *asset, cpe_buf_t *out, cpe_diag_t *d);

/* The same for a model set that is not a registered predictor (a walk-forward fold's);
 * symbol and version are what the JSON names. Only in->ts_ms, in->x, prev->ts_ms and
 * prev->x are read. */
int cpe_modelset_explain(const cpe_modelset_t *ms, const char *symbol, const char *version,
                         const cpe_pred_input_t *in, const cpe_pred_input_t *prev,
                         const cpe_prediction_t *pred, const char *asset, cpe_buf_t *out,
                         cpe_diag_t *d);

/* The JSON part alone, from SHAP rows already computed (cpe_gbt_contribs of the horizon's
 * classifier: ncol values + the bias) for the bar (sh) and, when prev is given, the
 * previous bar (sh_prev): lets a caller compute many rows in one call. */
int cpe_explain_json(const cpe_modelset_t *ms, const char *symbol, const char *version,
                     const cpe_pred_input_t *in, const cpe_pred_input_t *prev,
                     const cpe_prediction_t *pred, const char *asset, const double *sh,
                     const double *sh_prev, cpe_buf_t *out, cpe_diag_t *d);

/* Name of the reason group of a feature ("momentum", ...). */
const char *cpe_feature_reason(const char *feature);

/* The prediction as docs/API.md "/predict" JSON. */
int cpe_prediction_json(const cpe_prediction_t *p, const char *asset, int simulated,
                        cpe_buf_t *out);

#endif
