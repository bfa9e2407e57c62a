/*
 * tokenbucket.h — a token bucket on an explicit clock (ms), for rate limiting both ways:
 * what clients may ask of the API server, and what the engine may ask of an exchange.
 *
 * The bucket holds up to `burst` tokens and refills at `per_min / 60000` tokens per ms.
 * take() succeeds when a whole token is there; otherwise it reports how long to wait.
 * block_until() lets an outside fact (an exchange's Retry-After, an exhausted window)
 * empty the bucket until a given time. Pure state, no clock reads, no locks.
 */
#ifndef CPE_TOKENBUCKET_H
#define CPE_TOKENBUCKET_H

#include <stdint.h>

typedef struct cpe_tokenbucket {
    double tokens, burst, per_ms;
    int64_t last_ms;
    int64_t blocked_until_ms;
} cpe_tokenbucket_t;

void cpe_tb_init(cpe_tokenbucket_t *tb, double per_min, double burst, int64_t now_ms);
/* 0 when a token was taken; otherwise the ms to wait before one will be there (>= 1). */
int64_t cpe_tb_take(cpe_tokenbucket_t *tb, int64_t now_ms);
/* No tokens before until_ms (keeps the later of two blocks). */
void cpe_tb_block_until(cpe_tokenbucket_t *tb, int64_t until_ms);

#endif
