/* walkopt.c — walk-forward optimisation (spec 12.4). Periods k = 0, 1, ...:
 *   train [t0 + k*step, t0 + k*step + train)   test [train end, train end + test)
 * On each training window every threshold of the grid (p_up_min = p_down_min of the
 * enabled horizons) is run and the best annualised Sharpe wins (NaN loses; ties keep the
 * first); the winner is then run on the test window only. The stitched out-of-sample
 * equity chains the test windows: each starts with the equity the previous one ended
 * with and contributes its bars up to the next test window's start. Predictions are the
 * same as-of walk-forward records as in the main run; only strategy parameters are fitted. */
#include "bt_int.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t lower(const cpe_bt_bars_t *b, int64_t t)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->ts_ms[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static cpe_bt_bars_t slice(const cpe_bt_bars_t *b, size_t from, size_t to)
{
    cpe_bt_bars_t s = {b->ts_ms + from, b->open + from, b->high + from, b->low + from,
                       b->close + from, to - from,      b->bar_ms};
    return s;
}

static void with_threshold(cpe_bt_config_t *c, double th)
{
    for (int k = 0; k < c->strat.n_h; k++)
        c->strat.h[k].p_up_min = c->strat.h[k].p_down_min = th;
}

int bt_walk_forward(const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars,
                    const cpe_bt_preds_t *preds, int n_preds, const cpe_bt_funding_t *fund,
                    size_t n_fund, cpe_bt_result_t *r, cpe_diag_t *d)
{
    int64_t train = cfg->wfo_train_days * CPE_MS_PER_DAY,
            test = cfg->wfo_test_days * CPE_MS_PER_DAY;
    int64_t step = cfg->wfo_step_days * CPE_MS_PER_DAY, t0 = bars->ts_ms[0];
    int64_t end = bars->ts_ms[bars->n - 1] + bars->bar_ms;
    size_t np = 0;
    while (t0 + (int64_t)np * step + train + test <= end)
        np++;
    if (!np) {
        cpe_bt_result_note(r, "walk-forward optimisation: the range is shorter than %d + %d days",
                           cfg->wfo_train_days, cfg->wfo_test_days);
        return 0;
    }
    r->periods = calloc(np, sizeof *r->periods);
    r->oos_ts = malloc(bars->n * sizeof *r->oos_ts);
    r->oos_equity = malloc(bars->n * sizeof *r->oos_equity);
    double *eq = malloc(bars->n * sizeof *eq), *pos = malloc(bars->n * sizeof *pos);
    int rc = 0;
    if (!r->periods || !r->oos_ts || !r->oos_equity || !eq || !pos) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory for the walk-forward optimisation");
        goto out;
    }
    double cash = cfg->exec.initial_cash;
    for (size_t k = 0; k < np; k++) {
        cpe_bt_period_t *p = &r->periods[k];
        p->train_from_ms = t0 + (int64_t)k * step;
        p->test_from_ms = p->train_from_ms + train;
        p->test_to_ms = p->test_from_ms + test;
        cpe_bt_bars_t tr = slice(bars, lower(bars, p->train_from_ms), lower(bars, p->test_from_ms));
        cpe_bt_bars_t te = slice(bars, lower(bars, p->test_from_ms), lower(bars, p->test_to_ms));
        double best = -INFINITY, best_th = cfg->wfo_grid[0];
        for (int g = 0; g < cfg->wfo_n_grid; g++) {
            cpe_bt_config_t c = *cfg;
            with_threshold(&c, cfg->wfo_grid[g]);
            cpe_bt_book_t book;
            cpe_bt_metrics_t m;
            if (tr.n < 2) break;
            rc = bt_pass(&c, &tr, preds, n_preds, fund, n_fund, eq, pos, &book, &m, NULL);
            cpe_bt_book_free(&book);
            if (rc) goto fail;
            double s = isnan(m.sharpe) ? -INFINITY : m.sharpe;
            if (g == 0 || s > best) best = s, best_th = cfg->wfo_grid[g];
        }
        p->threshold = best_th;
        p->train_sharpe = isfinite(best) ? best : NAN;
        cpe_bt_config_t c = *cfg;
        with_threshold(&c, best_th);
        c.exec.initial_cash = cash;
        cpe_bt_book_t book;
        if (te.n < 2) {
            memset(&p->test, 0, sizeof p->test);
            continue;
        }
        rc = bt_pass(&c, &te, preds, n_preds, fund, n_fund, eq, pos, &book, &p->test, NULL);
        cpe_bt_book_free(&book);
        if (rc) goto fail;
        int64_t next = k + 1 < np ? p->test_from_ms + step : INT64_MAX;
        size_t j = 0;
        for (; j < te.n && te.ts_ms[j] < next; j++) {
            r->oos_ts[r->n_oos] = te.ts_ms[j];
            r->oos_equity[r->n_oos++] = eq[j];
        }
        cash = eq[j - 1];
        r->n_periods = k + 1;
    }
    goto out;
fail:
    cpe_diag_set(d, rc, "walk-forward optimisation failed: %s", cpe_strerror(rc));
out:
    free(eq);
    free(pos);
    return rc;
}
