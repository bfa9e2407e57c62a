/* runs.c — a finished strategy run kept in the store (cpe_bt_run_save, backtest.h): what
 * GET /backtests lists and the cockpit compares. The result JSON is stored whole; its
 * "config" and "metrics" members are copied out so that a listing need not read it. */
#include "cpe/backtest.h"
#include "cpe/timeutil.h"
#include "cpe/wfcache.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* member k of the JSON object o, compact; NULL when absent or out of memory */
static char *member(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

static void day_text(int64_t ms, char out[16])
{
    int y;
    unsigned m, dd;
    cpe_civil_from_days(cpe_floor_ms(ms, CPE_MS_PER_DAY) / CPE_MS_PER_DAY, &y, &m, &dd);
    snprintf(out, 16, "%04d%02u%02u", y, m, dd);
}

static void versions(cpe_store_run_t *run, const cpe_bt_result_t *r, int64_t from_ms, int64_t to_ms)
{
    char last[32] = "none";
    if (r->n) cpe_format_iso8601(r->ts_ms[r->n - 1], last);
    snprintf(run->data_version, sizeof run->data_version, "%.90s: %zu bars, last %s", r->source,
             r->n, last);
    int nf = cpe_wfc_fold_count(from_ms, to_ms);
    char a[16], b[16];
    day_text(cpe_wfc_fold_start(from_ms, 0), a);
    day_text(cpe_wfc_fold_start(from_ms, nf > 0 ? nf - 1 : 0), b);
    snprintf(run->model_version, sizeof run->model_version, "%s-wf-%s..%s (code %d)", r->symbol, a,
             b, CPE_WFC_CODE_VERSION);
}

int cpe_bt_run_save(cpe_store_t *st, const char *id, int64_t created_ms, const char *instrument,
                    int64_t from_ms, int64_t to_ms, const cpe_bt_result_t *r,
                    const char *result_json, cpe_diag_t *d)
{
    json_error_t e;
    json_t *o = json_loads(result_json, 0, &e);
    if (!json_is_object(o)) {
        json_decref(o);
        return cpe_diag_set(d, CPE_EINVAL, "run %s: the result is not a JSON object: %s", id,
                            e.text);
    }
    cpe_store_run_t run = {.created_ms = created_ms, .from_ms = from_ms, .to_ms = to_ms};
    snprintf(run.id, sizeof run.id, "%s", id);
    snprintf(run.instrument, sizeof run.instrument, "%s", instrument);
    versions(&run, r, from_ms, to_ms);
    run.strategy_json = member(o, "config");
    run.metrics_json = member(o, "metrics");
    run.result_json = (char *)result_json;
    json_decref(o);
    int rc;
    if (!run.strategy_json || !run.metrics_json)
        rc = cpe_diag_set(d, CPE_EINVAL, "run %s: the result has no config or metrics", id);
    else if ((rc = st->ops->put_run(st, &run)))
        cpe_diag_set(d, rc, "run %s: %s", id, st->diag.msg);
    free(run.strategy_json);
    free(run.metrics_json);
    return rc;
}
