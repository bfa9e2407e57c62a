/* history_http.c — the history fetch's requests: keep-alive libcurl, the exchange's token
 * bucket and rate headers, retries (see sources/history_int.h and cpe/history.h). */
#include "sources/history_int.h"
#include "sources/exjson.h"
#include "cpe/buf.h"
#include "cpe/fallback.h"
#include "cpe/timeutil.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HIST_ATTEMPTS 5

static void sleep_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int hist_http_init(hist_http_t *h, const cpe_exchange_t *ex, int64_t timeout_ms, int attempts,
                   cpe_diag_t *d)
{
    memset(h, 0, sizeof *h);
    h->ex = ex;
    h->timeout_ms = timeout_ms;
    h->attempts = attempts > 0 ? attempts : HIST_ATTEMPTS;
    /* one minute's budget at once: the exchanges count in fixed one-minute windows */
    cpe_tb_init(&h->tb, ex->rest_per_min, ex->rest_per_min, cpe_now_ms());
    cpe_rng_seed(&h->rng, (uint64_t)cpe_now_ms());
    h->curl = curl_easy_init();
    if (!h->curl) return cpe_diag_set(d, CPE_ENOMEM, "fetch: cannot start libcurl");
    return 0;
}

void hist_http_free(hist_http_t *h)
{
    if (h->curl) curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

/* One request: 0 with *status and the body, or a curl failure text in *why. */
static int perform(hist_http_t *h, const char *url, exj_resp_t *r, long *status, const char **why)
{
    CURL *c = h->curl;
    exj_curl_prepare(c, url, r, (long)h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode cc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    h->requests++;
    *why = cc != CURLE_OK ? curl_easy_strerror(cc) : NULL;
    return cc != CURLE_OK;
}

/* After an answer: a spent window blocks the bucket until it resets. */
static void obey_rate(hist_http_t *h, const exj_resp_t *r, long status)
{
    int64_t now = cpe_now_ms();
    double left = cpe_rate_info_left(&r->ri);
    if (!isnan(left) && left <= 1)
        cpe_tb_block_until(&h->tb, r->ri.reset_ms > now ? r->ri.reset_ms
                                                        : cpe_floor_ms(now, 60000) + 60000);
    if (status == 429 || status == 418) {
        cpe_tb_block_until(&h->tb, now + (r->ri.retry_after_ms > 0 ? r->ri.retry_after_ms : 60000));
        h->rate_waits++;
    }
}

int hist_http_get(hist_http_t *h, cpe_market_kind_t m, const char *path, cpe_data_kind_t kind,
                  const char *symbol, cpe_event_sink_fn sink, void *ctx, cpe_diag_t *d)
{
    char url[1400];
    snprintf(url, sizeof url, "%s%s", cpe_exchange_base(h->ex, 0, m), path);
    for (int attempt = 0;;) {
        int64_t wait;
        while ((wait = cpe_tb_take(&h->tb, cpe_now_ms())) > 0)
            sleep_ms(wait);
        exj_resp_t r = {.ex = h->ex};
        cpe_buf_init(&r.body, 64u << 20);
        cpe_rate_info_init(&r.ri);
        long status;
        const char *why;
        int failed = perform(h, url, &r, &status, &why);
        obey_rate(h, &r, status);
        int rc = 0;
        if (!failed && (status == 429 || status == 418)) {
            cpe_buf_free(&r.body);
            continue; /* the bucket holds the next try back for Retry-After */
        }
        if (!failed && status == 200) {
            cpe_diag_t pd = {0};
            rc = h->ex->parse_rest(kind, m, symbol, r.body.data ? r.body.data : "", r.body.len,
                                   sink, ctx, &pd);
            if (rc == CPE_EPARSE)
                cpe_diag_set(d, rc, "fetch: bad answer from GET %s: %s", url, pd.msg);
            else if (rc)
                cpe_diag_set(d, rc, "fetch: GET %s: %s", url, pd.msg);
        } else if (!failed && status < 500) {
            rc = cpe_diag_set(d, CPE_EIO, "fetch: GET %s answered HTTP %ld: %.200s", url, status,
                              r.body.data ? r.body.data : "");
        } else if (++attempt >= h->attempts) {
            if (failed)
                rc =
                    cpe_diag_set(d, CPE_ENET, "fetch: GET %s: %s (%d attempts)", url, why, attempt);
            else
                rc = cpe_diag_set(d, CPE_EIO, "fetch: GET %s answered HTTP %ld (%d attempts)", url,
                                  status, attempt);
        } else {
            h->retries++;
            cpe_buf_free(&r.body);
            sleep_ms(cpe_backoff_ms(attempt - 1, 500, 8000, &h->rng));
            continue;
        }
        cpe_buf_free(&r.body);
        return rc;
    }
}
