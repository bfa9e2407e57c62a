/*
 * usermap.h — the server's in-memory copy of the accounts (name, role, creation time), so an
 * access token can be checked against its account on every request without a store read:
 * a deleted user's token stops working at once instead of living until it expires.
 *
 * A login's access token carries its account's creation time as "gen" (api/accounts.c). A
 * request with such a token ("typ":"access") passes only while the account exists with that
 * creation time and the token's role: deleting the user, or deleting and adding it again
 * under the same name (a new creation time), ends every token issued before. Tokens signed by
 * hand (`cpe serve --make-token`, no "typ") name no account and are not checked.
 *
 * Freshness: the routes that change users (POST, DELETE /users) call
 * cpe_usermap_invalidate(), so the next request reloads; a change by another process
 * (`cpe user del`) rewrites the store's users:version row (cpe/userdb.h), which the map
 * reads at most once per CPE_USERMAP_CHECK_MS and reloads on a change. A load reads every
 * meta row once (users are few; changes are rare).
 *
 * Threads: the service thread only (the server's copy lives in cpe_api_t).
 */
#ifndef CPE_API_USERMAP_H
#define CPE_API_USERMAP_H

#include "api/jwt.h"
#include "cpe/userdb.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_USERMAP_CHECK_MS 1000

typedef struct cpe_usermap_entry {
    char name[CPE_USER_NAME_MAX];
    char role[8];
    int64_t created_ms;
} cpe_usermap_entry_t;

typedef struct cpe_usermap {
    cpe_usermap_entry_t *u; /* sorted by name */
    size_t n, cap;
    char version[64];   /* users:version at the last load */
    int64_t checked_ms; /* when that row was last read */
    int loaded;
} cpe_usermap_t;

void cpe_usermap_free(cpe_usermap_t *m);
void cpe_usermap_invalidate(cpe_usermap_t *m);
/* Whether the claims of a verified token may act: 0, or CPE_EINVAL with why saying which
 * rule refused (an account token whose account is gone, recreated or of another role), or
 * a store error (then the map stays as it was and why says so). */
int cpe_usermap_check(cpe_usermap_t *m, cpe_store_t *s, const cpe_jwt_claims_t *cl, int64_t now_ms,
                      char *why, size_t cap);

#endif
