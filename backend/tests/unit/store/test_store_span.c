/* test_store_span.c — a kline series' span (count, first bar, last bar) through
 * series_get, read again after another handle's writes. The SQLite handle remembers the span
 * of an unchanged series (sq_int.h, docs/STORE.md); these checks fail if what it remembers
 * outlives a change: bars after the last, before the first (same days) and on a new day. */
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <stdint.h>

static cpe_kline_t mk(int64_t ts, double px)
{
    cpe_kline_t k = {ts, px, px + 2, px - 1, px + 1, 10, 10 * px, 7, 4, 4 * px};
    return k;
}

/* b's view of series id: count, first and last open time as expected. */
static void check_span(cpe_store_t *b, int64_t id, int64_t count, int64_t first, int64_t last)
{
    cpe_series_info_t si;
    CHECK_EQ_INT(b->ops->series_get(b, id, &si), 0);
    CHECK_MSG(si.count == count && si.first_ts == first && si.last_ts == last,
              "span: count %lld first %lld last %lld, expected %lld %lld %lld", (long long)si.count,
              (long long)si.first_ts, (long long)si.last_ts, (long long)count, (long long)first,
              (long long)last);
}

static void test_store_span_follows_another_handles_writes(void)
{
    char path[1024];
    snprintf(path, sizeof path, "sqlite:%s/span.db", test_tmpdir());
    cpe_store_t *a = NULL, *b = NULL;
    CHECK_EQ_INT(cpe_store_open(path, &a, NULL), 0);
    CHECK_EQ_INT(cpe_store_open(path, &b, NULL), 0);
    if (!a || !b) goto out;
    int64_t id = -1, day = 1704067200000LL, m = CPE_MS_PER_MIN;
    CHECK_EQ_INT(a->ops->series_id(a, "binance:spot:BTCUSDT", "kline:1m", m, 0, 1, &id), 0);
    cpe_kline_t k[5] = {mk(day + 600 * m, 10), mk(day + 601 * m, 11), mk(day + 602 * m, 12),
                        mk(day + 5 * m, 13), mk(day + CPE_MS_PER_DAY + 7 * m, 14)};
    CHECK_EQ_INT(a->ops->put_klines(a, id, k, 2, NULL), 0);
    check_span(b, id, 2, k[0].ts_ms, k[1].ts_ms);
    check_span(b, id, 2, k[0].ts_ms, k[1].ts_ms);               /* the remembered span */
    CHECK_EQ_INT(a->ops->put_klines(a, id, k + 2, 1, NULL), 0); /* after the last */
    check_span(b, id, 3, k[0].ts_ms, k[2].ts_ms);
    CHECK_EQ_INT(a->ops->put_klines(a, id, k + 3, 1, NULL), 0); /* before the first */
    check_span(b, id, 4, k[3].ts_ms, k[2].ts_ms);
    CHECK_EQ_INT(a->ops->put_klines(a, id, k + 4, 1, NULL), 0); /* a new day */
    check_span(b, id, 5, k[3].ts_ms, k[4].ts_ms);
    k[2].close += 1; /* a rewritten bar: same span */
    CHECK_EQ_INT(a->ops->put_klines(a, id, k + 2, 1, NULL), 0);
    check_span(b, id, 5, k[3].ts_ms, k[4].ts_ms);
out:
    cpe_store_close(a);
    cpe_store_close(b);
}

int main(void)
{
    RUN(test_store_span_follows_another_handles_writes);
    return TEST_DONE();
}
