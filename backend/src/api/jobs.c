/* jobs.c — POST /backtest and GET /backtest/{id}.
 *
 * The backtest engine (include/cpe/backtest.h) has not landed yet: until it does, POST
 * answers 503 BACKTEST_UNAVAILABLE (a clear error, never a made-up result) and GET
 * answers 404 for any id, since no job can exist. The job table and worker threads come
 * with the engine. */
#include "api/server.h"

#include <stdlib.h>

struct cpe_jobs {
    int workers;
};

int cpe_jobs_new(cpe_api_t *api, int workers, cpe_jobs_t **out)
{
    (void)api;
    *out = calloc(1, sizeof **out);
    if (!*out) return CPE_ENOMEM;
    (*out)->workers = workers;
    return 0;
}

void cpe_jobs_free(cpe_jobs_t *j)
{
    free(j);
}

int cpe_route_backtest_post(cpe_req_t *req, cpe_resp_t *resp)
{
    char asset[16], symbol[32];
    int64_t from, to;
    int rc;
    if ((rc = cpe_param_asset(req, resp, 1, asset, symbol))) return rc;
    if ((rc = cpe_param_time(req, resp, "from", INT64_MIN, &from))) return rc;
    if ((rc = cpe_param_time(req, resp, "to", INT64_MIN, &to))) return rc;
    if (from == INT64_MIN || to == INT64_MIN)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", from == INT64_MIN ? "from" : "to",
                              NULL, 0, "from and to are required");
    if (from >= to)
        return cpe_resp_error(resp, 400, "INVALID_PARAMETER", "from", NULL, 0, "from must be before to");
    return cpe_resp_error(resp, 503, "BACKTEST_UNAVAILABLE", NULL, NULL, 3600,
                          "the backtest engine is not part of this build yet");
}

int cpe_route_backtest_get(cpe_req_t *req, cpe_resp_t *resp)
{
    return cpe_resp_error(resp, 404, "NOT_FOUND", "job_id", req->path_param, 0,
                          "no backtest job '%s'", req->path_param ? req->path_param : "");
}
