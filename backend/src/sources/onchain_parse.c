/* onchain_parse.c — the on-chain sources and metrics tables and their answers' parsers
 * (cpe/onchain.h): pure functions, bytes in, points out. */
#include "cpe/onchain.h"
#include "cpe/timeutil.h"
#include "sources/exjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

static const cpe_onchain_source_t sources[CPE_OC_NSOURCES] = {
    [CPE_OC_GLASSNODE] = {"glassnode", "CPE_GLASSNODE_API_KEY", "CPE_GLASSNODE_BASE",
                          "https://api.glassnode.com", 10},
    [CPE_OC_CRYPTOQUANT] = {"cryptoquant", "CPE_CRYPTOQUANT_API_KEY", "CPE_CRYPTOQUANT_BASE",
                            "https://api.cryptoquant.com", 10},
    [CPE_OC_WHALE_ALERT] = {"whale_alert", "CPE_WHALE_ALERT_API_KEY", "CPE_WHALE_ALERT_BASE",
                            "https://api.whale-alert.io", 10},
    [CPE_OC_DEFILLAMA] = {"defillama", NULL, "CPE_DEFILLAMA_BASE", "https://stablecoins.llama.fi",
                          30},
};

/* One row per endpoint. Glassnode's and CryptoQuant's daily series are asked a year a page,
 * Whale Alert's transfers an hour a page (its range limit), DefiLlama's history whole. */
static const cpe_onchain_metric_t metrics[] = {
    {CPE_OC_GLASSNODE, CPE_OCP_GLASSNODE, "exchange_netflow", 1, DAY_MS,
     "/v1/metrics/transactions/transfers_volume_exchanges_net", NULL, 365 * DAY_MS},
    {CPE_OC_GLASSNODE, CPE_OCP_GLASSNODE, "miner_outflow", 1, DAY_MS,
     "/v1/metrics/mining/miners_outflow_multiple", NULL, 365 * DAY_MS},
    {CPE_OC_GLASSNODE, CPE_OCP_GLASSNODE, "nvt_signal", 1, DAY_MS, "/v1/metrics/indicators/nvts",
     NULL, 365 * DAY_MS},
    {CPE_OC_CRYPTOQUANT, CPE_OCP_CRYPTOQUANT, "exchange_reserves", 1, DAY_MS,
     "/v1/%s/exchange-flows/reserve", "reserve", 365 * DAY_MS},
    {CPE_OC_CRYPTOQUANT, CPE_OCP_CRYPTOQUANT, "exchange_netflow", 1, DAY_MS,
     "/v1/%s/exchange-flows/netflow", "netflow_total", 365 * DAY_MS},
    {CPE_OC_WHALE_ALERT, CPE_OCP_WHALE_ALERT, "whale_flows", 1, HOUR_MS, "/v1/transactions", NULL,
     HOUR_MS},
    {CPE_OC_DEFILLAMA, CPE_OCP_DEFILLAMA, "stablecoin_supply", 0, DAY_MS, "/stablecoincharts/all",
     NULL, 0},
};

const cpe_onchain_source_t *cpe_onchain_source(int id)
{
    return id >= 0 && id < CPE_OC_NSOURCES ? &sources[id] : NULL;
}

int cpe_onchain_source_id(const char *name)
{
    for (int i = 0; name && i < CPE_OC_NSOURCES; i++)
        if (!strcmp(sources[i].name, name)) return i;
    return -1;
}

size_t cpe_onchain_metric_count(void)
{
    return sizeof metrics / sizeof metrics[0];
}

const cpe_onchain_metric_t *cpe_onchain_metric_at(size_t i)
{
    return i < cpe_onchain_metric_count() ? &metrics[i] : NULL;
}

const char *cpe_onchain_key(int source)
{
    const cpe_onchain_source_t *s = cpe_onchain_source(source);
    if (!s) return NULL;
    if (!s->key_env) return "";
    const char *k = getenv(s->key_env);
    return k && *k ? k : NULL;
}

/* ---- parsers ---- */

static int push(cpe_point_t **out, size_t *n, size_t *cap, int64_t ts, double v0, double v1)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        cpe_point_t *p = realloc(*out, nc * sizeof *p);
        if (!p) return CPE_ENOMEM;
        *out = p;
        *cap = nc;
    }
    cpe_point_t *p = &(*out)[(*n)++];
    memset(p, 0, sizeof *p);
    p->ts_ms = ts;
    for (int i = 0; i < CPE_POINT_NV; i++)
        p->v[i] = NAN;
    p->v[0] = v0;
    p->v[1] = v1;
    return 0;
}

/* Unix seconds (number or digit string) to ms, refusing what would overflow. */
static int secs_ms(const json_t *v, int64_t *ms)
{
    int64_t s;
    if (exj_i64(v, &s) || s < 0 || s > INT64_MAX / 1000) return CPE_EPARSE;
    *ms = s * 1000;
    return 0;
}

/* A number, or null (1: skip). */
static int value_or_null(const json_t *v, double *out)
{
    if (!v || json_is_null(v)) return 1;
    if (exj_num(v, out) || !isfinite(*out)) return CPE_EPARSE;
    return 0;
}

static int parse_glassnode(const json_t *j, cpe_point_t **out, size_t *n, cpe_diag_t *d)
{
    if (!json_is_array(j))
        return cpe_diag_set(d, CPE_EPARSE, "glassnode: the answer is not a list");
    size_t cap = *n, i;
    json_t *e;
    json_array_foreach(j, i, e)
    {
        int64_t ts;
        double v;
        if (!json_is_object(e) || secs_ms(json_object_get(e, "t"), &ts))
            return cpe_diag_set(d, CPE_EPARSE, "glassnode: element %zu: field 't' is not a time",
                                i);
        int r = value_or_null(json_object_get(e, "v"), &v);
        if (r < 0)
            return cpe_diag_set(d, CPE_EPARSE, "glassnode: element %zu: field 'v' is not a number",
                                i);
        if (r == 0 && (r = push(out, n, &cap, ts, v, NAN))) return r;
    }
    return 0;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC). */
static int cq_time(const char *s, int64_t *ms)
{
    char iso[40];
    size_t len = strlen(s);
    if (len >= sizeof iso) return CPE_EPARSE;
    memcpy(iso, s, len + 1);
    if (len > 10 && iso[10] == ' ') iso[10] = 'T';
    /* before 1970 is no date of these services (and a negative ts breaks the interval grid) */
    return cpe_parse_iso8601(iso, (long)len, ms) || *ms < 0 ? CPE_EPARSE : 0;
}

static int parse_cryptoquant(const json_t *j, const char *field, cpe_point_t **out, size_t *n,
                             cpe_diag_t *d)
{
    const json_t *data = json_object_get(json_object_get(j, "result"), "data");
    if (!json_is_array(data))
        return cpe_diag_set(d, CPE_EPARSE, "cryptoquant: no 'result.data' list in the answer");
    size_t cap = *n, i;
    json_t *e;
    json_array_foreach(data, i, e)
    {
        const char *t = exj_get_str(e, "date");
        if (!t) t = exj_get_str(e, "datetime");
        int64_t ts;
        double v;
        if (!t || cq_time(t, &ts))
            return cpe_diag_set(d, CPE_EPARSE,
                                "cryptoquant: element %zu: field 'date' is not a date", i);
        int r = value_or_null(json_object_get(e, field), &v);
        if (r < 0)
            return cpe_diag_set(d, CPE_EPARSE,
                                "cryptoquant: element %zu: field '%s' is not a number", i, field);
        if (r == 0 && (r = push(out, n, &cap, ts, v, NAN))) return r;
    }
    return 0;
}

static int is_exchange(const json_t *side)
{
    const char *t = exj_get_str(side, "owner_type");
    return t && !strcmp(t, "exchange");
}

static int parse_whale(const json_t *j, cpe_point_t **out, size_t *n, char *cursor,
                       size_t cursor_cap, cpe_diag_t *d)
{
    const char *res = exj_get_str(j, "result");
    if (!res || strcmp(res, "success"))
        return cpe_diag_set(d, CPE_EPARSE, "whale_alert: answer without \"result\": \"success\"");
    const char *cur = exj_get_str(j, "cursor");
    if (cursor && cursor_cap) snprintf(cursor, cursor_cap, "%s", cur ? cur : "");
    const json_t *txs = json_object_get(j, "transactions");
    if (!txs) return 0; /* an empty page has no list */
    if (!json_is_array(txs))
        return cpe_diag_set(d, CPE_EPARSE, "whale_alert: field 'transactions' is not a list");
    size_t cap = *n, i;
    json_t *e;
    json_array_foreach(txs, i, e)
    {
        int64_t ts;
        double usd;
        if (secs_ms(json_object_get(e, "timestamp"), &ts))
            return cpe_diag_set(d, CPE_EPARSE,
                                "whale_alert: transaction %zu: field 'timestamp' is not a time", i);
        if (exj_get_num(e, "amount_usd", &usd) || !isfinite(usd) || usd < 0)
            return cpe_diag_set(
                d, CPE_EPARSE,
                "whale_alert: transaction %zu: field 'amount_usd' is not a non-negative number", i);
        int to = is_exchange(json_object_get(e, "to")),
            from = is_exchange(json_object_get(e, "from"));
        int r = push(out, n, &cap, ts, (double)(to - from), usd);
        if (r) return r;
    }
    return 0;
}

static int parse_defillama(const json_t *j, cpe_point_t **out, size_t *n, cpe_diag_t *d)
{
    if (!json_is_array(j))
        return cpe_diag_set(d, CPE_EPARSE, "defillama: the answer is not a list");
    size_t cap = *n, i;
    json_t *e;
    json_array_foreach(j, i, e)
    {
        int64_t ts;
        if (secs_ms(json_object_get(e, "date"), &ts))
            return cpe_diag_set(d, CPE_EPARSE, "defillama: element %zu: field 'date' is not a time",
                                i);
        const json_t *tot = json_object_get(e, "totalCirculatingUSD");
        if (!json_is_object(tot))
            return cpe_diag_set(
                d, CPE_EPARSE,
                "defillama: element %zu: field 'totalCirculatingUSD' is not an object", i);
        double sum = 0, v;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)tot, k, x)
        {
            if (exj_num(x, &v) || !isfinite(v))
                return cpe_diag_set(
                    d, CPE_EPARSE,
                    "defillama: element %zu: 'totalCirculatingUSD.%s' is not a number", i, k);
            sum += v;
        }
        int r = push(out, n, &cap, cpe_floor_ms(ts, DAY_MS), sum, NAN);
        if (r) return r;
    }
    return 0;
}

int cpe_onchain_parse(const cpe_onchain_metric_t *m, const char *body, size_t len,
                      cpe_point_t **out, size_t *n, char *cursor, size_t cursor_cap, cpe_diag_t *d)
{
    if (cursor && cursor_cap) cursor[0] = 0;
    const cpe_onchain_source_t *src = cpe_onchain_source(m->source);
    json_t *j = exj_load(src ? src->name : "onchain", body, len, d);
    if (!j) return CPE_EPARSE;
    size_t n0 = *n;
    int rc;
    switch (m->parser) {
    case CPE_OCP_GLASSNODE:
        rc = parse_glassnode(j, out, n, d);
        break;
    case CPE_OCP_CRYPTOQUANT:
        rc = parse_cryptoquant(j, m->field ? m->field : "value", out, n, d);
        break;
    case CPE_OCP_WHALE_ALERT:
        rc = parse_whale(j, out, n, cursor, cursor_cap, d);
        break;
    case CPE_OCP_DEFILLAMA:
        rc = parse_defillama(j, out, n, d);
        break;
    default:
        rc = cpe_diag_set(d, CPE_EINVAL, "onchain: unknown parser %d", m->parser);
    }
    json_decref(j);
    if (rc) *n = n0;
    return rc;
}

/* ---- aggregation ---- */

static int cmp_ts(const void *a, const void *b)
{
    const cpe_point_t *x = a, *y = b;
    return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
}

static void blank(cpe_point_t *p, int64_t ts)
{
    memset(p, 0, sizeof *p);
    p->ts_ms = ts;
    for (int i = 0; i < CPE_POINT_NV; i++)
        p->v[i] = NAN;
}

int cpe_onchain_whale_aggregate(const cpe_point_t *transfers, size_t n, int64_t interval_ms,
                                cpe_point_t **out, cpe_point_t **tx, size_t *nout)
{
    *out = NULL;
    if (tx) *tx = NULL;
    *nout = 0;
    if (interval_ms <= 0) return CPE_EINVAL;
    cpe_point_t *s = malloc((n ? n : 1) * sizeof *s);
    cpe_point_t *o = malloc((n ? n : 1) * sizeof *o);
    cpe_point_t *t = tx ? malloc((n ? n : 1) * sizeof *t) : NULL;
    if (!s || !o || (tx && !t)) {
        free(s);
        free(o);
        free(t);
        return CPE_ENOMEM;
    }
    if (n) memcpy(s, transfers, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_ts);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t b = cpe_floor_ms(s[i].ts_ms, interval_ms);
        if (!k || o[k - 1].ts_ms != b) {
            blank(&o[k], b);
            o[k].v[0] = o[k].v[1] = o[k].v[2] = o[k].v[3] = 0;
            if (t) {
                blank(&t[k], b);
                t[k].v[0] = 0;
            }
            k++;
        }
        cpe_point_t *p = &o[k - 1];
        if (s[i].v[0] > 0) {
            p->v[0] += 1;
            p->v[1] += s[i].v[1];
        } else if (s[i].v[0] < 0) {
            p->v[2] += 1;
            p->v[3] += s[i].v[1];
        }
        if (t) t[k - 1].v[0] += 1;
    }
    free(s);
    *out = o;
    if (tx) *tx = t;
    *nout = k;
    return 0;
}

int cpe_onchain_changes(const cpe_point_t *p, size_t n, int64_t interval_ms, cpe_point_t **out,
                        size_t *nout)
{
    *out = malloc((n ? n : 1) * sizeof **out);
    *nout = 0;
    if (!*out) return CPE_ENOMEM;
    for (size_t i = 1; i < n; i++) {
        if (p[i].ts_ms - p[i - 1].ts_ms != interval_ms) continue;
        cpe_point_t *c = &(*out)[(*nout)++];
        blank(c, p[i].ts_ms);
        c->v[0] = p[i].v[0] - p[i - 1].v[0];
    }
    return 0;
}
