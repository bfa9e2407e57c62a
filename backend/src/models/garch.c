/* garch.c — maximum-likelihood fit of GARCH/GJR(1,1) (see cpe/garch.h).
 *
 * The optimiser works on an unconstrained vector u (6 values):
 *     mu    = u0
 *     omega = exp(u1)
 *     p     = PMAX * sigmoid(u2)                     persistence alpha + beta + gamma/2
 *     (alpha, gamma/2, beta) = p * softmax(u3, u4, 0)  (GARCH: softmax(u3, 0), gamma = 0)
 *     nu    = 2 + NU_RANGE * sigmoid(u5)              (t only)
 * so every u satisfies the constraints. It minimises f(u) = -loglik / n with BFGS and a
 * backtracking (Armijo) line search; the gradient is the analytic one of garch_lik.c
 * pulled back through the Jacobian of this map. */
#include "cpe/garch.h"

#include <float.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#define PMAX (1.0 - 1e-6)
#define NU_RANGE 498.0
#define NU_ 6        /* size of u */
#define WARM_N 10000 /* sub-sample that starts the fit of long series */

typedef struct problem {
    int kind, dist;
    const double *y; /* scaled returns */
    size_t n;
    double backcast;
} problem_t;

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static int active(const problem_t *pr, int j)
{
    if (j == CPE_GP_GAMMA) return pr->kind == CPE_GJR;
    if (j == CPE_GP_NU) return pr->dist == CPE_DIST_T;
    return 1;
}

/* u -> natural p; J[i][j] = d p_i / d u_j (may be NULL). */
static void to_natural(const problem_t *pr, const double *u, double *p, double J[NU_][NU_])
{
    int gjr = pr->kind == CPE_GJR;
    double s2 = sigmoid(u[2]), pers = PMAX * s2;
    double ea = exp(u[3]), eg = gjr ? exp(u[4]) : 0.0, S = 1.0 + ea + eg;
    double wa = ea / S, wg = eg / S, wb = 1.0 / S;
    p[CPE_GP_MU] = u[0];
    p[CPE_GP_OMEGA] = exp(u[1]);
    p[CPE_GP_ALPHA] = pers * wa;
    p[CPE_GP_GAMMA] = 2.0 * pers * wg;
    p[CPE_GP_BETA] = pers * wb;
    double s5 = sigmoid(u[5]);
    p[CPE_GP_NU] = pr->dist == CPE_DIST_T ? 2.0 + NU_RANGE * s5 : 0.0;
    if (!J) return;
    memset(J, 0, sizeof(double) * NU_ * NU_);
    J[CPE_GP_MU][0] = 1.0;
    J[CPE_GP_OMEGA][1] = p[CPE_GP_OMEGA];
    double dps = 1.0 - s2; /* d pers / d u2 = pers (1 - s2) */
    J[CPE_GP_ALPHA][2] = p[CPE_GP_ALPHA] * dps;
    J[CPE_GP_GAMMA][2] = p[CPE_GP_GAMMA] * dps;
    J[CPE_GP_BETA][2] = p[CPE_GP_BETA] * dps;
    /* softmax: d w_i / d u_k = w_i (delta_ik - w_k) */
    J[CPE_GP_ALPHA][3] = p[CPE_GP_ALPHA] * (1.0 - wa);
    J[CPE_GP_GAMMA][3] = -p[CPE_GP_GAMMA] * wa;
    J[CPE_GP_BETA][3] = -p[CPE_GP_BETA] * wa;
    if (gjr) {
        J[CPE_GP_ALPHA][4] = -p[CPE_GP_ALPHA] * wg;
        J[CPE_GP_GAMMA][4] = p[CPE_GP_GAMMA] * (1.0 - wg);
        J[CPE_GP_BETA][4] = -p[CPE_GP_BETA] * wg;
    }
    if (pr->dist == CPE_DIST_T) J[CPE_GP_NU][5] = NU_RANGE * s5 * (1.0 - s5);
}

/* natural p -> u (for start values); clamps into the interior. */
static void to_unconstrained(const problem_t *pr, const double *p, double *u)
{
    double a = fmax(p[CPE_GP_ALPHA], 1e-4), b = fmax(p[CPE_GP_BETA], 1e-4);
    double g2 = pr->kind == CPE_GJR ? fmax(0.5 * p[CPE_GP_GAMMA], 1e-4) : 0.0;
    double pers = fmin(a + b + g2, 0.999 * PMAX) / PMAX;
    u[0] = p[CPE_GP_MU];
    u[1] = log(fmax(p[CPE_GP_OMEGA], 1e-12));
    u[2] = log(pers / (1.0 - pers));
    u[3] = log(a / b);
    u[4] = pr->kind == CPE_GJR ? log(g2 / b) : 0.0;
    double nu = pr->dist == CPE_DIST_T ? fmin(fmax(p[CPE_GP_NU], 2.1), 400.0) : 8.0;
    double s = (nu - 2.0) / NU_RANGE;
    u[5] = log(s / (1.0 - s));
}

/* f(u) = -loglik/n and, if g, its gradient in u. */
static double objective(const problem_t *pr, const double *u, double *g)
{
    double p[CPE_GP_COUNT], gp[CPE_GP_COUNT], J[NU_][NU_];
    to_natural(pr, u, p, g ? J : NULL);
    double ll =
        cpe_garch_loglik(pr->kind, pr->dist, p, pr->y, pr->n, pr->backcast, g ? gp : NULL, NULL);
    if (!isfinite(ll)) return INFINITY;
    double inv_n = 1.0 / (double)pr->n;
    if (g)
        for (int j = 0; j < NU_; j++) {
            double s = 0;
            for (int i = 0; i < CPE_GP_COUNT; i++)
                s += J[i][j] * gp[i];
            g[j] = active(pr, j == 4 ? CPE_GP_GAMMA : j == 5 ? CPE_GP_NU : 0) ? -s * inv_n : 0.0;
        }
    return -ll * inv_n;
}

static double max_abs(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

/* BFGS on u. H (in/out) is the inverse-Hessian approximation: identity on entry unless
 * `warm` (then it is used as given and not rescaled). Returns iterations; *conv set when
 * max|g| < tol. */
static int bfgs(const problem_t *pr, double *u, double H[NU_][NU_], int warm, int max_iter,
                double tol, int *conv, double *fout)
{
    double g[NU_], gn[NU_], un[NU_], d[NU_], s[NU_], y[NU_];
    if (!warm)
        for (int i = 0; i < NU_; i++)
            for (int j = 0; j < NU_; j++)
                H[i][j] = i == j ? 1.0 : 0.0;
    double f = objective(pr, u, g);
    int it = 0, first = !warm;
    *conv = 0;
    for (; it < max_iter; it++) {
        if (max_abs(g, NU_) < tol) {
            *conv = 1;
            break;
        }
        double gd = 0;
        for (int i = 0; i < NU_; i++) {
            d[i] = 0;
            for (int j = 0; j < NU_; j++)
                d[i] -= H[i][j] * g[j];
            gd += d[i] * g[i];
        }
        if (!(gd < 0)) { /* not a descent direction: restart from steepest descent */
            memset(H, 0, sizeof(double) * NU_ * NU_);
            for (int i = 0; i < NU_; i++) {
                H[i][i] = 1.0;
                d[i] = -g[i];
            }
            gd = 0;
            for (int i = 0; i < NU_; i++)
                gd += d[i] * g[i];
            first = 1;
        }
        /* keep the first trial step within a unit box in u */
        double step = 1.0, dm = max_abs(d, NU_);
        if (dm * step > 2.0) step = 2.0 / dm;
        double fn = INFINITY;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++) {
            for (int i = 0; i < NU_; i++)
                un[i] = u[i] + step * d[i];
            fn = objective(pr, un, gn);
            if (isfinite(fn) && fn <= f + 1e-4 * step * gd) {
                ok = 1;
                break;
            }
            step *= 0.5;
        }
        if (!ok) { /* no decrease possible at this precision */
            if (max_abs(g, NU_) < 10.0 * tol) *conv = 1;
            break;
        }
        double sy = 0, yy = 0;
        for (int i = 0; i < NU_; i++) {
            s[i] = un[i] - u[i];
            y[i] = gn[i] - g[i];
            sy += s[i] * y[i];
            yy += y[i] * y[i];
        }
        double fprev = f;
        memcpy(u, un, sizeof un);
        memcpy(g, gn, sizeof gn);
        f = fn;
        if (sy > 1e-16 * sqrt(yy) * max_abs(s, NU_) && sy > 0) {
            if (first) { /* scale the initial inverse Hessian (Nocedal & Wright 6.20) */
                double c = sy / yy;
                for (int i = 0; i < NU_; i++)
                    for (int j = 0; j < NU_; j++)
                        H[i][j] = i == j ? c : 0.0;
                first = 0;
            }
            /* H <- (I - rho s y') H (I - rho y s') + rho s s' */
            double rho = 1.0 / sy, Hy[NU_], yHy = 0;
            for (int i = 0; i < NU_; i++) {
                Hy[i] = 0;
                for (int j = 0; j < NU_; j++)
                    Hy[i] += H[i][j] * y[j];
                yHy += y[i] * Hy[i];
            }
            for (int i = 0; i < NU_; i++)
                for (int j = 0; j < NU_; j++)
                    H[i][j] += -rho * (Hy[i] * s[j] + s[i] * Hy[j]) +
                               (rho * rho * yHy + rho) * s[i] * s[j];
        }
        if (fabs(fprev - f) < 1e-15 * fmax(1.0, fabs(f)) && max_abs(g, NU_) < 10.0 * tol) {
            *conv = 1;
            it++;
            break;
        }
    }
    if (!*conv && max_abs(g, NU_) < tol) *conv = 1;
    *fout = f;
    return it;
}

/* Cholesky inverse of the k x k SPD matrix a (in place). Returns 0 or -1. */
static int spd_inverse(double *a, int k)
{
    double L[NU_ * NU_] = {0}, inv[NU_ * NU_] = {0};
    for (int j = 0; j < k; j++) {
        double s = a[j * k + j];
        for (int m = 0; m < j; m++)
            s -= L[j * k + m] * L[j * k + m];
        if (!(s > 0)) return -1;
        L[j * k + j] = sqrt(s);
        for (int i = j + 1; i < k; i++) {
            double t = a[i * k + j];
            for (int m = 0; m < j; m++)
                t -= L[i * k + m] * L[j * k + m];
            L[i * k + j] = t / L[j * k + j];
        }
    }
    for (int c = 0; c < k; c++) { /* solve L L' x = e_c */
        double z[NU_];
        for (int i = 0; i < k; i++) {
            double t = i == c ? 1.0 : 0.0;
            for (int m = 0; m < i; m++)
                t -= L[i * k + m] * z[m];
            z[i] = t / L[i * k + i];
        }
        for (int i = k - 1; i >= 0; i--) {
            double t = z[i];
            for (int m = i + 1; m < k; m++)
                t -= L[m * k + i] * inv[m * k + c];
            inv[i * k + c] = t / L[i * k + i];
        }
    }
    memcpy(a, inv, sizeof(double) * (size_t)(k * k));
    return 0;
}

/* Standard errors (natural, scaled units) from the inverse of minus the Hessian, which is
 * taken by forward differences of the analytic gradient. se[] NaN on failure. */
static void std_errors(const problem_t *pr, const double *p, double *se)
{
    int idx[CPE_GP_COUNT], k = 0;
    for (int j = 0; j < CPE_GP_COUNT; j++) {
        se[j] = NAN;
        if (active(pr, j)) idx[k++] = j;
    }
    double g0[CPE_GP_COUNT], g1[CPE_GP_COUNT], Hm[NU_ * NU_];
    cpe_garch_loglik(pr->kind, pr->dist, p, pr->y, pr->n, pr->backcast, g0, NULL);
    for (int b = 0; b < k; b++) {
        double q[CPE_GP_COUNT];
        memcpy(q, p, sizeof q);
        int j = idx[b];
        double h = 1e-5 * fmax(fabs(p[j]), 1e-2);
        q[j] += h;
        double ll = cpe_garch_loglik(pr->kind, pr->dist, q, pr->y, pr->n, pr->backcast, g1, NULL);
        if (!isfinite(ll)) return;
        for (int a = 0; a < k; a++)
            Hm[a * k + b] = -(g1[idx[a]] - g0[idx[a]]) / h;
    }
    for (int a = 0; a < k; a++) /* symmetrise */
        for (int b = a + 1; b < k; b++) {
            double m = 0.5 * (Hm[a * k + b] + Hm[b * k + a]);
            Hm[a * k + b] = Hm[b * k + a] = m;
        }
    if (spd_inverse(Hm, k) != 0) return;
    for (int a = 0; a < k; a++)
        se[idx[a]] = Hm[a * k + a] > 0 ? sqrt(Hm[a * k + a]) : NAN;
}

void cpe_garch_opts_default(cpe_garch_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->kind = CPE_GARCH;
    o->dist = CPE_DIST_T;
    o->scale = 0.0;
    o->max_iter = 200;
    o->grad_tol = 1e-6;
    o->std_errors = 1;
    o->start = NULL;
}

/* Sample mean and variance (two-pass). */
static void moments(const double *r, size_t n, double *mean, double *var)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += r[i];
    double m = s / (double)n, v = 0;
    for (size_t i = 0; i < n; i++)
        v += (r[i] - m) * (r[i] - m);
    *mean = m;
    *var = v / (double)n;
}

static int check_input(const double *r, size_t n, size_t min_n, cpe_diag_t *d)
{
    if (!r && n) return cpe_diag_set(d, CPE_EINVAL, "no returns given");
    if (n < min_n)
        return cpe_diag_set(d, CPE_EDATA, "%zu returns: at least %zu are needed for the fit", n,
                            min_n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(r[i]))
            return cpe_diag_set(d, CPE_EINVAL, "return %zu is not a finite number", i + 1);
    return 0;
}

static double auto_scale(double sd)
{
    /* the power of ten that puts sd in [1, 10) */
    return pow(10.0, -floor(log10(sd)));
}

int cpe_garch_fit(const double *r, size_t n, const cpe_garch_opts_t *o, cpe_garch_t *out,
                  cpe_diag_t *d)
{
    cpe_garch_opts_t def;
    if (!o) {
        cpe_garch_opts_default(&def);
        o = &def;
    }
    int rc = check_input(r, n, CPE_GARCH_MIN_OBS, d);
    if (rc) return rc;
    if ((o->kind != CPE_GARCH && o->kind != CPE_GJR) ||
        (o->dist != CPE_DIST_NORMAL && o->dist != CPE_DIST_T))
        return cpe_diag_set(d, CPE_EINVAL, "unknown GARCH kind %d or distribution %d", o->kind,
                            o->dist);
    double mean, var;
    moments(r, n, &mean, &var);
    if (!(var > 0) || !isfinite(var))
        return cpe_diag_set(d, CPE_EDATA, "the %zu returns have zero variance", n);
    double scale = o->scale > 0 ? o->scale : auto_scale(sqrt(var));
    double *y = malloc(n * sizeof *y);
    if (!y) return cpe_diag_set(d, CPE_ENOMEM, "out of memory for %zu returns", n);
    for (size_t i = 0; i < n; i++)
        y[i] = r[i] * scale;
    problem_t pr = {o->kind, o->dist, y, n, var * scale * scale};

    /* start: the caller's, or the best of a few typical points */
    double u[NU_], p[CPE_GP_COUNT], p_start[CPE_GP_COUNT];
    if (o->start) {
        double ps[CPE_GP_COUNT];
        memcpy(ps, o->start, sizeof ps);
        ps[CPE_GP_MU] *= scale;
        ps[CPE_GP_OMEGA] *= scale * scale;
        to_unconstrained(&pr, ps, u);
        memcpy(p_start, ps, sizeof ps);
    } else {
        static const double starts[][3] = {
            {0.05, 0.0, 0.90}, {0.10, 0.0, 0.80}, {0.03, 0.0, 0.96}, {0.15, 0.0, 0.50}};
        double best = INFINITY;
        for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
            double a = starts[s][0], b = starts[s][2];
            double g = o->kind == CPE_GJR ? a : 0.0;
            if (o->kind == CPE_GJR) a *= 0.5;
            double ps[CPE_GP_COUNT] = {mean * scale, pr.backcast * (1.0 - a - b - 0.5 * g), a, g, b,
                                       8.0};
            double us[NU_];
            to_unconstrained(&pr, ps, us);
            double f = objective(&pr, us, NULL);
            if (f < best) {
                best = f;
                memcpy(u, us, sizeof us);
                memcpy(p_start, ps, sizeof ps);
            }
        }
        if (!isfinite(best)) {
            free(y);
            return cpe_diag_set(d, CPE_EDATA, "no finite likelihood at any start value");
        }
    }
    int conv = 0, iters = 0, max_iter = o->max_iter > 0 ? o->max_iter : 200;
    double f = 0, tol = o->grad_tol > 0 ? o->grad_tol : 1e-6, H[NU_][NU_];
    int warm = 0;
    if (n > 2 * WARM_N && !o->start) {
        /* long series: fit the last WARM_N returns first; their optimum and inverse Hessian
         * (of the mean log-likelihood, so comparable) start the full fit near the answer */
        problem_t sub = pr;
        double m2, v2;
        sub.y = y + (n - WARM_N);
        sub.n = WARM_N;
        moments(sub.y, WARM_N, &m2, &v2);
        sub.backcast = v2;
        iters = bfgs(&sub, u, H, 0, max_iter, tol, &conv, &f);
        warm = conv;
        if (!conv) to_unconstrained(&pr, p_start, u); /* not trusted: start afresh */
    }
    iters += bfgs(&pr, u, H, warm, max_iter, tol, &conv, &f);
    to_natural(&pr, u, p, NULL);
    double se[CPE_GP_COUNT];
    for (int j = 0; j < CPE_GP_COUNT; j++)
        se[j] = NAN;
    if (o->std_errors) std_errors(&pr, p, se);
    double last_h = 0;
    double ll = cpe_garch_loglik(pr.kind, pr.dist, p, y, n, pr.backcast, NULL, &last_h);
    free(y);

    memset(out, 0, sizeof *out);
    double s2 = scale * scale;
    out->kind = o->kind;
    out->dist = o->dist;
    out->mu = p[CPE_GP_MU] / scale;
    out->omega = p[CPE_GP_OMEGA] / s2;
    out->alpha = p[CPE_GP_ALPHA];
    out->gamma = o->kind == CPE_GJR ? p[CPE_GP_GAMMA] : 0.0;
    out->beta = p[CPE_GP_BETA];
    out->nu = o->dist == CPE_DIST_T ? p[CPE_GP_NU] : 0.0;
    out->se_mu = se[CPE_GP_MU] / scale;
    out->se_omega = se[CPE_GP_OMEGA] / s2;
    out->se_alpha = se[CPE_GP_ALPHA];
    out->se_gamma = se[CPE_GP_GAMMA];
    out->se_beta = se[CPE_GP_BETA];
    out->se_nu = se[CPE_GP_NU];
    out->loglik = ll + (double)n * log(scale); /* density of r = scale * density of y */
    out->backcast = var;
    out->last_h = last_h / s2;
    out->scale = scale;
    out->n_obs = (int)n;
    out->converged = conv && isfinite(ll);
    out->iterations = iters;
    out->fallback = 0;
    out->ewma_lambda = 0.0;
    return 0;
}

int cpe_ewma_fit(const double *r, size_t n, double lambda, cpe_garch_t *out, cpe_diag_t *d)
{
    int rc = check_input(r, n, 2, d);
    if (rc) return rc;
    if (!(lambda > 0 && lambda < 1))
        return cpe_diag_set(d, CPE_EINVAL, "EWMA lambda %g is not in (0, 1)", lambda);
    double mean, var;
    moments(r, n, &mean, &var);
    if (!(var > 0)) return cpe_diag_set(d, CPE_EDATA, "the %zu returns have zero variance", n);
    memset(out, 0, sizeof *out);
    out->kind = CPE_GARCH;
    out->dist = CPE_DIST_NORMAL;
    out->alpha = 1.0 - lambda;
    out->beta = lambda;
    out->se_mu = out->se_omega = out->se_alpha = out->se_gamma = out->se_beta = out->se_nu = NAN;
    out->backcast = var;
    out->scale = 1.0;
    out->n_obs = (int)n;
    out->fallback = 1;
    out->ewma_lambda = lambda;
    double p[CPE_GP_COUNT] = {0, 0, out->alpha, 0, out->beta, 0};
    out->loglik = cpe_garch_loglik(CPE_GARCH, CPE_DIST_NORMAL, p, r, n, var, NULL, &out->last_h);
    return 0;
}

int cpe_garch_fit_or_ewma(const double *r, size_t n, const cpe_garch_opts_t *o, cpe_garch_t *out,
                          cpe_diag_t *d)
{
    cpe_diag_t fd = {0, ""};
    int rc = cpe_garch_fit(r, n, o, out, &fd);
    if (rc == 0 && out->converged) return 0;
    rc = cpe_ewma_fit(r, n, CPE_EWMA_LAMBDA, out, d);
    if (rc == 0 && d) /* keep why GARCH was not used */
        cpe_diag_set(d, 0, "EWMA fallback: %s", fd.code ? fd.msg : "GARCH fit did not converge");
    return rc;
}
