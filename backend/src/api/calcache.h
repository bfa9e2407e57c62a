/*
 * calcache.h — the cone's recent coverage per asset and horizon for /health and
 * /metrics, computed on a thread of its own.
 *
 * Model. Every CPE_CALCACHE_REFRESH_MS (60 s) the thread builds the calibration report
 * (cpe/calib_report.h, 30-day window) of every asset the API knows (cpe_api_assets) for
 * the four horizons and keeps only the band coverages over 7 and 30 days with their
 * counts. A report costs tens of ms of store reads per asset: on the service thread that
 * would stall every WebSocket delivery once a minute, on the pipeline thread it would
 * delay the minute's predictions; here it runs at nice 10 with its own read-only store
 * handle (SQLite WAL: the pipeline keeps writing). Until the first pass ends, the
 * figures are absent (/health omits them, /metrics prints no gauge).
 *
 * Threads: start/stop from the service thread; the writers from any thread (the table is
 * under a mutex, copied out before printing).
 */
#ifndef CPE_API_CALCACHE_H
#define CPE_API_CALCACHE_H

#include "cpe/buf.h"
#include "cpe/calib_report.h"
#include "cpe/json.h"

#define CPE_CALCACHE_REFRESH_MS 60000

typedef struct cpe_calcache cpe_calcache_t;

/* Start the thread over the store at db. */
int cpe_calcache_start(const char *db, cpe_calcache_t **out, cpe_diag_t *d);
void cpe_calcache_stop(cpe_calcache_t *c); /* NULL is a no-op */

/* /health: "calibration": [{"horizon_hours", "coverage_7d": {...}, "coverage_30d": {...}}]
 * of symbol, as a key of the object being written (nothing before the first pass). */
void cpe_calcache_write_health(cpe_calcache_t *c, cpe_jw_t *w, const char *symbol);

/* /metrics: cpe_cone_coverage{symbol,horizon,band,window} and
 * cpe_cone_coverage_count{symbol,horizon,window}, Prometheus text appended to b. */
int cpe_calcache_write_metrics(cpe_calcache_t *c, cpe_buf_t *b);

#endif
