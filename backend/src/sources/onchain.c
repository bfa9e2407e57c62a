/* onchain.c — the on-chain connectors' fetch: pages of each metric over libcurl into named
 * series, with the source's token bucket, Retry-After and retries (cpe/onchain.h). */
#include "cpe/onchain.h"
#include "cpe/fallback.h"
#include "cpe/import.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "cpe/tokenbucket.h"
#include "sources/exjson.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ATTEMPTS 5
#define WHALE_MIN_USD 500000 /* Whale Alert's free-plan floor */
#define WHALE_PAGE 100       /* transfers per answer */
#define CURSOR_MAX 128
#define RATE_WAITS_MAX 20 /* 429s for one request before the series fails */
#define PAGES_MAX 1000    /* Whale Alert pages followed within one hour */

/* Retry-After is all these services send: an exchange row that reads only that. */
static const cpe_exchange_t retry_after_only = {.rate_header = exj_rate_header_retry_after};

typedef struct fetcher {
    CURL *curl;
    const cpe_onchain_opts_t *o;
    cpe_onchain_report_t *rep;
    cpe_tokenbucket_t tb[CPE_OC_NSOURCES];
    cpe_rng_t rng;
} fetcher_t;

/* One metric for one asset as it is fetched. */
typedef struct job {
    const cpe_onchain_metric_t *m;
    const cpe_onchain_source_t *src;
    const char *key;
    char asset[CPE_ASSET_NAME_MAX];
    char instrument[CPE_INSTR_KEY_MAX], kind[CPE_KIND_MAX];
    cpe_onchain_row_t *row;
} job_t;

static void sleep_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void cpe_onchain_opts_init(cpe_onchain_opts_t *o)
{
    memset(o, 0, sizeof *o);
}

static void lower(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = 0;
}

/* The source's authentication header ("" when keyless). */
static void auth_header(const job_t *j, char *h, size_t cap)
{
    h[0] = 0;
    if (!j->key || !*j->key) return;
    switch (j->m->source) {
    case CPE_OC_GLASSNODE:
        snprintf(h, cap, "X-Api-Key: %s", j->key);
        break;
    case CPE_OC_CRYPTOQUANT:
        snprintf(h, cap, "Authorization: Bearer %s", j->key);
        break;
    case CPE_OC_WHALE_ALERT:
        snprintf(h, cap, "X-WA-API-KEY: %s", j->key);
        break;
    default:
        break;
    }
}

static void ymdhms(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y%m%dT%H%M%S", &tm);
}

/* The URL of one page [a, b) (cursor: Whale Alert's next page). */
static void page_url(const fetcher_t *f, const job_t *j, int64_t a, int64_t b, const char *cursor,
                     char *url, size_t cap)
{
    const char *env = getenv(j->src->base_env);
    const char *base = f->o->base ? f->o->base : env && *env ? env : j->src->base;
    char lo[CPE_ASSET_NAME_MAX], path[160], fa[24], fb[24];
    lower(j->asset, lo, sizeof lo);
    switch (j->m->parser) {
    case CPE_OCP_GLASSNODE:
        snprintf(url, cap, "%s%s?a=%s&i=24h&s=%lld&u=%lld", base, j->m->path, j->asset,
                 (long long)(a / 1000), (long long)(b / 1000 - 1));
        break;
    case CPE_OCP_CRYPTOQUANT:
        snprintf(path, sizeof path, j->m->path, lo);
        ymdhms(a, fa, sizeof fa);
        ymdhms(b - 1000, fb, sizeof fb);
        snprintf(url, cap, "%s%s?exchange=all_exchange&window=day&from=%s&to=%s&limit=100000", base,
                 path, fa, fb);
        break;
    case CPE_OCP_WHALE_ALERT:
        snprintf(url, cap, "%s%s?start=%lld&end=%lld&currency=%s&min_value=%d&limit=%d%s%s", base,
                 j->m->path, (long long)(a / 1000), (long long)(b / 1000), lo, WHALE_MIN_USD,
                 WHALE_PAGE, cursor && *cursor ? "&cursor=" : "", cursor ? cursor : "");
        break;
    default:
        snprintf(url, cap, "%s%s", base, j->m->path);
    }
}

static int perform(fetcher_t *f, const char *url, const char *auth, exj_resp_t *r, long *status,
                   const char **why)
{
    CURL *c = f->curl;
    struct curl_slist *hdr = auth[0] ? curl_slist_append(NULL, auth) : NULL;
    exj_curl_prepare(c, url, r, (long)(f->o->timeout_ms > 0 ? f->o->timeout_ms : 30000));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hdr);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    f->rep->requests++;
    *why = cc != CURLE_OK ? curl_easy_strerror(cc) : NULL;
    return cc != CURLE_OK;
}

/* GET url into body (the caller frees it): 429 waits Retry-After, 5xx and network errors are
 * retried with backoff, another status fails naming the URL (the key is in a header, never
 * in the URL, so the message is safe to print). */
static int get(fetcher_t *f, job_t *j, const char *url, cpe_buf_t *body, cpe_diag_t *d)
{
    char auth[320];
    auth_header(j, auth, sizeof auth);
    int attempts = f->o->attempts > 0 ? f->o->attempts : ATTEMPTS;
    int64_t max_wait = f->o->max_wait_ms > 0 ? f->o->max_wait_ms : 120000;
    cpe_tokenbucket_t *tb = &f->tb[j->m->source];
    for (int attempt = 0, waits = 0;;) {
        int64_t wait;
        while ((wait = cpe_tb_take(tb, cpe_now_ms())) > 0)
            sleep_ms(wait);
        exj_resp_t r = {.ex = &retry_after_only};
        cpe_buf_init(&r.body, 256u << 20);
        cpe_rate_info_init(&r.ri);
        long status;
        const char *why;
        int failed = perform(f, url, auth, &r, &status, &why);
        j->row->requests++;
        if (!failed && status == 200) {
            *body = r.body;
            return 0;
        }
        int rc = 0;
        if (!failed && status == 429) {
            int64_t ra = r.ri.retry_after_ms > 0 ? r.ri.retry_after_ms : 60000;
            if (ra > max_wait)
                rc = cpe_diag_set(d, CPE_EAGAIN,
                                  "GET %s: rate limited for %lld s (longer than %lld s)", url,
                                  (long long)(ra / 1000), (long long)(max_wait / 1000));
            else if (++waits > RATE_WAITS_MAX)
                rc = cpe_diag_set(d, CPE_EAGAIN, "GET %s: still rate limited after %d waits", url,
                                  RATE_WAITS_MAX);
            else {
                f->rep->rate_waits++;
                cpe_tb_block_until(tb, cpe_now_ms() + ra);
            }
        } else if (!failed && status < 500) {
            rc = cpe_diag_set(d, CPE_EIO, "GET %s answered HTTP %ld: %.200s", url, status,
                              r.body.data ? r.body.data : "");
        } else if (++attempt >= attempts) {
            rc = failed ? cpe_diag_set(d, CPE_ENET, "GET %s: %s (%d attempts)", url, why, attempt)
                        : cpe_diag_set(d, CPE_EIO, "GET %s answered HTTP %ld (%d attempts)", url,
                                       status, attempt);
        } else {
            f->rep->retries++;
            sleep_ms(cpe_backoff_ms(attempt - 1, 500, 8000, &f->rng));
        }
        cpe_buf_free(&r.body);
        if (rc) return rc;
    }
}

/* Points with ts in [a, b): the rest are dropped in place. */
static size_t clip(cpe_point_t *p, size_t n, int64_t a, int64_t b)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i].ts_ms >= a && p[i].ts_ms < b) p[k++] = p[i];
    return k;
}

static int cmp_ts(const void *x, const void *y)
{
    const cpe_point_t *a = x, *b = y;
    return (a->ts_ms > b->ts_ms) - (a->ts_ms < b->ts_ms);
}

/* Upsert points into series (instrument, kind) — inside the caller's transaction. */
static int put(cpe_store_t *s, const job_t *j, const char *name, const cpe_point_t *p, size_t n,
               int count)
{
    char instr[CPE_INSTR_KEY_MAX], kind[CPE_KIND_MAX], key[CPE_INSTR_KEY_MAX + 16];
    snprintf(key, sizeof key, "%s:%s", j->m->per_asset ? j->asset : "CRYPTO", name);
    if (cpe_series_key(key, instr, kind)) return CPE_EINVAL;
    int64_t id;
    cpe_upsert_stats_t st = {0};
    int rc = s->ops->series_id(s, instr, kind, j->m->interval_ms, 0, 1, &id);
    if (!rc && n) rc = s->ops->put_points(s, id, p, n, &st);
    char mk[CPE_INSTR_KEY_MAX + 32];
    snprintf(mk, sizeof mk, "onchain:src:%s", instr);
    if (!rc) rc = s->ops->set_meta(s, mk, j->src->name);
    if (!rc && count) {
        j->row->inserted += (int64_t)st.inserted;
        j->row->updated += (int64_t)st.updated;
        j->row->unchanged += (int64_t)st.unchanged;
    }
    return rc;
}

/* Write one page's points [a, b) and the range done, in one transaction. */
static int store_page(cpe_store_t *s, const job_t *j, cpe_point_t *p, size_t n, int64_t a,
                      int64_t b, cpe_diag_t *d)
{
    n = clip(p, n, a, b);
    qsort(p, n, sizeof *p, cmp_ts);
    cpe_point_t *x = NULL, *y = NULL;
    size_t nx = 0;
    int rc = 0;
    if (j->m->parser == CPE_OCP_WHALE_ALERT)
        rc = cpe_onchain_whale_aggregate(p, n, j->m->interval_ms, &x, &y, &nx);
    else if (j->m->parser == CPE_OCP_DEFILLAMA)
        rc = cpe_onchain_changes(p, n, j->m->interval_ms, &y, &nx);
    if (!rc) rc = s->ops->begin(s);
    if (rc) goto out;
    if (j->m->parser == CPE_OCP_WHALE_ALERT) {
        rc = put(s, j, j->m->series, x, nx, 1);
        if (!rc) rc = put(s, j, "whale_transactions", y, nx, 0);
    } else {
        rc = put(s, j, j->m->series, p, n, 1);
        if (!rc && y) rc = put(s, j, "stablecoin_supply_change", y, nx, 0);
    }
    char mk[CPE_INSTR_KEY_MAX + 64], v[32];
    snprintf(mk, sizeof mk, "onchain:upto:%s:%s", j->src->name, j->instrument);
    snprintf(v, sizeof v, "%lld", (long long)b);
    if (!rc) rc = s->ops->set_meta(s, mk, v);
    snprintf(mk, sizeof mk, "onchain:ok:%s", j->src->name);
    snprintf(v, sizeof v, "%lld", (long long)cpe_now_ms());
    if (!rc) rc = s->ops->set_meta(s, mk, v);
    if (!rc) rc = s->ops->commit(s);
    if (rc) {
        s->ops->rollback(s);
        cpe_diag_set(d, rc, "store: %s", s->diag.msg);
    }
out:
    free(x);
    free(y);
    return rc;
}

/* One page [a, b): every answer (Whale Alert: every cursor) parsed, then stored. */
static int fetch_page(fetcher_t *f, cpe_store_t *s, job_t *j, int64_t a, int64_t b, cpe_diag_t *d)
{
    cpe_point_t *p = NULL;
    size_t n = 0;
    char cursor[CURSOR_MAX] = "", url[1024];
    int rc = 0;
    for (int page = 0;; page++) {
        page_url(f, j, a, b, page ? cursor : NULL, url, sizeof url);
        cpe_buf_t body;
        if ((rc = get(f, j, url, &body, d))) break;
        size_t before = n;
        rc = cpe_onchain_parse(j->m, body.data ? body.data : "", body.len, &p, &n, cursor,
                               sizeof cursor, d);
        cpe_buf_free(&body);
        if (rc) {
            cpe_diag_prefix(d, "GET %s: ", url);
            break;
        }
        if (j->m->parser != CPE_OCP_WHALE_ALERT || !cursor[0] || n - before < WHALE_PAGE) break;
        if (page + 1 >= PAGES_MAX) {
            rc = cpe_diag_set(d, CPE_ETOOBIG, "GET %s: more than %d pages for one hour", url,
                              PAGES_MAX);
            break;
        }
    }
    if (!rc) rc = store_page(s, j, p, n, a, b, d);
    free(p);
    return rc;
}

/* Where the range of j starts: after what an earlier fetch finished. */
static int64_t resume_from(cpe_store_t *s, const job_t *j, int64_t from)
{
    char mk[CPE_INSTR_KEY_MAX + 64], v[32];
    snprintf(mk, sizeof mk, "onchain:upto:%s:%s", j->src->name, j->instrument);
    if (s->ops->get_meta(s, mk, v, sizeof v)) return from;
    long long upto = strtoll(v, NULL, 10);
    return upto > from ? upto : from;
}

static int run_job(fetcher_t *f, cpe_store_t *s, job_t *j, cpe_diag_t *d)
{
    int64_t iv = j->m->interval_ms;
    int64_t from = cpe_floor_ms(f->o->from_ms + iv - 1, iv); /* whole intervals only */
    int64_t to = cpe_floor_ms(f->o->to_ms, iv);
    from = resume_from(s, j, from);
    if (from >= to) return 0;
    int64_t step = j->m->page_ms > 0 ? j->m->page_ms : to - from;
    int rc = 0;
    for (int64_t a = from; !rc && a < to; a += step)
        rc = fetch_page(f, s, j, a, a + step < to ? a + step : to, d);
    return rc;
}

static int add_row(fetcher_t *f, job_t *j)
{
    cpe_onchain_report_t *rep = f->rep;
    if (rep->nrows == CPE_ONCHAIN_REPORT_MAX) return CPE_ETOOBIG;
    j->row = &rep->row[rep->nrows++];
    memset(j->row, 0, sizeof *j->row);
    snprintf(j->row->source, sizeof j->row->source, "%s", j->src->name);
    char key[CPE_INSTR_KEY_MAX + 16];
    snprintf(key, sizeof key, "%s:%s", j->m->per_asset ? j->asset : "CRYPTO", j->m->series);
    if (cpe_series_key(key, j->instrument, j->kind)) return CPE_EINVAL;
    snprintf(j->row->instrument, sizeof j->row->instrument, "%s", j->instrument);
    snprintf(j->row->kind, sizeof j->row->kind, "%s", j->kind);
    return 0;
}

int cpe_onchain_fetch(cpe_store_t *s, const cpe_onchain_opts_t *o, cpe_onchain_report_t *rep,
                      cpe_diag_t *d)
{
    memset(rep, 0, sizeof *rep);
    if (o->from_ms >= o->to_ms) return cpe_diag_set(d, CPE_EINVAL, "onchain: empty range");
    static const char *const none[] = {NULL};
    const char *const *assets = o->assets ? o->assets : none;
    fetcher_t f = {.o = o, .rep = rep};
    f.curl = curl_easy_init();
    if (!f.curl) return cpe_diag_set(d, CPE_ENOMEM, "onchain: cannot start libcurl");
    cpe_rng_seed(&f.rng, (uint64_t)cpe_now_ms());
    for (int i = 0; i < CPE_OC_NSOURCES; i++) {
        double pm = o->per_min > 0 ? o->per_min : cpe_onchain_source(i)->per_min;
        cpe_tb_init(&f.tb[i], pm, pm, cpe_now_ms());
        rep->skipped[i] = cpe_onchain_key(i) == NULL;
    }
    int first = 0;
    for (size_t k = 0; k < cpe_onchain_metric_count(); k++) {
        const cpe_onchain_metric_t *m = cpe_onchain_metric_at(k);
        if ((o->sources && !(o->sources >> m->source & 1u)) || rep->skipped[m->source]) continue;
        for (size_t a = 0; m->per_asset ? assets[a] != NULL : a == 0; a++) {
            job_t j = {
                .m = m, .src = cpe_onchain_source(m->source), .key = cpe_onchain_key(m->source)};
            snprintf(j.asset, sizeof j.asset, "%s", m->per_asset ? assets[a] : "CRYPTO");
            int rc = add_row(&f, &j);
            if (rc) {
                first = first ? first : cpe_diag_set(d, rc, "onchain: too many series in one run");
                break;
            }
            cpe_diag_t jd = {0};
            rc = run_job(&f, s, &j, &jd);
            if (rc) {
                j.row->rc = rc;
                snprintf(j.row->error, sizeof j.row->error, "%s", jd.msg);
                if (!first) first = cpe_diag_set(d, rc, "%s", jd.msg);
            }
        }
    }
    curl_easy_cleanup(f.curl);
    return first;
}
