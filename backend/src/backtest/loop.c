/* loop.c — the event loop shared by every backtest: funding, execution at the open, mark
 * at the close, decision for the next open (backtest.h, top comment). It knows nothing of
 * predictions; the decider does. */
#include "cpe/backtest.h"

#include <math.h>
#include <string.h>

static void mark_open_trade(cpe_bt_book_t *b, int64_t ts_ms, double close)
{
    if (!cpe_bt_book_dir(b)) return;
    cpe_bt_trade_t *t = &b->trades[b->n_trades - 1];
    t->exit_ms = ts_ms;
    t->exit_price = close;
    t->pnl = b->units * (close - t->entry_price) + t->funding - t->fees;
}

int cpe_bt_loop(const cpe_bt_bars_t *bars, const cpe_bt_funding_t *fund, size_t n_fund,
                const cpe_bt_exec_t *x, cpe_bt_decide_fn decide, void *ctx, cpe_bt_book_t *b,
                cpe_bt_curve_t *curve)
{
    cpe_bt_target_t t;
    memset(&t, 0, sizeof t);
    cpe_rng_t rng;
    cpe_rng_seed(&rng, x->seed);
    size_t fi = 0;
    int rc;
    /* funding events at or before the first open settle nothing: no position yet */
    while (fi < n_fund && n_fund && bars->n && fund[fi].ts_ms <= bars->ts_ms[0])
        fi++;
    for (size_t i = 0; i < bars->n; i++) {
        double open = bars->open[i];
        int64_t ts = bars->ts_ms[i];
        if (i > 0) {
            for (; fi < n_fund && fund[fi].ts_ms <= ts; fi++)
                cpe_bt_book_funding(b, fund[fi].rate, open);
            int cur = cpe_bt_book_dir(b);
            if (t.dir != cur) {
                if (cur && (rc = cpe_bt_book_exit(b, ts, open, b->slippage, t.reason))) return rc;
                if (t.dir) {
                    int fill = 1;
                    double slip = b->slippage;
                    if (t.limit) {
                        fill = cpe_rng_uniform(&rng) < x->limit_fill_prob;
                        slip = b->limit_slippage;
                    }
                    if (fill &&
                        (rc = cpe_bt_book_enter(b, ts, t.dir, open, slip, t.fraction, t.reason)))
                        return rc;
                }
            }
        }
        double close = bars->close[i], eq = b->cash + b->units * close;
        if (curve) {
            if (curve->equity) curve->equity[i] = eq;
            if (curve->position) curve->position[i] = b->units;
        }
        decide(ctx, i, b, eq, &t);
    }
    if (bars->n) mark_open_trade(b, bars->ts_ms[bars->n - 1], bars->close[bars->n - 1]);
    return 0;
}
