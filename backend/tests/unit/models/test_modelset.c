/* test_modelset.c — a model set trained lazily (the GARCH cone's scales fitted only when
 * first needed) gets, once they are fitted, exactly the scales and models of a full
 * training. */
#include "cpe/modelset.h"
#include "cpe/rng.h"
#include "test_bars.h"

#define NCOL 4
#define STEP (5 * 60000LL)
static const char *const NAMES[NCOL] = {"volatility_1h", "returns_4h", "noise", "signal"};

/* 5-minute rows over test_bars.h's random walk (its 1m closes, restamped) and a signal
 * column that sees 1 h ahead, noisily. */
static void synth(size_t n, int64_t *ts, double *close, double *X)
{
    cpe_kline_t *k = test_random_walk(1717200000000LL, (int)n, 7);
    cpe_rng_t r;
    cpe_rng_seed(&r, 8);
    for (size_t i = 0; i < n; i++) {
        ts[i] = k[i].ts_ms + (int64_t)i * (STEP - 60000);
        close[i] = k[i].close;
    }
    for (size_t i = 0; i < n; i++) {
        double *x = X + i * NCOL;
        x[0] = 0.002 * (1 + 0.3 * cpe_rng_uniform(&r));
        x[1] = i >= 48 ? log(close[i] / close[i - 48]) : NAN;
        x[2] = cpe_rng_normal(&r);
        x[3] = i + 12 < n ? log(close[i + 12] / close[i]) + 0.002 * cpe_rng_normal(&r) : NAN;
    }
    free(k);
}

static void same_scale(const cpe_cone_scale_t *a, const cpe_cone_scale_t *b)
{
    const double x[7] = {a->s1, a->s2, a->s, a->cov1_s1, a->cov2_s2, a->cov1_s, a->cov2_s};
    const double y[7] = {b->s1, b->s2, b->s, b->cov1_s1, b->cov2_s2, b->cov1_s, b->cov2_s};
    CHECK(memcmp(x, y, sizeof x) == 0);
    CHECK_EQ_INT(a->n, b->n);
}

static void test_lazy_scales_equal_a_full_training_bit_for_bit(void)
{
    size_t n = 15 * 288;
    int64_t *ts = malloc(n * sizeof *ts);
    double *close = malloc(n * sizeof *close), *X = malloc(n * NCOL * sizeof *X);
    size_t *rows = malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = i; /* every row a candidate */
    synth(n, ts, close, X);
    const cpe_mlview_t v = {n, NCOL, ts, X, close, NAMES};
    cpe_modelset_config_t c;
    cpe_modelset_config_default(&c);
    c.n_h = 2;
    c.horizons_h[0] = 1;
    c.horizons_h[1] = 4;
    c.cls.max_rounds = c.reg.max_rounds = 30;
    c.cls.nthread = c.reg.nthread = 1;
    c.cone_paths = 300;
    c.scale_rows = 150;
    const int64_t cutoff = ts[n - 1] + STEP;
    cpe_modelset_t full, lazy;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_modelset_train(&full, &v, rows, n, cutoff, &c, &d), 0);
    CHECK_EQ_INT(cpe_modelset_train_lazy(&lazy, &v, rows, n, cutoff, &c, &d), 0);
    CHECK_EQ_INT(full.scales_pending, 0);
    CHECK_EQ_INT(lazy.scales_pending, 1);
    for (int k = 0; k < 2; k++) {
        CHECK(lazy.h[k].scale.s1 == 1 && lazy.h[k].scale.s2 == 1);
        CHECK(full.h[k].scale.n > 0 && full.h[k].scale.s1 != 1); /* a real fit to compare */
    }
    CHECK_EQ_INT(cpe_modelset_fit_scales(&lazy, &v, rows, n, &c, &d), 0);
    CHECK_EQ_INT(lazy.scales_pending, 0);
    for (int k = 0; k < 2; k++)
        same_scale(&lazy.h[k].scale, &full.h[k].scale);
    /* the rest of the model set is the full training's too */
    double pf[2 * 64], pl[2 * 64], mf[2 * 64], ml[2 * 64];
    CHECK_EQ_INT(cpe_modelset_predict(&full, X + (n - 64) * NCOL, 64, NULL, pf, mf), 0);
    CHECK_EQ_INT(cpe_modelset_predict(&lazy, X + (n - 64) * NCOL, 64, NULL, pl, ml), 0);
    CHECK(memcmp(pf, pl, sizeof pf) == 0 && memcmp(mf, ml, sizeof mf) == 0);
    cpe_modelset_free(&full);
    cpe_modelset_free(&lazy);
    free(ts), free(close), free(X), free(rows);
}

int main(void)
{
    RUN(test_lazy_scales_equal_a_full_training_bit_for_bit);
    return TEST_DONE();
}
