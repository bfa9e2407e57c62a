/*
 * bars.h — the bar builder: 1m bars from a trade tape, aggregation of fine bars to coarse
 * ones, and the "latest observation available at a time" alignment every consumer of
 * side series (funding, OI, daily data) needs. Market layer: pure, no I/O, no globals.
 *
 * 1. Trades -> bars (cpe_bar_builder_t). Trades arrive in non-decreasing ts order; each
 *    falls into the bar [floor(ts, interval), +interval). A bar holds
 *        open/high/low/close  first/max/min/last trade price
 *        volume, quote_volume sum qty, sum price*qty
 *        trades               number of trades
 *        taker_buy_base/quote volume of aggressive buys (side +1)
 *        cvd_delta            taker buy - taker sell (base) = 2*taker_buy_base - volume
 *        large_quote          quote volume of trades whose notional price*qty > 100,000
 *                             (the threshold is a field of the builder)
 *    and NaN market structure (liq/oi/funding/basis: they come from other feeds).
 *    A bar is emitted ("closed") when a trade of a later bar arrives, or when the caller
 *    says the clock passed its end (cpe_bar_builder_flush). Minutes without trades
 *    between two trades are emitted as empty bars — open=high=low=close = the previous
 *    close, all volumes and counts 0, large_quote 0 — the way exchanges publish klines
 *    for quiet minutes, so the output grid has no holes. The batch function runs the
 *    same builder in a loop, so incremental and batch output are identical by design.
 *    Invalid trades (price <= 0 or non-finite, qty < 0 or non-finite, side not +-1) and
 *    out-of-order trades are rejected with CPE_EINVAL/CPE_ERANGE and a message; the
 *    builder is unchanged by a rejected trade.
 *
 * 2. Aggregation (cpe_bars_aggregate). Bars of a finer interval (normally 1m) in
 *    ascending, duplicate-free order are grouped into buckets [floor(ts, interval), ...)
 *    aligned to UTC epoch boundaries (so 1d buckets are UTC days, 4h buckets start at
 *    00/04/08.. UTC). The interval must be a multiple of the source interval. Per bucket:
 *        open = open of the first bar, close = close of the last, high = max, low = min
 *        volume, quote_volume, trades, taker_buy_base/quote, cvd_delta, liq_long,
 *        liq_short, large_quote = sums
 *        oi, funding, basis = the last non-NaN value in the bucket (the latest value
 *        available at the bucket's close; NaN when no bar of the bucket has one)
 *    NaN rule for sums: a sum skips NaN members; it is NaN only when every member is NaN
 *    ("absent everywhere" stays absent, "absent in some minutes" does not erase the
 *    minutes that have data). high/low skip NaN the same way.
 *    A bucket with fewer source bars than interval/src_interval is flagged partial
 *    (a trailing bucket still in progress, or a bucket with missing minutes).
 *
 * 3. Availability alignment (cpe_align_asof). For sorted observation availability
 *    times a[i] with values v[i] and sorted query times q[j] (bar closes), out[j] is the
 *    value of the last observation with a[i] <= q[j], NaN when there is none or it is
 *    older than max_age_ms (0 = no limit). This is the rule of shared/spec/features.md:
 *    a value counts for a bar only once it is available at or before the bar's close.
 *    NaN observations are skipped (the previous valid one stays in force).
 */
#ifndef CPE_BARS_H
#define CPE_BARS_H

#include "cpe/error.h"
#include "cpe/market.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_LARGE_TRADE_USD 100000.0

/* Receives each closed bar in time order; a non-zero return stops and is passed back. */
typedef int (*cpe_bar_sink_fn)(void *ctx, const cpe_bar_t *bar);

typedef struct cpe_bar_builder {
    int64_t interval_ms;    /* bar length (60000 for 1m) */
    double large_quote_usd; /* large-trade notional threshold (CPE_LARGE_TRADE_USD) */
    int has_bar;            /* a bar is in progress in `cur` */
    int has_close;          /* prev_close and next_ts are valid (some bar was emitted) */
    double prev_close;      /* close of the last emitted bar */
    int64_t next_ts;        /* open time of the bar after the last emitted one */
    int64_t last_trade_ts;
    cpe_bar_t cur;
} cpe_bar_builder_t;

/* interval_ms > 0; 0 or CPE_EINVAL. */
int cpe_bar_builder_init(cpe_bar_builder_t *b, int64_t interval_ms);
/* Add one trade; every bar it closes (the bar in progress and any empty bars in between)
 * goes to sink in order. CPE_EINVAL (bad trade) / CPE_ERANGE (out of order) with d set. */
int cpe_bar_builder_push(cpe_bar_builder_t *b, const cpe_trade_t *t, cpe_bar_sink_fn sink,
                         void *ctx, cpe_diag_t *d);
/* The clock reached now_ms: close the bar in progress if now_ms >= its end, and emit
 * empty bars for every further whole interval that ended by now_ms (only once a price is
 * known). */
int cpe_bar_builder_flush(cpe_bar_builder_t *b, int64_t now_ms, cpe_bar_sink_fn sink, void *ctx);
/* The bar in progress (a partial bar) into *out: 1 when there is one, 0 otherwise. */
int cpe_bar_builder_current(const cpe_bar_builder_t *b, cpe_bar_t *out);

/* Batch: bars of the trades t[0..n) (ts order). The last bar is closed (a tape ends at a
 * known time). *out is malloc'd (free it), *nout bars. */
int cpe_bars_from_trades(const cpe_trade_t *t, size_t n, int64_t interval_ms, cpe_bar_t **out,
                         size_t *nout, cpe_diag_t *d);

/* Aggregate in[0..n) (ascending open times on the src_interval_ms grid) to interval_ms.
 * out must hold cpe_bars_aggregate_cap(n, src, interval) bars; partial (may be NULL)
 * gets 1 per bucket with fewer than interval/src bars. CPE_EINVAL for an interval that
 * is not a positive multiple of src, CPE_ERANGE for unsorted/duplicate input. */
size_t cpe_bars_aggregate_cap(size_t n, int64_t src_interval_ms, int64_t interval_ms);
int cpe_bars_aggregate(const cpe_bar_t *in, size_t n, int64_t src_interval_ms, int64_t interval_ms,
                       cpe_bar_t *out, uint8_t *partial, size_t *nout);

/* Several intervals at once (e.g. 5m, 15m, 1h, 4h, 1d from 1m): each interval is built
 * from the coarsest interval already built (earlier in the list) that divides it, so a
 * list in increasing order reads the source once and then ever smaller arrays. The
 * buckets equal separate cpe_bars_aggregate calls (the bucket rules are associative;
 * sums may differ in the last bits by summation order), partial flags included (they
 * count source bars). out[j] must hold cpe_bars_aggregate_cap(n, ...) bars; partial and
 * partial[j] may be NULL. Errors as cpe_bars_aggregate, and CPE_ENOMEM. */
int cpe_bars_aggregate_many(const cpe_bar_t *in, size_t n, int64_t src_interval_ms,
                            const int64_t *interval_ms, size_t k, cpe_bar_t *const *out,
                            uint8_t *const *partial, size_t *nout);

/* Latest-available alignment (see top comment). a, q ascending; out has m values. */
void cpe_align_asof(const int64_t *a, const double *v, size_t n, const int64_t *q, size_t m,
                    int64_t max_age_ms, double *out);

#endif
