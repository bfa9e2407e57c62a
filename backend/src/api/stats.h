/*
 * stats.h — the server's request counters and latency histograms, rendered as
 * Prometheus text for GET /metrics.
 *
 * One slot per route-table row plus "static" (frontend files) and "other" (404s,
 * rejected requests). Per slot: requests by status code and a cumulative latency
 * histogram (seconds, buckets CPE_STATS_BUCKETS) with sum and count, the standard
 * Prometheus histogram shape. Gauges (WebSocket clients, ingest lag, accuracy, drift)
 * are passed in at render time by the server, which owns those facts.
 * Service thread only.
 */
#ifndef CPE_API_STATS_H
#define CPE_API_STATS_H

#include "cpe/buf.h"
#include "cpe/universe.h"

#include <stdint.h>

#define CPE_STATS_SLOTS 40
#define CPE_STATS_NBUCKETS 12
#define CPE_STATS_NSTATUS 13

extern const double cpe_stats_buckets_s[CPE_STATS_NBUCKETS];

typedef struct cpe_stats_slot {
    const char *route; /* label */
    const char *method;
    uint64_t status_count[CPE_STATS_NSTATUS];
    uint64_t bucket[CPE_STATS_NBUCKETS]; /* non-cumulative here; rendered cumulative */
    uint64_t count;
    double sum_s;
} cpe_stats_slot_t;

typedef struct cpe_stats {
    int nslots;
    cpe_stats_slot_t slot[CPE_STATS_SLOTS];
    uint64_t ws_messages_sent, ws_dropped_clients, ws_collapsed;
    uint64_t ws_direct_partial,
        ws_direct_full; /* broadcast writes the socket took in part / none of */
} cpe_stats_t;

/* Add a slot (returns its index, or -1 when full). */
int cpe_stats_add_slot(cpe_stats_t *s, const char *route, const char *method);
void cpe_stats_observe(cpe_stats_t *s, int slot, int status, double seconds);

typedef struct cpe_stats_gauges {
    int ws_clients;
    double ingest_lag_s; /* now - newest stored 1m bar close, NaN if none */
    int simulated;
    int n_acc; /* (asset, horizon) rows with accuracy figures */
#define CPE_STATS_ACC_MAX (CPE_ASSETS_MAX * CPE_NHORIZONS)
    const char *acc_asset[CPE_STATS_ACC_MAX];
    int acc_horizon[CPE_STATS_ACC_MAX];
    double acc_24h[CPE_STATS_ACC_MAX]; /* direction hit rate of predictions resolved in 24 h */
    int acc_n[CPE_STATS_ACC_MAX];
    double drift[CPE_STATS_ACC_MAX]; /* PSI of p_up, last 24 h vs the 7 days before; NaN */
    int n_model_drift;               /* live symbols with a model drift score row */
    const char *model_drift_symbol[CPE_ASSETS_MAX];
    double model_drift[CPE_ASSETS_MAX]; /* feature PSI vs training (drift.h); NaN: none yet */
} cpe_stats_gauges_t;

/* Prometheus text exposition (version 0.0.4). */
int cpe_stats_render(const cpe_stats_t *s, const cpe_stats_gauges_t *g, cpe_buf_t *b);

#endif
