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

static int is_exchange(const json_t *side)
{
    const char *t = exj_get_str(side, "owner_type");
    return t && !strcmp(t, "exchange");
}

/* The four answers share one shape — a list of elements, each with a time and values — and
 * differ in where the list is, which fields hold the time and the values, and how those
 * read. One row per parser (cpe_onchain_parser_t) drives the one walker below. */
typedef struct shape shape_t;

/* The values of element e (index i) into v[2]: 0, 1 to skip it, or CPE_EPARSE with d set. */
typedef int (*read_values_fn)(const shape_t *sh, const json_t *e, size_t i, const char *key,
                              double v[2], cpe_diag_t *d);

struct shape {
    const char *who;         /* the messages' prefix: the source's name */
    const char *list[2];     /* the keys from the answer down to the list ({NULL}: the answer) */
    int list_optional;       /* an absent list is an empty page */
    const char *not_a_list;  /* the message when it is not a list */
    const char *elem;        /* what an element is called in messages */
    const char *time_key[2]; /* the time's field, and another name for it (or NULL) */
    int time_is_date;        /* 1: a date string (cq_time), 0: unix seconds */
    const char *value_key;   /* the values' field (CryptoQuant: the metric's field) */
    read_values_fn values;
    int64_t floor_ms; /* times floored to this grid (0: as given) */
};

/* A number, or null (skipped). */
static int read_number(const shape_t *sh, const json_t *e, size_t i, const char *key, double v[2],
                       cpe_diag_t *d)
{
    const json_t *x = json_object_get(e, key);
    if (!x || json_is_null(x)) return 1;
    if (exj_num(x, &v[0]) || !isfinite(v[0]))
        return cpe_diag_set(d, CPE_EPARSE, "%s: %s %zu: field '%s' is not a number", sh->who,
                            sh->elem, i, key);
    return 0;
}

/* Whale Alert: the direction (+1 to an exchange, -1 from one, 0 neither or both) and USD. */
static int read_transfer(const shape_t *sh, const json_t *e, size_t i, const char *key, double v[2],
                         cpe_diag_t *d)
{
    if (exj_get_num(e, key, &v[1]) || !isfinite(v[1]) || v[1] < 0)
        return cpe_diag_set(d, CPE_EPARSE, "%s: %s %zu: field '%s' is not a non-negative number",
                            sh->who, sh->elem, i, key);
    v[0] = is_exchange(json_object_get(e, "to")) - is_exchange(json_object_get(e, "from"));
    return 0;
}

/* DefiLlama: the sum of an object of numbers (the supply per peg). */
static int read_sum(const shape_t *sh, const json_t *e, size_t i, const char *key, double v[2],
                    cpe_diag_t *d)
{
    const json_t *tot = json_object_get(e, key);
    if (!json_is_object(tot))
        return cpe_diag_set(d, CPE_EPARSE, "%s: %s %zu: field '%s' is not an object", sh->who,
                            sh->elem, i, key);
    double x;
    const char *k;
    json_t *val;
    v[0] = 0;
    json_object_foreach((json_t *)tot, k, val)
    {
        if (exj_num(val, &x) || !isfinite(x))
            return cpe_diag_set(d, CPE_EPARSE, "%s: %s %zu: '%s.%s' is not a number", sh->who,
                                sh->elem, i, key, k);
        v[0] += x;
    }
    return 0;
}

static const shape_t shapes[] = {
    [CPE_OCP_GLASSNODE] = {"glassnode",
                           {NULL, NULL},
                           0,
                           "the answer is not a list",
                           "element",
                           {"t", NULL},
                           0,
                           "v",
                           read_number,
                           0},
    [CPE_OCP_CRYPTOQUANT] = {"cryptoquant",
                             {"result", "data"},
                             0,
                             "no 'result.data' list in the answer",
                             "element",
                             {"date", "datetime"},
                             1,
                             "value",
                             read_number,
                             0},
    [CPE_OCP_WHALE_ALERT] = {"whale_alert",
                             {"transactions", NULL},
                             1,
                             "field 'transactions' is not a list",
                             "transaction",
                             {"timestamp", NULL},
                             0,
                             "amount_usd",
                             read_transfer,
                             0},
    [CPE_OCP_DEFILLAMA] = {"defillama",
                           {NULL, NULL},
                           0,
                           "the answer is not a list",
                           "element",
                           {"date", NULL},
                           0,
                           "totalCirculatingUSD",
                           read_sum,
                           DAY_MS},
};

/* The time of element e: 0, or CPE_EPARSE with d set. */
static int read_time(const shape_t *sh, const json_t *e, size_t i, int64_t *ts, cpe_diag_t *d)
{
    int bad;
    if (sh->time_is_date) {
        const char *t = exj_get_str(e, sh->time_key[0]);
        if (!t && sh->time_key[1]) t = exj_get_str(e, sh->time_key[1]);
        bad = !t || cq_time(t, ts);
    } else {
        bad = secs_ms(json_object_get(e, sh->time_key[0]), ts) != 0;
    }
    if (bad)
        return cpe_diag_set(d, CPE_EPARSE, "%s: %s %zu: field '%s' is not a %s", sh->who, sh->elem,
                            i, sh->time_key[0], sh->time_is_date ? "date" : "time");
    return 0;
}

/* The one walker: every element's time and values, in the list's order. */
static int walk(const shape_t *sh, const json_t *j, const char *value_key, cpe_point_t **out,
                size_t *n, cpe_diag_t *d)
{
    const json_t *list = j;
    for (int k = 0; k < 2 && sh->list[k]; k++)
        list = json_object_get(list, sh->list[k]);
    if (!list && sh->list_optional) return 0;
    if (!json_is_array(list)) return cpe_diag_set(d, CPE_EPARSE, "%s: %s", sh->who, sh->not_a_list);
    size_t cap = *n, i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        int64_t ts = 0;
        double v[2] = {NAN, NAN};
        int r = read_time(sh, e, i, &ts, d);
        if (r) return r;
        if ((r = sh->values(sh, e, i, value_key, v, d)) < 0) return r;
        if (r == 0 && (r = push(out, n, &cap, sh->floor_ms ? cpe_floor_ms(ts, sh->floor_ms) : ts,
                                v[0], v[1])))
            return r;
    }
    return 0;
}

/* Whale Alert's envelope: "result": "success" and the next page's cursor. */
static int whale_envelope(const json_t *j, char *cursor, size_t cursor_cap, cpe_diag_t *d)
{
    const char *res = exj_get_str(j, "result");
    if (!res || strcmp(res, "success"))
        return cpe_diag_set(d, CPE_EPARSE, "whale_alert: answer without \"result\": \"success\"");
    const char *cur = exj_get_str(j, "cursor");
    if (cursor && cursor_cap) snprintf(cursor, cursor_cap, "%s", cur ? cur : "");
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
    int rc = 0;
    if (m->parser < 0 || m->parser >= (int)(sizeof shapes / sizeof shapes[0]))
        rc = cpe_diag_set(d, CPE_EINVAL, "onchain: unknown parser %d", m->parser);
    else if (m->parser == CPE_OCP_WHALE_ALERT)
        rc = whale_envelope(j, cursor, cursor_cap, d);
    if (!rc) {
        const shape_t *sh = &shapes[m->parser];
        rc = walk(sh, j, m->field ? m->field : sh->value_key, out, n, d);
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
