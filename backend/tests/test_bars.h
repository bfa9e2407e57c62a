/* test_bars.h — synthetic 1m bars and a fresh store holding them, shared by the unit tests
 * that train models on a store (engine/test_livepred.c, test_trainer.c, test_wf_cache.c,
 * test_livefeat.c). */
#ifndef CPE_TEST_BARS_H
#define CPE_TEST_BARS_H

#include "cpe/rng.h"
#include "cpe/store.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* n 1m bars from t0: a random walk with volatility clusters and some order-flow signal
 * (malloc'd). */
static inline cpe_kline_t *test_random_walk(int64_t t0, int n, uint64_t seed)
{
    cpe_kline_t *k = malloc((size_t)n * sizeof *k);
    cpe_rng_t r;
    cpe_rng_seed(&r, seed);
    double c = 40000, vol = 0.0008;
    for (int i = 0; k && i < n; i++) {
        vol = 0.0002 + 0.98 * vol + 0.02 * 0.0008 * fabs(cpe_rng_normal(&r));
        double o = c;
        c *= exp(vol * cpe_rng_normal(&r));
        double buy = 0.5 + 0.2 * tanh((c - o) / o * 1000);
        k[i] = (cpe_kline_t){.ts_ms = t0 + i * 60000LL,
                             .open = o,
                             .high = fmax(o, c) * 1.0003,
                             .low = fmin(o, c) * 0.9997,
                             .close = c,
                             .volume = 10,
                             .quote_volume = 10 * c,
                             .trades = 100,
                             .taker_buy_base = 10 * buy,
                             .taker_buy_quote = 10 * buy * c};
    }
    return k;
}

/* A new empty store <tmp>/<name>.db (any old one removed). */
static inline cpe_store_t *test_store_new(const char *name)
{
    char path[1024], wal[1100];
    snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    CHECK(cpe_store_open(path, &st, &d) == 0);
    return st;
}

/* A new store <tmp>/<name>.db (any old one removed) holding k[n] as the 1m klines of
 * instrument. */
static inline cpe_store_t *test_store_with(const char *name, const char *instrument,
                                           const cpe_kline_t *k, int n)
{
    cpe_store_t *st = test_store_new(name);
    int64_t id = -1;
    if (!st) return NULL;
    CHECK(st->ops->series_id(st, instrument, "kline:1m", 60000LL, 0, 1, &id) == 0);
    CHECK(st->ops->put_klines(st, id, k, (size_t)n, NULL) == 0);
    return st;
}

#endif
