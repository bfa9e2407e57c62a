/* feed.c — live feed lifecycle, event delivery with dedupe and gap detection, status
 * (see cpe/feed.h; threads in feed_ws.c and feed_rest.c). */
#include "sources/feed_int.h"
#include "cpe/log.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <stdlib.h>
#include <string.h>

const cpe_exchange_t *feed_provider(int prov)
{
    return cpe_exchanges()[prov];
}

void cpe_feed_config_default(cpe_feed_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->symbols[0] = cpe_asset_at(0)->symbol; /* the first configured asset */
    c->nsymbols = 1;
    c->spot = c->perp = 1;
    c->kinds = (1u << CPE_DK_KLINE) | (1u << CPE_DK_TRADE) | (1u << CPE_DK_FUNDING) |
               (1u << CPE_DK_OI) | (1u << CPE_DK_LIQ);
    c->recover_ms = 30000;
    c->backoff_base_ms = 500;
    c->backoff_cap_ms = 30000;
    const char *b = getenv("CPE_FEED_BACKOFF_MS"); /* tests: faster retries */
    int64_t base;
    if (b && !cpe_parse_i64(b, strlen(b), &base) && base >= 1 && base <= 60000)
        c->backoff_base_ms = base, c->backoff_cap_ms = 60 * base;
    c->rest_timeout_ms = 10000;
    c->backfill_max_ms = 24 * CPE_MS_PER_HOUR;
    c->queue_cap = 65536;
    c->seed = 1;
}

int feed_sym_index(struct cpe_feed *f, const char *symbol)
{
    for (int i = 0; i < f->cfg.nsymbols; i++)
        if (!strcmp(f->cfg.symbols[i], symbol)) return i;
    return -1;
}

static void push(struct cpe_feed *f, int prov, int backfill, const cpe_market_event_t *ev,
                 int64_t recv_ms)
{
    if (f->qlen == f->qcap) {
        f->st.dropped_overflow++;
        return;
    }
    cpe_feed_event_t *e = &f->q[(f->qhead + f->qlen) % f->qcap];
    e->exchange = feed_provider(prov);
    e->backfill = backfill;
    e->ev = *ev;
    e->recv_ms = recv_ms;
    f->qlen++;
    f->st.events++;
    pthread_cond_broadcast(&f->data_cond); /* cpe_feed_wait_events */
}

static int already_delivered(feed_kstate_t *ks, int64_t ts_ms)
{
    int64_t minute = ts_ms / CPE_MS_PER_MIN;
    return ks->delivered[minute % FEED_DELIVERED_RING] == minute;
}

void feed_request_backfill(struct cpe_feed *f, int sym, cpe_market_kind_t m, int64_t from_ms,
                           int64_t to_ms)
{
    if (to_ms - from_ms > f->cfg.backfill_max_ms) from_ms = to_ms - f->cfg.backfill_max_ms;
    from_ms = cpe_floor_ms(from_ms, CPE_MS_PER_MIN);
    if (to_ms <= from_ms) return;
    feed_job_t j = {.prov = f->fb[sym][m][CPE_DK_KLINE].active,
                    .sym = sym,
                    .kind = CPE_DK_KLINE,
                    .m = m,
                    .from_ms = from_ms,
                    .to_ms = to_ms};
    f->st.backfill_requests++;
    if (feed_job_push(f, &j))
        cpe_warn("feed: backfill queue full; %s bars from %lld are not requested",
                 f->cfg.symbols[sym], (long long)from_ms);
}

void feed_deliver(struct cpe_feed *f, int prov, int backfill, const cpe_market_event_t *ev0,
                  int64_t now_ms)
{
    int sym = feed_sym_index(f, ev0->symbol);
    if (sym < 0 || (unsigned)ev0->kind >= CPE_DK_COUNT) return; /* not followed */
    cpe_market_event_t ev = *ev0;
    int m = ev.market == CPE_SPOT ? 0 : 1;
    cpe_fallback_t *fb = &f->fb[sym][m][ev.kind];
    if (!backfill) {
        cpe_fb_event(fb, prov, now_ms);
        if (!cpe_fb_use(fb, prov)) return; /* a standby provider: freshness only */
    }
    if (ev.kind == CPE_DK_BOOK && ev.point.ts_ms == 0) ev.point.ts_ms = now_ms;
    if (ev.kind == CPE_DK_KLINE) {
        feed_kstate_t *ks = &f->ks[sym][m];
        if (backfill && ev.kline.ts_ms + CPE_MS_PER_MIN > now_ms) return; /* not closed yet */
        if (ev.closed || backfill) {
            if (already_delivered(ks, ev.kline.ts_ms) ||
                (ks->last_closed_ms - ev.kline.ts_ms >= FEED_DELIVERED_RING * CPE_MS_PER_MIN)) {
                f->st.duplicates++;
                return;
            }
            if (!backfill && ks->last_closed_ms &&
                ev.kline.ts_ms > ks->last_closed_ms + CPE_MS_PER_MIN)
                feed_request_backfill(f, sym, ev.market, ks->last_closed_ms + CPE_MS_PER_MIN,
                                      ev.kline.ts_ms);
            int64_t minute = ev.kline.ts_ms / CPE_MS_PER_MIN;
            ks->delivered[minute % FEED_DELIVERED_RING] = minute;
            if (ev.kline.ts_ms > ks->last_closed_ms) ks->last_closed_ms = ev.kline.ts_ms;
            ev.closed = 1;
            if (backfill) f->st.backfilled_bars++;
        } else if (ev.kline.ts_ms <= ks->last_closed_ms) {
            f->st.duplicates++; /* an in-progress update of a bar already closed */
            return;
        }
        if (!f->have_data) {
            f->have_data = 1;
            pthread_cond_broadcast(&f->data_cond);
        }
    }
    if (!backfill) f->last_used_ms[sym][m][ev.kind] = now_ms;
    push(f, prov, backfill, &ev, now_ms);
}

int cpe_feed_start(const cpe_feed_config_t *c, cpe_feed_t **out, cpe_diag_t *d)
{
    *out = NULL;
    if (c->nsymbols < 1 || c->nsymbols > CPE_FEED_MAX_SYMBOLS)
        return cpe_diag_set(d, CPE_EINVAL, "feed: between 1 and %d symbols", CPE_FEED_MAX_SYMBOLS);
    struct cpe_feed *f = calloc(1, sizeof *f);
    if (!f) return cpe_diag_set(d, CPE_ENOMEM, "feed: out of memory");
    f->cfg = *c;
    if (!f->cfg.kinds) f->cfg.kinds = (1u << CPE_DK_KLINE);
    f->qcap = c->queue_cap ? c->queue_cap : 65536;
    f->q = calloc(f->qcap, sizeof *f->q);
    if (!f->q) {
        free(f);
        return cpe_diag_set(d, CPE_ENOMEM, "feed: out of memory");
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->data_cond, NULL);
    pthread_mutex_init(&f->jmu, NULL);
    pthread_cond_init(&f->jcond, NULL);
    cpe_rng_seed(&f->rng, c->seed);
    int64_t now = cpe_now_ms();
    for (int s = 0; s < c->nsymbols; s++)
        for (int m = 0; m < 2; m++)
            for (int k = 0; k < CPE_DK_COUNT; k++) {
                int64_t age = c->max_age_ms[k] ? c->max_age_ms[k] : cpe_data_kind_max_age_ms(k);
                cpe_fb_init(&f->fb[s][m][k], FEED_NPROV, age, c->recover_ms, now);
            }
    for (int p = 0; p < FEED_NPROV; p++)
        cpe_tb_init(&f->tb[p], feed_provider(p)->rest_per_min, 5, now);
    int rc = feed_ws_init(f, d);
    if (rc) {
        cpe_feed_stop(f);
        return rc;
    }
    if (pthread_create(&f->rest_thread, NULL, feed_rest_main, f) == 0) f->rest_started = 1;
    if (pthread_create(&f->ws_thread, NULL, feed_ws_main, f) == 0) f->ws_started = 1;
    if (!f->rest_started || !f->ws_started) {
        cpe_feed_stop(f);
        return cpe_diag_set(d, CPE_EINTERNAL, "feed: cannot start threads");
    }
    *out = f;
    return 0;
}

size_t cpe_feed_poll(cpe_feed_t *f, cpe_feed_event_t *out, size_t cap)
{
    pthread_mutex_lock(&f->mu);
    size_t n = 0;
    while (n < cap && f->qlen) {
        out[n++] = f->q[f->qhead];
        f->qhead = (f->qhead + 1) % f->qcap;
        f->qlen--;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

int cpe_feed_wait_data(cpe_feed_t *f, int64_t timeout_ms)
{
    struct timespec ts = cpe_realtime_after_ms(timeout_ms);
    pthread_mutex_lock(&f->mu);
    int rc = 0;
    while (!f->have_data && rc == 0)
        rc = pthread_cond_timedwait(&f->data_cond, &f->mu, &ts);
    int ok = f->have_data;
    pthread_mutex_unlock(&f->mu);
    return ok ? 0 : CPE_ETIMEOUT;
}

int cpe_feed_wait_events(cpe_feed_t *f, int64_t timeout_ms)
{
    struct timespec ts = cpe_realtime_after_ms(timeout_ms);
    pthread_mutex_lock(&f->mu);
    int rc = 0;
    while (!f->qlen && rc == 0)
        rc = pthread_cond_timedwait(&f->data_cond, &f->mu, &ts);
    int ok = f->qlen > 0;
    pthread_mutex_unlock(&f->mu);
    return ok ? 0 : CPE_ETIMEOUT;
}

void cpe_feed_status(cpe_feed_t *f, cpe_feed_status_t *st)
{
    int64_t now = cpe_now_ms();
    pthread_mutex_lock(&f->mu);
    *st = f->st;
    for (int k = 0; k < CPE_DK_COUNT; k++) {
        cpe_feed_kind_status_t *ks = &st->kinds[k];
        ks->kind = cpe_data_kind_name(k);
        ks->max_age_ms = f->fb[0][1][k].max_age_ms;
        ks->stale = 1;
        int followed = (f->cfg.kinds >> k) & 1;
        /* a kind counts as fresh when every followed (symbol, market) has fresh data */
        int64_t oldest = 0;
        int any = 0, stale = 0, switches = 0;
        for (int s = 0; s < f->cfg.nsymbols; s++)
            for (int m = 0; m < 2; m++) {
                if ((m == 0 && !f->cfg.spot) || (m == 1 && !f->cfg.perp)) continue;
                if (m == 0 && (k == CPE_DK_FUNDING || k == CPE_DK_OI || k == CPE_DK_LIQ)) continue;
                int64_t t = f->last_used_ms[s][m][k];
                any = 1;
                if (!t || now - t > ks->max_age_ms) stale = 1;
                if (!oldest || (t && t < oldest) || !t) oldest = t;
                switches += f->fb[s][m][k].switches;
                ks->active = feed_provider(f->fb[s][m][k].active)->name;
            }
        ks->last_event_ms = oldest;
        ks->stale = followed && any ? stale : 0;
        ks->switches = switches;
        if (!ks->active) ks->active = feed_provider(0)->name;
    }
    int open = 0;
    for (int i = 0; i < f->nconns; i++)
        open += f->conns[i].state == C_OPEN;
    st->connected = open;
    pthread_mutex_unlock(&f->mu);
}

void cpe_feed_stop(cpe_feed_t *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_mutex_unlock(&f->mu);
    pthread_mutex_lock(&f->jmu);
    pthread_cond_broadcast(&f->jcond);
    pthread_mutex_unlock(&f->jmu);
    if (f->ws_started) {
        feed_ws_wake(f);
        pthread_join(f->ws_thread, NULL);
    }
    feed_ws_destroy(f);
    if (f->rest_started) pthread_join(f->rest_thread, NULL);
    for (int i = 0; i < f->nconns; i++)
        cpe_buf_free(&f->conns[i].rx);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->data_cond);
    pthread_mutex_destroy(&f->jmu);
    pthread_cond_destroy(&f->jcond);
    free(f->q);
    free(f);
}
