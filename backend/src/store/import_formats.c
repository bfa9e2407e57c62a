/* import_formats.c — the table of importable file formats and one row reader each.
 * A row reader validates its fields (naming the bad one) and pushes a kline or point
 * into the sink of its (instrument, kind). Rules: cpe/import.h. */
#include "import_int.h"

#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double NaN = NAN;

/* The single sink of a one-instrument format, created on the first row. */
static int sink_for(imp_ctx_t *x, imp_sink_t **slot, const char *kind, int64_t interval_ms,
                    int is_kline, cpe_diag_t *d)
{
    if (*slot) return 0;
    char instr[CPE_INSTR_KEY_MAX];
    imp_instrument(x, x->market, x->symbol, instr);
    return imp_sink_get(x, instr, kind, interval_ms, is_kline, slot, d);
}

/* Interval of a kline-like row: the name's, else close_time - open_time + 1. */
static int kline_interval(imp_ctx_t *x, const cpe_csv_t *c, int64_t open_ms, cpe_diag_t *d)
{
    if (x->interval_ms > 0) return 0;
    int64_t close_ms;
    if (c->nf < 7)
        return cpe_diag_set(d, CPE_EPARSE,
                            "%s: cannot tell the bar interval; name the "
                            "file like SYMBOL-1h-...",
                            c->name);
    int rc = imp_time(c, 6, "close_time", &close_ms, d);
    if (rc) return rc;
    x->interval_ms = close_ms - open_ms + 1;
    if (!cpe_interval_name(x->interval_ms))
        return imp_bad(c, 6, "close_time", d, "gives an unsupported bar interval of %lld ms",
                       (long long)x->interval_ms);
    return 0;
}

static int on_grid(imp_ctx_t *x, const cpe_csv_t *c, int64_t ts, cpe_diag_t *d)
{
    if (x->interval_ms <= CPE_MS_PER_DAY && cpe_floor_ms(ts, x->interval_ms) != ts)
        return imp_bad(c, 0, "open_time", d, "is not on the %s grid",
                       cpe_interval_name(x->interval_ms));
    return 0;
}

/* open/high/low/close in columns 1..4: finite, high >= low, open/close inside. */
static int ohlc(const cpe_csv_t *c, double v[4], int positive, cpe_diag_t *d)
{
    static const char *const nm[4] = {"open", "high", "low", "close"};
    char lo[40], hi[40];
    for (int i = 0; i < 4; i++) {
        int rc = positive ? imp_positive(c, (size_t)i + 1, nm[i], &v[i], d)
                          : imp_num(c, (size_t)i + 1, nm[i], &v[i], d);
        if (rc) return rc;
    }
    if (v[1] < v[2])
        return imp_bad(c, 2, "high", d, "is below 'low' (%s)", cpe_csv_field_str(c, 3, lo, 40));
    for (int i = 0; i < 4; i += 3)
        if (v[i] < v[2] || v[i] > v[1])
            return imp_bad(c, (size_t)i + 1, nm[i], d, "is outside ['low', 'high'] = [%s, %s]",
                           cpe_csv_field_str(c, 3, lo, 40), cpe_csv_field_str(c, 2, hi, 40));
    return 0;
}

static int row_klines(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    cpe_kline_t k;
    double v[4];
    int rc;
    if ((rc = imp_time(c, 0, "open_time", &k.ts_ms, d)) ||
        (rc = kline_interval(x, c, k.ts_ms, d)) || (rc = on_grid(x, c, k.ts_ms, d)) ||
        (rc = ohlc(c, v, 1, d)) || (rc = imp_nonneg(c, 5, "volume", &k.volume, d)))
        return rc;
    k.open = v[0], k.high = v[1], k.low = v[2], k.close = v[3];
    k.quote_volume = k.trades = k.taker_buy_base = k.taker_buy_quote = NaN;
    if (c->nf >= 11) {
        if ((rc = imp_nonneg(c, 7, "quote_volume", &k.quote_volume, d)) ||
            (rc = imp_nonneg(c, 8, "count", &k.trades, d)) ||
            (rc = imp_nonneg(c, 9, "taker_buy_volume", &k.taker_buy_base, d)) ||
            (rc = imp_nonneg(c, 10, "taker_buy_quote_volume", &k.taker_buy_quote, d)))
            return rc;
        char vol[40];
        if (k.taker_buy_base > k.volume)
            return imp_bad(c, 9, "taker_buy_volume", d, "is above 'volume' (%s)",
                           cpe_csv_field_str(c, 5, vol, 40));
    }
    if (!x->cur) {
        char kind[CPE_KIND_MAX];
        snprintf(kind, sizeof kind, "kline:%s", cpe_interval_name(x->interval_ms));
        if ((rc = sink_for(x, &x->cur, kind, x->interval_ms, 1, d))) return rc;
    }
    return imp_push_kline(x->cur, &k, c->line, d);
}

static int row_premium(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    cpe_point_t p = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
    int rc;
    if ((rc = imp_time(c, 0, "open_time", &p.ts_ms, d)) ||
        (rc = kline_interval(x, c, p.ts_ms, d)) || (rc = on_grid(x, c, p.ts_ms, d)) ||
        (rc = ohlc(c, p.v, 0, d)) || (rc = sink_for(x, &x->cur, "premium", x->interval_ms, 0, d)))
        return rc;
    return imp_push_point(x->cur, &p, c->line, d);
}

/* A trade: id, price, qty, time, is_buyer_maker at the given columns. */
static int trade(imp_ctx_t *x, const cpe_csv_t *c, imp_sink_t *s, size_t cid, size_t cpx,
                 size_t cqty, size_t cts, size_t cmaker, cpe_diag_t *d)
{
    cpe_point_t p = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
    int maker, rc;
    (void)x;
    if ((rc = imp_nonneg(c, cid, "id", &p.v[3], d)) ||
        (rc = imp_positive(c, cpx, "price", &p.v[0], d)) ||
        (rc = imp_nonneg(c, cqty, "quantity", &p.v[1], d)) ||
        (rc = imp_time(c, cts, "time", &p.ts_ms, d)) ||
        (rc = imp_bool(c, cmaker, "is_buyer_maker", &maker, d)))
        return rc;
    p.v[2] = maker ? -1 : 1; /* the buyer was the maker: the aggressor sold */
    return imp_push_point(s, &p, c->line, d);
}

static int event_sink(imp_ctx_t *x, imp_sink_t **slot, const char *kind, cpe_diag_t *d)
{
    int rc = sink_for(x, slot, kind, 0, 0, d);
    if (rc == 0)
        (*slot)->events = (*slot)->has_id = !strcmp(kind, "trade") || !strcmp(kind, "trade_large");
    if (rc == 0 && !strcmp(kind, "liq")) (*slot)->events = 1;
    return rc;
}

static int row_aggtrades(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    int rc = event_sink(x, &x->cur, "trade", d);
    return rc ? rc : trade(x, c, x->cur, 0, 1, 2, 5, 6, d);
}

static int row_trades(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    int rc = event_sink(x, &x->cur, "trade", d);
    return rc ? rc : trade(x, c, x->cur, 0, 1, 2, 4, 5, d);
}

/* Per-symbol sink of multi-symbol stream files ("BTC" or "BTCUSDT" -> BTCUSDT). */
static int stream_sink(imp_ctx_t *x, const cpe_csv_t *c, size_t col, const char *kind,
                       imp_sink_t **out, cpe_diag_t *d)
{
    char sym[32], full[32], instr[CPE_INSTR_KEY_MAX];
    if (c->f[col].n == 0 || c->f[col].n >= 28)
        return imp_bad(c, col, "symbol", d, "is not a symbol");
    cpe_csv_field_str(c, col, sym, sizeof sym);
    cpe_asset_to_symbol(sym, full);
    imp_instrument(x, CPE_PERP, full, instr);
    int rc = imp_sink_get(x, instr, kind, 0, 0, out, d);
    if (rc == 0) {
        (*out)->events = 1;
        (*out)->has_id = !strcmp(kind, "trade_large");
    }
    return rc;
}

static int row_trades_large(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    imp_sink_t *s = NULL;
    int rc = stream_sink(x, c, 1, "trade_large", &s, d);
    return rc ? rc : trade(x, c, s, 2, 3, 4, 5, 6, d);
}

/* side, price, average price, filled quantity, time -> a "liq" point. */
static int liquidation(const cpe_csv_t *c, imp_sink_t *s, size_t cside, size_t cpx, size_t cavg,
                       size_t cqty, size_t cts, cpe_diag_t *d)
{
    cpe_point_t p = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
    double avg;
    int rc;
    if (cpe_csv_field_is(c, cside, "SELL"))
        p.v[0] = 1; /* a long was force-sold */
    else if (cpe_csv_field_is(c, cside, "BUY"))
        p.v[0] = -1;
    else
        return imp_bad(c, cside, "side", d, "is not BUY or SELL");
    if ((rc = imp_positive(c, cpx, "price", &p.v[1], d)) ||
        (rc = imp_num_opt(c, cavg, "average_price", &avg, d)) ||
        (rc = imp_nonneg(c, cqty, "accumulated_fill_quantity", &p.v[2], d)) ||
        (rc = imp_time(c, cts, "time", &p.ts_ms, d)))
        return rc;
    if (avg > 0)
        p.v[1] = avg; /* the fill price when the source has it */
    else if (avg < 0)
        return imp_bad(c, cavg, "average_price", d, "is negative");
    return imp_push_point(s, &p, c->line, d);
}

static int row_liq_snapshot(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    int rc = event_sink(x, &x->cur, "liq", d);
    return rc ? rc : liquidation(c, x->cur, 1, 5, 6, 9, 0, d);
}

static int row_liq_stream(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    imp_sink_t *s = NULL;
    int rc = stream_sink(x, c, 0, "liq", &s, d);
    return rc ? rc : liquidation(c, s, 1, 5, 6, 9, 10, d);
}

static int row_funding(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    cpe_point_t p = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
    int rc = imp_time(c, 0, "calc_time", &p.ts_ms, d);
    if (rc) return rc;
    if (c->nf == 3) { /* calc_time,funding_interval_hours,last_funding_rate */
        double h;
        if ((rc = imp_positive(c, 1, "funding_interval_hours", &h, d)) ||
            (rc = imp_num(c, 2, "last_funding_rate", &p.v[0], d)))
            return rc;
        if (!x->interval_ms) x->interval_ms = (int64_t)(h * CPE_MS_PER_HOUR);
    } else if ((rc = imp_num(c, 1, "rate", &p.v[0], d)))
        return rc;
    if (!x->interval_ms) x->interval_ms = 8 * CPE_MS_PER_HOUR;
    if ((rc = sink_for(x, &x->cur, "funding", x->interval_ms, 0, d))) return rc;
    return imp_push_point(x->cur, &p, c->line, d);
}

static int row_metrics(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    cpe_point_t oi = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}}, ls = oi;
    int rc;
    if (!x->symbol[0]) cpe_csv_field_str(c, 1, x->symbol, sizeof x->symbol);
    if ((rc = imp_time(c, 0, "create_time", &oi.ts_ms, d)) ||
        (rc = imp_num_opt(c, 2, "sum_open_interest", &oi.v[0], d)) ||
        (rc = imp_num_opt(c, 3, "sum_open_interest_value", &oi.v[1], d)) ||
        (rc = imp_num_opt(c, 6, "count_long_short_ratio", &ls.v[0], d)))
        return rc;
    if (oi.v[0] < 0) return imp_bad(c, 2, "sum_open_interest", d, "is negative");
    if (oi.v[1] < 0) return imp_bad(c, 3, "sum_open_interest_value", d, "is negative");
    if (ls.v[0] < 0) return imp_bad(c, 6, "count_long_short_ratio", d, "is negative");
    ls.ts_ms = oi.ts_ms;
    ls.v[1] = ls.v[0] / (1 + ls.v[0]); /* accounts long / (long + short) */
    ls.v[2] = 1 / (1 + ls.v[0]);
    if (!x->interval_ms) x->interval_ms = 5 * CPE_MS_PER_MIN;
    if ((rc = sink_for(x, &x->cur, "oi", x->interval_ms, 0, d)) ||
        (rc = sink_for(x, &x->cur2, "lsr", x->interval_ms, 0, d)) ||
        (rc = imp_push_point(x->cur, &oi, c->line, d)))
        return rc;
    x->cur2->mirror = 1;
    return imp_push_point(x->cur2, &ls, c->line, d);
}

static int row_book(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    static const double pct[6] = {-0.5, -1, -2, 0.5, 1, 2};
    int64_t ts;
    double pc, depth, notional;
    int rc;
    if ((rc = imp_time(c, 0, "timestamp", &ts, d)) || (rc = imp_num(c, 1, "percentage", &pc, d)) ||
        (rc = imp_nonneg(c, 2, "depth", &depth, d)) ||
        (rc = imp_nonneg(c, 3, "notional", &notional, d)) ||
        (rc = sink_for(x, &x->cur, "book", 0, 0, d)))
        return rc;
    int slot = -1;
    for (int i = 0; i < 6; i++)
        if (pc == pct[i]) slot = i;
    imp_sink_t *s = x->cur;
    if (s->n == 0 || s->p[s->n - 1].ts_ms != ts) {
        cpe_point_t p = {ts, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
        if ((rc = imp_push_point(s, &p, c->line, d))) return rc;
    }
    if (slot < 0) return 0; /* levels the book point does not keep */
    cpe_point_t *p = &s->p[s->n - 1];
    if (!isnan(p->v[slot]) && p->v[slot] != notional)
        return imp_bad(c, 3, "notional", d,
                       "differs from an earlier row for the same timestamp "
                       "and percentage");
    p->v[slot] = notional;
    return 0;
}

static int row_series(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    cpe_point_t p = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
    int rc;
    if ((rc = imp_time(c, 0, "ts", &p.ts_ms, d)) || (rc = imp_num(c, 1, "value", &p.v[0], d)))
        return rc;
    if (!x->cur) {
        if (c->f[0].n == 10) x->daily = 1; /* a bare date */
        if (x->daily) x->interval_ms = CPE_MS_PER_DAY;
        char instr[CPE_INSTR_KEY_MAX], kind[CPE_KIND_MAX];
        if (cpe_series_key(x->series, instr, kind))
            return cpe_diag_set(d, CPE_EINVAL, "%s: '%s' is not a series name", c->name, x->series);
        if ((rc = imp_sink_get(x, instr, kind, x->interval_ms, 0, &x->cur, d))) return rc;
    }
    if (x->daily && cpe_day_start_ms(p.ts_ms) != p.ts_ms)
        return imp_bad(c, 0, "ts", d, "is not a day start in a daily series");
    return imp_push_point(x->cur, &p, c->line, d);
}

/* Whale flows export (--series ASSET:whale_flows): ts, count and USD of large transfers to
 * exchanges, then from exchanges, per hour (per day with bare dates); cpe/onchain.h layout. */
static int row_whale(imp_ctx_t *x, const cpe_csv_t *c, cpe_diag_t *d)
{
    static const char *const cols[] = {"to_exchange_count", "to_exchange_usd",
                                       "from_exchange_count", "from_exchange_usd"};
    cpe_point_t p = {0, 0, {NaN, NaN, NaN, NaN, NaN, NaN}};
    int rc = imp_time(c, 0, "ts", &p.ts_ms, d);
    for (size_t i = 0; !rc && i < 4; i++)
        rc = imp_nonneg(c, i + 1, cols[i], &p.v[i], d);
    if (rc) return rc;
    if (!x->cur) {
        x->daily = c->f[0].n == 10; /* a bare date */
        x->interval_ms = x->daily ? CPE_MS_PER_DAY : CPE_MS_PER_HOUR;
        char instr[CPE_INSTR_KEY_MAX], kind[CPE_KIND_MAX];
        if (cpe_series_key(x->series, instr, kind))
            return cpe_diag_set(d, CPE_EINVAL, "%s: '%s' is not a series name", c->name, x->series);
        if ((rc = imp_sink_get(x, instr, kind, x->interval_ms, 0, &x->cur, d))) return rc;
    }
    if (cpe_floor_ms(p.ts_ms, x->interval_ms) != p.ts_ms)
        return imp_bad(c, 0, "ts", d, "is not on the %s grid", x->daily ? "1d" : "1h");
    return imp_push_point(x->cur, &p, c->line, d);
}

#define KLINE_HDR "open_time,open|openTime,open|timestamp,open|open time,open|time,open"
const imp_format_t cpe_imp_formats[] = {
    {"klines", "klines", 11, 12, KLINE_HDR, 0, row_klines},
    {"ohlcv", "ohlcv", 6, 6, KLINE_HDR "|date,open", 0, row_klines},
    {"premiumIndexKlines", "premiumIndexKlines", 12, 12, KLINE_HDR, 1, row_premium},
    {"aggTrades", "aggTrades", 7, 8, "agg_trade_id,price", 0, row_aggtrades},
    {"trades", "trades", 6, 7, "id,price", 0, row_trades},
    {"fundingRate", "fundingRate", 2, 3,
     "calc_time,funding_interval_hours|timestamp,rate|funding_time,rate|fundingTime,fundingRate", 1,
     row_funding},
    {"metrics", "metrics", 8, 8, "create_time,symbol", 1, row_metrics},
    {"bookDepth", "bookDepth", 4, 4, "timestamp,percentage", 1, row_book},
    {"liquidationSnapshot", "liquidationSnapshot", 10, 10, "time,side", 1, row_liq_snapshot},
    {"liquidationEvents", "liquidationEvents", 12, 12, "symbol,side", 1, row_liq_stream},
    {"aggTradesLargeOnly", "aggTradesLargeOnly", 7, 7, "event_time,symbol", 1, row_trades_large},
    {"series", NULL, 2, 2, NULL, 0, row_series},
    {"whaleFlows", NULL, 5, 5, "ts,to_exchange_count|time,to_exchange_count|date,to_exchange_count",
     0, row_whale},
};
const size_t cpe_imp_nformats = sizeof cpe_imp_formats / sizeof cpe_imp_formats[0];

const imp_format_t *cpe_imp_format(const char *name)
{
    for (size_t i = 0; i < cpe_imp_nformats; i++)
        if (!strcmp(cpe_imp_formats[i].name, name)) return &cpe_imp_formats[i];
    return NULL;
}
