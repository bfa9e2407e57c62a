/*
 * gbt.h — gradient-boosted trees: a thin, safe wrapper over the XGBoost 1.7 C API.
 *
 * Model. A cpe_gbt_t is one booster: a binary classifier (objective binary:logistic,
 * output P(y = 1)) or a regressor (reg:squarederror, output E[y]). Inputs are row-major
 * double matrices with NaN = missing (trees route missing values natively); they are
 * converted to float (XGBoost's internal type) on the way in.
 *
 * Training (cpe_gbt_train). The defaults are the leaf-wise set-up the spec asks for:
 * tree_method=hist (NOT XGBoost 1.7's default: set explicitly), grow_policy=lossguide,
 * max_leaves=31, max_depth=0, eta=0.05, up to 500 rounds, nthread=2, seed fixed.
 * The C API has no early stopping, so it is done here: rows must be in time order; the
 * last `valid_frac` of them form a validation set, `gap_rows` rows just before it are
 * dropped (a purge, so that label windows of the fitting rows do not overlap the
 * validation rows), and boosting stops when the validation loss (logloss / rmse) has
 * not improved for `early_stop_rounds` rounds. The booster is then cut to its best round
 * (XGBoosterSlice), so predictions use exactly best_rounds trees. The validation rows
 * are never fitted; m->valid_from is their first row index, so a caller may reuse them
 * (e.g. to fit a calibrator) knowing they are held out from the trees.
 *
 * Cancel. With p->cancel set, the flag is read before every boosting round (one round on a
 * year of 5-minute rows is a few ms), so a cancelled training gives its core back within
 * one round (test_gbt_cancel_stops_between_rounds).
 *
 * Persistence. cpe_gbt_save / cpe_gbt_load write/read XGBoost's JSON model format
 * (a file of its own, see registry.h). A loaded model reproduces the saved model's
 * predictions bit for bit (tested).
 *
 * SHAP. cpe_gbt_contribs returns TreeSHAP contributions (XGBoost pred_contribs, type 2):
 * ncol + 1 values per row, the last being the bias; they sum to the MARGIN (log-odds for
 * the classifier, the prediction itself for the regressor).
 *
 * Ownership. The caller owns the cpe_gbt_t struct; cpe_gbt_free releases the booster
 * (free of a zeroed or freed struct is a no-op). All output buffers are caller-owned:
 * XGBoost's own result buffers are copied before returning.
 *
 * Threads. XGBoost 1.7 predictions on one booster may run concurrently from several
 * threads (cpe_gbt_predict, cpe_gbt_contribs). Training, loading, freeing, and any
 * parameter change must not overlap any other call on the same model: a server swaps in
 * a freshly trained model (trained on its own cpe_gbt_t) under its own lock instead of
 * retraining the live one. Different cpe_gbt_t objects are independent.
 */
#ifndef CPE_GBT_H
#define CPE_GBT_H

#include "cpe/error.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cpe_gbt_objective { CPE_GBT_BINARY = 0, CPE_GBT_REGRESSION = 1 } cpe_gbt_objective_t;

typedef struct cpe_gbt_params {
    cpe_gbt_objective_t objective;
    double eta;              /* learning rate, 0.05 */
    int max_leaves;          /* 31 */
    int max_depth;           /* 0 = unlimited (lossguide) */
    int max_rounds;          /* 500 */
    int early_stop_rounds;   /* 20; 0 disables early stopping (trains max_rounds) */
    double valid_frac;       /* 0.2: the last 20 % of rows validate */
    size_t gap_rows;         /* rows dropped between the fitting and validation rows */
    double min_child_weight; /* 20: leaves need some mass; returns are noisy */
    double subsample;        /* 0.8 */
    double colsample;        /* 0.8 (per tree) */
    double lambda;           /* L2 on leaf weights, 1 */
    int max_bin;             /* 64: histogram bins; 256 costs 1.5-3x per round here */
    int nthread;             /* 2 */
    uint64_t seed;           /* 42 */
    /* Cancel hook (NULL: none; keep it the LAST member: the walk-forward cache hashes the
     * bytes before it). Read between boosting rounds: once *cancel != 0 the training stops
     * before the next round and returns CPE_ECANCELED with no model. Not a parameter of the
     * model: never saved, never part of a configuration's identity. */
    const atomic_int *cancel;
} cpe_gbt_params_t;

typedef struct cpe_gbt {
    void *booster; /* BoosterHandle; NULL when empty */
    cpe_gbt_objective_t objective;
    size_t n_features;
    int best_rounds;        /* trees kept (after early stopping) */
    double best_valid_loss; /* validation logloss/rmse at best_rounds (NaN without a valid set) */
    size_t valid_from;      /* first validation row index (n rows when none) */
    size_t n_train;         /* rows actually fitted */
} cpe_gbt_t;

void cpe_gbt_params_default(cpe_gbt_params_t *p, cpe_gbt_objective_t objective);

/* Train on X[nrow*ncol] (row-major, time-ordered) with targets y[nrow] (0/1 for BINARY).
 * Rows whose y is NaN are skipped. m must be zeroed or freed. CPE_EDATA when too few rows
 * remain (< 50 fitting rows), CPE_EMODEL with XGBoost's message in d on library errors,
 * CPE_ECANCELED (m left empty) when p->cancel was set during the training. */
int cpe_gbt_train(cpe_gbt_t *m, const cpe_gbt_params_t *p, const double *X, size_t nrow,
                  size_t ncol, const double *y, cpe_diag_t *d);

/* Two models on the same rows X[nrow*ncol] with their own parameters and targets (a
 * horizon's classifier and regressor): the same models, bit for bit, as cpe_gbt_train(m0,
 * p0, .., y0) then cpe_gbt_train(m1, p1, .., y1), but when both select the same fit and
 * validation rows (same split, same rows with a non-NaN target) the XGBoost matrices are
 * built once and relabelled for m1 — with them XGBoost's histogram index (the quantile
 * sketch of every column), which is about a quarter of a training on 5-minute rows. Both
 * models or neither: on error m0 and m1 are left empty. */
int cpe_gbt_train2(cpe_gbt_t *m0, const cpe_gbt_params_t *p0, const double *y0, cpe_gbt_t *m1,
                   const cpe_gbt_params_t *p1, const double *y1, const double *X, size_t nrow,
                   size_t ncol, cpe_diag_t *d);

/* out[nrow]: probability (BINARY) or value (REGRESSION). margin != 0 -> raw margin. */
int cpe_gbt_predict(const cpe_gbt_t *m, const double *X, size_t nrow, int margin, double *out);

/* out[nrow * (n_features + 1)]: SHAP contributions, last column the bias. */
int cpe_gbt_contribs(const cpe_gbt_t *m, const double *X, size_t nrow, double *out);

/* Save/load XGBoost JSON. Load needs the number of features the caller expects (checked). */
int cpe_gbt_save(const cpe_gbt_t *m, const char *path, cpe_diag_t *d);
int cpe_gbt_load(cpe_gbt_t *m, const char *path, size_t n_features, cpe_diag_t *d);

/* Threads of later predictions (a loaded model has 1: single rows, as served). */
int cpe_gbt_set_threads(cpe_gbt_t *m, int n);

void cpe_gbt_free(cpe_gbt_t *m);

#endif
