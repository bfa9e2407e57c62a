/* live_exchange.c — the exchange feed as the live pipeline's source (live_int.h).
 *
 * cpe/feed.h runs the streams (Binance first, Bybit and OKX as fallbacks per data kind)
 * on its own threads; here the pipeline thread drains its events in batches:
 *   1. every batch is written to the store under its true source in one transaction
 *      (cpe_feed_store_events: closed klines, settled funding, OI, liquidations, trades);
 *   2. the price of a symbol is its spot 1m kline (perp until spot klines flow): an
 *      in-progress kline becomes an in-progress candle of every interval, a closed one is
 *      aggregated and pushed (once per open time, in order: a backfilled older bar is
 *      stored but not pushed again); the perp close gives the basis, OI and settled
 *      funding are carried, liquidations are summed per minute (long / short notional);
 *   3. after a batch that closed a bar, the champion predicts (live_predict_all).
 * When no event is waiting the thread waits on the feed's queue (at most 50 ms, so a stop
 * request is seen). Candles carry source_ms, the wall time the exchange frame arrived,
 * so a client can measure tick-to-screen latency. */
#include "live_int.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1024
#define IDLE_MS 50 /* the longest a stop request waits */

int live_exchange_open(cpe_live_t *l, int64_t probe_ms, cpe_diag_t *d)
{
    cpe_feed_config_t fc;
    cpe_feed_config_default(&fc);
    fc.nsymbols = 0;
    for (int i = 0; i < l->nsym && i < CPE_FEED_MAX_SYMBOLS; i++)
        fc.symbols[fc.nsymbols++] = l->sym[i].symbol;
    fc.seed = l->cfg.seed;
    int rc = cpe_feed_start(&fc, &l->feed, d);
    if (rc) return rc;
    cpe_diag_t gd = {0}; /* the store's holes in the live window, asked for again (cpe/feed.h) */
    if (cpe_feed_fill_store_gaps(l->feed, l->store, cpe_now_ms(), 1, &gd))
        cpe_warn("live: %s", gd.msg);
    for (int i = 0; i < l->nsym; i++) {
        live_sym_t *s = &l->sym[i];
        s->oi = s->funding = s->perp_close = NAN;
        s->last_closed_ts = INT64_MIN;
        s->liq_minute = INT64_MIN;
    }
    if (probe_ms <= 0) return 0;
    if (cpe_feed_wait_data(l->feed, probe_ms) != 0) {
        cpe_feed_stop(l->feed);
        l->feed = NULL;
        return cpe_diag_set(d, CPE_ETIMEOUT, "no exchange data within %lld ms",
                            (long long)probe_ms);
    }
    return 0;
}

static int sym_index(cpe_live_t *l, const char *symbol)
{
    for (int i = 0; i < l->nsym; i++)
        if (!strcmp(l->sym[i].symbol, symbol)) return i;
    return -1;
}

/* The bar of a price kline with the market structure known now. */
static void price_bar(live_sym_t *s, const cpe_kline_t *k, cpe_bar_t *b)
{
    cpe_bar_from_kline(b, k);
    b->cvd_delta = isnan(k->taker_buy_base) ? NAN : 2 * k->taker_buy_base - k->volume;
    int same = s->liq_minute == k->ts_ms;
    b->liq_long = same ? s->liq_long : 0;
    b->liq_short = same ? s->liq_short : 0;
    b->oi = s->oi;
    b->funding = s->funding;
    b->basis =
        s->spot_seen && k->close > 0 && s->perp_close > 0 ? s->perp_close / k->close - 1 : NAN;
}

/* Handle one event; returns 1 when it closed a bar. */
static int on_event(cpe_live_t *l, const cpe_feed_event_t *fe)
{
    const cpe_market_event_t *e = &fe->ev;
    int i = sym_index(l, e->symbol);
    if (i < 0) return 0;
    live_sym_t *s = &l->sym[i];
    switch (e->kind) {
    case CPE_DK_KLINE: {
        if (e->market == CPE_SPOT) s->spot_seen = 1;
        /* the price is spot once spot klines flow, perp until then (or when only perp is up) */
        int is_price = e->market == CPE_SPOT || !s->spot_seen;
        if (e->market == CPE_PERP) s->perp_close = e->kline.close;
        if (!is_price) return 0;
        cpe_bar_t b;
        price_bar(s, &e->kline, &b);
        l->source_ms = fe->recv_ms;
        if (!e->closed) {
            if (e->kline.ts_ms > s->last_closed_ts) live_tick_bar(l, i, &b);
            return 0;
        }
        if (e->kline.ts_ms <= s->last_closed_ts) return 0; /* a backfilled older bar: stored */
        s->last_closed_ts = e->kline.ts_ms;
        live_close_bar(l, i, &b, 1);
        return 1;
    }
    case CPE_DK_OI:
        if (!isnan(e->point.v[1])) s->oi = e->point.v[1];
        return 0;
    case CPE_DK_FUNDING:
        if (e->point.v[1] == 1) s->funding = e->point.v[0];
        return 0;
    case CPE_DK_LIQ: {
        int64_t m = cpe_floor_ms(e->liq.ts_ms, CPE_MS_PER_MIN);
        if (m != s->liq_minute) {
            s->liq_minute = m;
            s->liq_long = s->liq_short = 0;
        }
        double notional = e->liq.price * e->liq.qty;
        if (e->liq.side > 0)
            s->liq_long += notional;
        else
            s->liq_short += notional;
        return 0;
    }
    default:
        return 0;
    }
}

void *live_exchange_run(void *arg)
{
    cpe_live_t *l = arg;
    cpe_feed_event_t *ev = malloc(BATCH * sizeof *ev);
    if (!ev) return NULL;
    while (!live_stopping(l)) {
        cpe_diag_t gd = {0}; /* a periodic sweep for holes the feed could not fill */
        if (cpe_feed_fill_store_gaps(l->feed, l->store, cpe_now_ms(), 0, &gd))
            cpe_warn("live: %s", gd.msg);
        size_t n = cpe_feed_poll(l->feed, ev, BATCH);
        if (n == 0) { /* woken as soon as the feed queues an event */
            cpe_feed_wait_events(l->feed, IDLE_MS);
            continue;
        }
        cpe_diag_t d = {0};
        if (cpe_feed_store_events(l->store, ev, n, &d))
            cpe_error("live: cannot store exchange events: %s", d.msg);
        int closed = 0;
        for (size_t k = 0; k < n; k++)
            closed |= on_event(l, &ev[k]);
        if (closed) live_predict_all(l, 1);
    }
    free(ev);
    return NULL;
}
