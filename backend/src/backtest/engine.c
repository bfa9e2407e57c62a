/* engine.c — the strategy backtest: one pass of the loop with the strategy decider, the
 * metrics, the hindsight swings and (optionally) the walk-forward optimisation, into a
 * cpe_bt_result_t. Also the result's lifetime. */
#include "bt_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_bt_result_free(cpe_bt_result_t *r)
{
    if (!r) return;
    free(r->ts_ms);
    free(r->close);
    free(r->equity);
    free(r->position);
    cpe_bt_book_free(&r->book);
    free(r->swings);
    free(r->periods);
    free(r->oos_ts);
    free(r->oos_equity);
    memset(r, 0, sizeof *r);
}

void cpe_bt_result_note(cpe_bt_result_t *r, const char *fmt, ...)
{
    int k = r->n_notes;
    if (k >= (int)(sizeof r->notes / sizeof r->notes[0])) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[k], sizeof r->notes[0], fmt, ap);
    va_end(ap);
    r->n_notes = k + 1;
}

int bt_result_alloc(cpe_bt_result_t *r, const cpe_bt_bars_t *bars, cpe_diag_t *d)
{
    size_t n = bars->n;
    if (n < 2) return cpe_diag_set(d, CPE_EDATA, "%zu bars; a backtest needs at least 2", n);
    r->n = n;
    r->ts_ms = malloc(n * sizeof *r->ts_ms);
    r->close = malloc(n * sizeof *r->close);
    r->equity = malloc(n * sizeof *r->equity);
    r->position = malloc(n * sizeof *r->position);
    if (!r->ts_ms || !r->close || !r->equity || !r->position)
        return cpe_diag_set(d, CPE_ENOMEM, "out of memory for %zu bars", n);
    memcpy(r->ts_ms, bars->ts_ms, n * sizeof *r->ts_ms);
    memcpy(r->close, bars->close, n * sizeof *r->close);
    return 0;
}

int bt_pass(const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars, const cpe_bt_preds_t *preds,
            int n_preds, const cpe_bt_funding_t *fund, size_t n_fund, double *equity,
            double *position, cpe_bt_book_t *book, cpe_bt_metrics_t *m, cpe_bt_risk_counts_t *cnt)
{
    bt_strat_t s;
    strat_init(&s, cfg, bars, preds, n_preds);
    cpe_bt_book_init(book, &cfg->exec);
    double *eq = equity, *pos = position;
    int own = 0, rc = 0;
    if (!eq || !pos) {
        eq = malloc((bars->n ? bars->n : 1) * sizeof *eq);
        pos = malloc((bars->n ? bars->n : 1) * sizeof *pos);
        own = 1;
        if (!eq || !pos) {
            rc = CPE_ENOMEM;
            goto out;
        }
    }
    cpe_bt_curve_t curve = {eq, pos};
    if ((rc = cpe_bt_loop(bars, fund, cfg->perp ? n_fund : 0, &cfg->exec, strat_decide, &s, book,
                          &curve)))
        goto out;
    if (m) cpe_bt_metrics_compute(bars, eq, pos, book, m);
    if (cnt) *cnt = s.cnt;
out:
    if (own) free(eq), free(pos);
    return rc;
}

int cpe_bt_run(const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars, const cpe_bt_preds_t *preds,
               int n_preds, const cpe_bt_funding_t *fund, size_t n_fund, cpe_bt_result_t *r,
               cpe_diag_t *d)
{
    int rc;
    snprintf(r->kind, sizeof r->kind, "strategy");
    r->cfg = *cfg;
    if ((rc = bt_result_alloc(r, bars, d))) return rc;
    if ((rc = bt_pass(cfg, bars, preds, n_preds, fund, n_fund, r->equity, r->position, &r->book,
                      &r->m, &r->risk)))
        return cpe_diag_set(d, rc, "backtest loop failed: %s", cpe_strerror(rc));
    if ((rc = cpe_bt_hindsight(bars, cfg->hindsight_swing, &r->swings, &r->n_swings)))
        return cpe_diag_set(d, rc, "out of memory for the hindsight swings");
    if (cfg->wfo && (rc = bt_walk_forward(cfg, bars, preds, n_preds, fund, n_fund, r, d)))
        return rc;
    return 0;
}
