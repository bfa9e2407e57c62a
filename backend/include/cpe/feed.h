/*
 * feed.h — the live market-data runtime: WebSocket streams and REST backfill from the
 * exchange adapters (exchange.h), with per-kind fallback (fallback.h), rate limits
 * (tokenbucket.h), reconnects with backoff, gap backfill and staleness.
 *
 * Threads. cpe_feed_start() starts two threads of its own:
 *   - the stream thread runs a client-only libwebsockets context: one connection per
 *     (exchange, market, stream group) that is needed, reconnecting with exponential
 *     backoff and jitter; a 250 ms timer drives the fallback state and staleness;
 *   - the REST thread runs blocking libcurl requests one at a time (backfill jobs and
 *     the DNS look-ups of the stream hosts, so the event loop never blocks on DNS or a
 *     slow server), each exchange behind its own token bucket fed by its rate headers.
 * The consumer (any one thread) drains normalised events with cpe_feed_poll().
 *
 * Guarantees to the consumer. Closed 1m klines of one (symbol, market) are delivered
 * at most once per open time (duplicates and replays are dropped and counted); when a
 * stream reconnects or a closed kline arrives after a hole, the hole is backfilled over
 * REST, so across disconnects no bar is lost or duplicated. A backfill that fails on every
 * exchange is retried with a growing delay (up to 10 x backoff_cap_ms) until it succeeds,
 * never dropped, unless it falls out of the backfill_max_ms window. Backfilled bars may arrive
 * after newer live bars: consumers that need order write to the store (idempotent upsert)
 * and read back. Malformed messages are counted and skipped; they never stop the feed.
 *
 * Events carry the exchange that produced them (cpe_feed_event_t.exchange), so a
 * recorder stores them under their true source ("bybit:perp:BTCUSDT").
 */
#ifndef CPE_FEED_H
#define CPE_FEED_H

#include "cpe/error.h"
#include "cpe/exchange.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_FEED_MAX_SYMBOLS 8

typedef struct cpe_feed cpe_feed_t;

typedef struct cpe_feed_config {
    const char *symbols[CPE_FEED_MAX_SYMBOLS]; /* Binance form: "BTCUSDT" */
    int nsymbols;
    int spot, perp;     /* which markets to follow (both by default) */
    unsigned kinds;     /* mask of 1 << cpe_data_kind_t; 0 = klines, trades, funding, OI, liqs */
    int64_t recover_ms; /* primary must be fresh this long before it takes over again (30 s) */
    int64_t max_age_ms[CPE_DK_COUNT];        /* 0 = the spec 16.3 limit of the kind */
    int64_t backoff_base_ms, backoff_cap_ms; /* reconnect and REST retry backoff (500 ms, 30 s;
                                              * CPE_FEED_BACKOFF_MS sets the base, cap 60x) */
    int64_t rest_timeout_ms;                 /* per REST request (10 s) */
    int64_t backfill_max_ms;                 /* never backfill more than this (24 h) */
    size_t queue_cap;                        /* events held for the consumer (65536) */
    uint64_t seed;                           /* jitter */
} cpe_feed_config_t;

typedef struct cpe_feed_event {
    const cpe_exchange_t *exchange;
    int backfill;    /* 1 when it came from a REST backfill */
    int64_t recv_ms; /* wall clock when the frame or body was received (latency figures) */
    cpe_market_event_t ev;
} cpe_feed_event_t;

typedef struct cpe_feed_kind_status {
    const char *kind;      /* "price", "funding", ... */
    const char *active;    /* exchange in use */
    int64_t last_event_ms; /* wall clock of the newest used event (0 never) */
    int64_t max_age_ms;
    int stale;
    int switches; /* fallback switches so far */
} cpe_feed_kind_status_t;

typedef struct cpe_feed_status {
    cpe_feed_kind_status_t kinds[CPE_DK_COUNT];
    uint64_t events, malformed, duplicates, dropped_overflow;
    uint64_t reconnects, backfill_requests, backfilled_bars, rest_errors, rate_limited;
    int connected; /* open stream connections */
} cpe_feed_status_t;

void cpe_feed_config_default(cpe_feed_config_t *c);
int cpe_feed_start(const cpe_feed_config_t *c, cpe_feed_t **out, cpe_diag_t *d);
/* Copy up to cap pending events into out; returns how many. Never blocks. */
size_t cpe_feed_poll(cpe_feed_t *f, cpe_feed_event_t *out, size_t cap);
/* Wait up to timeout_ms for the first closed or in-progress kline from any exchange.
 * 0 when data flows, CPE_ETIMEOUT otherwise (serve --source auto uses this). */
int cpe_feed_wait_data(cpe_feed_t *f, int64_t timeout_ms);
/* Wait up to timeout_ms until at least one event is queued: 0, or CPE_ETIMEOUT. */
int cpe_feed_wait_events(cpe_feed_t *f, int64_t timeout_ms);
void cpe_feed_status(cpe_feed_t *f, cpe_feed_status_t *st);
/* REST jobs (backfills, look-ups) queued or running; a recorder that is about to stop
 * waits for 0 so the last holes are filled. */
int cpe_feed_pending(cpe_feed_t *f);
void cpe_feed_stop(cpe_feed_t *f); /* joins both threads; NULL is a no-op */

struct cpe_store;
/* Write events to the store under their true source, in one transaction:
 *   closed klines -> "<exchange>:<spot|perp>:SYM" kind "kline:1m"
 *   settled funding -> "funding" (v0 rate); OI -> "oi" (v0 contracts, v1 notional)
 *   liquidations -> "liq" (v0 side, v1 price, v2 qty); trades -> "trade" (v0 price, v1 qty,
 *   v2 side); book -> "book". In-progress klines and funding estimates are not stored. */
int cpe_feed_store_events(struct cpe_store *st, const cpe_feed_event_t *ev, size_t n,
                          cpe_diag_t *d);
/* The store's holes, asked for again (feed_gaps.c): every missing 1m bar of a followed
 * (symbol, market) in the live window [now - backfill_max_ms, now), missing under every
 * exchange's "<exchange>:<spot|perp>:SYM" kline:1m series, is requested over REST (one
 * request per run of missing minutes, at most 64; minutes before a series' first bar are
 * not holes). force = 1 at start; with force = 0 it runs at most every 5 minutes, only
 * when no REST job is pending, and leaves the newest 2 minutes to the stream. Call it
 * from the thread that owns st. A hole stays in the store until it is filled, so a hole
 * that outlives the process is asked for at the next start. */
int cpe_feed_fill_store_gaps(cpe_feed_t *f, struct cpe_store *st, int64_t now_ms, int force,
                             cpe_diag_t *d);

#endif
