/* instrument.c — instrument keys and bars from klines (see cpe/market.h); asset, symbol
 * and interval names live in universe.c. */
#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int cpe_instrument_parse(const char *key, cpe_instrument_t *out)
{
    const char *a = strchr(key, ':');
    if (!a) return CPE_EPARSE;
    const char *b = strchr(a + 1, ':');
    if (!b) return CPE_EPARSE;
    size_t ne = (size_t)(a - key), nk = (size_t)(b - a - 1), ns = strlen(b + 1);
    if (ne == 0 || ne >= sizeof out->exchange || ns == 0 || ns >= sizeof out->symbol)
        return CPE_EPARSE;
    memset(out, 0, sizeof *out);
    memcpy(out->exchange, key, ne);
    memcpy(out->symbol, b + 1, ns);
    if (nk == 4 && !memcmp(a + 1, "spot", 4))
        out->kind = CPE_SPOT;
    else if (nk == 4 && !memcmp(a + 1, "perp", 4))
        out->kind = CPE_PERP;
    else if (!strcmp(out->exchange, "series")) {
        /* "series:BTC:name": kind slot holds the asset, symbol the series name */
        out->kind = CPE_SERIES;
        if (nk == 0 || nk + 1 + ns >= sizeof out->symbol) return CPE_EPARSE;
        memcpy(out->symbol, a + 1, nk);
        out->symbol[nk] = ':';
        memcpy(out->symbol + nk + 1, b + 1, ns);
        out->symbol[nk + 1 + ns] = 0;
    } else
        return CPE_EPARSE;
    return 0;
}

void cpe_instrument_key(const cpe_instrument_t *in, char out[CPE_INSTR_KEY_MAX])
{
    if (in->kind == CPE_SERIES) {
        snprintf(out, CPE_INSTR_KEY_MAX, "%s:%s", in->exchange, in->symbol);
        return;
    }
    snprintf(out, CPE_INSTR_KEY_MAX, "%s:%s:%s", in->exchange,
             in->kind == CPE_SPOT ? "spot" : "perp", in->symbol);
}

void cpe_bar_from_kline(cpe_bar_t *b, const cpe_kline_t *k)
{
    b->ts_ms = k->ts_ms;
    b->open = k->open;
    b->high = k->high;
    b->low = k->low;
    b->close = k->close;
    b->volume = k->volume;
    b->quote_volume = k->quote_volume;
    b->trades = k->trades;
    b->taker_buy_base = k->taker_buy_base;
    b->taker_buy_quote = k->taker_buy_quote;
    b->cvd_delta = 2.0 * k->taker_buy_base - k->volume; /* NaN propagates when tb is NaN */
    b->liq_long = b->liq_short = b->oi = b->funding = b->basis = b->large_quote = NAN;
}
