/*
 * onchain_poll.h — `cpe serve` polls the on-chain connectors (cpe/onchain.h) on its own
 * thread, so their series stay inside the 10-minute freshness limit /health checks without
 * a `cpe onchain` cron job.
 *
 * Schedule. Every source that is configured when the server starts (a key in the
 * environment; DefiLlama needs none but is polled only when CPE_DEFILLAMA_BASE is set or
 * CPE_ONCHAIN_POLL=1) is fetched every CPE_ONCHAIN_POLL_S seconds (default 300: twice
 * within the freshness limit), each on its own clock, with cpe_onchain_fetch() over the
 * last 3 of the source's intervals (days; Whale Alert's hours) — the fetch's resume marks
 * make it ask only for what is new, within the source's request budget (token bucket;
 * CPE_ONCHAIN_PER_MIN overrides it, for tests), waiting out a 429's Retry-After up to 30 s. A
 * failed poll is tried again after twice the previous delay (at most an hour) and logged;
 * a success resets the delay. CPE_ONCHAIN_POLL=0: no thread.
 *
 * Effects. New or changed points are in the store (the flows panel's series), meta
 * onchain:ok:<source> is refreshed by every answer (/health's freshness), and when a poll
 * wrote points each configured asset's `market` WebSocket channel gets
 * {"type":"market","asset":A,"flows_updated":true,"source":S}, on which the cockpit reloads
 * its flows panel. /health's "onchain_poll" says when each source was polled and how.
 *
 * Threads and store. The poll thread has its own store handle; it never takes the
 * pipeline's lock and hands its messages to the service thread through the inbox, so a slow
 * or rate-limited service delays nothing else. start/stop from the service thread's setup
 * and teardown; cpe_onchain_poll_write_health from any thread (status under a mutex). Stop
 * waits for a poll in progress (at most one request's timeout, 10 s, plus a 30 s wait).
 */
#ifndef CPE_API_ONCHAIN_POLL_H
#define CPE_API_ONCHAIN_POLL_H

#include "cpe/error.h"
#include "cpe/json.h"

#include <stdint.h>

struct cpe_api;
typedef struct cpe_onchain_poll cpe_onchain_poll_t;

/* Start the thread for api (*out NULL when no source is configured or polling is off). */
int cpe_onchain_poll_start(struct cpe_api *api, cpe_onchain_poll_t **out, cpe_diag_t *d);
void cpe_onchain_poll_stop(cpe_onchain_poll_t *p); /* NULL is a no-op */

/* The /health "onchain_poll" value: null when not polling, else
 * {"every_s", "sources": [{"source", "polls", "failures", "last_poll_ms", "next_poll_ms",
 * "points", "error"?}]}. */
void cpe_onchain_poll_write_health(cpe_onchain_poll_t *p, cpe_jw_t *w);

#endif
