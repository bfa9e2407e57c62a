/* metrics.c — spec 12.3 metrics from the marked equity curve, the positions and the trade
 * list. Returns are per bar (close to close); ratios are annualised with the number of
 * bars in a year (365.25 days); the risk-free rate is 0. Undefined values are NaN. */
#include "cpe/backtest.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <string.h>

#define YEAR_MS (365.25 * CPE_MS_PER_DAY)

static void drawdown(const cpe_bt_bars_t *bars, const double *eq, cpe_bt_metrics_t *m)
{
    double peak = eq[0], worst = 0;
    size_t peak_i = 0, worst_peak = 0, worst_i = 0;
    for (size_t i = 1; i < bars->n; i++) {
        if (eq[i] > peak) peak = eq[i], peak_i = i;
        double dd = peak > 0 ? 1 - eq[i] / peak : 0;
        if (dd > worst) worst = dd, worst_peak = peak_i, worst_i = i;
    }
    m->max_drawdown = worst;
    m->max_drawdown_duration_h = 0;
    if (worst > 0) {
        size_t rec = bars->n - 1;
        for (size_t i = worst_i; i < bars->n; i++)
            if (eq[i] >= eq[worst_peak]) {
                rec = i;
                break;
            }
        m->max_drawdown_duration_h =
            (double)(bars->ts_ms[rec] - bars->ts_ms[worst_peak]) / CPE_MS_PER_HOUR;
    }
}

static void returns(const cpe_bt_bars_t *bars, const double *eq, cpe_bt_metrics_t *m)
{
    size_t k = 0;
    double sr = 0, sb = 0, srr = 0, sbb = 0, srb = 0, sdn = 0;
    for (size_t i = 1; i < bars->n; i++) {
        double r = eq[i - 1] != 0 ? eq[i] / eq[i - 1] - 1 : 0;
        double bm = bars->close[i] / bars->close[i - 1] - 1;
        sr += r, sb += bm, srr += r * r, sbb += bm * bm, srb += r * bm;
        if (r < 0) sdn += r * r;
        k++;
    }
    double nan = NAN;
    m->sharpe = m->sortino = m->alpha = m->beta = m->information_ratio = nan;
    if (k < 2) return;
    double ppy = YEAR_MS / (double)bars->bar_ms, kn = (double)k;
    double mr = sr / kn, mb = sb / kn;
    double vr = (srr - kn * mr * mr) / (kn - 1), vb = (sbb - kn * mb * mb) / (kn - 1);
    double cov = (srb - kn * mr * mb) / (kn - 1);
    double vd = vr + vb - 2 * cov; /* variance of r - b */
    if (vr > 0) m->sharpe = mr / sqrt(vr) * sqrt(ppy);
    if (sdn > 0) m->sortino = mr / sqrt(sdn / kn) * sqrt(ppy);
    if (vb > 0) {
        m->beta = cov / vb;
        m->alpha = (mr - m->beta * mb) * ppy;
    }
    if (vd > 1e-30) m->information_ratio = (mr - mb) / sqrt(vd) * sqrt(ppy);
}

static void trades(const cpe_bt_book_t *b, cpe_bt_metrics_t *m)
{
    double win = 0, loss = 0, dur = 0;
    size_t wins = 0;
    for (size_t i = 0; i < b->n_trades; i++) {
        const cpe_bt_trade_t *t = &b->trades[i];
        if (t->side > 0)
            m->long_trades++;
        else
            m->short_trades++;
        if (t->open) continue;
        m->closed_trades++;
        dur += (double)(t->exit_ms - t->entry_ms) / CPE_MS_PER_HOUR;
        if (t->pnl > 0)
            win += t->pnl, wins++;
        else
            loss -= t->pnl;
    }
    m->total_trades = b->n_trades;
    m->win_rate = m->closed_trades ? (double)wins / (double)m->closed_trades : NAN;
    m->profit_factor = loss > 0 ? win / loss : NAN;
    m->avg_trade_duration_h = m->closed_trades ? dur / (double)m->closed_trades : NAN;
}

void cpe_bt_metrics_compute(const cpe_bt_bars_t *bars, const double *equity, const double *position,
                            const cpe_bt_book_t *b, cpe_bt_metrics_t *m)
{
    memset(m, 0, sizeof *m);
    m->fills = b->fills;
    m->fees = b->fees_total;
    m->funding = b->funding_total;
    m->slippage_cost = b->slippage_cost;
    trades(b, m);
    if (!bars->n) {
        m->total_return = m->annualized_return = m->buy_hold_return = NAN;
        m->sharpe = m->sortino = m->alpha = m->beta = m->information_ratio = NAN;
        return;
    }
    size_t n = bars->n, held = 0;
    m->initial_equity = equity[0];
    m->final_equity = equity[n - 1];
    m->total_return = m->final_equity / m->initial_equity - 1;
    m->years = (double)(bars->ts_ms[n - 1] - bars->ts_ms[0]) / YEAR_MS;
    m->annualized_return = m->years > 0 && m->final_equity > 0
                               ? pow(m->final_equity / m->initial_equity, 1 / m->years) - 1
                               : NAN;
    m->buy_hold_return = bars->close[n - 1] / bars->close[0] - 1;
    for (size_t i = 0; i < n; i++)
        held += position[i] != 0;
    m->exposure = (double)held / (double)n;
    drawdown(bars, equity, m);
    returns(bars, equity, m);
}
