/*
 * history_int.h — the HTTP side of the history fetch (history_http.c): one libcurl handle
 * kept alive across requests, the exchange's token bucket, retries and the error rules of
 * cpe/history.h. Private to sources/history*.c.
 */
#ifndef CPE_SOURCES_HISTORY_INT_H
#define CPE_SOURCES_HISTORY_INT_H

#include "cpe/exchange.h"
#include "cpe/rng.h"
#include "cpe/tokenbucket.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hist_http {
    const cpe_exchange_t *ex;
    void *curl; /* CURL * */
    cpe_tokenbucket_t tb;
    cpe_rng_t rng;
    int64_t timeout_ms;
    int attempts;
    size_t requests, retries, rate_waits;
} hist_http_t;

int hist_http_init(hist_http_t *h, const cpe_exchange_t *ex, int64_t timeout_ms, int attempts,
                   cpe_diag_t *d);
void hist_http_free(hist_http_t *h);
/* GET base(m) + path and hand the body to the adapter's REST parser for (kind, m, symbol).
 * Waits on the bucket, retries network errors and 5xx, waits out 418/429; CPE_EPARSE /
 * CPE_EIO / CPE_ENET with the URL in d otherwise. */
int hist_http_get(hist_http_t *h, cpe_market_kind_t m, const char *path, cpe_data_kind_t kind,
                  const char *symbol, cpe_event_sink_fn sink, void *ctx, cpe_diag_t *d);

#endif
