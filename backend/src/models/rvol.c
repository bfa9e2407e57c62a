/* rvol.c — seasonal log-HAR on 1m realized variance, combined with GARCH-t and EWMA, with a
 * Student-t shape (see cpe/rvol.h). */
#include "cpe/rvol.h"

#include "cpe/scores.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define FLOOR 1e-20

const char *const cpe_rvol_columns[CPE_RVC_N] = {
    "realized_var_1h", "realized_var_4h", "realized_var_8h", "realized_var_24h",
    "realized_var_7d", "volume_1h_vs_7d", "volume_24h_vs_7d"};

int cpe_rvol_bind(cpe_rvol_t *m, const char *const *names, size_t ncol, cpe_diag_t *d)
{
    for (int c = 0; c < CPE_RVC_N; c++) {
        m->col[c] = -1;
        for (size_t j = 0; j < ncol; j++)
            if (names[j] && !strcmp(names[j], cpe_rvol_columns[c])) m->col[c] = (int)j;
        if (m->col[c] < 0)
            return cpe_diag_set(d, CPE_EDATA, "realized volatility: no feature '%s'",
                                cpe_rvol_columns[c]);
    }
    return 0;
}

int cpe_rvol_fit_season(cpe_rvol_t *m, const double *X, size_t ncol, const size_t *row,
                        const int64_t *t_close, size_t n, cpe_diag_t *d)
{
    int64_t *ts = malloc((n ? n : 1) * sizeof *ts);
    double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
    size_t k = 0;
    int rc = 0;
    if (!ts || !a || !b) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "seasonal factor: out of memory");
        goto out;
    }
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (last != INT64_MIN && t_close[i] - last < HOUR_MS) continue; /* hourly samples */
        const double *x = X + row[i] * ncol;
        double rv1 = x[m->col[CPE_RVC_1H]], rvw = x[m->col[CPE_RVC_7D]];
        double vr = x[m->col[CPE_RVC_VOL1H]];
        if (!(rvw > 0) || !(rv1 >= 0) || !(vr >= 0)) continue;
        ts[k] = t_close[i];
        a[k] = rv1 / (rvw / 168.0);
        b[k] = vr;
        k++;
        last = t_close[i];
    }
    if ((rc = cpe_season_fit(&m->s_rv, ts, a, k, d)) == 0)
        rc = cpe_season_fit(&m->s_vol, ts, b, k, d);
out:
    free(ts);
    free(a);
    free(b);
    return rc;
}

static double lnpos(double v)
{
    return log(v > FLOOR ? v : FLOOR);
}

/* ln of a realized variance over the window of w hours ending at t, deseasonalised. */
static double lrv(const cpe_rvol_t *m, double v, int64_t t, int w_h)
{
    return lnpos(v / cpe_season_mean(&m->s_rv, t - w_h * HOUR_MS, t));
}

int cpe_rvol_regressors(const cpe_rvol_t *m, int H, const double *x, int64_t t, double *r)
{
    double v[CPE_RVC_N];
    for (int c = 0; c < CPE_RVC_N; c++)
        if (m->col[c] < 0 || !(x[m->col[c]] >= 0))
            return 0;
        else
            v[c] = x[m->col[c]];
    /* the HAR lags (1 h, 1 d, 1 w), then the horizon's own window when it is not a lag */
    static const struct {
        int col, hours, lag;
    } win[] = {{CPE_RVC_1H, 1, 1},
               {CPE_RVC_24H, 24, 1},
               {CPE_RVC_7D, 168, 1},
               {CPE_RVC_4H, 4, 0},
               {CPE_RVC_8H, 8, 0}};
    int p = 0;
    r[p++] = 1.0;
    for (size_t w = 0; w < sizeof win / sizeof *win; w++)
        if (win[w].lag || win[w].hours == H) r[p++] = lrv(m, v[win[w].col], t, win[w].hours);
    r[p++] = log(v[CPE_RVC_VOL1H] / cpe_season_mean(&m->s_vol, t - HOUR_MS, t) + 1e-6);
    r[p++] = log(v[CPE_RVC_VOL24H] / cpe_season_mean(&m->s_vol, t - 24 * HOUR_MS, t) + 1e-6);
    return p;
}

/* Solve the p x p system A b = c (A symmetric positive definite) by Cholesky, with a tiny
 * ridge so a constant column (flat simulated volume) does not break it. */
static int solve_spd(double *A, double *c, int p, double *b)
{
    double tr = 0;
    for (int i = 0; i < p; i++)
        tr += A[i * p + i];
    for (int i = 0; i < p; i++)
        A[i * p + i] += 1e-9 * tr / p;
    for (int j = 0; j < p; j++) {
        double s = A[j * p + j];
        for (int k = 0; k < j; k++)
            s -= A[j * p + k] * A[j * p + k];
        if (!(s > 0)) return CPE_EDATA;
        A[j * p + j] = sqrt(s);
        for (int i = j + 1; i < p; i++) {
            double t = A[i * p + j];
            for (int k = 0; k < j; k++)
                t -= A[i * p + k] * A[j * p + k];
            A[i * p + j] = t / A[j * p + j];
        }
    }
    for (int i = 0; i < p; i++) { /* L z = c */
        double t = c[i];
        for (int k = 0; k < i; k++)
            t -= A[i * p + k] * c[k];
        c[i] = t / A[i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) { /* L' b = z */
        double t = c[i];
        for (int k = i + 1; k < p; k++)
            t -= A[k * p + i] * b[k];
        b[i] = t / A[i * p + i];
    }
    return 0;
}

static double target(const cpe_rvol_t *m, const cpe_rvol_data_t *dt, size_t i, int H)
{
    double rv = dt->rv_next[i];
    if (!(rv >= 0)) return NAN;
    int64_t t = dt->t_close_ms[i];
    return lnpos(rv / cpe_season_mean(&m->s_rv, t, t + H * HOUR_MS));
}

static int fit_ols(const cpe_rvol_t *m, cpe_rvol_h_t *h, const cpe_rvol_data_t *dt, cpe_diag_t *d)
{
    enum { P = CPE_RVOL_MAXP };
    double A[P * P] = {0}, c[P] = {0}, r[P];
    size_t n = 0;
    int p = 0;
    for (size_t i = 0; i < dt->n_fit; i++) {
        double y = target(m, dt, i, h->horizon_h);
        if (!isfinite(y)) continue;
        if (!(p = cpe_rvol_regressors(m, h->horizon_h, dt->X + dt->row[i] * dt->ncol,
                                      dt->t_close_ms[i], r)))
            continue;
        for (int a = 0; a < p; a++) {
            c[a] += r[a] * y;
            for (int b = 0; b <= a; b++)
                A[a * p + b] += r[a] * r[b];
        }
        n++;
    }
    if (n < 200)
        return cpe_diag_set(d, CPE_EDATA, "%dh HAR: %zu fit rows with realized measures (need 200)",
                            h->horizon_h, n);
    for (int a = 0; a < p; a++)
        for (int b = a + 1; b < p; b++)
            A[a * p + b] = A[b * p + a];
    double A2[P * P], c2[P];
    memcpy(A2, A, sizeof A2);
    memcpy(c2, c, sizeof c2);
    if (solve_spd(A2, c2, p, h->b) != 0)
        return cpe_diag_set(d, CPE_EDATA, "%dh HAR: singular regressors", h->horizon_h);
    double sse = 0;
    for (size_t i = 0; i < dt->n_fit; i++) {
        double y = target(m, dt, i, h->horizon_h);
        if (!isfinite(y) || !cpe_rvol_regressors(m, h->horizon_h, dt->X + dt->row[i] * dt->ncol,
                                                 dt->t_close_ms[i], r))
            continue;
        double f = 0;
        for (int a = 0; a < p; a++)
            f += h->b[a] * r[a];
        sse += (y - f) * (y - f);
    }
    h->p = p;
    h->s2 = sse / (double)(n > (size_t)p ? n - (size_t)p : 1);
    h->n_fit = n;
    return 0;
}

static double har_var(const cpe_rvol_t *m, const cpe_rvol_h_t *h, const double *x, int64_t t)
{
    if (m->no_har) return NAN;
    double r[CPE_RVOL_MAXP];
    int p = cpe_rvol_regressors(m, h->horizon_h, x, t, r);
    if (p != h->p) return NAN;
    double f = 0;
    for (int a = 0; a < p; a++)
        f += h->b[a] * r[a];
    return exp(f + h->s2 / 2) * cpe_season_mean(&m->s_rv, t, t + h->horizon_h * HOUR_MS);
}

/* ln V of a weight vector over the three candidates' ln V. */
static double comb(const double *w, const double *lv)
{
    return w[0] * lv[0] + w[1] * lv[1] + w[2] * lv[2];
}

/* QLIKE with the QLIKE-optimal level: ln(mean(y^2/V)) + mean(ln V) + 1. */
static double qlike_leveled(const double *lv3, const double *y, size_t n, const double *w,
                            double *level)
{
    double s = 0, l = 0;
    for (size_t i = 0; i < n; i++) {
        double lv = comb(w, lv3 + 3 * i);
        s += y[i] * y[i] * exp(-lv);
        l += lv;
    }
    double c = s / (double)n;
    if (level) *level = c;
    return log(c > FLOOR ? c : FLOOR) + l / (double)n + 1.0;
}

static void choose_weights(cpe_rvol_h_t *h, const double *lv3, const double *y, size_t n)
{
    static const double e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (int c = 0; c < 3; c++)
        h->valid_qlike[c] = qlike_leveled(lv3, y, n, e[c], NULL);
    double best = INFINITY;
    for (int a = 0; a <= 20; a++)
        for (int b = 0; a + b <= 20; b++) {
            double w[3] = {a / 20.0, b / 20.0, (20 - a - b) / 20.0};
            double q = qlike_leveled(lv3, y, n, w, NULL);
            if (q < best - 1e-12) best = q, memcpy(h->w, w, sizeof w);
        }
    h->valid_qlike[3] = best;
    /* a combination must beat the HAR alone clearly on the validation rows, else the HAR
     * alone (a 3-weight choice on ~3 months overfits: it lost to the HAR out of sample) */
    if (best > h->valid_qlike[0] - CPE_RVOL_COMB_MARGIN) {
        h->w[0] = 1, h->w[1] = h->w[2] = 0;
        h->valid_qlike[3] = h->valid_qlike[0];
    }
}

/* The validated cone factor after an extreme move (rvol.h, "extremes"): z are the
 * standardised validation returns (unit variance on average), e their extreme flags. */
static double extreme_mult(const double *z, const unsigned char *e, size_t n)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i]) s += z[i] * z[i], k++;
    if (k < 20) return 1.0;
    double m = sqrt(s / (double)k);
    return m < 1.0 ? 1.0 : m > 2.0 ? 2.0 : m;
}

int cpe_rvol_fit_horizon(cpe_rvol_t *m, int k, int H, const cpe_rvol_data_t *dt, cpe_diag_t *d)
{
    cpe_rvol_h_t *h = &m->h[k];
    memset(h, 0, sizeof *h);
    h->horizon_h = H;
    int rc = m->no_har ? 0 : fit_ols(m, h, dt, d);
    if (rc) return rc;
    size_t nv = dt->n > dt->valid_from ? dt->n - dt->valid_from : 0, m3 = 0, mh = 0;
    double *lv3 = malloc((nv ? nv : 1) * 3 * sizeof *lv3), *y3 = malloc((nv ? nv : 1) * sizeof *y3);
    double *z = malloc((nv ? nv : 1) * sizeof *z);
    unsigned char *e3 = malloc(nv ? nv : 1);
    double sh = 0;
    if (!lv3 || !y3 || !z || !e3) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "%dh HAR: out of memory", H);
        goto out;
    }
    for (size_t i = dt->valid_from; i < dt->n; i++) {
        double y = dt->y[i];
        double vh = m->no_har ? dt->v_garch[i]
                              : har_var(m, h, dt->X + dt->row[i] * dt->ncol, dt->t_close_ms[i]);
        if (!isfinite(y) || !(vh > 0)) continue;
        sh += y * y / vh, mh++;
        if (!(dt->v_garch[i] > 0) || !(dt->v_ewma[i] > 0)) continue;
        lv3[3 * m3] = log(vh);
        lv3[3 * m3 + 1] = log(dt->v_garch[i]);
        lv3[3 * m3 + 2] = log(dt->v_ewma[i]);
        e3[m3] = dt->extreme ? dt->extreme[i] : 0;
        y3[m3++] = y;
    }
    if (mh < 100 || m3 < 100) {
        rc = cpe_diag_set(d, CPE_EDATA, "%dh HAR: %zu validation rows (need 100)", H, m3);
        goto out;
    }
    h->level_har = sh / (double)mh;
    choose_weights(h, lv3, y3, m3);
    qlike_leveled(lv3, y3, m3, h->w, &h->level);
    for (size_t i = 0; i < m3; i++)
        z[i] = y3[i] / sqrt(h->level * exp(comb(h->w, lv3 + 3 * i)));
    if ((rc = cpe_t_fit(z, m3, &h->nu, &h->scale, d)) != 0) {
        cpe_diag_prefix(d, "%dh predictive shape: ", H);
        goto out;
    }
    h->ext_mult = extreme_mult(z, e3, m3);
    h->n_valid = m3;
    if (k + 1 > m->n_h) m->n_h = k + 1;
out:
    free(lv3);
    free(y3);
    free(z);
    free(e3);
    return rc;
}

int cpe_rvol_forecast(const cpe_rvol_t *m, int k, const double *x, int64_t t, double v_garch,
                      double v_ewma, double *var, double *sd, double *nu)
{
    const cpe_rvol_h_t *h = &m->h[k];
    double vh = !m->ok ? NAN : m->no_har ? v_garch : har_var(m, h, x, t);
    if (!(vh > 0) || !isfinite(vh)) return CPE_EDATA;
    double v;
    if (v_garch > 0 && v_ewma > 0) {
        double lv[3] = {log(vh), log(v_garch), log(v_ewma)};
        v = h->level * exp(comb(h->w, lv));
    } else {
        v = h->level_har * vh;
    }
    *var = v;
    *sd = sqrt(v) * h->scale;
    *nu = h->nu;
    return 0;
}

double cpe_rvol_har_var(const cpe_rvol_t *m, int k, const double *x, int64_t t)
{
    double vh = m->ok ? har_var(m, &m->h[k], x, t) : NAN;
    return vh > 0 ? m->h[k].level_har * vh : NAN;
}

double cpe_rvol_ewma_next(const double *r, size_t n)
{
    if (n < 24) return NAN;
    double h = 0;
    for (size_t i = 0; i < 24; i++)
        h += r[i] * r[i];
    h /= 24;
    for (size_t i = 24; i < n; i++)
        h = 0.94 * h + 0.06 * r[i] * r[i];
    return h;
}
