/* market.c — GET /market-data: columnar bars and the market-structure panels. */
#include "api/panels.h"
#include "api/server.h"
#include "cpe/barload.h"
#include "cpe/json.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_MAX 20000
#define LIMIT_DEFAULT 1000

/* Only the newest `limit` bars are answered: where their span starts (it ends at the data's
 * last bar as the series cache last saw it, at most 1 s ago; the read still ends at `to`, so
 * a bar newer than the cache's is kept: one bar more, trimmed). The caller reads the whole
 * [from, to) only when gaps left that span short: a year's `from` with limit 1000 would
 * otherwise read 525,600 bars to print 1,000. */
static int64_t newest_span_from(cpe_api_t *api, cpe_api_reader_t *rd, const char *symbol,
                                int64_t interval_ms, int64_t from_ms, int64_t to_ms, size_t limit)
{
    int64_t span_to = to_ms;
    char instrument[CPE_INSTR_KEY_MAX];
    int simulated;
    int64_t last_ts;
    if (!cpe_api_reader_series(api, rd, symbol, instrument, &simulated, &last_ts) &&
        last_ts >= from_ms) {
        int64_t data_end = cpe_floor_ms(last_ts, interval_ms) + interval_ms;
        if (data_end < span_to) span_to = data_end;
    }
    int64_t span = (int64_t)limit * interval_ms;
    return span_to - from_ms > span ? span_to - span : from_ms;
}

int cpe_api_load_bars(cpe_api_t *api, cpe_api_reader_t *rd, const char *symbol, int64_t interval_ms,
                      int64_t from_ms, int from_given, int64_t to_ms, size_t limit, cpe_bar_t **out,
                      size_t *n, int *simulated)
{
    cpe_barload_info_t info;
    memset(&info, 0, sizeof info);
    *out = NULL;
    *n = 0;
    int64_t span_from = newest_span_from(api, rd, symbol, interval_ms, from_ms, to_ms, limit);
    int rc = cpe_load_bars(rd->store, symbol, interval_ms, span_from, to_ms, out, n, &info, NULL);
    if (!rc && *n < limit && span_from > from_ms && info.first_ts != 0 &&
        info.first_ts < span_from) { /* gaps in the span, older bars before it */
        free(*out);
        *out = NULL;
        rc = cpe_load_bars(rd->store, symbol, interval_ms, from_ms, to_ms, out, n, &info, NULL);
    }
    if (rc) return rc;
    /* No `from` given and nothing in the default window (the data ends earlier, e.g. an
     * imported history): the last `limit` bars before `to` instead. */
    if (*n == 0 && !from_given && info.last_ts != 0 && info.last_ts < from_ms) {
        free(*out);
        *out = NULL;
        int64_t end = cpe_floor_ms(info.last_ts, interval_ms) + interval_ms;
        rc = cpe_load_bars(rd->store, symbol, interval_ms, end - (int64_t)limit * interval_ms, end,
                           out, n, &info, NULL);
        if (rc) return rc;
    }
    *simulated = info.simulated;
    if (*n > limit) {
        memmove(*out, *out + (*n - limit), limit * sizeof **out);
        *n = limit;
    }
    return 0;
}

typedef double (*bar_field_fn)(const cpe_bar_t *b);
#define FIELD(name)                                                                                \
    static double f_##name(const cpe_bar_t *b)                                                     \
    {                                                                                              \
        return b->name;                                                                            \
    }
FIELD(open)
FIELD(high)
FIELD(low)
FIELD(close)
FIELD(volume)
FIELD(oi)
FIELD(funding)
FIELD(liq_long)
FIELD(liq_short)
static double f_basis(const cpe_bar_t *b)
{
    return cpe_api_basis_out(b->basis);
}

static const struct {
    const char *key;
    bar_field_fn get;
} columns[] = {{"open", f_open},       {"high", f_high},         {"low", f_low},
               {"close", f_close},     {"volume", f_volume},     {"oi", f_oi},
               {"funding", f_funding}, {"liq_long", f_liq_long}, {"liq_short", f_liq_short},
               {"basis", f_basis}};

/* col: room for n values, reused column after column */
static void column(cpe_jw_t *w, const char *key, const cpe_bar_t *b, size_t n, bar_field_fn get,
                   double *col)
{
    for (size_t i = 0; i < n; i++)
        col[i] = get(&b[i]);
    cpe_jw_key(w, key);
    cpe_jw_num_array(w, col, n);
}

int cpe_route_market_data(cpe_req_t *req, cpe_resp_t *resp)
{
    char asset[16], symbol[32];
    int64_t ims, from, to;
    const char *iname;
    long limit;
    int rc;
    if ((rc = cpe_param_asset(req, resp, 1, asset, symbol))) return rc;
    if ((rc = cpe_param_interval(req, resp, "1m", &ims, &iname))) return rc;
    if ((rc = cpe_param_int(req, resp, "limit", 1, LIMIT_MAX, LIMIT_DEFAULT, &limit))) return rc;
    if ((rc = cpe_param_time(req, resp, "to", req->now_ms + ims, &to))) return rc;
    if ((rc = cpe_param_time(req, resp, "from", INT64_MIN, &from))) return rc;
    int from_given = from != INT64_MIN;
    if (!from_given) from = to - (int64_t)limit * ims;
    if (from >= to)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "from", NULL, 0,
                              "from must be before to");
    cpe_bar_t *b = NULL;
    size_t n = 0;
    int sim = 0;
    cpe_api_reader_t *rd = cpe_req_reader(req);
    rc = cpe_api_load_bars(req->api, rd, symbol, ims, from, from_given, to, (size_t)limit, &b, &n,
                           &sim);
    if (rc == CPE_ENOTFOUND)
        return cpe_resp_error(resp, 404, "UNKNOWN_ASSET", "asset", asset, 0,
                              "no market data for asset '%s' at interval %s in the store", asset,
                              iname);
    if (rc) return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "store error reading bars");
    cpe_buf_reserve(&resp->body, 150 * n + 8192);
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "asset", asset);
    cpe_jw_kstr(&w, "symbol", symbol);
    cpe_jw_kstr(&w, "interval", iname);
    cpe_jw_kbool(&w, "simulated", sim);
    double *col = malloc((n ? n : 1) * sizeof *col);
    if (!col) {
        free(b);
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "out of memory");
    }
    int64_t *ts = (int64_t *)col; /* same size: the times first, then the numbers */
    for (size_t i = 0; i < n; i++)
        ts[i] = b[i].ts_ms;
    cpe_jw_key(&w, "t");
    cpe_jw_int_array(&w, ts, n);
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++)
        column(&w, columns[c].key, b, n, columns[c].get, col);
    double cvd = 0;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(b[i].cvd_delta)) {
            cvd = cpe_api_cvd_add(cvd, b[i].cvd_delta);
            any = 1;
        }
        col[i] = any ? cvd : NAN;
    }
    cpe_jw_key(&w, "cvd");
    cpe_jw_num_array(&w, col, n);
    free(col);

    cpe_liq_band_t bands[64];
    size_t nb = cpe_liq_clusters(b, n, 0.0025, bands, 64);
    cpe_jw_key(&w, "liq_clusters");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < nb; i++) {
        cpe_jw_obj(&w);
        cpe_jw_knum(&w, "price_lo", bands[i].price_lo);
        cpe_jw_knum(&w, "price_hi", bands[i].price_hi);
        cpe_jw_knum(&w, "intensity", bands[i].intensity);
        cpe_jw_knum(&w, "notional", bands[i].notional);
        cpe_jw_kstr(&w, "side", bands[i].side > 0 ? "long" : "short");
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_level_t lv[12];
    size_t nl = cpe_sr_levels(b, n, 5, 0.003, lv, 12);
    cpe_jw_key(&w, "levels");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < nl; i++) {
        cpe_jw_obj(&w);
        cpe_jw_knum(&w, "price", lv[i].price);
        cpe_jw_kstr(&w, "kind", lv[i].resistance ? "resistance" : "support");
        cpe_jw_knum(&w, "strength", lv[i].strength);
        cpe_jw_kint(&w, "touches", lv[i].touches);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_vp_bin_t vp[48];
    size_t nv = cpe_volume_profile(b, n, 48, vp);
    cpe_jw_key(&w, "volume_profile");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < nv; i++) {
        cpe_jw_obj(&w);
        cpe_jw_knum(&w, "price_lo", vp[i].price_lo);
        cpe_jw_knum(&w, "price_hi", vp[i].price_hi);
        cpe_jw_knum(&w, "volume", vp[i].volume);
        cpe_jw_knum(&w, "buy_volume", vp[i].buy_volume);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    int64_t span_from = n ? b[0].ts_ms : from, span_to = n ? b[n - 1].ts_ms + ims : to;
    free(b);
    if (cpe_api_write_flows(rd->store, &w, asset, span_from, span_to, req->now_ms))
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "store error reading flows");
    cpe_jw_end(&w);
    return w.err;
}
