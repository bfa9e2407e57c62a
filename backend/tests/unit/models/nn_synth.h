/* nn_synth.h — the synthetic series the neural model tests train on (test_nn.c,
 * test_nn_tft.c): three columns per row and n_h labels per row,
 *   x0  N(0, 1) noise whose sum over the last 4 rows is the mean of every label,
 *   x1  a volatility state (AR(1), 0.9), the labels' noise sd is (0.5 + k) exp(x1),
 *   x2  N(0, 1) noise, NaN every 13th row;
 *   y_k = 0.01 (sum of x0 over rows i-3..i + (0.5 + k) exp(x1) N(0, 1)), y[5][0] missing.
 * Given the window, the label is Gaussian: direction, mean, variance and quantiles are all
 * learnable from the lookback, and chance is known (AUC 0.5). */
#ifndef CPE_TEST_NN_SYNTH_H
#define CPE_TEST_NN_SYNTH_H

#include "cpe/rng.h"

#include <math.h>
#include <stddef.h>

#define NN_SYNTH_NF 3
#define NN_SYNTH_MAX_R 1400

/* Time-ordered sample rows: fit [0, fit_to) | 10-row gap | valid [fit_to + 10, valid_to)
 * | 10-row gap | test [valid_to + 10, nr). */
typedef struct nn_split {
    size_t fit[NN_SYNTH_MAX_R], valid[NN_SYNTH_MAX_R], test[NN_SYNTH_MAX_R];
    size_t nfit, nvalid, ntest;
} nn_split_t;

static void nn_make_split(nn_split_t *s, size_t nr, size_t fit_to, size_t valid_to)
{
    s->nfit = s->nvalid = s->ntest = 0;
    for (size_t i = 0; i < nr && i < NN_SYNTH_MAX_R; i++) {
        if (i < fit_to)
            s->fit[s->nfit++] = i;
        else if (i >= fit_to + 10 && i < valid_to)
            s->valid[s->nvalid++] = i;
        else if (i >= valid_to + 10)
            s->test[s->ntest++] = i;
    }
}

static void nn_synth(uint64_t seed, size_t nr, int nh, double *X, double *y)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    double vol = 0;
    for (size_t i = 0; i < nr; i++) {
        vol = 0.9 * vol + 0.3 * cpe_rng_normal(&r);
        X[i * NN_SYNTH_NF] = cpe_rng_normal(&r);
        X[i * NN_SYNTH_NF + 1] = vol;
        X[i * NN_SYNTH_NF + 2] = i % 13 == 0 ? NAN : cpe_rng_normal(&r);
    }
    for (size_t i = 0; i < nr; i++) {
        double s = 0;
        for (size_t l = 0; l < 4 && l <= i; l++)
            s += X[(i - l) * NN_SYNTH_NF];
        double sd = exp(X[i * NN_SYNTH_NF + 1]);
        for (int k = 0; k < nh; k++)
            y[i * (size_t)nh + (size_t)k] = 0.01 * (s + (0.5 + k) * sd * cpe_rng_normal(&r));
    }
    y[5 * (size_t)nh] = NAN; /* a missing label is skipped */
}

#endif
