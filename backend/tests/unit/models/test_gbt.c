/* test_gbt.c — the XGBoost wrapper: learns a signal, finds none in shuffled labels,
 * stops early on noise, round-trips JSON bit for bit, SHAP sums to the margin, stops
 * between boosting rounds when its cancel hook is raised, trains a classifier and a
 * regressor on shared matrices bit for bit as two trainings. */
#include "cpe/gbt.h"
#include "cpe/metrics.h"
#include "cpe/rng.h"
#include "test.h"

#include <pthread.h>
#include <time.h>

#define NF 6

/* y_up depends on x0 (strongly) and x1 (weakly); x2..x5 are noise; some NaN. */
static void synth(size_t n, uint64_t seed, double *X, double *yb, double *yr)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < NF; j++)
            X[i * NF + j] = cpe_rng_normal(&r);
        if (i % 17 == 0) X[i * NF + 3] = NAN;
        double s = 1.5 * X[i * NF] + 0.5 * X[i * NF + 1] + cpe_rng_normal(&r);
        if (yb) yb[i] = s > 0 ? 1 : 0;
        if (yr) yr[i] = 0.01 * s;
    }
}

static cpe_gbt_params_t quick(cpe_gbt_objective_t o)
{
    cpe_gbt_params_t p;
    cpe_gbt_params_default(&p, o);
    p.max_rounds = 80;
    p.eta = 0.1;
    p.early_stop_rounds = 10;
    return p;
}

static void test_classifier_learns_signal_out_of_sample(void)
{
    size_t n = 3000, nt = 1000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    double *Xt = malloc(nt * NF * sizeof *Xt), *yt = malloc(nt * sizeof *yt),
           *p = malloc(nt * sizeof *p);
    synth(n, 1, X, y, NULL);
    synth(nt, 2, Xt, yt, NULL);
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    cpe_gbt_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, &d), 0);
    CHECK(m.best_rounds > 0 && m.best_rounds <= 80);
    CHECK_EQ_INT(m.valid_from, 2400);
    CHECK_EQ_INT(cpe_gbt_predict(&m, Xt, nt, 0, p), 0);
    double auc = cpe_metric_auc(p, yt, nt);
    /* Bayes AUC of this design is about 0.93; a working learner clears 0.85. */
    CHECK_MSG(auc > 0.85, "auc %.3f", auc);
    for (size_t i = 0; i < nt; i++)
        CHECK(p[i] > 0 && p[i] < 1);
    cpe_gbt_free(&m);
    cpe_gbt_free(&m); /* second free is a no-op */
    free(X), free(y), free(Xt), free(yt), free(p);
}

static void test_shuffled_labels_give_auc_near_half(void)
{
    /* All labels are permuted at random before the split, so the held-out labels carry no
     * information about X or the training rows: a model without leakage scores AUC 0.5 up
     * to sampling noise. For 4000 held-out rows with balanced classes the null standard
     * error is sqrt((n1+n0+1)/(12 n1 n0)) ~ 0.0091, so |AUC - 0.5| < 0.04 is a > 4-sigma
     * band. The control shows the test has teeth: on its own (shuffled) training rows the
     * model scores well above 0.5, so held-out rows that leaked into training would too. */
    size_t n = 8000, half = 4000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    synth(n, 3, X, y, NULL);
    cpe_rng_t r;
    cpe_rng_seed(&r, 99);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)cpe_rng_below(&r, i + 1);
        double t = y[i];
        y[i] = y[j];
        y[j] = t;
    }
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    prm.early_stop_rounds = 0; /* train all rounds: the model memorises what it sees */
    prm.min_child_weight = 1;
    cpe_gbt_t m = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, half, NF, y, NULL), 0);
    CHECK_EQ_INT(cpe_gbt_predict(&m, X, n, 0, p), 0);
    double auc_out = cpe_metric_auc(p + half, y + half, n - half);
    double auc_in = cpe_metric_auc(p, y, half);
    CHECK_MSG(fabs(auc_out - 0.5) < 0.04, "auc on shuffled labels %.4f", auc_out);
    CHECK_MSG(auc_in > 0.6, "in-sample control auc %.4f", auc_in);
    cpe_gbt_free(&m);
    free(X), free(y), free(p);
}

static void test_early_stopping_keeps_few_rounds_on_noise(void)
{
    size_t n = 3000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    synth(n, 8, X, y, NULL);
    cpe_rng_t r;
    cpe_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++)
        y[i] = cpe_rng_uniform(&r) < 0.5; /* pure noise */
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    prm.max_rounds = 200;
    cpe_gbt_t m = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, NULL), 0);
    CHECK_MSG(m.best_rounds < 60, "kept %d of 200 rounds on noise", m.best_rounds);
    CHECK(m.best_valid_loss > 0.6);
    cpe_gbt_free(&m);
    free(X), free(y);
}

static void test_save_load_reproduces_predictions_bit_for_bit(void)
{
    size_t n = 1500;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    synth(n, 5, X, NULL, y);
    cpe_gbt_params_t prm = quick(CPE_GBT_REGRESSION);
    cpe_gbt_t m = {0}, l = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, NULL), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/reg.json", test_tmpdir());
    CHECK_EQ_INT(cpe_gbt_save(&m, path, NULL), 0);
    CHECK_EQ_INT(cpe_gbt_load(&l, path, NF, NULL), 0);
    CHECK_EQ_INT(l.objective, CPE_GBT_REGRESSION);
    CHECK_EQ_INT(l.best_rounds, m.best_rounds);
    CHECK_EQ_INT(cpe_gbt_predict(&m, X, n, 0, a), 0);
    CHECK_EQ_INT(cpe_gbt_predict(&l, X, n, 0, b), 0);
    CHECK(memcmp(a, b, n * sizeof *a) == 0);
    /* A wrong feature count is refused with a message. */
    cpe_gbt_t bad = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_gbt_load(&bad, path, NF + 1, &d), CPE_EMODEL);
    CHECK(strstr(d.msg, "features") != NULL);
    cpe_gbt_free(&m);
    cpe_gbt_free(&l);
    free(X), free(y), free(a), free(b);
}

static void test_shap_contributions_sum_to_margin(void)
{
    size_t n = 1500, nt = 50;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    double marg[50], prob[50], c[50 * (NF + 1)];
    synth(n, 6, X, y, NULL);
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    cpe_gbt_t m = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, NULL), 0);
    CHECK_EQ_INT(cpe_gbt_predict(&m, X, nt, 1, marg), 0);
    CHECK_EQ_INT(cpe_gbt_predict(&m, X, nt, 0, prob), 0);
    CHECK_EQ_INT(cpe_gbt_contribs(&m, X, nt, c), 0);
    double max_x0 = 0, max_noise = 0;
    for (size_t i = 0; i < nt; i++) {
        double s = 0;
        for (int j = 0; j <= NF; j++)
            s += c[i * (NF + 1) + j];
        CHECK_NEAR(s, marg[i], 1e-4);
        CHECK_NEAR(1 / (1 + exp(-marg[i])), prob[i], 1e-6);
        max_x0 = fmax(max_x0, fabs(c[i * (NF + 1)]));
        max_noise = fmax(max_noise, fabs(c[i * (NF + 1) + 5]));
    }
    CHECK_MSG(max_x0 > 3 * max_noise, "x0 shap %.3f vs noise %.3f", max_x0, max_noise);
    cpe_gbt_free(&m);
    free(X), free(y);
}

static void test_regressor_starts_from_the_mean_not_half(void)
{
    /* XGBoost 1.7's default base_score is 0.5: with few rounds a regressor of small
     * returns would stay near it. Targets ~1e-3: after 3 rounds the predictions must be
     * on the targets' scale. */
    size_t n = 1000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    synth(n, 9, X, NULL, y);
    for (size_t i = 0; i < n; i++)
        y[i] = 0.1 * y[i] + 0.002; /* mean 0.002, sd ~0.002 */
    cpe_gbt_params_t prm = quick(CPE_GBT_REGRESSION);
    prm.max_rounds = 3;
    prm.early_stop_rounds = 0;
    cpe_gbt_t m = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, NULL), 0);
    CHECK_EQ_INT(cpe_gbt_predict(&m, X, n, 0, p), 0);
    double mp = 0;
    for (size_t i = 0; i < n; i++)
        mp += p[i] / (double)n;
    CHECK_NEAR(mp, 0.002, 0.001);
    cpe_gbt_free(&m);
    free(X), free(y), free(p);
}

static void test_train_rejects_too_few_rows(void)
{
    double X[40 * NF] = {0}, y[40] = {0};
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    cpe_gbt_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, 40, NF, y, &d), CPE_EDATA);
    CHECK(strstr(d.msg, "rows") != NULL);
    CHECK(m.booster == NULL);
}

static void test_gap_rows_are_never_fitted(void)
{
    /* With gap_rows the fitted rows end valid_frac + gap before the end. */
    size_t n = 1000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    synth(n, 7, X, y, NULL);
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    prm.gap_rows = 100;
    cpe_gbt_t m = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, NULL), 0);
    CHECK_EQ_INT(m.n_train, 700);
    CHECK_EQ_INT(m.valid_from, 800);
    cpe_gbt_free(&m);
    free(X), free(y);
}

static void test_gbt_cancel_set_before_training_keeps_no_model(void)
{
    size_t n = 1000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    synth(n, 8, X, y, NULL);
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    atomic_int stop;
    atomic_init(&stop, 1);
    prm.cancel = &stop;
    cpe_gbt_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, &d), CPE_ECANCELED);
    CHECK(strstr(d.msg, "before round 1") != NULL);
    CHECK(m.booster == NULL);
    atomic_store(&stop, 0); /* a lowered flag trains as without one */
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, &d), 0);
    CHECK(m.best_rounds > 0);
    cpe_gbt_free(&m);
    free(X), free(y);
}

typedef struct raise_ctx {
    atomic_int *flag;
    atomic_int started;
} raise_ctx_t;

static void *raise_after(void *arg)
{
    raise_ctx_t *c = arg;
    while (!atomic_load(&c->started))
        ;
    struct timespec ts = {0, 30 * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(c->flag, 1);
    return NULL;
}

static void test_gbt_cancel_stops_between_rounds(void)
{
    /* 100,000 rounds without early stopping would take minutes: raised 30 ms after the
     * training starts, the hook ends it at a round far before the last. */
    size_t n = 4000;
    double *X = malloc(n * NF * sizeof *X), *y = malloc(n * sizeof *y);
    synth(n, 9, X, y, NULL);
    cpe_gbt_params_t prm = quick(CPE_GBT_BINARY);
    prm.max_rounds = 100000;
    prm.early_stop_rounds = 0;
    prm.nthread = 1;
    atomic_int stop;
    atomic_init(&stop, 0);
    prm.cancel = &stop;
    raise_ctx_t rc = {&stop, 0};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, raise_after, &rc), 0);
    atomic_store(&rc.started, 1);
    cpe_gbt_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_gbt_train(&m, &prm, X, n, NF, y, &d), CPE_ECANCELED);
    pthread_join(th, NULL);
    int round = 0;
    const char *at = strstr(d.msg, "before round ");
    CHECK(at != NULL);
    if (at) round = (int)strtol(at + strlen("before round "), NULL, 10);
    CHECK_MSG(round >= 1 && round < prm.max_rounds, "stopped before round %d", round);
    CHECK(m.booster == NULL);
    free(X), free(y);
}

/* cpe_gbt_train2 gives the models of two cpe_gbt_train calls bit for bit: with the same
 * rows (one set of matrices, relabelled) and with other rows (a NaN target, another gap). */
static void check_pair_equals_two_trainings(const double *X, size_t n, const double *yb,
                                            const double *yr, size_t gap_reg)
{
    cpe_gbt_params_t pc = quick(CPE_GBT_BINARY), pr = quick(CPE_GBT_REGRESSION);
    pc.nthread = pr.nthread = 1;
    pc.gap_rows = 30;
    pr.gap_rows = gap_reg;
    cpe_gbt_t c1 = {0}, r1 = {0}, c2 = {0}, r2 = {0};
    CHECK_EQ_INT(cpe_gbt_train(&c1, &pc, X, n, NF, yb, NULL), 0);
    CHECK_EQ_INT(cpe_gbt_train(&r1, &pr, X, n, NF, yr, NULL), 0);
    CHECK_EQ_INT(cpe_gbt_train2(&c2, &pc, yb, &r2, &pr, yr, X, n, NF, NULL), 0);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    const cpe_gbt_t *one[2] = {&c1, &r1}, *two[2] = {&c2, &r2};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(one[k]->best_rounds, two[k]->best_rounds);
        CHECK_EQ_INT(one[k]->valid_from, two[k]->valid_from);
        CHECK_EQ_INT(one[k]->n_train, two[k]->n_train);
        CHECK(one[k]->best_valid_loss == two[k]->best_valid_loss);
        CHECK_EQ_INT(cpe_gbt_predict(one[k], X, n, 1, a), 0);
        CHECK_EQ_INT(cpe_gbt_predict(two[k], X, n, 1, b), 0);
        CHECK(memcmp(a, b, n * sizeof *a) == 0);
    }
    free(a);
    free(b);
    cpe_gbt_free(&c1);
    cpe_gbt_free(&r1);
    cpe_gbt_free(&c2);
    cpe_gbt_free(&r2);
}

static void test_train2_equals_two_trainings_bit_for_bit(void)
{
    size_t n = 3000;
    double *X = malloc(n * NF * sizeof *X), *yb = malloc(n * sizeof *yb),
           *yr = malloc(n * sizeof *yr);
    synth(n, 11, X, yb, yr);
    check_pair_equals_two_trainings(X, n, yb, yr, 30); /* same rows: shared matrices */
    check_pair_equals_two_trainings(X, n, yb, yr, 45); /* another gap: its own */
    yr[100] = NAN;                                     /* another fit row set: its own */
    check_pair_equals_two_trainings(X, n, yb, yr, 30);
    free(X);
    free(yb);
    free(yr);
}

int main(void)
{
    RUN(test_classifier_learns_signal_out_of_sample);
    RUN(test_shuffled_labels_give_auc_near_half);
    RUN(test_early_stopping_keeps_few_rounds_on_noise);
    RUN(test_save_load_reproduces_predictions_bit_for_bit);
    RUN(test_shap_contributions_sum_to_margin);
    RUN(test_regressor_starts_from_the_mean_not_half);
    RUN(test_train_rejects_too_few_rows);
    RUN(test_gap_rows_are_never_fitted);
    RUN(test_gbt_cancel_set_before_training_keeps_no_model);
    RUN(test_gbt_cancel_stops_between_rounds);
    RUN(test_train2_equals_two_trainings_bit_for_bit);
    return TEST_DONE();
}
