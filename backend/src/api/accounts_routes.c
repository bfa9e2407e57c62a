/* accounts_routes.c — /auth/login, /auth/refresh, /auth/logout and the admin-only /users
 * routes (api/accounts.h; rows in routes.c, documented in docs/API.md). */
#include "api/accounts.h"
#include "api/server.h"
#include "cpe/json.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>

const cpe_route_param_t cpe_auth_p_login[] = {
    {"username", "body", "string", 1, "an account made with cpe user add or POST /users"},
    {"password", "body", "string", 1, "its password"},
    {NULL, NULL, NULL, 0, NULL}};
const cpe_route_param_t cpe_auth_p_refresh[] = {
    {"refresh_token", "body", "string", 1,
     "the refresh_token of the last login or refresh (each is valid once)"},
    {NULL, NULL, NULL, 0, NULL}};
const cpe_route_param_t cpe_auth_p_user_new[] = {
    {"username", "body", "string", 1, "1..63 of A-Z a-z 0-9 . _ -"},
    {"password", "body", "string", 1, "8..1024 bytes"},
    {"role", "body", "string", 1, "viewer | admin"},
    {NULL, NULL, NULL, 0, NULL}};
const cpe_route_param_t cpe_auth_p_user[] = {{"name", "path", "string", 1, "the user's name"},
                                             {NULL, NULL, NULL, 0, NULL}};

static int auth_off(const cpe_req_t *req, cpe_resp_t *resp)
{
    if (req->api->cfg.jwt_secret[0]) return 0;
    cpe_resp_error(resp, 404, "AUTH_OFF", NULL, NULL, 0,
                   "auth is off on this server (CPE_JWT_SECRET is not set): no login needed");
    return 1;
}

static int body(const cpe_req_t *req, cpe_resp_t *resp, cpe_auth_kind_t kind, cpe_auth_body_t *b)
{
    const char *field;
    char why[128];
    if (!cpe_auth_body_parse(req->body_json, kind, b, &field, why, sizeof why)) return 0;
    cpe_resp_error(resp, 400, "INVALID_PARAMETER", field, NULL, 0, "%s", why);
    return 1;
}

static int store_failed(cpe_req_t *req, cpe_resp_t *resp, int rc)
{
    return cpe_resp_error(resp, 503, "STORE_ERROR", NULL, NULL, 0, "the store refused: %s (%s)",
                          req->api->store->diag.msg, cpe_strerror(rc));
}

static cpe_auth_cfg_t cfg_of(const cpe_api_t *api)
{
    cpe_auth_cfg_t c = {api->cfg.jwt_secret, api->cfg.access_ttl_s, api->cfg.refresh_ttl_s};
    return c;
}

static int answer_tokens(cpe_resp_t *resp, const cpe_tokens_t *t)
{
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "access_token", t->access);
    cpe_jw_kstr(&w, "refresh_token", t->refresh);
    cpe_jw_kstr(&w, "token_type", "Bearer");
    cpe_jw_kint(&w, "expires_in", t->expires_in_s);
    cpe_jw_kstr(&w, "username", t->user);
    cpe_jw_kstr(&w, "role", t->role);
    cpe_jw_end(&w);
    return 0;
}

int cpe_route_auth_login(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_auth_body_t b;
    if (auth_off(req, resp) || body(req, resp, CPE_AUTH_LOGIN, &b)) return 0;
    int retry = 0; /* password guessing: a user name's attempts share its user bucket */
    if (!cpe_ratelimit_take(&req->api->rl_user, b.username, req->now_ms, &retry))
        return cpe_resp_error(resp, 429, "RATE_LIMITED", NULL, NULL, retry,
                              "too many requests for this user; retry later");
    cpe_auth_cfg_t c = cfg_of(req->api);
    cpe_tokens_t t;
    int rc = cpe_auth_login(req->api->store, &c, b.username, b.password, req->now_ms, &t);
    memset(&b, 0, sizeof b);
    if (rc == CPE_EINVAL)
        return cpe_resp_error(resp, 401, "UNAUTHORIZED", NULL, NULL, 0,
                              "user name or password is wrong");
    if (rc) return store_failed(req, resp, rc);
    return answer_tokens(resp, &t);
}

int cpe_route_auth_refresh(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_auth_body_t b;
    if (auth_off(req, resp) || body(req, resp, CPE_AUTH_REFRESH, &b)) return 0;
    cpe_auth_cfg_t c = cfg_of(req->api);
    cpe_tokens_t t;
    char why[128] = "";
    int rc =
        cpe_auth_refresh(req->api->store, &c, b.refresh_token, req->now_ms, &t, why, sizeof why);
    if (rc == CPE_EINVAL || rc == CPE_ESTALE || rc == CPE_EEXISTS)
        return cpe_resp_error(resp, 401, "UNAUTHORIZED", "refresh_token", NULL, 0, "%s", why);
    if (rc) return store_failed(req, resp, rc);
    return answer_tokens(resp, &t);
}

int cpe_route_auth_logout(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_auth_body_t b;
    if (auth_off(req, resp) || body(req, resp, CPE_AUTH_REFRESH, &b)) return 0;
    int rc = cpe_auth_logout(req->api->store, b.refresh_token);
    if (rc == CPE_EINVAL)
        return cpe_resp_error(resp, 401, "UNAUTHORIZED", "refresh_token", NULL, 0,
                              "refresh token is unknown");
    if (rc) return store_failed(req, resp, rc);
    cpe_buf_puts(&resp->body, "{\"revoked\":true}");
    return 0;
}

static void write_user(cpe_jw_t *w, const cpe_user_t *u)
{
    char iso[32];
    cpe_format_iso8601(u->created_ms, iso);
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "username", u->name);
    cpe_jw_kstr(w, "role", u->role);
    cpe_jw_kstr(w, "created", iso);
    cpe_jw_end(w);
}

static int list_one(void *ctx, const cpe_user_t *u)
{
    write_user(ctx, u);
    return 0;
}

int cpe_route_users_list(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    cpe_jw_obj(&w);
    cpe_jw_key(&w, "users");
    cpe_jw_arr(&w);
    int rc = cpe_userdb_each(req->api->store, list_one, &w);
    if (rc) {
        cpe_buf_reset(&resp->body);
        return store_failed(req, resp, rc);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    return 0;
}

int cpe_route_users_create(cpe_req_t *req, cpe_resp_t *resp)
{
    cpe_auth_body_t b;
    if (body(req, resp, CPE_AUTH_USER_NEW, &b)) return 0;
    cpe_user_t u;
    if (!cpe_userdb_get(req->api->store, b.username, &u))
        return cpe_resp_error(resp, 409, "USER_EXISTS", "username", b.username, 0,
                              "user '%s' exists (DELETE /users/%s first)", b.username, b.username);
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", b.username);
    snprintf(u.role, sizeof u.role, "%s", b.role);
    u.created_ms = req->now_ms;
    int rc = cpe_password_hash(b.password, u.hash);
    memset(&b, 0, sizeof b);
    if (!rc) rc = cpe_userdb_put(req->api->store, &u);
    cpe_usermap_invalidate(&req->api->users);
    if (rc) return store_failed(req, resp, rc);
    resp->status = 201;
    cpe_jw_t w;
    cpe_jw_init(&w, &resp->body);
    write_user(&w, &u);
    return 0;
}

int cpe_route_users_delete(cpe_req_t *req, cpe_resp_t *resp)
{
    const char *name = req->path_param ? req->path_param : "";
    int rc = cpe_userdb_del(req->api->store, name);
    cpe_usermap_invalidate(&req->api->users); /* its tokens stop with the next request */
    if (rc == CPE_ENOTFOUND)
        return cpe_resp_error(resp, 404, "USER_NOT_FOUND", "name", NULL, 0, "no such user");
    if (rc) return store_failed(req, resp, rc);
    cpe_buf_puts(&resp->body, "{\"deleted\":true}");
    return 0;
}
