/* alerts_deliver.c — webhook delivery on its own thread: HMAC-signed POSTs, exponential
 * backoff, dead letters (api/alerts.h, docs/ALERTS.md). */
#include "api/alerts.h"
#include "cpe/alertdb.h"
#include "cpe/json.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_CAP_MS CPE_MS_PER_HOUR
#define POST_TIMEOUT_MS 5000L

int cpe_alert_signature(const char *secret, int64_t t_s, const char *body, size_t len, char *out,
                        size_t cap)
{
    char ts[24];
    int tn = snprintf(ts, sizeof ts, "%lld.", (long long)t_s);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    unsigned char *msg = malloc((size_t)tn + len + 1);
    if (!msg) return CPE_ENOMEM;
    memcpy(msg, ts, (size_t)tn);
    memcpy(msg + tn, body, len);
    int ok =
        HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)tn + len, mac, &mlen) != NULL;
    free(msg);
    if (!ok) return CPE_EINTERNAL;
    int n = snprintf(out, cap, "t=%lld,v1=", (long long)t_s);
    if (n < 0 || (size_t)n + 2 * mlen + 1 > cap) return CPE_ETOOBIG;
    for (unsigned int i = 0; i < mlen; i++)
        snprintf(out + n + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

char *cpe_alert_webhook_body(const char *format, const char *url, const char *event_json,
                             const char *message)
{
    int telegram = !strcmp(format, "telegram");
    const char *key = !strcmp(format, "slack")     ? "text"
                      : !strcmp(format, "discord") ? "content"
                      : telegram                   ? "text"
                                                   : NULL;
    char chat[64];
    if (!key) return strdup(event_json);
    if (telegram && cpe_alert_telegram_chat(url, chat, sizeof chat)) return NULL;
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 16);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    if (telegram) cpe_jw_kstr(&w, "chat_id", chat);
    cpe_jw_kstr(&w, key, message);
    if (telegram) cpe_jw_kbool(&w, "disable_web_page_preview", 1);
    cpe_jw_end(&w);
    if (w.err) {
        cpe_buf_free(&b);
        return NULL;
    }
    return cpe_buf_steal(&b, NULL);
}

int alerts_enqueue(cpe_alerts_t *a, const alert_job_t *j)
{
    if (a->njobs == a->jobs_cap) {
        int cap = a->jobs_cap ? a->jobs_cap * 2 : 16;
        alert_job_t *n = realloc(a->jobs, (size_t)cap * sizeof *n);
        if (!n) return CPE_ENOMEM;
        a->jobs = n;
        a->jobs_cap = cap;
    }
    a->jobs[a->njobs++] = *j;
    pthread_cond_signal(&a->cv);
    return 0;
}

/* Rewrite the stored firing's delivery (caller holds mu). state NULL: only read. With event /
 * msg, the stored firing's JSON and its message (malloc'd). */
static int update_event(cpe_alerts_t *a, const alert_job_t *j, const char *state, const char *err,
                        char **event, char **msg)
{
    char *row = malloc(CPE_ALERTDB_ROW_MAX);
    if (!row) return CPE_ENOMEM;
    int rc = cpe_alertdb_get(a->store, "event", j->event_id, row, CPE_ALERTDB_ROW_MAX);
    json_t *o = rc ? NULL : json_loads(row, 0, NULL);
    free(row);
    if (!o) return rc ? rc : CPE_EPARSE;
    json_t *dl = json_object_get(o, "delivery");
    json_object_set_new(dl, "state", json_string(state));
    json_object_set_new(dl, "attempts", json_integer(j->attempts));
    json_object_set_new(dl, "next_ms", json_integer(j->next_ms));
    if (err) json_object_set_new(dl, "last_error", json_string(err));
    if (!strcmp(state, "delivered"))
        json_object_set_new(dl, "delivered_ms", json_integer(cpe_now_ms()));
    if (event)
        *event = json_dumps(json_object_get(o, "event"), JSON_COMPACT | JSON_REAL_PRECISION(15));
    const char *m = json_string_value(json_object_get(json_object_get(o, "event"), "message"));
    if (msg) *msg = strdup(m ? m : "");
    char *t = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
    rc = t ? cpe_alertdb_put(a->store, "event", j->event_id, t) : CPE_ENOMEM;
    free(t);
    json_decref(o);
    return rc;
}

/* POST body to the rule's webhook: 0 on a 2xx, else CPE_ENET with err filled. */
static int post(const cpe_alert_rule_t *r, const char *body, char err[160])
{
    char sig[160], hdr[200];
    if (cpe_alert_signature(r->webhook_secret, cpe_now_ms() / 1000, body, strlen(body), sig,
                            sizeof sig)) {
        snprintf(err, 160, "cannot sign");
        return CPE_EINTERNAL;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, 160, "curl_easy_init failed");
        return CPE_ENOMEM;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(hdr, sizeof hdr, "X-CPE-Signature: %s", sig);
    h = curl_slist_append(h, hdr);
    curl_easy_setopt(c, CURLOPT_URL, r->webhook_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, POST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK) {
        snprintf(err, 160, "%s", curl_easy_strerror(cc));
        return CPE_ENET;
    }
    if (code < 200 || code > 299) {
        snprintf(err, 160, "HTTP %ld", code);
        return CPE_ENET;
    }
    return 0;
}

/* One due delivery (caller holds mu; released around the POST). */
static void deliver(cpe_alerts_t *a, alert_job_t j)
{
    alert_slot_t *s = alerts_find(a, j.rule_id);
    if (!s || !s->rule.webhook_url[0]) {
        update_event(a, &j, "dead", "the rule or its webhook was deleted", NULL, NULL);
        a->dead++;
        return;
    }
    cpe_alert_rule_t r = s->rule;
    char *event = NULL, *msg = NULL, err[160] = "";
    j.attempts++;
    /* "sending" is on disk before the POST: a crash now cannot lead to a second POST */
    int rc = update_event(a, &j, "sending", NULL, &event, &msg);
    char *body = rc || !event ? NULL
                              : cpe_alert_webhook_body(r.webhook_format, r.webhook_url, event,
                                                       msg ? msg : "");
    pthread_mutex_unlock(&a->mu);
    if (body)
        rc = post(&r, body, err);
    else if (!rc) {
        rc = CPE_EINTERNAL;
        snprintf(err, sizeof err, "no webhook body (out of memory, or no telegram chat_id)");
    }
    pthread_mutex_lock(&a->mu);
    free(event);
    free(msg);
    free(body);
    int64_t now = cpe_now_ms();
    if (!rc) {
        update_event(a, &j, "delivered", NULL, NULL, NULL);
        a->delivered++;
        return;
    }
    int64_t wait = a->retry_base_ms;
    for (int i = 1; i < j.attempts && wait < RETRY_CAP_MS; i++)
        wait *= 2;
    j.next_ms = now + (wait < RETRY_CAP_MS ? wait : RETRY_CAP_MS);
    if (j.next_ms - j.fired_ms > a->retry_for_ms) {
        update_event(a, &j, "dead", err[0] ? err : "cannot read the stored firing", NULL, NULL);
        a->dead++;
        cpe_warn("alerts: firing %lld of rule %lld: webhook failed %d times (%s): dead letter",
                 (long long)j.event_id, (long long)j.rule_id, j.attempts, err);
        return;
    }
    update_event(a, &j, "pending", err, NULL, NULL);
    alerts_enqueue(a, &j);
}

static void *worker(void *arg)
{
    cpe_alerts_t *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        int64_t now = cpe_now_ms(), next = now + 1000;
        int due = -1;
        for (int i = 0; i < a->njobs; i++) {
            if (a->jobs[i].next_ms <= now && due < 0) due = i;
            if (a->jobs[i].next_ms < next) next = a->jobs[i].next_ms;
        }
        if (due >= 0) {
            alert_job_t j = a->jobs[due];
            a->jobs[due] = a->jobs[--a->njobs];
            deliver(a, j);
            continue;
        }
        pthread_mutex_unlock(&a->mu);
        alerts_check_stale(a, now);
        pthread_mutex_lock(&a->mu);
        if (a->stop) break;
        struct timespec ts = cpe_realtime_after_ms(next - now);
        pthread_cond_timedwait(&a->cv, &a->mu, &ts);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int alerts_worker_start(cpe_alerts_t *a, cpe_diag_t *d)
{
    if (pthread_create(&a->th, NULL, worker, a))
        return cpe_diag_set(d, CPE_ENOMEM, "alerts: cannot start the delivery thread");
    a->running = 1;
    return 0;
}

void alerts_worker_stop(cpe_alerts_t *a)
{
    if (!a->running) return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->th, NULL);
    a->running = 0;
}
