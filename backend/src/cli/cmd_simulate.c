/* cmd_simulate.c — `cpe simulate`: fill the store with a synthetic market (cpe/sim.h). */
#include "cli/cli.h"
#include "cpe/sim.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DAYS 3660

static int run(cpe_args_t *a)
{
    static const char *const known[] = {"symbols", "days", "seed", "end", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    long days, seed;
    long long end;
    if ((rc = cpe_arg_int(a, "days", 90, &days)) || (rc = cpe_arg_int(a, "seed", 1, &seed)) ||
        (rc = cpe_arg_time(a, "end", (long long)cpe_floor_ms(cpe_now_ms(), CPE_MS_PER_MIN), &end)))
        return rc;
    if (days < 1 || days > MAX_DAYS)
        return cpe_cli_fail(a, 2, "option '--days' (%ld) must be between 1 and %d", days, MAX_DAYS);
    if (seed < 0) return cpe_cli_fail(a, 2, "option '--seed' (%ld) must be >= 0", seed);
    end = cpe_floor_ms(end, CPE_MS_PER_MIN);

    /* --symbols A,B,C */
    const char *list = cpe_arg_str(a, "symbols");
    char buf[512];
    if (list)
        snprintf(buf, sizeof buf, "%s", list);
    else
        cpe_assets_symbols(buf, sizeof buf); /* the configured assets (CPE_ASSETS) */
    const char *syms[CPE_SIM_MAX_SYMBOLS + 1];
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == CPE_SIM_MAX_SYMBOLS)
            return cpe_cli_fail(a, 2, "option '--symbols': at most %d symbols",
                                CPE_SIM_MAX_SYMBOLS);
        syms[n++] = t;
    }
    cpe_diag_t d = {0};
    cpe_sim_config_t cfg;
    int64_t minutes = (int64_t)days * 1440;
    int64_t start = (int64_t)end - minutes * CPE_MS_PER_MIN;
    if (cpe_sim_config_default(&cfg, syms, n, (uint64_t)seed, start, &d))
        return cpe_cli_fail(a, 2, "option '--symbols': %s", d.msg);

    cpe_store_t *st = NULL;
    cpe_sim_t *sim = NULL;
    cpe_sim_write_stats_t ws;
    int exit_code = 1;
    if (cpe_store_open(a->db, &st, &d)) {
        cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    /* A symbol's path is fixed by (seed, start). The store can only upsert, so writing a
     * different path over an existing one would leave the old run's liquidation events
     * mixed into the new one: refuse, and say what is there. */
    char run_id[96], prev[96];
    snprintf(run_id, sizeof run_id, "seed=%ld start=%lld", seed, (long long)start);
    rc = st->ops->get_meta(st, "sim_run", prev, sizeof prev);
    if (rc == 0 && strcmp(prev, run_id)) {
        cpe_cli_fail(a, 1,
                     "%s already holds another simulation (%s; this one is %s): "
                     "simulate into a fresh --db, or repeat the same --seed/--days/--end",
                     a->db, prev, run_id);
        goto out;
    }
    if (rc && rc != CPE_ENOTFOUND) {
        cpe_cli_fail(a, 1, "%s: %s", a->db, st->diag.msg);
        goto out;
    }
    if (cpe_sim_new(&cfg, &sim, &d) || cpe_sim_write(st, sim, (size_t)minutes, &ws, &d)) {
        cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (st->ops->set_meta(st, "sim_run", run_id)) {
        cpe_cli_fail(a, 1, "%s: %s", a->db, st->diag.msg);
        goto out;
    }
    char t0[32], t1[32];
    cpe_format_iso8601(start, t0);
    cpe_format_iso8601((int64_t)end, t1);
    printf("simulated %ld days of", days);
    for (size_t i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", syms[i]);
    printf(" (seed %ld) from %s to %s into %s\n", seed, t0, t1, a->db);
    printf("  %zu klines, %zu OI, %zu long/short, %zu funding, %zu liquidations; "
           "%zu rows new, %zu changed, %zu unchanged\n",
           ws.klines, ws.oi, ws.lsr, ws.funding, ws.liq, ws.inserted, ws.updated, ws.unchanged);
    exit_code = 0;
out:
    cpe_sim_free(sim);
    cpe_store_close(st);
    return exit_code;
}

const cpe_command_t cpe_cmddef_simulate = {
    "simulate", "fill the store with a realistic synthetic market (marked simulated)",
    "usage: cpe simulate [--symbols SYM,...] [--days 90] [--seed 1] [--end ISO]\n"
    "  --symbols: Binance-form pairs (asset + quote); default: the configured assets\n"
    "  (CPE_ASSETS, default BTC,ETH). Any asset works: parameters come from the universe\n"
    "  table (cpe/universe.h), generic ones for an asset without a row of its own.\n"
    "  Simulates spot and perp 1m klines, open interest and long/short ratio (5m), funding\n"
    "  (00/08/16 UTC) and liquidations for the symbols over the N days ending at --end\n"
    "  (default: now, floored to the minute), as series sim:spot:SYM and sim:perp:SYM\n"
    "  marked simulated. The same seed, symbols, days and end give identical data; a store\n"
    "  holding another simulation (other seed or start) is refused (meta key sim_run).\n"
    "  Model and parameters: docs/SIMULATOR.md.",
    run};
