/* data.c — what a strategy backtest reads from the store: 1m bars (barload.h), funding of
 * the symbol's perp at its real settlement times, and as-of predictions per enabled
 * horizon. Stored predictions (`cpe predict --backfill`: walk-forward records) are used
 * when the store has any for the horizon in the range; otherwise walk-forward models are
 * trained here (cpe_wf_run) on the history before each 7-day window, so no prediction ever
 * comes from a model that saw its own bar. Records are read a day at a time and reduced
 * to what the strategy needs (cpe_bt_pred_t). */
#include "cpe/backtest.h"
#include "cpe/barload.h"
#include "cpe/market.h"
#include "cpe/mldata.h"
#include "cpe/timeutil.h"
#include "cpe/walkforward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WF_HISTORY_MS (90 * CPE_MS_PER_DAY)
/* Predictions are read a day at a time: the store grows its output array one record at a
 * time, so a long range in one call copies the records it has already read over and over. */
#define CHUNK_MS CPE_MS_PER_DAY

void cpe_bt_data_free(cpe_bt_data_t *dt)
{
    if (!dt) return;
    free(dt->ts_ms);
    free(dt->open);
    free(dt->high);
    free(dt->low);
    free(dt->close);
    for (int k = 0; k < CPE_BT_MAX_H; k++)
        free(dt->pred_arr[k]);
    free(dt->funding);
    memset(dt, 0, sizeof *dt);
}

static void slim(const cpe_prediction_t *p, cpe_bt_pred_t *o)
{
    o->ts_ms = p->ts_ms;
    o->p_up = p->p_up;
    o->expected_move = p->expected_move;
    o->volatility = p->volatility;
    o->stale = p->stale;
}

/* 1 when p comes from a walk-forward model ("<SYMBOL>-wf-YYYYMMDD", the day its label
 * cutoff falls on: it knows outcomes up to there) trained before p was made. Stored
 * records of other models (e.g. the live champion's, which the live pipeline also writes
 * over recent history it may have been trained on) are not trusted to be as of their bar. */
static int as_of(const cpe_prediction_t *p)
{
    const char *w = strstr(p->model_version, "-wf-");
    unsigned y, m, dd;
    /* NOLINTNEXTLINE(cert-err34-c): at most 4+2+2 digits cannot overflow; a count < 3 rejects */
    if (!w || sscanf(w + 4, "%4u%2u%2u", &y, &m, &dd) != 3 || m < 1 || m > 12 || dd < 1 || dd > 31)
        return 0;
    return p->ts_ms >= cpe_days_from_civil((int)y, m, dd) * CPE_MS_PER_DAY;
}

static int push_pred(cpe_bt_data_t *dt, int k, size_t *cap, const cpe_prediction_t *p)
{
    if (!as_of(p)) {
        dt->n_rejected++;
        return 0;
    }
    cpe_bt_preds_t *pp = &dt->preds[k];
    if (pp->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 4096;
        cpe_bt_pred_t *nv = realloc(dt->pred_arr[k], nc * sizeof *nv);
        if (!nv) return CPE_ENOMEM;
        dt->pred_arr[k] = nv;
        *cap = nc;
    }
    slim(p, &dt->pred_arr[k][pp->n++]);
    pp->p = dt->pred_arr[k];
    return 0;
}

static int load_stored(cpe_store_t *st, const char *sym, int64_t from, int64_t to,
                       cpe_bt_data_t *dt, int k, cpe_diag_t *d)
{
    size_t cap = 0;
    for (int64_t a = from; a < to; a += CHUNK_MS) {
        int64_t b = a + CHUNK_MS < to ? a + CHUNK_MS : to;
        cpe_prediction_t *recs = NULL;
        size_t n = 0;
        int rc = st->ops->get_predictions(st, sym, dt->preds[k].horizon_h, a, b, &recs, &n);
        if (rc && rc != CPE_ENOTFOUND) {
            free(recs);
            return cpe_diag_set(d, rc, "reading predictions: %s", st->diag.msg);
        }
        for (size_t i = 0; i < n && !rc; i++)
            rc = push_pred(dt, k, &cap, &recs[i]);
        free(recs);
        if (rc) return cpe_diag_set(d, rc, "out of memory for predictions");
    }
    return 0;
}

/* Walk-forward records for the horizons that have none stored. */
static int run_walk_forward(cpe_store_t *st, const char *sym, int64_t from, int64_t to,
                            cpe_bt_data_t *dt, const int *need, cpe_diag_t *d)
{
    cpe_wf_config_t c;
    cpe_wf_config_default(&c);
    snprintf(c.symbol, sizeof c.symbol, "%s", sym);
    c.eval_paths = 200; /* the strategy reads p_up, expected_move and volatility only */
    int64_t test_ms = c.test_days * CPE_MS_PER_DAY;
    c.folds = (int)((to - from + test_ms - 1) / test_ms);
    if (c.folds > CPE_WF_MAX_FOLDS)
        return cpe_diag_set(d, CPE_EINVAL, "range too long for walk-forward predictions (%d folds)",
                            CPE_WF_MAX_FOLDS);
    cpe_mldata_t m = {0};
    cpe_wf_result_t res = {0};
    int rc;
    int64_t end = from + (int64_t)c.folds * test_ms;
    if ((rc = cpe_mldata_load(st, sym, from - WF_HISTORY_MS, end, 5 * CPE_MS_PER_MIN,
                              CPE_MLDATA_WARMUP_MS, &m, d)) ||
        (rc = cpe_wf_run(&m.v, &c, &res, NULL, NULL, d))) {
        cpe_diag_prefix(d,
                        "no stored predictions for %s in the range (run `cpe predict --backfill`), "
                        "and walk-forward models could not be trained: ",
                        sym);
        goto out;
    }
    size_t cap[CPE_BT_MAX_H] = {0};
    for (size_t i = 0; i < res.n_records && !rc; i++) {
        const cpe_prediction_t *p = &res.records[i];
        if (p->ts_ms < from || p->ts_ms >= to) continue;
        for (int k = 0; k < dt->n_preds; k++)
            if (need[k] && dt->preds[k].horizon_h == p->horizon_h)
                rc = push_pred(dt, k, &cap[k], p);
    }
    if (rc) cpe_diag_set(d, rc, "out of memory for predictions");
    /* records are ordered by fold, row, horizon: ts ascending per horizon already */
out:
    cpe_wf_result_free(&res);
    cpe_mldata_free(&m);
    return rc;
}

/* The price series is chosen by barload.h's rule (asked over the first hour of the range);
 * its 1m klines are then read straight from the store: the strategy needs OHLC only, so
 * the market structure barload attaches is not built for a year of bars. */
static int load_bars(cpe_store_t *st, const char *what, int64_t from, int64_t to, cpe_bt_data_t *dt,
                     cpe_diag_t *d)
{
    cpe_bar_t *probe = NULL;
    size_t n = 0;
    cpe_barload_info_t info;
    memset(&info, 0, sizeof info);
    int64_t probe_to = to - from > CPE_MS_PER_HOUR ? from + CPE_MS_PER_HOUR : to;
    int rc = cpe_load_bars(st, what, CPE_MS_PER_MIN, from, probe_to, &probe, &n, &info, d);
    free(probe);
    if (rc) return rc;
    snprintf(dt->instrument, sizeof dt->instrument, "%s", info.instrument);
    dt->simulated = info.simulated;
    cpe_kline_t *k = NULL;
    n = 0;
    if ((rc = cpe_store_read_klines(st, info.instrument, "kline:1m", from, to, &k, &n)) &&
        rc != CPE_ENOTFOUND)
        return cpe_diag_set(d, rc, "reading %s 1m klines: %s", info.instrument, st->diag.msg);
    dt->ts_ms = malloc((n ? n : 1) * sizeof *dt->ts_ms);
    double **cols[4] = {&dt->open, &dt->high, &dt->low, &dt->close};
    for (int j = 0; j < 4; j++)
        *cols[j] = malloc((n ? n : 1) * sizeof(double));
    if (!dt->ts_ms || !dt->open || !dt->high || !dt->low || !dt->close) {
        free(k);
        return cpe_diag_set(d, CPE_ENOMEM, "out of memory for %zu bars", n);
    }
    for (size_t i = 0; i < n; i++) {
        dt->ts_ms[i] = k[i].ts_ms;
        dt->open[i] = k[i].open;
        dt->high[i] = k[i].high;
        dt->low[i] = k[i].low;
        dt->close[i] = k[i].close;
    }
    free(k);
    dt->n = n;
    dt->bars =
        (cpe_bt_bars_t){dt->ts_ms, dt->open, dt->high, dt->low, dt->close, n, CPE_MS_PER_MIN};
    return 0;
}

static int load_funding(cpe_store_t *st, const char *sym, int64_t from, int64_t to,
                        cpe_bt_data_t *dt)
{
    cpe_instrument_t in;
    char key[CPE_INSTR_KEY_MAX];
    if (cpe_instrument_parse(dt->instrument, &in)) return 0;
    in.kind = CPE_PERP;
    snprintf(in.symbol, sizeof in.symbol, "%s", sym);
    cpe_instrument_key(&in, key);
    cpe_point_t *pts = NULL;
    size_t n = 0;
    int rc = cpe_store_read_points(st, key, "funding", from, to + CPE_MS_PER_MIN, &pts, &n);
    if (rc == CPE_ENOTFOUND) rc = 0, n = 0;
    if (!rc && n) {
        dt->funding = malloc(n * sizeof *dt->funding);
        if (!dt->funding) rc = CPE_ENOMEM;
        for (size_t i = 0; !rc && i < n; i++)
            dt->funding[i] = (cpe_bt_funding_t){pts[i].ts_ms, pts[i].v[0]};
        if (!rc) dt->n_funding = n;
    }
    free(pts);
    return rc;
}

/* "BTC", "BTCUSDT" or an instrument key "sim:spot:BTCUSDT" -> "BTCUSDT" */
static void bt_symbol_of(const char *what, char sym[32])
{
    cpe_instrument_t in;
    if (strchr(what, ':') && !cpe_instrument_parse(what, &in)) what = in.symbol;
    cpe_asset_to_symbol(what, sym);
}

int cpe_bt_data_load(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                     const cpe_bt_config_t *cfg, cpe_bt_data_t *dt, cpe_diag_t *d)
{
    char sym[32];
    int rc, need[CPE_BT_MAX_H] = {0}, any_need = 0;
    memset(dt, 0, sizeof *dt);
    bt_symbol_of(symbol, sym);
    if ((rc = load_bars(st, strchr(symbol, ':') ? symbol : sym, from_ms, to_ms, dt, d))) goto fail;
    if (dt->n < 2) {
        char a[32], b[32];
        cpe_format_iso8601(from_ms, a);
        cpe_format_iso8601(to_ms, b);
        rc = cpe_diag_set(d, CPE_EDATA, "%s: %zu 1m bars in [%s, %s); a backtest needs at least 2",
                          dt->instrument[0] ? dt->instrument : sym, dt->n, a, b);
        goto fail;
    }
    if ((rc = load_funding(st, sym, from_ms, to_ms, dt))) {
        cpe_diag_set(d, rc, "reading funding of %s: %s", sym, cpe_strerror(rc));
        goto fail;
    }
    for (int k = 0; k < cfg->strat.n_h; k++) {
        if (!cfg->strat.h[k].enabled) continue;
        int j = dt->n_preds++;
        dt->preds[j].horizon_h = cfg->strat.h[k].horizon_h;
        if ((rc = load_stored(st, sym, from_ms, to_ms, dt, j, d))) goto fail;
        need[j] = dt->preds[j].n == 0;
        any_need |= need[j];
    }
    snprintf(dt->pred_source, sizeof dt->pred_source, "%s",
             any_need ? "walk-forward models trained for this run"
                      : "stored walk-forward predictions");
    if (any_need && (rc = run_walk_forward(st, sym, from_ms, to_ms, dt, need, d))) goto fail;
    return 0;
fail:
    cpe_bt_data_free(dt);
    return rc;
}

int cpe_bt_run_store(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                     const cpe_bt_config_t *cfg, cpe_bt_result_t *r, cpe_diag_t *d)
{
    cpe_bt_data_t dt;
    int rc = cpe_bt_data_load(st, symbol, from_ms, to_ms, cfg, &dt, d);
    if (rc) return rc;
    bt_symbol_of(symbol, r->symbol);
    rc = cpe_bt_run(cfg, &dt.bars, dt.preds, dt.n_preds, dt.funding, dt.n_funding, r, d);
    snprintf(r->source, sizeof r->source, "%s 1m bars", dt.instrument);
    snprintf(r->pred_source, sizeof r->pred_source, "%s", dt.pred_source);
    r->simulated = dt.simulated;
    if (!rc && cfg->perp && !dt.n_funding)
        cpe_bt_result_note(r, "no funding series found for the perp of %s: no funding was charged",
                           r->symbol);
    if (dt.n_rejected)
        cpe_bt_result_note(r,
                           "ignored %zu stored predictions not made by a walk-forward model "
                           "trained before them",
                           dt.n_rejected);
    for (int k = 0; k < dt.n_preds; k++)
        if (!dt.preds[k].n)
            cpe_bt_result_note(r, "no %dh predictions in the range: no signals",
                               dt.preds[k].horizon_h);
    cpe_bt_data_free(&dt);
    return rc;
}
