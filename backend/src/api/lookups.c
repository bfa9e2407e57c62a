/* lookups.c — the store lookups the handlers share (server.h): which series serves an
 * asset (cached 1 s), the latest prediction (cached 1 s) and whether data is stale. */
#include "api/server.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>

static int kline_series_uncached(cpe_api_t *api, cpe_store_t *store, const char *symbol,
                                 char instrument[CPE_INSTR_KEY_MAX], int *simulated,
                                 int64_t *last_ts);

cpe_api_reader_t *cpe_req_reader(const cpe_req_t *req)
{
    return req->rd ? req->rd : &req->api->rd;
}

int cpe_api_kline_series(cpe_api_t *api, const char *symbol, char instrument[CPE_INSTR_KEY_MAX],
                         int *simulated, int64_t *last_ts)
{
    return cpe_api_reader_series(api, &api->rd, symbol, instrument, simulated, last_ts);
}

int cpe_api_reader_series(cpe_api_t *api, cpe_api_reader_t *rd, const char *symbol,
                          char instrument[CPE_INSTR_KEY_MAX], int *simulated, int64_t *last_ts)
{
    int64_t now = cpe_now_ms();
    kline_cache_t *slot = NULL, *oldest = &rd->klines[0];
    for (int i = 0; i < KLINE_CACHE; i++) {
        kline_cache_t *k = &rd->klines[i];
        if (k->symbol[0] && !strcmp(k->symbol, symbol)) slot = k;
        if (k->fetched_ms < oldest->fetched_ms) oldest = k;
    }
    if (!slot || now - slot->fetched_ms > 1000) {
        if (!slot) slot = oldest;
        snprintf(slot->symbol, sizeof slot->symbol, "%s", symbol);
        slot->rc = kline_series_uncached(api, rd->store, symbol, slot->instrument, &slot->simulated,
                                         &slot->last_ts);
        slot->fetched_ms = now;
        if (slot->rc && slot->rc != CPE_ENOTFOUND) { /* a store error is not remembered */
            int rc = slot->rc;
            slot->symbol[0] = 0;
            return rc;
        }
    }
    if (slot->rc) return slot->rc;
    snprintf(instrument, CPE_INSTR_KEY_MAX, "%s", slot->instrument);
    *simulated = slot->simulated;
    *last_ts = slot->last_ts;
    return 0;
}

static int kline_series_uncached(cpe_api_t *api, cpe_store_t *store, const char *symbol,
                                 char instrument[CPE_INSTR_KEY_MAX], int *simulated,
                                 int64_t *last_ts)
{
    /* the universe's rule over all time: the source being served first, spot before perp */
    cpe_resolved_t r;
    int rc = cpe_store_resolve(store, symbol, CPE_MARKET_ANY, CPE_MS_PER_MIN,
                               api->simulated ? CPE_PREFER_SIM : CPE_PREFER_REAL, INT64_MIN,
                               INT64_MAX, &r, NULL);
    if (rc) return rc;
    snprintf(instrument, CPE_INSTR_KEY_MAX, "%s", r.instrument);
    *simulated = r.span.simulated;
    *last_ts = r.span.last_ts;
    return 0;
}

int cpe_api_prediction(cpe_api_t *api, const char *symbol, int horizon_h, int64_t at_ms,
                       cpe_prediction_t *out, char **explain)
{
    if (at_ms != INT64_MAX || explain)
        return api->store->ops->get_prediction(api->store, symbol, horizon_h, at_ms, out, explain);
    int ai = cpe_asset_index(symbol), hi = cpe_horizon_index(horizon_h);
    if (ai < 0 || hi < 0 || !api->preds)
        return api->store->ops->get_prediction(api->store, symbol, horizon_h, at_ms, out, NULL);
    pred_cache_t *pc = &api->preds[ai][hi];
    int64_t now = cpe_now_ms();
    if (now - pc->fetched_ms > 1000) {
        int rc =
            api->store->ops->get_prediction(api->store, symbol, horizon_h, INT64_MAX, &pc->p, NULL);
        if (rc && rc != CPE_ENOTFOUND) return rc;
        pc->have = rc == 0;
        pc->fetched_ms = now;
    }
    if (!pc->have) return CPE_ENOTFOUND;
    *out = pc->p;
    return 0;
}

int cpe_api_is_stale(cpe_api_t *api, int64_t last_bar_ts, int64_t now_ms)
{
    if (!strcmp(api->source, "store")) return 0; /* served as it is: age is reported, not judged */
    /* A 1m bar is complete at open + 60 s; price freshness limit 5 s (spec 16.3) applies to
     * ticks, and a closed bar may lag by one bar: stale beyond 60 s + 5 s past its close. */
    return now_ms - (last_bar_ts + 2 * CPE_MS_PER_MIN) > 5000;
}
