/* cone.c — GARCH Monte Carlo cone: simulation of driftless hourly paths and per-step
 * quantiles (see cpe/cone.h). */
#include "cpe/cone.h"
#include "cpe/rng.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const double cpe_cone_probs[CPE_CONE_NQ] = {0.023, 0.159, 0.5, 0.841, 0.977};

#define TABLE_N (1 << CPE_CONE_TABLE_BITS)
#define TABLE_MASK (TABLE_N - 1)

int cpe_cone_ws_init(cpe_cone_ws_t *ws, int n_paths)
{
    memset(ws, 0, sizeof *ws);
    if (n_paths <= 0) n_paths = CPE_CONE_PATHS;
    if (n_paths < 100) return CPE_EINVAL; /* the quantile ranks must be distinct */
    ws->n_paths = n_paths;
    ws->table_dist = -1;
    ws->table = malloc(TABLE_N * sizeof *ws->table);
    ws->x = malloc((size_t)n_paths * sizeof *ws->x);
    ws->h = malloc((size_t)n_paths * sizeof *ws->h);
    ws->tmp = malloc((size_t)n_paths * sizeof *ws->tmp);
    ws->bin = malloc((size_t)n_paths * sizeof *ws->bin);
    if (!ws->table || !ws->x || !ws->h || !ws->tmp || !ws->bin) {
        cpe_cone_ws_free(ws);
        return CPE_ENOMEM;
    }
    return 0;
}

void cpe_cone_ws_free(cpe_cone_ws_t *ws)
{
    if (!ws) return;
    free(ws->table);
    free(ws->x);
    free(ws->h);
    free(ws->tmp);
    free(ws->bin);
    ws->table = NULL;
    ws->x = ws->h = ws->tmp = NULL;
    ws->bin = NULL;
}

/* Equiprobable innovation table: the quantile at the centre of each of TABLE_N cells,
 * then shifted and scaled so the table has mean 0 and variance 1 exactly. */
static void build_table(cpe_cone_ws_t *ws, int dist, double nu)
{
    if (ws->table_dist == dist && (dist != CPE_DIST_T || ws->table_nu == nu)) return;
    double sum = 0, sum2 = 0, v[TABLE_N];
    for (int i = 0; i < TABLE_N / 2; i++) { /* symmetric: fill both halves at once */
        double p = (i + 0.5) / TABLE_N;
        double q = dist == CPE_DIST_T ? gsl_cdf_tdist_Pinv(p, nu) : gsl_cdf_ugaussian_Pinv(p);
        v[i] = q;
        v[TABLE_N - 1 - i] = -q;
    }
    for (int i = 0; i < TABLE_N; i++)
        sum += v[i];
    double mean = sum / TABLE_N;
    for (int i = 0; i < TABLE_N; i++)
        sum2 += (v[i] - mean) * (v[i] - mean);
    double sd = sqrt(sum2 / TABLE_N);
    /* store in a scrambled order is unnecessary: indices are uniform */
    for (int i = 0; i < TABLE_N; i++)
        ws->table[i] = (float)((v[i] - mean) / sd);
    ws->table_dist = dist;
    ws->table_nu = nu;
}

/* 1.0 when e is negative, else 0.0, from the sign bit: a comparison here tends to be
 * compiled to a branch, which mispredicts half the time (the sign of e is a coin flip). */
static inline double neg_ind(double e)
{
    uint64_t u;
    memcpy(&u, &e, sizeof u);
    return (double)(u >> 63);
}

static inline void swapd(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Partition v[lo..hi] (inclusive) so that v[k] holds the k-th smallest (Hoare quickselect,
 * median-of-three pivot). */
static void select_k(double *v, size_t lo, size_t hi, size_t k)
{
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swapd(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swapd(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swapd(&v[hi], &v[mid]);
        double pivot = v[mid];
        size_t i = lo, j = hi;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i >= j) break;
            swapd(&v[i], &v[j]);
            i++;
            j--;
        }
        /* now v[lo..j] <= pivot <= v[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
}

static double min_range(const double *v, size_t lo, size_t hi) /* inclusive */
{
    double m = v[lo];
    for (size_t i = lo + 1; i <= hi; i++)
        if (v[i] < m) m = v[i];
    return m;
}

/* The five cone quantiles of v[n] (n >= 2), linear interpolation; reorders v.
 * Selection order 50, 84.1, 97.7, 15.9, 2.3 % so every later select runs on a part. */
static void five_quantiles(double *v, size_t n, double *q)
{
    size_t rank[CPE_CONE_NQ];
    double frac[CPE_CONE_NQ];
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        double pos = cpe_cone_probs[j] * (double)(n - 1);
        rank[j] = (size_t)pos;
        frac[j] = pos - (double)rank[j];
    }
    select_k(v, 0, n - 1, rank[2]);
    select_k(v, rank[2] + 1, n - 1, rank[3]);
    select_k(v, rank[3] + 1, n - 1, rank[4]);
    select_k(v, 0, rank[2] - 1, rank[1]);
    select_k(v, 0, rank[1] - 1, rank[0]);
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        size_t r = rank[j];
        double lo = v[r];
        if (frac[j] > 0 && r + 1 < n) {
            size_t end = j + 1 < CPE_CONE_NQ ? rank[j + 1] : n - 1;
            double hi = min_range(v, r + 1, end);
            q[j] = lo + frac[j] * (hi - lo);
        } else {
            q[j] = lo;
        }
    }
}

/* Histogram of X_k: NB bins of width 16 sd / NB centred on 0, plus an underflow bin 0 and
 * an overflow bin NB + 1. */
#define NB 512
#define HIST_HALF_WIDTH_SD 8.0

/* The five quantiles of x[n] from its bins: find the bin of each wanted rank (and of the
 * next rank, for interpolation) from the counts, gather only those bins into tmp and select
 * inside them. Exact; falls back to a full selection if a rank lands in an open end bin. */
static void five_quantiles_hist(const double *x, const unsigned short *bin, const unsigned *count,
                                size_t n, double *tmp, double *q)
{
    size_t rank[CPE_CONE_NQ], cum[NB + 3];
    double frac[CPE_CONE_NQ];
    int b_lo[CPE_CONE_NQ], b_hi[CPE_CONE_NQ];
    cum[0] = 0;
    for (int b = 0; b < NB + 2; b++)
        cum[b + 1] = cum[b] + count[b];
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        double pos = cpe_cone_probs[j] * (double)(n - 1);
        rank[j] = (size_t)pos;
        frac[j] = pos - (double)rank[j];
    }
    /* bins of rank r and r + 1, scanning once (ranks ascend) */
    int b = 0;
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        while (cum[b + 1] <= rank[j])
            b++;
        b_lo[j] = b;
        int c = b;
        while (rank[j] + 1 < n && cum[c + 1] <= rank[j] + 1)
            c++;
        b_hi[j] = c;
        if (b == 0 || c == NB + 1) {
            memcpy(tmp, x, n * sizeof *x);
            five_quantiles(tmp, n, q);
            return;
        }
    }
    short slot[NB + 2];
    size_t off[2 * CPE_CONE_NQ], fill[2 * CPE_CONE_NQ];
    int slot_bin[2 * CPE_CONE_NQ], ns = 0;
    memset(slot, 0xff, sizeof slot);
    size_t total = 0;
    for (int j = 0; j < 2 * CPE_CONE_NQ; j++) {
        int bb = j < CPE_CONE_NQ ? b_lo[j] : b_hi[j - CPE_CONE_NQ];
        if (slot[bb] >= 0) continue;
        slot[bb] = (short)ns;
        slot_bin[ns] = bb;
        off[ns] = fill[ns] = total;
        total += count[bb];
        ns++;
    }
    for (size_t i = 0; i < n; i++) {
        int s = slot[bin[i]];
        if (s >= 0) tmp[fill[s]++] = x[i];
    }
    for (int j = 0; j < CPE_CONE_NQ; j++) {
        int s = slot[b_lo[j]];
        double *v = tmp + off[s];
        size_t m = count[slot_bin[s]], k = rank[j] - cum[b_lo[j]];
        select_k(v, 0, m - 1, k);
        double lo = v[k], hi = lo;
        if (frac[j] > 0 && rank[j] + 1 < n) {
            if (b_hi[j] == b_lo[j]) {
                hi = min_range(v, k + 1, m - 1);
            } else {
                int s2 = slot[b_hi[j]];
                hi = min_range(tmp + off[s2], 0, count[b_hi[j]] - 1);
            }
        }
        q[j] = lo + frac[j] * (hi - lo);
    }
}

double cpe_quantile_select(double *v, size_t n, double p)
{
    if (n == 0) return NAN;
    if (n == 1) return v[0];
    double pos = p * (double)(n - 1);
    size_t r = (size_t)pos;
    if (r >= n - 1) r = n - 1;
    select_k(v, 0, n - 1, r);
    double frac = pos - (double)r;
    if (frac > 0 && r + 1 < n) return v[r] + frac * (min_range(v, r + 1, n - 1) - v[r]);
    return v[r];
}

int cpe_cone_simulate(cpe_cone_ws_t *ws, const cpe_garch_t *m, double h_next, int steps,
                      uint64_t seed, cpe_diag_t *d)
{
    if (steps < 1 || steps > CPE_CONE_MAX_STEPS)
        return cpe_diag_set(d, CPE_EINVAL, "cone steps %d not in 1..%d", steps, CPE_CONE_MAX_STEPS);
    if (!(h_next > 0) || !isfinite(h_next))
        return cpe_diag_set(d, CPE_EINVAL, "cone start variance %g is not positive", h_next);
    if (m->dist == CPE_DIST_T && !(m->nu > 2))
        return cpe_diag_set(d, CPE_EINVAL, "Student-t nu %g must exceed 2", m->nu);
    build_table(ws, m->dist, m->nu);
    const int n = ws->n_paths;
    const double omega = m->omega, alpha = m->alpha, ag = m->alpha + m->gamma, beta = m->beta;
    const float *tab = ws->table;
    double *x = ws->x, *h = ws->h;
    cpe_rng_t rng;
    cpe_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        x[i] = 0.0;
        h[i] = h_next;
    }
    memset(ws->q[0], 0, sizeof ws->q[0]);
    ws->h_sum[0] = 0.0;
    const double gamma = ag - alpha;
    unsigned short *bin = ws->bin;
    unsigned count[NB + 2];
    for (int k = 1; k <= steps; k++) {
        ws->h_sum[k] = cpe_garch_forecast_sum(m, h_next, k);
        /* bin of X_k on a grid of the analytic sd of X_k */
        double inv_w = NB / (2.0 * HIST_HALF_WIDTH_SD * sqrt(ws->h_sum[k]));
        const double c0 = NB / 2.0 + 1.0, top = NB + 1.0;
        memset(count, 0, sizeof count);
        int i = 0;
        while (i < n) {
            uint64_t bits = cpe_rng_u64(&rng); /* five 12-bit indices per draw */
            for (int b = 0; b < 5 && i < n; b++, i++, bits >>= CPE_CONE_TABLE_BITS) {
                double hi = h[i], e = sqrt(hi) * (double)tab[bits & TABLE_MASK];
                double xi = x[i] + e;
                x[i] = xi;
                h[i] = (omega + (alpha + gamma * neg_ind(e)) * (e * e)) + beta * hi;
                double f = xi * inv_w + c0;
                f = f < 0.0 ? 0.0 : f;
                f = f > top ? top : f;
                unsigned bb = (unsigned)f;
                bin[i] = (unsigned short)bb;
                count[bb]++;
            }
        }
        five_quantiles_hist(x, bin, count, (size_t)n, ws->tmp, ws->q[k]);
    }
    ws->steps = steps;
    return 0;
}

void cpe_cone_params_default(cpe_cone_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->s1 = p->s2 = 1.0;
    p->vol_mult = 1.0;
    p->extreme_mult = 1.0;
}

int cpe_cone_fill(const cpe_cone_ws_t *ws, const cpe_cone_params_t *p, cpe_prediction_t *out,
                  cpe_diag_t *d)
{
    int H = p->horizon_h;
    if (H < 1 || H > ws->steps)
        return cpe_diag_set(d, CPE_EINVAL, "horizon %d h is outside the %d simulated steps", H,
                            ws->steps);
    if (!(p->close > 0) || !isfinite(p->close))
        return cpe_diag_set(d, CPE_EINVAL, "close %g is not a positive price", p->close);
    if (!(p->s1 > 0) || !(p->s2 > 0) || !(p->vol_mult > 0) || !(p->extreme_mult > 0) ||
        !isfinite(p->expected_move) || !isfinite(p->drift_sigma))
        return cpe_diag_set(d, CPE_EINVAL,
                            "cone parameters out of range (s1 %g, s2 %g, vol_mult %g, "
                            "extreme_mult %g, expected_move %g, drift_sigma %g)",
                            p->s1, p->s2, p->vol_mult, p->extreme_mult, p->expected_move,
                            p->drift_sigma);
    double v = p->vol_mult * p->extreme_mult;
    double vol = sqrt(ws->h_sum[H]) * v * p->s1;
    double D = p->expected_move + p->drift_sigma * vol, lc = log(p->close);
    out->volatility = vol;
    out->n_cone = H + 1;
    cpe_cone_point_t *c = out->cone;
    c[0].t_ms = p->t0_ms;
    c[0].p023 = c[0].p159 = c[0].p500 = c[0].p841 = c[0].p977 = p->close;
    for (int k = 1; k <= H; k++) {
        const double *q = ws->q[k];
        double med = q[2], base = lc + D * k / H + med;
        double d1 = p->s1 * v * (q[1] - med), u1 = p->s1 * v * (q[3] - med);
        double d2 = fmin(p->s2 * v * (q[0] - med), d1), u2 = fmax(p->s2 * v * (q[4] - med), u1);
        c[k].t_ms = p->t0_ms + (int64_t)k * 3600000;
        c[k].p023 = exp(base + d2);
        c[k].p159 = exp(base + d1);
        c[k].p500 = exp(base);
        c[k].p841 = exp(base + u1);
        c[k].p977 = exp(base + u2);
    }
    out->p023 = c[H].p023;
    out->p159 = c[H].p159;
    out->p500 = c[H].p500;
    out->p841 = c[H].p841;
    out->p977 = c[H].p977;
    return 0;
}

int cpe_cone_predict(cpe_cone_ws_t *ws, const cpe_garch_t *m, double h_next, uint64_t seed,
                     const cpe_cone_params_t *p, size_t n, cpe_prediction_t *out, cpe_diag_t *d)
{
    int steps = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i].horizon_h > steps) steps = p[i].horizon_h;
    int rc = cpe_cone_simulate(ws, m, h_next, steps, seed, d);
    for (size_t i = 0; i < n && !rc; i++)
        rc = cpe_cone_fill(ws, &p[i], &out[i], d);
    return rc;
}
