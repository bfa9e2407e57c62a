/* sim_params.c — the simulator's tables: regimes, and per-symbol defaults from the
 * universe's asset rows (docs/SIMULATOR.md explains every number). */
#include "cpe/sim.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>

/* name, mean stay (min), leave-to {calm, trending, highvol, panic}, vol x, drift/min,
 * opens x, closes x, long tilt, basis shift */
const cpe_sim_regime_params_t cpe_sim_regimes[CPE_SIM_NREGIMES] = {
    {"calm", 2160, {0.00, 0.60, 0.35, 0.05}, 0.7, 0.0, 1.0, 1.0, 0.00, 0.0000},
    {"trending", 600, {0.50, 0.00, 0.40, 0.10}, 1.0, 0.000025, 1.8, 0.8, 0.15, 0.0008},
    {"highvol", 300, {0.50, 0.30, 0.00, 0.20}, 2.0, 0.0, 1.3, 1.5, 0.00, 0.0000},
    {"panic", 45, {0.30, 0.00, 0.70, 0.00}, 4.0, -0.0002, 0.5, 3.0, -0.10, -0.0012},
};

/* The universe's row of a symbol's asset (catalogued or generic) as simulator parameters. */
static int symbol_params(const char *s, cpe_sim_symbol_t *out, cpe_diag_t *d)
{
    char asset[CPE_ASSET_NAME_MAX];
    cpe_asset_t a;
    cpe_symbol_to_asset(s, asset, sizeof asset);
    int rc = cpe_asset_params(asset, &a, d);
    if (rc) return rc;
    *out = (cpe_sim_symbol_t){.price0 = a.sim.price0,
                              .sigma_1m = a.sim.sigma_1m,
                              .rho = a.sim.rho,
                              .volume_usd_1m = a.sim.volume_usd_1m,
                              .oi_usd = a.sim.oi_usd,
                              .trade_usd = a.sim.trade_usd,
                              .tick = a.tick,
                              .lot = a.lot};
    snprintf(out->symbol, sizeof out->symbol, "%s", s);
    return 0;
}

int cpe_sim_config_default(cpe_sim_config_t *c, const char *const *symbols, size_t n, uint64_t seed,
                           int64_t start_ms, cpe_diag_t *d)
{
    if (n == 0 || n > CPE_SIM_MAX_SYMBOLS)
        return cpe_diag_set(d, CPE_EINVAL, "%zu symbols given (need 1..%d)", n,
                            CPE_SIM_MAX_SYMBOLS);
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->start_ms = cpe_floor_ms(start_ms, CPE_MS_PER_MIN);
    c->nsym = n;
    for (size_t i = 0; i < n; i++) {
        const char *s = symbols[i];
        size_t len = strlen(s);
        if (len == 0 || len >= sizeof c->sym[i].symbol || strchr(s, ':') || strchr(s, ','))
            return cpe_diag_set(d, CPE_EINVAL, "symbol '%s' is not a valid name", s);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->sym[j].symbol, s))
                return cpe_diag_set(d, CPE_EINVAL, "symbol '%s' is listed twice", s);
        int rc = symbol_params(s, &c->sym[i], d);
        if (rc) return rc;
    }
    return 0;
}
