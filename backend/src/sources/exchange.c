/* exchange.c — the adapter table (fallback order), data-kind names and limits, base URL
 * overrides, rate-info helpers (see cpe/exchange.h). */
#include "cpe/exchange.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int64_t max_age_ms;
} kinds[CPE_DK_COUNT] = {
    [CPE_DK_KLINE] = {"price", 5000},       [CPE_DK_TRADE] = {"trades", 5000},
    [CPE_DK_FUNDING] = {"funding", 60000},  [CPE_DK_OI] = {"open_interest", 60000},
    [CPE_DK_LIQ] = {"liquidations", 10000}, [CPE_DK_BOOK] = {"book", 5000},
};

const char *cpe_data_kind_name(cpe_data_kind_t k)
{
    return (unsigned)k < CPE_DK_COUNT ? kinds[k].name : "?";
}

int64_t cpe_data_kind_max_age_ms(cpe_data_kind_t k)
{
    return (unsigned)k < CPE_DK_COUNT ? kinds[k].max_age_ms : 0;
}

const cpe_exchange_t *const *cpe_exchanges(void)
{
    static const cpe_exchange_t *const all[CPE_NEXCHANGES + 1] = {
        [CPE_EX_BINANCE] = &cpe_exchange_binance,
        [CPE_EX_BYBIT] = &cpe_exchange_bybit,
        [CPE_EX_OKX] = &cpe_exchange_okx,
        [CPE_EX_COINBASE] = &cpe_exchange_coinbase,
        [CPE_NEXCHANGES] = NULL,
    };
    return all;
}

const cpe_exchange_t *cpe_exchange_find(const char *name)
{
    for (const cpe_exchange_t *const *e = cpe_exchanges(); *e; e++)
        if (!strcmp((*e)->name, name)) return *e;
    return NULL;
}

const char *cpe_exchange_base(const cpe_exchange_t *ex, int ws, cpe_market_kind_t m)
{
    char var[64];
    int n = snprintf(var, sizeof var, "CPE_%s_%s_%s", ex->name, ws ? "WS" : "REST",
                     m == CPE_SPOT ? "SPOT" : "PERP");
    for (int i = 0; i < n; i++)
        var[i] = (char)toupper((unsigned char)var[i]);
    const char *v = getenv(var);
    if (v && *v) return v;
    return ws ? ex->ws_base[m == CPE_SPOT ? 0 : 1] : ex->rest_base[m == CPE_SPOT ? 0 : 1];
}

void cpe_rate_info_init(cpe_rate_info_t *ri)
{
    ri->used = ri->remaining = ri->limit = NAN;
    ri->reset_ms = ri->retry_after_ms = 0;
}

double cpe_rate_info_left(const cpe_rate_info_t *ri)
{
    if (!isnan(ri->remaining)) return ri->remaining;
    if (!isnan(ri->used) && !isnan(ri->limit)) return ri->limit - ri->used;
    return NAN;
}
