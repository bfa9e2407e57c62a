/* flows.c — the on-chain flows of /market-data (whale transfers to/from exchanges, stablecoin
 * supply change, exchange net flow) from the store's named series, each with its source and
 * freshness, and the connectors' freshness in /health (cpe/onchain.h; docs/LIVE_DATA.md). */
#include "api/server.h"
#include "cpe/import.h"
#include "cpe/onchain.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_POINTS 60 /* a daily series shows at least this many days */

/* Which source wrote a series ("import" when no connector did); the time of that source's
 * last answer, 0 when unknown. */
static void source_of(cpe_store_t *s, const char *instrument, char *src, size_t cap, int64_t *ok_ms)
{
    char key[CPE_INSTR_KEY_MAX + 32], v[32];
    *ok_ms = 0;
    snprintf(key, sizeof key, "onchain:src:%s", instrument);
    if (s->ops->get_meta(s, key, src, cap)) {
        snprintf(src, cap, "import");
        return;
    }
    snprintf(key, sizeof key, "onchain:ok:%s", src);
    if (!s->ops->get_meta(s, key, v, sizeof v)) *ok_ms = strtoll(v, NULL, 10);
}

/* The points of series "OWNER:name" in [from, to) widened back to MIN_POINTS of its
 * interval. 0 with *n = 0 when the series does not exist. */
static int read_series(cpe_store_t *s, const char *owner, const char *name, int64_t from,
                       int64_t to, cpe_point_t **p, size_t *n, char *instr, int64_t *interval)
{
    char key[CPE_INSTR_KEY_MAX], kind[CPE_KIND_MAX], full[CPE_INSTR_KEY_MAX + 32];
    snprintf(full, sizeof full, "%s:%s", owner, name);
    *p = NULL;
    *n = 0;
    if (cpe_series_key(full, key, kind)) return 0;
    int64_t id;
    cpe_series_info_t si;
    int rc = s->ops->series_id(s, key, kind, 0, 0, 0, &id);
    if (rc == CPE_ENOTFOUND) return 0;
    if (!rc) rc = s->ops->series_get(s, id, &si);
    if (rc || si.count <= 0) return rc;
    *interval = si.interval_ms > 0 ? si.interval_ms : CPE_MS_PER_HOUR;
    int64_t span = MIN_POINTS * *interval;
    int64_t end = to < si.last_ts + 1 ? to : si.last_ts + 1;
    if (end - from < span) from = end - span;
    snprintf(instr, CPE_INSTR_KEY_MAX, "%s", key);
    return s->ops->get_points(s, id, from - *interval, to, p, n); /* one before: a change */
}

typedef struct flow {
    const char *key;            /* "whale", "stablecoin", "exchange_netflow" */
    const char *owner;          /* the asset, or "CRYPTO" */
    const char *direct, *level; /* the series, and the level whose changes stand in */
} flow_t;

static void write_flow(cpe_jw_t *w, cpe_store_t *s, const flow_t *f, const cpe_point_t *p, size_t n,
                       const char *instr, int64_t interval, const char *derived, int64_t now_ms)
{
    char src[32];
    int64_t ok_ms;
    source_of(s, instr, src, sizeof src, &ok_ms);
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "source", src);
    cpe_jw_kstr(w, "series", instr);
    if (derived) cpe_jw_kstr(w, "derived_from", derived);
    cpe_jw_kint(w, "interval_ms", interval);
    cpe_jw_kint(w, "last_ts", n ? p[n - 1].ts_ms : 0);
    cpe_jw_key(w, "updated_ms"); /* the source's last answer; null for an import */
    if (ok_ms > 0)
        cpe_jw_int(w, ok_ms);
    else
        cpe_jw_null(w);
    cpe_jw_kbool(w, "stale", ok_ms > 0 && now_ms - ok_ms > CPE_ONCHAIN_FRESH_MS);
    double *col = malloc((n ? n : 1) * sizeof *col);
    int64_t *ts = malloc((n ? n : 1) * sizeof *ts);
    if (col && ts) {
        for (size_t i = 0; i < n; i++)
            ts[i] = p[i].ts_ms;
        cpe_jw_key(w, "t");
        cpe_jw_int_array(w, ts, n);
        int whale = !strcmp(f->key, "whale");
        for (size_t i = 0; i < n; i++) /* whale: net USD into exchanges */
            col[i] = whale ? p[i].v[1] - p[i].v[3] : p[i].v[0];
        cpe_jw_key(w, "v");
        cpe_jw_num_array(w, col, n);
        for (int side = 0; whale && side < 2; side++) {
            for (size_t i = 0; i < n; i++)
                col[i] = p[i].v[side ? 3 : 1];
            cpe_jw_key(w, side ? "out" : "in");
            cpe_jw_num_array(w, col, n);
        }
    }
    free(col);
    free(ts);
    cpe_jw_end(w);
}

static int one_flow(cpe_jw_t *w, cpe_store_t *s, const flow_t *f, int64_t from, int64_t to,
                    int64_t now_ms)
{
    cpe_point_t *p = NULL, *c = NULL;
    size_t n = 0, nc = 0;
    char instr[CPE_INSTR_KEY_MAX];
    int64_t iv = 0;
    const char *derived = NULL;
    int rc = read_series(s, f->owner, f->direct, from, to, &p, &n, instr, &iv);
    if (!rc && !n && f->level) {
        free(p);
        rc = read_series(s, f->owner, f->level, from, to, &p, &n, instr, &iv);
        if (!rc && n) {
            rc = cpe_onchain_changes(p, n, iv, &c, &nc);
            free(p);
            p = c;
            n = nc;
            derived = f->level;
        }
    }
    cpe_jw_key(w, f->key);
    if (!rc && n)
        write_flow(w, s, f, p, n, instr, iv, derived, now_ms);
    else
        cpe_jw_null(w);
    free(p);
    return rc;
}

int cpe_api_write_flows(cpe_store_t *store, cpe_jw_t *w, const char *asset, int64_t from_ms,
                        int64_t to_ms, int64_t now_ms)
{
    const flow_t flows[] = {
        {"whale", asset, "whale_flows", NULL},
        {"stablecoin", "CRYPTO", "stablecoin_supply_change", "stablecoin_supply"},
        {"exchange_netflow", asset, "exchange_netflow", "exchange_reserves"},
    };
    cpe_jw_key(w, "flows");
    cpe_jw_obj(w);
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof flows / sizeof flows[0]; i++)
        rc = one_flow(w, store, &flows[i], from_ms, to_ms, now_ms);
    cpe_jw_end(w);
    return rc;
}

void cpe_api_write_onchain_health(cpe_api_t *api, cpe_jw_t *w, int64_t now_ms)
{
    cpe_store_t *s = api->store;
    cpe_jw_key(w, "onchain");
    cpe_jw_arr(w);
    for (int i = 0; i < CPE_OC_NSOURCES; i++) {
        const cpe_onchain_source_t *src = cpe_onchain_source(i);
        char key[64], v[32];
        int64_t ok_ms = 0;
        snprintf(key, sizeof key, "onchain:ok:%s", src->name);
        if (!s->ops->get_meta(s, key, v, sizeof v)) ok_ms = strtoll(v, NULL, 10);
        int configured = src->key_env ? cpe_onchain_key(i) != NULL : ok_ms > 0;
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "source", src->name);
        cpe_jw_kbool(w, "configured", configured);
        cpe_jw_key(w, "last_ok_ms");
        if (ok_ms > 0)
            cpe_jw_int(w, ok_ms);
        else
            cpe_jw_null(w);
        cpe_jw_key(w, "age_ms");
        if (ok_ms > 0)
            cpe_jw_int(w, now_ms - ok_ms);
        else
            cpe_jw_null(w);
        cpe_jw_kint(w, "max_age_ms", CPE_ONCHAIN_FRESH_MS);
        cpe_jw_kbool(w, "stale",
                     configured && (ok_ms <= 0 || now_ms - ok_ms > CPE_ONCHAIN_FRESH_MS));
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
}
