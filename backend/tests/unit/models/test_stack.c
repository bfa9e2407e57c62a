/* test_stack.c — the ensemble stacker against simulated truth and its optimality
 * conditions: the logistic weights recover the generating coefficients, a useless or
 * contrarian member gets exactly 0, the variance weights put the mass on the true
 * variance and satisfy the simplex KKT conditions; bad input is refused by name. */
#include "cpe/rng.h"
#include "cpe/scores.h"
#include "cpe/stack.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 6000

/* z[:, 0] drives the outcome with coefficient 1 (and intercept 0.2), z[:, 1] is noise,
 * z[:, 2] = -z[:, 0] (a contrarian member). */
static void make_dir(double *z, unsigned char *up, uint64_t seed)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    for (size_t i = 0; i < N; i++) {
        double a = cpe_rng_normal(&r), b = cpe_rng_normal(&r);
        z[i * 3] = a, z[i * 3 + 1] = b, z[i * 3 + 2] = -a;
        double p = 1 / (1 + exp(-(0.2 + a)));
        up[i] = cpe_rng_uniform(&r) < p;
    }
}

static void test_dir_recovers_truth_and_zeroes_useless_members(void)
{
    double *z = malloc(N * 3 * sizeof *z);
    unsigned char *up = malloc(N);
    make_dir(z, up, 7);
    cpe_stack_dir_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_stack_fit_dir(z, N, 3, up, 0, &s, &d), 0);
    CHECK_NEAR(s.w[0], 1.0, 0.1);
    CHECK_NEAR(s.b0, 0.2, 0.08);
    CHECK(s.w[1] < 0.05);
    CHECK(s.w[2] == 0); /* contrarian: clipped at exactly 0 */
    /* KKT: zero gradient on the intercept and every positive weight, >= 0 at a zero one */
    double g[4] = {0};
    for (size_t i = 0; i < N; i++) {
        double e = cpe_stack_dir_p(&s, z + i * 3) - up[i];
        g[0] += e;
        for (int j = 0; j < 3; j++)
            g[j + 1] += e * z[i * 3 + j];
    }
    CHECK_NEAR(g[0] / N, 0, 1e-6);
    for (int j = 0; j < 3; j++) {
        if (s.w[j] > 0)
            CHECK_NEAR(g[j + 1] / N, 0, 1e-6);
        else
            CHECK(g[j + 1] / N > -1e-6);
    }
    /* the fitted log-loss is below the intercept-only model's */
    double pu = 0;
    for (size_t i = 0; i < N; i++)
        pu += up[i];
    pu /= N;
    CHECK(s.logloss < -(pu * log(pu) + (1 - pu) * log(1 - pu)) - 0.05);
    /* a penalty shrinks the weight */
    cpe_stack_dir_t s2;
    CHECK_EQ_INT(cpe_stack_fit_dir(z, N, 3, up, 1.0, &s2, &d), 0);
    CHECK(s2.w[0] < s.w[0] - 0.2 && s2.w[0] > 0);
    free(z);
    free(up);
}

/* v[:, 0] the true variance, v[:, 1] it times lognormal noise, v[:, 2] a constant. */
static void make_var(double *v, double *y2, uint64_t seed)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    double lv = 0;
    for (size_t i = 0; i < N; i++) {
        lv = 0.97 * lv + 0.25 * cpe_rng_normal(&r); /* a persistent log-variance */
        double var = 1e-4 * exp(lv);
        v[i * 3] = var;
        v[i * 3 + 1] = var * exp(0.8 * cpe_rng_normal(&r));
        v[i * 3 + 2] = 1.5e-4;
        double y = sqrt(var) * cpe_rng_normal(&r);
        y2[i] = y * y;
    }
}

static void test_var_weights_find_the_true_variance(void)
{
    double *v = malloc(N * 3 * sizeof *v), *y2 = malloc(N * sizeof *y2);
    make_var(v, y2, 11);
    cpe_stack_var_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_stack_fit_var(v, N, 3, y2, &s, &d), 0);
    double sum = s.w[0] + s.w[1] + s.w[2];
    CHECK_NEAR(sum, 1.0, 0.1);  /* the true variance is unbiased */
    CHECK(s.w[0] / sum > 0.75); /* and carries most of the weight */
    for (int j = 0; j < 3; j++)
        CHECK(s.w[j] >= 0);
    /* its QLIKE is at most the true variance's alone */
    double q0 = 0;
    for (size_t i = 0; i < N; i++)
        q0 += cpe_qlike(v[i * 3], y2[i]);
    CHECK(s.qlike <= q0 / N + 1e-12);
    /* scale equivariance: members twice as large get half the weight */
    for (size_t i = 0; i < N * 3; i++)
        v[i] *= 2;
    cpe_stack_var_t s2;
    CHECK_EQ_INT(cpe_stack_fit_var(v, N, 3, y2, &s2, &d), 0);
    for (int j = 0; j < 3; j++)
        CHECK_NEAR(s2.w[j], s.w[j] / 2, 1e-3 * sum);
    free(v);
    free(y2);
}

static void test_var_useless_member_gets_exactly_zero(void)
{
    /* member 1 is the truth times a wild factor unrelated to it: the simplex projection
     * must drop it entirely rather than keep a sliver */
    double *v = malloc(N * 2 * sizeof *v), *y2 = malloc(N * sizeof *y2);
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    for (size_t i = 0; i < N; i++) {
        double var = 1e-4 * exp(cpe_rng_normal(&r));
        v[i * 2] = var;
        v[i * 2 + 1] = 1e-4 * exp(3 * cpe_rng_normal(&r));
        double y = sqrt(var) * cpe_rng_normal(&r);
        y2[i] = y * y;
    }
    cpe_stack_var_t s;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_stack_fit_var(v, N, 2, y2, &s, &d), 0);
    CHECK(s.w[1] == 0);
    CHECK_NEAR(s.w[0], 1.0, 0.06);
    free(v);
    free(y2);
}

static void test_bad_input_is_refused_by_name(void)
{
    double z[32 * 2], y2[32];
    unsigned char up[32];
    for (int i = 0; i < 32; i++)
        z[2 * i] = z[2 * i + 1] = 1e-4 * (i + 1), up[i] = i % 2, y2[i] = 1e-4;
    cpe_stack_dir_t s;
    cpe_stack_var_t sv;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_stack_fit_dir(z, 32, 0, up, 0, &s, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_stack_fit_dir(z, 32, CPE_STACK_MAX_M + 1, up, 0, &s, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_stack_fit_dir(z, 8, 2, up, 0, &s, &d), CPE_EDATA);
    z[2 * 5 + 1] = NAN;
    CHECK_EQ_INT(cpe_stack_fit_dir(z, 32, 2, up, 0, &s, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "row 5 member 1") != NULL);
    z[2 * 5 + 1] = 0;
    CHECK_EQ_INT(cpe_stack_fit_var(z, 32, 2, y2, &sv, &d), CPE_EINVAL); /* a zero variance */
    CHECK(strstr(d.msg, "row 5 member 1") != NULL);
    z[2 * 5 + 1] = 1e-4;
    for (int i = 0; i < 32; i++)
        up[i] = 1;
    CHECK_EQ_INT(cpe_stack_fit_dir(z, 32, 2, up, 0, &s, &d), CPE_EDATA);
    y2[3] = -1;
    CHECK_EQ_INT(cpe_stack_fit_var(z, 32, 2, y2, &sv, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "outcome 3") != NULL);
    CHECK_NEAR(cpe_stack_logit(0.5), 0, 1e-15);
    CHECK(isfinite(cpe_stack_logit(0)) && isfinite(cpe_stack_logit(1)));
    CHECK(isfinite(cpe_stack_logit(NAN)));
}

int main(void)
{
    RUN(test_dir_recovers_truth_and_zeroes_useless_members);
    RUN(test_var_weights_find_the_true_variance);
    RUN(test_var_useless_member_gets_exactly_zero);
    RUN(test_bad_input_is_refused_by_name);
    return TEST_DONE();
}
