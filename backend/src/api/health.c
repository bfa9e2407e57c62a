/* health.c — GET /health: the data's freshness by the spec 16.3 limits, the models, the
 * exchange feed, the live predictions and the retraining (server.h). */
#include "api/server.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct kind_rule {
    const char *kind, *name;
    int64_t max_age_ms; /* beyond the observation's own cadence; -1 = no freshness rule */
    int64_t cadence_ms;
} kind_rule_t;

/* Spec 16.3 limits, added to each series' publication cadence (a 1m bar is complete a
 * minute after it opens; funding settles every 8 h; OI is published every 5 min). */
static const kind_rule_t rules[] = {
    {"kline:1m", "price", 5000, 2 * CPE_MS_PER_MIN}, /* + the minute in progress */
    {"funding", "funding", 60000, 8 * CPE_MS_PER_HOUR},
    {"oi", "oi", 60000, 5 * CPE_MS_PER_MIN},
    {"liq", "liquidations", -1, 0},
};

/* The stored series the freshness rules cover ("data"); price staleness degrades. */
static void write_data(cpe_jw_t *w, const cpe_series_info_t *s, size_t n, int64_t now_ms,
                       int *degraded, int *nprice)
{
    cpe_jw_key(w, "data");
    cpe_jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        const kind_rule_t *r = NULL;
        for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++)
            if (!strcmp(rules[k].kind, s[i].kind)) r = &rules[k];
        if (!r || s[i].count <= 0) continue;
        int64_t age = now_ms - (s[i].last_ts + r->cadence_ms);
        int stale = r->max_age_ms >= 0 && age > r->max_age_ms;
        if (!strcmp(r->name, "price")) (*nprice)++;
        if (stale && !strcmp(r->name, "price")) *degraded = 1;
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "kind", r->name);
        cpe_jw_kstr(w, "instrument", s[i].instrument);
        cpe_jw_kbool(w, "simulated", s[i].simulated);
        cpe_jw_kint(w, "last_ts", s[i].last_ts);
        cpe_jw_kint(w, "age_ms", age < 0 ? 0 : age);
        if (r->max_age_ms >= 0)
            cpe_jw_kint(w, "max_age_ms", r->max_age_ms + r->cadence_ms);
        else {
            cpe_jw_key(w, "max_age_ms");
            cpe_jw_null(w);
        }
        cpe_jw_kbool(w, "stale", stale);
        cpe_jw_kint(w, "count", s[i].count);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
}

/* --source live: the exchange feed per data kind (spec 9.3, 16.3); 1 when the klines are
 * stale (sporadic kinds such as liquidations may be quiet). */
static int write_feed(cpe_jw_t *w, const cpe_feed_status_t *fs, int64_t now_ms)
{
    int degraded = 0;
    cpe_jw_key(w, "feed");
    cpe_jw_obj(w);
    cpe_jw_kint(w, "connected", fs->connected);
    cpe_jw_kint(w, "reconnects", (int64_t)fs->reconnects);
    cpe_jw_kint(w, "backfilled_bars", (int64_t)fs->backfilled_bars);
    cpe_jw_kint(w, "malformed", (int64_t)fs->malformed);
    cpe_jw_key(w, "kinds");
    cpe_jw_arr(w);
    for (int k = 0; k < CPE_DK_COUNT; k++) {
        const cpe_feed_kind_status_t *ks = &fs->kinds[k];
        if (!ks->kind) continue;
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "kind", ks->kind);
        cpe_jw_kstr(w, "active", ks->active ? ks->active : "");
        cpe_jw_key(w, "age_ms");
        if (ks->last_event_ms > 0)
            cpe_jw_int(w, now_ms - ks->last_event_ms);
        else
            cpe_jw_null(w);
        cpe_jw_kint(w, "max_age_ms", ks->max_age_ms);
        cpe_jw_kbool(w, "stale", ks->stale);
        cpe_jw_kint(w, "switches", ks->switches);
        cpe_jw_end(w);
        if (ks->stale && k == CPE_DK_KLINE) degraded = 1; /* sporadic kinds (liq) may be quiet */
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
    return degraded;
}

/* The model drift score of symbol i (drift.h): null until the ring has enough minutes or
 * when the champion has no training deciles. */
static void write_drift(cpe_jw_t *w, const cpe_live_status_t *ls, int i)
{
    cpe_jw_key(w, "drift");
    cpe_jw_obj(w);
    cpe_jw_key(w, "score");
    if (isnan(ls->drift[i]))
        cpe_jw_null(w);
    else
        cpe_jw_num(w, ls->drift[i]);
    cpe_jw_kint(w, "minutes", ls->drift_rows[i]);
    if (ls->drift_worst[i][0]) {
        cpe_jw_kstr(w, "worst_feature", ls->drift_worst[i]);
        cpe_jw_knum(w, "worst_psi", ls->drift_worst_psi[i]);
    }
    cpe_jw_end(w);
}

int cpe_route_health(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_api_t *api = req->api;
    cpe_series_info_t *s = NULL;
    size_t n = 0;
    int rc = api->store->ops->list_series(api->store, &s, &n);
    if (rc)
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "store error listing series");
    cpe_live_status_t ls;
    cpe_live_get_status(api->live, &ls);
    int degraded = 0, nprice = 0;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    size_t status_at = 0;
    cpe_jw_key(&w, "status");
    status_at = resp->body.len;
    cpe_jw_str(&w, "ok      "); /* patched below */
    cpe_jw_kstr(&w, "source", api->source);
    cpe_jw_kbool(&w, "simulated", api->simulated);
    cpe_jw_kstr(&w, "source_note", ls.note);
    cpe_jw_kint(&w, "now_ms", req->now_ms);
    cpe_jw_kint(&w, "uptime_s", (req->now_ms - api->started_ms) / 1000);
    cpe_jw_kint(&w, "ws_clients", api->nclients);
    cpe_jw_kstr(&w, "auth", api->cfg.jwt_secret[0] ? "on" : "off"); /* on: POST /auth/login */
    write_data(&w, s, n, req->now_ms, &degraded, &nprice);
    free(s);
    cpe_jw_key(&w, "models");
    cpe_jw_arr(&w);
    for (size_t a = 0; a < cpe_asset_count(); a++) {
        const char *sym = cpe_asset_at(a)->symbol;
        cpe_prediction_t p;
        if (cpe_api_prediction(api, sym, 1, INT64_MAX, &p, NULL)) continue;
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "symbol", sym);
        cpe_jw_kstr(&w, "version", p.model_version);
        cpe_jw_key(&w, "trained_at");
        cpe_jw_null(&w);
        cpe_jw_kint(&w, "last_prediction_ts", p.ts_ms);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    /* the live pipeline's predictor per symbol: made at which bar, how long it took, why not */
    cpe_live_get_status(api->live, &ls);
    if (ls.has_feed && write_feed(&w, &ls.feed, req->now_ms)) degraded = 1;
    cpe_jw_key(&w, "live_predictions");
    cpe_jw_arr(&w);
    for (int i = 0; i < ls.nsym; i++) {
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "symbol", ls.symbol[i]);
        cpe_jw_key(&w, "last_ts");
        if (ls.last_pred_ts[i] == INT64_MIN)
            cpe_jw_null(&w);
        else
            cpe_jw_int(&w, ls.last_pred_ts[i]);
        cpe_jw_kint(&w, "step_ms", ls.last_pred_ms[i]);
        cpe_jw_kstr(&w, "note", ls.pred_note[i]);
        write_drift(&w, &ls, i);
        cpe_calcache_write_health(api->calcache, &w, ls.symbol[i]);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_api_write_onchain_health(api, &w, req->now_ms);
    cpe_jw_key(&w, "onchain_poll");
    cpe_onchain_poll_write_health(api->onchain_poll, &w);
    cpe_jw_key(&w, "retraining");
    cpe_retrain_write_health(api->retrain, &w);
    cpe_jw_end(&w);
    if (degraded || nprice == 0)
        memcpy(resp->body.data + status_at, "\"degraded\"", 10);
    else
        memcpy(resp->body.data + status_at, "\"ok\"      ", 10);
    return w.err;
}
