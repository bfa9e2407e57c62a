/*
 * sim.h — a synthetic crypto market for offline use and reproducible tests.
 *
 * The simulator is a STEPPER: cpe_sim_step() produces the next whole minute for every
 * symbol (spot and perp klines, perp OI/long-short observations every 5 minutes, funding
 * at 00/08/16 UTC, liquidation events). Each minute is generated as 12 slices of 5 s, kept
 * in the output, so a live server can reveal a minute slice by slice (cpe_sim_partial)
 * and emit in-progress ticks; a batch run is the same stepper in a loop.
 *
 * Model (parameters and their values: docs/SIMULATOR.md):
 *   - a market-wide regime (calm, trending, high-vol, panic): a Markov chain stepped once
 *     a minute with the per-minute transition matrix of cpe_sim_regimes[];
 *   - per symbol, 1m log return = drift(regime) + flow lead + sigma * sqrt(h) * z, where
 *     sigma = base vol x regime multiplier x time-of-day season, h follows GARCH(1,1) on
 *     the standardised shocks (volatility clustering), z = rho * zm + sqrt(1-rho^2) * zi
 *     with zm a market factor shared by all symbols (ETH correlates with BTC) and zm, zi
 *     Student-t(5) scaled to unit variance (fat tails);
 *   - taker flow: an AR(1) order-flow pressure f per symbol sets the taker-buy share of
 *     the bar and pushes the NEXT bar's return (taker flow slightly leads price);
 *   - perp = spot x (1 + basis), basis an Ornstein-Uhlenbeck process whose target follows
 *     the regime (premium in up-trends, discount in panics); funding every 8 h from the
 *     window's mean basis;
 *   - leveraged position pools (long and short, 10x/25x/50x/100x, one cohort per 4 h
 *     with its volume-weighted entry and liquidation price): opens grow OI (faster in
 *     trends), positions close at a steady rate, and when a slice's price crosses a
 *     cohort's liquidation price the cohort is liquidated: liquidation events, forced
 *     taker volume, and a price impact on the next slice that can trigger further
 *     cohorts (cascades). OI = total pool size, so it builds in trends and flushes in
 *     cascades.
 *
 * Determinism: all randomness comes from cpe_rng_t generators seeded from cfg.seed (one
 * for the market, one per symbol derived from the seed and the symbol name), and the
 * number of draws never depends on wall time, so the same seed and config give
 * byte-identical output (on the same binary / libm). A symbol's data does not depend on
 * which other symbols are simulated with it.
 *
 * Ownership: cpe_sim_new allocates, cpe_sim_free releases (NULL no-op). The liquidation
 * arrays of a cpe_sim_minute_t point into the simulator and stay valid until the next
 * cpe_sim_step or cpe_sim_free. One thread per cpe_sim_t.
 */
#ifndef CPE_SIM_H
#define CPE_SIM_H

#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/store.h"
#include "cpe/universe.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_SIM_MAX_SYMBOLS CPE_ASSETS_MAX /* every configured asset can be simulated */
#define CPE_SIM_SLICES 12                  /* 5-second slices per minute */
#define CPE_SIM_SLICE_MS 5000

typedef enum cpe_sim_regime {
    CPE_SIM_CALM = 0,
    CPE_SIM_TRENDING = 1,
    CPE_SIM_HIGHVOL = 2,
    CPE_SIM_PANIC = 3,
    CPE_SIM_NREGIMES = 4
} cpe_sim_regime_t;

/* Per-regime behaviour (a row of the documented table). */
typedef struct cpe_sim_regime_params {
    const char *name;
    double mean_minutes;         /* expected stay */
    double to[CPE_SIM_NREGIMES]; /* where it goes when it leaves (sums to 1, to[self]=0) */
    double vol_mult;             /* multiplies the base 1m volatility */
    double drift_1m;             /* log drift per minute (x trend direction when trending) */
    double open_mult;            /* rate of new leveraged positions */
    double close_mult;           /* rate of voluntary closes */
    double long_tilt;            /* new positions are long with probability 0.5 + tilt (x direction
                                    when trending) */
    double basis_shift;          /* the basis pulls to 0.0002 + shift (x direction when trending) */
} cpe_sim_regime_params_t;

extern const cpe_sim_regime_params_t cpe_sim_regimes[CPE_SIM_NREGIMES];

typedef struct cpe_sim_symbol {
    char symbol[32];
    double price0;        /* starting spot price */
    double sigma_1m;      /* base 1m log-return sd (calm regime is 0.7x this) */
    double rho;           /* loading on the market factor */
    double volume_usd_1m; /* mean spot quote volume per minute */
    double oi_usd;        /* equilibrium perp open interest (notional) */
    double trade_usd;     /* mean trade size (for trade counts) */
    double tick;          /* price grid */
    double lot;           /* quantity grid */
    double oi0_usd;       /* open interest at the start (notional); 0 = as at equilibrium */
} cpe_sim_symbol_t;

typedef struct cpe_sim_config {
    uint64_t seed;
    int64_t start_ms; /* open time of the first minute (floored to the minute) */
    size_t nsym;
    cpe_sim_symbol_t sym[CPE_SIM_MAX_SYMBOLS];
} cpe_sim_config_t;

/* Parameters from the universe's row of each symbol's asset (cpe/universe.h: catalogued
 * assets have their own, any other gets the generic row). CPE_EINVAL for n == 0 or
 * n > CPE_SIM_MAX_SYMBOLS, or a bad name. */
int cpe_sim_config_default(cpe_sim_config_t *c, const char *const *symbols, size_t n, uint64_t seed,
                           int64_t start_ms, cpe_diag_t *d);

typedef struct cpe_sim_out {
    cpe_kline_t spot, perp;                 /* the minute (ts = minute open) */
    cpe_kline_t spot_slice[CPE_SIM_SLICES]; /* its 5 s slices (ts = slice open) */
    cpe_kline_t perp_slice[CPE_SIM_SLICES];
    int has_oi; /* oi: ts = minute close (every 5 min), v0 contracts, v1 notional */
    cpe_point_t oi;
    int has_lsr; /* lsr: same times, v0 ratio, v1 long share, v2 short share */
    cpe_point_t lsr;
    int has_funding; /* funding: ts = funding time (00/08/16 UTC = this minute's close) */
    cpe_point_t funding;
    size_t nliq;            /* liquidations in the minute, ts order */
    const cpe_point_t *liq; /* v0 side (+1 long liquidated, -1 short), v1 price, v2 qty */
} cpe_sim_out_t;

typedef struct cpe_sim_minute {
    int64_t ts_ms; /* open time */
    cpe_sim_regime_t regime;
    size_t nsym;
    cpe_sim_out_t sym[CPE_SIM_MAX_SYMBOLS];
} cpe_sim_minute_t;

typedef struct cpe_sim cpe_sim_t;

int cpe_sim_new(const cpe_sim_config_t *c, cpe_sim_t **out, cpe_diag_t *d);
void cpe_sim_free(cpe_sim_t *s);
/* Generate the next minute into *m. 0 or CPE_ENOMEM. */
int cpe_sim_step(cpe_sim_t *s, cpe_sim_minute_t *m);
size_t cpe_sim_nsym(const cpe_sim_t *s);
const char *cpe_sim_symbol_name(const cpe_sim_t *s, size_t i);
/* The open time of the minute the next step produces. */
int64_t cpe_sim_next_ts(const cpe_sim_t *s);
/* The in-progress kline after the first k slices (1..CPE_SIM_SLICES) of a minute:
 * ts = minute open, OHLCV of those slices. k = CPE_SIM_SLICES gives the whole minute. */
void cpe_sim_partial(const cpe_kline_t slices[CPE_SIM_SLICES], int k, cpe_kline_t *out);

/*
 * Writing a simulation into a store (sim_store.c). Series, all created with simulated=1:
 *   sim:spot:SYM kline:1m     sim:perp:SYM kline:1m
 *   sim:perp:SYM oi (5m)      sim:perp:SYM lsr (5m)
 *   sim:perp:SYM funding (8h) sim:perp:SYM liq (events)
 * and the meta key "simulated" = "1". cpe_sim_write steps the simulator `minutes` times
 * and upserts everything in one transaction (rolled back on failure), a UTC day of
 * klines per put. A live server can call it with minutes = 1.
 */
typedef struct cpe_sim_write_stats {
    size_t minutes, klines, oi, lsr, funding, liq;
    size_t inserted, updated, unchanged; /* upsert outcome over all rows */
} cpe_sim_write_stats_t;

int cpe_sim_write(cpe_store_t *st, cpe_sim_t *sim, size_t minutes, cpe_sim_write_stats_t *stats,
                  cpe_diag_t *d);

#endif
