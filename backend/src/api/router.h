/*
 * router.h — the API route table and what is derived from it.
 *
 * Every HTTP API route is one row: method, path, handler, metric name and the
 * documentation that /openapi.json is generated from. The server matches a request
 * against the rows (exact path, or a path ending in "{name}" whose last segment is the
 * parameter), the metrics module labels counters by the row's name, and the OpenAPI
 * document lists exactly the rows: adding a route is adding a row (routes.c).
 *
 * Parameters are documented as a NULL-name-terminated array of cpe_route_param_t;
 * `in` is "query", "path" or "body" (body parameters become one JSON requestBody).
 */
#ifndef CPE_API_ROUTER_H
#define CPE_API_ROUTER_H

#include "api/http.h"

typedef int (*cpe_route_fn)(cpe_req_t *req, cpe_resp_t *resp);

typedef struct cpe_route_param {
    const char *name;
    const char *in;   /* "query", "path", "body" */
    const char *type; /* "string", "integer", "number", "object" */
    int required;
    const char *desc;
} cpe_route_param_t;

/* When auth is on (CPE_JWT_SECRET set): PUBLIC routes need no token (health, metrics,
 * openapi, docs, the /auth routes), USER routes a valid access token of any role, ADMIN
 * routes one whose role is admin (403 otherwise). With auth off every route is open. */
typedef enum cpe_route_access {
    CPE_ROUTE_USER = 0,
    CPE_ROUTE_PUBLIC = 1,
    CPE_ROUTE_ADMIN = 2,
} cpe_route_access_t;

typedef struct cpe_route {
    int method;       /* CPE_GET, CPE_POST, CPE_PATCH or CPE_DELETE */
    const char *path; /* "/predict", "/backtest/{job_id}" */
    cpe_route_fn fn;
    const char *name; /* metric label, e.g. "predict" */
    const char *summary;
    const cpe_route_param_t *params;
    const char *statuses;     /* documented statuses, "200 400 404 422 503" */
    const char *content_type; /* of a 200: "application/json" or "text/plain" */
    int access;               /* cpe_route_access_t: who may call it when auth is on */
} cpe_route_t;

/* The server's table (routes.c), terminated by a row with path == NULL. */
extern const cpe_route_t cpe_api_routes[];

/* Find the row for (method, path). Returns it and sets *param (a pointer into path, the
 * templated segment) or NULL. *status: 0 found, 404 no such path, 405 path exists with
 * another method. HEAD matches GET. */
const cpe_route_t *cpe_route_match(const cpe_route_t *table, int method, const char *path,
                                   const char **param, size_t *param_len, int *status);
int cpe_route_count(const cpe_route_t *table);
const char *cpe_method_name(int method); /* "GET" */
const char *cpe_method_key(int method);  /* its OpenAPI operation key: "get", "post", "delete" */

/* The OpenAPI 3.0 document of the table into b. 0 or CPE_ETOOBIG. */
int cpe_openapi_write(const cpe_route_t *table, cpe_buf_t *b);

#endif
