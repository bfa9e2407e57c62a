/*
 * ratelimit.h — per-client token buckets (spec 15.2: 1000 requests/min per IP).
 *
 * Each key (a client IP) owns a core token bucket (cpe/tokenbucket.h) of `per_min`
 * tokens refilling at per_min/60 per second; a request takes one token. An empty bucket
 * answers with the seconds until one token is back (the 429's Retry-After).
 *
 * Memory is fixed at init: an open-addressing table of `slots` buckets. When the probe
 * window is full the least recently used bucket in it is reused; a bucket idle for a
 * minute is full again anyway, so eviction only ever forgets clients that were quiet.
 * Not thread-safe: the server calls it from its service thread only.
 */
#ifndef CPE_API_RATELIMIT_H
#define CPE_API_RATELIMIT_H

#include "cpe/tokenbucket.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_RL_KEY_MAX 48

typedef struct cpe_rl_slot {
    char key[CPE_RL_KEY_MAX];
    cpe_tokenbucket_t tb;
} cpe_rl_slot_t;

typedef struct cpe_ratelimit {
    double per_min;
    size_t nslots;
    cpe_rl_slot_t *slots;
} cpe_ratelimit_t;

/* per_min <= 0 disables limiting (take always allows). 0 or CPE_ENOMEM. */
int cpe_ratelimit_init(cpe_ratelimit_t *rl, double per_min, size_t slots);
void cpe_ratelimit_free(cpe_ratelimit_t *rl);
/* Take one token for key at now_ms: 1 allowed; 0 refused with *retry_after_s >= 1. */
int cpe_ratelimit_take(cpe_ratelimit_t *rl, const char *key, int64_t now_ms, int *retry_after_s);

#endif
