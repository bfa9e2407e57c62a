/* router.c — route matching and the OpenAPI document (see router.h). */
#include "api/router.h"
#include "cpe/json.h"

#include <stdio.h>
#include <string.h>

const char *cpe_method_name(int method)
{
    switch (method) {
    case CPE_GET:
        return "GET";
    case CPE_POST:
        return "POST";
    case CPE_OPTIONS:
        return "OPTIONS";
    case CPE_HEAD:
        return "HEAD";
    case CPE_DELETE:
        return "DELETE";
    case CPE_PATCH:
        return "PATCH";
    default:
        return "?";
    }
}

const char *cpe_method_key(int method)
{
    return method == CPE_POST     ? "post"
           : method == CPE_DELETE ? "delete"
           : method == CPE_PATCH  ? "patch"
                                  : "get";
}

int cpe_route_count(const cpe_route_t *table)
{
    int n = 0;
    while (table[n].path)
        n++;
    return n;
}

/* Does path match pattern? A "{x}" segment ("/backtest/{x}", "/alerts/{x}/events")
 * matches one non-empty segment; the rest of the pattern must follow exactly. */
static int path_match(const char *pattern, const char *path, const char **param, size_t *plen)
{
    const char *brace = strchr(pattern, '{');
    if (!brace) return !strcmp(pattern, path);
    size_t pre = (size_t)(brace - pattern);
    if (strncmp(pattern, path, pre)) return 0;
    const char *seg = path + pre, *close = strchr(brace, '}');
    const char *tail = close ? close + 1 : "";
    size_t n = strlen(seg), tl = strlen(tail);
    if (n <= tl || strcmp(seg + n - tl, tail)) return 0;
    n -= tl;
    if (n == 0 || memchr(seg, '/', n)) return 0;
    *param = seg;
    *plen = n;
    return 1;
}

const cpe_route_t *cpe_route_match(const cpe_route_t *table, int method, const char *path,
                                   const char **param, size_t *param_len, int *status)
{
    *status = 404;
    *param = NULL;
    *param_len = 0;
    if (method == CPE_HEAD) method = CPE_GET;
    for (const cpe_route_t *r = table; r->path; r++) {
        const char *p = NULL;
        size_t pl = 0;
        if (!path_match(r->path, path, &p, &pl)) continue;
        if (r->method == method) {
            *status = 0;
            *param = p;
            *param_len = pl;
            return r;
        }
        *status = 405;
    }
    return NULL;
}

static void write_params(cpe_jw_t *w, const cpe_route_t *r)
{
    int nbody = 0;
    cpe_jw_key(w, "parameters");
    cpe_jw_arr(w);
    for (const cpe_route_param_t *p = r->params; p && p->name; p++) {
        if (!strcmp(p->in, "body")) {
            nbody++;
            continue;
        }
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "name", p->name);
        cpe_jw_kstr(w, "in", p->in);
        cpe_jw_kbool(w, "required", p->required || !strcmp(p->in, "path"));
        cpe_jw_kstr(w, "description", p->desc);
        cpe_jw_key(w, "schema");
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "type", p->type);
        cpe_jw_end(w);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    if (!nbody) return;
    cpe_jw_key(w, "requestBody");
    cpe_jw_obj(w);
    cpe_jw_kbool(w, "required", 1);
    cpe_jw_key(w, "content");
    cpe_jw_obj(w);
    cpe_jw_key(w, "application/json");
    cpe_jw_obj(w);
    cpe_jw_key(w, "schema");
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "type", "object");
    cpe_jw_key(w, "required");
    cpe_jw_arr(w);
    for (const cpe_route_param_t *p = r->params; p && p->name; p++)
        if (!strcmp(p->in, "body") && p->required) cpe_jw_str(w, p->name);
    cpe_jw_end(w);
    cpe_jw_key(w, "properties");
    cpe_jw_obj(w);
    for (const cpe_route_param_t *p = r->params; p && p->name; p++) {
        if (strcmp(p->in, "body")) continue;
        cpe_jw_key(w, p->name);
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "type", p->type);
        cpe_jw_kstr(w, "description", p->desc);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_end(w);
    cpe_jw_end(w);
    cpe_jw_end(w);
    cpe_jw_end(w);
}

static const char *status_text(int s)
{
    switch (s) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 400:
        return "Malformed JSON or parameter (error.details.field names it)";
    case 401:
        return "JWT required and missing, bad or expired";
    case 403:
        return "The route is for admins (auth on; the token's role is viewer)";
    case 404:
        return "Unknown asset, route, job, alert or user";
    case 413:
        return "Body over 1 MiB";
    case 422:
        return "Horizon not offered (error.message lists the horizons), or an invalid alert "
               "rule (error.details.field names the field)";
    case 409:
        return "Already exists";
    case 429:
        return "Rate limited (Retry-After header)";
    case 503:
        return "Unavailable (details.retry_after_seconds; fallback)";
    default:
        return "See docs/API.md";
    }
}

static void write_responses(cpe_jw_t *w, const cpe_route_t *r)
{
    cpe_jw_key(w, "responses");
    cpe_jw_obj(w);
    const char *s = r->statuses ? r->statuses : "200";
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s) break;
        int code = 0;
        while (*s >= '0' && *s <= '9')
            code = code * 10 + (*s++ - '0');
        if (code <= 0) break;
        char k[16];
        snprintf(k, sizeof k, "%d", code);
        cpe_jw_key(w, k);
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "description", status_text(code));
        cpe_jw_key(w, "content");
        cpe_jw_obj(w);
        int ok = code < 300;
        cpe_jw_key(w, ok && r->content_type ? r->content_type : "application/json");
        cpe_jw_obj(w);
        cpe_jw_end(w);
        cpe_jw_end(w);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
}

int cpe_openapi_write(const cpe_route_t *table, cpe_buf_t *b)
{
    cpe_jw_t w;
    cpe_jw_init(&w, b);
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "openapi", "3.0.3");
    cpe_jw_key(&w, "info");
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "title", "cpe — crypto prediction engine API");
    cpe_jw_kstr(&w, "version", "0.1.0");
    cpe_jw_kstr(&w, "description",
                "Generated from the server's route table; see docs/API.md. "
                "WebSocket: GET /ws (not an OpenAPI operation).");
    cpe_jw_end(&w);
    cpe_jw_key(&w, "components");
    cpe_jw_obj(&w);
    cpe_jw_key(&w, "securitySchemes");
    cpe_jw_obj(&w);
    cpe_jw_key(&w, "bearer");
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "type", "http");
    cpe_jw_kstr(&w, "scheme", "bearer");
    cpe_jw_kstr(&w, "bearerFormat", "JWT (HS256; only when CPE_JWT_SECRET is set)");
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    cpe_jw_key(&w, "paths");
    cpe_jw_obj(&w);
    int n = cpe_route_count(table);
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            if (!strcmp(table[j].path, table[i].path)) seen = 1;
        if (seen) continue;
        cpe_jw_key(&w, table[i].path);
        cpe_jw_obj(&w);
        for (int j = i; j < n; j++) {
            const cpe_route_t *r = &table[j];
            if (strcmp(r->path, table[i].path)) continue;
            const char *m = cpe_method_key(r->method);
            cpe_jw_key(&w, m);
            cpe_jw_obj(&w);
            char op[64];
            snprintf(op, sizeof op, "%s_%s", m, r->name);
            cpe_jw_kstr(&w, "operationId", op);
            cpe_jw_kstr(&w, "summary", r->summary);
            write_params(&w, r);
            write_responses(&w, r);
            if (r->access == CPE_ROUTE_ADMIN) cpe_jw_kstr(&w, "x-cpe-role", "admin");
            if (r->access != CPE_ROUTE_PUBLIC) {
                cpe_jw_key(&w, "security");
                cpe_jw_arr(&w);
                cpe_jw_obj(&w);
                cpe_jw_key(&w, "bearer");
                cpe_jw_arr(&w);
                cpe_jw_end(&w);
                cpe_jw_end(&w);
                cpe_jw_obj(&w);
                cpe_jw_end(&w);
                cpe_jw_end(&w);
            }
            cpe_jw_end(&w);
        }
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    return w.err;
}
