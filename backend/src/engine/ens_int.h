/* ens_int.h — internals of the ensemble walk-forward (ensfit.c: the folds; ensfit_stack.c: the
 * members' forecasts and the stacker; ensfit_score.c: the per-row scores of every line and the
 * Diebold-Mariano tests). */
#ifndef CPE_ENS_INT_H
#define CPE_ENS_INT_H

#include "cpe/ensfit.h"

/* The members' forecasts at rows[n], per row t and horizon k (at = t * nh + k):
 * zd[at * CPE_ENS_MAX_DIR + j] the direction logits, vv[at * CPE_ENS_MAX_VAR + j] the
 * variances (NaN: none), cv[at] the const-vol baseline's variance (NaN without 24 hourly
 * returns). */
typedef struct ens_fc {
    double *zd, *vv, *cv;
} ens_fc_t;

int ens_fc_alloc(ens_fc_t *fc, size_t n, size_t nh);
void ens_fc_free(ens_fc_t *fc);
int ens_forecast_rows(const cpe_mlview_t *v, const cpe_ens_members_t *em, const size_t *rows,
                      size_t n, ens_fc_t *fc, cpe_diag_t *d);

/* The scored rows of one horizon: the outcome and, per line, p_up and variance (NaN when
 * the line has none). */
typedef struct ens_acc {
    size_t n, cap;
    double *y;
    double *p, *var; /* n * CPE_ENS_MAX_LINES */
} ens_acc_t;

int ens_acc_push(ens_acc_t *a, double y, const double *p, const double *var);
void ens_acc_free(ens_acc_t *a);

/* Lines of the table: line[l].name / has_dir / has_var are set by the caller; the scores
 * and the DM tests (lines ens, champ, base) are filled here. rows_per_hour for the lags. */
void ens_acc_finish(const ens_acc_t *a, cpe_ens_h_t *h, int ens, int base, int champ,
                    double rows_per_hour);

#endif
