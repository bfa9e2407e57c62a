/* runs.c — GET /backtest-options (the strategy options with their defaults and the limits
 * POST /backtest checks: the cockpit's form), GET /backtests (the saved runs, newest first,
 * paged) and GET /backtests/{run_id} (one with its whole result): the store's bt_run table
 * (cpe/store.h) read on the service thread's store handle. A run is saved by its job's worker when
 * it finishes (jobs.c), under the job id, so /backtest/{id} and /backtests/{id} name the same run.
 *
 *   {"runs": [{"id", "created_ms", "instrument", "from_ms", "to_ms", "data_version",
 *              "model_version", "strategy": {...}, "metrics": {...}}], "total", "offset", "limit"}
 *   {"id", ..., "metrics": {...}, "result": {...the result JSON of docs/BACKTEST.md...}} */
#include "api/server.h"
#include "cpe/backtest.h"

#include <stdlib.h>

#define LIST_MAX 100

static void write_run(cpe_jw_t *w, const cpe_store_run_t *r)
{
    cpe_jw_kstr(w, "id", r->id);
    cpe_jw_kint(w, "created_ms", r->created_ms);
    cpe_jw_kstr(w, "instrument", r->instrument);
    cpe_jw_kint(w, "from_ms", r->from_ms);
    cpe_jw_kint(w, "to_ms", r->to_ms);
    cpe_jw_kstr(w, "data_version", r->data_version);
    cpe_jw_kstr(w, "model_version", r->model_version);
    cpe_jw_key(w, "strategy");
    cpe_jw_raw(w, r->strategy_json);
    cpe_jw_key(w, "metrics");
    cpe_jw_raw(w, r->metrics_json);
}

static int store_error(cpe_resp_t *resp, cpe_store_t *st)
{
    return cpe_resp_error(resp, 503, "STORE_UNAVAILABLE", NULL, NULL, 5, "%s", st->diag.msg);
}

static int too_large(cpe_resp_t *resp)
{
    cpe_buf_reset(&resp->body);
    return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "response too large");
}

int cpe_route_backtests_list(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_store_t *st = cpe_req_reader(req)->store;
    long offset, limit;
    int rc;
    if ((rc = cpe_param_int(req, resp, "offset", 0, 1000000000L, 0, &offset)) ||
        (rc = cpe_param_int(req, resp, "limit", 1, LIST_MAX, 20, &limit)))
        return rc;
    cpe_store_run_t *runs = NULL;
    size_t n = 0, total = 0;
    if (st->ops->list_runs(st, (size_t)offset, (size_t)limit, &runs, &n, &total))
        return store_error(resp, st);
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_key(&w, "runs");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        cpe_jw_obj(&w);
        write_run(&w, &runs[i]);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_kint(&w, "total", (int64_t)total);
    cpe_jw_kint(&w, "offset", offset);
    cpe_jw_kint(&w, "limit", limit);
    cpe_jw_end(&w);
    cpe_store_runs_free(runs, n);
    return w.err ? too_large(resp) : 0;
}

int cpe_route_backtests_get(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_store_t *st = cpe_req_reader(req)->store;
    const char *id = req->path_param ? req->path_param : "";
    cpe_store_run_t r;
    int rc = st->ops->get_run(st, id, &r);
    if (rc == CPE_ENOTFOUND)
        return cpe_resp_error(resp, 404, "NOT_FOUND", "run_id", id, 0, "no saved run '%s'", id);
    if (rc) return store_error(resp, st);
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    write_run(&w, &r);
    cpe_jw_key(&w, "result");
    cpe_jw_raw(&w, r.result_json);
    cpe_jw_end(&w);
    cpe_store_run_clear(&r);
    return w.err ? too_large(resp) : 0;
}

int cpe_route_backtest_options(cpe_req_t *req, cpe_resp_t *resp)
{
    (void)req;
    cpe_bt_config_t def;
    cpe_bt_config_default(&def);
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_key(&w, "defaults");
    cpe_bt_config_write(&def, &w);
    cpe_jw_key(&w, "limits");
    cpe_bt_config_limits_write(&w);
    cpe_jw_kint(&w, "max_days", CPE_BT_MAX_DAYS);
    cpe_jw_end(&w);
    return w.err ? too_large(resp) : 0;
}
