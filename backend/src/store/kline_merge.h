/* kline_merge.h — the kline upsert rules every store backend shares (cpe/store.h):
 * sort a batch by open time with the last write winning, and merge a sorted batch into
 * one stored day chunk, counting inserted / updated / unchanged / kept. Internal to the
 * store layer; pure functions over caller-owned arrays. */
#ifndef CPE_STORE_KLINE_MERGE_H
#define CPE_STORE_KLINE_MERGE_H

#include "cpe/store.h"

/* Equal values, NaN equal to NaN. */
int cpe_kl_same_double(double a, double b);
int cpe_kl_same(const cpe_kline_t *a, const cpe_kline_t *b);

/* UTC day number of an open time (floor). */
int64_t cpe_kl_day(int64_t ts_ms);

/* If k[0..n) is not strictly ascending, *sorted gets a malloc'd copy sorted by ts with
 * one row per ts (the last one given wins; the earlier ones count as updated or unchanged
 * in st) and *n its length; otherwise *sorted = NULL. CPE_ENOMEM (diag d). */
int cpe_kl_sort_unique(const cpe_kline_t *k, size_t *n, cpe_kline_t **sorted,
                       cpe_upsert_stats_t *st, cpe_diag_t *d);

/* Merge the sorted, unique new rows nw[0..nn) into the stored chunk old (no packed
 * records, possibly unaligned) writing the result to out (room for no + nn). Returns the
 * merged length; *changed is how many rows were inserted or replaced. */
size_t cpe_kl_merge_day(const void *old, size_t no, const cpe_kline_t *nw, size_t nn,
                        cpe_kline_t *out, size_t *changed, cpe_upsert_stats_t *st);

/* Grow the scratch array *buf (capacity *cap records) to hold need records. CPE_ENOMEM. */
int cpe_kl_reserve(cpe_kline_t **buf, size_t *cap, size_t need, cpe_diag_t *d);

/* Ask for transparent huge pages on the interior of a large fresh output array (a year of
 * 1m bars is 42 MB: faulting it in 4 KiB pages costs more than reading it). */
void cpe_kl_huge_pages(void *p, size_t len);

#endif
