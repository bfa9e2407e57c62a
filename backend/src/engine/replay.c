/* replay.c — the replay clock: stored bars and the predictions made at them, in time
 * order, with their running accuracy (see cpe/replay.h). */
#include "cpe/replay.h"

#include "cpe/barload.h"
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
