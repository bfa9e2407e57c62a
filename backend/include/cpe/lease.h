/*
 * lease.h — one holder at a time for a named role: a Redis lease kept alive by renewal
 * (docs/SCALE_OUT.md, "Ingest lease").
 *
 * Model: the lease is a Redis key whose value is the holder's id, set with SET NX PX ttl.
 *   - cpe_lease_acquire() blocks until this owner holds the key (or *stop is set). While
 *     another owner holds it the caller is a standby: it polls every second. When it finds
 *     the key gone it waits ttl/2 + 200 ms (more than one renewal period) before SET NX, so a
 *     holder that is alive (e.g. after a Redis restart emptied the key) re-takes its own
 *     lease first; a holder that died is replaced within ttl + 1.2 s + ttl/2.
 *   - Once held, a thread renews it every ttl/3 with one script: PEXPIRE when the value is
 *     still ours, SET again when the key is gone (Redis restarted), and when another owner
 *     holds it the lease is lost: lost(ctx) is called once on that thread and renewal ends.
 *     While Redis cannot be reached the holder keeps the lease (no one else can take it
 *     then); the thread reconnects with backoff.
 *   - cpe_lease_release() stops renewing and deletes the key when it is still ours, so a
 *     standby takes over at its next poll after a clean stop.
 * A holder cut off from Redis while a standby can reach it is replaced after ttl; until the
 * old holder reconnects and finds the lease lost both hold the role (no fencing token).
 *
 * Without hiredis at build time cpe_lease_acquire() refuses with CPE_EUNSUPPORTED.
 */
#ifndef CPE_LEASE_H
#define CPE_LEASE_H

#include "cpe/error.h"

#include <signal.h>

#define CPE_LEASE_KEY_MAX 256

typedef struct cpe_lease cpe_lease_t;

/* Called once, on the renewal thread, when another owner holds the lease. */
typedef void (*cpe_lease_lost_fn)(void *ctx);

/* Block until owner holds key at url ("redis://HOST:PORT") for ttl_ms (>= 300), then renew
 * it on a thread. CPE_ECANCELED when *stop was set first; CPE_EINVAL naming a bad url, key or
 * ttl; CPE_EUNSUPPORTED without hiredis. */
int cpe_lease_acquire(const char *url, const char *key, const char *owner, int ttl_ms,
                      const volatile sig_atomic_t *stop, cpe_lease_lost_fn lost, void *ctx,
                      cpe_lease_t **out, cpe_diag_t *d);

/* 1 while held, 0 once lost. */
int cpe_lease_held(cpe_lease_t *l);

/* Stop renewing; delete the key when it is still ours. NULL is a no-op. */
void cpe_lease_release(cpe_lease_t *l);

#endif
