/* usermap.c — the accounts in memory, checked against every access token (usermap.h). */
#include "api/usermap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_usermap_free(cpe_usermap_t *m)
{
    if (!m) return;
    free(m->u);
    memset(m, 0, sizeof *m);
}

void cpe_usermap_invalidate(cpe_usermap_t *m)
{
    m->loaded = 0;
}

static int add_one(void *ctx, const cpe_user_t *u)
{
    cpe_usermap_t *m = ctx;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        cpe_usermap_entry_t *nu = realloc(m->u, cap * sizeof *nu);
        if (!nu) return CPE_ENOMEM;
        m->u = nu;
        m->cap = cap;
    }
    cpe_usermap_entry_t *e = &m->u[m->n++];
    snprintf(e->name, sizeof e->name, "%s", u->name);
    snprintf(e->role, sizeof e->role, "%s", u->role);
    e->created_ms = u->created_ms;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const cpe_usermap_entry_t *)a)->name, ((const cpe_usermap_entry_t *)b)->name);
}

/* Reload when invalidated or when users:version moved (read at most once per CHECK_MS). */
static int refresh(cpe_usermap_t *m, cpe_store_t *s, int64_t now_ms)
{
    if (m->loaded && now_ms - m->checked_ms < CPE_USERMAP_CHECK_MS) return 0;
    char v[sizeof m->version];
    int rc = cpe_userdb_version(s, v, sizeof v);
    if (rc) return rc;
    m->checked_ms = now_ms;
    if (m->loaded && !strcmp(v, m->version)) return 0;
    m->n = 0;
    if ((rc = cpe_userdb_each(s, add_one, m))) {
        m->n = 0; /* a partial load: none, and reload next time */
        m->loaded = 0;
        return rc;
    }
    qsort(m->u, m->n, sizeof *m->u, by_name);
    snprintf(m->version, sizeof m->version, "%s", v);
    m->loaded = 1;
    return 0;
}

int cpe_usermap_check(cpe_usermap_t *m, cpe_store_t *s, const cpe_jwt_claims_t *cl, int64_t now_ms,
                      char *why, size_t cap)
{
    if (strcmp(cl->typ, "access")) return 0; /* signed by hand: names no account */
    int rc = refresh(m, s, now_ms);
    if (rc) {
        snprintf(why, cap, "cannot read the accounts from the store");
        return rc;
    }
    cpe_usermap_entry_t key;
    snprintf(key.name, sizeof key.name, "%s", cl->sub);
    const cpe_usermap_entry_t *e = m->n ? bsearch(&key, m->u, m->n, sizeof *m->u, by_name) : NULL;
    if (!e) {
        snprintf(why, cap, "the token's account no longer exists; log in again");
        return CPE_EINVAL;
    }
    if (e->created_ms != cl->gen) {
        snprintf(why, cap, "the token was issued to an earlier account of that name; log in again");
        return CPE_EINVAL;
    }
    if (strcmp(e->role, cl->role)) {
        snprintf(why, cap, "the account's role changed since the token was issued; log in again");
        return CPE_EINVAL;
    }
    return 0;
}
