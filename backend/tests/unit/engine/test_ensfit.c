/* test_ensfit.c — the ensemble walk-forward on synthetic rows (trees and volatility models
 * only: the neural members are exercised by tests/integration/test_neural_cli.sh): a planted
 * direction signal earns the trees a positive weight and beats the base rate out of sample, the
 * variance weights are non-negative shares, every line is scored on the same rows beside the
 * champion, and the Diebold-Mariano tests are finite. */
#include "cpe/ensfit.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

#define NC 3
static const char *const COLS[NC] = {"volatility_1h", "hint", "junk"};

/* Random walk on a 5m grid whose volatility drifts; "hint" is the sign of the next hour's
 * return, right 70 % of the time. */
static void make_rows(size_t n, int64_t *ts, double *close, double *X)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, 99);
    double c = 30000, lv = log(0.002);
    for (size_t i = 0; i < n; i++) {
        lv += 0.02 * (log(0.002) - lv) + 0.05 * cpe_rng_normal(&r);
        c *= exp(exp(lv) * cpe_rng_normal(&r));
        ts[i] = 1717200000000LL + (int64_t)i * 5 * CPE_MS_PER_MIN; /* 2024-06-01 */
        close[i] = c;
        X[i * NC] = exp(lv);
    }
    for (size_t i = 0; i < n; i++) {
        double fut = i + 12 < n ? close[i + 12] - close[i] : 0;
        X[i * NC + 1] = (fut > 0 ? 1.0 : -1.0) * (cpe_rng_uniform(&r) < 0.7 ? 1 : -1);
        X[i * NC + 2] = cpe_rng_normal(&r);
    }
}

static void test_ensemble_weighs_members_and_scores_beside_the_champion(void)
{
    size_t n = 20 * 288;
    int64_t *ts = malloc(n * sizeof *ts);
    double *close = malloc(n * sizeof *close), *X = malloc(n * NC * sizeof *X);
    make_rows(n, ts, close, X);
    cpe_mlview_t v = {n, NC, ts, X, close, COLS};
    cpe_wf_config_t c;
    cpe_wf_config_default(&c);
    c.train_days = 12, c.test_days = 3, c.folds = 2, c.eval_paths = 100, c.keep_records = 1;
    c.ms.n_h = 2, c.ms.horizons_h[0] = 1, c.ms.horizons_h[1] = 4;
    c.ms.cls.max_rounds = c.ms.reg.max_rounds = 40;
    c.ms.cls.eta = c.ms.reg.eta = 0.1;
    c.ms.cone_paths = 200, c.ms.scale_rows = 100, c.ms.garch_hours = 2000;
    cpe_wf_result_t wr = {0};
    cpe_diag_t d = {0};
    int rc = cpe_wf_run(&v, &c, &wr, NULL, NULL, &d);
    CHECK_MSG(rc == 0, "champion: %s", d.msg);
    cpe_ensfit_config_t ec;
    cpe_ensfit_config_default(&ec, &c.ms, 0);
    cpe_ens_result_t *r = calloc(1, sizeof *r);
    rc = cpe_ensfit_wf(&v, &wr.plan, &ec, wr.records, wr.n_records, r, NULL, NULL, &d);
    CHECK_MSG(rc == 0, "ensemble: %s", d.msg);
    CHECK_EQ_INT(r->n_folds, 2);
    CHECK_EQ_INT(r->n_dir, 1);
    CHECK_EQ_INT(r->n_var, CPE_ENS_NVOL);
    const cpe_ens_h_t *h = &r->h[0];
    CHECK_EQ_INT(h->horizon_h, 1);
    CHECK_EQ_INT(h->n_lines, CPE_ENS_NVOL + 3);
    CHECK(h->n > 1000);
    CHECK_STR(h->line[CPE_ENS_NVOL].name, "ensemble");
    CHECK_STR(h->line[CPE_ENS_NVOL + 2].name, "champion");
    const cpe_ens_line_t *ens = &h->line[CPE_ENS_NVOL], *base = &h->line[CPE_ENS_NVOL + 1];
    CHECK(h->w_dir[0] > 0.1 && h->nz_dir[0] == 2); /* the hint is worth a weight */
    CHECK_MSG(ens->logloss < base->logloss - 0.02, "ens %.4f base %.4f", ens->logloss,
              base->logloss);
    CHECK(ens->auc > 0.6);
    CHECK(h->dm_ll_base[0] < -2); /* significantly better than the base rate */
    CHECK(isfinite(h->dm_ll_champ[0]) && isfinite(h->dm_ql_champ[0]) && isfinite(h->dm_ql_base[0]));
    double share = 0;
    for (int j = 0; j < r->n_var; j++) {
        CHECK(h->w_var[j] >= 0);
        share += h->w_var[j];
    }
    CHECK_NEAR(share, 1, 1e-9);
    CHECK(h->var_sum > 0.2 && h->var_sum < 5);
    CHECK(ens->cov1 > 0.5 && ens->cov1 < 0.85 && ens->cov2 > ens->cov1);
    CHECK(!h->line[1].has_dir && isnan(h->line[1].auc)); /* GARCH-t: variance only */
    CHECK(r->lat_n > 10 && r->lat_p99_us[0] >= r->lat_p50_us[0] && r->lat_p50_us[0] > 0);
    CHECK(r->lat_p99_us[1] >= r->lat_p50_us[1] && r->lat_p50_us[1] > 0);
    /* a bad split is refused */
    ec.stack_frac = 1;
    CHECK_EQ_INT(cpe_ensfit_wf(&v, &wr.plan, &ec, wr.records, wr.n_records, r, NULL, NULL, &d),
                 CPE_EINVAL);
    CHECK(strstr(d.msg, "stack_frac") != NULL);
    free(r);
    cpe_wf_result_free(&wr);
    free(ts), free(close), free(X);
}

int main(void)
{
    RUN(test_ensemble_weighs_members_and_scores_beside_the_champion);
    return TEST_DONE();
}
