/* assets.c — GET /assets: the configured assets (cpe/universe.h), with the stored series
 * that can serve each one, the series the API serves now, the champion model and the
 * freshness of the newest bar. */
#include "api/server.h"
#include "cpe/json.h"
#include "cpe/registry.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>

static void kiso_or_null(cpe_jw_t *w, const char *k, int64_t t, int have)
{
    char s[32];
    if (!have) {
        cpe_jw_key(w, k);
        cpe_jw_null(w);
        return;
    }
    cpe_format_iso8601(t, s);
    cpe_jw_kstr(w, k, s);
}

/* Every non-empty kline series of the asset's candidate instruments (the resolver's
 * candidates, in its order), one object per (instrument, interval); the distinct
 * resolutions go to res (a bit per universe interval). */
static int write_sources(cpe_api_t *api, cpe_jw_t *w, const cpe_asset_t *a, unsigned *res)
{
    cpe_store_t *st = api->store;
    cpe_instrument_t cand[CPE_RESOLVE_MAX];
    size_t nc = cpe_instrument_candidates(a->symbol, CPE_MARKET_ANY, CPE_PREFER_REAL, cand);
    cpe_jw_key(w, "sources");
    cpe_jw_arr(w);
    for (size_t c = 0; c < nc; c++) {
        char key[CPE_INSTR_KEY_MAX];
        cpe_instrument_key(&cand[c], key);
        for (size_t i = 0; cpe_interval_at(i); i++) {
            const char *iv = cpe_interval_name(cpe_interval_at(i));
            char kind[CPE_KIND_MAX];
            int64_t id;
            cpe_series_info_t si;
            snprintf(kind, sizeof kind, "kline:%s", iv);
            int rc = st->ops->series_id(st, key, kind, 0, 0, 0, &id);
            if (rc == CPE_ENOTFOUND) continue;
            if (!rc) rc = st->ops->series_get(st, id, &si);
            if (rc) return rc;
            if (si.count <= 0) continue;
            *res |= 1u << i;
            cpe_jw_obj(w);
            cpe_jw_kstr(w, "instrument", key);
            cpe_jw_kstr(w, "exchange", cand[c].exchange);
            cpe_jw_kstr(w, "market", cand[c].kind == CPE_SPOT ? "spot" : "perp");
            cpe_jw_kstr(w, "resolution", iv);
            cpe_jw_kbool(w, "simulated", si.simulated);
            cpe_jw_kint(w, "bars", si.count);
            cpe_jw_kint(w, "first_ts", si.first_ts);
            cpe_jw_kint(w, "last_ts", si.last_ts);
            cpe_jw_end(w);
        }
    }
    cpe_jw_end(w);
    return 0;
}

static void write_model(cpe_jw_t *w, const cpe_registry_t *reg, const char *symbol)
{
    char ver[CPE_VERSION_MAX];
    double split = 0;
    cpe_jw_key(w, "model");
    cpe_jw_obj(w);
    if (!cpe_registry_champion(reg, symbol, ver))
        cpe_jw_kstr(w, "champion", ver);
    else {
        cpe_jw_key(w, "champion");
        cpe_jw_null(w);
    }
    if (!cpe_registry_challenger(reg, symbol, ver, &split)) {
        cpe_jw_kstr(w, "challenger", ver);
        cpe_jw_knum(w, "traffic_split", split);
    }
    cpe_jw_end(w);
}

static int write_asset(cpe_api_t *api, cpe_jw_t *w, const cpe_asset_t *a, const cpe_registry_t *reg,
                       const cpe_live_status_t *ls, int64_t now_ms)
{
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "asset", a->asset);
    cpe_jw_kstr(w, "symbol", a->symbol);
    cpe_jw_kstr(w, "quote", CPE_QUOTE);
    cpe_jw_kbool(w, "catalogued", a->catalogued);
    int live = 0;
    for (int i = 0; i < ls->nsym; i++)
        if (!strcmp(ls->symbol[i], a->symbol)) live = 1;
    cpe_jw_kbool(w, "live", live);
    unsigned res = 0;
    int rc = write_sources(api, w, a, &res);
    if (rc) return rc;
    cpe_jw_key(w, "resolutions");
    cpe_jw_arr(w);
    for (size_t i = 0; cpe_interval_at(i); i++)
        if (res & (1u << i)) cpe_jw_str(w, cpe_interval_name(cpe_interval_at(i)));
    cpe_jw_end(w);
    /* what /market-data, /predict and the channels read for it now, and how fresh it is */
    char inst[CPE_INSTR_KEY_MAX];
    int sim = 0;
    int64_t last = 0;
    rc = cpe_api_kline_series(api, a->symbol, inst, &sim, &last);
    if (rc && rc != CPE_ENOTFOUND) return rc;
    cpe_jw_key(w, "serving");
    if (rc)
        cpe_jw_null(w);
    else
        cpe_jw_str(w, inst);
    cpe_jw_kbool(w, "simulated", !rc && sim);
    cpe_jw_key(w, "newest_bar_ts");
    if (rc)
        cpe_jw_null(w);
    else
        cpe_jw_int(w, last);
    kiso_or_null(w, "newest_bar", last, !rc);
    cpe_jw_kbool(w, "stale", !rc && cpe_api_is_stale(api, last, now_ms));
    write_model(w, reg, a->symbol);
    cpe_jw_end(w);
    return 0;
}

int cpe_route_assets(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_api_t *api = req->api;
    cpe_registry_t reg;
    cpe_live_status_t ls;
    cpe_registry_init(&reg, api->cfg.models);
    cpe_live_get_status(api->live, &ls);
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "count", (int64_t)cpe_asset_count());
    cpe_jw_kstr(&w, "source", api->source ? api->source : "");
    cpe_jw_key(&w, "horizons");
    cpe_jw_arr(&w);
    for (int h = 0; h < CPE_NHORIZONS; h++)
        cpe_jw_int(&w, cpe_horizons_h[h]);
    cpe_jw_end(&w);
    cpe_jw_key(&w, "assets");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < cpe_asset_count(); i++) {
        int rc = write_asset(api, &w, cpe_asset_at(i), &reg, &ls, req->now_ms);
        if (rc)
            return cpe_resp_error(resp, 503, "STORE_UNAVAILABLE", NULL, NULL, 5,
                                  "the store could not be read: %s", api->store->diag.msg);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    return w.err ? cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "response too large") : 0;
}
