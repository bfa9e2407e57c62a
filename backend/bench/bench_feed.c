/*
 * bench_feed.c — live-data ingestion speed: Binance aggTrade WebSocket frames parsed by the
 * adapter and pushed through the 1m bar builder (CVD, large trades), on one core.
 * Target (live-data issue): >= 100,000 trade messages/s. Prints JSON lines.
 */
#include "cpe/bars.h"
#include "cpe/exchange.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    cpe_bar_builder_t b;
    size_t bars;
    double cvd;
} ctx_t;

static int on_bar(void *c, const cpe_bar_t *bar)
{
    ctx_t *x = c;
    x->bars++;
    x->cvd += bar->cvd_delta;
    return 0;
}

static int on_event(void *c, const cpe_market_event_t *ev)
{
    ctx_t *x = c;
    return cpe_bar_builder_push(&x->b, &ev->trade, on_bar, x, NULL);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    enum { N = 200000, REPS = 5 };
    /* the frames, made once: 200k trades over ~3.3 hours of a 1 trade / 60 ms tape */
    char **msg = malloc(N * sizeof *msg);
    size_t *len = malloc(N * sizeof *len);
    cpe_rng_t r;
    cpe_rng_seed(&r, 1);
    double px = 60000;
    int64_t t0 = 1704067200000LL;
    for (int i = 0; i < N; i++) {
        px *= 1 + 0.0002 * (cpe_rng_uniform(&r) - 0.5);
        char buf[512];
        int n =
            snprintf(buf, sizeof buf,
                     "{\"stream\":\"btcusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":%lld,"
                     "\"s\":\"BTCUSDT\",\"a\":%d,\"p\":\"%.2f\",\"q\":\"%.5f\",\"f\":%d,\"l\":%d,"
                     "\"T\":%lld,\"m\":%s}}",
                     (long long)(t0 + i * 60LL), i, px, 0.001 + 3 * cpe_rng_uniform(&r), i, i,
                     (long long)(t0 + i * 60LL), cpe_rng_uniform(&r) < 0.5 ? "true" : "false");
        msg[i] = strdup(buf);
        len[i] = (size_t)n;
    }
    double rate[REPS];
    size_t bars = 0;
    for (int rep = 0; rep < REPS; rep++) {
        ctx_t x;
        memset(&x, 0, sizeof x);
        cpe_bar_builder_init(&x.b, CPE_MS_PER_MIN);
        int64_t a = cpe_mono_ns();
        for (int i = 0; i < N; i++)
            if (cpe_exchange_binance.parse_ws(CPE_PERP, msg[i], len[i], on_event, &x, NULL)) {
                fprintf(stderr, "bench_feed: message %d rejected\n", i);
                return 1;
            }
        int64_t b = cpe_mono_ns();
        rate[rep] = N / ((double)(b - a) / 1e9);
        bars = x.bars;
    }
    qsort(rate, REPS, sizeof *rate, cmp_d);
    printf("{\"bench\":\"feed\",\"metric\":\"trade_messages_to_bars_per_s\",\"value\":%.0f,"
           "\"unit\":\"msg/s\","
           "\"target\":100000,\"ok\":%s,\"messages\":%d,\"bars\":%zu,\"reps\":%d,\"stat\":"
           "\"median\"}\n",
           rate[REPS / 2], rate[REPS / 2] >= 100000 ? "true" : "false", N, bars, REPS);
    for (int i = 0; i < N; i++)
        free(msg[i]);
    free(msg);
    free(len);
    return 0;
}
