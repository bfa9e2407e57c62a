/* test_sim.c — simulator determinism, output sanity and stylised facts on 60 days. */
#include "cpe/sim.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */
#define DAYS 60
#define NMIN (DAYS * 1440)

/* FNV-1a over the values (not the struct bytes: padding is unspecified) */
static void hv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ c[i]) * 1099511628211ULL;
}
static void hk(uint64_t *h, const cpe_kline_t *k)
{
    hv(h, &k->ts_ms, 8);
    hv(h, &k->open, 9 * sizeof(double));
}
static void hp(uint64_t *h, const cpe_point_t *p)
{
    hv(h, &p->ts_ms, 8);
    hv(h, &p->seq, 4);
    hv(h, p->v, sizeof p->v);
}

static uint64_t run_hash(uint64_t seed, const char *const *syms, size_t nsym, int minutes,
                         size_t only_sym)
{
    cpe_sim_config_t c;
    cpe_sim_t *s = NULL;
    uint64_t h = 1469598103934665603ULL;
    if (cpe_sim_config_default(&c, syms, nsym, seed, T0, NULL) || cpe_sim_new(&c, &s, NULL))
        return 0;
    static cpe_sim_minute_t m;
    for (int i = 0; i < minutes; i++) {
        if (cpe_sim_step(s, &m)) break;
        for (size_t j = 0; j < m.nsym; j++) {
            if (only_sym != (size_t)-1 && j != only_sym) continue;
            const cpe_sim_out_t *o = &m.sym[j];
            hk(&h, &o->spot);
            hk(&h, &o->perp);
            if (o->has_oi) hp(&h, &o->oi);
            if (o->has_lsr) hp(&h, &o->lsr);
            if (o->has_funding) hp(&h, &o->funding);
            for (size_t k = 0; k < o->nliq; k++)
                hp(&h, &o->liq[k]);
        }
    }
    cpe_sim_free(s);
    return h;
}

static void test_same_seed_gives_identical_data(void)
{
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    uint64_t a = run_hash(42, syms, 2, 3 * 1440, (size_t)-1);
    uint64_t b = run_hash(42, syms, 2, 3 * 1440, (size_t)-1);
    CHECK(a != 0);
    CHECK(a == b);
}

static void test_different_seeds_differ(void)
{
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    CHECK(run_hash(1, syms, 2, 600, (size_t)-1) != run_hash(2, syms, 2, 600, (size_t)-1));
}

static void test_symbol_data_independent_of_companions(void)
{
    const char *one[] = {"BTCUSDT"}, *two[] = {"ETHUSDT", "BTCUSDT"};
    CHECK(run_hash(9, one, 1, 1440, 0) == run_hash(9, two, 2, 1440, 1));
}

static void test_config_rejects_bad_symbols(void)
{
    cpe_sim_config_t c;
    cpe_diag_t d = {0};
    const char *dup[] = {"BTCUSDT", "BTCUSDT"}, *bad[] = {"BTC:USDT"};
    CHECK_EQ_INT(cpe_sim_config_default(&c, dup, 2, 1, T0, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "twice") != NULL);
    CHECK_EQ_INT(cpe_sim_config_default(&c, bad, 1, 1, T0, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_sim_config_default(&c, dup, 0, 1, T0, &d), CPE_EINVAL);
}

/* ---- 60 simulated days of BTC and ETH, collected once ---- */

typedef struct series {
    cpe_kline_t *spot[2], *perp[2];
    double *liq_usd[2]; /* per minute, BTC/ETH */
    double *oi[2];      /* OI contracts at observation minutes, NaN elsewhere */
    int64_t fund_ts[DAYS * 3 + 2];
    double fund[DAYS * 3 + 2];
    int nfund;
    int *regime;
    int bad_kline, bad_partial, bad_obs_time, bad_liq;
} series_t;

static series_t S;

static int collect(void)
{
    if (S.spot[0]) return 0;
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    cpe_sim_config_t c;
    cpe_sim_t *s = NULL;
    if (cpe_sim_config_default(&c, syms, 2, 2024, T0, NULL) || cpe_sim_new(&c, &s, NULL)) return -1;
    for (int j = 0; j < 2; j++) {
        S.spot[j] = calloc(NMIN, sizeof(cpe_kline_t));
        S.perp[j] = calloc(NMIN, sizeof(cpe_kline_t));
        S.liq_usd[j] = calloc(NMIN, sizeof(double));
        S.oi[j] = calloc(NMIN, sizeof(double));
    }
    S.regime = calloc(NMIN, sizeof(int));
    static cpe_sim_minute_t m;
    for (int i = 0; i < NMIN; i++) {
        if (cpe_sim_step(s, &m)) break;
        S.regime[i] = m.regime;
        for (int j = 0; j < 2; j++) {
            const cpe_sim_out_t *o = &m.sym[j];
            S.spot[j][i] = o->spot;
            S.perp[j][i] = o->perp;
            const cpe_kline_t *ks[2] = {&o->spot, &o->perp};
            for (int q = 0; q < 2; q++) {
                const cpe_kline_t *k = ks[q];
                if (!(k->low <= fmin(k->open, k->close) && k->high >= fmax(k->open, k->close) &&
                      k->low > 0 && k->taker_buy_base <= k->volume && k->volume >= 0 &&
                      k->ts_ms == T0 + (int64_t)i * CPE_MS_PER_MIN))
                    S.bad_kline++;
            }
            cpe_kline_t part;
            cpe_sim_partial(o->spot_slice, CPE_SIM_SLICES, &part);
            if (memcmp(&part, &o->spot, sizeof part)) S.bad_partial++;
            cpe_sim_partial(o->perp_slice, 6, &part);
            if (!(part.volume <= o->perp.volume && part.ts_ms == o->perp.ts_ms &&
                  part.open == o->perp.open && part.close == o->perp_slice[5].close))
                S.bad_partial++;
            int64_t tc = m.ts_ms + CPE_MS_PER_MIN;
            S.oi[j][i] = NAN;
            if (o->has_oi) {
                if (o->oi.ts_ms != tc || tc % (5 * CPE_MS_PER_MIN)) S.bad_obs_time++;
                S.oi[j][i] = o->oi.v[0];
            } else if (tc % (5 * CPE_MS_PER_MIN) == 0)
                S.bad_obs_time++;
            if (o->has_lsr && !(o->lsr.v[0] > 0.2 && o->lsr.v[0] < 5 &&
                                fabs(o->lsr.v[1] + o->lsr.v[2] - 1) < 1e-3))
                S.bad_obs_time++;
            if (o->has_funding) {
                if (o->funding.ts_ms != tc || tc % (8 * CPE_MS_PER_HOUR)) S.bad_obs_time++;
                if (j == 0) {
                    S.fund_ts[S.nfund] = tc;
                    S.fund[S.nfund++] = o->funding.v[0];
                }
            }
            for (size_t k = 0; k < o->nliq; k++) {
                const cpe_point_t *p = &o->liq[k];
                if (p->ts_ms < m.ts_ms || p->ts_ms >= tc || (k && p->ts_ms < o->liq[k - 1].ts_ms) ||
                    (k && p->ts_ms == o->liq[k - 1].ts_ms && p->seq <= o->liq[k - 1].seq) ||
                    fabs(p->v[0]) != 1 || !(p->v[1] > 0 && p->v[2] > 0))
                    S.bad_liq++;
                S.liq_usd[j][i] += p->v[1] * p->v[2];
            }
        }
    }
    cpe_sim_free(s);
    return 0;
}

static double mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / n;
}

static double corr(const double *x, const double *y, size_t n)
{
    double mx = mean(x, n), my = mean(y, n), sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

static double *returns(int j)
{
    double *r = malloc(NMIN * sizeof *r);
    r[0] = 0;
    for (int i = 1; i < NMIN; i++)
        r[i] = log(S.spot[j][i].close / S.spot[j][i - 1].close);
    return r;
}

static void test_klines_and_observations_are_well_formed(void)
{
    if (collect()) {
        CHECK(0);
        return;
    }
    CHECK_EQ_INT(S.bad_kline, 0);
    CHECK_EQ_INT(S.bad_partial, 0);
    CHECK_EQ_INT(S.bad_obs_time, 0);
    CHECK_EQ_INT(S.bad_liq, 0);
    CHECK_EQ_INT(S.nfund, DAYS * 3);
}

static void test_abs_returns_are_autocorrelated(void)
{
    collect();
    double *r = returns(0), *a = malloc(NMIN * sizeof *a);
    for (int i = 0; i < NMIN; i++)
        a[i] = fabs(r[i]);
    for (int lag = 1; lag <= 10; lag++) {
        double c = corr(a + 1, a + 1 + lag, NMIN - 1 - lag);
        CHECK_MSG(c > 0.1, "acf |r| lag %d = %.3f", lag, c);
        if (lag == 1 || lag == 10) printf("     acf|r| lag %d: %.3f\n", lag, c);
    }
    free(r);
    free(a);
}

static void test_returns_are_fat_tailed(void)
{
    collect();
    double *r = returns(0);
    double m = mean(r + 1, NMIN - 1), m2 = 0, m4 = 0;
    for (int i = 1; i < NMIN; i++) {
        double d = r[i] - m;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    m2 /= NMIN - 1;
    m4 /= NMIN - 1;
    double k = m4 / (m2 * m2) - 3;
    double mx = 0;
    for (int i = 1; i < NMIN; i++)
        mx = fmax(mx, fabs(r[i]));
    printf("     excess kurtosis 1m: %.2f, sd 1m: %.5f, max |r| %.4f\n", k, sqrt(m2), mx);
    CHECK_MSG(k > 3, "excess kurtosis %.2f", k);
    CHECK(sqrt(m2) > 0.0002 && sqrt(m2) < 0.005); /* a plausible 1m volatility */
    free(r);
}

static void test_funding_follows_basis(void)
{
    collect();
    /* funding vs the mean and the last basis of its 8 h window */
    double mb[DAYS * 3], lb[DAYS * 3];
    int n = 0;
    for (int f = 0; f < S.nfund; f++) {
        int end = (int)((S.fund_ts[f] - T0) / CPE_MS_PER_MIN); /* minute index after window */
        double s = 0;
        for (int i = end - 480; i < end; i++)
            s += S.perp[0][i].close / S.spot[0][i].close - 1;
        mb[n] = s / 480;
        lb[n] = S.perp[0][end - 1].close / S.spot[0][end - 1].close - 1;
        n++;
    }
    double c1 = corr(S.fund, mb, n), c2 = corr(S.fund, lb, n);
    printf("     corr(funding, mean basis) %.3f, corr(funding, basis at settlement) %.3f\n", c1,
           c2);
    CHECK(c1 > 0.5);
    CHECK(c2 > 0.5);
    double fmin_ = 1, fmax_ = -1;
    for (int f = 0; f < S.nfund; f++) {
        fmin_ = fmin(fmin_, S.fund[f]);
        fmax_ = fmax(fmax_, S.fund[f]);
    }
    CHECK(fmin_ >= -0.0075 && fmax_ <= 0.0075 && fmax_ > fmin_);
}

static void test_eth_moves_with_btc(void)
{
    collect();
    double *rb = returns(0), *re = returns(1);
    double c = corr(rb + 1, re + 1, NMIN - 1);
    printf("     corr(BTC, ETH) 1m returns: %.3f\n", c);
    CHECK(c > 0.5 && c < 0.95);
    free(rb);
    free(re);
}

static void test_liquidations_cluster_in_large_moves(void)
{
    collect();
    double *r = returns(0), *a = malloc(NMIN * sizeof *a);
    for (int i = 0; i < NMIN; i++)
        a[i] = fabs(r[i]);
    double abs_all = mean(a, NMIN), abs_liq = 0, total = 0, top = 0;
    int nl = 0;
    for (int i = 0; i < NMIN; i++) {
        if (S.liq_usd[0][i] > 0) {
            abs_liq += a[i];
            nl++;
        }
        total += S.liq_usd[0][i];
    }
    /* the threshold of the 5% largest |r| minutes, by bisection */
    double lo = 0, hi = 1;
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi);
        int cnt = 0;
        for (int i = 0; i < NMIN; i++)
            cnt += a[i] > mid;
        if (cnt > NMIN / 20)
            lo = mid;
        else
            hi = mid;
    }
    for (int i = 0; i < NMIN; i++)
        if (a[i] > hi) top += S.liq_usd[0][i];
    abs_liq /= nl > 0 ? nl : 1;
    printf("     liq minutes %d, mean|r| in them / overall %.2f, liq share in top 5%% |r| minutes "
           "%.2f\n",
           nl, abs_liq / abs_all, top / total);
    CHECK(nl > 100);
    CHECK(abs_liq > 2 * abs_all);
    CHECK(top / total > 0.3);
    free(r);
    free(a);
}

static void test_oi_builds_in_trends_and_flushes_in_cascades(void)
{
    collect();
    /* 5-minute OI changes against the liquidated notional in those 5 minutes */
    int n = 0;
    double *d = malloc(NMIN / 5 * sizeof *d), *l = malloc(NMIN / 5 * sizeof *l);
    double prev = NAN, g_trend = 0, g_calm = 0;
    int n_trend = 0, n_calm = 0;
    for (int i = 0; i < NMIN; i++) {
        if (isnan(S.oi[0][i])) continue;
        if (!isnan(prev)) {
            double liq = 0;
            for (int k = i - 4; k <= i; k++)
                liq += S.liq_usd[0][k];
            d[n] = log(S.oi[0][i] / prev);
            l[n] = liq;
            /* growth from opens and closes alone: windows without liquidations */
            if (liq == 0 && S.regime[i] == CPE_SIM_TRENDING) g_trend += d[n], n_trend++;
            if (liq == 0 && S.regime[i] == CPE_SIM_CALM) g_calm += d[n], n_calm++;
            n++;
        }
        prev = S.oi[0][i];
    }
    double c = corr(d, l, n);
    /* the 1% of windows with the most liquidations, by bisection on the threshold */
    double lo = 0, hi = 1e12, flush = 0;
    for (int it = 0; it < 80; it++) {
        double mid = 0.5 * (lo + hi);
        int cnt = 0;
        for (int i = 0; i < n; i++)
            cnt += l[i] > mid;
        if (cnt > n / 100)
            lo = mid;
        else
            hi = mid;
    }
    int nf = 0;
    for (int i = 0; i < n; i++)
        if (l[i] > hi) flush += d[i], nf++;
    flush /= nf ? nf : 1;
    printf("     corr(dOI 5m, liquidations) %.3f; dOI in the 1%% largest-liquidation windows %.2e; "
           "mean dOI without liquidations trending %.2e vs calm %.2e\n",
           c, flush, g_trend / (n_trend ? n_trend : 1), g_calm / (n_calm ? n_calm : 1));
    CHECK(c < -0.2);
    CHECK(nf > 10 && flush < -0.003);
    CHECK(n_trend > 0 && n_calm > 0 && g_trend / n_trend > g_calm / n_calm);
    free(d);
    free(l);
}

static void test_taker_flow_leads_price(void)
{
    collect();
    double *r = returns(0), *sh = malloc(NMIN * sizeof *sh);
    for (int i = 0; i < NMIN; i++)
        sh[i] = S.spot[0][i].volume > 0 ? S.spot[0][i].taker_buy_base / S.spot[0][i].volume : 0.5;
    double lead = corr(sh + 1, r + 2, NMIN - 2); /* share of bar t vs return of bar t+1 */
    printf("     corr(taker share t, return t+1) %.3f\n", lead);
    CHECK(lead > 0.02 && lead < 0.3);
    free(sh);
    free(r);
}

static int write_days(const char *db, uint64_t seed, int days, cpe_sim_write_stats_t *ws)
{
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    cpe_sim_config_t c;
    cpe_sim_t *s = NULL;
    cpe_store_t *st = NULL;
    int rc = cpe_sim_config_default(&c, syms, 2, seed, T0, NULL);
    if (!rc) rc = cpe_sim_new(&c, &s, NULL);
    if (!rc) rc = cpe_store_open(db, &st, NULL);
    if (!rc) rc = cpe_sim_write(st, s, (size_t)days * 1440, ws, NULL);
    cpe_sim_free(s);
    cpe_store_close(st);
    return rc;
}

static void test_write_to_store_marks_simulated_and_is_idempotent(void)
{
    char db[600];
    snprintf(db, sizeof db, "%s/sim.db", test_tmpdir());
    cpe_sim_write_stats_t ws;
    CHECK_EQ_INT(write_days(db, 5, 2, &ws), 0);
    CHECK_EQ_INT(ws.minutes, 2 * 1440);
    CHECK_EQ_INT(ws.klines, 2 * 2 * 2 * 1440);
    CHECK_EQ_INT(ws.funding, 2 * 6);
    CHECK_EQ_INT(ws.oi, 2 * 2 * 288);
    CHECK_EQ_INT(ws.updated + ws.unchanged, 0);
    size_t first_inserted = ws.inserted;
    /* the same seed again: every row identical */
    CHECK_EQ_INT(write_days(db, 5, 2, &ws), 0);
    CHECK_EQ_INT(ws.inserted, 0);
    CHECK_EQ_INT(ws.updated, 0);
    CHECK_EQ_INT(ws.unchanged, first_inserted);
    cpe_store_t *st = NULL;
    CHECK_EQ_INT(cpe_store_open(db, &st, NULL), 0);
    if (!st) return;
    char v[16] = "";
    CHECK_EQ_INT(st->ops->get_meta(st, "simulated", v, sizeof v), 0);
    CHECK_STR(v, "1");
    cpe_series_info_t *si = NULL;
    size_t n = 0;
    CHECK_EQ_INT(st->ops->list_series(st, &si, &n), 0);
    CHECK_EQ_INT(n, 12);
    int all_sim = 1, found = 0;
    for (size_t i = 0; i < n; i++) {
        all_sim &= si[i].simulated == 1;
        if (!strcmp(si[i].instrument, "sim:perp:ETHUSDT") && !strcmp(si[i].kind, "kline:1m")) {
            found = 1;
            CHECK_EQ_INT(si[i].count, 2 * 1440);
            CHECK_EQ_INT(si[i].first_ts, T0);
            CHECK_EQ_INT(si[i].last_ts, T0 + (2 * 1440 - 1) * CPE_MS_PER_MIN);
        }
    }
    CHECK(all_sim && found);
    free(si);
    cpe_kline_t *k = NULL;
    size_t nk = 0;
    CHECK_EQ_INT(
        cpe_store_read_klines(st, "sim:spot:BTCUSDT", "kline:1m", T0, T0 + CPE_MS_PER_DAY, &k, &nk),
        0);
    CHECK_EQ_INT(nk, 1440);
    free(k);
    cpe_store_close(st);
}

/* The first open interest of a simulation given oi0_usd (the live simulator continuing a
 * stored one) is that notional, far from the equilibrium's; without it, near the equilibrium. */
static double first_oi_usd(double oi0_usd)
{
    const char *syms[] = {"BTCUSDT"};
    cpe_sim_config_t c;
    cpe_sim_t *s = NULL;
    if (cpe_sim_config_default(&c, syms, 1, 7, T0, NULL)) return NAN;
    c.sym[0].oi0_usd = oi0_usd;
    if (cpe_sim_new(&c, &s, NULL)) return NAN;
    static cpe_sim_minute_t m;
    double oi = NAN;
    for (int i = 0; i < 10 && isnan(oi); i++)
        if (cpe_sim_step(s, &m) == 0 && m.sym[0].has_oi) oi = m.sym[0].oi.v[1];
    cpe_sim_free(s);
    return oi;
}

static void test_open_interest_starts_where_it_is_told(void)
{
    double eq = first_oi_usd(0), given = first_oi_usd(3e9);
    CHECK_MSG(fabs(given / 3e9 - 1) < 0.03, "first OI %.4g, asked 3e9", given);
    CHECK_MSG(eq > 5e9, "first OI at equilibrium %.4g (equilibrium 8e9)", eq);
}

int main(void)
{
    RUN(test_same_seed_gives_identical_data);
    RUN(test_different_seeds_differ);
    RUN(test_symbol_data_independent_of_companions);
    RUN(test_config_rejects_bad_symbols);
    RUN(test_write_to_store_marks_simulated_and_is_idempotent);
    RUN(test_klines_and_observations_are_well_formed);
    RUN(test_abs_returns_are_autocorrelated);
    RUN(test_returns_are_fat_tailed);
    RUN(test_funding_follows_basis);
    RUN(test_eth_moves_with_btc);
    RUN(test_liquidations_cluster_in_large_moves);
    RUN(test_oi_builds_in_trends_and_flushes_in_cascades);
    RUN(test_taker_flow_leads_price);
    RUN(test_open_interest_starts_where_it_is_told);
    for (int j = 0; j < 2; j++) {
        free(S.spot[j]);
        free(S.perp[j]);
        free(S.liq_usd[j]);
        free(S.oi[j]);
    }
    free(S.regime);
    return TEST_DONE();
}
