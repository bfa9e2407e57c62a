/* test_market.c — which bars /market-data answers (cpe_api_load_bars): the newest `limit`
 * of [from, to), read from their own span first and from the whole range when gaps leave
 * that span short. */
#include "api/server.h"
#include "cpe/timeutil.h"
#include "test.h"

#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */
#define M CPE_MS_PER_MIN

static cpe_api_t API;

/* n 1m bars from t0 on, their close = their minute index since T0 */
static void put_minutes(int64_t t0, int n)
{
    int64_t id = -1;
    CHECK_EQ_INT(
        API.store->ops->series_id(API.store, "binance:spot:BTCUSDT", "kline:1m", M, 0, 1, &id), 0);
    cpe_kline_t *k = calloc((size_t)n, sizeof *k);
    for (int i = 0; i < n; i++) {
        double c = (double)((t0 - T0) / M + i);
        k[i] = (cpe_kline_t){t0 + i * M, c, c + 0.5, c - 0.5, c, 1.0, c, 1, 0.5, 0.5 * c};
    }
    CHECK_EQ_INT(API.store->ops->put_klines(API.store, id, k, (size_t)n, NULL), 0);
    free(k);
}

/* the bars answered for [from, to) with limit: their count, and that they are the newest
 * stored ones, ascending, ending with the close `last` */
static void check_newest(int64_t from, int from_given, int64_t to, size_t limit, size_t want_n,
                         double last)
{
    cpe_bar_t *b = NULL;
    size_t n = 0;
    int sim = 0;
    CHECK_EQ_INT(
        cpe_api_load_bars(&API, &API.rd, "BTCUSDT", M, from, from_given, to, limit, &b, &n, &sim),
        0);
    CHECK_EQ_INT((long)n, (long)want_n);
    if (n) CHECK_NEAR(b[n - 1].close, last, 1e-9);
    for (size_t i = 1; i < n; i++)
        CHECK(b[i].ts_ms > b[i - 1].ts_ms);
    free(b);
}

static void test_newest_bars_of_a_long_range(void)
{
    /* 3000 minutes, then a 1000-minute gap, then 500 minutes */
    put_minutes(T0, 3000);
    put_minutes(T0 + 4000 * M, 500);
    int64_t end = T0 + 4500 * M;
    /* the span of the newest 300 holds them all */
    check_newest(T0 - 86400000LL, 1, end + 60 * M, 300, 300, 4499);
    /* the newest 800 reach over the gap: the whole range is read, still the newest 800 */
    check_newest(T0 - 86400000LL, 1, end + 60 * M, 800, 800, 4499);
    /* fewer stored than asked */
    check_newest(T0 - 86400000LL, 1, end, 10000, 3500, 4499);
    /* `to` inside the data: the newest before it */
    check_newest(T0, 1, T0 + 2000 * M, 100, 100, 1999);
    /* no `from`: the default window, and the last bars when the window is empty */
    check_newest(end - 100 * M, 0, end, 100, 100, 4499);
    check_newest(end + 1000 * M, 0, end + 1100 * M, 100, 100, 4499);
}

int main(void)
{
    char db[4096 + 16];
    snprintf(db, sizeof db, "%s/market.db", test_tmpdir());
    memset(&API, 0, sizeof API);
    CHECK_EQ_INT(cpe_store_open(db, &API.store, NULL), 0);
    API.rd.store = API.store;
    RUN(test_newest_bars_of_a_long_range);
    cpe_store_close(API.store);
    return TEST_DONE();
}
