/* test_nn_tft.c — the temporal-fusion-style model of nn.h (nn_tft.cpp) on a tiny synthetic
 * conditionally Gaussian series: the loss falls and it learns the window's signal, its
 * quantiles never cross and cover near their nominal levels on held-out rows, the
 * attention and variable-selection weights are distributions that favour the informative
 * column, training is bit-identical per seed, save/load predicts bit for bit, and bad input
 * is refused by name (the series: nn_synth.h). Also the quantile scores of nn.c against
 * hand-computed values. */
#include "cpe/metrics.h"
#include "cpe/nn.h"
#include "cpe/scores.h"
#include "nn_synth.h"
#include "test.h"

#include <math.h>
#include <string.h>

#define NF NN_SYNTH_NF
#define NR 1400
#define NH 2
#define LB 8

static void synth(uint64_t seed, double *X, double *y)
{
    nn_synth(seed, NR, NH, X, y);
}

typedef nn_split_t split_t;

static void make_split(split_t *s)
{
    nn_make_split(s, NR, 800, 1000);
}

static cpe_nn_params_t tiny(void)
{
    cpe_nn_params_t p;
    cpe_nn_params_default(&p, CPE_NN_TFT);
    p.n_h = NH;
    p.horizons_h[0] = 1, p.horizons_h[1] = 4;
    p.lookback = LB;
    p.stride = 1;
    p.hidden = 8;
    p.layers = 1;
    p.max_epochs = 20;
    p.patience = 20;
    p.batch = 32;
    p.lr = 1e-2;
    return p;
}

static double X[NR * NF], Y[NR * NH];
static split_t S;

static void test_tft_loss_falls_quantiles_are_ordered_and_cover(void)
{
    synth(1, X, Y);
    make_split(&S);
    cpe_nn_params_t p = tiny();
    cpe_nn_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, S.fit, S.nfit, S.valid, S.nvalid, Y, &d), 0);
    CHECK_MSG(m.last_train_loss < m.first_train_loss - 0.05, "loss %.4f -> %.4f",
              m.first_train_loss, m.last_train_loss);
    CHECK(m.best_valid_loss <= m.first_valid_loss);
    static double pu[NH * NR], q[NH * NR * CPE_NN_NQ], yu[NR];
    CHECK_EQ_INT(cpe_nn_predict_dist(&m, X, NR, NF, S.test, S.ntest, pu, NULL, NULL, q, &d), 0);
    for (size_t j = 0; j < S.ntest; j++)
        yu[j] = Y[S.test[j] * NH] > 0;
    double auc = cpe_metric_auc(pu, yu, S.ntest);
    CHECK_MSG(auc > 0.7, "tft: direction AUC %.3f", auc);
    int crossed = 0;
    for (int k = 0; k < NH; k++) {
        double c1 = 0, c2 = 0, n = 0;
        for (size_t j = 0; j < S.ntest; j++) {
            const double *qj = q + ((size_t)k * S.ntest + j) * CPE_NN_NQ;
            for (int l = 0; l + 1 < CPE_NN_NQ; l++)
                crossed += !(qj[l] < qj[l + 1]);
            double yv = Y[S.test[j] * NH + (size_t)k];
            if (isnan(yv)) continue;
            c1 += yv >= qj[1] && yv <= qj[3];
            c2 += yv >= qj[0] && yv <= qj[4];
            n++;
        }
        /* ~390 held-out rows: binomial sd 0.024 (1 sigma band) and 0.011 (2 sigma) */
        fprintf(stderr,
                "  tft h%d: AUC %.3f, coverage %.3f / %.3f (0.683 / 0.954), loss %.3f -> %.3f\n", k,
                auc, c1 / n, c2 / n, m.first_train_loss, m.last_train_loss);
        CHECK_MSG(fabs(c1 / n - 0.683) < 0.09, "h%d: 15.9-84.1 coverage %.3f", k, c1 / n);
        CHECK_MSG(fabs(c2 / n - 0.954) < 0.045, "h%d: 2.3-97.7 coverage %.3f", k, c2 / n);
    }
    CHECK_EQ_INT(crossed, 0);
    /* the weights are distributions, and the signal column outweighs the noise column */
    static double attn[NR * LB], vsel[NR * NF];
    CHECK_EQ_INT(cpe_nn_attention(&m, X, NR, NF, S.test, S.ntest, attn, vsel, &d), 0);
    double w0 = 0, w2 = 0;
    int not_dist = 0;
    for (size_t j = 0; j < S.ntest; j++) {
        double sa = 0, sv = 0;
        for (int s = 0; s < LB; s++)
            sa += attn[j * LB + (size_t)s];
        for (int c = 0; c < NF; c++)
            sv += vsel[j * NF + (size_t)c];
        not_dist += !(fabs(sa - 1) < 1e-5 && fabs(sv - 1) < 1e-5);
        w0 += vsel[j * NF], w2 += vsel[j * NF + 2];
    }
    CHECK_EQ_INT(not_dist, 0);
    fprintf(stderr, "  tft: selection weights signal %.3f, noise %.3f\n", w0 / (double)S.ntest,
            w2 / (double)S.ntest);
    CHECK_MSG(w0 > w2, "selection weight of the signal %.3f vs the noise %.3f",
              w0 / (double)S.ntest, w2 / (double)S.ntest);
    cpe_nn_free(&m);
}

static void test_tft_same_seed_and_file_predict_bit_for_bit(void)
{
    synth(2, X, Y);
    make_split(&S);
    cpe_nn_params_t p = tiny();
    p.max_epochs = 3;
    cpe_nn_t m1 = {0}, m2 = {0}, l = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_train(&m1, &p, X, NR, NF, S.fit, S.nfit, S.valid, S.nvalid, Y, &d), 0);
    CHECK_EQ_INT(cpe_nn_train(&m2, &p, X, NR, NF, S.fit, S.nfit, S.valid, S.nvalid, Y, &d), 0);
    char path[600];
    snprintf(path, sizeof path, "%.500s/nn_tft.pt", test_tmpdir());
    CHECK_EQ_INT(cpe_nn_save(&m1, path, &d), 0);
    CHECK_EQ_INT(cpe_nn_load(&l, path, NF, &d), 0);
    CHECK_EQ_INT(l.p.arch, CPE_NN_TFT);
    CHECK_EQ_INT(l.p.horizons_h[1], 4);
    const cpe_nn_t *ms[3] = {&m1, &m2, &l};
    static double q[3][NH * NR * CPE_NN_NQ], pu[3][NH * NR], at[3][NR * LB], vs[3][NR * NF];
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(
            cpe_nn_predict_dist(ms[i], X, NR, NF, S.test, S.ntest, NULL, NULL, NULL, q[i], &d), 0);
        CHECK_EQ_INT(cpe_nn_predict(ms[i], X, NR, NF, S.test, S.ntest, pu[i], NULL, NULL, &d), 0);
        CHECK_EQ_INT(cpe_nn_attention(ms[i], X, NR, NF, S.test, S.ntest, at[i], vs[i], &d), 0);
    }
    for (int i = 1; i < 3; i++) {
        CHECK(memcmp(q[0], q[i], NH * S.ntest * CPE_NN_NQ * sizeof q[0][0]) == 0);
        CHECK(memcmp(pu[0], pu[i], NH * S.ntest * sizeof pu[0][0]) == 0);
        CHECK(memcmp(at[0], at[i], LB * S.ntest * sizeof at[0][0]) == 0);
        CHECK(memcmp(vs[0], vs[i], NF * S.ntest * sizeof vs[0][0]) == 0);
    }
    cpe_nn_free(&m1), cpe_nn_free(&m2), cpe_nn_free(&l);
}

static void test_quantile_scores_match_hand_computed_values(void)
{
    CHECK(fabs(cpe_nn_quantile_level(1) - 0.158655) < 1e-6);
    CHECK(fabs(cpe_nn_quantile_level(4) - 0.977250) < 1e-6);
    CHECK(isnan(cpe_nn_quantile_level(5)));
    /* q = -2..2 at y = 0: (2 * 0.02275 + 0.158655 + 0 + 0.158655 + 2 * 0.02275) / 5 */
    const double q[CPE_NN_NQ] = {-2, -1, 0, 1, 2};
    CHECK(fabs(cpe_nn_pinball(q, 0) - 0.081662) < 1e-5);
    /* a Gaussian's quantiles give that Gaussian's CRPS (the interpolation is exact in z) */
    const double mu = 0.001, sd = 0.004, ys[3] = {0.0, 0.003, -0.011};
    double g[CPE_NN_NQ];
    for (int l = 0; l < CPE_NN_NQ; l++)
        g[l] = mu + (l - 2) * sd;
    for (int i = 0; i < 3; i++) {
        double a = cpe_nn_crps_quantiles(g, ys[i]), b = cpe_crps_gauss(mu, sd, ys[i]);
        CHECK_MSG(fabs(a - b) < 1e-4 * b, "CRPS %.8g vs Gaussian %.8g", a, b);
    }
}

static void test_tft_bad_input_is_refused_by_name(void)
{
    synth(3, X, Y);
    make_split(&S);
    cpe_nn_params_t p = tiny();
    p.hidden = 10;
    cpe_nn_t m = {0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, S.fit, S.nfit, S.valid, S.nvalid, Y, &d),
                 CPE_EINVAL);
    CHECK(strstr(d.msg, "multiple of 4 for tft") != NULL);
    unsigned mask = 0;
    CHECK_EQ_INT(cpe_nn_parse_list("tcn,lstm,tft", &mask, &d), 0);
    CHECK_EQ_INT(mask, 7);
    /* a TCN has Gaussian quantiles but no attention */
    cpe_nn_params_default(&p, CPE_NN_TCN);
    p.n_h = NH, p.horizons_h[0] = 1, p.horizons_h[1] = 4;
    p.lookback = LB, p.stride = 1, p.hidden = 8, p.layers = 1, p.max_epochs = 1;
    CHECK_EQ_INT(cpe_nn_train(&m, &p, X, NR, NF, S.fit, S.nfit, S.valid, S.nvalid, Y, &d), 0);
    double q[NH * 2 * CPE_NN_NQ], mv[NH * 2], var[NH * 2];
    CHECK_EQ_INT(cpe_nn_predict(&m, X, NR, NF, S.test, 2, NULL, mv, var, &d), 0);
    double mv2[NH * 2];
    CHECK_EQ_INT(cpe_nn_predict_dist(&m, X, NR, NF, S.test, 2, NULL, mv2, NULL, q, &d), 0);
    CHECK(memcmp(mv, mv2, sizeof mv) == 0); /* one pass gives what cpe_nn_predict gives */
    CHECK(fabs(q[2] - mv[0]) < 1e-12 * fabs(mv[0]) + 1e-15);
    CHECK(fabs(q[CPE_NN_NQ + 3] - q[CPE_NN_NQ + 2] - sqrt(var[1])) < 1e-9);
    double attn[LB];
    CHECK_EQ_INT(cpe_nn_attention(&m, X, NR, NF, S.test, 1, attn, NULL, &d), CPE_EUNSUPPORTED);
    CHECK(strstr(d.msg, "tcn") != NULL);
    size_t far = NR + 3;
    CHECK_EQ_INT(cpe_nn_predict_dist(&m, X, NR, NF, &far, 1, NULL, NULL, NULL, q, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "row 1403") != NULL);
    cpe_nn_free(&m);
}

int main(void)
{
    RUN(test_tft_loss_falls_quantiles_are_ordered_and_cover);
    RUN(test_tft_same_seed_and_file_predict_bit_for_bit);
    RUN(test_quantile_scores_match_hand_computed_values);
    RUN(test_tft_bad_input_is_refused_by_name);
    return TEST_DONE();
}
