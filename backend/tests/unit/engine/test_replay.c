/* test_replay.c — the replay clock: every stored bar once, in order, across batch
 * boundaries and gaps; the predictions of a bar are those made at its last minute; the
 * running accuracy counts a prediction when its horizon has passed, right or wrong as the
 * close moved. */
#include "cpe/replay.h"
#include "cpe/timeutil.h"
#include "test.h"
#include "test_bars.h"

#include <string.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL

static void put_pred(cpe_store_t *st, int64_t ts, int h, double close, double p_up)
{
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    p.ts_ms = ts;
    snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    p.horizon_h = h;
    p.close = close;
    p.p_up = p_up;
    snprintf(p.model_version, sizeof p.model_version, "t");
    CHECK(st->ops->put_prediction(st, &p, NULL) == 0);
}

static void test_every_bar_once_in_order_across_batches_and_gaps(void)
{
    int n = CPE_REPLAY_BATCH * 2 + 100;
    cpe_kline_t *k = test_random_walk(T0, n, 3);
    /* a gap: bars 700..759 are missing */
    memmove(k + 700, k + 760, (size_t)(n - 760) * sizeof *k);
    cpe_store_t *st = test_store_with("replay_order", "binance:spot:BTCUSDT", k, n - 60);
    cpe_replay_t r;
    memset(&r, 0, sizeof r);
    r.store = st;
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    r.interval_ms = MIN;
    r.next_ts = T0;
    int seen = 0, ordered = 1;
    int64_t prev = INT64_MIN;
    for (const cpe_bar_t *b; (b = cpe_replay_next(&r));) {
        if (b->ts_ms <= prev) ordered = 0;
        if (b->ts_ms != k[seen].ts_ms || b->close != k[seen].close) ordered = 0;
        prev = b->ts_ms;
        seen++;
    }
    CHECK_EQ_INT(seen, n - 60);
    CHECK(ordered);
    cpe_replay_free(&r);
    free(k);
    cpe_store_close(st);
}

static void test_predictions_at_the_last_minute_and_their_accuracy(void)
{
    int n = 4 * 60;
    cpe_kline_t *k = test_random_walk(T0, n, 5);
    cpe_store_t *st = test_store_with("replay_acc", "binance:spot:BTCUSDT", k, n);
    /* made at the close of the bar opening at 00:59 (the last minute of the first hour):
     * one right, one wrong about the close an hour later (the bar opening at 01:59) */
    int i0 = 59, i1 = 119;
    int up = k[i1].close > k[i0].close;
    put_pred(st, k[i0].ts_ms, 1, k[i0].close, up ? 0.8 : 0.2);
    put_pred(st, k[i0].ts_ms, 4, k[i0].close, 0.6);
    put_pred(st, k[i0].ts_ms + 30 * MIN, 1, k[i0].close, 0.9); /* mid-hour: not in 1h bars */
    cpe_replay_t r;
    memset(&r, 0, sizeof r);
    r.store = st;
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    r.interval_ms = CPE_MS_PER_HOUR;
    r.next_ts = T0;
    const cpe_bar_t *b = cpe_replay_next(&r);
    CHECK(b && b->ts_ms == T0);
    int npred = 0;
    for (const cpe_prediction_t *p; (p = cpe_replay_next_pred(&r, b));) {
        CHECK(p->ts_ms == k[i0].ts_ms);
        npred++;
    }
    CHECK_EQ_INT(npred, 2);
    CHECK(r.total == 0);
    b = cpe_replay_next(&r); /* closes at 02:00: the 1h prediction is due, the 4h one not */
    CHECK(b && b->ts_ms == T0 + CPE_MS_PER_HOUR);
    CHECK(cpe_replay_next_pred(&r, b) == NULL);
    CHECK(r.total == 1 && r.hits == 1);
    CHECK(cpe_replay_next(&r) && cpe_replay_next(&r));
    CHECK(cpe_replay_next(&r) == NULL); /* four hours stored */
    CHECK(r.total == 1);                /* the 4h outcome (05:00) was never closed */
    cpe_replay_free(&r);
    free(k);
    cpe_store_close(st);
}

int main(void)
{
    RUN(test_every_bar_once_in_order_across_batches_and_gaps);
    RUN(test_predictions_at_the_last_minute_and_their_accuracy);
    return TEST_DONE();
}
