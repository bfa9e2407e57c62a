/* calibration.c — GET /calibration: the calibration report of an asset's stored
 * predictions (cpe/calib_report.h, docs/API.md). */
#include "api/server.h"
#include "cpe/calib_report.h"
#include "cpe/num.h"
#include "cpe/universe.h"

#include <stdlib.h>
#include <string.h>

/* "horizon" (as the issue names it) or "horizon_hours" (as the other routes do); absent:
 * every horizon. */
static int horizon_param(cpe_req_t *req, cpe_resp_t *resp, int *h)
{
    char v[CPE_QUERY_VAL_MAX];
    if (!cpe_req_param(req, "horizon", v, sizeof v)) return cpe_param_horizon(req, resp, 0, h);
    int64_t x;
    if (cpe_parse_i64(v, strlen(v), &x))
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "horizon", v, 0,
                              "horizon '%s' is not an integer", v);
    if (x > 0 && x < 1000 && cpe_horizon_index((int)x) >= 0) {
        *h = (int)x;
        return 0;
    }
    return cpe_resp_error(resp, 422, "INVALID_HORIZON", "horizon", v, 0,
                          "horizon must be one of " CPE_HORIZONS_TEXT);
}

int cpe_route_calibration(cpe_req_t *req, cpe_resp_t *resp)
{
    char asset[16], symbol[32];
    int h = 0, rc;
    long days;
    if ((rc = cpe_param_asset(req, resp, 1, asset, symbol))) return rc;
    if ((rc = horizon_param(req, resp, &h))) return rc;
    if ((rc = cpe_param_int(req, resp, "window_days", 1, CPE_CALREP_MAX_WINDOW_DAYS, 30, &days)))
        return rc;
    int one[1] = {h};
    const int *hs = h ? one : cpe_horizons_h;
    size_t nh = h ? 1 : CPE_NHORIZONS;
    cpe_calib_report_t *r = calloc(nh, sizeof *r);
    if (!r) return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "out of memory");
    cpe_diag_t d = {0};
    rc = cpe_calib_report_build(req->api->store, symbol, hs, nh, req->now_ms, (int)days, r, &d);
    if (rc == CPE_ENOTFOUND)
        rc = cpe_resp_error(resp, 404, "UNKNOWN_ASSET", "asset", asset, 0,
                            "no market data for asset '%s' in the store", asset);
    else if (rc)
        rc = cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "%s", d.msg);
    else {
        cpe_jw_t w;
        cpe_jw_init(&w, &resp->body);
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "asset", asset);
        cpe_jw_kstr(&w, "symbol", r[0].symbol);
        cpe_jw_kstr(&w, "instrument", r[0].instrument);
        cpe_jw_kbool(&w, "simulated", r[0].simulated);
        cpe_jw_kint(&w, "now_ms", req->now_ms);
        cpe_jw_kint(&w, "window_days", days);
        cpe_jw_key(&w, "horizons");
        cpe_jw_arr(&w);
        for (size_t i = 0; i < nh; i++)
            cpe_calib_report_json(&w, &r[i]);
        cpe_jw_end(&w);
        cpe_jw_end(&w);
        rc = w.err;
    }
    free(r);
    return rc;
}
