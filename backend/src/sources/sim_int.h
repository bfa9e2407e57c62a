/* sim_int.h — internals shared by the simulator's files (sim.c: the market stepper,
 * sim_pools.c: the leveraged position pools). Not a public header: see cpe/sim.h. */
#ifndef CPE_SIM_INT_H
#define CPE_SIM_INT_H

#include "cpe/rng.h"
#include "cpe/sim.h"

#define SIM_TIERS 4    /* 10x, 25x, 50x, 100x */
#define SIM_COHORTS 24 /* one cohort per 4 h, kept 4 days */

typedef struct sim_cohort {
    double qty, entry, liq; /* base quantity, volume-weighted entry, liquidation price */
} sim_cohort_t;

/* One symbol's leveraged positions: [side 0 long / 1 short][tier][4-hour slot]. */
typedef struct sim_pools {
    sim_cohort_t c[2][SIM_TIERS][SIM_COHORTS];
    double trigger[2]; /* long: highest liquidation price; short: lowest (NaN: none) */
    int cur;           /* the slot of the current 4-hour block */
    int64_t epoch;     /* its start */
} sim_pools_t;

/* A minute's liquidation events (grown as needed, reused across minutes). */
typedef struct sim_liqs {
    cpe_point_t *v;
    size_t n, cap;
} sim_liqs_t;

double sim_round(double x, double step);

/* Pools at equilibrium for p at start_ms (draws from g). */
void sim_pools_init(sim_pools_t *pl, const cpe_sim_symbol_t *p, cpe_rng_t *g, int64_t start_ms);
/* Liquidate every cohort of `side` whose liquidation price the perp slice [lo, hi] (open o)
 * crossed: events into out, liquidated notional and quantity into *usd, *qty. */
int sim_pools_liquidate(sim_pools_t *pl, int side, const cpe_sim_symbol_t *p, cpe_rng_t *g,
                        int64_t slice_ts, double o, double lo, double hi, sim_liqs_t *out,
                        double *usd, double *qty);
/* The minute closing at close_ts with perp close pc: rotate the 4-hour slot, voluntary
 * closes (x close_mult) and stop-outs, then new positions worth open_usd, long with
 * probability long_share. */
void sim_pools_step(sim_pools_t *pl, int64_t close_ts, double pc, double open_usd,
                    double long_share, double close_mult);
/* Opens per minute that keep OI at oi_usd: oi_usd / sim_pools_open_norm(). */
double sim_pools_open_norm(void);
/* Total long and short quantities. */
void sim_pools_qty(const sim_pools_t *pl, double *longs, double *shorts);

#endif
