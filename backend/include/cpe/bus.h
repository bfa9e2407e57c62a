/*
 * bus.h — a Redis pub/sub bus that never blocks its callers (`cpe serve --bus`, CPE_BUS).
 *
 * Model: one bus handle owns two Redis connections, each on its own thread.
 *   - The publisher thread drains a locked in-memory queue: cpe_bus_publish() copies the
 *     message, appends it and returns; the thread pipelines every queued PUBLISH and reads
 *     the replies. Messages leave in the order they were queued. A message whose reply was
 *     not read (the connection broke) is sent again after the reconnect, so a subscriber may
 *     see it twice: receivers drop duplicates by their own sequence numbers.
 *   - The subscriber thread (when a pattern is given) PSUBSCRIBEs and hands every message
 *     to the receive callback on that thread, in the order Redis delivered it.
 * A lost connection is retried with exponential backoff (100 ms doubling to 5 s). While
 * Redis is away the queue keeps at most CPE_BUS_QUEUE_MAX messages (the oldest are dropped
 * and counted): the bus carries what is live; what must survive lives in the database.
 *
 * Jobs go through a Redis Stream with a consumer group instead: cpe_bus_xadd() queues an
 * entry like a message (same queue, same order), and cpe_bus_consume() starts a third
 * thread that reads the group with XREADGROUP, first reclaiming with XAUTOCLAIM an entry
 * that another consumer took and left unacknowledged for reclaim_ms (its worker died),
 * runs the handler on that thread and XACKs the entry when the handler returns 0 (non-zero:
 * left pending, for a reclaim). While the handler runs, a helper thread re-claims the entry
 * for this consumer every reclaim_ms / 3 (XCLAIM ... JUSTID resets its idle time), so a job
 * that runs longer than reclaim_ms is not taken by another consumer while its node lives.
 * An entry is run at least once: a handler must be safe to run twice.
 *
 * A handler may also name a key to watch while it runs (cpe_bus_job_watch): the claim
 * keeper's thread GETs it every CPE_BUS_WATCH_MS and hands its value to a callback once it
 * exists. This is how a job learns, within a fraction of a second, that another node asked
 * for it to stop: that node sets the key with cpe_bus_set() (queued like a message, never
 * dropped), e.g. "cpe:jobs:cancel:<job id>". Keys carry a TTL so they clean up themselves.
 *
 * Without hiredis at build time cpe_bus_open() refuses with CPE_EUNSUPPORTED.
 */
#ifndef CPE_BUS_H
#define CPE_BUS_H

#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_BUS_QUEUE_MAX 8192
#define CPE_BUS_CHANNEL_MAX 128
#define CPE_BUS_WATCH_MS 100 /* how often a running job's watched key is looked at */

typedef struct cpe_bus cpe_bus_t;

/* On the subscriber thread: channel and payload (payload[len] == 0). */
typedef void (*cpe_bus_recv_fn)(void *ctx, const char *channel, const char *payload, size_t len);

typedef struct cpe_bus_stats {
    uint64_t published;      /* PUBLISH replies read */
    uint64_t dropped;        /* dropped from a full queue */
    uint64_t received;       /* messages handed to the callback */
    uint64_t reconnects;     /* connections made after the first, every thread */
    uint64_t jobs_done;      /* stream entries handled and acknowledged */
    uint64_t claim_renewals; /* XCLAIMs that kept a running entry's claim alive */
    int pub_up, sub_up;      /* 1 while connected */
} cpe_bus_stats_t;

/* "redis://host:port" (port defaults to 6379). CPE_EINVAL naming the URL. */
int cpe_bus_parse_url(const char *url, char *host, size_t hcap, int *port, cpe_diag_t *d);

/* Start the threads; an unreachable Redis is not an error (they keep retrying). pattern
 * NULL: publish only. */
int cpe_bus_open(const char *url, const char *pattern, cpe_bus_recv_fn recv, void *ctx,
                 cpe_bus_t **out, cpe_diag_t *d);

/* Queue one message (any thread; copies). CPE_EINVAL for a channel over
 * CPE_BUS_CHANNEL_MAX - 1 bytes, CPE_ENOMEM. */
int cpe_bus_publish(cpe_bus_t *b, const char *channel, const void *payload, size_t len);

/* Queue XADD stream * job payload (any thread; copies). Errors as cpe_bus_publish. */
int cpe_bus_xadd(cpe_bus_t *b, const char *stream, const void *payload, size_t len);

/* Queue SET key value PX ttl_ms (any thread; copies; kept like a job entry while Redis is
 * away). CPE_EINVAL for a key over CPE_BUS_CHANNEL_MAX - 1 bytes or ttl_ms < 1. */
int cpe_bus_set(cpe_bus_t *b, const char *key, const char *value, int64_t ttl_ms);

/* On the consumer thread: one stream entry (id "1712-0"), payload[len] == 0. Returns 0 to
 * acknowledge it, non-zero to leave it pending (e.g. stopped halfway). */
typedef int (*cpe_bus_job_fn)(void *ctx, const char *id, const char *payload, size_t len);

/* Start consuming stream as consumer of group (created at the stream's start when
 * missing). Once per bus; CPE_EINVAL for long names, CPE_EEXISTS when already consuming. */
int cpe_bus_consume(cpe_bus_t *b, const char *stream, const char *group, const char *consumer,
                    int64_t reclaim_ms, cpe_bus_job_fn fn, void *ctx, cpe_diag_t *d);

/* On the keeper's thread: the watched key exists, with this value (NUL-terminated). */
typedef void (*cpe_bus_watch_fn)(void *ctx, const char *value);

/* From inside a job handler (the consumer thread): watch key until the handler returns;
 * seen(ctx, value) is called once, on another thread, when the key exists (at the latest
 * CPE_BUS_WATCH_MS after it is set while Redis answers). A later call replaces the key; key
 * "" stops watching, and once that call returns seen is not running and will not be called
 * (a handler must do this before it frees ctx). CPE_EINVAL outside a handler or for a long
 * key; CPE_EUNSUPPORTED without hiredis. */
int cpe_bus_job_watch(cpe_bus_t *b, const char *key, cpe_bus_watch_fn seen, void *ctx);

void cpe_bus_get_stats(cpe_bus_t *b, cpe_bus_stats_t *out);

/* Stop both threads (within ~200 ms), close the connections, free what is queued. */
void cpe_bus_close(cpe_bus_t *b);

#endif
