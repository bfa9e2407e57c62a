/* ratelimit.c — per-key token buckets in a fixed open-addressing table (see ratelimit.h). */
#include "api/ratelimit.h"
#include "cpe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 16

int cpe_ratelimit_init(cpe_ratelimit_t *rl, double per_min, size_t slots)
{
    memset(rl, 0, sizeof *rl);
    rl->per_min = per_min;
    if (per_min <= 0) return 0;
    if (slots < PROBE) slots = PROBE;
    rl->slots = calloc(slots, sizeof *rl->slots);
    if (!rl->slots) return CPE_ENOMEM;
    rl->nslots = slots;
    return 0;
}

void cpe_ratelimit_free(cpe_ratelimit_t *rl)
{
    if (!rl) return;
    free(rl->slots);
    rl->slots = NULL;
    rl->nslots = 0;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int cpe_ratelimit_take(cpe_ratelimit_t *rl, const char *key, int64_t now_ms, int *retry_after_s)
{
    *retry_after_s = 0;
    if (rl->per_min <= 0 || !rl->slots) return 1;
    size_t start = (size_t)(hash(key) % rl->nslots);
    cpe_rl_slot_t *slot = NULL, *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        cpe_rl_slot_t *s = &rl->slots[(start + i) % rl->nslots];
        if (!s->key[0]) {
            if (!victim || victim->key[0]) victim = s;
            continue;
        }
        if (!strncmp(s->key, key, CPE_RL_KEY_MAX - 1)) {
            slot = s;
            break;
        }
        if (!victim || (victim->key[0] && s->tb.last_ms < victim->tb.last_ms)) victim = s;
    }
    if (!slot) {
        slot = victim;
        snprintf(slot->key, CPE_RL_KEY_MAX, "%s", key);
        cpe_tb_init(&slot->tb, rl->per_min, rl->per_min, now_ms);
    }
    int64_t wait_ms = cpe_tb_take(&slot->tb, now_ms);
    if (wait_ms == 0) return 1;
    int s = (int)((wait_ms + 999) / 1000);
    *retry_after_s = s < 1 ? 1 : s;
    return 0;
}
