/* sim.c — the synthetic market stepper (model: cpe/sim.h, numbers: docs/SIMULATOR.md). */
#include "sources/sim_int.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FUNDING_MS (8 * CPE_MS_PER_HOUR)
#define OBS_MS (5 * CPE_MS_PER_MIN) /* OI and long/short ratio observations */
#define GARCH_ALPHA 0.07
#define GARCH_BETA 0.91
#define SHOCK2_CAP 50.0 /* cap on a squared standardised shock fed to GARCH */
#define T_NU 5.0        /* Student-t degrees of freedom of the shocks */
#define FLOW_AR 0.6     /* AR(1) coefficient of the order-flow pressure */
#define FLOW_LEAD 0.12  /* next-minute return per unit pressure, x sigma */
#define BASIS_BASE 0.0002
#define BASIS_KAPPA (1.0 / 120.0) /* OU pull per minute (half-life ~83 min) */
#define BASIS_SD 0.00004          /* OU noise per minute */
#define FUNDING_INTEREST 0.0001
#define FUNDING_GAIN 0.6
#define FUNDING_CAP 0.0075
#define DEPTH_MULT 8.0 /* impact = liquidated notional / (8 x oi_usd) */
#define IMPACT_CAP 0.03
#define PERP_VOLUME_MULT 3.0
#define LSR_CROWD 0.25 /* unlevered accounts per side, x oi_usd */

typedef struct symstate {
    cpe_sim_symbol_t p;
    cpe_rng_t rng;
    double price; /* spot, continuous (klines are rounded to the tick) */
    double h, flow, basis;
    double basis_sum;
    long basis_n;
    double pending_impact; /* log-return impact carried to the next slice */
    sim_pools_t pools;
    sim_liqs_t liq;
} symstate_t;

struct cpe_sim {
    cpe_sim_config_t cfg;
    cpe_rng_t mrng;
    int64_t next_ts;
    int regime, trend_dir;
    symstate_t s[CPE_SIM_MAX_SYMBOLS];
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void sym_init(symstate_t *s, const cpe_sim_symbol_t *p, uint64_t seed, int64_t start_ms)
{
    memset(s, 0, sizeof *s);
    s->p = *p;
    cpe_rng_seed(&s->rng, (seed * 0x9E3779B97F4A7C15ULL) ^ fnv1a(p->symbol));
    s->price = p->price0;
    s->h = 1.0;
    s->basis = BASIS_BASE;
    sim_pools_init(&s->pools, p, &s->rng, start_ms);
}

int cpe_sim_new(const cpe_sim_config_t *c, cpe_sim_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (c->nsym == 0 || c->nsym > CPE_SIM_MAX_SYMBOLS)
        return cpe_diag_set(d, CPE_EINVAL, "simulator: %zu symbols (need 1..%d)", c->nsym,
                            CPE_SIM_MAX_SYMBOLS);
    for (size_t i = 0; i < c->nsym; i++) {
        const cpe_sim_symbol_t *p = &c->sym[i];
        if (!(p->price0 > 0 && p->sigma_1m > 0 && p->rho >= 0 && p->rho <= 1 &&
              p->volume_usd_1m > 0 && p->oi_usd > 0 && p->trade_usd > 0 && p->tick > 0 &&
              p->lot > 0))
            return cpe_diag_set(d, CPE_EINVAL, "simulator: parameters of '%s' out of range",
                                p->symbol);
    }
    cpe_sim_t *s = calloc(1, sizeof *s);
    if (!s) return cpe_diag_set(d, CPE_ENOMEM, "simulator: out of memory");
    s->cfg = *c;
    s->next_ts = cpe_floor_ms(c->start_ms, CPE_MS_PER_MIN);
    cpe_rng_seed(&s->mrng, c->seed);
    s->regime = CPE_SIM_CALM;
    s->trend_dir = 1;
    for (size_t i = 0; i < c->nsym; i++)
        sym_init(&s->s[i], &c->sym[i], c->seed, s->next_ts);
    *out = s;
    return 0;
}

void cpe_sim_free(cpe_sim_t *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->cfg.nsym; i++)
        free(s->s[i].liq.v);
    free(s);
}

size_t cpe_sim_nsym(const cpe_sim_t *s)
{
    return s->cfg.nsym;
}

const char *cpe_sim_symbol_name(const cpe_sim_t *s, size_t i)
{
    return i < s->cfg.nsym ? s->cfg.sym[i].symbol : NULL;
}

int64_t cpe_sim_next_ts(const cpe_sim_t *s)
{
    return s->next_ts;
}

void cpe_sim_partial(const cpe_kline_t slices[CPE_SIM_SLICES], int k, cpe_kline_t *out)
{
    if (k < 1) k = 1;
    if (k > CPE_SIM_SLICES) k = CPE_SIM_SLICES;
    *out = slices[0];
    out->ts_ms = cpe_floor_ms(slices[0].ts_ms, CPE_MS_PER_MIN);
    for (int i = 1; i < k; i++) {
        const cpe_kline_t *x = &slices[i];
        if (x->high > out->high) out->high = x->high;
        if (x->low < out->low) out->low = x->low;
        out->close = x->close;
        out->volume += x->volume;
        out->quote_volume += x->quote_volume;
        out->trades += x->trades;
        out->taker_buy_base += x->taker_buy_base;
        out->taker_buy_quote += x->taker_buy_quote;
    }
    /* sums of lots and of price x lot: on the 8-decimal grid an exchange prints (the sum
     * itself carries the float additions' error: 7.267820000000002) */
    out->volume = sim_round(out->volume, 1e-8);
    out->quote_volume = sim_round(out->quote_volume, 1e-8);
    out->taker_buy_base = sim_round(out->taker_buy_base, 1e-8);
    out->taker_buy_quote = sim_round(out->taker_buy_quote, 1e-8);
}

/* ---- market-wide state ---- */

static void step_regime(cpe_sim_t *s)
{
    const cpe_sim_regime_params_t *r = &cpe_sim_regimes[s->regime];
    double u_leave = cpe_rng_uniform(&s->mrng), u_to = cpe_rng_uniform(&s->mrng);
    double u_dir = cpe_rng_uniform(&s->mrng);
    if (u_leave >= 1.0 / r->mean_minutes) return;
    int to = CPE_SIM_NREGIMES - 1;
    double acc = 0;
    for (int j = 0; j < CPE_SIM_NREGIMES; j++) {
        acc += r->to[j];
        if (u_to < acc) {
            to = j;
            break;
        }
    }
    if (to == s->regime) return;
    s->regime = to;
    if (to == CPE_SIM_TRENDING) s->trend_dir = u_dir < 0.6 ? 1 : -1;
}

/* time-of-day and weekend activity: busiest around 15:00 UTC, quieter at weekends */
static double season(int64_t ts)
{
    double hod = (double)(ts - cpe_day_start_ms(ts)) / CPE_MS_PER_HOUR;
    int64_t day = cpe_floor_ms(ts, CPE_MS_PER_DAY) / CPE_MS_PER_DAY;
    int dow = (int)(((day % 7) + 7 + 4) % 7); /* 0 = Sunday (1970-01-01 was a Thursday) */
    double w = (dow == 0 || dow == 6) ? 0.75 : 1.0;
    return w * (1.0 + 0.25 * cos(2.0 * M_PI * (hod - 15.0) / 24.0));
}

static int cmp_point_ts(const void *a, const void *b)
{
    const cpe_point_t *x = a, *y = b;
    if (x->ts_ms != y->ts_ms) return x->ts_ms < y->ts_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- one symbol, one minute ---- */

static void fill_slice(cpe_kline_t *k, int64_t ts, double o, double h, double l, double c,
                       double vol, double tb, double trades)
{
    double vwap = (o + h + l + c) / 4.0;
    k->ts_ms = ts;
    k->open = o;
    k->high = h;
    k->low = l;
    k->close = c;
    k->volume = vol;
    k->quote_volume = vol * vwap;
    k->trades = trades;
    k->taker_buy_base = tb;
    k->taker_buy_quote = tb * vwap;
}

/* The observations at the minute's close tc (perp close pc): OI and long/short every
 * OBS_MS, funding every FUNDING_MS from the mean basis since the last settlement. */
static void close_observations(symstate_t *s, int64_t tc, double pc, cpe_sim_out_t *o)
{
    double basis_close = o->perp.close / o->spot.close - 1.0;
    s->basis_sum += basis_close;
    s->basis_n++;
    o->has_oi = o->has_lsr = o->has_funding = 0;
    if (tc % OBS_MS == 0) {
        double L, S;
        sim_pools_qty(&s->pools, &L, &S);
        double oi = sim_round(L + S, s->p.lot);
        o->has_oi = o->has_lsr = 1;
        o->oi = (cpe_point_t){tc, 0, {oi, oi * pc, NAN, NAN, NAN, NAN}};
        /* accounts: the pools plus an unlevered crowd of a quarter of the equilibrium OI
         * on each side, so a wiped-out side does not send the ratio to 0 or infinity */
        double K = LSR_CROWD * s->p.oi_usd / pc, la = L + K, sa = S + K;
        o->lsr = (cpe_point_t){tc,
                               0,
                               {sim_round(la / sa, 1e-4), sim_round(la / (la + sa), 1e-4),
                                sim_round(sa / (la + sa), 1e-4), NAN, NAN, NAN}};
    }
    if (tc % FUNDING_MS == 0) {
        double mb = s->basis_sum / (double)s->basis_n;
        double rate = FUNDING_INTEREST + FUNDING_GAIN * (mb - BASIS_BASE);
        rate = sim_round(fmax(-FUNDING_CAP, fmin(FUNDING_CAP, rate)), 1e-8);
        o->has_funding = 1;
        o->funding = (cpe_point_t){tc, 0, {rate, NAN, NAN, NAN, NAN, NAN}};
        s->basis_sum = 0;
        s->basis_n = 0;
    }
}

static int step_symbol(cpe_sim_t *sim, symstate_t *s, int64_t ts, double zm, cpe_sim_out_t *o)
{
    const cpe_sim_regime_params_t *R = &cpe_sim_regimes[sim->regime];
    double dir = sim->regime == CPE_SIM_TRENDING ? sim->trend_dir : 1.0;
    cpe_rng_t *g = &s->rng;
    double sig = s->p.sigma_1m * R->vol_mult * season(ts);
    double sd = sig * sqrt(s->h);
    double zi = cpe_rng_t_unit(g, T_NU);
    double z = s->p.rho * zm + sqrt(1.0 - s->p.rho * s->p.rho) * zi;
    double drift = R->drift_1m * dir;
    double lead = FLOW_LEAD * s->flow * sig;
    double r = drift + lead + sd * z;
    /* this minute's order-flow pressure: shows in the taker share now, moves price next */
    s->flow = FLOW_AR * s->flow + sqrt(1.0 - FLOW_AR * FLOW_AR) * cpe_rng_normal(g);
    double share = 0.5 + 0.08 * tanh(s->flow) + 0.12 * tanh(z) + 0.02 * cpe_rng_normal(g);
    share = fmin(0.95, fmax(0.05, share));
    /* basis: OU towards the regime's target */
    double b0 = s->basis;
    double target = BASIS_BASE + R->basis_shift * dir;
    double b1 = b0 + BASIS_KAPPA * (target - b0) + BASIS_SD * cpe_rng_normal(g);
    /* volumes: busier when volatile and on big moves */
    double act = pow(sd / s->p.sigma_1m, 0.8) * (0.6 + 0.4 * fabs(z)) * season(ts);
    double spot_usd = s->p.volume_usd_1m * act * exp(0.3 * cpe_rng_normal(g) - 0.045);
    double perp_usd = PERP_VOLUME_MULT * spot_usd * exp(0.2 * cpe_rng_normal(g) - 0.02);
    double inc[CPE_SIM_SLICES], w[CPE_SIM_SLICES], wsum = 0, imean = 0;
    double sds = sd / sqrt((double)CPE_SIM_SLICES);
    for (int k = 0; k < CPE_SIM_SLICES; k++) {
        inc[k] = sds * cpe_rng_normal(g);
        imean += inc[k] / CPE_SIM_SLICES;
        w[k] = -log(cpe_rng_uniform(g));
        wsum += w[k];
    }
    s->liq.n = 0;
    double p = s->price, p_start = s->price;
    for (int k = 0; k < CPE_SIM_SLICES; k++) {
        int64_t sts = ts + (int64_t)k * CPE_SIM_SLICE_MS;
        double imp = fmax(-IMPACT_CAP, fmin(IMPACT_CAP, s->pending_impact));
        s->pending_impact = 0;
        double po = p;
        p = p * exp(inc[k] - imean + r / CPE_SIM_SLICES + imp);
        double wick_hi = exp(fabs(cpe_rng_normal(g)) * sds * 0.6);
        double wick_lo = exp(-fabs(cpe_rng_normal(g)) * sds * 0.6);
        double bo = b0 + (b1 - b0) * k / CPE_SIM_SLICES;
        double bc = b0 + (b1 - b0) * (k + 1) / CPE_SIM_SLICES;
        double tick = s->p.tick, lot = s->p.lot;
        double so = sim_round(po, tick), sc = sim_round(p, tick);
        double sh = fmax(sim_round(fmax(po, p) * wick_hi, tick), fmax(so, sc));
        double sl = fmin(sim_round(fmin(po, p) * wick_lo, tick), fmin(so, sc));
        double qo = sim_round(po * (1 + bo), tick), qc = sim_round(p * (1 + bc), tick);
        double qh = fmax(sim_round(fmax(po, p) * wick_hi * (1 + bc), tick), fmax(qo, qc));
        double ql = fmin(sim_round(fmin(po, p) * wick_lo * (1 + bc), tick), fmin(qo, qc));
        /* liquidations on the perp price */
        double lu, lq, su, sq;
        int rc = sim_pools_liquidate(&s->pools, 0, &s->p, g, sts, qo, ql, qh, &s->liq, &lu, &lq);
        if (!rc)
            rc = sim_pools_liquidate(&s->pools, 1, &s->p, g, sts, qo, ql, qh, &s->liq, &su, &sq);
        if (rc) return rc;
        s->pending_impact += (su - lu) / (DEPTH_MULT * s->p.oi_usd);
        /* volumes of the slice */
        double wk = w[k] / wsum, vwap = (so + sh + sl + sc) / 4.0;
        double sv = sim_round(spot_usd * wk / vwap, lot);
        double stb = sim_round(sv * fmin(0.98, fmax(0.02, share + 0.03 * cpe_rng_normal(g))), lot);
        if (stb > sv) stb = sv;
        double pv0 = sim_round(perp_usd * wk / vwap, lot);
        double ptb = sim_round(pv0 * fmin(0.98, fmax(0.02, share + 0.03 * cpe_rng_normal(g))), lot);
        if (ptb > pv0) ptb = pv0;
        double pv = pv0 + lq + sq, pb = ptb + sq; /* forced sells / buys are taker flow */
        double stn =
            sv > 0 ? fmax(1.0, round(sv * vwap / s->p.trade_usd * exp(0.2 * cpe_rng_normal(g))))
                   : 0;
        double ptn =
            pv > 0 ? fmax(1.0, round(pv * vwap / s->p.trade_usd * exp(0.2 * cpe_rng_normal(g))))
                   : 0;
        fill_slice(&o->spot_slice[k], sts, so, sh, sl, sc, sv, stb, stn);
        fill_slice(&o->perp_slice[k], sts, qo, qh, ql, qc, pv, pb, ptn);
    }
    /* cascades also push the perp to a discount (longs) or premium (shorts) */
    s->basis = b1 - 0.1 * s->pending_impact;
    s->price = p;
    /* GARCH on the realised standardised shock (cascades raise later volatility) */
    double e = (log(p / p_start) - drift) / sig;
    s->h = (1.0 - GARCH_ALPHA - GARCH_BETA) + GARCH_ALPHA * fmin(e * e, SHOCK2_CAP) +
           GARCH_BETA * s->h;
    cpe_sim_partial(o->spot_slice, CPE_SIM_SLICES, &o->spot);
    cpe_sim_partial(o->perp_slice, CPE_SIM_SLICES, &o->perp);
    /* liquidation events in time order; seq numbers them within their ms */
    if (s->liq.n > 1) qsort(s->liq.v, s->liq.n, sizeof *s->liq.v, cmp_point_ts);
    for (size_t i = 0; i < s->liq.n; i++)
        s->liq.v[i].seq =
            (i > 0 && s->liq.v[i].ts_ms == s->liq.v[i - 1].ts_ms) ? s->liq.v[i - 1].seq + 1 : 0;
    o->liq = s->liq.v;
    o->nliq = s->liq.n;
    /* positions: steady closes and stop-outs, new opens at the close, cohorts every 4 h */
    int64_t tc = ts + CPE_MS_PER_MIN;
    double open_usd =
        s->p.oi_usd / sim_pools_open_norm() * R->open_mult * exp(0.3 * cpe_rng_normal(g) - 0.045);
    double pc = o->perp.close;
    sim_pools_step(&s->pools, tc, pc, open_usd, 0.5 + R->long_tilt * dir, R->close_mult);
    close_observations(s, tc, pc, o);
    return 0;
}

int cpe_sim_step(cpe_sim_t *s, cpe_sim_minute_t *m)
{
    int64_t ts = s->next_ts;
    step_regime(s);
    double zm = cpe_rng_t_unit(&s->mrng, T_NU);
    m->ts_ms = ts;
    m->regime = (cpe_sim_regime_t)s->regime;
    m->nsym = s->cfg.nsym;
    for (size_t i = 0; i < s->cfg.nsym; i++) {
        int rc = step_symbol(s, &s->s[i], ts, zm, &m->sym[i]);
        if (rc) return rc;
    }
    s->next_ts = ts + CPE_MS_PER_MIN;
    return 0;
}
