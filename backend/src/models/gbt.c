/* gbt.c — XGBoost C API wrapper: training with our own time-ordered early stopping,
 * prediction, TreeSHAP contributions, JSON save/load (see cpe/gbt.h). */
#include "cpe/gbt.h"

#include <xgboost/c_api.h>

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_FIT_ROWS 50

void cpe_gbt_params_default(cpe_gbt_params_t *p, cpe_gbt_objective_t objective)
{
    memset(p, 0, sizeof *p);
    p->objective = objective;
    p->eta = 0.05;
    p->max_leaves = 31;
    p->max_depth = 0;
    p->max_rounds = 500;
    p->early_stop_rounds = 20;
    p->valid_frac = 0.2;
    p->gap_rows = 0;
    p->min_child_weight = 20.0;
    p->subsample = 0.8;
    p->colsample = 0.8;
    p->lambda = 1.0;
    p->max_bin = 64;
    p->nthread = 2;
    p->seed = 42;
}

static int xgb_fail(cpe_diag_t *d, const char *what)
{
    return cpe_diag_set(d, CPE_EMODEL, "xgboost %s: %s", what, XGBGetLastError());
}

/* Copy rows idx[0..n) (or 0..n when idx is NULL) of X to a float matrix; NaN stays NaN. */
static float *to_float(const double *X, const size_t *idx, size_t n, size_t ncol)
{
    float *f = malloc((n ? n : 1) * (ncol ? ncol : 1) * sizeof *f);
    if (!f) return NULL;
    for (size_t i = 0; i < n; i++) {
        const double *row = X + (idx ? idx[i] : i) * ncol;
        for (size_t j = 0; j < ncol; j++)
            f[i * ncol + j] = (float)row[j];
    }
    return f;
}

static int make_dmatrix(const double *X, const size_t *idx, size_t n, size_t ncol,
                        const float *label, DMatrixHandle *out)
{
    float *f = to_float(X, idx, n, ncol);
    if (!f) return CPE_ENOMEM;
    int rc = XGDMatrixCreateFromMat(f, (bst_ulong)n, (bst_ulong)ncol, NAN, out);
    free(f);
    if (rc != 0) return CPE_EMODEL;
    if (label && XGDMatrixSetFloatInfo(*out, "label", label, (bst_ulong)n) != 0) {
        XGDMatrixFree(*out);
        *out = NULL;
        return CPE_EMODEL;
    }
    return 0;
}

static int set_params(BoosterHandle b, const cpe_gbt_params_t *p)
{
    char v[64];
#define SETP(k, fmt, x)                                                                            \
    do {                                                                                           \
        snprintf(v, sizeof v, fmt, x);                                                             \
        if (XGBoosterSetParam(b, k, v) != 0) return CPE_EMODEL;                                    \
    } while (0)
    SETP("objective", "%s",
         p->objective == CPE_GBT_BINARY ? "binary:logistic" : "reg:squarederror");
    SETP("eval_metric", "%s", p->objective == CPE_GBT_BINARY ? "logloss" : "rmse");
    SETP("tree_method", "%s", "hist");
    SETP("grow_policy", "%s", "lossguide");
    SETP("max_leaves", "%d", p->max_leaves);
    SETP("max_depth", "%d", p->max_depth);
    SETP("eta", "%.17g", p->eta);
    SETP("min_child_weight", "%.17g", p->min_child_weight);
    SETP("subsample", "%.17g", p->subsample);
    SETP("colsample_bytree", "%.17g", p->colsample);
    SETP("lambda", "%.17g", p->lambda);
    SETP("max_bin", "%d", p->max_bin);
    SETP("nthread", "%d", p->nthread > 0 ? p->nthread : 1);
    SETP("seed", "%llu", (unsigned long long)p->seed);
    SETP("verbosity", "%d", 0);
#undef SETP
    return 0;
}

/* "[12]\tvalid-logloss:0.6912" -> 0.6912 */
static double parse_eval(const char *s)
{
    const char *c = s ? strrchr(s, ':') : NULL;
    return c ? strtod(c + 1, NULL) : NAN;
}

/* Boost up to max_rounds; with a validation matrix, stop early_stop_rounds after the best
 * validation loss (the rounds up to it in *best, its loss in *best_loss). */
static int boost(BoosterHandle b, DMatrixHandle dtrain, DMatrixHandle dvalid,
                 const cpe_gbt_params_t *p, int *best, double *best_loss, cpe_diag_t *d)
{
    for (int it = 0; it < p->max_rounds; it++) {
        if (p->cancel && atomic_load(p->cancel))
            return cpe_diag_set(d, CPE_ECANCELED, "gbt: training cancelled before round %d",
                                it + 1);
        if (XGBoosterUpdateOneIter(b, it, dtrain) != 0) {
            return xgb_fail(d, "update");
        }
        if (!dvalid) {
            *best = it + 1;
            continue;
        }
        const char *names[1] = {"valid"};
        const char *res = NULL;
        if (XGBoosterEvalOneIter(b, it, &dvalid, names, 1, &res) != 0) {
            return xgb_fail(d, "eval");
        }
        double loss = parse_eval(res);
        if (loss < *best_loss - 1e-12) {
            *best_loss = loss;
            *best = it + 1;
        } else if (it + 1 - *best >= p->early_stop_rounds) {
            break;
        }
    }
    return 0;
}

int cpe_gbt_train(cpe_gbt_t *m, const cpe_gbt_params_t *p, const double *X, size_t nrow,
                  size_t ncol, const double *y, cpe_diag_t *d)
{
    int rc = 0;
    size_t *idx = NULL;
    float *lab = NULL;
    DMatrixHandle dtrain = NULL, dvalid = NULL;
    BoosterHandle b = NULL, cut = NULL;

    memset(m, 0, sizeof *m);
    if (!p || !X || !y || ncol == 0 || p->max_rounds <= 0)
        return cpe_diag_set(d, CPE_EINVAL, "gbt: no data or bad parameters");

    /* Split by time: [fit rows | gap | validation rows]. */
    size_t n_valid = 0, fit_end = nrow;
    if (p->early_stop_rounds > 0 && p->valid_frac > 0) {
        n_valid = (size_t)floor((double)nrow * p->valid_frac);
        size_t reserved = n_valid + p->gap_rows;
        fit_end = reserved < nrow ? nrow - reserved : 0;
    }
    idx = malloc((nrow ? nrow : 1) * sizeof *idx);
    lab = malloc((nrow ? nrow : 1) * sizeof *lab);
    if (!idx || !lab) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "gbt: out of memory for %zu rows", nrow);
        goto out;
    }
    size_t nf = 0;
    for (size_t i = 0; i < fit_end; i++)
        if (!isnan(y[i])) {
            lab[nf] = (float)y[i];
            idx[nf++] = i;
        }
    if (nf < MIN_FIT_ROWS) {
        rc = cpe_diag_set(d, CPE_EDATA, "gbt: only %zu labelled training rows (need %d)", nf,
                          MIN_FIT_ROWS);
        goto out;
    }
    double base_score = 0;
    for (size_t i = 0; i < nf; i++)
        base_score += lab[i];
    base_score /= (double)nf;
    if (p->objective == CPE_GBT_BINARY) base_score = fmin(fmax(base_score, 0.01), 0.99);
    if ((rc = make_dmatrix(X, idx, nf, ncol, lab, &dtrain)) != 0) {
        rc = rc == CPE_ENOMEM ? cpe_diag_set(d, rc, "gbt: out of memory")
                              : xgb_fail(d, "train matrix");
        goto out;
    }
    size_t nv = 0, valid_from = nrow - n_valid;
    if (n_valid) {
        for (size_t i = valid_from; i < nrow; i++)
            if (!isnan(y[i])) {
                lab[nv] = (float)y[i];
                idx[nv++] = i;
            }
        if (nv >= 10 && make_dmatrix(X, idx, nv, ncol, lab, &dvalid) != 0) {
            rc = xgb_fail(d, "validation matrix");
            goto out;
        }
    }
    DMatrixHandle cache[2] = {dtrain, dvalid};
    if (XGBoosterCreate(cache, dvalid ? 2 : 1, &b) != 0 || set_params(b, p) != 0) {
        rc = xgb_fail(d, "create");
        goto out;
    }
    /* XGBoost 1.7 starts every model from base_score 0.5 (it estimates nothing): for a
     * regressor of log returns that is a huge bias that early-stopped boosting never
     * removes. Start from the mean label of the fitted rows (the base rate for BINARY). */
    {
        double mean = base_score;
        char v[64];
        snprintf(v, sizeof v, "%.17g", mean);
        if (XGBoosterSetParam(b, "base_score", v) != 0) {
            rc = xgb_fail(d, "base_score");
            goto out;
        }
    }
    int best = 0;
    double best_loss = INFINITY;
    if ((rc = boost(b, dtrain, dvalid, p, &best, &best_loss, d))) goto out;
    int done = 0;
    XGBoosterBoostedRounds(b, &done);
    if (best < done) {
        if (XGBoosterSlice(b, 0, best, 1, &cut) != 0) {
            rc = xgb_fail(d, "slice");
            goto out;
        }
        XGBoosterFree(b);
        b = cut;
        cut = NULL;
    }
    m->booster = b;
    b = NULL;
    m->objective = p->objective;
    m->n_features = ncol;
    m->best_rounds = best;
    m->best_valid_loss = dvalid ? best_loss : NAN;
    m->valid_from = dvalid ? valid_from : nrow;
    m->n_train = nf;
out:
    if (b) XGBoosterFree(b);
    if (dtrain) XGDMatrixFree(dtrain);
    if (dvalid) XGDMatrixFree(dvalid);
    free(idx);
    free(lab);
    return rc;
}

/* Run a prediction of `type` (0 value, 1 margin, 2 contributions) and copy `want` floats. */
static int run_predict(const cpe_gbt_t *m, const double *X, size_t nrow, int type, double *out,
                       size_t want)
{
    if (!m || !m->booster || !X || !out) return CPE_EINVAL;
    if (nrow == 0) return 0;
    DMatrixHandle dm = NULL;
    int rc = make_dmatrix(X, NULL, nrow, m->n_features, NULL, &dm);
    if (rc) return rc;
    char cfg[160];
    snprintf(cfg, sizeof cfg,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
             "\"strict_shape\": false}",
             type);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    if (XGBoosterPredictFromDMatrix(m->booster, dm, cfg, &shape, &dim, &res) != 0) {
        rc = CPE_EMODEL;
        goto out;
    }
    bst_ulong total = 1;
    for (bst_ulong i = 0; i < dim; i++)
        total *= shape[i];
    if (total != (bst_ulong)want) {
        rc = CPE_EMODEL;
        goto out;
    }
    for (size_t i = 0; i < want; i++)
        out[i] = res[i]; /* copy before the next call */
out:
    XGDMatrixFree(dm);
    return rc;
}

/* In-place prediction from a dense float matrix: no DMatrix is built, which is what makes
 * one-row predictions cheap (tens of microseconds instead of hundreds). */
static int inplace_predict(const cpe_gbt_t *m, const double *X, size_t nrow, int type, double *out)
{
    enum { STACK_ROWS = 4 };
    float stack[STACK_ROWS * 64];
    float *f = nrow * m->n_features <= sizeof stack / sizeof stack[0]
                   ? stack
                   : malloc(nrow * m->n_features * sizeof *f);
    if (!f) return CPE_ENOMEM;
    for (size_t i = 0; i < nrow * m->n_features; i++)
        f[i] = (float)X[i];
    char arr[200], cfg[200];
    snprintf(arr, sizeof arr,
             "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f4\", "
             "\"version\": 3}",
             (unsigned long long)(uintptr_t)f, nrow, m->n_features);
    snprintf(cfg, sizeof cfg,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
             "\"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}",
             type);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    int rc = 0;
    if (XGBoosterPredictFromDense(m->booster, arr, cfg, NULL, &shape, &dim, &res) != 0) {
        rc = CPE_EMODEL;
        goto out;
    }
    bst_ulong total = 1;
    for (bst_ulong i = 0; i < dim; i++)
        total *= shape[i];
    if (total != (bst_ulong)nrow) {
        rc = CPE_EMODEL;
        goto out;
    }
    for (size_t i = 0; i < nrow; i++)
        out[i] = res[i];
out:
    if (f != stack) free(f);
    return rc;
}

int cpe_gbt_predict(const cpe_gbt_t *m, const double *X, size_t nrow, int margin, double *out)
{
    if (!m || !m->booster || !X || !out) return CPE_EINVAL;
    if (nrow == 0) return 0;
    if (nrow <= 256) return inplace_predict(m, X, nrow, margin ? 1 : 0, out);
    return run_predict(m, X, nrow, margin ? 1 : 0, out, nrow);
}

int cpe_gbt_contribs(const cpe_gbt_t *m, const double *X, size_t nrow, double *out)
{
    if (!m) return CPE_EINVAL;
    return run_predict(m, X, nrow, 2, out, nrow * (m->n_features + 1));
}

int cpe_gbt_save(const cpe_gbt_t *m, const char *path, cpe_diag_t *d)
{
    if (!m || !m->booster) return cpe_diag_set(d, CPE_EINVAL, "%s: no model to save", path);
    if (XGBoosterSaveModel(m->booster, path) != 0) return xgb_fail(d, path);
    return 0;
}

int cpe_gbt_load(cpe_gbt_t *m, const char *path, size_t n_features, cpe_diag_t *d)
{
    int rc = 0;
    BoosterHandle b = NULL;
    memset(m, 0, sizeof *m);
    if (XGBoosterCreate(NULL, 0, &b) != 0) return xgb_fail(d, "create");
    if (XGBoosterLoadModel(b, path) != 0) {
        rc = xgb_fail(d, path);
        goto out;
    }
    bst_ulong nf = 0;
    if (XGBoosterGetNumFeature(b, &nf) != 0 || (size_t)nf != n_features) {
        rc = cpe_diag_set(d, CPE_EMODEL, "%s: model has %llu features, expected %zu", path,
                          (unsigned long long)nf, n_features);
        goto out;
    }
    bst_ulong len = 0;
    const char *cfg = NULL;
    if (XGBoosterSaveJsonConfig(b, &len, &cfg) != 0) {
        rc = xgb_fail(d, path);
        goto out;
    }
    m->objective = strstr(cfg, "binary:logistic") ? CPE_GBT_BINARY : CPE_GBT_REGRESSION;
    XGBoosterBoostedRounds(b, &m->best_rounds);
    XGBoosterSetParam(b, "nthread", "1"); /* single rows: threads cost more than they save */
    m->booster = b;
    b = NULL;
    m->n_features = n_features;
    m->best_valid_loss = NAN;
out:
    if (b) XGBoosterFree(b);
    return rc;
}

int cpe_gbt_set_threads(cpe_gbt_t *m, int n)
{
    char v[16];
    snprintf(v, sizeof v, "%d", n > 0 ? n : 1);
    return m->booster && XGBoosterSetParam(m->booster, "nthread", v) != 0 ? CPE_EMODEL : 0;
}

void cpe_gbt_free(cpe_gbt_t *m)
{
    if (!m) return;
    if (m->booster) XGBoosterFree(m->booster);
    memset(m, 0, sizeof *m);
}
