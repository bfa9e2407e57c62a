/*
 * fallback.h — which exchange feeds one data kind right now (spec 9.3), and reconnect
 * backoff. Pure state on an explicit clock, so every transition is unit-testable.
 *
 * Providers are in priority order (0 = primary: Binance, 1 = Bybit, 2 = OKX). The runtime
 * reports every event it receives (cpe_fb_event) and every connection failure
 * (cpe_fb_failure), and calls cpe_fb_tick regularly. Rules:
 *   - the active provider is *stale* when its last event is older than max_age_ms
 *     (the kind's spec 16.3 limit) or it has failed; then the first provider in priority
 *     order that is fresh becomes active, or, when none is fresh, the next one in order
 *     that has not failed recently (so a dead primary is left within max_age_ms);
 *   - a higher-priority provider that has been fresh without interruption for
 *     recover_ms takes over again (the revert after recovery);
 *   - events from a provider that is not active are reported (for freshness) but not
 *     used: cpe_fb_use() says whether to use an event.
 */
#ifndef CPE_FALLBACK_H
#define CPE_FALLBACK_H

#include "cpe/rng.h"

#include <stdint.h>

#define CPE_FB_MAX 4

typedef struct cpe_fallback {
    int n, active, switches;
    int64_t max_age_ms, recover_ms;
    int64_t last_event_ms[CPE_FB_MAX];  /* 0 = never */
    int64_t fresh_since_ms[CPE_FB_MAX]; /* start of the current uninterrupted fresh run */
    int64_t failed_until_ms[CPE_FB_MAX];
    int64_t tried_since_ms[CPE_FB_MAX]; /* when it last became active (grace for first data) */
} cpe_fallback_t;

void cpe_fb_init(cpe_fallback_t *fb, int n, int64_t max_age_ms, int64_t recover_ms, int64_t now_ms);
void cpe_fb_event(cpe_fallback_t *fb, int provider, int64_t now_ms);
/* The provider failed (connect error, 5xx, malformed stream); retry it after retry_ms. */
void cpe_fb_failure(cpe_fallback_t *fb, int provider, int64_t now_ms, int64_t retry_ms);
/* Re-evaluate; returns the active provider (changes are counted in fb->switches). */
int cpe_fb_tick(cpe_fallback_t *fb, int64_t now_ms);
int cpe_fb_use(const cpe_fallback_t *fb, int provider);
int cpe_fb_fresh(const cpe_fallback_t *fb, int provider, int64_t now_ms);

/* Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)],
 * never below base / 2 so a reconnect storm cannot spin. */
int64_t cpe_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, cpe_rng_t *rng);

#endif
