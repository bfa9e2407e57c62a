/*
 * walkforward.h — walk-forward evaluation (spec 10.2): every score is out of sample.
 *
 * Folds. The data span [start, end) (first row to last row + one step) is cut into
 * `folds` consecutive test windows of test_days, anchored at the END of the data so the
 * latest data is tested and training uses all history before it (folds = 0: as many as
 * fit). For fold k with test window [test_from, test_to):
 *
 *   time ─────────────────────────────────────────────────────────────────────────►
 *   | training rows (expanding from start;  | purge  | test_k   | embargo | ...
 *   |  rolling: the last train_days)        | 24 h   | 7 days   |  6 h    |
 *
 *   - a row is a training row of fold k only if ts < test_from - purge, AND its label end
 *     (ts + H h + 1 min: when its outcome is known) <= test_from, so no label window
 *     straddles training and test (purge);
 *   - rows within embargo_h after the end of any EARLIER test window are never training
 *     rows (embargo): their features (24h returns, 24h volatility) overlap the test window;
 *   - the first fold needs at least train_days of rows before test_from - purge.
 * cpe_wf_is_train_row() is the single rule the run uses; tests check it directly.
 *
 * Scores per horizon over all test rows of all folds, each beside its baselines:
 *   direction  accuracy, AUC, Brier, log-loss, ECE (10 bins), accuracy of the 10 % most
 *              confident — model (calibrated p_up) vs the base rate (share of up labels in
 *              the fold's training rows, a constant probability: AUC 0.5 by construction);
 *   magnitude  RMSE of expected_move vs the zero forecast;
 *   cone       share of realised prices inside the 1-sigma (15.9-84.1 %) and 2-sigma
 *              (2.3-97.7 %) bands, and mean CRPS of the log return, for
 *                model      GARCH-t Monte Carlo cone (cone.h) with the regressor's drift,
 *                           regime adjustment and fitted scales; its CRPS uses a Gaussian
 *                           with mean ln(p500/close) and sd = its `volatility`;
 *                const-vol  lognormal, zero drift, sigma = std(last 24 1h log returns)
 *                           * sqrt(H)  (trailing 24 h realised volatility);
 *                garch-n    lognormal, zero drift, sigma^2 = GARCH(1,1)-normal variance
 *                           forecast summed over H hours (fitted on the fold's training);
 *              baselines' bands are the same quantiles of their Gaussian: +-0.9986 and
 *              +-1.9954 sigma.
 *
 * Records: with keep_records, one cpe_prediction_t per test row and horizon (what the
 * model said then), for `cpe evaluate --out` and the backfill; model_version is
 * "<SYMBOL>-wf-<YYYYMMDD>", the day of the fold's label cutoff (= its test start): a
 * record at t always comes from a model whose training outcomes end before t.
 * With keep_explanations as well, each record also has its explanation JSON (the fold's
 * model set through cpe_modelset_explain, the previous row as "previous bar"): what the
 * model believed then, for the backfill to store beside the record.
 *
 * Ownership: cpe_wf_result_free releases the records and explanations. Threads: one run per thread.
 */
#ifndef CPE_WALKFORWARD_H
#define CPE_WALKFORWARD_H

#include "cpe/buf.h"
#include "cpe/error.h"
#include "cpe/modelset.h"
#include "cpe/prediction.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_WF_MAX_FOLDS 128

typedef struct cpe_wf_config {
    int train_days; /* 30: minimum training span before the first test window */
    int test_days;  /* 7 */
    int purge_h;    /* 24 */
    int embargo_h;  /* 6 */
    int folds;      /* 5 (0 = as many as fit, at most CPE_WF_MAX_FOLDS) */
    int expanding;  /* 1: training grows from the start; 0: rolling train_days */
    int eval_paths; /* Monte Carlo paths per test-row cone (2000) */
    int keep_records;
    int keep_explanations; /* 0; with keep_records: explanation JSON per record */
    int aci;               /* 1: online recalibration of the bands replayed over the test rows */
    double aci_gamma;      /* its step (0.005); outcomes fed: 12 per horizon length */
    char symbol[32];
    cpe_modelset_config_t ms;
} cpe_wf_config_t;

typedef struct cpe_wf_fold {
    int64_t train_from_ms, train_to_ms; /* candidate training rows: [from, to) */
    int64_t test_from_ms, test_to_ms;
    size_t n_train, n_test;
    int cls_rounds[CPE_MS_MAX_H];
} cpe_wf_fold_t;

typedef struct cpe_wf_plan {
    int n;
    cpe_wf_fold_t f[CPE_WF_MAX_FOLDS];
    int expanding;
    int64_t start_ms, purge_ms, embargo_ms, train_ms;
} cpe_wf_plan_t;

/* Baseline forecasts beside the model's predictive distribution (all zero-drift): */
enum {
    CPE_WF_B_CV1M, /* const-vol: variance = realized_var_24h (1m returns) * H / 24, Gaussian */
    CPE_WF_B_CV1H, /* const-vol: sd of the last 24 1h log returns * sqrt(H), Gaussian */
    CPE_WF_B_EWMA, /* RiskMetrics lambda 0.94 on 1h returns, Gaussian */
    CPE_WF_B_GN,   /* GARCH(1,1)-normal on 1h returns, Gaussian */
    CPE_WF_B_GT,   /* GARCH-t (the cone's dynamics) variance, its Student-t */
    CPE_WF_B_HAR,  /* the seasonal log-HAR alone (level from validation), Gaussian */
    CPE_WF_NBASE
};
extern const char *const cpe_wf_base_names[CPE_WF_NBASE];

#define CPE_WF_MAX_MONTHS 36

typedef struct cpe_wf_month {
    int yyyymm;
    size_t n;
    double cov1, cov2;
} cpe_wf_month_t;

typedef struct cpe_wf_scores {
    int horizon_h;
    size_t n;
    /* direction: model / base rate */
    double acc, auc, brier, logloss, ece, top10;
    double b_acc, b_auc, b_brier, b_logloss, b_ece, b_top10;
    double up_share; /* share of up outcomes in the test rows */
    /* magnitude */
    double move_rmse, zero_rmse;
    /* cone: model / const-vol / garch-normal */
    double cov1, cov2, crps;
    double cv_cov1, cv_cov2, cv_crps;
    double gn_cov1, gn_cov2, gn_crps;
    /* confidence mix */
    size_t n_high, n_medium, n_low;
    double acc_high, acc_medium, acc_low;
    /* the predictive distribution (rows where the model and the reference baseline have a
     * forecast; the reference `ref` is const-vol of 1m returns, or of 1h returns for a
     * symbol whose rows have no 1m realized variance — hourly history, dataset.h):
     * crps_q  CRPS of the model's full distribution from 199 quantiles (tcone.h; the
     *         GARCH cone falls back to its Gaussian), b_crps the baselines' closed forms
     *         (NaN for a baseline missing on some of those rows: no 1m data, no HAR);
     * qlike / mse of the variance forecast against y^2; Winkler scores of both bands;
     * PIT histogram; Diebold-Mariano of the model's CRPS against the reference, Newey-West
     * with 2 H hours of rows as lags (dm_stat < 0: the model is better); per month the
     * coverage of both bands; the ACI band levels at the end of the run. */
    size_t n_dist, n_rvol;
    int ref; /* CPE_WF_B_CV1M or CPE_WF_B_CV1H */
    double crps_q, b_crps[CPE_WF_NBASE];
    double qlike, b_qlike[CPE_WF_NBASE], mse, b_mse[CPE_WF_NBASE];
    double winkler1, winkler2, b_winkler1, b_winkler2; /* model, the reference */
    uint64_t pit[10];
    double dm_stat, dm_p;
    int n_months;
    cpe_wf_month_t month[CPE_WF_MAX_MONTHS];
    double aci_a1, aci_a2;
} cpe_wf_scores_t;

typedef struct cpe_wf_result {
    cpe_wf_plan_t plan;
    int n_h;
    cpe_wf_scores_t s[CPE_MS_MAX_H];
    cpe_prediction_t *records; /* n_records, ordered by fold, row, horizon */
    size_t n_records;
    /* keep_explanations: record i's JSON is explain_text.data + explain_off[i] (NUL-ended) */
    cpe_buf_t explain_text;
    size_t *explain_off;
} cpe_wf_result_t;

void cpe_wf_config_default(cpe_wf_config_t *c);

/* Cut [start_ms, end_ms) into folds (see the top comment). CPE_EDATA with a message when
 * not even one fold fits. */
int cpe_wf_make_plan(const cpe_wf_config_t *c, int64_t start_ms, int64_t end_ms, cpe_wf_plan_t *p,
                     cpe_diag_t *d);

/* 1 when a row at ts_ms may train fold k for horizon_h (purge, label end, embargo). */
int cpe_wf_is_train_row(const cpe_wf_plan_t *p, int k, int64_t ts_ms, int horizon_h);

/* Run the evaluation over the rows of v. progress (may be NULL) is told each fold. */
int cpe_wf_run(const cpe_mlview_t *v, const cpe_wf_config_t *c, cpe_wf_result_t *res,
               void (*progress)(int fold, int n_folds, void *ctx), void *ctx, cpe_diag_t *d);

/* The same over a plan the caller made (cpe_wf_make_plan, or one fold of a fixed grid as
 * wfcache.h does): folds are trained and evaluated in plan order, as cpe_wf_run does. */
int cpe_wf_run_plan(const cpe_mlview_t *v, const cpe_wf_config_t *c, const cpe_wf_plan_t *plan,
                    cpe_wf_result_t *res, void (*progress)(int fold, int n_folds, void *ctx),
                    void *ctx, cpe_diag_t *d);

void cpe_wf_result_free(cpe_wf_result_t *r);

#endif
