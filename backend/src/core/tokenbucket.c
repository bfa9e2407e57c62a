/* tokenbucket.c — see cpe/tokenbucket.h. */
#include "cpe/tokenbucket.h"

#include <math.h>

void cpe_tb_init(cpe_tokenbucket_t *tb, double per_min, double burst, int64_t now_ms)
{
    tb->per_ms = per_min / 60000.0;
    tb->burst = burst < 1 ? 1 : burst;
    tb->tokens = tb->burst;
    tb->last_ms = now_ms;
    tb->blocked_until_ms = 0;
}

int64_t cpe_tb_take(cpe_tokenbucket_t *tb, int64_t now_ms)
{
    if (now_ms < tb->blocked_until_ms) return tb->blocked_until_ms - now_ms;
    if (now_ms > tb->last_ms) {
        tb->tokens = fmin(tb->burst, tb->tokens + (double)(now_ms - tb->last_ms) * tb->per_ms);
        tb->last_ms = now_ms;
    }
    if (tb->tokens >= 1.0) {
        tb->tokens -= 1.0;
        return 0;
    }
    if (tb->per_ms <= 0) return INT64_MAX / 2;
    int64_t wait = (int64_t)ceil((1.0 - tb->tokens) / tb->per_ms);
    return wait < 1 ? 1 : wait;
}

void cpe_tb_block_until(cpe_tokenbucket_t *tb, int64_t until_ms)
{
    if (until_ms > tb->blocked_until_ms) tb->blocked_until_ms = until_ms;
    tb->tokens = 0;
    if (until_ms > tb->last_ms) tb->last_ms = until_ms;
}
