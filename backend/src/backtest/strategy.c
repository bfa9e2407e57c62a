/* strategy.c — the signal and the position size from as-of predictions (spec 14.1, 14.3).
 *
 * At the close of bar i, for each enabled horizon the prediction made at that close
 * (ts_ms == open time of bar i) is looked up; bars without one keep the current target.
 * A horizon votes long when p_up >= p_up_min, short when 1 - p_up >= p_down_min; a signal
 * needs every enabled horizon to vote the same way, and for each of them:
 *   - not stale, and directional probability >= min_confidence (spec 14.1);
 *   - predicted daily volatility (volatility * sqrt(24 / h)) <= max_daily_vol;
 *   - expected_move in the signal's direction larger than cost_multiple x the round trip
 *     (2 x (commission + slippage));
 *   - a positive position fraction (cpe_bt_position_fraction); the smallest one is used.
 * A signal opposite to the position reverses it; the same direction extends the holding
 * period; a position is closed when its horizon (the longest enabled one) has passed since
 * the last signal that confirmed it. The risk controller (risk.c) may flatten the book,
 * block signals for stale data, or halve the size. */
#include "bt_int.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double cpe_bt_position_fraction(const cpe_bt_strategy_t *s, double p_dir, double vol, int horizon_h)
{
    if (!(vol > 0) || !(s->kelly_odds > 0) || horizon_h <= 0 || !(p_dir >= 0 && p_dir <= 1))
        return 0;
    double kelly = p_dir - (1 - p_dir) / s->kelly_odds;
    if (kelly <= 0) return 0;
    double vol_ann = vol * sqrt(8766.0 / horizon_h);
    double f = kelly / 2 * (s->target_vol / vol_ann);
    return f < s->max_position ? f : s->max_position;
}

static const cpe_bt_hcfg_t *hcfg_of(const cpe_bt_strategy_t *st, int h)
{
    for (int k = 0; k < st->n_h; k++)
        if (st->h[k].horizon_h == h) return &st->h[k];
    return NULL;
}

void strat_init(bt_strat_t *s, const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars,
                const cpe_bt_preds_t *preds, int n_preds)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->bars = bars;
    s->preds = preds;
    s->n_preds = n_preds < CPE_BT_MAX_H ? n_preds : CPE_BT_MAX_H;
    s->hold_until_ms = INT64_MIN;
    for (int k = 0; k < n_preds && k < CPE_BT_MAX_H; k++) {
        const cpe_bt_hcfg_t *hc = hcfg_of(&cfg->strat, preds[k].horizon_h);
        s->hc[k] = hc && hc->enabled ? hc : NULL;
    }
    risk_init(&s->risk);
    cpe_alert_state_init(&s->alert_st);
}

/* entry_alert: the rule sees the close and the predictions made there (every horizon); a
 * firing is the signal of its direction. 1 when it fired (dir set), else 0. */
static int alert_signal(bt_strat_t *s, size_t i, int *dir)
{
    const cpe_alert_rule_t *r = &s->cfg->strat.entry_alert;
    int64_t ts = s->bars->ts_ms[i];
    const cpe_prediction_t *made[CPE_BT_MAX_H];
    int np = 0;
    for (int k = 0; k < s->n_preds; k++) {
        const cpe_bt_preds_t *pp = &s->preds[k];
        size_t c = s->cur[k];
        while (c < pp->n && pp->p[c].ts_ms < ts)
            c++;
        s->cur[k] = c;
        if (c >= pp->n || pp->p[c].ts_ms != ts) continue;
        cpe_prediction_t *p = &s->made[np];
        memset(p, 0, sizeof *p);
        p->ts_ms = ts;
        p->horizon_h = pp->horizon_h;
        p->p_up = pp->p[c].p_up;
        p->expected_move = pp->p[c].expected_move;
        p->volatility = pp->p[c].volatility;
        p->stale = pp->p[c].stale;
        made[np++] = p;
    }
    cpe_alert_fire_t f;
    if (!cpe_alert_eval_bar(r, &s->alert_st, ts + s->bars->bar_ms, s->bars->close[i], made, np, NAN,
                            &f))
        return 0;
    *dir = r->direction == CPE_DIR_DOWN ? -1 : 1;
    return 1;
}

/* The longest enabled horizon (how long a signal holds the position). */
static int longest_h(const cpe_bt_strategy_t *st)
{
    int max_h = 0;
    for (int k = 0; k < st->n_h; k++)
        if (st->h[k].enabled && st->h[k].horizon_h > max_h) max_h = st->h[k].horizon_h;
    return max_h;
}

/* The vote of one prediction: +1/-1 with its fraction, or 0. */
static int vote(bt_strat_t *s, const cpe_bt_hcfg_t *hc, const cpe_bt_pred_t *p, double *frac)
{
    const cpe_bt_strategy_t *st = &s->cfg->strat;
    const cpe_bt_exec_t *x = &s->cfg->exec;
    int dir = p->p_up >= hc->p_up_min ? 1 : (1 - p->p_up >= hc->p_down_min ? -1 : 0);
    double p_dir = dir > 0 ? p->p_up : 1 - p->p_up;
    if (!dir || (dir < 0 && !st->allow_short) || p_dir < st->min_confidence) {
        s->cnt.below_threshold++;
        return 0;
    }
    if (p->volatility * sqrt(24.0 / hc->horizon_h) > st->max_daily_vol) {
        s->cnt.vol_skips++;
        return 0;
    }
    double cost = 2 * (x->commission_bps + x->slippage_bps) / 1e4;
    if (!(dir * p->expected_move > st->cost_multiple * cost)) {
        s->cnt.cost_skips++;
        return 0;
    }
    *frac = cpe_bt_position_fraction(st, p_dir, p->volatility, hc->horizon_h);
    if (!(*frac > 0)) {
        s->cnt.kelly_skips++;
        return 0;
    }
    return dir;
}

void strat_decide(void *ctx, size_t i, const cpe_bt_book_t *b, double equity, cpe_bt_target_t *t)
{
    bt_strat_t *s = ctx;
    const cpe_bt_strategy_t *st = &s->cfg->strat;
    int64_t ts = s->bars->ts_ms[i], now = ts + s->bars->bar_ms;
    bt_risk_view_t rv;
    risk_update(&s->risk, st, s->bars, i, b, equity, &s->cnt, &rv);
    if (rv.flatten) {
        if (t->dir || cpe_bt_book_dir(b)) {
            t->dir = 0;
            snprintf(t->reason, sizeof t->reason, "%s", rv.why);
        }
        return;
    }
    if (t->dir && now >= s->hold_until_ms) {
        t->dir = 0;
        snprintf(t->reason, sizeof t->reason, "horizon");
    }
    if (st->has_entry_alert) {
        int dir = 0;
        if (!alert_signal(s, i, &dir) || rv.stale || (dir < 0 && !st->allow_short)) return;
        s->cnt.signals++;
        s->hold_until_ms = now + longest_h(st) * CPE_MS_PER_HOUR;
        if (dir == t->dir) return;
        t->dir = dir;
        t->fraction = st->max_position * rv.size_mult;
        t->limit = s->cfg->exec.limit_entries;
        snprintf(t->reason, sizeof t->reason, "%s", dir > 0 ? "alert_long" : "alert_short");
        return;
    }
    int dir = 0, n_enabled = 0, n_have = 0, stale = rv.stale, max_h = 0;
    double frac = INFINITY;
    for (int k = 0; k < s->n_preds; k++) {
        const cpe_bt_preds_t *pp = &s->preds[k];
        const cpe_bt_hcfg_t *hc = s->hc[k];
        if (!hc) continue;
        n_enabled++;
        size_t c = s->cur[k];
        while (c < pp->n && pp->p[c].ts_ms < ts)
            c++;
        s->cur[k] = c;
        if (c >= pp->n || pp->p[c].ts_ms != ts) continue;
        n_have++;
        const cpe_bt_pred_t *p = &pp->p[c];
        if (p->stale) stale = 1;
        double f = 0;
        int v = stale ? 0 : vote(s, hc, p, &f);
        if (n_have == 1)
            dir = v;
        else if (v != dir)
            dir = 0;
        if (f < frac) frac = f;
        if (hc->horizon_h > max_h) max_h = hc->horizon_h;
    }
    if (!n_have) return;
    if (stale) {
        s->cnt.stale_bars += !rv.stale;
        return;
    }
    if (n_have < n_enabled) return;
    s->cnt.pred_bars++;
    if (!dir) return;
    s->cnt.signals++;
    s->hold_until_ms = now + max_h * CPE_MS_PER_HOUR;
    if (dir == t->dir) return; /* confirmed: held longer, no rebalancing */
    t->dir = dir;
    t->fraction = frac * rv.size_mult;
    t->limit = s->cfg->exec.limit_entries;
    snprintf(t->reason, sizeof t->reason, "%s",
             cpe_bt_book_dir(b) ? "signal_reverse"
             : dir > 0          ? "signal_long"
                                : "signal_short");
}
