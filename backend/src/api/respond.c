/* respond.c — writing an HTTP response: status, headers (cache, CORS, retry-after), and the
 * body in one write or in chunks (conn.h). */
#include "api/conn.h"
#include "api/tls.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_RESPONSE (48 * 1024)
#define CHUNK (64 * 1024)
#define HDR_ROOM 2048

static int origin_allowed(cpe_api_t *api, const char *origin)
{
    if (!origin[0]) return 0;
    if (api->any_origin) return 1;
    for (int i = 0; i < api->norigins; i++)
        if (!strcmp(api->origins[i], origin)) return 1;
    return 0;
}

void cpe_conn_free_out(conn_t *c)
{
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
}

void cpe_conn_end_transaction(conn_t *c)
{
    free(c->query);
    c->query = NULL;
    cpe_buf_free(&c->body);
    c->body_started = c->body_too_big = 0;
}

static void observe(cpe_api_t *api, conn_t *c, int status)
{
    double s = (double)(cpe_mono_ns() - c->t0_ns) / 1e9;
    cpe_stats_observe(&api->stats, c->slot, status, s);
}

/* Send status + headers + body. Small bodies go out in one write with the headers;
 * larger ones are written CHUNK bytes per writeable callback. Returns the value the
 * lws callback must return. */
int cpe_conn_send(struct lws *wsi, cpe_api_t *api, conn_t *c, int status, const char *ctype,
                  const char *cache, int retry_after, const char *body, size_t blen, int head_only)
{
    size_t small = blen <= SMALL_RESPONSE && !head_only ? blen : 0;
    unsigned char *buf = malloc(LWS_PRE + HDR_ROOM + small);
    if (!buf) return -1;
    unsigned char *start = buf + LWS_PRE, *p = start, *end = start + HDR_ROOM - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)status, ctype, (lws_filepos_t)blen, &p, end))
        goto fail;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)cache, (int)strlen(cache), &p, end))
        goto fail;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                    (const unsigned char *)"nosniff", 7, &p, end) ||
        cpe_tls_add_hsts(&api->cfg, wsi, &p, end))
        goto fail;
    if (retry_after > 0) {
        char ra[16];
        int n = snprintf(ra, sizeof ra, "%d", retry_after);
        if (lws_add_http_header_by_name(
                wsi, (const unsigned char *)"retry-after:", (const unsigned char *)ra, n, &p, end))
            goto fail;
    }
    if (origin_allowed(api, c->origin)) {
        const char *o = api->any_origin ? "*" : c->origin;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-origin:",
                                        (const unsigned char *)o, (int)strlen(o), &p, end) ||
            lws_add_http_header_by_name(
                wsi, (const unsigned char *)"vary:", (const unsigned char *)"Origin", 6, &p, end))
            goto fail;
    }
    if (status == 204 && c->method == CPE_OPTIONS) {
        static const char am[] = "GET, POST, PATCH, DELETE, OPTIONS";
        static const char ah[] = "Content-Type, Authorization";
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-methods:",
                                        (const unsigned char *)am, (int)strlen(am), &p, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-headers:",
                                        (const unsigned char *)ah, (int)strlen(ah), &p, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-max-age:",
                                        (const unsigned char *)"600", 3, &p, end))
            goto fail;
    }
    if (c->close_after && lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                                      (const unsigned char *)"close", 5, &p, end))
        goto fail;
    if (lws_finalize_http_header(wsi, &p, end)) goto fail;
    observe(api, c, status);
    if (small) {
        memcpy(p, body, small);
        p += small;
    }
    int n = lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
    free(buf);
    if (n < 0) return -1;
    cpe_conn_end_transaction(c);
    if (small || blen == 0 || head_only) {
        if (c->close_after) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    c->out = malloc(LWS_PRE + blen);
    if (!c->out) return -1;
    memcpy(c->out + LWS_PRE, body, blen);
    c->out_len = blen;
    c->out_off = 0;
    lws_callback_on_writable(wsi);
    return 0;
fail:
    free(buf);
    return -1;
}

int cpe_conn_write_more(struct lws *wsi, conn_t *c)
{
    if (!c->out) return 0;
    size_t left = c->out_len - c->out_off;
    size_t n = left > CHUNK ? CHUNK : left;
    unsigned char *tmp = malloc(LWS_PRE + n);
    if (!tmp) return -1;
    memcpy(tmp + LWS_PRE, c->out + LWS_PRE + c->out_off, n);
    int final = n == left;
    int w = lws_write(wsi, tmp + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(tmp);
    if (w < 0) return -1;
    c->out_off += n;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    cpe_conn_free_out(c);
    if (c->close_after) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int cpe_conn_send_resp(struct lws *wsi, cpe_api_t *api, conn_t *c, cpe_resp_t *r)
{
    const char *ct = r->content_type ? r->content_type : "application/json";
    const char *cache = r->cache_control ? r->cache_control : "no-store";
    return cpe_conn_send(wsi, api, c, r->status, ct, cache, r->retry_after_s, r->body.data,
                         r->body.len, c->method == CPE_HEAD);
}

int cpe_conn_error(struct lws *wsi, cpe_api_t *api, conn_t *c, int status, const char *code,
                   const char *field, int retry_after, const char *msg)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 64 * 1024);
    cpe_resp_error(&r, status, code, field, NULL, retry_after, "%s", msg);
    int rc = cpe_conn_send_resp(wsi, api, c, &r);
    cpe_resp_free(&r);
    return rc;
}
