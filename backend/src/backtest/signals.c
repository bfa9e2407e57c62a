/* signals.c — `cpe backtest --signals` (issue 9 item 3): a signal column decided at each
 * close is the target direction from the next open, executed by the shared loop and book
 * with all equity (fraction 1) and market orders, so the rules are exactly those of the
 * book (backtest.h): exit at open*(1 - slip*d), enter at F = open*(1 + slip*s) with
 * |units| = equity / (F*(1 + commission)), commission on every fill, no rebalancing while
 * the target keeps its sign, the last position marked and not liquidated. */
#include "bt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void decide(void *ctx, size_t i, const cpe_bt_book_t *b, double equity, cpe_bt_target_t *t)
{
    (void)b, (void)equity;
    int s = ((const int8_t *)ctx)[i];
    if (s == t->dir) return;
    t->dir = s;
    t->fraction = 1;
    t->limit = 0;
    snprintf(t->reason, sizeof t->reason, "%s",
             s > 0   ? "signal_long"
             : s < 0 ? "signal_short"
                     : "signal_flat");
}

int cpe_bt_run_signals(const cpe_bt_exec_t *x, const cpe_bt_bars_t *bars, const int8_t *signal,
                       size_t curve_points, cpe_bt_result_t *r, cpe_diag_t *d)
{
    int rc;
    snprintf(r->kind, sizeof r->kind, "signals");
    cpe_bt_config_default(&r->cfg);
    r->cfg.exec = *x;
    r->cfg.exec.limit_entries = 0;
    r->cfg.perp = 0;
    r->cfg.curve_points = curve_points;
    if ((rc = bt_result_alloc(r, bars, d))) return rc;
    cpe_bt_book_init(&r->book, x);
    cpe_bt_curve_t curve = {r->equity, r->position};
    if ((rc = cpe_bt_loop(bars, NULL, 0, x, decide, (void *)signal, &r->book, &curve)))
        return cpe_diag_set(d, rc, "backtest loop failed: %s", cpe_strerror(rc));
    cpe_bt_metrics_compute(bars, r->equity, r->position, &r->book, &r->m);
    if ((rc = cpe_bt_hindsight(bars, r->cfg.hindsight_swing, &r->swings, &r->n_swings)))
        return cpe_diag_set(d, rc, "out of memory for the hindsight swings");
    return 0;
}
