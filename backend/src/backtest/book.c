/* book.c — the account of a backtest: cash, one signed position, fills with slippage and
 * commission, funding payments, and the trade list (backtest.h, "Execution model").
 * Positions are entered and exited whole; there is no rebalancing. */
#include "cpe/backtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cpe_bt_book_init(cpe_bt_book_t *b, const cpe_bt_exec_t *x)
{
    memset(b, 0, sizeof *b);
    b->cash = x->initial_cash;
    b->commission = x->commission_bps / 1e4;
    b->slippage = x->slippage_bps / 1e4;
    b->limit_slippage = x->limit_slippage_bps / 1e4;
}

void cpe_bt_book_free(cpe_bt_book_t *b)
{
    if (!b) return;
    free(b->trades);
    b->trades = NULL;
    b->n_trades = b->cap_trades = 0;
}

static void set_reason(char *dst, const char *r)
{
    size_t n = strlen(r ? r : "");
    if (n >= CPE_BT_REASON) n = CPE_BT_REASON - 1;
    memcpy(dst, r ? r : "", n);
    dst[n] = 0;
}

int cpe_bt_book_exit(cpe_bt_book_t *b, int64_t ts_ms, double ref, double slip, const char *reason)
{
    int d = cpe_bt_book_dir(b);
    if (!d) return 0;
    double f = ref * (1 - slip * d), au = fabs(b->units), fee = b->commission * au * f;
    b->cash += b->units * f - fee;
    b->fees_total += fee;
    b->slippage_cost += au * ref * slip;
    b->fills++;
    cpe_bt_trade_t *t = &b->trades[b->n_trades - 1];
    t->open = 0;
    t->exit_ms = ts_ms;
    t->exit_price = f;
    t->fees += fee;
    t->pnl = b->units * (f - t->entry_price) + t->funding - t->fees;
    set_reason(t->exit_reason, reason);
    b->units = 0;
    return 0;
}

int cpe_bt_book_enter(cpe_bt_book_t *b, int64_t ts_ms, int dir, double ref, double slip,
                      double fraction, const char *reason)
{
    if (!dir || cpe_bt_book_dir(b)) return CPE_EINVAL;
    double equity = b->cash;
    if (!(equity > 0) || !(fraction > 0) || !(ref > 0)) return 0;
    if (b->n_trades == b->cap_trades) {
        size_t nc = b->cap_trades ? 2 * b->cap_trades : 64;
        cpe_bt_trade_t *nt = realloc(b->trades, nc * sizeof *nt);
        if (!nt) return CPE_ENOMEM;
        b->trades = nt;
        b->cap_trades = nc;
    }
    double f = ref * (1 + slip * dir);
    double au = fraction * equity / (f * (1 + b->commission)), fee = b->commission * au * f;
    b->units = dir * au;
    b->cash -= b->units * f + fee;
    b->fees_total += fee;
    b->slippage_cost += au * ref * slip;
    b->fills++;
    cpe_bt_trade_t *t = &b->trades[b->n_trades++];
    memset(t, 0, sizeof *t);
    t->side = dir;
    t->open = 1;
    t->entry_ms = ts_ms;
    t->exit_ms = -1;
    t->units = au;
    t->entry_price = f;
    t->fees = fee;
    t->entry_equity = equity;
    t->pnl = -fee;
    set_reason(t->entry_reason, reason);
    return 0;
}

void cpe_bt_book_funding(cpe_bt_book_t *b, double rate, double mark)
{
    if (!cpe_bt_book_dir(b) || !isfinite(rate)) return;
    double pay = b->units * mark * rate;
    b->cash -= pay;
    b->funding_total -= pay;
    b->trades[b->n_trades - 1].funding -= pay;
}
