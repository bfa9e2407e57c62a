/* sim_pools.c — the simulator's leveraged position pools: cohorts per side and leverage
 * tier, opens, closes and stop-outs, and liquidations (model: cpe/sim.h, numbers:
 * docs/SIMULATOR.md). */
#include "sources/sim_int.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COHORT_MS (4 * CPE_MS_PER_HOUR)
#define MMR 0.005      /* maintenance margin rate */
#define STOP_RATE 0.05 /* per-minute stop-out rate of a position at its liquidation price */

static const double tier_lev[SIM_TIERS] = {10, 25, 50, 100};
static const double tier_share[SIM_TIERS] = {0.45, 0.30, 0.17, 0.08};  /* of new positions */
static const double tier_hold_min[SIM_TIERS] = {4320, 1440, 360, 120}; /* mean holding time */

double sim_round(double x, double step)
{
    /* a decimal grid (0.01, 1e-5, ...): divide by the power of ten, so the result is the
     * double nearest to the decimal an exchange would print (61689.95, not the
     * 61689.950000000004 that multiplying by an inexact 0.01 gives) */
    double inv = round(1.0 / step);
    if (inv >= 1 && fabs(inv * step - 1.0) < 1e-12) return round(x * inv) / inv;
    return round(x / step) * step;
}

/* Minutes of opens that make up the equilibrium OI: sum of share x holding time. */
double sim_pools_open_norm(void)
{
    double s = 0;
    for (int i = 0; i < SIM_TIERS; i++)
        s += tier_share[i] * tier_hold_min[i];
    return s;
}

static double liq_price(int side, double entry, double lev)
{
    return side == 0 ? entry * (1.0 - 1.0 / lev + MMR) : entry * (1.0 + 1.0 / lev - MMR);
}

static void retrigger(sim_pools_t *pl, int side)
{
    double t = NAN;
    for (int i = 0; i < SIM_TIERS; i++)
        for (int j = 0; j < SIM_COHORTS; j++) {
            const sim_cohort_t *c = &pl->c[side][i][j];
            if (c->qty <= 0) continue;
            if (isnan(t) || (side == 0 ? c->liq > t : c->liq < t)) t = c->liq;
        }
    pl->trigger[side] = t;
}

void sim_pools_qty(const sim_pools_t *pl, double *longs, double *shorts)
{
    double q[2] = {0, 0};
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < SIM_TIERS; i++)
            for (int j = 0; j < SIM_COHORTS; j++)
                q[side] += pl->c[side][i][j].qty;
    *longs = q[0];
    *shorts = q[1];
}

void sim_pools_init(sim_pools_t *pl, const cpe_sim_symbol_t *p, cpe_rng_t *g, int64_t start_ms)
{
    memset(pl, 0, sizeof *pl);
    pl->epoch = cpe_floor_ms(start_ms, COHORT_MS);
    /* older cohorts are smaller and were entered at other prices */
    double open_usd_1m = p->oi_usd / sim_pools_open_norm();
    for (int side = 0; side < 2; side++) {
        for (int i = 0; i < SIM_TIERS; i++)
            for (int age = 0; age < SIM_COHORTS; age++) {
                double mins = 240.0 * age + 120.0;
                double usd =
                    open_usd_1m * 0.5 * tier_share[i] * 240.0 * exp(-mins / tier_hold_min[i]);
                double entry = p->price0 * exp(p->sigma_1m * sqrt(mins) * cpe_rng_normal(g));
                sim_cohort_t *c = &pl->c[side][i][(SIM_COHORTS - age) % SIM_COHORTS];
                c->entry = entry;
                c->liq = liq_price(side, entry, tier_lev[i]);
                c->qty = usd / entry;
                if (side == 0 ? c->liq >= p->price0 : c->liq <= p->price0) c->qty = 0;
            }
        retrigger(pl, side);
    }
    /* a given starting open interest (a simulation continuing a stored one): every cohort
     * scaled to it; the flows then pull it to the equilibrium as usual */
    if (p->oi0_usd > 0) {
        double L, S;
        sim_pools_qty(pl, &L, &S);
        double k = (L + S) * p->price0 > 0 ? p->oi0_usd / ((L + S) * p->price0) : 1;
        for (int side = 0; side < 2; side++)
            for (int i = 0; i < SIM_TIERS; i++)
                for (int j = 0; j < SIM_COHORTS; j++)
                    pl->c[side][i][j].qty *= k;
    }
}

static int liq_push(sim_liqs_t *out, int64_t ts, int side, double price, double qty)
{
    if (out->n == out->cap) {
        size_t nc = out->cap ? out->cap * 2 : 64;
        cpe_point_t *v = realloc(out->v, nc * sizeof *v);
        if (!v) return CPE_ENOMEM;
        out->v = v;
        out->cap = nc;
    }
    cpe_point_t *e = &out->v[out->n++];
    e->ts_ms = ts;
    e->seq = (int32_t)(out->n - 1); /* creation order: makes a later (ts, seq) sort total */
    e->v[0] = side == 0 ? 1.0 : -1.0;
    e->v[1] = price;
    e->v[2] = qty;
    for (int i = 3; i < CPE_POINT_NV; i++)
        e->v[i] = NAN;
    return 0;
}

int sim_pools_liquidate(sim_pools_t *pl, int side, const cpe_sim_symbol_t *p, cpe_rng_t *g,
                        int64_t slice_ts, double o, double lo, double hi, sim_liqs_t *out,
                        double *usd, double *qty)
{
    double trig = pl->trigger[side];
    *usd = *qty = 0;
    if (isnan(trig) || (side == 0 ? lo > trig : hi < trig)) return 0;
    for (int i = 0; i < SIM_TIERS; i++)
        for (int j = 0; j < SIM_COHORTS; j++) {
            sim_cohort_t *c = &pl->c[side][i][j];
            if (c->qty <= 0 || (side == 0 ? lo > c->liq : hi < c->liq)) continue;
            /* fills at the liquidation price, or at the open when the slice gapped past it */
            double px = side == 0 ? fmax(fmin(c->liq, o), lo) : fmin(fmax(c->liq, o), hi);
            double q = sim_round(c->qty, p->lot);
            c->qty = 0;
            if (q <= 0) continue;
            double cusd = q * px;
            int nev = 1 + (int)fmin(9.0, floor(cusd / 2e5)); /* split into up to 10 orders */
            double left = q;
            for (int e = 0; e < nev; e++) {
                double qe = e == nev - 1 ? left : sim_round(q / nev, p->lot);
                if (qe > left) qe = left;
                left -= qe;
                if (qe <= 0) continue;
                double f = cpe_rng_uniform(g);
                double pe = side == 0 ? px - f * (px - lo) * 0.5 : px + f * (hi - px) * 0.5;
                int64_t ts = slice_ts + (int64_t)(cpe_rng_uniform(g) * CPE_SIM_SLICE_MS);
                int rc = liq_push(out, ts, side, sim_round(pe, p->tick), qe);
                if (rc) return rc;
            }
            *usd += cusd;
            *qty += q;
        }
    retrigger(pl, side);
    return 0;
}

void sim_pools_step(sim_pools_t *pl, int64_t close_ts, double pc, double open_usd,
                    double long_share, double close_mult)
{
    int64_t ep = cpe_floor_ms(close_ts, COHORT_MS);
    if (ep != pl->epoch) { /* a new 4-hour block: its slot's old cohort is closed out */
        pl->epoch = ep;
        pl->cur = (pl->cur + 1) % SIM_COHORTS;
        for (int side = 0; side < 2; side++)
            for (int i = 0; i < SIM_TIERS; i++)
                pl->c[side][i][pl->cur].qty = 0;
    }
    for (int side = 0; side < 2; side++) {
        double side_usd = open_usd * (side == 0 ? long_share : 1.0 - long_share);
        for (int i = 0; i < SIM_TIERS; i++) {
            double keep = 1.0 - close_mult / tier_hold_min[i];
            for (int j = 0; j < SIM_COHORTS; j++) {
                sim_cohort_t *cj = &pl->c[side][i][j];
                if (cj->qty <= 0) continue;
                /* stop-outs: losing positions are cut the faster the more of their margin
                 * is gone (share of the way from entry to the liquidation price) */
                double lost = (cj->entry - pc) / (cj->entry - cj->liq);
                double stop = lost > 0 ? STOP_RATE * fmin(lost, 1.0) * fmin(lost, 1.0) : 0;
                cj->qty *= keep * (1.0 - stop);
            }
            sim_cohort_t *c = &pl->c[side][i][pl->cur];
            double q = side_usd * tier_share[i] / pc;
            c->entry = c->qty > 0 ? (c->qty * c->entry + q * pc) / (c->qty + q) : pc;
            c->qty += q;
            c->liq = liq_price(side, c->entry, tier_lev[i]);
        }
        retrigger(pl, side);
    }
}
