/* test_rvol.c — the realized-volatility model trained through the real feature engine on
 * simulated 1m bars with a known hour-of-week variance pattern: it recovers the pattern,
 * forecasts track the true variance better than the trailing 24 h, training uses no
 * future data (changing the future leaves the model bit-identical), and the registry JSON
 * reproduces its forecasts bit for bit. */
#include "cpe/features.h"
#include "cpe/modelset.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "engine/rvol_json.h"
#include "test.h"

#define MON 1704067200000LL /* 2024-01-01 00:00 UTC, a Monday */
#define DAYS 84
#define NB (DAYS * 1440)

typedef struct sim {
    size_t n, ncol;
    int64_t *ts;
    double *close, *X, *truth; /* truth: the true variance of each 1m return */
    const char **names;
    double season[CPE_SEASON_N];
} sim_t;

static double true_season(int b)
{
    int hour = b % 24, day = b / 24;
    return (1 + 0.6 * sin(2 * M_PI * (hour - 9) / 24)) * (day >= 5 ? 0.6 : 1.0);
}

/* 1m log returns with variance 1e-6 * season(bucket) * g, g a log-AR(1) per hour. */
static void simulate(sim_t *s, uint64_t seed)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    cpe_bar_t *bars = malloc(NB * sizeof *bars);
    s->truth = malloc(NB * sizeof *s->truth);
    double lg = 0, x = log(50000), tot = 0;
    for (int b = 0; b < CPE_SEASON_N; b++)
        tot += true_season(b);
    for (int b = 0; b < CPE_SEASON_N; b++)
        s->season[b] = true_season(b) * CPE_SEASON_N / tot;
    for (int i = 0; i < NB; i++) {
        int64_t ts = MON + (int64_t)i * CPE_MS_PER_MIN;
        if (i % 60 == 0) lg = 0.97 * lg + 0.1 * cpe_rng_normal(&r);
        double v = 1e-6 * s->season[cpe_season_bucket(ts)] * exp(lg);
        s->truth[i] = v;
        x += sqrt(v) * cpe_rng_normal(&r);
        double c = exp(x),
               vol = 10 * s->season[cpe_season_bucket(ts)] * (0.5 + cpe_rng_uniform(&r));
        cpe_kline_t k = {.ts_ms = ts,
                         .open = c,
                         .high = c,
                         .low = c,
                         .close = c,
                         .volume = vol,
                         .quote_volume = vol * c,
                         .trades = NAN,
                         .taker_buy_base = vol / 2,
                         .taker_buy_quote = NAN};
        cpe_bar_from_kline(&bars[i], &k);
    }
    s->ncol = cpe_features_count();
    s->X = malloc((NB / 5 + 1) * s->ncol * sizeof *s->X);
    size_t *idx = malloc((NB / 5 + 1) * sizeof *idx);
    CHECK(cpe_features_batch(NULL, bars, NB, NULL, 0, 5 * CPE_MS_PER_MIN, s->X, &s->n, idx, NULL) ==
          0);
    s->ts = malloc(s->n * sizeof *s->ts);
    s->close = malloc(s->n * sizeof *s->close);
    for (size_t i = 0; i < s->n; i++) {
        s->ts[i] = bars[idx[i]].ts_ms;
        s->close[i] = bars[idx[i]].close;
    }
    s->names = malloc(s->ncol * sizeof *s->names);
    for (size_t j = 0; j < s->ncol; j++)
        s->names[j] = cpe_feature_def(j)->name;
    free(bars);
    free(idx);
}

static void sim_free(sim_t *s)
{
    free(s->ts);
    free(s->close);
    free(s->X);
    free(s->truth);
    free(s->names);
}

static cpe_mlview_t view_of(const sim_t *s)
{
    return (cpe_mlview_t){s->n, s->ncol, s->ts, s->X, s->close, s->names};
}

/* A model set with the four horizons, a GARCH-t on the hourly returns, and the realized
 * model trained on the rows with ts < upto (outcomes known by upto). */
static int train(const cpe_mlview_t *v, int64_t upto, cpe_modelset_t *ms)
{
    static const int hs[4] = {1, 4, 8, 24};
    cpe_modelset_config_t cfg;
    cpe_modelset_config_default(&cfg);
    memset(ms, 0, sizeof *ms);
    cpe_modelset_set_names(ms, v->names, v->ncol);
    ms->n_h = 4;
    for (int k = 0; k < 4; k++)
        ms->h[k].horizon_h = hs[k];
    size_t *rows = malloc(v->n * sizeof *rows), n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->ts_ms[i] < upto) rows[n++] = i;
    double r[8760];
    size_t nr = cpe_ml_hourly_returns(v, rows[n - 1], 8760, r);
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    o.dist = CPE_DIST_T;
    o.std_errors = 0;
    int rc = cpe_garch_fit_or_ewma(r, nr, &o, &ms->vol, NULL);
    if (!rc) rc = cpe_modelset_train_rvol(ms, v, rows, n, upto, &cfg, NULL);
    free(rows);
    return rc;
}

static void test_recovers_the_season_and_tracks_the_variance(void)
{
    sim_t s;
    simulate(&s, 3);
    cpe_mlview_t v = view_of(&s);
    cpe_modelset_t ms;
    CHECK_EQ_INT(train(&v, MON + 77 * CPE_MS_PER_DAY, &ms), 0);
    CHECK(ms.rvol.ok);
    double mean_err = 0;
    for (int b = 0; b < CPE_SEASON_N; b++)
        mean_err += fabs(ms.rvol.s_rv.f[b] / s.season[b] - 1) / CPE_SEASON_N;
    /* 11 noisy hourly samples a bucket */
    CHECK_MSG(mean_err < 0.15, "season mean relative error %.3f", mean_err);
    for (int k = 0; k < 4; k++) {
        const cpe_rvol_h_t *h = &ms.rvol.h[k];
        CHECK(h->nu > 2 && h->scale > 0.8 && h->scale < 1.25 && h->level > 0);
        CHECK_NEAR(h->w[0] + h->w[1] + h->w[2], 1.0, 1e-12);
    }
    /* on the last week (never trained on): QLIKE against the true 1h variance, the model's
     * forecast vs the trailing 24 h realized variance / 24 */
    double ql_m = 0, ql_b = 0;
    size_t n = 0;
    int c24 = cpe_feature_index("realized_var_24h");
    for (size_t i = 0; i < s.n; i++) {
        /* the true variance of the hour after the close: minutes m0 .. m0 + 59 must exist */
        if (s.ts[i] < MON + 78 * CPE_MS_PER_DAY ||
            s.ts[i] + 3600000 + 60000 > MON + (int64_t)NB * 60000)
            continue;
        size_t m0 = (size_t)((s.ts[i] - MON) / CPE_MS_PER_MIN) + 1;
        double tv = 0;
        for (size_t j = m0; j < m0 + 60; j++)
            tv += s.truth[j];
        double var, sd, nu;
        if (cpe_rvol_forecast(&ms.rvol, 0, s.X + i * s.ncol, s.ts[i] + CPE_MS_PER_MIN, NAN, NAN,
                              &var, &sd, &nu) != 0)
            continue;
        double b = s.X[i * s.ncol + c24] / 24;
        ql_m += tv / var - log(tv / var) - 1;
        ql_b += tv / b - log(tv / b) - 1;
        n++;
    }
    CHECK(n > 1000);
    CHECK_MSG(ql_m < 0.5 * ql_b, "QLIKE model %.4f vs trailing 24h %.4f", ql_m / n, ql_b / n);
    cpe_modelset_free(&ms);
    sim_free(&s);
}

/* Training with outcomes up to a cutoff reads nothing after it: scrambling every row after
 * the cutoff (features and closes) gives the same model, bit for bit. */
static void test_training_uses_no_future_data(void)
{
    sim_t s;
    simulate(&s, 7);
    cpe_mlview_t v = view_of(&s);
    int64_t cut = MON + 23 * CPE_MS_PER_DAY + 7 * 3600000 + 25 * 60000;
    cpe_modelset_t a, b;
    CHECK_EQ_INT(train(&v, cut, &a), 0);
    cpe_rng_t r;
    cpe_rng_seed(&r, 99);
    for (size_t i = 0; i < s.n; i++)
        if (s.ts[i] + CPE_MS_PER_MIN > cut) {
            s.close[i] *= exp(0.05 * cpe_rng_normal(&r));
            for (size_t j = 0; j < s.ncol; j++)
                s.X[i * s.ncol + j] *= 1 + cpe_rng_uniform(&r);
        }
    CHECK_EQ_INT(train(&v, cut, &b), 0);
    CHECK(a.rvol.ok && b.rvol.ok);
    CHECK(memcmp(&a.rvol, &b.rvol, sizeof a.rvol) == 0);
    cpe_modelset_free(&a);
    cpe_modelset_free(&b);
    sim_free(&s);
}

/* m written as registry JSON text (17 digits) and read back into out. */
static void round_trip(const cpe_rvol_t *m, const cpe_mlview_t *v, cpe_rvol_t *out)
{
    json_t *j = cpe_rvol_to_json(m);
    char *text = json_dumps(j, JSON_REAL_PRECISION(17));
    json_decref(j);
    json_t *back = json_loads(text, 0, NULL);
    cpe_rvol_from_json(back, v->names, v->ncol, out);
    json_decref(back);
    free(text);
}

static void test_metadata_round_trip_is_bit_exact(void)
{
    sim_t s;
    simulate(&s, 11);
    cpe_mlview_t v = view_of(&s);
    cpe_modelset_t ms;
    CHECK_EQ_INT(train(&v, MON + 30 * CPE_MS_PER_DAY, &ms), 0);
    cpe_rvol_t m2;
    round_trip(&ms.rvol, &v, &m2);
    CHECK(m2.ok);
    for (size_t i = s.n - 2000; i < s.n; i += 97)
        for (int k = 0; k < 4; k++) {
            double v1, s1, n1, v2, s2, n2;
            int r1 = cpe_rvol_forecast(&ms.rvol, k, s.X + i * s.ncol, s.ts[i] + 60000, 1e-5, 2e-5,
                                       &v1, &s1, &n1);
            int r2 = cpe_rvol_forecast(&m2, k, s.X + i * s.ncol, s.ts[i] + 60000, 1e-5, 2e-5, &v2,
                                       &s2, &n2);
            CHECK(r1 == r2 && (r1 || (v1 == v2 && s1 == s2 && n1 == n2)));
        }
    /* incomplete metadata loads as no model, never half a model */
    json_t *bad = json_pack("{s:[]}", "horizons");
    cpe_rvol_from_json(bad, v.names, v.ncol, &m2);
    json_decref(bad);
    CHECK(!m2.ok);
    cpe_modelset_free(&ms);
    sim_free(&s);
}

/* Rows without 1m realized history (an hourly symbol, dataset.h): the t cone stands on the
 * GARCH-t forecast (no_har), its forecast scales that forecast by the validated level, and
 * the registry JSON keeps it bit for bit. */
static void test_without_realized_history_the_base_is_garch(void)
{
    sim_t s;
    simulate(&s, 5);
    for (size_t i = 0; i < s.n; i++)
        for (int c = 0; c < CPE_RVC_N; c++)
            s.X[i * s.ncol + (size_t)cpe_feature_index(cpe_rvol_columns[c])] = NAN;
    cpe_mlview_t v = view_of(&s);
    cpe_modelset_t ms;
    CHECK_EQ_INT(train(&v, MON + 60 * CPE_MS_PER_DAY, &ms), 0);
    CHECK(ms.rvol.ok && ms.rvol.no_har && ms.rvol.n_h == 4);
    size_t i = s.n - 100;
    for (int k = 0; k < 4; k++) {
        const cpe_rvol_h_t *h = &ms.rvol.h[k];
        double var, sd, nu, vg = 1e-5 * h->horizon_h, ve = 1.2e-5 * h->horizon_h;
        CHECK_EQ_INT(cpe_rvol_forecast(&ms.rvol, k, s.X + i * s.ncol, s.ts[i] + 60000, vg, ve, &var,
                                       &sd, &nu),
                     0);
        double lv = (h->w[0] + h->w[1]) * log(vg) + h->w[2] * log(ve);
        CHECK_CLOSE(var, h->level * exp(lv), 1e-12);
        CHECK(h->ext_mult >= 1.0 && h->ext_mult <= 2.0);
        CHECK(isnan(cpe_rvol_har_var(&ms.rvol, k, s.X + i * s.ncol, s.ts[i] + 60000)));
        /* no GARCH forecast: no cone from this model (the caller falls back) */
        CHECK_EQ_INT(cpe_rvol_forecast(&ms.rvol, k, s.X + i * s.ncol, s.ts[i] + 60000, NAN, ve,
                                       &var, &sd, &nu),
                     CPE_EDATA);
    }
    cpe_rvol_t m2;
    round_trip(&ms.rvol, &v, &m2);
    CHECK(m2.ok && m2.no_har);
    for (int k = 0; k < 4; k++) {
        double v1, s1, n1, v2, s2, n2;
        cpe_rvol_forecast(&ms.rvol, k, s.X + i * s.ncol, s.ts[i] + 60000, 1e-5, 2e-5, &v1, &s1,
                          &n1);
        cpe_rvol_forecast(&m2, k, s.X + i * s.ncol, s.ts[i] + 60000, 1e-5, 2e-5, &v2, &s2, &n2);
        CHECK(v1 == v2 && s1 == s2 && n1 == n2);
    }
    cpe_modelset_free(&ms);
    sim_free(&s);
}

/* The cone widens after an extreme move only by what the validation rows that followed one
 * show: returns 1.5 x wider after the flag -> sqrt(mean z^2) over them, ~ 1.5 / sqrt(level);
 * no flagged rows -> no widening. */
static void test_extreme_widening_is_measured(void)
{
    enum { N = 6000 };
    double *y = malloc(N * sizeof *y), *one = malloc(N * sizeof *one);
    unsigned char *ext = malloc(N);
    size_t *row = malloc(N * sizeof *row);
    int64_t *t = malloc(N * sizeof *t);
    cpe_rng_t r;
    cpe_rng_seed(&r, 3);
    double s2 = 0, s2e = 0;
    size_t ne = 0;
    for (size_t i = 0; i < N; i++) {
        ext[i] = i % 10 == 0;
        y[i] = (ext[i] ? 1.5 : 1.0) * 1e-3 * cpe_rng_normal(&r);
        one[i] = 1e-6;
        row[i] = 0;
        t[i] = MON + (int64_t)i * CPE_MS_PER_HOUR;
        if (i >= N / 2) s2 += y[i] * y[i], s2e += ext[i] ? y[i] * y[i] : 0, ne += ext[i];
    }
    cpe_rvol_t m = {.no_har = 1};
    double x = 0;
    cpe_rvol_data_t dt = {.n = N,
                          .ncol = 1,
                          .n_fit = N / 2,
                          .valid_from = N / 2,
                          .X = &x,
                          .row = row,
                          .t_close_ms = t,
                          .y = y,
                          .rv_next = one,
                          .v_garch = one,
                          .v_ewma = one,
                          .extreme = ext};
    CHECK_EQ_INT(cpe_rvol_fit_horizon(&m, 0, 1, &dt, NULL), 0);
    double want = sqrt((s2e / (double)ne) / (s2 / (N / 2.0)));
    CHECK_CLOSE(m.h[0].ext_mult, want, 1e-9);
    CHECK(m.h[0].ext_mult > 1.3);
    dt.extreme = NULL;
    CHECK_EQ_INT(cpe_rvol_fit_horizon(&m, 0, 1, &dt, NULL), 0);
    CHECK_NEAR(m.h[0].ext_mult, 1.0, 0);
    free(y);
    free(one);
    free(ext);
    free(row);
    free(t);
}

int main(void)
{
    RUN(test_recovers_the_season_and_tracks_the_variance);
    RUN(test_training_uses_no_future_data);
    RUN(test_metadata_round_trip_is_bit_exact);
    RUN(test_without_realized_history_the_base_is_garch);
    RUN(test_extreme_widening_is_measured);
    return TEST_DONE();
}
