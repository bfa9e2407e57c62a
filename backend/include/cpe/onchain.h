/*
 * onchain.h — on-chain and stablecoin connectors (spec 4.3 / 8.5 / 9.1): REST over libcurl
 * into named series of the store, so the features (cpe/features.h, CPE_FSER_*) and the
 * cockpit's flows panel read them like any imported series.
 *
 * Model. One table of sources and one table of metrics. A source is a service with an
 * optional API key read from the environment (never from a file or the command line) and a
 * base URL (overridable, which is how the tests point it at a local double). A metric is one
 * endpoint of one source that yields one store series:
 *
 *   source        key (env)               metric series (store name)   interval  per asset
 *   glassnode     CPE_GLASSNODE_API_KEY   exchange_netflow             1d        yes
 *                                         miner_outflow                1d        yes
 *                                         nvt_signal                   1d        yes
 *   cryptoquant   CPE_CRYPTOQUANT_API_KEY exchange_reserves            1d        yes
 *                                         exchange_netflow             1d        yes
 *   whale_alert   CPE_WHALE_ALERT_API_KEY whale_flows (+ whale_transactions)  1h  yes
 *   defillama     (keyless)               stablecoin_supply (+ _change)      1d  no (CRYPTO)
 *
 * A per-asset metric writes series:<ASSET>:<name>, the others series:CRYPTO:<name> (kind
 * series:<name>, the importer's key, cpe_series_key()). Values (cpe_point_t.v):
 *   every series but whale_flows   v0 = the value (netflow: coin units in (+) / out (-))
 *   whale_flows   v0 count to exchanges, v1 USD to exchanges, v2 count from exchanges,
 *                 v3 USD from exchanges  (transfers whose one side only is an exchange)
 *   whale_transactions  v0 = every large transfer of the interval (the feature's input)
 *   stablecoin_supply_change  v0 = supply(t) - supply(previous day), written beside the supply
 * Two sources may write the same series (exchange_netflow): the last fetch wins per point.
 * Point timestamps are interval starts (UTC); a daily value stamped D is usable from D+1
 * (the feature engine's availability rule), an hourly one at the end of its hour.
 *
 * Parsers are pure (bytes in, points out; fuzzed by fuzz/fuzz_sources_onchain_*.c):
 *   glassnode    [{"t": unix_s, "v": number|null}, ...]
 *   cryptoquant  {"status":{...},"result":{"data":[{"date":"YYYY-MM-DD"|"datetime": ...,
 *                 "<field>": number}, ...]}}   (newest first; re-sorted)
 *   whale_alert  {"result":"success","cursor":"...","count":n,"transactions":[{"timestamp":
 *                 unix_s,"amount_usd":x,"from":{"owner_type":...},"to":{...}}, ...]}
 *   defillama    [{"date":"unix_s","totalCirculatingUSD":{"peggedUSD":x,...}}, ...]
 * A malformed answer is CPE_EPARSE naming the element and field; a null value is skipped.
 *
 * Fetch (cpe_onchain_fetch): for every enabled metric and asset, the range [from, to) is cut
 * into pages; the range starts after the series' newest stored point, so a second run asks
 * only for what is new (a fresh store backfills). Each page is upserted in its own
 * transaction. Requests pass a per-source token bucket; 429 waits Retry-After (else 60 s,
 * capped by max_wait_ms; at most 20 times for one request) and retries, 5xx and network errors are
 * retried with backoff (attempts), other statuses fail with the URL named. A metric that fails
 * leaves the others running; the report says which. After a source answers, meta
 * "onchain:ok:<source>" holds the time (ms) and "onchain:src:<instrument>" the source that wrote
 * the series: /health flags a configured source whose last answer is older than
 * CPE_ONCHAIN_FRESH_MS.
 *
 * Threads: the tables are immutable; a fetch uses its caller's store (one thread).
 */
#ifndef CPE_ONCHAIN_H
#define CPE_ONCHAIN_H

#include "cpe/error.h"
#include "cpe/market.h"
#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_ONCHAIN_FRESH_MS (10 * 60 * 1000) /* spec 16.3: on-chain data at most 10 min old */

typedef enum cpe_onchain_src {
    CPE_OC_GLASSNODE = 0,
    CPE_OC_CRYPTOQUANT,
    CPE_OC_WHALE_ALERT,
    CPE_OC_DEFILLAMA,
    CPE_OC_NSOURCES
} cpe_onchain_src_t;

typedef enum cpe_onchain_parser {
    CPE_OCP_GLASSNODE = 0, /* [{t, v}] */
    CPE_OCP_CRYPTOQUANT,   /* result.data[{date|datetime, field}] */
    CPE_OCP_WHALE_ALERT,   /* transactions[] with a cursor */
    CPE_OCP_DEFILLAMA      /* [{date, totalCirculatingUSD{...}}] */
} cpe_onchain_parser_t;

typedef struct cpe_onchain_source {
    const char *name;     /* "glassnode" */
    const char *key_env;  /* environment variable of the API key; NULL: keyless */
    const char *base_env; /* environment variable overriding the base URL */
    const char *base;     /* default base URL */
    double per_min;       /* request budget per minute */
} cpe_onchain_source_t;

typedef struct cpe_onchain_metric {
    int source;          /* cpe_onchain_src_t */
    int parser;          /* cpe_onchain_parser_t */
    const char *series;  /* store series name ("exchange_netflow") */
    int per_asset;       /* 1: series:<ASSET>:name; 0: series:CRYPTO:name */
    int64_t interval_ms; /* the series' interval */
    const char *path;    /* URL path after the base */
    const char *field;   /* CryptoQuant: the value's field; else NULL */
    int64_t page_ms;     /* time span of one request */
} cpe_onchain_metric_t;

const cpe_onchain_source_t *cpe_onchain_source(int id); /* NULL out of range */
int cpe_onchain_source_id(const char *name);            /* -1 when unknown */
size_t cpe_onchain_metric_count(void);
const cpe_onchain_metric_t *cpe_onchain_metric_at(size_t i);
/* The API key of a source from the environment: NULL when unset or empty (keyless sources
 * give ""), so "configured" = key != NULL. */
const char *cpe_onchain_key(int source);

/* ---- parsers (pure) ---- */

/* Parse one answer of metric m into points appended to *out (realloc'd; *n grows): one point
 * per value, ts = the interval start in ms. For whale_alert each point is ONE transfer:
 * v0 = +1 to an exchange, -1 from one, 0 neither or both, v1 = USD; *cursor (cap bytes) gets
 * the next page's cursor ("" at the end; pass NULL for other parsers). */
int cpe_onchain_parse(const cpe_onchain_metric_t *m, const char *body, size_t len,
                      cpe_point_t **out, size_t *n, char *cursor, size_t cursor_cap, cpe_diag_t *d);
/* Whale transfers (as parsed) into whale_flows points per interval_ms (sorted, one per
 * interval with a transfer) and, when tx != NULL, whale_transactions counts. *out / *tx are
 * malloc'd with *n entries each. */
int cpe_onchain_whale_aggregate(const cpe_point_t *transfers, size_t n, int64_t interval_ms,
                                cpe_point_t **out, cpe_point_t **tx, size_t *nout);
/* Day-over-day change of a sorted level series: out[i] at p[i+1].ts = v0 difference, for
 * consecutive days only. *out malloc'd. */
int cpe_onchain_changes(const cpe_point_t *p, size_t n, int64_t interval_ms, cpe_point_t **out,
                        size_t *nout);

/* ---- fetch ---- */

typedef struct cpe_onchain_opts {
    int64_t from_ms, to_ms;    /* the range asked for */
    const char *base;          /* every source's base URL (a test double); NULL: env/default */
    unsigned sources;          /* bit mask of cpe_onchain_src_t; 0 = every configured one */
    const char *const *assets; /* NULL-terminated asset names for per-asset metrics */
    int attempts;              /* 5xx / network retries (0 = 5) */
    int64_t max_wait_ms;       /* longest Retry-After obeyed (0 = 120 s) */
    int64_t timeout_ms;        /* per request (0 = 30 s) */
    double per_min;            /* request budget per source per minute (0 = the table's) */
} cpe_onchain_opts_t;

#define CPE_ONCHAIN_REPORT_MAX 32
typedef struct cpe_onchain_row {
    char source[24];
    char instrument[CPE_INSTR_KEY_MAX];
    char kind[CPE_KIND_MAX];
    int64_t inserted, updated, unchanged;
    int requests;
    int rc;          /* 0 or the error of this metric */
    char error[512]; /* the message of cpe_diag_t */
} cpe_onchain_row_t;

typedef struct cpe_onchain_report {
    cpe_onchain_row_t row[CPE_ONCHAIN_REPORT_MAX];
    size_t nrows;
    int requests, rate_waits, retries;
    int skipped[CPE_OC_NSOURCES]; /* 1: not configured (no key) */
} cpe_onchain_report_t;

void cpe_onchain_opts_init(cpe_onchain_opts_t *o);
/* Fetch every enabled metric (see above). 0 when every metric succeeded, else the first
 * metric's error (the others still ran; rep says which). */
int cpe_onchain_fetch(cpe_store_t *s, const cpe_onchain_opts_t *o, cpe_onchain_report_t *rep,
                      cpe_diag_t *d);

#endif
