/* fuzz_onchain.h — the body of the on-chain parser harnesses (fuzz_sources_glassnode.c,
 * _cryptoquant.c, _whale_alert.c, _defillama.c): the input is one answer body, handed to
 * cpe_onchain_parse() of the source's first metric as a copy of exactly size bytes (so ASan
 * sees a read past the end). Checked: an error comes with a message and leaves no points; a
 * success gives points with a non-negative time on the interval grid where the parser floors
 * (DefiLlama), Whale Alert transfers with a direction in {-1, 0, 1} and a finite USD >= 0 that
 * aggregate back to the same counts; the cursor is NUL-terminated within its buffer. */
#ifndef CPE_FUZZ_ONCHAIN_H
#define CPE_FUZZ_ONCHAIN_H

#include "cpe/onchain.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int fuzz_onchain(int source, const uint8_t *data, size_t size)
{
    const cpe_onchain_metric_t *m = NULL;
    for (size_t i = 0; !m && i < cpe_onchain_metric_count(); i++)
        if (cpe_onchain_metric_at(i)->source == source) m = cpe_onchain_metric_at(i);
    if (!m) abort();
    char *body = malloc(size ? size : 1);
    if (!body) return 0;
    if (size) memcpy(body, data, size);
    cpe_point_t *p = NULL;
    size_t n = 0;
    char cursor[64];
    cpe_diag_t d = {0};
    int rc = cpe_onchain_parse(m, body, size, &p, &n, cursor, sizeof cursor, &d);
    if (memchr(cursor, 0, sizeof cursor) == NULL) abort();
    if (rc) {
        if (!d.msg[0] || n != 0) abort();
    } else {
        for (size_t i = 0; i < n; i++) {
            if (p[i].ts_ms < 0) abort();
            if (m->parser == CPE_OCP_DEFILLAMA && p[i].ts_ms % m->interval_ms) abort();
            if (m->parser == CPE_OCP_WHALE_ALERT &&
                (fabs(p[i].v[0]) > 1 || p[i].v[0] != (int)p[i].v[0] || !(p[i].v[1] >= 0) ||
                 !isfinite(p[i].v[1])))
                abort();
        }
        if (m->parser == CPE_OCP_WHALE_ALERT) {
            cpe_point_t *agg = NULL, *tx = NULL;
            size_t na = 0;
            if (cpe_onchain_whale_aggregate(p, n, m->interval_ms, &agg, &tx, &na)) abort();
            double total = 0;
            for (size_t i = 0; i < na; i++)
                total += tx[i].v[0];
            if (total != (double)n) abort();
            free(agg);
            free(tx);
        }
    }
    free(p);
    free(body);
    return 0;
}

#endif
