/* routes.c — THE route table, and the handlers of the small routes (see router.h). */
#include "api/server.h"
#include "cpe/json.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int route_predict(cpe_req_t *req, cpe_resp_t *resp);
static int route_explain(cpe_req_t *req, cpe_resp_t *resp);
static int route_predictions(cpe_req_t *req, cpe_resp_t *resp);
static int route_metrics(cpe_req_t *req, cpe_resp_t *resp);
static int route_openapi(cpe_req_t *req, cpe_resp_t *resp);

#define ASSET_DOC "a configured asset (GET /assets lists them; 404 names the known ones)"
#define HORIZON_DOC "hours, one of " CPE_HORIZONS_TEXT
#define Q_ASSET                                                                                    \
    {                                                                                              \
        "asset", "query", "string", 1, ASSET_DOC                                                   \
    }
#define Q_HORIZON                                                                                  \
    {                                                                                              \
        "horizon_hours", "query", "integer", 1, HORIZON_DOC                                        \
    }
#define Q_AT                                                                                       \
    {                                                                                              \
        "at", "query", "string", 0, "ISO-8601 time or epoch ms: the prediction made then"          \
    }

static const cpe_route_param_t p_predict_get[] = {
    Q_ASSET, Q_HORIZON, Q_AT, {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_predict_post[] = {
    {"asset", "body", "string", 1, ASSET_DOC},
    {"horizon_hours", "body", "integer", 1, HORIZON_DOC},
    {"at", "body", "string", 0, "ISO-8601 time or epoch ms"},
    {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_market[] = {
    Q_ASSET,
    {"interval", "query", "string", 0, CPE_INTERVALS_SERVED_TEXT " (default 1m)"},
    {"from", "query", "string", 0, "first bar open time (ISO or ms)"},
    {"to", "query", "string", 0, "end, exclusive (ISO or ms; default now)"},
    {"limit", "query", "integer", 0,
     "at most this many of the newest bars (<= 20000, default 1000)"},
    {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_predictions[] = {
    Q_ASSET,
    Q_HORIZON,
    {"from", "query", "string", 0, "ISO or ms (default to - 24 h)"},
    {"to", "query", "string", 0, "ISO or ms, exclusive (default now)"},
    {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_backtest_post[] = {
    {"asset", "body", "string", 1, ASSET_DOC},
    {"from", "body", "string", 1, "ISO or ms"},
    {"to", "body", "string", 1, "ISO or ms, exclusive; at most 400 days after from"},
    {"strategy", "body", "object", 0,
     "strategy and execution options over the defaults (docs/BACKTEST.md); unknown keys are 400"},
    {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_calibration[] = {
    Q_ASSET,
    {"horizon", "query", "integer", 0,
     "one of " CPE_HORIZONS_TEXT " (also as horizon_hours); default: all"},
    {"window_days", "query", "integer", 0, "days of resolved outcomes, 1..90 (default 30)"},
    {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_backtest_get[] = {
    {"job_id", "path", "string", 1, "the id POST /backtest returned"}, {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_runs[] = {
    {"offset", "query", "integer", 0, "runs to skip, newest first (default 0)"},
    {"limit", "query", "integer", 0, "runs to answer, 1..100 (default 20)"},
    {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_run[] = {
    {"run_id", "path", "string", 1, "a saved run's id (the job id of its POST /backtest)"},
    {NULL, NULL, NULL, 0, NULL}};

const cpe_route_t cpe_api_routes[] = {
    {CPE_GET, "/predict", route_predict, "predict",
     "Latest (or at a past time) direction probability, expected move, volatility and cone",
     p_predict_get, "200 400 401 404 422 429 503", "application/json", 0},
    {CPE_POST, "/predict", route_predict, "predict", "Same as GET /predict with a JSON body",
     p_predict_post, "200 400 401 404 413 422 429 503", "application/json", 0},
    {CPE_GET, "/explain", route_explain, "explain",
     "Reasons and feature contributions (TreeSHAP) behind a prediction", p_predict_get,
     "200 400 401 404 422 429 503", "application/json", 0},
    {CPE_GET, "/market-data", cpe_route_market_data, "market_data",
     "Columnar bars with volume, CVD, OI, funding, liquidations, basis, liquidation bands, "
     "support/resistance and a volume profile",
     p_market, "200 400 401 404 429", "application/json", 0},
    {CPE_GET, "/assets", cpe_route_assets, "assets",
     "The configured assets: stored series and resolutions per source, the series served, "
     "champion model and freshness of the newest bar",
     NULL, "200 401 429 503", "application/json", 0},
    {CPE_GET, "/predictions", route_predictions, "predictions",
     "Stored prediction records in a time range (replay, accuracy)", p_predictions,
     "200 400 401 404 422 429", "application/json", 0},
    {CPE_GET, "/calibration", cpe_route_calibration, "calibration",
     "Cone coverage (1 and 2 sigma, 7 and 30 days, per day) and p_up reliability of the stored "
     "predictions whose outcome is known",
     p_calibration, "200 400 401 404 422 429", "application/json", 0},
    {CPE_POST, "/backtest", cpe_route_backtest_post, "backtest",
     "Queue a backtest; 202 with a job id", p_backtest_post, "202 400 401 404 413 429 503",
     "application/json", 0},
    {CPE_GET, "/backtest/{job_id}", cpe_route_backtest_get, "backtest_job",
     "A backtest job's status, progress (stage, folds done / total, ETA) and result",
     p_backtest_get, "200 401 404 429", "application/json", 0},
    {CPE_DELETE, "/backtest/{job_id}", cpe_route_backtest_delete, "backtest_job",
     "Cancel a backtest job: queued ones at once, running ones between walk-forward folds; "
     "202 while it stops",
     p_backtest_get, "200 202 401 404 429", "application/json", 0},
    {CPE_GET, "/backtest-options", cpe_route_backtest_options, "backtest_options",
     "The strategy options of POST /backtest: defaults and the limits it checks", NULL,
     "200 401 429", "application/json", 0},
    {CPE_GET, "/backtests", cpe_route_backtests_list, "backtests",
     "Saved backtest runs, newest first: range, data and model versions, strategy, metrics", p_runs,
     "200 400 401 429 503", "application/json", 0},
    {CPE_GET, "/backtests/{run_id}", cpe_route_backtests_get, "backtests_run",
     "One saved backtest run with its result (metrics, equity curve, trades, hindsight)", p_run,
     "200 401 404 429 503", "application/json", 0},
    {CPE_GET, "/alerts", cpe_route_alerts_list, "alerts", "Alert rules (owner local)", NULL,
     "200 401 429 503", "application/json", 0},
    {CPE_POST, "/alerts", cpe_route_alerts_create, "alerts",
     "Create an alert rule (docs/ALERTS.md); 422 names the bad field", cpe_alerts_p_rule,
     "201 400 401 413 422 429 503", "application/json", 0},
    {CPE_GET, "/alerts/dead-letters", cpe_route_alerts_dead, "alerts_dead",
     "Firings whose webhook delivery gave up (newest first, at most 200)", NULL, "200 401 429 503",
     "application/json", 0},
    {CPE_PATCH, "/alerts/{id}", cpe_route_alerts_patch, "alert",
     "Change fields of a rule (e.g. {\"enabled\": false} mutes it)", cpe_alerts_p_patch,
     "200 400 401 404 413 422 429 503", "application/json", 0},
    {CPE_DELETE, "/alerts/{id}", cpe_route_alerts_delete, "alert", "Delete a rule", cpe_alerts_p_id,
     "200 401 404 429 503", "application/json", 0},
    {CPE_GET, "/alerts/{id}/events", cpe_route_alerts_events, "alert_events",
     "A rule's firings with their delivery state (newest first, at most 200)", cpe_alerts_p_id,
     "200 401 404 429 503", "application/json", 0},
    {CPE_POST, "/auth/login", cpe_route_auth_login, "auth_login",
     "Log in (auth on): an access JWT (1 h) and a refresh token; 401 for a wrong user name or "
     "password alike",
     cpe_auth_p_login, "200 400 401 404 413 429 503", "application/json", CPE_ROUTE_PUBLIC},
    {CPE_POST, "/auth/refresh", cpe_route_auth_refresh, "auth_refresh",
     "A new access token and refresh token for the current refresh token, which stops being "
     "valid; presenting an already used one revokes the whole session (401)",
     cpe_auth_p_refresh, "200 400 401 404 413 429 503", "application/json", CPE_ROUTE_PUBLIC},
    {CPE_POST, "/auth/logout", cpe_route_auth_logout, "auth_logout",
     "Revoke the session of a refresh token", cpe_auth_p_refresh, "200 400 401 404 413 429 503",
     "application/json", CPE_ROUTE_PUBLIC},
    {CPE_GET, "/users", cpe_route_users_list, "users", "User accounts (admin only)", NULL,
     "200 401 403 429 503", "application/json", CPE_ROUTE_ADMIN},
    {CPE_POST, "/users", cpe_route_users_create, "users",
     "Create a user account (admin only); 409 when the name is taken", cpe_auth_p_user_new,
     "201 400 401 403 409 413 429 503", "application/json", CPE_ROUTE_ADMIN},
    {CPE_DELETE, "/users/{name}", cpe_route_users_delete, "user",
     "Delete a user account and revoke its sessions (admin only)", cpe_auth_p_user,
     "200 401 403 404 429 503", "application/json", CPE_ROUTE_ADMIN},
    {CPE_GET, "/health", cpe_route_health, "health",
     "Freshness per data source, stale flags, model versions, retraining, simulated flag", NULL,
     "200 429", "application/json", 1},
    {CPE_GET, "/metrics", route_metrics, "metrics", "Prometheus metrics", NULL, "200 429",
     "text/plain", 1},
    {CPE_GET, "/openapi.json", route_openapi, "openapi", "This document", NULL, "200 429",
     "application/json", 1},
    {CPE_GET, "/docs", cpe_route_docs, "docs",
     "This document as an interactive page (Swagger UI; needs the built frontend)", NULL,
     "200 404 429", "text/html", 1},
    {0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

/* ---------- JSON pieces ---------- */

static void kiso(cpe_jw_t *w, const char *k, int64_t t)
{
    char s[32];
    cpe_format_iso8601(t, s);
    cpe_jw_kstr(w, k, s);
}

void cpe_api_write_prediction(cpe_jw_t *w, const char *asset, const cpe_prediction_t *p, int stale,
                              int simulated)
{
    int64_t close_ms = p->ts_ms + CPE_MS_PER_MIN;
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "asset", asset);
    cpe_jw_kstr(w, "symbol", p->symbol);
    cpe_jw_kint(w, "horizon_hours", p->horizon_h);
    kiso(w, "ts", p->ts_ms);
    cpe_jw_kint(w, "t_ms", p->ts_ms);
    cpe_jw_knum(w, "close", p->close);
    cpe_jw_knum(w, "p_up", p->p_up);
    cpe_jw_knum(w, "p_down", isnan(p->p_up) ? NAN : 1.0 - p->p_up);
    cpe_jw_knum(w, "expected_move", p->expected_move);
    cpe_jw_knum(w, "volatility", p->volatility);
    cpe_jw_key(w, "quantiles");
    cpe_jw_obj(w);
    cpe_jw_knum(w, "p023", p->p023);
    cpe_jw_knum(w, "p159", p->p159);
    cpe_jw_knum(w, "p500", p->p500);
    cpe_jw_knum(w, "p841", p->p841);
    cpe_jw_knum(w, "p977", p->p977);
    cpe_jw_end(w);
    cpe_jw_key(w, "cone");
    cpe_jw_arr(w);
    int nc = p->n_cone;
    if (nc > CPE_CONE_MAX_STEPS + 1) nc = CPE_CONE_MAX_STEPS + 1;
    for (int i = 0; i < nc; i++) {
        const cpe_cone_point_t *c = &p->cone[i];
        cpe_jw_obj(w);
        kiso(w, "t", c->t_ms);
        cpe_jw_kint(w, "t_ms", c->t_ms);
        cpe_jw_knum(w, "mid", c->p500);
        cpe_jw_knum(w, "upper", c->p841);
        cpe_jw_knum(w, "lower", c->p159);
        cpe_jw_knum(w, "upper2", c->p977);
        cpe_jw_knum(w, "lower2", c->p023);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    (void)close_ms;
    cpe_jw_kstr(w, "confidence", p->confidence);
    cpe_jw_kstr(w, "regime", p->regime);
    cpe_jw_kstr(w, "model_version", p->model_version);
    cpe_jw_kbool(w, "stale", p->stale || stale);
    cpe_jw_kbool(w, "simulated", simulated);
    cpe_jw_kbool(w, "vol_fallback", p->vol_fallback);
    cpe_jw_end(w);
}

double cpe_api_cvd_add(double cvd, double delta)
{
    return round((cvd + delta) * 1e8) / 1e8;
}

double cpe_api_basis_out(double basis)
{
    return round(basis * 1e10) / 1e10; /* NaN stays NaN */
}

void cpe_api_write_bar(cpe_jw_t *w, const cpe_bar_t *b, double cvd)
{
    cpe_jw_obj(w);
    cpe_jw_kint(w, "t", b->ts_ms);
    cpe_jw_knum(w, "open", b->open);
    cpe_jw_knum(w, "high", b->high);
    cpe_jw_knum(w, "low", b->low);
    cpe_jw_knum(w, "close", b->close);
    cpe_jw_knum(w, "volume", b->volume);
    cpe_jw_knum(w, "cvd", cvd);
    cpe_jw_knum(w, "oi", b->oi);
    cpe_jw_knum(w, "funding", b->funding);
    cpe_jw_knum(w, "liq_long", b->liq_long);
    cpe_jw_knum(w, "liq_short", b->liq_short);
    cpe_jw_knum(w, "basis", cpe_api_basis_out(b->basis));
    cpe_jw_end(w);
}

/* The asset must have bars in the store (404 UNKNOWN_ASSET otherwise). */
static int asset_in_store(cpe_req_t *req, cpe_resp_t *resp, const char *asset, const char *symbol,
                          int *simulated, int64_t *last_ts)
{
    char inst[CPE_INSTR_KEY_MAX];
    if (cpe_api_reader_series(req->api, cpe_req_reader(req), symbol, inst, simulated, last_ts))
        return cpe_resp_error(resp, 404, "UNKNOWN_ASSET", "asset", asset, 0,
                              "no market data for asset '%s' in the store", asset);
    return 0;
}

static int unavailable(cpe_resp_t *resp, const char *what, int64_t at_ms)
{
    if (at_ms != INT64_MAX)
        return cpe_resp_error(resp, 503, "PREDICTION_UNAVAILABLE", "at", NULL, 300,
                              "no %s was stored at or before that time (no model was running then)",
                              what);
    return cpe_resp_error(resp, 503, "PREDICTION_UNAVAILABLE", NULL, NULL, 300,
                          "no %s yet: no trained model has produced one (cpe train, then serve)",
                          what);
}

/* Common parameters of /predict and /explain. */
static int predict_params(cpe_req_t *req, cpe_resp_t *resp, char asset[16], char symbol[32], int *h,
                          int64_t *at, int *sim, int64_t *last_ts)
{
    int rc;
    if ((rc = cpe_param_asset(req, resp, 1, asset, symbol))) return rc;
    if ((rc = cpe_param_horizon(req, resp, 1, h))) return rc;
    if ((rc = cpe_param_time(req, resp, "at", INT64_MAX, at))) return rc;
    return asset_in_store(req, resp, asset, symbol, sim, last_ts);
}

static int route_predict(cpe_req_t *req, cpe_resp_t *resp)
{
    char asset[16], symbol[32];
    int h, sim;
    int64_t at, last_ts;
    int rc = predict_params(req, resp, asset, symbol, &h, &at, &sim, &last_ts);
    if (rc) return rc;
    cpe_prediction_t p;
    rc = cpe_api_prediction(req->api, symbol, h, at, &p, NULL);
    if (rc == CPE_ENOTFOUND) return unavailable(resp, "prediction", at);
    if (rc)
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0,
                              "store error reading predictions");
    /* Latest prediction: stale when the data is stale or the prediction lags the newest bar
     * by more than two bars (the model stopped producing: spec 17.2). */
    int stale = 0;
    if (at == INT64_MAX)
        stale = cpe_api_is_stale(req->api, last_ts, req->now_ms) ||
                last_ts - p.ts_ms > 2 * CPE_MS_PER_MIN;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_api_write_prediction(&w, asset, &p, stale, sim);
    return w.err;
}

static int route_explain(cpe_req_t *req, cpe_resp_t *resp)
{
    char asset[16], symbol[32];
    int h, sim;
    int64_t at, last_ts;
    int rc = predict_params(req, resp, asset, symbol, &h, &at, &sim, &last_ts);
    if (rc) return rc;
    cpe_prediction_t p;
    char *ex = NULL;
    cpe_store_t *st = cpe_req_reader(req)->store;
    rc = st->ops->get_prediction(st, symbol, h, at, &p, &ex);
    if (rc == CPE_ENOTFOUND || (!rc && !ex)) {
        free(ex);
        return unavailable(resp, "explanation", at);
    }
    if (rc)
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0,
                              "store error reading predictions");
    json_t *ej = json_loads(ex, 0, NULL);
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "asset", asset);
    cpe_jw_kint(&w, "horizon_hours", h);
    kiso(&w, "ts", p.ts_ms);
    cpe_jw_kint(&w, "t_ms", p.ts_ms);
    cpe_jw_knum(&w, "p_up", p.p_up);
    cpe_jw_kstr(&w, "model_version", p.model_version);
    cpe_jw_kbool(&w, "simulated", sim);
    if (json_is_object(ej)) {
        const char *k;
        json_t *v;
        json_object_foreach(ej, k, v)
        {
            if (!strcmp(k, "asset") || !strcmp(k, "horizon_hours") || !strcmp(k, "ts") ||
                !strcmp(k, "t_ms") || !strcmp(k, "p_up") || !strcmp(k, "model_version") ||
                !strcmp(k, "simulated"))
                continue;
            char *vs = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
            if (vs) {
                cpe_jw_key(&w, k);
                cpe_jw_raw(&w, vs);
                free(vs);
            }
        }
    }
    cpe_jw_end(&w);
    json_decref(ej);
    free(ex);
    return w.err;
}

static int route_predictions(cpe_req_t *req, cpe_resp_t *resp)
{
    char asset[16], symbol[32];
    int h, sim, rc;
    int64_t from, to, last_ts;
    if ((rc = cpe_param_asset(req, resp, 1, asset, symbol))) return rc;
    if ((rc = cpe_param_horizon(req, resp, 1, &h))) return rc;
    if ((rc = cpe_param_time(req, resp, "to", req->now_ms, &to))) return rc;
    if ((rc = cpe_param_time(req, resp, "from", to - CPE_MS_PER_DAY, &from))) return rc;
    if (from >= to)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "from", NULL, 0,
                              "from must be before to");
    if ((rc = asset_in_store(req, resp, asset, symbol, &sim, &last_ts))) return rc;
    cpe_prediction_t *p = NULL;
    size_t n = 0;
    cpe_store_t *st = cpe_req_reader(req)->store;
    rc = st->ops->get_predictions(st, symbol, h, from, to, &p, &n);
    if (rc) {
        free(p);
        return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0,
                              "store error reading predictions");
    }
    size_t first = n > 20000 ? n - 20000 : 0;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "asset", asset);
    cpe_jw_kint(&w, "horizon_hours", h);
    cpe_jw_kbool(&w, "simulated", sim);
    cpe_jw_kbool(&w, "truncated", first > 0);
    cpe_jw_key(&w, "records");
    cpe_jw_arr(&w);
    for (size_t i = first; i < n; i++) {
        cpe_jw_obj(&w);
        cpe_jw_kint(&w, "t_ms", p[i].ts_ms);
        cpe_jw_knum(&w, "close", p[i].close);
        cpe_jw_knum(&w, "p_up", p[i].p_up);
        cpe_jw_knum(&w, "expected_move", p[i].expected_move);
        cpe_jw_knum(&w, "volatility", p[i].volatility);
        cpe_jw_knum(&w, "p023", p[i].p023);
        cpe_jw_knum(&w, "p159", p[i].p159);
        cpe_jw_knum(&w, "p500", p[i].p500);
        cpe_jw_knum(&w, "p841", p[i].p841);
        cpe_jw_knum(&w, "p977", p[i].p977);
        cpe_jw_kstr(&w, "regime", p[i].regime);
        cpe_jw_kstr(&w, "confidence", p[i].confidence);
        cpe_jw_kstr(&w, "model_version", p[i].model_version);
        cpe_jw_kbool(&w, "stale", p[i].stale);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    free(p);
    return w.err;
}

/* ---------- /metrics ---------- */

/* Direction accuracy of predictions resolved in the last 24 h and PSI drift of p_up. */
static void accuracy(cpe_api_t *api, const char *symbol, int h, int64_t now, double *acc, int *nres,
                     double *psi)
{
    *acc = NAN;
    *nres = 0;
    *psi = NAN;
    int64_t hms = (int64_t)h * CPE_MS_PER_HOUR;
    int64_t from = now - 8 * CPE_MS_PER_DAY - hms;
    cpe_prediction_t *p = NULL;
    size_t n = 0;
    if (api->store->ops->get_predictions(api->store, symbol, h, from, now, &p, &n) || n == 0) {
        free(p);
        return;
    }
    /* realised closes: the 1m bar whose close is the label end (ts + h hours) */
    char inst[CPE_INSTR_KEY_MAX];
    int sim;
    int64_t last;
    cpe_kline_t *k = NULL;
    size_t nk = 0;
    int64_t r_from = now - CPE_MS_PER_DAY - hms - CPE_MS_PER_HOUR;
    if (!cpe_api_kline_series(api, symbol, inst, &sim, &last))
        cpe_store_read_klines(api->store, inst, "kline:1m", r_from, now, &k, &nk);
    int hits = 0, tot = 0;
    size_t j = 0;
    double cur[10] = {0}, ref[10] = {0};
    int ncur = 0, nref = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t due = p[i].ts_ms + CPE_MS_PER_MIN + hms;
        if (!isnan(p[i].p_up)) {
            int bin = (int)fmin(9, fmax(0, floor(p[i].p_up * 10)));
            if (p[i].ts_ms >= now - CPE_MS_PER_DAY)
                cur[bin]++, ncur++;
            else
                ref[bin]++, nref++;
        }
        if (due > now || due < now - CPE_MS_PER_DAY || isnan(p[i].p_up)) continue;
        int64_t want = p[i].ts_ms + hms; /* open time of the bar closing at due */
        while (j < nk && k[j].ts_ms < want)
            j++;
        if (j < nk && k[j].ts_ms == want) {
            tot++;
            if ((k[j].close > p[i].close) == (p[i].p_up > 0.5)) hits++;
        }
    }
    if (tot) *acc = (double)hits / tot;
    *nres = tot;
    if (ncur >= 50 && nref >= 50) {
        double s = 0;
        for (int b = 0; b < 10; b++) {
            double a = fmax(cur[b] / ncur, 1e-4), e = fmax(ref[b] / nref, 1e-4);
            s += (a - e) * log(a / e);
        }
        *psi = s;
    }
    free(p);
    free(k);
}

static int route_metrics(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_api_t *api = req->api;
    static cpe_stats_gauges_t cached;
    static int64_t cached_at;
    cpe_stats_gauges_t g = cached;
    if (req->now_ms - cached_at > 60000) {
        memset(&g, 0, sizeof g);
        for (size_t a = 0; a < cpe_asset_count() && a < CPE_ASSETS_MAX; a++) {
            const char *sym = cpe_asset_at(a)->symbol;
            for (int h = 0; h < CPE_NHORIZONS; h++) {
                int i = g.n_acc++;
                g.acc_asset[i] = cpe_asset_at(a)->asset;
                g.acc_horizon[i] = cpe_horizons_h[h];
                accuracy(api, sym, cpe_horizons_h[h], req->now_ms, &g.acc_24h[i], &g.acc_n[i],
                         &g.drift[i]);
            }
        }
        cached = g;
        cached_at = req->now_ms;
    }
    g.ws_clients = api->nclients;
    g.simulated = api->simulated;
    g.ingest_lag_s = NAN;
    cpe_live_status_t ls;
    cpe_live_get_status(api->live, &ls);
    for (int i = 0; i < ls.nsym && i < CPE_ASSETS_MAX; i++) {
        const cpe_asset_t *as = cpe_asset_find(ls.symbol[i]); /* ls is ours: keep its names */
        if (!as) continue;
        g.model_drift_symbol[g.n_model_drift] = as->symbol;
        g.model_drift[g.n_model_drift++] = ls.drift[i];
    }
    char inst[CPE_INSTR_KEY_MAX];
    int sim;
    int64_t last;
    if (!cpe_api_kline_series(api, cpe_asset_at(0)->symbol, inst, &sim, &last))
        g.ingest_lag_s = (double)(req->now_ms - (last + CPE_MS_PER_MIN)) / 1000.0;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    int rc = cpe_stats_render(&api->stats, &g, &resp->body);
    return rc ? rc : cpe_calcache_write_metrics(api->calcache, &resp->body);
}

static int route_openapi(cpe_req_t *req, cpe_resp_t *resp)
{
    (void)req;
    return cpe_openapi_write(cpe_api_routes, &resp->body);
}
