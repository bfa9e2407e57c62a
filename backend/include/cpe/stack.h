/*
 * stack.h — the ensemble stacker of one horizon (issue #20 item 3): how the members'
 * forecasts are combined. Pure numerics over caller-owned arrays; the rows are chosen by
 * the caller (engine/ensfit.c: validation rows after the members' training rows, never a
 * row a member was fitted on).
 *
 * Direction (cpe_stack_fit_dir). Logistic regression over the members' logits
 * z_j = logit(p_up of member j), an intercept and non-negative coefficients:
 *     p = sigmoid(b0 + sum_j w_j z_j),  w_j >= 0,
 * minimising the mean log-loss + l2/2 sum_j w_j^2 (the intercept is not penalised). A
 * member whose logit does not help gets exactly 0 (a negative weight would say "believe
 * the opposite of this member", which a validation window of a few weeks cannot support).
 * Solved by cyclic coordinate descent with the curvature bound 1/4 sum z_j^2 / n + l2 (a
 * majoriser: every step lowers the objective), clipped at 0, until no coefficient moves
 * by more than 1e-9 or 2000 sweeps.
 *
 * Variance (cpe_stack_fit_var). Non-negative weights on the members' variance forecasts
 *     f = sum_j w_j v_j,  w_j >= 0,
 * minimising the mean QLIKE ln f + y^2 / f (scores.h). Written as f = c g with
 * g = sum_j a_j v_j, a on the simplex: for a fixed a the best scale is c = mean(y^2 / g),
 * leaving F(a) = ln mean(y^2 / g) + mean(ln g); F is minimised by projected gradient
 * (Euclidean projection onto the simplex, which sets weak members to exactly 0) with
 * Armijo backtracking, until F moves by less than 1e-12 or 500 steps; w = c a.
 *
 * Members with zero direction AND zero variance weight at every horizon are not needed
 * at serve time (the caller does not load them).
 *
 * Errors: CPE_EINVAL (m out of 1..CPE_STACK_MAX_M, NULL, a non-finite input naming the
 * row and member, a non-positive variance), CPE_EDATA (fewer than 16 rows, one class only).
 */
#ifndef CPE_STACK_H
#define CPE_STACK_H

#include "cpe/error.h"

#include <stddef.h>

#define CPE_STACK_MAX_M 8

typedef struct cpe_stack_dir {
    int m;
    double b0, w[CPE_STACK_MAX_M];
    double logloss; /* mean log-loss on the fitting rows (without the penalty) */
    int sweeps;
} cpe_stack_dir_t;

typedef struct cpe_stack_var {
    int m;
    double w[CPE_STACK_MAX_M];
    double qlike; /* mean QLIKE on the fitting rows */
    int steps;
} cpe_stack_var_t;

/* z[n * m] the members' logits (row-major), up[n] 0/1. */
int cpe_stack_fit_dir(const double *z, size_t n, int m, const unsigned char *up, double l2,
                      cpe_stack_dir_t *s, cpe_diag_t *d);
/* P(up) for one row's logits z[m]. */
double cpe_stack_dir_p(const cpe_stack_dir_t *s, const double *z);

/* v[n * m] the members' variance forecasts (> 0), y2[n] the squared outcomes (>= 0). */
int cpe_stack_fit_var(const double *v, size_t n, int m, const double *y2, cpe_stack_var_t *s,
                      cpe_diag_t *d);
/* The combined variance of one row's forecasts v[m]. */
double cpe_stack_var(const cpe_stack_var_t *s, const double *v);

/* logit(p) with p clipped to [1e-6, 1 - 1e-6]. */
double cpe_stack_logit(double p);

#endif
