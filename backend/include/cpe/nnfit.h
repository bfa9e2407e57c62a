/*
 * nnfit.h — the neural models (nn.h) on the feature table: which rows train them, and
 * their walk-forward scores beside the baselines. One rule for `cpe train --neural` and
 * `cpe evaluate --neural`.
 *
 * Rows (cpe_nnfit_train). Of the candidate rows (time-ordered indices into the view) every
 * `sample_every`-th is a sample (neighbouring 5-minute rows are nearly the same sequence);
 * the label of horizon H at row i is y_move(i, H) (modelset.h) when its label end is <=
 * label_cutoff_ms, else missing. As for the trees:
 *   [ fit samples | purge: label end of the longest horizon >= first validation row | valid ]
 * the last `valid_frac` (0.2) of the samples validate (early stopping, nn.h), and a fitting
 * sample's longest-horizon label must end before the first validation row.
 *
 * Walk-forward (cpe_nnfit_wf). The plan of walkforward.h, its purge and embargo
 * (cpe_wf_is_train_row with the longest horizon): per fold one network trained on the
 * fold's training rows, scored on every test row that has a label and 24 trailing hourly
 * returns (the const-vol baseline's input), so the network and its baselines are scored on
 * the same rows:
 *   direction   AUC, Brier, log-loss, accuracy vs the base rate (share of up labels among
 *               the fold's training rows: AUC 0.5 by construction);
 *   magnitude   RMSE of the predicted log return vs the zero forecast;
 *   volatility  Gaussian N(move, var) vs const-vol N(0, sd(last 24 1h returns)^2 H):
 *               CRPS, QLIKE (scores.h) and the coverage of the 1- and 2-sigma bands
 *               (the 15.9-84.1 % and 2.3-97.7 % quantiles, as in walkforward.h); for the
 *               TFT, CRPS (cpe_nn_crps_quantiles) and coverage come from its quantile head
 *               (QLIKE still from its variance head);
 *   quantiles   the mean pinball loss of the 5 levels (nn.h): the TFT's quantile head, the
 *               others' Gaussian quantiles, const-vol's Gaussian quantiles.
 * Also the wall time of training (all folds) and of prediction per row (all horizons).
 *
 * Ownership: plain structs, nothing to free. Threads: one call at a time per process (the
 * LibTorch generator and thread count are global, nn.h).
 */
#ifndef CPE_NNFIT_H
#define CPE_NNFIT_H

#include "cpe/error.h"
#include "cpe/modelset.h"
#include "cpe/nn.h"
#include "cpe/walkforward.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_nnfit_config {
    cpe_nn_params_t nn; /* horizons filled from the model set's config */
    int sample_every;   /* 3: one sample per 15 minutes of 5-minute rows */
    double valid_frac;  /* 0.2 */
} cpe_nnfit_config_t;

/* nn defaults of arch, horizons from ms (the universe's, never literals). */
void cpe_nnfit_config_default(cpe_nnfit_config_t *c, cpe_nn_arch_t arch,
                              const cpe_modelset_config_t *ms);

/* Train m on the candidate rows[nrows] of v (see the top comment). CPE_EDATA when too few
 * samples remain; the errors of cpe_nn_train. */
int cpe_nnfit_train(cpe_nn_t *m, const cpe_mlview_t *v, const size_t *rows, size_t nrows,
                    int64_t label_cutoff_ms, const cpe_nnfit_config_t *c, cpe_diag_t *d);

typedef struct cpe_nnfit_scores {
    int horizon_h;
    size_t n;
    double auc, brier, logloss, acc;         /* the network */
    double b_auc, b_brier, b_logloss, b_acc; /* the base rate */
    double move_rmse, zero_rmse;
    double crps, qlike, cov1, cov2;             /* the network's distribution (see above) */
    double cv_crps, cv_qlike, cv_cov1, cv_cov2; /* const-vol (trailing 24 h of 1h returns) */
    double pinball, cv_pinball;                 /* mean pinball loss of the CPE_NN_NQ quantiles */
} cpe_nnfit_scores_t;

typedef struct cpe_nnfit_result {
    cpe_nn_arch_t arch;
    int n_h, n_folds;
    cpe_nnfit_scores_t s[CPE_MS_MAX_H];
    int epochs[CPE_WF_MAX_FOLDS], best_epoch[CPE_WF_MAX_FOLDS];
    double train_s;        /* wall time of all folds' training */
    double predict_us_row; /* wall time per test row, all horizons, in batches */
} cpe_nnfit_result_t;

/* Walk-forward over plan (cpe_wf_make_plan on v), c->purge/embargo as in walkforward.h.
 * progress (may be NULL) is told each fold. */
int cpe_nnfit_wf(const cpe_mlview_t *v, const cpe_wf_plan_t *plan, const cpe_nnfit_config_t *c,
                 cpe_nnfit_result_t *res, void (*progress)(int fold, int n_folds, void *ctx),
                 void *ctx, cpe_diag_t *d);

#endif
