/* bench_models.c — model-layer figures (issue 4):
 *   predict_all_horizons   one prediction for 1/4/8/24 h with the realized-volatility model
 *                          and its t cone (the product's path), and with the 10,000-path
 *                          GARCH cone (the fallback) (<= 2 ms)
 *   explain                one SHAP explanation with changes vs the previous bar (<= 2 ms)
 *   train_year_5m          training every model of one symbol on one year of 5m rows,
 *                          nthread 2 (<= 60 s)
 * The training rows are a synthetic year on the real data's scale (105,120 rows, 40
 * features: price-derived columns computed from a GARCH-like random walk plus noise
 * columns, and the seven realized-measure columns of the volatility model: sums of
 * squared 5m returns over 1 h .. 7 d and two volume ratios), because a feature table of the real
 * data needs the feature engine and an imported store; the cost of XGBoost hist depends on rows x
 * columns x rounds, not on where the numbers come from. Medians of several repetitions; prints JSON
 * lines. */
#include "cpe/predictor.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOL 40
#define NRV CPE_RVC_N /* realized columns after the 8 price columns */
#define STEP (5 * 60000LL)

static char *names[NCOL];

static void synth(size_t n, int64_t *ts, double *close, double *X)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, 77);
    double lv = log(0.0015), c = 42000;
    for (size_t i = 0; i < n; i++) {
        lv += 0.01 * (log(0.0015) - lv) + 0.05 * cpe_rng_normal(&r);
        c *= exp(exp(lv) * cpe_rng_t_unit(&r, 5));
        ts[i] = 1704067200000LL + (int64_t)i * STEP;
        close[i] = c;
    }
    static const int lags[6] = {1, 3, 12, 48, 288, 576};
    for (size_t i = 0; i < n; i++) {
        double *x = X + i * NCOL;
        for (int j = 0; j < 6; j++)
            x[j] = i >= (size_t)lags[j] ? log(close[i] / close[i - lags[j]]) : NAN;
        x[6] = exp(lv);
        x[7] = exp(lv) * sqrt(12.0);
        for (int j = 8 + NRV; j < NCOL; j++)
            x[j] = j % 7 == 0 && i % 11 == 0 ? NAN : cpe_rng_normal(&r);
    }
    /* realized columns (rvol.h order): squared 5m returns summed over 12, 48, 96, 288 and
     * 2016 rows; volume ratios around 1 */
    static const size_t win[5] = {12, 48, 96, 288, 2016};
    for (int w = 0; w < 5; w++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            double q = i ? log(close[i] / close[i - 1]) : 0;
            s += q * q;
            if (i >= win[w]) {
                double o = log(close[i - win[w]] / close[i - win[w] - 1]);
                s -= i - win[w] ? o * o : 0;
            }
            X[i * NCOL + 8 + w] = i + 1 >= win[w] ? fabs(s) : NAN;
        }
    }
    for (size_t i = 0; i < n; i++) {
        X[i * NCOL + 13] = exp(0.3 * cpe_rng_normal(&r));
        X[i * NCOL + 14] = exp(0.2 * cpe_rng_normal(&r));
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void line(const char *metric, double v, const char *unit, double target)
{
    printf("{\"bench\":\"models\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, v, unit, target, v <= target ? "true" : "false");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    static const char *base[8] = {"returns_5m",  "returns_15m", "returns_1h",    "returns_4h",
                                  "returns_24h", "returns_48h", "volatility_1h", "volatility_24h"};
    char buf[32];
    for (int j = 0; j < NCOL; j++) {
        if (j < 8)
            names[j] = strdup(base[j]);
        else if (j < 8 + NRV)
            names[j] = strdup(cpe_rvol_columns[j - 8]);
        else {
            snprintf(buf, sizeof buf, "noise_%d", j);
            names[j] = strdup(buf);
        }
    }
    size_t n = 365 * 288;
    int64_t *ts = malloc(n * sizeof *ts);
    double *close = malloc(n * sizeof *close), *X = malloc(n * NCOL * sizeof *X);
    size_t *rows = malloc(n * sizeof *rows);
    synth(n, ts, close, X);
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    cpe_mlview_t v = {n, NCOL, ts, X, close, (const char *const *)names};
    cpe_modelset_config_t cfg;
    cpe_modelset_config_default(&cfg);
    cpe_diag_t d = {0};
    cpe_modelset_t ms;
    int reps = quick ? 1 : 3;
    double tt[3];
    for (int r = 0; r < reps; r++) {
        int64_t t0 = cpe_mono_ns();
        if (cpe_modelset_train(&ms, &v, rows, n, ts[n - 1], &cfg, &d)) {
            fprintf(stderr, "bench_models: train: %s\n", d.msg);
            return 1;
        }
        tt[r] = (double)(cpe_mono_ns() - t0) / 1e9;
        fprintf(stderr, "train %d: %.2f s (rounds 1h %d/%d 24h %d/%d)\n", r, tt[r],
                ms.h[0].cls.best_rounds, ms.h[0].reg.best_rounds, ms.h[3].cls.best_rounds,
                ms.h[3].reg.best_rounds);
        if (r + 1 < reps) cpe_modelset_free(&ms);
    }
    line("train_year_5m_rows_all_models", median(tt, reps), "s", 60);
    /* Early stopping decides how many rounds are paid for; the worst case is every model
     * running all 500 rounds. Measure the cost of one round on the year of rows (50 rounds
     * of the classifier without early stopping) and extrapolate to 8 models x 500. */
    {
        double *y = malloc(n * sizeof *y), tr[3];
        for (size_t i = 0; i + 12 < n; i++)
            y[i] = close[i + 12] > close[i];
        for (size_t i = n - 12; i < n; i++)
            y[i] = NAN;
        cpe_gbt_params_t gp = cfg.cls;
        gp.max_rounds = 50;
        gp.early_stop_rounds = 0;
        for (int r = 0; r < reps; r++) {
            cpe_gbt_t g = {0};
            int64_t t0 = cpe_mono_ns();
            if (cpe_gbt_train(&g, &gp, X, n, NCOL, y, &d)) return 1;
            tr[r] = (double)(cpe_mono_ns() - t0) / 1e6 / 50;
            cpe_gbt_free(&g);
        }
        double per = median(tr, reps);
        line("boosting_round_year_5m_rows", per, "ms", 15);
        line("worst_case_8_models_x_500_rounds_extrapolated", per * 4000 / 1000, "s", 60);
        free(y);
    }

    cpe_predictor_t p;
    if (cpe_predictor_adopt(&p, &ms, "BTCUSDT", "bench", 0, &d)) return 1;
    static const int hs[4] = {1, 4, 8, 24};
    cpe_prediction_t out[4];
    double ret[240], ret0[240];
    enum { NP = 101 };
    double tp[NP], te[NP];
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    if (!p.ms.rvol.ok) fprintf(stderr, "bench_models: the realized model did not train\n");
    for (int mode = 0; mode < 2; mode++) { /* 0: realized model + t cone, 1: GARCH paths */
        int keep = p.ms.rvol.ok;
        if (mode == 1) p.ms.rvol.ok = 0;
        for (int r = 0; r < NP; r++) {
            size_t i = n - 1 - (size_t)r * 7;
            cpe_pred_input_t in = {ts[i], close[i], X + i * NCOL, ret, 0, 0};
            in.n_r = cpe_ml_hourly_returns(&v, i, 240, ret);
            cpe_pred_input_t prev = {ts[i - 1], close[i - 1], X + (i - 1) * NCOL, ret0, 0, 0};
            prev.n_r = cpe_ml_hourly_returns(&v, i - 1, 240, ret0);
            int64_t t0 = cpe_mono_ns();
            if (cpe_predictor_predict(&p, &in, hs, 4, out, &d)) return 1;
            int64_t t1 = cpe_mono_ns();
            cpe_buf_reset(&b);
            if (cpe_predictor_explain(&p, &in, &prev, &out[1], "BTC", &b, &d)) return 1;
            int64_t t2 = cpe_mono_ns();
            tp[r] = (double)(t1 - t0) / 1e6;
            te[r] = (double)(t2 - t1) / 1e6;
        }
        p.ms.rvol.ok = keep;
        line(mode ? "predict_all_horizons_10000_paths" : "predict_all_horizons_realized_tcone",
             median(tp, NP), "ms", 2);
    }
    line("explain_one", median(te, NP), "ms", 2);
    cpe_buf_free(&b);
    cpe_predictor_close(&p);
    for (int j = 0; j < NCOL; j++)
        free(names[j]);
    free(ts), free(close), free(X), free(rows);
    return 0;
}
