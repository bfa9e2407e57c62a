/* wf_int.h — the walk-forward's per-horizon score accumulators (wf_score.c), shared with
 * walkforward.c. */
#ifndef CPE_WF_INT_H
#define CPE_WF_INT_H

#include "cpe/modelset.h"
#include "cpe/prediction.h"
#include "cpe/tcone.h"
#include "cpe/walkforward.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_WF_NTAU 199 /* levels of the CRPS integral */

/* Sample standard deviation of r[n] (NaN when n < 2): the const-vol baseline's sigma from
 * the trailing hourly returns (walkforward.c, nnfit.c). */
double wf_sdev(const double *r, size_t n);

/* What one scored row brings beside its record: the outcome y (log return), the model's
 * predictive distribution (has_t: the t cone's parameters th; else the GARCH cone's
 * Gaussian from its record) and the baselines' variances of the H-hour log return
 * (NaN when unavailable; the row then counts for the direction and coverage scores only). */
typedef struct wf_row {
    double y, base_rate;
    int has_t;
    cpe_tcone_h_t th;
    double var_model;
    double b_var[CPE_WF_NBASE];
    double gt_nu; /* nu of the GARCH-t baseline */
    int64_t ts_ms;
} wf_row_t;

typedef struct wf_acc {
    size_t n, cap;
    double *p, *pb, *y;
    double se_move, se_zero;
    size_t in1, in2, cv1, cv2, gn1, gn2, ncone;
    double crps, cv_crps, gn_crps;
    size_t nconf[3], hitconf[3];
    /* distribution scores */
    size_t nd, nd_cap, n_rvol, n_ref1h, b_n[CPE_WF_NBASE];
    double *d_crps, *d_cv; /* per row: model CRPS, the reference's CRPS, for the DM test */
    double crps_q, b_crps[CPE_WF_NBASE], ql, b_ql[CPE_WF_NBASE], mse, b_mse[CPE_WF_NBASE];
    double wk1, wk2, bwk1, bwk2;
    uint64_t pit[10];
    double qt_nu, qt[CPE_WF_NTAU]; /* t quantiles at the fixed level grid for qt_nu */
    int nm;
    int month_key[CPE_WF_MAX_MONTHS];
    size_t month_n[CPE_WF_MAX_MONTHS], month_in1[CPE_WF_MAX_MONTHS], month_in2[CPE_WF_MAX_MONTHS];
} wf_acc_t;

int wf_acc_score(wf_acc_t *a, const cpe_prediction_t *pr, const wf_row_t *row);
void wf_acc_finish(const wf_acc_t *a, int horizon_h, int64_t step_ms, cpe_wf_scores_t *s);
void wf_acc_free(wf_acc_t *a);

#endif
