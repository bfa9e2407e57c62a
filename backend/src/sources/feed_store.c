/* feed_store.c — persist live-feed events under their true source (see cpe/feed.h). */
#include "cpe/feed.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int series_of(cpe_store_t *st, const cpe_feed_event_t *e, const char *kind,
                     int64_t interval_ms, int64_t *id)
{
    char key[CPE_INSTR_KEY_MAX];
    snprintf(key, sizeof key, "%s:%s:%s", e->exchange->name,
             e->ev.market == CPE_SPOT ? "spot" : "perp", e->ev.symbol);
    return st->ops->series_id(st, key, kind, interval_ms, 0, 1, id);
}

int cpe_feed_store_events(cpe_store_t *st, const cpe_feed_event_t *ev, size_t n, cpe_diag_t *d)
{
    int rc = st->ops->begin(st);
    if (rc) return cpe_diag_set(d, rc, "record: %s", st->diag.msg);
    /* events of one kind that share a timestamp get seq 0, 1, 2 ... in arrival order */
    int32_t seq[CPE_DK_COUNT] = {0};
    int64_t last_ts[CPE_DK_COUNT];
    for (int k = 0; k < CPE_DK_COUNT; k++)
        last_ts[k] = INT64_MIN;
    for (size_t i = 0; i < n && !rc; i++) {
        const cpe_feed_event_t *e = &ev[i];
        int64_t id;
        cpe_point_t p;
        memset(&p, 0, sizeof p);
        for (int k = 0; k < CPE_POINT_NV; k++)
            p.v[k] = NAN;
        switch (e->ev.kind) {
        case CPE_DK_KLINE:
            if (!e->ev.closed) continue;
            if (!(rc = series_of(st, e, "kline:1m", CPE_MS_PER_MIN, &id)))
                rc = st->ops->put_klines(st, id, &e->ev.kline, 1, NULL);
            continue;
        case CPE_DK_FUNDING:
            if (e->ev.point.v[1] != 1) continue; /* an estimate, not a settlement */
            p.ts_ms = e->ev.point.ts_ms;
            p.v[0] = e->ev.point.v[0];
            rc = series_of(st, e, "funding", 8 * CPE_MS_PER_HOUR, &id);
            break;
        case CPE_DK_OI:
            p = e->ev.point;
            rc = series_of(st, e, "oi", 0, &id);
            break;
        case CPE_DK_LIQ:
            p.ts_ms = e->ev.liq.ts_ms;
            p.v[0] = e->ev.liq.side, p.v[1] = e->ev.liq.price, p.v[2] = e->ev.liq.qty;
            rc = series_of(st, e, "liq", 0, &id);
            break;
        case CPE_DK_TRADE:
            p.ts_ms = e->ev.trade.ts_ms;
            p.v[0] = e->ev.trade.price, p.v[1] = e->ev.trade.qty, p.v[2] = e->ev.trade.side;
            rc = series_of(st, e, "trade", 0, &id);
            break;
        case CPE_DK_BOOK:
            p = e->ev.point;
            rc = series_of(st, e, "book", 0, &id);
            break;
        default:
            continue;
        }
        int k = e->ev.kind;
        seq[k] = p.ts_ms == last_ts[k] ? seq[k] + 1 : 0;
        last_ts[k] = p.ts_ms;
        p.seq = seq[k];
        if (!rc) rc = st->ops->put_points(st, id, &p, 1, NULL);
    }
    if (rc) {
        cpe_diag_set(d, rc, "record: %s", st->diag.msg);
        st->ops->rollback(st);
        return rc;
    }
    rc = st->ops->commit(st);
    if (rc) return cpe_diag_set(d, rc, "record: %s", st->diag.msg);
    return 0;
}
