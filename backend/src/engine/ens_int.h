/* ens_int.h — internals of the ensemble walk-forward (ensfit.c: rows, members, stacker;
 * ensfit_score.c: the per-row scores of every line and the Diebold-Mariano tests). */
#ifndef CPE_ENS_INT_H
#define CPE_ENS_INT_H

#include "cpe/ensfit.h"

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
