/* dispatch.c — the lws callback of the API server: an HTTP transaction (method, path, query,
 * body) is checked (rate limit, CORS preflight, body size, JWT) and routed through the route
 * table (routes.c) or to the static files; WebSocket events go to ws.c (conn.h). */
#include "api/conn.h"
#include "api/heavy.h"
#include "api/jwt.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void peer_ip(struct lws *wsi, char *ip, size_t cap)
{
    ip[0] = 0;
    lws_get_peer_simple(wsi, ip, cap);
    if (!ip[0]) snprintf(ip, cap, "?");
}

static int check_jwt(struct lws *wsi, cpe_api_t *api, cpe_jwt_claims_t *claims, char *why,
                     size_t cap)
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
    return cpe_jwt_verify_claims(auth + 7, api->cfg.jwt_secret, cpe_now_ms(), claims, why, cap) ? -1
                                                                                                : 0;
}

/* Auth on and a non-public route: a valid token whose account still exists as it was when
 * the token was issued (401; usermap.h), the user's rate (429, keyed by the
 * token's subject), the admin role for admin routes (403). 0 when the request may go on;
 * 1 when it was refused, with *ret what sending the refusal returned. */
static int refused(struct lws *wsi, cpe_api_t *api, conn_t *c, const cpe_route_t *route, int *ret)
{
    if (!api->cfg.jwt_secret[0] || route->access == CPE_ROUTE_PUBLIC) return 0;
    char why[160];
    cpe_jwt_claims_t cl;
    int retry = 0;
    int acct;
    if (check_jwt(wsi, api, &cl, why, sizeof why))
        *ret = cpe_conn_error(wsi, api, c, 401, "UNAUTHORIZED", NULL, 0, why);
    else if ((acct =
                  cpe_usermap_check(&api->users, api->store, &cl, cpe_now_ms(), why, sizeof why)))
        *ret = acct == CPE_EINVAL ? cpe_conn_error(wsi, api, c, 401, "UNAUTHORIZED", NULL, 0, why)
                                  : cpe_conn_error(wsi, api, c, 500, "INTERNAL", NULL, 0, why);
    else if (cl.sub[0] && !cpe_ratelimit_take(&api->rl_user, cl.sub, cpe_now_ms(), &retry))
        *ret = cpe_conn_error(wsi, api, c, 429, "RATE_LIMITED", NULL, retry,
                              "too many requests for this user; retry later");
    else if (route->access == CPE_ROUTE_ADMIN && strcmp(cl.role, "admin"))
        *ret = cpe_conn_error(wsi, api, c, 403, "FORBIDDEN", NULL, 0,
                              "this route is for admins; the token's role is not admin");
    else
        return 0;
    return 1;
}

/* A route whose documented body holds a password or a refresh token (the table says). */
static int carries_secret(const cpe_route_t *route)
{
    for (const cpe_route_param_t *p = route->params; p && p->name; p++)
        if (!strcmp(p->in, "body") &&
            (!strcmp(p->name, "password") || !strcmp(p->name, "refresh_token")))
            return 1;
    return 0;
}

static int dispatch(struct lws *wsi, cpe_api_t *api, conn_t *c)
{
    char ip[64];
    peer_ip(wsi, ip, sizeof ip);
    int retry = 0;
    c->slot = api->slot_other;
    if (!cpe_ratelimit_take(&api->rl, ip, cpe_now_ms(), &retry))
        return cpe_conn_error(wsi, api, c, 429, "RATE_LIMITED", NULL, retry,
                              "too many requests from this address; retry later");
    if (c->method == CPE_OPTIONS) {
        c->slot = api->slot_other;
        return cpe_conn_send(wsi, api, c, 204, "text/plain", "no-store", 0, "", 0, 0);
    }
    if (c->body_too_big) {
        c->close_after = 1;
        return cpe_conn_error(wsi, api, c, 413, "BODY_TOO_LARGE", NULL, 0,
                              "request body is larger than 1 MiB");
    }
    const char *param;
    size_t plen;
    int st;
    const cpe_route_t *route =
        cpe_route_match(cpe_api_routes, c->method, c->path, &param, &plen, &st);
    if (!route) {
        if (st == 405)
            return cpe_conn_error(wsi, api, c, 405, "METHOD_NOT_ALLOWED", NULL, 0,
                                  "this route does not take that method");
        if (c->method == CPE_GET || c->method == CPE_HEAD) return cpe_api_serve_static(wsi, api, c);
        return cpe_conn_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0, "no such route");
    }
    c->slot = (int)(route - cpe_api_routes);
    int refusal = 0;
    if (refused(wsi, api, c, route, &refusal)) return refusal;
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
    if (api->heavy && cpe_heavy_route(route, c->method) && !(c->query && c->query->overflow) &&
        !cpe_heavy_submit(api->heavy, wsi, c, route, &req))
        return 0; /* answered when the worker is done (HTTP_WRITEABLE) */
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
            /* jansson's text quotes the input near the error: not for a body with a secret */
            int quiet = j || !c->body.len || carries_secret(route);
            cpe_resp_error(&r, 400, "INVALID_JSON", "body", NULL, 0,
                           "request body must be a JSON object%s%s", quiet ? "" : ": ",
                           quiet ? "" : je.text);
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
    int ret = cpe_conn_send_resp(wsi, api, c, &r);
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
        return cpe_conn_error(wsi, api, c, 405, "METHOD_NOT_ALLOWED", NULL, 0,
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
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        int ret;
        if (cpe_heavy_respond(wsi, api, c, &ret)) return ret;
        return cpe_conn_write_more(wsi, c);
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        cpe_heavy_forget(c);
        cpe_conn_end_transaction(c);
        cpe_conn_free_out(c);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        cpe_heavy_collect(api->heavy);
        cpe_api_inbox_drain(api);
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

const struct lws_protocols cpe_api_protocols[] = {
    {"cpe", callback, sizeof(conn_t), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
