/* test_features_realized.c — the realized measures (features_realized.c) against direct
 * sums over the bars, by hand on small inputs, and exact over long runs. */
#include "cpe/features.h"
#include "cpe/rng.h"
#include "feature_index.h"
#include "test.h"

#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL

static size_t NF;

static cpe_bar_t bar_at(int64_t i, double c, double v)
{
    cpe_bar_t b;
    cpe_kline_t k = {.ts_ms = T0 + i * MIN,
                     .open = c,
                     .high = c,
                     .low = c,
                     .close = c,
                     .volume = v,
                     .quote_volume = v * c,
                     .trades = NAN,
                     .taker_buy_base = v / 2,
                     .taker_buy_quote = NAN};
    cpe_bar_from_kline(&b, &k);
    return b;
}

/* n bars of a random walk (sd 1e-3 per bar, a jump every 5000 bars) with random volume. */
static void random_bars(int n, uint64_t seed, double *c, double *v)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    double x = log(40000.0);
    for (int i = 0; i < n; i++) {
        x += 1e-3 * cpe_rng_normal(&r) + (i % 5000 == 4999 ? 0.02 : 0.0);
        c[i] = exp(x);
        v[i] = 1 + 10 * cpe_rng_uniform(&r);
    }
}

static double *run(const double *c, const double *v, int n)
{
    double *out = malloc((size_t)n * NF * sizeof *out);
    size_t nr;
    cpe_bar_t *b = malloc((size_t)n * sizeof *b);
    for (int i = 0; i < n; i++)
        b[i] = bar_at(i, c[i], v[i]);
    CHECK(cpe_features_batch(NULL, b, (size_t)n, NULL, 0, 0, out, &nr, NULL, NULL) == 0);
    free(b);
    return out;
}

static void test_realized_var_by_hand(void)
{
    /* closes 100, 101, 100, 102 ...: first 61 bars give exactly 60 returns */
    enum { N = 62 };
    double c[N], v[N];
    for (int i = 0; i < N; i++) {
        c[i] = 100.0 * exp(0.01 * (i % 2));
        v[i] = 2.0;
    }
    double *o = run(c, v, N);
    int rv = fi("realized_var_1h"), bp = fi("bipower_var_24h"), dn = fi("semivar_down_24h");
    CHECK(isnan(o[59 * NF + rv]));                 /* 59 returns */
    CHECK_NEAR(o[60 * NF + rv], 60 * 1e-4, 1e-15); /* 60 returns of +-0.01 */
    CHECK(isnan(o[60 * NF + bp]) && isnan(o[60 * NF + dn]));
    CHECK(isnan(o[60 * NF + fi("realized_var_7d")]));
    free(o);
}

/* Every realized column equals its direct sum at many bars of a 24,000-bar run (drift of
 * the running sums would show; re-summing every 4096 bars keeps them exact). */
static void test_realized_measures_match_direct_sums(void)
{
    enum { N = 24000 };
    double *c = malloc(N * sizeof *c), *v = malloc(N * sizeof *v);
    random_bars(N, 11, c, v);
    double *o = run(c, v, N);
    static const char *const names[5] = {"realized_var_1h", "realized_var_4h", "realized_var_8h",
                                         "realized_var_24h", "realized_var_7d"};
    static const int wins[5] = {60, 240, 480, 1440, 10080};
    int bad = 0;
    for (int i = 10081; i < N; i += 389) {
        for (int w = 0; w < 5; w++) {
            double s = 0;
            for (int k = i - wins[w] + 1; k <= i; k++)
                s += log(c[k] / c[k - 1]) * log(c[k] / c[k - 1]);
            double got = o[(size_t)i * NF + fi(names[w])];
            if (fabs(got - s) > 1e-12 * s)
                bad++, fprintf(stderr, "  %s at %d: %g vs %g\n", names[w], i, got, s);
        }
        double b = 0, dn = 0, v1 = 0, v24 = 0, vw = 0;
        for (int k = i - 1439; k <= i; k++) {
            double r = log(c[k] / c[k - 1]), rp = log(c[k - 1] / c[k - 2]);
            b += fabs(r) * fabs(rp);
            dn += r < 0 ? r * r : 0;
        }
        for (int k = i - 10079; k <= i; k++) {
            vw += v[k];
            v24 += k > i - 1440 ? v[k] : 0;
            v1 += k > i - 60 ? v[k] : 0;
        }
        bad += fabs(o[(size_t)i * NF + fi("bipower_var_24h")] - M_PI / 2 * b) > 1e-12 * b;
        bad += fabs(o[(size_t)i * NF + fi("semivar_down_24h")] - dn) > 1e-12 * dn;
        bad += fabs(o[(size_t)i * NF + fi("volume_1h_vs_7d")] - v1 / (vw / 168)) > 1e-9;
        bad += fabs(o[(size_t)i * NF + fi("volume_24h_vs_7d")] - v24 / (vw / 7)) > 1e-9;
    }
    CHECK_EQ_INT(bad, 0);
    free(o);
    free(c);
    free(v);
}

static void test_minutes_to_funding(void)
{
    double c[3] = {100, 100, 100}, v[3] = {1, 1, 1};
    double *o = run(c, v, 3);
    /* bar 0 opens 00:00 and closes 00:01: 479 minutes to 08:00 */
    CHECK_NEAR(o[0 * NF + fi("minutes_to_funding")], 479, 0);
    CHECK_NEAR(o[2 * NF + fi("minutes_to_funding")], 477, 0);
    free(o);
}

int main(void)
{
    NF = cpe_features_count();
    RUN(test_realized_var_by_hand);
    RUN(test_realized_measures_match_direct_sums);
    RUN(test_minutes_to_funding);
    return TEST_DONE();
}
