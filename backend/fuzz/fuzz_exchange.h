/* fuzz_exchange.h — the body of the three exchange-adapter harnesses (fuzz_sources_*.c).
 *
 * Input: one control byte, then the message. The control byte picks WebSocket frame or
 * REST body (bit 0), spot or perp (bit 1), the symbol (bit 2) and, for REST, the data kind
 * (bits 3-5, modulo CPE_DK_COUNT). The message goes to the adapter's parse_ws or
 * parse_rest exactly as the feed hands it over (not NUL-terminated: a copy of exactly
 * len bytes, so ASan sees a read past the end). Checked: every event a REST body yields
 * is of the requested symbol (a frame names its own), a kline passes exj_kline_ok, and an
 * error return always comes with a message (the feed logs it).
 */
#ifndef CPE_FUZZ_EXCHANGE_H
#define CPE_FUZZ_EXCHANGE_H

#include "cpe/exchange.h"
#include "sources/exjson.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fuzz_ex_ctx {
    const char *symbol; /* NULL: any */
    long events;
} fuzz_ex_ctx_t;

static int fuzz_ex_sink(void *ctx, const cpe_market_event_t *ev)
{
    fuzz_ex_ctx_t *x = ctx;
    if (x->symbol && strcmp(ev->symbol, x->symbol)) abort();
    if (ev->kind == CPE_DK_KLINE && !exj_kline_ok(&ev->kline)) abort();
    x->events++;
    return 0;
}

static int fuzz_exchange(const cpe_exchange_t *ex, const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20) return 0;
    unsigned ctl = data[0];
    int ws = ctl & 1;
    cpe_market_kind_t m = (ctl & 2) ? CPE_PERP : CPE_SPOT;
    fuzz_ex_ctx_t x = {(ctl & 4) ? "ETHUSDT" : "BTCUSDT", 0};
    cpe_data_kind_t kind = (cpe_data_kind_t)(((ctl >> 3) & 7) % CPE_DK_COUNT);
    size_t n = size - 1;
    char *msg = malloc(n ? n : 1);
    if (!msg) return 0;
    memcpy(msg, data + 1, n);
    cpe_diag_t d = {0};
    const char *symbol = x.symbol;
    if (ws) x.symbol = NULL;
    int rc = ws ? ex->parse_ws(m, msg, n, fuzz_ex_sink, &x, &d)
                : ex->parse_rest(kind, m, symbol, msg, n, fuzz_ex_sink, &x, &d);
    if (rc && !d.msg[0]) {
        fprintf(stderr, "%s returned %s without a message\n", ex->name, cpe_err_name(rc));
        abort();
    }
    free(msg);
    return 0;
}

#endif
