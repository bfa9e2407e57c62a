/* server.c — lws context, HTTP transactions, dispatch, static files, inbox (server.h). */
#include "api/server.h"
#include "api/alerts.h"
#include "api/jwt.h"
#include "cpe/json.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SMALL_RESPONSE (48 * 1024)
#define CHUNK (64 * 1024)
#define HDR_ROOM 2048

/* Per-connection state (lws per-session data); HTTP and WebSocket share the protocol. */
typedef struct conn {
    int is_ws;
    struct ws_client *ws; /* ws.c owns it */
    /* HTTP */
    int method;
    char path[512];
    cpe_query_t *query; /* malloc'd per transaction */
    cpe_buf_t body;
    int body_started, body_too_big;
    int64_t t0_ns;
    int slot;
    unsigned char *out; /* LWS_PRE + remaining body bytes to write */
    size_t out_len, out_off;
    int close_after;
    char origin[128];
} conn_t;

/* ---------- messages and inbox ---------- */

cpe_wsmsg_t *cpe_wsmsg_new(ws_channel_t ch, const char *asset, const char *interval,
                           int collapsible, const char *json, size_t len)
{
    cpe_wsmsg_t *m = malloc(sizeof *m + LWS_PRE + len + 1);
    if (!m) return NULL;
    m->refs = 1;
    m->channel = ch;
    snprintf(m->asset, sizeof m->asset, "%s", asset ? asset : "");
    snprintf(m->interval, sizeof m->interval, "%s", interval ? interval : "");
    m->collapsible = collapsible;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, json, len);
    m->data[LWS_PRE + len] = 0;
    return m;
}

void cpe_wsmsg_unref(cpe_wsmsg_t *m)
{
    if (m && --m->refs == 0) free(m);
}

void cpe_api_inbox_push(cpe_api_t *api, cpe_wsmsg_t *m)
{
    pthread_mutex_lock(&api->mu);
    if (api->inbox_tail)
        api->inbox_tail->next = m;
    else
        api->inbox = m;
    api->inbox_tail = m;
    /* one wake-up per drain: each costs the service thread a poll() over every socket */
    int wake = api->ctx && !api->inbox_woken;
    if (wake) api->inbox_woken = 1;
    pthread_mutex_unlock(&api->mu);
    if (wake) lws_cancel_service(api->ctx);
}

static void drain_inbox(cpe_api_t *api)
{
    pthread_mutex_lock(&api->mu);
    cpe_wsmsg_t *m = api->inbox;
    api->inbox = api->inbox_tail = NULL;
    api->inbox_woken = 0;
    pthread_mutex_unlock(&api->mu);
    /* what arrived together leaves together: one write per client per burst */
    while (m) {
        cpe_wsmsg_t *batch[CPE_WS_BURST_MAX];
        size_t n = 0;
        while (m && n < CPE_WS_BURST_MAX) {
            batch[n++] = m;
            m = m->next;
        }
        cpe_ws_broadcast_many(api, batch, n);
        for (size_t i = 0; i < n; i++) {
            batch[i]->next = NULL;
            cpe_wsmsg_unref(batch[i]);
        }
    }
}

/* ---------- helpers ---------- */

static const struct {
    const char *ext, *type;
} mime[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".wasm", "application/wasm"},
};

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return "application/octet-stream";
    for (size_t i = 0; i < sizeof mime / sizeof mime[0]; i++)
        if (!strcasecmp(dot, mime[i].ext)) return mime[i].type;
    return "application/octet-stream";
}

/* A file name carrying a content hash (Vite: name-Ab12Cd34.js) may be cached forever. */
static int is_hashed(const char *path)
{
    if (strstr(path, "/assets/")) return 1;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dash = strrchr(name, '-');
    const char *dot = strrchr(name, '.');
    if (!dash || !dot || dot < dash) return 0;
    int n = 0;
    for (const char *p = dash + 1; p < dot; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '_'))
            return 0;
        n++;
    }
    return n >= 8;
}

static int origin_allowed(cpe_api_t *api, const char *origin)
{
    if (!origin[0]) return 0;
    if (api->any_origin) return 1;
    for (int i = 0; i < api->norigins; i++)
        if (!strcmp(api->origins[i], origin)) return 1;
    return 0;
}

static void peer_ip(struct lws *wsi, char *ip, size_t cap)
{
    ip[0] = 0;
    lws_get_peer_simple(wsi, ip, cap);
    if (!ip[0]) snprintf(ip, cap, "?");
}

/* ---------- writing responses ---------- */

static void free_out(conn_t *c)
{
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
}

static void end_transaction_state(conn_t *c)
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
static int send_response(struct lws *wsi, cpe_api_t *api, conn_t *c, int status, const char *ctype,
                         const char *cache, int retry_after, const char *body, size_t blen,
                         int head_only)
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
                                    (const unsigned char *)"nosniff", 7, &p, end))
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
    end_transaction_state(c);
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

static int write_more(struct lws *wsi, conn_t *c)
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
    free_out(c);
    if (c->close_after) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int send_resp(struct lws *wsi, cpe_api_t *api, conn_t *c, cpe_resp_t *r)
{
    const char *ct = r->content_type ? r->content_type : "application/json";
    const char *cache = r->cache_control ? r->cache_control : "no-store";
    return send_response(wsi, api, c, r->status, ct, cache, r->retry_after_s, r->body.data,
                         r->body.len, c->method == CPE_HEAD);
}

static int send_error(struct lws *wsi, cpe_api_t *api, conn_t *c, int status, const char *code,
                      const char *field, int retry_after, const char *msg)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 64 * 1024);
    cpe_resp_error(&r, status, code, field, NULL, retry_after, "%s", msg);
    int rc = send_resp(wsi, api, c, &r);
    cpe_resp_free(&r);
    return rc;
}

/* ---------- static files ---------- */

static int serve_static(struct lws *wsi, cpe_api_t *api, conn_t *c)
{
    c->slot = api->slot_static;
    if (!api->static_dir[0])
        return send_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0,
                          "no such route, and no frontend is being served (build frontend/ or "
                          "set CPE_STATIC_DIR)");
    if (strstr(c->path, "..") || strchr(c->path, '\\'))
        return send_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0, "no such file");
    char fpath[1200];
    const char *rel = c->path;
    if (!strcmp(rel, "/")) rel = "/index.html";
    snprintf(fpath, sizeof fpath, "%s%s", api->static_dir, rel);
    cpe_buf_t b;
    cpe_buf_init(&b, 64u * 1024 * 1024);
    int rc = cpe_buf_read_file(&b, fpath);
    const char *served = rel;
    if (rc == CPE_ENOTFOUND) {
        /* SPA fallback: a path without a file extension is a client-side route. */
        const char *slash = strrchr(rel, '/');
        if (!strchr(slash ? slash : rel, '.')) {
            snprintf(fpath, sizeof fpath, "%s/index.html", api->static_dir);
            cpe_buf_reset(&b);
            rc = cpe_buf_read_file(&b, fpath);
            served = "/index.html";
        }
    }
    int ret;
    if (rc) {
        ret = send_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0, "no such route or file");
    } else {
        const char *cache = !strcmp(served, "/index.html") ? "no-cache"
                            : is_hashed(served)            ? "public, max-age=31536000, immutable"
                                                           : "public, max-age=3600";
        ret = send_response(wsi, api, c, 200, mime_of(served), cache, 0, b.data, b.len,
                            c->method == CPE_HEAD);
    }
    cpe_buf_free(&b);
    return ret;
}

/* ---------- dispatch ---------- */

static int check_jwt(struct lws *wsi, cpe_api_t *api, char *why, size_t cap)
{
    char auth[2048];
    int n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n <= 0) {
        snprintf(why, cap, "Authorization: Bearer <token> is required");
        return -1;
    }
    if (strncasecmp(auth, "Bearer ", 7)) {
        snprintf(why, cap, "Authorization must be 'Bearer <token>'");
        return -1;
    }
    return cpe_jwt_verify(auth + 7, api->cfg.jwt_secret, cpe_now_ms(), why, cap) ? -1 : 0;
}

static int dispatch(struct lws *wsi, cpe_api_t *api, conn_t *c)
{
    char ip[64];
    peer_ip(wsi, ip, sizeof ip);
    int retry = 0;
    c->slot = api->slot_other;
    if (!cpe_ratelimit_take(&api->rl, ip, cpe_now_ms(), &retry))
        return send_error(wsi, api, c, 429, "RATE_LIMITED", NULL, retry,
                          "too many requests from this address; retry later");
    if (c->method == CPE_OPTIONS) {
        c->slot = api->slot_other;
        return send_response(wsi, api, c, 204, "text/plain", "no-store", 0, "", 0, 0);
    }
    if (c->body_too_big) {
        c->close_after = 1;
        return send_error(wsi, api, c, 413, "BODY_TOO_LARGE", NULL, 0,
                          "request body is larger than 1 MiB");
    }
    const char *param;
    size_t plen;
    int st;
    const cpe_route_t *route =
        cpe_route_match(cpe_api_routes, c->method, c->path, &param, &plen, &st);
    if (!route) {
        if (st == 405)
            return send_error(wsi, api, c, 405, "METHOD_NOT_ALLOWED", NULL, 0,
                              "this route does not take that method");
        if (c->method == CPE_GET || c->method == CPE_HEAD) return serve_static(wsi, api, c);
        return send_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0, "no such route");
    }
    c->slot = (int)(route - cpe_api_routes);
    if (api->cfg.jwt_secret[0] && !route->public_route) {
        char why[160];
        if (check_jwt(wsi, api, why, sizeof why))
            return send_error(wsi, api, c, 401, "UNAUTHORIZED", NULL, 0, why);
    }
    cpe_req_t req;
    memset(&req, 0, sizeof req);
    req.method = c->method;
    req.path = c->path;
    char pbuf[256] = "";
    if (param) {
        snprintf(pbuf, sizeof pbuf, "%.*s", (int)(plen < 255 ? plen : 255), param);
        req.path_param = pbuf;
    }
    if (c->query) req.query = *c->query;
    req.now_ms = cpe_now_ms();
    req.api = api;
    cpe_resp_t r;
    cpe_resp_init(&r, 256u * 1024 * 1024);
    if (c->query && c->query->overflow) {
        cpe_resp_error(&r, 400, "INVALID_PARAMETER", c->query->overflow_key, NULL, 0,
                       "parameter '%s' is malformed or too long, or there are too many parameters",
                       c->query->overflow_key);
    } else if (c->method & (CPE_POST | CPE_PATCH)) {
        json_error_t je;
        json_t *j = NULL;
        if (c->body.len > 0) j = json_loadb(c->body.data, c->body.len, JSON_REJECT_DUPLICATES, &je);
        if (!j || !json_is_object(j)) {
            cpe_resp_error(&r, 400, "INVALID_JSON", "body", NULL, 0,
                           "request body must be a JSON object%s%s", j || !c->body.len ? "" : ": ",
                           j || !c->body.len ? "" : je.text);
        } else {
            req.body = c->body.data;
            req.body_len = c->body.len;
            req.body_json = j;
            route->fn(&req, &r);
        }
        json_decref(j);
    } else {
        route->fn(&req, &r);
    }
    int ret = send_resp(wsi, api, c, &r);
    cpe_resp_free(&r);
    return ret;
}

static int method_of(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) return CPE_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI)) return CPE_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI)) return CPE_OPTIONS;
#if defined(LWS_WITH_HTTP_UNCOMMON_HEADERS) || 1
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI)) return CPE_HEAD;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI)) return CPE_DELETE;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI)) return CPE_PATCH;
#endif
    return 0;
}

static int on_http(struct lws *wsi, cpe_api_t *api, conn_t *c, const char *uri)
{
    c->t0_ns = cpe_mono_ns();
    c->close_after = 0;
    c->slot = api->slot_other;
    c->method = method_of(wsi);
    snprintf(c->path, sizeof c->path, "%s", uri ? uri : "/");
    c->origin[0] = 0;
    lws_hdr_copy(wsi, c->origin, sizeof c->origin, WSI_TOKEN_ORIGIN);
    free(c->query);
    c->query = calloc(1, sizeof *c->query);
    if (!c->query) return -1;
    char frag[CPE_QUERY_KEY_MAX + CPE_QUERY_VAL_MAX + 8];
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) {
            if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0) {
                c->query->overflow = 1;
                snprintf(c->query->overflow_key, sizeof c->query->overflow_key, "query");
                continue;
            }
            break;
        }
        cpe_query_add(c->query, frag, (size_t)n);
    }
    if (!c->method)
        return send_error(wsi, api, c, 405, "METHOD_NOT_ALLOWED", NULL, 0,
                          "only GET, POST, PATCH, DELETE, HEAD and OPTIONS are served");
    if (c->method & (CPE_POST | CPE_PATCH)) {
        char cl[32];
        if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
            strtoll(cl, NULL, 10) > CPE_BODY_MAX) {
            c->body_too_big = 1;
            return dispatch(wsi, api, c);
        }
        cpe_buf_init(&c->body, CPE_BODY_MAX);
        c->body_started = 1;
        if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
            strtoll(cl, NULL, 10) == 0)
            return dispatch(wsi, api, c);
        return 0; /* wait for the body */
    }
    return dispatch(wsi, api, c);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    cpe_api_t *api = ctx ? lws_context_user(ctx) : NULL;
    conn_t *c = user;
    if (!api) return lws_callback_http_dummy(wsi, reason, user, in, len); /* no server state */
    if (!c && reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED &&
        reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
        return lws_callback_http_dummy(wsi, reason, user, in, len); /* no connection state */
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, api, c, in);
    case LWS_CALLBACK_HTTP_BODY:
        if (!c->body_started) return 0;
        if (!c->body_too_big && cpe_buf_append(&c->body, in, len)) c->body_too_big = 1;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!c->body_started) return 0;
        c->body_started = 0;
        return dispatch(wsi, api, c);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_more(wsi, c);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        end_transaction_state(c);
        free_out(c);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (api) drain_inbox(api);
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return cpe_ws_callback(wsi, reason, user, in, len);
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* conn_t starts with the ws pointer fields ws.c needs. */
struct ws_client **cpe_conn_ws_slot(void *user);
struct ws_client **cpe_conn_ws_slot(void *user)
{
    return &((conn_t *)user)->ws;
}

static const struct lws_protocols protocols[] = {
    {"cpe", callback, sizeof(conn_t), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---------- store lookups shared by handlers ---------- */

static int kline_series_uncached(cpe_api_t *api, const char *symbol,
                                 char instrument[CPE_INSTR_KEY_MAX], int *simulated,
                                 int64_t *last_ts);

int cpe_api_kline_series(cpe_api_t *api, const char *symbol, char instrument[CPE_INSTR_KEY_MAX],
                         int *simulated, int64_t *last_ts)
{
    int64_t now = cpe_now_ms();
    kline_cache_t *slot = NULL, *oldest = &api->klines[0];
    for (int i = 0; i < KLINE_CACHE; i++) {
        kline_cache_t *k = &api->klines[i];
        if (k->symbol[0] && !strcmp(k->symbol, symbol)) slot = k;
        if (k->fetched_ms < oldest->fetched_ms) oldest = k;
    }
    if (!slot || now - slot->fetched_ms > 1000) {
        if (!slot) slot = oldest;
        snprintf(slot->symbol, sizeof slot->symbol, "%s", symbol);
        slot->rc =
            kline_series_uncached(api, symbol, slot->instrument, &slot->simulated, &slot->last_ts);
        slot->fetched_ms = now;
        if (slot->rc && slot->rc != CPE_ENOTFOUND) { /* a store error is not remembered */
            int rc = slot->rc;
            slot->symbol[0] = 0;
            return rc;
        }
    }
    if (slot->rc) return slot->rc;
    snprintf(instrument, CPE_INSTR_KEY_MAX, "%s", slot->instrument);
    *simulated = slot->simulated;
    *last_ts = slot->last_ts;
    return 0;
}

static int kline_series_uncached(cpe_api_t *api, const char *symbol,
                                 char instrument[CPE_INSTR_KEY_MAX], int *simulated,
                                 int64_t *last_ts)
{
    /* the universe's rule over all time: the source being served first, spot before perp */
    cpe_resolved_t r;
    int rc = cpe_store_resolve(api->store, symbol, CPE_MARKET_ANY, CPE_MS_PER_MIN,
                               api->simulated ? CPE_PREFER_SIM : CPE_PREFER_REAL, INT64_MIN,
                               INT64_MAX, &r, NULL);
    if (rc) return rc;
    snprintf(instrument, CPE_INSTR_KEY_MAX, "%s", r.instrument);
    *simulated = r.span.simulated;
    *last_ts = r.span.last_ts;
    return 0;
}

int cpe_api_prediction(cpe_api_t *api, const char *symbol, int horizon_h, int64_t at_ms,
                       cpe_prediction_t *out, char **explain)
{
    if (at_ms != INT64_MAX || explain)
        return api->store->ops->get_prediction(api->store, symbol, horizon_h, at_ms, out, explain);
    int ai = cpe_asset_index(symbol), hi = cpe_horizon_index(horizon_h);
    if (ai < 0 || hi < 0 || !api->preds)
        return api->store->ops->get_prediction(api->store, symbol, horizon_h, at_ms, out, NULL);
    pred_cache_t *pc = &api->preds[ai][hi];
    int64_t now = cpe_now_ms();
    if (now - pc->fetched_ms > 1000) {
        int rc =
            api->store->ops->get_prediction(api->store, symbol, horizon_h, INT64_MAX, &pc->p, NULL);
        if (rc && rc != CPE_ENOTFOUND) return rc;
        pc->have = rc == 0;
        pc->fetched_ms = now;
    }
    if (!pc->have) return CPE_ENOTFOUND;
    *out = pc->p;
    return 0;
}

int cpe_api_is_stale(cpe_api_t *api, int64_t last_bar_ts, int64_t now_ms)
{
    if (!strcmp(api->source, "store")) return 0; /* served as it is: age is reported, not judged */
    /* A 1m bar is complete at open + 60 s; price freshness limit 5 s (spec 16.3) applies to
     * ticks, and a closed bar may lag by one bar: stale beyond 60 s + 5 s past its close. */
    return now_ms - (last_bar_ts + 2 * CPE_MS_PER_MIN) > 5000;
}

/* ---------- live pipeline sink (pipeline thread) ---------- */

static void live_sink(void *ctx, const cpe_live_event_t *ev)
{
    cpe_api_t *api = ctx;
    cpe_alerts_on_live(api->alerts, ev);
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    char asset[CPE_ASSET_NAME_MAX];
    cpe_symbol_to_asset(ev->symbol, asset, sizeof asset);
    cpe_wsmsg_t *m = NULL;
    if (ev->kind == CPE_LIVE_CANDLE) {
        const char *iv = cpe_interval_name(ev->interval_ms);
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "type", "candle");
        cpe_jw_kstr(&w, "asset", asset);
        cpe_jw_kstr(&w, "interval", iv ? iv : "?");
        cpe_jw_kbool(&w, "closed", ev->closed);
        cpe_jw_kbool(&w, "simulated", ev->simulated);
        cpe_jw_kint(&w, "emitted_ms", ev->emitted_ms);
        if (ev->source_ms > 0) cpe_jw_kint(&w, "source_ms", ev->source_ms);
        cpe_jw_key(&w, "bar");
        cpe_api_write_bar(&w, ev->bar, ev->cvd);
        cpe_jw_end(&w);
        if (!w.err) m = cpe_wsmsg_new(WS_CH_CANDLES, asset, iv, !ev->closed, b.data, b.len);
    } else {
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "type", "prediction");
        cpe_jw_kint(&w, "emitted_ms", ev->emitted_ms);
        cpe_jw_end(&w);
        /* the prediction body: same fields as /predict, merged into one object */
        cpe_buf_reset(&b);
        cpe_jw_init(&w, &b);
        cpe_api_write_prediction(&w, asset, ev->pred, 0, ev->simulated);
        if (!w.err && b.len > 1) {
            cpe_buf_t m2;
            cpe_buf_init(&m2, 1 << 20);
            cpe_buf_printf(&m2, "{\"type\":\"prediction\",\"emitted_ms\":%lld,%s",
                           (long long)ev->emitted_ms, b.data + 1);
            m = cpe_wsmsg_new(WS_CH_PREDICTIONS, asset, "", 0, m2.data, m2.len);
            cpe_buf_free(&m2);
        }
    }
    cpe_buf_free(&b);
    if (m) cpe_api_inbox_push(api, m);
}

/* ---------- setup ---------- */

static void find_static_dir(cpe_api_t *api)
{
    struct stat st;
    if (api->cfg.static_dir[0]) {
        if (!stat(api->cfg.static_dir, &st) && S_ISDIR(st.st_mode))
            snprintf(api->static_dir, sizeof api->static_dir, "%s", api->cfg.static_dir);
        else
            cpe_warn("serve: static dir %s does not exist: not serving a frontend",
                     api->cfg.static_dir);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *rel[] = {"/../frontend/dist", "/../../frontend/dist", "/../../../frontend/dist"};
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        for (size_t i = 0; i < 3; i++) {
            char p[PATH_MAX + 64];
            snprintf(p, sizeof p, "%s%s/index.html", exe, rel[i]);
            if (!stat(p, &st)) {
                char real[PATH_MAX];
                snprintf(p, sizeof p, "%s%s", exe, rel[i]);
                if (realpath(p, real))
                    snprintf(api->static_dir, sizeof api->static_dir, "%.500s", real);
                return;
            }
        }
    }
    if (!stat("frontend/dist/index.html", &st)) {
        char real[PATH_MAX];
        if (realpath("frontend/dist", real))
            snprintf(api->static_dir, sizeof api->static_dir, "%.500s", real);
    }
}

static void parse_origins(cpe_api_t *api)
{
    const char *s = api->cfg.cors_origins;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *e = s;
        while (*e && *e != ',')
            e++;
        size_t n = (size_t)(e - s);
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n == 1 && *s == '*')
            api->any_origin = 1;
        else if (n > 0 && n < 128 && api->norigins < 16) {
            memcpy(api->origins[api->norigins], s, n);
            api->origins[api->norigins++][n] = 0;
        }
        s = e;
    }
}

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    cpe_log(level == LLL_ERR ? CPE_LOG_ERROR : CPE_LOG_WARN, "lws: %.*s", (int)n, line);
}

/* A /market-data answer builds a few MB (the bars, the JSON body). With glibc's defaults
 * such blocks come from fresh mmap()s, or from the heap top that free() trims again, so
 * every request first-touches its memory: on this kind of VM those page faults cost more
 * than the work (18 ms vs 7 ms for 10,000 bars). Blocks up to 32 MB stay in the heap and up
 * to 64 MB of free heap top is kept for the next request. */
void cpe_api_tune_malloc(void)
{
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

int cpe_api_serve(const cpe_api_config_t *cfg, volatile sig_atomic_t *stop, cpe_diag_t *d)
{
    cpe_api_tune_malloc();
    int rc = 0;
    cpe_api_t *api = calloc(1, sizeof *api);
    if (!api) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    api->cfg = *cfg;
    api->stop = stop;
    /* the universe's assets, before any thread starts; live symbols default to them all */
    if ((rc = cpe_universe_configure(cfg->assets[0] ? cfg->assets : CPE_ASSETS_DEFAULT, d))) {
        free(api);
        return rc;
    }
    if (!api->cfg.symbols[0]) cpe_assets_symbols(api->cfg.symbols, sizeof api->cfg.symbols);
    api->started_ms = cpe_now_ms();
    pthread_mutex_init(&api->mu, NULL);
    parse_origins(api);
    find_static_dir(api);
    for (int i = 0; cpe_api_routes[i].path; i++)
        cpe_stats_add_slot(&api->stats, cpe_api_routes[i].name,
                           cpe_method_name(cpe_api_routes[i].method));
    api->slot_static = cpe_stats_add_slot(&api->stats, "static", "GET");
    api->slot_other = cpe_stats_add_slot(&api->stats, "other", "ANY");
    if ((rc = cpe_ratelimit_init(&api->rl, cfg->rate_limit_per_min, 65536))) {
        cpe_diag_set(d, rc, "out of memory for the rate limiter");
        goto out;
    }
    if ((rc = cpe_store_open(cfg->db, &api->store, d))) goto out;
    if (!(api->preds = calloc(cpe_asset_count(), sizeof *api->preds))) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "out of memory");
        goto out;
    }

    cpe_live_config_t lc;
    memset(&lc, 0, sizeof lc);
    lc.db = cfg->db;
    lc.mode = !strcmp(cfg->source, "simulate") ? CPE_LIVE_SIMULATE
              : !strcmp(cfg->source, "store")  ? CPE_LIVE_STORE
              : !strcmp(cfg->source, "live")   ? CPE_LIVE_EXCHANGE
                                               : CPE_LIVE_AUTO;
    lc.probe_ms = cfg->probe_ms;
    lc.symbols = api->cfg.symbols;
    lc.tick_ms = cfg->tick_ms;
    lc.minute_ms = cfg->minute_ms;
    lc.seed = cfg->sim_seed;
    lc.backfill_minutes = 7 * 1440; /* enough for a first model (retrain.h) */
    lc.predict = cfg->predict;
    lc.models = cfg->models;
    lc.pred_paths = cfg->pred_paths;
    lc.sink = live_sink;
    lc.sink_ctx = api;
    if ((rc = cpe_alerts_open(api, &api->alerts, d))) goto out;
    if ((rc = cpe_live_start(&lc, &api->live, d))) goto out;
    cpe_live_status_t ls;
    cpe_live_get_status(api->live, &ls);
    api->source = ls.source;
    api->simulated = ls.simulated;
    cpe_info("serve: data source: %s (%s)", ls.source, ls.note);
    if ((rc = cpe_jobs_new(api, cfg->backtest_workers, &api->jobs))) {
        cpe_diag_set(d, rc, "cannot start backtest workers");
        goto out;
    }
    if ((rc = cpe_retrain_start(&api->cfg, &api->retrain, d))) goto out;
    if ((rc = cpe_calcache_start(cfg->db, &api->calcache, d))) goto out;

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_bridge);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->host[0] ? cfg->host : NULL;
    info.protocols = protocols;
    info.user = api;
    info.count_threads = 1;
    info.timeout_secs = 30;
    info.keepalive_timeout = 30;
    info.max_http_header_data = 4096;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_VALIDATE_UTF8;
    api->ctx = lws_create_context(&info);
    if (!api->ctx) {
        rc = cpe_diag_set(d, CPE_EIO, "cannot listen on %s:%d (in use, or not an address here?)",
                          cfg->host, cfg->port);
        goto out;
    }
    int port = cfg->port;
    struct lws_vhost *vh = lws_get_vhost_by_name(api->ctx, "default");
    if (vh) port = lws_get_vhost_listen_port(vh);
    cpe_info("serve: listening on http://%s:%d (ws://%s:%d/ws), store %s, frontend %s", cfg->host,
             port, cfg->host, port, cfg->db, api->static_dir[0] ? api->static_dir : "(none)");
    printf("listening on http://%s:%d\n", cfg->host, port);
    fflush(stdout);
    if ((rc = cpe_ws_start(api, d))) goto out;
    while (!*stop) {
        if (lws_service(api->ctx, 0) < 0) break;
    }
    cpe_info("serve: shutting down");
out:
    if (api->ctx) {
        lws_context_destroy(api->ctx); /* closes every connection (frees ws clients) */
        api->ctx = NULL;
    }
    cpe_ws_close_all(api);
    cpe_retrain_stop(api->retrain);
    cpe_calcache_stop(api->calcache);
    cpe_live_stop(api->live);
    cpe_alerts_close(api->alerts);
    cpe_jobs_free(api->jobs);
    drain_inbox(api); /* frees what is left (no clients) */
    cpe_store_close(api->store);
    cpe_ratelimit_free(&api->rl);
    pthread_mutex_destroy(&api->mu);
    free(api->preds);
    free(api);
    return rc;
}
