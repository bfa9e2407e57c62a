/* ws_upgrade.c — whether a WebSocket handshake is accepted (ws_int.h), and the HTTP error a
 * refused one gets: 404 off /ws, 426 for a version other than 13, 429 over the rate limit,
 * 401 without a valid token when auth is on. */
#include "api/jwt.h"
#include "api/ws_int.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Answer a refused upgrade with the spec's error JSON (and, for 426, the version we speak,
 * RFC 6455 4.4) written at once, before lws closes the connection. */
static int refuse_upgrade(struct lws *wsi, int status, const char *code, int retry_s,
                          const char *msg)
{
    cpe_resp_t r;
    cpe_resp_init(&r, 4096);
    cpe_resp_error(&r, status, code, NULL, NULL, retry_s, "%s", msg);
    unsigned char buf[LWS_PRE + 1536], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    char ra[16];
    int ral = snprintf(ra, sizeof ra, "%d", retry_s);
    if (r.body.len < 1024 &&
        !lws_add_http_common_headers(wsi, (unsigned)status, "application/json", r.body.len, &p,
                                     end) &&
        (status != 426 ||
         !lws_add_http_header_by_name(wsi, (const unsigned char *)"sec-websocket-version:",
                                      (const unsigned char *)"13", 2, &p, end)) &&
        (retry_s <= 0 || !lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
                                                      (const unsigned char *)ra, ral, &p, end)) &&
        !lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                     (const unsigned char *)"close", 5, &p, end) &&
        !lws_finalize_http_header(wsi, &p, end) && (size_t)(end - p) >= r.body.len) {
        memcpy(p, r.body.data, r.body.len);
        p += r.body.len;
        lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
    }
    cpe_resp_free(&r);
    return 0;
}

int cpe_ws_allow_upgrade(struct lws *wsi, cpe_api_t *api)
{
    char uri[256], ver[8];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws"))
        return refuse_upgrade(wsi, 404, "NOT_FOUND", 0, "WebSocket connections go to /ws");
    if (lws_hdr_copy(wsi, ver, sizeof ver, WSI_TOKEN_VERSION) <= 0 || strcmp(ver, "13"))
        return refuse_upgrade(wsi, 426, "UPGRADE_REQUIRED", 0,
                              "only WebSocket version 13 (RFC 6455) is spoken");
    char ip[64] = "";
    lws_get_peer_simple(wsi, ip, sizeof ip);
    int retry;
    if (!cpe_ratelimit_take(&api->rl, ip[0] ? ip : "?", cpe_now_ms(), &retry))
        return refuse_upgrade(wsi, 429, "RATE_LIMITED", retry,
                              "too many requests from this address; retry later");
    if (!api->cfg.jwt_secret[0]) return 1;
    char tok[2048], why[128];
    int n = lws_hdr_copy(wsi, tok, sizeof tok, WSI_TOKEN_HTTP_AUTHORIZATION);
    const char *t = NULL;
    if (n > 7 && !strncasecmp(tok, "Bearer ", 7))
        t = tok + 7;
    else
        t = lws_get_urlarg_by_name(wsi, "token=", tok, sizeof tok);
    cpe_jwt_claims_t cl;
    if (t &&
        cpe_jwt_verify_claims(t, api->cfg.jwt_secret, cpe_now_ms(), &cl, why, sizeof why) == 0 &&
        cpe_usermap_check(&api->users, api->store, &cl, cpe_now_ms(), why, sizeof why) == 0)
        return 1;
    return refuse_upgrade(wsi, 401, "UNAUTHORIZED", 0,
                          t ? why : "a Bearer token (header or ?token=) is required");
}
