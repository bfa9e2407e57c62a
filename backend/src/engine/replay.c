/* replay.c — the replay clock: stored bars and the predictions made at them, in time
 * order, with their running accuracy (see cpe/replay.h). */
#include "cpe/replay.h"

#include "cpe/barload.h"
#include "cpe/mldata.h"
#include "cpe/registry.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cpe_replay_free(cpe_replay_t *r)
{
    free(r->bars);
    free(r->preds);
    free(r->pend);
    r->bars = NULL;
    r->preds = NULL;
    r->pend = NULL;
    r->nbars = r->pos = r->npreds = r->ppos = r->pend_len = r->pend_head = 0;
    r->hits = r->total = 0;
    free(r->drift_ref);
    free(r->drift);
    free(r->drift_at);
    r->drift_ref = NULL;
    r->drift = NULL;
    r->drift_at = NULL;
}

int cpe_replay_drift_open(cpe_replay_t *r, const char *models_dir, cpe_diag_t *d)
{
    if (r->interval_ms > CPE_MS_PER_HOUR)
        return cpe_diag_set(d, CPE_EUNSUPPORTED, "replay: no drift score for bars over an hour");
    cpe_registry_t reg;
    cpe_registry_init(&reg, models_dir);
    cpe_modelset_t ms;
    memset(&ms, 0, sizeof ms);
    char v[CPE_VERSION_MAX];
    int rc = cpe_registry_load(&reg, r->symbol, NULL, &ms, v, d);
    if (rc) return rc;
    if (!ms.drift.k) {
        cpe_modelset_free(&ms);
        return cpe_diag_set(d, CPE_EDATA, "%s: champion %s has no drift reference", r->symbol, v);
    }
    free(r->drift_ref);
    free(r->drift);
    r->drift_ref = malloc(sizeof *r->drift_ref);
    r->drift = malloc(sizeof *r->drift);
    if (r->drift_ref) *r->drift_ref = ms.drift;
    cpe_modelset_free(&ms);
    if (!r->drift_ref || !r->drift) {
        free(r->drift_ref);
        free(r->drift);
        r->drift_ref = NULL;
        r->drift = NULL;
        return cpe_diag_set(d, CPE_ENOMEM, "replay: out of memory");
    }
    r->drift->last_ts_ms = INT64_MIN; /* bound to the features' columns at the first batch */
    return 0;
}

double cpe_replay_drift(const cpe_replay_t *r)
{
    return r->drift_at && r->pos > 0 ? r->drift_at[r->pos - 1] : NAN;
}

/* The minutes up to the last loaded bar's close through the ring (from the minute after the
 * newest one pushed, at most a ring's length before the first bar), the score after each
 * bar's last minute into drift_at. A batch without features leaves its bars without. */
static void drift_load(cpe_replay_t *r)
{
    free(r->drift_at);
    r->drift_at = malloc(r->nbars * sizeof *r->drift_at);
    if (!r->drift_at) return;
    for (size_t j = 0; j < r->nbars; j++)
        r->drift_at[j] = NAN;
    cpe_drift_track_t *t = r->drift;
    int64_t from = r->bars[0].ts_ms - (int64_t)CPE_DRIFT_RING * CPE_MS_PER_MIN,
            to = r->bars[r->nbars - 1].ts_ms + r->interval_ms;
    if (t->last_ts_ms != INT64_MIN && t->last_ts_ms + CPE_MS_PER_MIN > from)
        from = t->last_ts_ms + CPE_MS_PER_MIN;
    cpe_mldata_t m;
    memset(&m, 0, sizeof m);
    if (from >= to || cpe_mldata_load(r->store, r->symbol, from, to, CPE_MS_PER_MIN,
                                      CPE_MLDATA_WARMUP_MS, &m, NULL) != 0)
        goto out;
    if (t->last_ts_ms == INT64_MIN)
        cpe_drift_track_init(t, r->drift_ref, (const char *const *)m.names, m.ncol);
    size_t i = 0;
    for (size_t j = 0; j < r->nbars; j++) {
        int64_t end = r->bars[j].ts_ms + r->interval_ms;
        for (; i < m.n && m.ts_ms[i] < end; i++)
            cpe_drift_track_push(t, r->drift_ref, m.ts_ms[i], m.X + i * m.ncol);
        r->drift_at[j] = t->score;
    }
out:
    cpe_mldata_free(&m);
}

static int cmp_pred_ts(const void *a, const void *b)
{
    const cpe_prediction_t *x = a, *y = b;
    if (x->ts_ms != y->ts_ms) return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
    return x->horizon_h - y->horizon_h;
}

static int replay_load(cpe_replay_t *r)
{
    free(r->bars);
    free(r->preds);
    r->bars = NULL;
    r->preds = NULL;
    r->nbars = r->pos = r->npreds = r->ppos = 0;
    int64_t to = r->next_ts + (int64_t)CPE_REPLAY_BATCH * r->interval_ms;
    int rc = cpe_load_bars(r->store, r->symbol, r->interval_ms, r->next_ts, to, &r->bars, &r->nbars,
                           NULL, NULL);
    if (rc || r->nbars == 0) return rc ? rc : CPE_ENOTFOUND;
    int64_t p_to = r->bars[r->nbars - 1].ts_ms + r->interval_ms;
    for (int h = 0; h < CPE_NHORIZONS; h++) {
        cpe_prediction_t *p = NULL;
        size_t n = 0;
        if (r->store->ops->get_predictions(r->store, r->symbol, cpe_horizons_h[h], r->bars[0].ts_ms,
                                           p_to, &p, &n) == 0 &&
            n > 0) {
            cpe_prediction_t *np = realloc(r->preds, (r->npreds + n) * sizeof *np);
            if (np) {
                memcpy(np + r->npreds, p, n * sizeof *p);
                r->preds = np;
                r->npreds += n;
            }
        }
        free(p);
    }
    if (r->npreds) qsort(r->preds, r->npreds, sizeof *r->preds, cmp_pred_ts);
    if (r->drift_ref) drift_load(r);
    return 0;
}

static void pend_push(cpe_replay_t *r, const cpe_prediction_t *p)
{
    if (!r->pend) r->pend = calloc(CPE_REPLAY_PENDING, sizeof *r->pend);
    if (!r->pend || !(p->close > 0) || isnan(p->p_up)) return;
    if (r->pend_len == CPE_REPLAY_PENDING) {
        r->pend_head = (r->pend_head + 1) % CPE_REPLAY_PENDING;
        r->pend_len--;
    }
    cpe_replay_pending_t *x = &r->pend[(r->pend_head + r->pend_len) % CPE_REPLAY_PENDING];
    x->due_ms = p->ts_ms + CPE_MS_PER_MIN + (int64_t)p->horizon_h * CPE_MS_PER_HOUR;
    x->close0 = p->close;
    x->up = p->p_up > 0.5;
    r->pend_len++;
}

static void pend_resolve(cpe_replay_t *r, int64_t close_ms, double close)
{
    /* pending entries are not sorted by due time across horizons: scan all */
    size_t w = 0;
    for (size_t i = 0; i < r->pend_len; i++) {
        cpe_replay_pending_t x = r->pend[(r->pend_head + i) % CPE_REPLAY_PENDING];
        if (x.due_ms <= close_ms) {
            r->total++;
            if ((close > x.close0) == x.up) r->hits++;
            continue;
        }
        r->pend[(r->pend_head + w) % CPE_REPLAY_PENDING] = x;
        w++;
    }
    r->pend_len = w;
}

const cpe_bar_t *cpe_replay_next(cpe_replay_t *r)
{
    if (r->pos >= r->nbars && replay_load(r)) return NULL;
    const cpe_bar_t *bar = &r->bars[r->pos++];
    r->next_ts = bar->ts_ms + r->interval_ms;
    pend_resolve(r, bar->ts_ms + r->interval_ms, bar->close);
    return bar;
}

const cpe_prediction_t *cpe_replay_next_pred(cpe_replay_t *r, const cpe_bar_t *bar)
{
    while (r->ppos < r->npreds && r->preds[r->ppos].ts_ms < bar->ts_ms)
        r->ppos++;
    while (r->ppos < r->npreds && r->preds[r->ppos].ts_ms < bar->ts_ms + r->interval_ms) {
        const cpe_prediction_t *p = &r->preds[r->ppos++];
        /* for a coarse bar only the predictions made at its last minute */
        if (p->ts_ms + CPE_MS_PER_MIN != bar->ts_ms + r->interval_ms) continue;
        pend_push(r, p);
        return p;
    }
    return NULL;
}
