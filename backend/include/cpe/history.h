/*
 * history.h — fetch an instrument's past from an exchange's public REST endpoints into the
 * store: 1m klines (spot and perp), settled funding and open-interest history. What
 * `cpe fetch` runs.
 *
 * The model. A request [from, to) for one symbol on one exchange becomes a list of
 * windows per (market, kind), each sized so that one request returns it whole whatever
 * order the exchange answers in (klines: the adapter's kline_page minutes; funding:
 * CPE_HISTORY_FUNDING_ROWS settlements of 8 h; OI: CPE_HISTORY_OI_ROWS points of 5 min).
 * The windows are walked oldest first, one request each:
 *   - resumable and idempotent: a window the store already holds in full (every minute,
 *     every settlement, every 5-min point) is skipped without a request, and rows are
 *     written with the store's idempotent upsert, one transaction per window, so a run
 *     killed at any point leaves whole windows and the next run starts where it stopped;
 *   - within the rate limits: one token bucket per exchange at the adapter's budget
 *     (rest_per_min) holding one minute's budget (the exchanges count in fixed one-minute
 *     windows); a rate header saying the window is spent blocks until it resets, and
 *     418/429 block for Retry-After;
 *   - network errors and 5xx answers are retried (4 times, backoff 0.5 s doubling); a body
 *     that does not parse, or another 4xx, stops the fetch at once with an error naming
 *     the URL, and that window writes nothing.
 * Open interest: the exchanges keep a short history (Binance: the last 30 days), so OI
 * is asked for the last CPE_HISTORY_OI_DAYS days of the range only. Rows stamped at or
 * after `to` (the minute in progress) are dropped.
 *
 * Rows go where the live recorder puts them (cpe_feed_store_events): the instrument
 * "<exchange>:<spot|perp>:<SYMBOL>", kinds "kline:1m", "funding" (v0 rate), "oi" (v0
 * contracts, v1 notional). Not thread-safe: one fetch per store handle at a time.
 *
 * cpe_history_fill() is the same for every configured asset at once, with the exchanges
 * tried in fallback order: what `cpe serve` runs before the live pipeline starts, so a
 * fresh machine trains on the exchange's real past rather than on simulated minutes.
 */
#ifndef CPE_HISTORY_H
#define CPE_HISTORY_H

#include "cpe/error.h"
#include "cpe/exchange.h"

#include <stddef.h>
#include <stdint.h>

struct cpe_store;

#define CPE_HISTORY_FUNDING_ROWS 100 /* the smallest page of the adapters (OKX) */
#define CPE_HISTORY_OI_ROWS 200      /* the smallest page of the adapters (Bybit) */
#define CPE_HISTORY_OI_MS (5 * 60000)
#define CPE_HISTORY_OI_DAYS 30

/* Progress: windows done (fetched or skipped) of total, and the task in hand. */
typedef void (*cpe_history_progress_fn)(void *ctx, size_t done, size_t total, const char *what);

typedef struct cpe_history_req {
    const char *symbol;               /* Binance form, "SOLUSDT" */
    const cpe_exchange_t *ex;         /* the adapter; its base URLs follow cpe_exchange_base() */
    int64_t from_ms, to_ms;           /* [from, to), minute-aligned by the fetch */
    int spot, perp;                   /* markets (a market the exchange lacks is skipped) */
    unsigned kinds;                   /* 1 << CPE_DK_KLINE | FUNDING | OI; 0 = all three */
    int64_t timeout_ms;               /* per request (0: 15 s) */
    int attempts;                     /* per request on network errors and 5xx (0: 5) */
    cpe_history_progress_fn progress; /* NULL: none */
    void *progress_ctx;
} cpe_history_req_t;

typedef struct cpe_history_task_stats {
    char instrument[CPE_INSTR_KEY_MAX];
    const char *kind; /* "kline:1m", "funding", "oi" */
    size_t windows, skipped, rows, inserted, updated;
} cpe_history_task_stats_t;

#define CPE_HISTORY_MAX_TASKS 6
typedef struct cpe_history_stats {
    cpe_history_task_stats_t task[CPE_HISTORY_MAX_TASKS];
    size_t ntasks;
    size_t requests, retries, rate_waits;
    int64_t elapsed_ms;
} cpe_history_stats_t;

/* Fetch per the model above. 0; CPE_EINVAL (bad request), CPE_ENET (an exchange that
 * stays unreachable), CPE_EPARSE (a bad answer), CPE_EIO (an HTTP error) naming the URL;
 * or a store error. *out holds what was done up to the failure. */
int cpe_history_fetch(struct cpe_store *st, const cpe_history_req_t *req, cpe_history_stats_t *out,
                      cpe_diag_t *d);

/* The history a fresh store gets before the first training: CPE_HISTORY_DAYS (default 90,
 * 0 = none) days up to now of every configured asset (CPE_ASSETS), both markets, klines,
 * funding and OI, each asset from the first exchange in fallback order that answers (what
 * the store already holds is skipped, so a second start costs a request per series).
 * Appends what happened to note ("; history: 90 d from binance" or "; history: no exchange
 * answered"), for /health. 0 when some exchange answered (the note says when a series
 * could not be had from any), else the last error. */
#define CPE_HISTORY_DAYS_DEFAULT 90
int cpe_history_days(void);
int cpe_history_fill(struct cpe_store *st, char *note, size_t cap);

#endif
