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

/* The matrices of one training: the labelled fit rows idx[0..nf) of [0, fit_end) and the
 * labelled validation rows idx[nf..nf+nv) of [valid_from, nrow). */
typedef struct mats {
    size_t *idx;
    float *lab;
    size_t nf, nv, nrow, valid_from, fit_end;
    DMatrixHandle fit, valid;
} mats_t;

static void mats_free(mats_t *s)
{
    if (s->fit) XGDMatrixFree(s->fit);
    if (s->valid) XGDMatrixFree(s->valid);
    free(s->idx);
    free(s->lab);
    memset(s, 0, sizeof *s);
}

/* Split by time: [fit rows | gap | validation rows]. */
static void split(const cpe_gbt_params_t *p, size_t nrow, size_t *fit_end, size_t *valid_from)
{
    size_t n_valid = 0;
    *fit_end = nrow;
    if (p->early_stop_rounds > 0 && p->valid_frac > 0) {
        n_valid = (size_t)floor((double)nrow * p->valid_frac);
        size_t reserved = n_valid + p->gap_rows;
        *fit_end = reserved < nrow ? nrow - reserved : 0;
    }
    *valid_from = nrow - n_valid;
}

/* Labels of y at the selected rows into s->lab; the mean of the fit rows' (the start). */
static double take_labels(mats_t *s, const double *y)
{
    double mean = 0;
    for (size_t i = 0; i < s->nf + s->nv; i++)
        s->lab[i] = (float)y[s->idx[i]];
    for (size_t i = 0; i < s->nf; i++)
        mean += s->lab[i];
    return s->nf ? mean / (double)s->nf : 0;
}

/* Select the rows of y, build both matrices with y's labels; *mean as take_labels. */
static int mats_build(mats_t *s, const cpe_gbt_params_t *p, const double *X, size_t nrow,
                      size_t ncol, const double *y, double *mean, cpe_diag_t *d)
{
    int rc;
    memset(s, 0, sizeof *s);
    *mean = 0;
    s->nrow = nrow;
    split(p, nrow, &s->fit_end, &s->valid_from);
    s->idx = malloc((nrow ? nrow : 1) * sizeof *s->idx);
    s->lab = malloc((nrow ? nrow : 1) * sizeof *s->lab);
    if (!s->idx || !s->lab)
        return cpe_diag_set(d, CPE_ENOMEM, "gbt: out of memory for %zu rows", nrow);
    for (size_t i = 0; i < s->fit_end; i++)
        if (!isnan(y[i])) s->idx[s->nf++] = i;
    if (s->nf < MIN_FIT_ROWS)
        return cpe_diag_set(d, CPE_EDATA, "gbt: only %zu labelled training rows (need %d)", s->nf,
                            MIN_FIT_ROWS);
    for (size_t i = s->valid_from; i < nrow; i++)
        if (!isnan(y[i])) s->idx[s->nf + s->nv++] = i;
    *mean = take_labels(s, y);
    if ((rc = make_dmatrix(X, s->idx, s->nf, ncol, s->lab, &s->fit)) != 0)
        return rc == CPE_ENOMEM ? cpe_diag_set(d, rc, "gbt: out of memory")
                                : xgb_fail(d, "train matrix");
    if (s->nv >= 10 && make_dmatrix(X, s->idx + s->nf, s->nv, ncol, s->lab + s->nf, &s->valid) != 0)
        return xgb_fail(d, "validation matrix");
    return 0;
}

/* Whether a training with p and targets y selects exactly the rows of s (then s's matrices
 * serve it with y's labels). */
static int mats_fit(const mats_t *s, const cpe_gbt_params_t *p, const double *y)
{
    size_t fit_end, valid_from, n = 0;
    split(p, s->nrow, &fit_end, &valid_from);
    if (fit_end != s->fit_end || valid_from != s->valid_from) return 0;
    for (size_t i = 0; i < fit_end; i++)
        if (!isnan(y[i]) && (n >= s->nf || s->idx[n++] != i)) return 0;
    if (n != s->nf) return 0;
    for (size_t i = valid_from; i < s->nrow; i++)
        if (!isnan(y[i]) && (n >= s->nf + s->nv || s->idx[n++] != i)) return 0;
    return n == s->nf + s->nv;
}

/* Set the matrices' labels to y's (rows as selected); the mean of the fit rows' in *mean. */
static int mats_relabel(mats_t *s, const double *y, double *mean, cpe_diag_t *d)
{
    *mean = take_labels(s, y);
    if (XGDMatrixSetFloatInfo(s->fit, "label", s->lab, (bst_ulong)s->nf) != 0 ||
        (s->valid &&
         XGDMatrixSetFloatInfo(s->valid, "label", s->lab + s->nf, (bst_ulong)s->nv) != 0))
        return xgb_fail(d, "labels");
    return 0;
}

/* Boost one model on the matrices of s, starting from base_score (see below). */
static int fit_model(cpe_gbt_t *m, const cpe_gbt_params_t *p, const mats_t *s, size_t ncol,
                     double base_score, cpe_diag_t *d)
{
    int rc = 0;
    BoosterHandle b = NULL, cut = NULL;
    if (p->objective == CPE_GBT_BINARY) base_score = fmin(fmax(base_score, 0.01), 0.99);
    DMatrixHandle cache[2] = {s->fit, s->valid};
    if (XGBoosterCreate(cache, s->valid ? 2 : 1, &b) != 0 || set_params(b, p) != 0) {
        rc = xgb_fail(d, "create");
        goto out;
    }
    /* XGBoost 1.7 starts every model from base_score 0.5 (it estimates nothing): for a
     * regressor of log returns that is a huge bias that early-stopped boosting never
     * removes. Start from the mean label of the fitted rows (the base rate for BINARY). */
    char v[64];
    snprintf(v, sizeof v, "%.17g", base_score);
    if (XGBoosterSetParam(b, "base_score", v) != 0) {
        rc = xgb_fail(d, "base_score");
        goto out;
    }
    int best = 0;
    double best_loss = INFINITY;
    if ((rc = boost(b, s->fit, s->valid, p, &best, &best_loss, d))) goto out;
    int done = 0;
    XGBoosterBoostedRounds(b, &done);
    if (best < done) {
        if (XGBoosterSlice(b, 0, best, 1, &cut) != 0) {
            rc = xgb_fail(d, "slice");
            goto out;
        }
        XGBoosterFree(b);
        b = cut;
    }
    m->booster = b;
    b = NULL;
    m->objective = p->objective;
    m->n_features = ncol;
    m->best_rounds = best;
    m->best_valid_loss = s->valid ? best_loss : NAN;
    m->valid_from = s->valid ? s->valid_from : s->nrow;
    m->n_train = s->nf;
out:
    if (b) XGBoosterFree(b);
    return rc;
}

static int bad_args(const cpe_gbt_params_t *p, const double *X, const double *y, size_t ncol)
{
    return !p || !X || !y || ncol == 0 || p->max_rounds <= 0;
}

int cpe_gbt_train(cpe_gbt_t *m, const cpe_gbt_params_t *p, const double *X, size_t nrow,
                  size_t ncol, const double *y, cpe_diag_t *d)
{
    memset(m, 0, sizeof *m);
    if (bad_args(p, X, y, ncol))
        return cpe_diag_set(d, CPE_EINVAL, "gbt: no data or bad parameters");
    mats_t s;
    double mean;
    int rc = mats_build(&s, p, X, nrow, ncol, y, &mean, d);
    if (rc == 0) rc = fit_model(m, p, &s, ncol, mean, d);
    mats_free(&s);
    return rc;
}

int cpe_gbt_train2(cpe_gbt_t *m0, const cpe_gbt_params_t *p0, const double *y0, cpe_gbt_t *m1,
                   const cpe_gbt_params_t *p1, const double *y1, const double *X, size_t nrow,
                   size_t ncol, cpe_diag_t *d)
{
    memset(m0, 0, sizeof *m0);
    memset(m1, 0, sizeof *m1);
    if (bad_args(p0, X, y0, ncol) || bad_args(p1, X, y1, ncol))
        return cpe_diag_set(d, CPE_EINVAL, "gbt: no data or bad parameters");
    mats_t s;
    double mean;
    int rc = mats_build(&s, p0, X, nrow, ncol, y0, &mean, d);
    if (rc == 0) rc = fit_model(m0, p0, &s, ncol, mean, d);
    if (rc == 0 && mats_fit(&s, p1, y1)) {
        if ((rc = mats_relabel(&s, y1, &mean, d)) == 0) rc = fit_model(m1, p1, &s, ncol, mean, d);
    } else if (rc == 0) {
        rc = cpe_gbt_train(m1, p1, X, nrow, ncol, y1, d);
    }
    mats_free(&s);
    if (rc != 0) {
        cpe_gbt_free(m0);
        cpe_gbt_free(m1);
    }
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
