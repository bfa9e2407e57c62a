/* hindsight.c — the period's ideal entries and exits, labelled hindsight: a zig-zag over
 * bar highs and lows with a minimum swing. A swing low becomes an entry once price has
 * risen min_swing above it, a swing high an exit once price has fallen min_swing below
 * it, so the list alternates entry, exit, ... It uses the future and is never a signal. */
#include "cpe/backtest.h"

#include <stdlib.h>

static int push(cpe_bt_swing_t **v, size_t *n, size_t *cap, int64_t t, double price, int entry)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        cpe_bt_swing_t *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return CPE_ENOMEM;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = (cpe_bt_swing_t){t, price, entry};
    return 0;
}

int cpe_bt_hindsight(const cpe_bt_bars_t *bars, double min_swing, cpe_bt_swing_t **out, size_t *n)
{
    size_t cap = 0, lo_i = 0, hi_i = 0, ext_i = 0;
    int dir = 0, rc = 0; /* +1: after a low, looking for the high; -1: the reverse */
    *out = NULL;
    *n = 0;
    if (bars->n < 2 || !(min_swing > 0)) return 0;
    const double *hi = bars->high, *lo = bars->low;
    for (size_t i = 1; i < bars->n && !rc; i++) {
        if (dir == 0) {
            if (hi[i] > hi[hi_i]) hi_i = i;
            if (lo[i] < lo[lo_i]) lo_i = i;
            if (hi_i > lo_i && hi[hi_i] >= lo[lo_i] * (1 + min_swing)) {
                rc = push(out, n, &cap, bars->ts_ms[lo_i], lo[lo_i], 1);
                dir = 1, ext_i = hi_i;
            } else if (lo_i > hi_i && lo[lo_i] <= hi[hi_i] * (1 - min_swing)) {
                dir = -1, ext_i = lo_i;
            }
        } else if (dir == 1) {
            if (hi[i] > hi[ext_i])
                ext_i = i;
            else if (lo[i] <= hi[ext_i] * (1 - min_swing)) {
                rc = push(out, n, &cap, bars->ts_ms[ext_i], hi[ext_i], 0);
                dir = -1, ext_i = i;
            }
        } else {
            if (lo[i] < lo[ext_i])
                ext_i = i;
            else if (hi[i] >= lo[ext_i] * (1 + min_swing)) {
                rc = push(out, n, &cap, bars->ts_ms[ext_i], lo[ext_i], 1);
                dir = 1, ext_i = i;
            }
        }
    }
    return rc;
}
