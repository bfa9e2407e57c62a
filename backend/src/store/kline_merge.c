/* kline_merge.c — the kline upsert rules shared by the store backends (kline_merge.h). */
#include "store/kline_merge.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int cpe_kl_same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

int cpe_kl_same(const cpe_kline_t *a, const cpe_kline_t *b)
{
    return a->ts_ms == b->ts_ms && cpe_kl_same_double(a->open, b->open) &&
           cpe_kl_same_double(a->high, b->high) && cpe_kl_same_double(a->low, b->low) &&
           cpe_kl_same_double(a->close, b->close) && cpe_kl_same_double(a->volume, b->volume) &&
           cpe_kl_same_double(a->quote_volume, b->quote_volume) &&
           cpe_kl_same_double(a->trades, b->trades) &&
           cpe_kl_same_double(a->taker_buy_base, b->taker_buy_base) &&
           cpe_kl_same_double(a->taker_buy_quote, b->taker_buy_quote);
}

static int known_fields(const cpe_kline_t *k)
{
    return !isnan(k->quote_volume) + !isnan(k->trades) + !isnan(k->taker_buy_base) +
           !isnan(k->taker_buy_quote);
}

int64_t cpe_kl_day(int64_t ts_ms)
{
    return cpe_floor_ms(ts_ms, CPE_MS_PER_DAY) / CPE_MS_PER_DAY;
}

/* Stable merge sort by ts (input order kept among equal ts, so the last write wins). */
static void msort_klines(cpe_kline_t *a, cpe_kline_t *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    msort_klines(a, tmp, h);
    msort_klines(a + h, tmp, n - h);
    if (a[h - 1].ts_ms <= a[h].ts_ms) return;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[j].ts_ms < a[i].ts_ms ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int cpe_kl_sort_unique(const cpe_kline_t *k, size_t *n, cpe_kline_t **sorted,
                       cpe_upsert_stats_t *st, cpe_diag_t *d)
{
    *sorted = NULL;
    size_t i = 1;
    while (i < *n && k[i].ts_ms > k[i - 1].ts_ms)
        i++;
    if (i >= *n) return 0;
    cpe_kline_t *v = malloc(*n * sizeof *v), *tmp = malloc(*n * sizeof *tmp);
    if (!v || !tmp) {
        free(v);
        free(tmp);
        return cpe_diag_set(d, CPE_ENOMEM, "out of memory sorting klines");
    }
    memcpy(v, k, *n * sizeof *v);
    msort_klines(v, tmp, *n);
    free(tmp);
    /* equal ts: the last one written wins, earlier ones count as overwritten */
    size_t w = 0;
    for (i = 0; i < *n; i++) {
        if (w > 0 && v[w - 1].ts_ms == v[i].ts_ms) {
            if (cpe_kl_same(&v[w - 1], &v[i]))
                st->unchanged++;
            else
                st->updated++;
            v[w - 1] = v[i];
        } else
            v[w++] = v[i];
    }
    *n = w;
    *sorted = v;
    return 0;
}

size_t cpe_kl_merge_day(const void *old, size_t no, const cpe_kline_t *nw, size_t nn,
                        cpe_kline_t *m, size_t *changed, cpe_upsert_stats_t *st)
{
    size_t i = 0, j = 0, k = 0;
    cpe_kline_t ok;
    *changed = 0;
    while (i < no || j < nn) {
        if (i < no) memcpy(&ok, (const char *)old + i * sizeof ok, sizeof ok);
        if (j >= nn || (i < no && ok.ts_ms < nw[j].ts_ms)) {
            m[k++] = ok;
            i++;
        } else if (i >= no || nw[j].ts_ms < ok.ts_ms) {
            m[k++] = nw[j++];
            st->inserted++;
            (*changed)++;
        } else {
            if (cpe_kl_same(&ok, &nw[j])) {
                st->unchanged++;
                m[k++] = ok;
            } else if (known_fields(&nw[j]) < known_fields(&ok)) {
                st->kept++;
                m[k++] = ok;
            } else {
                st->updated++;
                (*changed)++;
                m[k++] = nw[j];
            }
            j++;
            i++;
        }
    }
    return k;
}

int cpe_kl_reserve(cpe_kline_t **buf, size_t *cap, size_t need, cpe_diag_t *d)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 2048;
    while (c < need)
        c *= 2;
    cpe_kline_t *m = realloc(*buf, c * sizeof *m);
    if (!m) return cpe_diag_set(d, CPE_ENOMEM, "out of memory merging klines");
    *buf = m;
    *cap = c;
    return 0;
}

/* A year of 1m bars is 42 MB of fresh memory: faulting it in 4 KiB pages costs more than
 * reading it from SQLite. Ask for transparent huge pages on the untouched interior. */
void cpe_kl_huge_pages(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t hp = (uintptr_t)2 << 20;
    if (len < 4 * hp) return;
    uintptr_t a = ((uintptr_t)p + hp - 1) & ~(hp - 1), z = ((uintptr_t)p + len) & ~(hp - 1);
    /* NOLINTNEXTLINE(performance-no-int-to-ptr): an address rounded to a page boundary */
    if (z > a) madvise((void *)a, z - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}
