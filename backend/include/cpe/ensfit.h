/*
 * ensfit.h — the ensemble of the quant and the neural models (issue #20 item 3) in the
 * walk-forward: which rows fit the members, which fit the stacker (stack.h), and the
 * out-of-sample scores of every member, the ensemble, the baselines and the champion on
 * the same rows, with Diebold-Mariano tests.
 *
 * Rows of fold k. T = the fold's training rows (cpe_wf_is_train_row with the longest
 * horizon: the walk-forward's purge and embargo). With t0, t1 the first and last of them
 * and stack_from = t1 - stack_frac (t1 - t0):
 *
 *   | member rows: ts < stack_from - purge, label end <= stack_from | purge | stack rows | purge |
 * test_k
 *
 * the members (the trees' model set, each neural network) are trained on the member rows
 * only, with stack_from as their label cutoff (so their own validation and early stopping
 * stay inside); the stacker is fitted on the stack rows, which no member saw. Nothing is
 * refitted afterwards: the test rows are scored by exactly the members the stacker weighed.
 *
 * Members. Direction: the trees' calibrated p_up and each network's p_up, as logits.
 * Variance of the H-hour log return: the realized-volatility model (the seasonal
 * HAR / GARCH-t / EWMA combination of rvol.h, the champion's cone; absent without 1m
 * data), the GARCH-t and the EWMA forecasts (modelset.h cpe_volfc_t), each network's
 * variance head. A variance member missing on more than 10 % of a fold's stack rows is
 * left out of that fold (weight 0). Quantile outputs of a network are not used yet.
 *
 * Scores per horizon (test rows with a label, 24 trailing hourly returns, every included
 * member and a champion record): per line AUC, Brier, log-loss of p_up; the Gaussian
 * N(0, var) of the log return: CRPS, QLIKE (scores.h), coverage of the 1- and 2-sigma
 * bands (targets 0.683 / 0.954). Lines: each member, the ensemble, the baselines (the base
 * rate of the fold's training rows; const-vol: sd of the last 24 1h returns * sqrt(H)) and
 * the champion: the walk-forward's own records (cpe_wf_run with keep_records: the trees'
 * model set trained on ALL the fold's training rows, p_up and volatility), matched by row
 * and horizon. Diebold-Mariano (scores.h, Newey-West with 2 H hours of rows as lags) of the
 * ensemble's log-loss and QLIKE against the champion's and the baseline's (t < 0: the
 * ensemble is better).
 *
 * Time: the wall time of all folds' training, and the latency of one whole-ensemble
 * prediction (every member and the stacker, all horizons, one row at a time, the trees on
 * one thread as a loaded model) over up to 400 evenly spaced test rows of each fold: p50
 * and p99 of the wall time and of the thread's CPU time.
 *
 * Ownership: plain structs, nothing to free. Threads: one call per process (LibTorch's
 * generator and thread count are global, nn.h).
 */
#ifndef CPE_ENSFIT_H
#define CPE_ENSFIT_H

#include "cpe/error.h"
#include "cpe/modelset.h"
#include "cpe/nn.h"
#include "cpe/nnfit.h"
#include "cpe/prediction.h"
#include "cpe/stack.h"
#include "cpe/walkforward.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_ENS_NVOL 3 /* realized-vol model, GARCH-t, EWMA */
#define CPE_ENS_MAX_DIR (1 + CPE_NN_NARCH)
#define CPE_ENS_MAX_VAR (CPE_ENS_NVOL + CPE_NN_NARCH)
/* lines: the members (trees with the realized-vol model, GARCH-t, EWMA, the networks),
 * the ensemble, the baselines, the champion */
#define CPE_ENS_MAX_LINES (CPE_ENS_NVOL + CPE_NN_NARCH + 3)

typedef struct cpe_ensfit_config {
    cpe_modelset_config_t ms;
    unsigned nn_mask; /* 1 << cpe_nn_arch_t */
    cpe_nnfit_config_t nn[CPE_NN_NARCH];
    double stack_frac; /* 0.25 */
    double l2;         /* the direction stacker's penalty (1e-3) */
} cpe_ensfit_config_t;

void cpe_ensfit_config_default(cpe_ensfit_config_t *c, const cpe_modelset_config_t *ms,
                               unsigned nn_mask);

typedef struct cpe_ens_line {
    char name[24];
    int has_dir, has_var;
    double auc, brier, logloss;
    double crps, qlike, cov1, cov2;
} cpe_ens_line_t;

typedef struct cpe_ens_h {
    int horizon_h;
    size_t n; /* scored rows */
    int n_lines;
    cpe_ens_line_t line[CPE_ENS_MAX_LINES];
    /* Diebold-Mariano of the ensemble vs the champion / the baseline: t, p (two-sided) */
    double dm_ll_champ[2], dm_ll_base[2], dm_ql_champ[2], dm_ql_base[2];
    /* stacker weights, means over the folds: direction coefficients and intercept; the
     * variance weights' shares w_j / sum w and their sum; folds with a weight > 0 */
    double w_dir[CPE_ENS_MAX_DIR], b0;
    double w_var[CPE_ENS_MAX_VAR], var_sum;
    int nz_dir[CPE_ENS_MAX_DIR], nz_var[CPE_ENS_MAX_VAR];
} cpe_ens_h_t;

typedef struct cpe_ens_result {
    int n_h, n_folds, n_dir, n_var;
    char dir_name[CPE_ENS_MAX_DIR][16], var_name[CPE_ENS_MAX_VAR][16];
    cpe_ens_h_t h[CPE_MS_MAX_H];
    double train_s;
    /* one whole-ensemble prediction, all horizons, the trees on one thread as served:
     * [0] wall time, [1] the calling thread's CPU time */
    double lat_p50_us[2], lat_p99_us[2];
    size_t lat_n;
} cpe_ens_result_t;

/* The members at serve or evaluation time: the trees' model set and the networks. */
typedef struct cpe_ens_members {
    const cpe_modelset_t *ms;
    const cpe_nn_t *nn[CPE_NN_NARCH];
    int n_nn;
} cpe_ens_members_t;

/* One horizon's stacker: direction over every member (trees, then the networks), variance
 * over the members present on >= 90 % of the labelled stack rows (used[n_used], indices
 * into realized-vol, GARCH-t, EWMA, the networks; the others have weight 0). */
typedef struct cpe_ens_stack_h {
    cpe_stack_dir_t dir;
    cpe_stack_var_t var;
    int n_used, used[CPE_ENS_MAX_VAR];
} cpe_ens_stack_h_t;

typedef struct cpe_ens_stacker {
    int n_h, n_dir, n_var;
    int horizon_h[CPE_MS_MAX_H];
    cpe_ens_stack_h_t h[CPE_MS_MAX_H];
    size_t n_rows;
    int64_t stack_from_ms; /* set by the caller */
} cpe_ens_stacker_t;

/* Split the time-ordered candidate rows[n] into member rows (before stack_from - purge,
 * longest label ending by stack_from) and stack rows (from stack_from = last - frac (last -
 * first)); mem and stk hold n each. */
void cpe_ensfit_split(const cpe_mlview_t *v, const size_t *rows, size_t n, double frac,
                      int64_t purge_ms, int max_h, size_t *mem, size_t *n_mem, size_t *stk,
                      size_t *n_stk, int64_t *stack_from_ms);

/* Fit the stacker of every horizon on rows[n] (stack rows: labels known, unseen by the
 * members). The errors of stack.h prefixed with the horizon. */
int cpe_ensfit_stack(const cpe_mlview_t *v, const cpe_ens_members_t *em, const size_t *rows,
                     size_t n, double l2, cpe_ens_stacker_t *s, cpe_diag_t *d);

/* The ensemble's p_up and variance at one row and horizon from the members' logits zd and
 * variances vv (NaN variance when no variance member is used). */
void cpe_ens_stack_apply(const cpe_ens_stack_h_t *st, const double *zd, const double *vv, double *p,
                         double *var);
/* Variance weight of member j (0 when unused); 1 when network i has a weight > 0 at some
 * horizon (it must be loaded at serve time). */
double cpe_ens_var_weight(const cpe_ens_stack_h_t *h, int j);
int cpe_ens_nn_used(const cpe_ens_stacker_t *s, int i);

/* The registry file ensemble.json (see docs/MODELS_NEURAL.md): the members (names, kind,
 * loaded = a weight > 0 somewhere) and per horizon the direction intercept and weights and
 * the variance weights. member_names: the networks' names. CPE_EIO naming the path. */
int cpe_ensfit_save_json(const cpe_ens_stacker_t *s, const char *const *member_names,
                         const char *path, cpe_diag_t *d);

/* Walk-forward over plan with the champion's records champ[nchamp] (cpe_wf_result_t with
 * keep_records over the same plan). progress (may be NULL) is told each fold. */
int cpe_ensfit_wf(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, const cpe_ensfit_config_t *c,
                  const cpe_prediction_t *champ, size_t nchamp, cpe_ens_result_t *res,
                  void (*progress)(int fold, int n_folds, void *ctx), void *ctx, cpe_diag_t *d);

#endif
