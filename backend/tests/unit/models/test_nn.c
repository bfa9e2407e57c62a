/* test_nn.c — the neural sequence models (LibTorch bridge): tiny TCN and LSTM on tiny
 * synthetic sequences learn a signal that only the window holds (loss falls, held-out AUC
 * and variance ranking clear chance), train bit-identically from the same seed, round-trip
 * through a file predicting bit for bit, and refuse bad input naming it. */
#include "cpe/metrics.h"
#include "cpe/nn.h"
#include "nn_synth.h"
#include "test.h"

#include <math.h>
#include <string.h>

#define NF NN_SYNTH_NF
#define NR 900
#define NH 2

static void synth(uint64_t seed, double *X, double *y)
{
    nn_synth(seed, NR, NH, X, y);
}

static cpe_nn_params_t tiny(cpe_nn_arch_t a)
{
    cpe_nn_params_t p;
    cpe_nn_params_default(&p, a);
    p.n_h = NH;
    p.horizons_h[0] = 1, p.horizons_h[1] = 4;
    p.lookback = 8;
    p.stride = 1;
    p.hidden = 8;
    p.layers = a == CPE_NN_TCN ? 2 : 1;
    p.max_epochs = 25;
    p.patience = 25;
    p.batch = 32;
    p.lr = 1e-2;
    return p;
}

typedef nn_split_t split_t;

static void make_split(split_t *s)
{
    nn_make_split(s, NR, 500, 650);
}

static void check_learns(cpe_nn_arch_t a)
{
    static double X[NR * NF], y[NR * NH];
    static split_t s;
    synth(1, X, y);
    make_split(&s);
    cpe_nn_params_t p = tiny(a);
    cpe_nn_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, s.fit, s.nfit, s.valid, s.nvalid, y, &d), 0);
    CHECK_MSG(m.last_train_loss < m.first_train_loss - 0.05, "%s: loss %.4f -> %.4f",
              cpe_nn_arch_name(a), m.first_train_loss, m.last_train_loss);
    CHECK(m.best_valid_loss <= m.first_valid_loss);
    CHECK(m.best_epoch >= 1 && m.best_epoch <= m.epochs);
    double pu[NH * NR], mv[NH * NR], var[NH * NR], yu[NR], yt[NR], sq[NR];
    CHECK_EQ_INT(cpe_nn_predict(&m, X, NR, NF, s.test, s.ntest, pu, mv, var, &d), 0);
    for (size_t j = 0; j < s.ntest; j++) {
        yt[j] = y[s.test[j] * NH];
        yu[j] = yt[j] > 0 ? 1 : 0;
        sq[j] = yt[j] * yt[j];
        CHECK(pu[j] > 0 && pu[j] < 1 && var[j] > 0 && isfinite(mv[j]));
    }
    /* the direction is a sum over the window: chance is 0.5, the Bayes AUC about 0.9 */
    double auc = cpe_metric_auc(pu, yu, s.ntest);
    CHECK_MSG(auc > 0.75, "%s: direction AUC %.3f", cpe_nn_arch_name(a), auc);
    /* the variance head ranks the squared outcomes: above-median variance forecasts see
     * larger squared returns on average */
    double big = 0, small = 0, nb = 0, ns = 0, sum = 0;
    for (size_t j = 0; j < s.ntest; j++)
        sum += var[j];
    for (size_t j = 0; j < s.ntest; j++) {
        double e = sq[j];
        if (var[j] > sum / (double)s.ntest)
            big += e, nb++;
        else
            small += e, ns++;
    }
    CHECK_MSG(nb > 0 && ns > 0 && big / nb > 1.3 * (small / ns), "%s: var ranks %.3g vs %.3g",
              cpe_nn_arch_name(a), big / nb, small / ns);
    cpe_nn_free(&m);
    cpe_nn_free(&m); /* a second free is a no-op */
}

static void test_tcn_loss_falls_and_learns_the_window_signal(void)
{
    check_learns(CPE_NN_TCN);
}

static void test_lstm_loss_falls_and_learns_the_window_signal(void)
{
    check_learns(CPE_NN_LSTM);
}

static void check_same_seed_same_weights(cpe_nn_arch_t a)
{
    static double X[NR * NF], y[NR * NH];
    static split_t s;
    synth(2, X, y);
    make_split(&s);
    cpe_nn_params_t p = tiny(a);
    p.max_epochs = 4;
    cpe_nn_t m1 = {0}, m2 = {0}, m3 = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_train(&m1, &p, X, NR, NF, s.fit, s.nfit, s.valid, s.nvalid, y, &d), 0);
    CHECK_EQ_INT(cpe_nn_train(&m2, &p, X, NR, NF, s.fit, s.nfit, s.valid, s.nvalid, y, &d), 0);
    p.seed = 7;
    CHECK_EQ_INT(cpe_nn_train(&m3, &p, X, NR, NF, s.fit, s.nfit, s.valid, s.nvalid, y, &d), 0);
    static double a1[NH * NR], a2[NH * NR], a3[NH * NR];
    CHECK_EQ_INT(cpe_nn_predict(&m1, X, NR, NF, s.test, s.ntest, a1, NULL, NULL, &d), 0);
    CHECK_EQ_INT(cpe_nn_predict(&m2, X, NR, NF, s.test, s.ntest, a2, NULL, NULL, &d), 0);
    CHECK_EQ_INT(cpe_nn_predict(&m3, X, NR, NF, s.test, s.ntest, a3, NULL, NULL, &d), 0);
    CHECK(memcmp(a1, a2, NH * s.ntest * sizeof *a1) == 0);
    CHECK(memcmp(a1, a3, NH * s.ntest * sizeof *a1) != 0);
    CHECK(m1.best_valid_loss == m2.best_valid_loss);
    cpe_nn_free(&m1), cpe_nn_free(&m2), cpe_nn_free(&m3);
}

static void test_same_seed_and_threads_give_the_same_weights(void)
{
    check_same_seed_same_weights(CPE_NN_TCN);
    check_same_seed_same_weights(CPE_NN_LSTM);
}

static void test_save_load_predicts_bit_for_bit(void)
{
    static double X[NR * NF], y[NR * NH];
    static split_t s;
    synth(3, X, y);
    make_split(&s);
    for (int a = 0; a < CPE_NN_NARCH; a++) {
        cpe_nn_params_t p = tiny((cpe_nn_arch_t)a);
        p.max_epochs = 3;
        cpe_nn_t m = {0}, l = {0}, bad = {0};
        cpe_diag_t d = {0};
        CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, s.fit, s.nfit, s.valid, s.nvalid, y, &d), 0);
        char path[600];
        snprintf(path, sizeof path, "%.500s/nn_%s.pt", test_tmpdir(), cpe_nn_arch_name(m.p.arch));
        CHECK_EQ_INT(cpe_nn_save(&m, path, &d), 0);
        CHECK_EQ_INT(cpe_nn_load(&l, path, NF, &d), 0);
        CHECK_EQ_INT(l.p.arch, a);
        CHECK_EQ_INT(l.p.horizons_h[1], 4);
        static double p1[NH * NR], m1[NH * NR], v1[NH * NR], p2[NH * NR], m2[NH * NR], v2[NH * NR];
        CHECK_EQ_INT(cpe_nn_predict(&m, X, NR, NF, s.test, s.ntest, p1, m1, v1, &d), 0);
        CHECK_EQ_INT(cpe_nn_predict(&l, X, NR, NF, s.test, s.ntest, p2, m2, v2, &d), 0);
        size_t bytes = NH * s.ntest * sizeof *p1;
        CHECK(memcmp(p1, p2, bytes) == 0 && memcmp(m1, m2, bytes) == 0 &&
              memcmp(v1, v2, bytes) == 0);
        /* the file names its shape: another column count is refused */
        CHECK_EQ_INT(cpe_nn_load(&bad, path, NF + 1, &d), CPE_EMODEL);
        CHECK(strstr(d.msg, "feature columns") != NULL);
        cpe_nn_free(&bad);
        cpe_nn_free(&m), cpe_nn_free(&l);
    }
    cpe_nn_t none = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_load(&none, "/nonexistent/nn_tcn.pt", NF, &d), CPE_EMODEL);
    CHECK(strstr(d.msg, "/nonexistent/nn_tcn.pt") != NULL);
}

static void test_bad_input_is_refused_by_name(void)
{
    static double X[NR * NF], y[NR * NH];
    static split_t s;
    synth(4, X, y);
    make_split(&s);
    cpe_nn_params_t p = tiny(CPE_NN_TCN);
    cpe_nn_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, s.fit, 10, s.valid, s.nvalid, y, &d), CPE_EDATA);
    CHECK(strstr(d.msg, "10 fitting") != NULL);
    p.lookback = 0;
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, s.fit, s.nfit, s.valid, s.nvalid, y, &d),
                 CPE_EINVAL);
    p = tiny(CPE_NN_TCN);
    size_t far[40];
    for (int i = 0; i < 40; i++)
        far[i] = NR + (size_t)i;
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, far, 40, s.valid, s.nvalid, y, &d), CPE_EINVAL);
    CHECK(m.impl == NULL);
    CHECK_EQ_INT(cpe_nn_predict(&m, X, NR, NF, s.test, 1, NULL, NULL, NULL, &d), CPE_EINVAL);
    unsigned mask = 0;
    CHECK_EQ_INT(cpe_nn_parse_list("tcn,lstm", &mask, &d), 0);
    CHECK_EQ_INT(mask, 3);
    CHECK_EQ_INT(cpe_nn_parse_list("lstm", &mask, &d), 0);
    CHECK_EQ_INT(mask, 1u << CPE_NN_LSTM);
    CHECK_EQ_INT(cpe_nn_parse_list("tcn,gru", &mask, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "'gru'") != NULL);
}

int main(void)
{
    RUN(test_tcn_loss_falls_and_learns_the_window_signal);
    RUN(test_lstm_loss_falls_and_learns_the_window_signal);
    RUN(test_same_seed_and_threads_give_the_same_weights);
    RUN(test_save_load_predicts_bit_for_bit);
    RUN(test_bad_input_is_refused_by_name);
    return TEST_DONE();
}
