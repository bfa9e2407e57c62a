/* regime_ml.c — the ML refinement of the rule tags: multinomial logistic regression with an
 * L2 penalty on standardised features, trained by full-batch gradient descent with Nesterov
 * momentum (the loss is convex and smooth, 6 classes x 5 weights), plus hysteresis
 * (see cpe/regime.h). */
#include "cpe/regime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NF CPE_REGIME_ML_NF
#define NK CPE_REGIME_COUNT
#define MAX_ROWS 20000 /* training rows (an even stride through the history above this) */
#define ITERS 400
#define STEP 0.5

/* Raw feature vector; 0 when the row cannot be used. A missing vol_1h is imputed later as
 * the training mean (standardised 0). */
static int raw_features(const cpe_regime_features_t *f, double *v, int *has_1h)
{
    if (!(f->vol_24h > 0) || !isfinite(f->vol_24h) || !isfinite(f->ret_4h) || !isfinite(f->ret_24h))
        return 0;
    v[0] = log(f->vol_24h);
    *has_1h = f->vol_1h > 0 && isfinite(f->vol_1h);
    v[1] = *has_1h ? log(f->vol_1h) - v[0] : 0.0;
    v[2] = f->ret_24h / (f->vol_24h * sqrt(24.0));
    v[3] = f->ret_4h / (f->vol_24h * 2.0);
    return 1;
}

static void softmax_probs(const double w[NK][NF + 1], const double *z, double *p)
{
    double mx = -INFINITY;
    for (int k = 0; k < NK; k++) {
        double s = w[k][NF];
        for (int j = 0; j < NF; j++)
            s += w[k][j] * z[j];
        p[k] = s;
        if (s > mx) mx = s;
    }
    double tot = 0;
    for (int k = 0; k < NK; k++) {
        p[k] = exp(p[k] - mx);
        tot += p[k];
    }
    for (int k = 0; k < NK; k++)
        p[k] /= tot;
}

static int argmax(const double *p)
{
    int b = 0;
    for (int k = 1; k < NK; k++)
        if (p[k] > p[b]) b = k;
    return b;
}

int cpe_regime_ml_train(const cpe_regime_features_t *x, size_t n, const cpe_regime_thresholds_t *t,
                        double l2, cpe_regime_ml_t *out, cpe_diag_t *d)
{
    if (!(l2 > 0)) l2 = 1e-3;
    size_t m = 0;
    double tmp[NF];
    int h1;
    for (size_t i = 0; i < n; i++)
        m += raw_features(&x[i], tmp, &h1) && h1;
    if (m < 100)
        return cpe_diag_set(d, CPE_EDATA,
                            "%zu usable feature rows: at least 100 are needed to "
                            "train the regime model",
                            m);
    size_t stride = (m + MAX_ROWS - 1) / MAX_ROWS, rows = (m + stride - 1) / stride;
    double *z = malloc(rows * NF * sizeof *z);
    int *y = malloc(rows * sizeof *y);
    if (!z || !y) {
        free(z);
        free(y);
        return cpe_diag_set(d, CPE_ENOMEM, "out of memory for %zu rows", rows);
    }
    size_t k = 0, seen = 0;
    for (size_t i = 0; i < n && k < rows; i++) {
        if (!raw_features(&x[i], tmp, &h1) || !h1) continue;
        if (seen++ % stride) continue;
        memcpy(&z[k * NF], tmp, sizeof tmp);
        y[k] = (int)cpe_regime_classify(t, &x[i]);
        k++;
    }
    rows = k;
    memset(out, 0, sizeof *out);
    for (int j = 0; j < NF; j++) { /* standardise */
        double s = 0, s2 = 0;
        for (size_t i = 0; i < rows; i++)
            s += z[i * NF + j];
        double mean = s / (double)rows;
        for (size_t i = 0; i < rows; i++)
            s2 += (z[i * NF + j] - mean) * (z[i * NF + j] - mean);
        double sd = sqrt(s2 / (double)rows);
        if (!(sd > 0)) sd = 1.0;
        out->mean[j] = mean;
        out->sd[j] = sd;
        for (size_t i = 0; i < rows; i++)
            z[i * NF + j] = (z[i * NF + j] - mean) / sd;
    }
    /* Nesterov gradient descent on mean cross-entropy + l2/2 |W|^2 (intercepts free) */
    double w[NK][NF + 1] = {{0}}, v[NK][NF + 1] = {{0}}, la[NK][NF + 1], g[NK][NF + 1], p[NK];
    for (int it = 0; it < ITERS; it++) {
        for (int c = 0; c < NK; c++)
            for (int j = 0; j <= NF; j++)
                la[c][j] = w[c][j] + 0.9 * v[c][j];
        memset(g, 0, sizeof g);
        for (size_t i = 0; i < rows; i++) {
            const double *zi = &z[i * NF];
            softmax_probs((const double(*)[NF + 1]) la, zi, p);
            for (int c = 0; c < NK; c++) {
                double r = p[c] - (y[i] == c);
                for (int j = 0; j < NF; j++)
                    g[c][j] += r * zi[j];
                g[c][NF] += r;
            }
        }
        for (int c = 0; c < NK; c++)
            for (int j = 0; j <= NF; j++) {
                double gj = g[c][j] / (double)rows + (j < NF ? l2 * la[c][j] : 0.0);
                v[c][j] = 0.9 * v[c][j] - STEP * gj;
                w[c][j] += v[c][j];
            }
    }
    memcpy(out->w, w, sizeof w);
    size_t agree = 0;
    for (size_t i = 0; i < rows; i++) {
        softmax_probs((const double(*)[NF + 1]) w, &z[i * NF], p);
        agree += argmax(p) == y[i];
    }
    out->l2 = l2;
    out->train_agreement = (double)agree / (double)rows;
    out->iterations = ITERS;
    out->n = rows;
    free(z);
    free(y);
    return 0;
}

cpe_regime_t cpe_regime_ml_predict(const cpe_regime_ml_t *m, const cpe_regime_features_t *f,
                                   double *prob)
{
    double raw[NF], z[NF], p[NK];
    int h1;
    if (!raw_features(f, raw, &h1)) {
        if (prob)
            for (int k = 0; k < NK; k++)
                prob[k] = k == CPE_REGIME_NORMAL;
        return CPE_REGIME_NORMAL;
    }
    for (int j = 0; j < NF; j++)
        z[j] = (raw[j] - m->mean[j]) / m->sd[j];
    if (!h1) z[1] = 0.0; /* missing vol_1h: the training mean */
    softmax_probs(m->w, z, p);
    if (prob) memcpy(prob, p, sizeof p);
    return (cpe_regime_t)argmax(p);
}

cpe_regime_t cpe_regime_ml_smooth(const double *prob, int prev, double margin)
{
    int b = argmax(prob);
    if (prev < 0 || prev >= NK) return (cpe_regime_t)b;
    return prob[b] - prob[prev] > margin ? (cpe_regime_t)b : (cpe_regime_t)prev;
}
