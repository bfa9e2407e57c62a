/* feed_gaps.c — the holes of the store, refilled by the feed (cpe/feed.h,
 * cpe_feed_fill_store_gaps). The store's missing 1m bars are the durable record of holes:
 * a hole that could not be filled while running (every exchange's REST down, a full job
 * queue, a kill) is still a hole at the next sweep or start, so it is asked for again. */
#include "sources/feed_int.h"
#include "cpe/log.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 64                         /* backfill requests per (symbol, market) and sweep */
#define SWEEP_EVERY_MS (5 * CPE_MS_PER_MIN) /* periodic sweeps while running */
#define SETTLE_MS (2 * CPE_MS_PER_MIN)      /* the newest minutes still arrive from the stream */

/* Mark in have[] the minutes of [from, to) stored under any exchange for (sym, market);
 * *before = 1 when one has a bar in the day before from. */
static int mark_stored(cpe_store_t *st, const char *sym, cpe_market_kind_t m, int64_t from,
                       int64_t to, unsigned char *have, int *before)
{
    for (const cpe_exchange_t *const *e = cpe_exchanges(); *e; e++) {
        char key[CPE_INSTR_KEY_MAX];
        int64_t id;
        snprintf(key, sizeof key, "%s:%s:%s", (*e)->name, m == CPE_SPOT ? "spot" : "perp", sym);
        int rc = st->ops->series_id(st, key, "kline:1m", CPE_MS_PER_MIN, 0, 0, &id);
        if (rc == CPE_ENOTFOUND) continue;
        if (rc) return rc;
        cpe_kline_t *k = NULL;
        size_t n = 0;
        if ((rc = st->ops->get_klines(st, id, from - CPE_MS_PER_DAY, to, &k, &n))) {
            free(k);
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            if (k[i].ts_ms < from)
                *before = 1;
            else
                have[(k[i].ts_ms - from) / CPE_MS_PER_MIN] = 1;
        }
        free(k);
    }
    return 0;
}

/* Ask for every run of missing minutes of (sym, market) in [from, to); returns how many
 * requests were made. Past MAX_RUNS runs the rest is one request to the end. */
static int request_runs(struct cpe_feed *f, int sym, cpe_market_kind_t m, int64_t from,
                        const unsigned char *have, int64_t nmin, int before)
{
    int64_t i = 0;
    if (!before)
        while (i < nmin && !have[i]) /* nothing stored before the first bar: not a hole */
            i++;
    int runs = 0;
    while (i < nmin) {
        if (have[i]) {
            i++;
            continue;
        }
        int64_t j = i;
        if (runs + 1 < MAX_RUNS)
            while (j < nmin && !have[j])
                j++;
        else
            j = nmin;
        pthread_mutex_lock(&f->mu);
        feed_request_backfill(f, sym, m, from + i * CPE_MS_PER_MIN, from + j * CPE_MS_PER_MIN);
        pthread_mutex_unlock(&f->mu);
        cpe_info("feed: %s %s: %lld missing minute(s) from %lld asked for again",
                 f->cfg.symbols[sym], m == CPE_SPOT ? "spot" : "perp", (long long)(j - i),
                 (long long)(from + i * CPE_MS_PER_MIN));
        runs++;
        i = j;
    }
    return runs;
}

int cpe_feed_fill_store_gaps(cpe_feed_t *f, struct cpe_store *st, int64_t now_ms, int force,
                             cpe_diag_t *d)
{
    if (!force && (now_ms < f->next_sweep_ms || cpe_feed_pending(f) > 0)) return 0;
    f->next_sweep_ms = now_ms + SWEEP_EVERY_MS;
    int64_t to = cpe_floor_ms(now_ms - (force ? 0 : SETTLE_MS), CPE_MS_PER_MIN);
    int64_t from = cpe_floor_ms(to - f->cfg.backfill_max_ms, CPE_MS_PER_MIN);
    int64_t nmin = (to - from) / CPE_MS_PER_MIN;
    if (nmin <= 0) return 0;
    unsigned char *have = malloc((size_t)nmin);
    if (!have) return cpe_diag_set(d, CPE_ENOMEM, "feed: out of memory");
    int rc = 0;
    for (int s = 0; s < f->cfg.nsymbols && !rc; s++)
        for (int m = 0; m < 2 && !rc; m++) {
            if (!(m == CPE_SPOT ? f->cfg.spot : f->cfg.perp)) continue;
            int before = 0;
            memset(have, 0, (size_t)nmin);
            rc = mark_stored(st, f->cfg.symbols[s], (cpe_market_kind_t)m, from, to, have, &before);
            if (!rc) request_runs(f, s, (cpe_market_kind_t)m, from, have, nmin, before);
        }
    free(have);
    if (rc) return cpe_diag_set(d, rc, "feed: reading the store's gaps: %s", st->diag.msg);
    return 0;
}
