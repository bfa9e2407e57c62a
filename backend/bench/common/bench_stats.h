/*
 * bench_stats.h — small helpers the model benchmarks share: this thread's CPU time (on a
 * shared box it excludes the time other processes ran) and the median of repetitions.
 * Header-only; not part of any library.
 */
#ifndef CPE_BENCH_STATS_H
#define CPE_BENCH_STATS_H

#include <stdlib.h>
#include <time.h>

static inline double bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[n] (n >= 1); sorts v. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#endif
