/* stack.c — the ensemble stacker: non-negative logistic weights over the members' logits and
 * QLIKE-minimising non-negative weights over their variances (see cpe/stack.h). */
#include "cpe/stack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_ROWS 16

double cpe_stack_logit(double p)
{
    if (!(p >= 1e-6)) p = 1e-6; /* NaN too */
    if (p > 1 - 1e-6) p = 1 - 1e-6;
    return log(p / (1 - p));
}

static double sigmoid(double x)
{
    return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

/* log(1 + e^x) without overflow */
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static int check_rows(const double *a, size_t n, int m, int positive, const char *what,
                      cpe_diag_t *d)
{
    if (!a || m < 1 || m > CPE_STACK_MAX_M)
        return cpe_diag_set(d, CPE_EINVAL, "stack: %s: %d members (1..%d)", what, m,
                            CPE_STACK_MAX_M);
    if (n < MIN_ROWS)
        return cpe_diag_set(d, CPE_EDATA, "stack: %s: %zu rows (need %d)", what, n, MIN_ROWS);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double x = a[i * (size_t)m + (size_t)j];
            if (!isfinite(x) || (positive && !(x > 0)))
                return cpe_diag_set(d, CPE_EINVAL, "stack: %s: row %zu member %d is %g", what, i, j,
                                    x);
        }
    return 0;
}

/* Mean log-loss of the rows for linear predictors eta[n]. */
static double mean_logloss(const double *eta, const unsigned char *up, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += softplus(eta[i]) - (up[i] ? eta[i] : 0);
    return s / (double)n;
}

int cpe_stack_fit_dir(const double *z, size_t n, int m, const unsigned char *up, double l2,
                      cpe_stack_dir_t *s, cpe_diag_t *d)
{
    memset(s, 0, sizeof *s);
    int rc = check_rows(z, n, m, 0, "direction", d);
    if (rc) return rc;
    if (!up || !(l2 >= 0)) return cpe_diag_set(d, CPE_EINVAL, "stack: direction: l2 %g", l2);
    size_t nup = 0;
    for (size_t i = 0; i < n; i++)
        nup += up[i] != 0;
    if (nup == 0 || nup == n)
        return cpe_diag_set(d, CPE_EDATA, "stack: direction: all %zu rows in one class", n);
    double *eta = malloc(n * sizeof *eta);
    if (!eta) return cpe_diag_set(d, CPE_ENOMEM, "stack: out of memory");
    s->m = m;
    s->b0 = log((double)nup / (double)(n - nup));
    double bound[CPE_STACK_MAX_M + 1];
    bound[0] = 0.25;
    for (int j = 0; j < m; j++) {
        double q = 0;
        for (size_t i = 0; i < n; i++)
            q += z[i * (size_t)m + (size_t)j] * z[i * (size_t)m + (size_t)j];
        bound[j + 1] = 0.25 * q / (double)n + l2;
    }
    for (size_t i = 0; i < n; i++)
        eta[i] = s->b0;
    for (s->sweeps = 1; s->sweeps <= 2000; s->sweeps++) {
        double moved = 0;
        for (int j = -1; j < m; j++) { /* j = -1: the intercept */
            double g = 0;
            for (size_t i = 0; i < n; i++) {
                double x = j < 0 ? 1 : z[i * (size_t)m + (size_t)j];
                g += (sigmoid(eta[i]) - (up[i] ? 1 : 0)) * x;
            }
            g /= (double)n;
            double *c = j < 0 ? &s->b0 : &s->w[j];
            if (j >= 0) g += l2 * *c;
            if (!(bound[j + 1] > 0)) continue; /* an all-zero column: its weight stays 0 */
            double nc = *c - g / bound[j + 1];
            if (j >= 0 && nc < 0) nc = 0;
            double delta = nc - *c;
            if (delta == 0) continue;
            *c = nc;
            for (size_t i = 0; i < n; i++)
                eta[i] += delta * (j < 0 ? 1 : z[i * (size_t)m + (size_t)j]);
            if (fabs(delta) > moved) moved = fabs(delta);
        }
        if (moved < 1e-9) break;
    }
    s->logloss = mean_logloss(eta, up, n);
    free(eta);
    return 0;
}

double cpe_stack_dir_p(const cpe_stack_dir_t *s, const double *z)
{
    double eta = s->b0;
    for (int j = 0; j < s->m; j++)
        eta += s->w[j] * z[j];
    return sigmoid(eta);
}

/* F(a) of the header and its gradient (grad may be NULL). */
static double var_obj(const double *v, size_t n, int m, const double *y2, const double *a,
                      double *grad)
{
    double sy = 0, sl = 0, gy[CPE_STACK_MAX_M] = {0}, gl[CPE_STACK_MAX_M] = {0};
    for (size_t i = 0; i < n; i++) {
        const double *vi = v + i * (size_t)m;
        double g = 0;
        for (int j = 0; j < m; j++)
            g += a[j] * vi[j];
        sy += y2[i] / g;
        sl += log(g);
        if (grad)
            for (int j = 0; j < m; j++) {
                gy[j] += y2[i] * vi[j] / (g * g);
                gl[j] += vi[j] / g;
            }
    }
    if (grad)
        for (int j = 0; j < m; j++)
            grad[j] = -gy[j] / sy + gl[j] / (double)n;
    return log(sy / (double)n) + sl / (double)n;
}

/* Euclidean projection of x[m] onto the simplex (sort-free: m is small). */
static void simplex_project(double *x, int m)
{
    double u[CPE_STACK_MAX_M];
    memcpy(u, x, (size_t)m * sizeof *u);
    for (int i = 1; i < m; i++) /* insertion sort, descending */
        for (int k = i; k > 0 && u[k] > u[k - 1]; k--) {
            double t = u[k];
            u[k] = u[k - 1];
            u[k - 1] = t;
        }
    double cum = 0, theta = 0;
    for (int k = 0; k < m; k++) {
        cum += u[k];
        double t = (cum - 1) / (double)(k + 1);
        if (u[k] - t > 0) theta = t;
    }
    for (int j = 0; j < m; j++)
        x[j] = x[j] - theta > 0 ? x[j] - theta : 0;
}

int cpe_stack_fit_var(const double *v, size_t n, int m, const double *y2, cpe_stack_var_t *s,
                      cpe_diag_t *d)
{
    memset(s, 0, sizeof *s);
    int rc = check_rows(v, n, m, 1, "variance", d);
    if (rc) return rc;
    if (!y2) return cpe_diag_set(d, CPE_EINVAL, "stack: variance: no outcomes");
    for (size_t i = 0; i < n; i++)
        if (!(y2[i] >= 0) || !isfinite(y2[i]))
            return cpe_diag_set(d, CPE_EINVAL, "stack: variance: outcome %zu is %g", i, y2[i]);
    s->m = m;
    double a[CPE_STACK_MAX_M], g[CPE_STACK_MAX_M], t[CPE_STACK_MAX_M];
    for (int j = 0; j < m; j++)
        a[j] = 1.0 / m;
    double F = var_obj(v, n, m, y2, a, g), step = 1;
    for (s->steps = 1; s->steps <= 500; s->steps++) {
        double Fn = F;
        for (int tries = 0; tries < 60; tries++) {
            double dec = 0;
            for (int j = 0; j < m; j++)
                t[j] = a[j] - step * g[j];
            simplex_project(t, m);
            for (int j = 0; j < m; j++)
                dec += g[j] * (a[j] - t[j]);
            Fn = var_obj(v, n, m, y2, t, NULL);
            if (Fn <= F - 1e-4 * dec) break; /* Armijo */
            step *= 0.5;
        }
        if (!(Fn < F)) break;
        double moved = F - Fn;
        memcpy(a, t, sizeof a);
        F = var_obj(v, n, m, y2, a, g);
        step *= 4; /* let the step grow back */
        if (moved < 1e-12) break;
    }
    double sy = 0, ql = 0;
    for (size_t i = 0; i < n; i++) {
        double gi = 0;
        for (int j = 0; j < m; j++)
            gi += a[j] * v[i * (size_t)m + (size_t)j];
        sy += y2[i] / gi;
    }
    double c = sy / (double)n;
    if (!(c > 0)) c = 1e-300; /* every outcome 0: any scale is optimal, keep it tiny */
    for (int j = 0; j < m; j++)
        s->w[j] = c * a[j];
    for (size_t i = 0; i < n; i++)
        ql +=
            log(cpe_stack_var(s, v + i * (size_t)m)) + y2[i] / cpe_stack_var(s, v + i * (size_t)m);
    s->qlike = ql / (double)n;
    return 0;
}

double cpe_stack_var(const cpe_stack_var_t *s, const double *v)
{
    double f = 0;
    for (int j = 0; j < s->m; j++)
        f += s->w[j] * v[j];
    return f;
}
