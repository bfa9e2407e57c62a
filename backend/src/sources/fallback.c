/* fallback.c — provider selection per data kind and reconnect backoff (see cpe/fallback.h). */
#include "cpe/fallback.h"

#include <string.h>

void cpe_fb_init(cpe_fallback_t *fb, int n, int64_t max_age_ms, int64_t recover_ms, int64_t now_ms)
{
    memset(fb, 0, sizeof *fb);
    fb->n = n > CPE_FB_MAX ? CPE_FB_MAX : n;
    fb->max_age_ms = max_age_ms;
    fb->recover_ms = recover_ms;
    fb->tried_since_ms[0] = now_ms;
}

int cpe_fb_fresh(const cpe_fallback_t *fb, int p, int64_t now_ms)
{
    return fb->last_event_ms[p] > 0 && now_ms - fb->last_event_ms[p] <= fb->max_age_ms &&
           now_ms >= fb->failed_until_ms[p];
}

void cpe_fb_event(cpe_fallback_t *fb, int p, int64_t now_ms)
{
    if (p < 0 || p >= fb->n) return;
    if (!cpe_fb_fresh(fb, p, now_ms)) fb->fresh_since_ms[p] = now_ms;
    fb->last_event_ms[p] = now_ms;
    if (now_ms >= fb->failed_until_ms[p]) fb->failed_until_ms[p] = 0;
}

void cpe_fb_failure(cpe_fallback_t *fb, int p, int64_t now_ms, int64_t retry_ms)
{
    if (p < 0 || p >= fb->n) return;
    fb->failed_until_ms[p] = now_ms + retry_ms;
    fb->last_event_ms[p] = 0;
    fb->fresh_since_ms[p] = 0;
}

static void set_active(cpe_fallback_t *fb, int p)
{
    if (p != fb->active) {
        fb->active = p;
        fb->switches++;
        fb->tried_since_ms[p] = 0;
    }
}

int cpe_fb_tick(cpe_fallback_t *fb, int64_t now_ms)
{
    /* revert to a recovered higher-priority provider */
    for (int p = 0; p < fb->active; p++) {
        if (cpe_fb_fresh(fb, p, now_ms) && now_ms - fb->fresh_since_ms[p] >= fb->recover_ms) {
            set_active(fb, p);
            return fb->active;
        }
    }
    int a = fb->active;
    if (cpe_fb_fresh(fb, a, now_ms)) return a;
    /* grace: a provider just made active has max_age_ms to deliver its first event */
    if (fb->tried_since_ms[a] && now_ms - fb->tried_since_ms[a] <= fb->max_age_ms &&
        now_ms >= fb->failed_until_ms[a])
        return a;
    for (int p = 0; p < fb->n; p++)
        if (p != a && cpe_fb_fresh(fb, p, now_ms)) {
            set_active(fb, p);
            return p;
        }
    for (int k = 1; k <= fb->n; k++) {
        int p = (a + k) % fb->n;
        if (now_ms >= fb->failed_until_ms[p]) {
            set_active(fb, p);
            fb->tried_since_ms[p] = now_ms;
            return p;
        }
    }
    return a;
}

int cpe_fb_use(const cpe_fallback_t *fb, int p)
{
    return p == fb->active;
}

int64_t cpe_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, cpe_rng_t *rng)
{
    int64_t lim = base_ms;
    for (int i = 0; i < attempt && lim < cap_ms; i++)
        lim *= 2;
    if (lim > cap_ms) lim = cap_ms;
    int64_t v = (int64_t)(cpe_rng_uniform(rng) * (double)lim);
    return v < base_ms / 2 ? base_ms / 2 : v;
}
