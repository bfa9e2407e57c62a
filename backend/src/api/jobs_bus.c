/*
 * jobs_bus.c — backtests through the bus's job stream when `--bus` is set (docs/SCALE_OUT.md).
 *
 *   POST (service thread)  validated by jobs.c; writes the job record {"status":"queued"} to
 *                          the store (meta "backtest_job:<id>") and queues an XADD of
 *                          {"id","what","from","to","strategy"} on stream "cpe:jobs:backtest"
 *   consumer thread        every node with a bus consumes the stream in group "cpe-workers"
 *                          (cpe_bus_consume): it marks the record running, runs the
 *                          walk-forward backtest on a store handle of its own and writes the
 *                          result (the bytes `cpe backtest --out` writes) into the record;
 *                          an entry left unacknowledged by a dead node for JOB_RECLAIM_MS is
 *                          reclaimed and run again (a backtest is deterministic, so a second
 *                          run writes the same result); a live node renews the claim of the
 *                          entry it runs (cpe/bus.h), so a long backtest is not taken over
 *   GET (service thread)   the record from the store: any node answers for any job
 *   shutdown               a running job is cancelled between folds; its record goes back to
 *                          "queued" and its entry stays pending for a reclaim
 *
 * Neither progress on the WebSocket "jobs" channel nor DELETE (cancel) exist on this path.
 */
#include "api/server.h"
#include "cpe/backtest.h"
#include "cpe/bus.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_STREAM "cpe:jobs:backtest"
#define JOB_GROUP "cpe-workers"
#define JOB_RECLAIM_MS (60 * 1000) /* idle: a live job renews its claim (cpe/bus.h) */
#define RECORD_MAX (256u * 1024 * 1024)

static void job_key(const char *id, char *key, size_t cap)
{
    snprintf(key, cap, "backtest_job:%s", id);
}

/* The record: status and times, the result JSON (raw) or an error message. */
static int write_record(cpe_store_t *st, const char *id, const char *status, int64_t queued_ms,
                        int64_t started_ms, int64_t run_ms, const char *result, const char *error)
{
    cpe_buf_t b;
    cpe_buf_init(&b, RECORD_MAX);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "job_id", id);
    cpe_jw_kstr(&w, "status", status);
    cpe_jw_kint(&w, "queued_ms", queued_ms);
    if (started_ms) cpe_jw_kint(&w, "started_ms", started_ms);
    if (run_ms >= 0) cpe_jw_kint(&w, "run_ms", run_ms);
    cpe_jw_key(&w, "result");
    if (result)
        cpe_jw_raw(&w, result);
    else
        cpe_jw_null(&w);
    cpe_jw_key(&w, "error");
    if (error) {
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "code", "BACKTEST_FAILED");
        cpe_jw_kstr(&w, "message", error);
        cpe_jw_end(&w);
    } else {
        cpe_jw_null(&w);
    }
    cpe_jw_end(&w);
    char key[96];
    job_key(id, key, sizeof key);
    int rc = w.err ? CPE_ETOOBIG : st->ops->set_meta(st, key, b.data);
    cpe_buf_free(&b);
    return rc;
}

/* Run one job (the consumer thread). */
static int run_entry(void *ctx, const char *entry, const char *payload, size_t len)
{
    cpe_api_t *api = ctx;
    json_t *j = json_loadb(payload, len, 0, NULL);
    const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
    const char *what = j ? json_string_value(json_object_get(j, "what")) : NULL;
    const char *strat = j ? json_string_value(json_object_get(j, "strategy")) : NULL;
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (!id || !what || cpe_store_open(api->cfg.db, &st, &d)) {
        cpe_warn("backtest job entry %s: %s", entry, id && what ? d.msg : "malformed entry");
        json_decref(j);
        return 0; /* nothing any node could do with it */
    }
    int64_t queued = json_integer_value(json_object_get(j, "queued_ms")), t0 = cpe_now_ms();
    write_record(st, id, "running", queued, t0, -1, NULL, NULL);
    cpe_bt_config_t cfg;
    cpe_bt_config_default(&cfg);
    int rc = strat ? cpe_bt_config_json(&cfg, strat, strlen(strat), &d) : 0;
    cpe_wfc_opts_t wo;
    cpe_wfc_opts_default(&wo);
    wo.cancel = cpe_api_bus_cancel(api); /* this node stops: leave the entry to another */
    cpe_bt_result_t r = {0};
    if (!rc)
        rc = cpe_bt_run_store_wf(st, what, json_integer_value(json_object_get(j, "from")),
                                 json_integer_value(json_object_get(j, "to")), &cfg, &wo, &r, &d);
    if (rc == CPE_ECANCELED) {
        write_record(st, id, "queued", queued, 0, -1, NULL, NULL);
        cpe_info("backtest %s: stopped by shutdown, left in the stream for another node", id);
        cpe_store_close(st);
        json_decref(j);
        return 1;
    }
    cpe_buf_t b;
    cpe_buf_init(&b, RECORD_MAX / 2);
    if (!rc && (rc = cpe_bt_result_json(&r, &b))) cpe_diag_set(&d, rc, "the result is too large");
    int64_t run_ms = cpe_now_ms() - t0;
    int wrc = write_record(st, id, rc ? "failed" : "done", queued, t0, run_ms, rc ? NULL : b.data,
                           rc ? d.msg : NULL);
    cpe_info("backtest %s (stream entry %s): %s in %lld ms%s%s", id, entry, rc ? "failed" : "done",
             (long long)run_ms, rc ? ": " : "", rc ? d.msg : "");
    if (wrc) cpe_warn("backtest %s: cannot store the result (%s)", id, cpe_strerror(wrc));
    cpe_buf_free(&b);
    cpe_bt_result_free(&r);
    cpe_store_close(st);
    json_decref(j);
    return 0;
}

int cpe_jobs_bus_start(cpe_api_t *api, cpe_bus_t *bus, const char *node, cpe_diag_t *d)
{
    return cpe_bus_consume(bus, JOB_STREAM, JOB_GROUP, node, JOB_RECLAIM_MS, run_entry, api, d);
}

int cpe_jobs_bus_post(cpe_req_t *req, cpe_resp_t *resp, const char *instr, int64_t from, int64_t to)
{
    cpe_api_t *api = req->api;
    char id[48];
    cpe_api_bus_job_id(api, id, sizeof id);
    json_t *s = req->body_json ? json_object_get((json_t *)req->body_json, "strategy") : NULL;
    char *strat = s && !json_is_null(s) ? json_dumps(s, JSON_COMPACT) : NULL;
    json_t *e =
        json_pack("{s:s,s:s,s:I,s:I,s:I}", "id", id, "what", instr, "from", (json_int_t)from, "to",
                  (json_int_t)to, "queued_ms", (json_int_t)req->now_ms);
    if (e && strat) json_object_set_new(e, "strategy", json_string(strat));
    char *txt = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    free(strat);
    int rc =
        txt ? write_record(api->store, id, "queued", req->now_ms, 0, -1, NULL, NULL) : CPE_ENOMEM;
    if (!rc) rc = cpe_api_bus_xadd(api, JOB_STREAM, txt, strlen(txt));
    free(txt);
    if (rc)
        return cpe_resp_error(resp, 503, "BACKTEST_BUSY", NULL, NULL, 30,
                              "cannot queue the backtest (%s); retry later", cpe_strerror(rc));
    return cpe_jobs_accepted(resp, id, instr, 0); /* no progress on the WebSocket from here yet */
}

int cpe_jobs_bus_get(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_store_t *st = req->api->store;
    const char *id = req->path_param ? req->path_param : "";
    char key[96];
    job_key(id, key, sizeof key);
    int rc = CPE_ETOOBIG;
    for (size_t cap = 64 * 1024; rc == CPE_ETOOBIG && cap <= RECORD_MAX; cap *= 4) {
        cpe_buf_reset(&resp->body);
        if (cpe_buf_reserve(&resp->body, cap)) break;
        rc = st->ops->get_meta(st, key, resp->body.data, cap);
        if (!rc) resp->body.len = strlen(resp->body.data);
    }
    if (rc == CPE_ENOTFOUND || (rc == CPE_EINVAL && strlen(id) > 40)) {
        cpe_buf_reset(&resp->body);
        return cpe_resp_error(resp, 404, "NOT_FOUND", "job_id", id, 0, "no backtest job '%s'", id);
    }
    if (rc) {
        cpe_buf_reset(&resp->body);
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0, "cannot read the job: %s",
                              cpe_strerror(rc));
    }
    return 0;
}
