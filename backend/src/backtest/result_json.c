/* result_json.c — the result JSON of every backtest (docs/BACKTEST.md): metrics, curves
 * thinned to at most cfg.curve_points points (each point is the last bar of its bucket;
 * the drawdown point is the deepest of its bucket, so the maximum drawdown is always
 * drawn), trades, hindsight swings, walk-forward periods and notes. */
#include "cpe/backtest.h"
#include "cpe/json.h"

#include <math.h>
#include <string.h>

static void metrics(cpe_jw_t *w, const cpe_bt_metrics_t *m)
{
    cpe_jw_obj(w);
    cpe_jw_knum(w, "initial_equity", m->initial_equity);
    cpe_jw_knum(w, "final_equity", m->final_equity);
    cpe_jw_knum(w, "total_return", m->total_return);
    cpe_jw_knum(w, "annualized_return", m->annualized_return);
    cpe_jw_knum(w, "sharpe_ratio", m->sharpe);
    cpe_jw_knum(w, "sortino_ratio", m->sortino);
    cpe_jw_knum(w, "max_drawdown", m->max_drawdown);
    cpe_jw_knum(w, "max_drawdown_duration_h", m->max_drawdown_duration_h);
    cpe_jw_knum(w, "win_rate", m->win_rate);
    cpe_jw_knum(w, "profit_factor", m->profit_factor);
    cpe_jw_knum(w, "avg_trade_duration_h", m->avg_trade_duration_h);
    cpe_jw_kint(w, "total_trades", (int64_t)m->total_trades);
    cpe_jw_kint(w, "long_trades", (int64_t)m->long_trades);
    cpe_jw_kint(w, "short_trades", (int64_t)m->short_trades);
    cpe_jw_kint(w, "closed_trades", (int64_t)m->closed_trades);
    cpe_jw_kint(w, "fills", (int64_t)m->fills);
    cpe_jw_knum(w, "exposure_time", m->exposure);
    cpe_jw_knum(w, "buy_hold_return", m->buy_hold_return);
    cpe_jw_knum(w, "alpha", m->alpha);
    cpe_jw_knum(w, "beta", m->beta);
    cpe_jw_knum(w, "information_ratio", m->information_ratio);
    cpe_jw_knum(w, "fees", m->fees);
    cpe_jw_knum(w, "funding", m->funding);
    cpe_jw_knum(w, "slippage_cost", m->slippage_cost);
    cpe_jw_end(w);
}

/* "key": {"t": [...], "v": [ (bar at the end of each bucket) ]}, the v array left open */
static void curve_open(cpe_jw_t *w, const char *key, const int64_t *ts, size_t n, size_t bucket)
{
    cpe_jw_key(w, key);
    cpe_jw_obj(w);
    cpe_jw_key(w, "t");
    cpe_jw_arr(w);
    for (size_t i = 0; i < n; i += bucket)
        cpe_jw_int(w, ts[i + bucket <= n ? i + bucket - 1 : n - 1]);
    cpe_jw_end(w);
    cpe_jw_key(w, "v");
    cpe_jw_arr(w);
}

/* equity and drawdown curves of n points, thinned to at most max_pts */
static void curves(cpe_jw_t *w, const char *eq_key, const char *dd_key, const int64_t *ts,
                   const double *eq, size_t n, size_t max_pts)
{
    size_t bucket = max_pts && n > max_pts ? (n + max_pts - 1) / max_pts : 1;
    curve_open(w, eq_key, ts, n, bucket);
    for (size_t i = 0; i < n; i += bucket)
        cpe_jw_num(w, eq[i + bucket <= n ? i + bucket - 1 : n - 1]);
    cpe_jw_end(w);
    cpe_jw_end(w);
    if (!dd_key) return;
    curve_open(w, dd_key, ts, n, bucket);
    double peak = -INFINITY, worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (eq[i] > peak) peak = eq[i];
        double dd = peak > 0 ? eq[i] / peak - 1 : 0;
        if (dd < worst) worst = dd;
        if ((i + 1) % bucket == 0 || i + 1 == n) {
            cpe_jw_num(w, worst);
            worst = 0;
        }
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
}

static void trades(cpe_jw_t *w, const cpe_bt_book_t *b)
{
    cpe_jw_key(w, "trades");
    cpe_jw_arr(w);
    for (size_t i = 0; i < b->n_trades; i++) {
        const cpe_bt_trade_t *t = &b->trades[i];
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "side", t->side > 0 ? "long" : "short");
        cpe_jw_kint(w, "entry_t_ms", t->entry_ms);
        cpe_jw_knum(w, "entry_price", t->entry_price);
        cpe_jw_kstr(w, "entry_reason", t->entry_reason);
        cpe_jw_kbool(w, "open", t->open);
        if (t->open) {
            cpe_jw_key(w, "exit_t_ms");
            cpe_jw_null(w);
            cpe_jw_key(w, "exit_price");
            cpe_jw_null(w);
            cpe_jw_kint(w, "mark_t_ms", t->exit_ms);
            cpe_jw_knum(w, "mark_price", t->exit_price);
            cpe_jw_kstr(w, "exit_reason", "open at the end (marked, not liquidated)");
        } else {
            cpe_jw_kint(w, "exit_t_ms", t->exit_ms);
            cpe_jw_knum(w, "exit_price", t->exit_price);
            cpe_jw_kstr(w, "exit_reason", t->exit_reason);
        }
        cpe_jw_knum(w, "units", t->units);
        cpe_jw_knum(w, "fees", t->fees);
        cpe_jw_knum(w, "funding", t->funding);
        cpe_jw_knum(w, "pnl", t->pnl);
        cpe_jw_knum(w, "return", t->entry_equity > 0 ? t->pnl / t->entry_equity : NAN);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
}

static void hindsight(cpe_jw_t *w, const cpe_bt_result_t *r)
{
    cpe_jw_key(w, "hindsight");
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "label",
                "hindsight: ideal entries and exits known only after the fact, not a signal");
    cpe_jw_knum(w, "min_swing", r->cfg.hindsight_swing);
    cpe_jw_key(w, "points");
    cpe_jw_arr(w);
    for (size_t i = 0; i < r->n_swings; i++) {
        cpe_jw_obj(w);
        cpe_jw_kint(w, "t_ms", r->swings[i].t_ms);
        cpe_jw_knum(w, "price", r->swings[i].price);
        cpe_jw_kstr(w, "kind", r->swings[i].entry ? "entry" : "exit");
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
}

static void walk_forward(cpe_jw_t *w, const cpe_bt_result_t *r)
{
    cpe_jw_key(w, "walk_forward");
    cpe_jw_obj(w);
    cpe_jw_key(w, "periods");
    cpe_jw_arr(w);
    for (size_t k = 0; k < r->n_periods; k++) {
        const cpe_bt_period_t *p = &r->periods[k];
        cpe_jw_obj(w);
        cpe_jw_kint(w, "train_from_ms", p->train_from_ms);
        cpe_jw_kint(w, "test_from_ms", p->test_from_ms);
        cpe_jw_kint(w, "test_to_ms", p->test_to_ms);
        cpe_jw_knum(w, "threshold", p->threshold);
        cpe_jw_knum(w, "train_sharpe", p->train_sharpe);
        cpe_jw_key(w, "test");
        metrics(w, &p->test);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    curves(w, "oos_equity", NULL, r->oos_ts, r->oos_equity, r->n_oos, r->cfg.curve_points);
    cpe_jw_end(w);
}

static void risk(cpe_jw_t *w, const cpe_bt_risk_counts_t *c)
{
    cpe_jw_key(w, "risk");
    cpe_jw_obj(w);
    cpe_jw_kint(w, "prediction_bars", c->pred_bars);
    cpe_jw_kint(w, "signals", c->signals);
    cpe_jw_kint(w, "below_threshold", c->below_threshold);
    cpe_jw_kint(w, "loss_pauses", c->loss_pauses);
    cpe_jw_kint(w, "daily_drawdown_half_size_days", c->dd_half_days);
    cpe_jw_kint(w, "flash_halts", c->flash_halts);
    cpe_jw_kint(w, "stale_bars", c->stale_bars);
    cpe_jw_kint(w, "skipped_kelly", c->kelly_skips);
    cpe_jw_kint(w, "skipped_volatility", c->vol_skips);
    cpe_jw_kint(w, "skipped_cost", c->cost_skips);
    cpe_jw_end(w);
}

int cpe_bt_result_json(const cpe_bt_result_t *r, cpe_buf_t *out)
{
    cpe_jw_t w;
    cpe_jw_init(&w, out);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "kind", r->kind);
    if (r->symbol[0]) cpe_jw_kstr(&w, "symbol", r->symbol);
    cpe_jw_kstr(&w, "source", r->source);
    if (r->pred_source[0]) cpe_jw_kstr(&w, "predictions", r->pred_source);
    cpe_jw_kbool(&w, "simulated", r->simulated);
    cpe_jw_kint(&w, "bars", (int64_t)r->n);
    if (r->n) {
        cpe_jw_kint(&w, "from_ms", r->ts_ms[0]);
        cpe_jw_kint(&w, "to_ms", r->ts_ms[r->n - 1]);
    }
    cpe_jw_key(&w, "config");
    if (strcmp(r->kind, "signals")) {
        cpe_bt_config_write(&r->cfg, &w);
    } else { /* only the execution options apply */
        cpe_jw_obj(&w);
        cpe_jw_knum(&w, "initial_cash", r->cfg.exec.initial_cash);
        cpe_jw_knum(&w, "commission_bps", r->cfg.exec.commission_bps);
        cpe_jw_knum(&w, "slippage_bps", r->cfg.exec.slippage_bps);
        cpe_jw_kint(&w, "curve_points", (int64_t)r->cfg.curve_points);
        cpe_jw_knum(&w, "hindsight_swing", r->cfg.hindsight_swing);
        cpe_jw_end(&w);
    }
    cpe_jw_key(&w, "metrics");
    metrics(&w, &r->m);
    if (!strcmp(r->kind, "strategy")) risk(&w, &r->risk);
    curves(&w, "equity", "drawdown", r->ts_ms, r->equity, r->n, r->cfg.curve_points);
    trades(&w, &r->book);
    hindsight(&w, r);
    if (r->cfg.wfo) walk_forward(&w, r);
    cpe_jw_key(&w, "notes");
    cpe_jw_arr(&w);
    for (int i = 0; i < r->n_notes; i++)
        cpe_jw_str(&w, r->notes[i]);
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    return w.err ? CPE_ETOOBIG : 0;
}
