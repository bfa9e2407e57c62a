/* alertdb.c — alert rows in the meta table (cpe/alertdb.h). */
#include "cpe/alertdb.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void row_key(char *k, size_t cap, const char *table, int64_t id)
{
    snprintf(k, cap, "alert:%s:%015" PRId64, table, id);
}

int cpe_alertdb_next_id(cpe_store_t *s, const char *table, int64_t *id)
{
    char k[64], v[32];
    snprintf(k, sizeof k, "alert:seq:%s", table);
    int rc = s->ops->get_meta(s, k, v, sizeof v);
    if (rc && rc != CPE_ENOTFOUND) return rc;
    int64_t last = rc ? 0 : strtoll(v, NULL, 10);
    snprintf(v, sizeof v, "%" PRId64, last + 1);
    if ((rc = s->ops->set_meta(s, k, v))) return rc;
    *id = last + 1;
    return 0;
}

int cpe_alertdb_put(cpe_store_t *s, const char *table, int64_t id, const char *json)
{
    char k[64];
    if (strlen(json) >= CPE_ALERTDB_ROW_MAX)
        return cpe_diag_set(&s->diag, CPE_ETOOBIG, "alert %s %" PRId64 " is too long", table, id);
    row_key(k, sizeof k, table, id);
    return s->ops->set_meta(s, k, json);
}

int cpe_alertdb_get(cpe_store_t *s, const char *table, int64_t id, char *out, size_t cap)
{
    char k[64];
    row_key(k, sizeof k, table, id);
    int rc = s->ops->get_meta(s, k, out, cap);
    if (!rc && !out[0])
        return cpe_diag_set(&s->diag, CPE_ENOTFOUND, "alert %s %" PRId64 " was deleted", table, id);
    return rc;
}

int cpe_alertdb_del(cpe_store_t *s, const char *table, int64_t id)
{
    return cpe_alertdb_put(s, table, id, "");
}

typedef struct walk {
    char prefix[48];
    size_t plen;
    cpe_alertdb_fn fn;
    void *ctx;
} walk_t;

static int visit(void *ctx, const char *key, const char *value)
{
    walk_t *w = ctx;
    if (strncmp(key, w->prefix, w->plen) || !value || !value[0]) return 0;
    return w->fn(w->ctx, strtoll(key + w->plen, NULL, 10), value);
}

int cpe_alertdb_each(cpe_store_t *s, const char *table, cpe_alertdb_fn fn, void *ctx)
{
    walk_t w = {.fn = fn, .ctx = ctx};
    snprintf(w.prefix, sizeof w.prefix, "alert:%s:", table);
    w.plen = strlen(w.prefix);
    return s->ops->each_meta(s, visit, &w);
}
