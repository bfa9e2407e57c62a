/*
 * http.h — the API layer's request/response model, independent of libwebsockets.
 *
 * The server (server.c) turns an lws HTTP transaction into a cpe_req_t, looks the
 * route up in the route table (router.h) and calls its handler, which fills a
 * cpe_resp_t. Handlers never touch lws, so they are unit-testable and the same
 * handler code would run behind any other transport.
 *
 * Query parameters: at most CPE_QUERY_MAX pairs, keys up to 31 bytes, values up to
 * 255 bytes (longer ones are rejected as a 400 naming the field). POST bodies are
 * JSON objects: the parameter helpers read either source through cpe_req_param().
 *
 * Errors follow spec 17.1 / docs/API.md: cpe_resp_error() writes
 *   {"error":{"code","message","details":{...}},"fallback":{...}}
 * and sets the status. Every helper returns 0 or a negative CPE_E code after having
 * written the error response, so a handler can `if (rc) return rc;`.
 *
 * Threads: requests are handled on the lws service thread, except the heavy GET routes
 * (heavy.c's list), which a worker answers with its own store reader (api/heavy.h).
 */
#ifndef CPE_API_HTTP_H
#define CPE_API_HTTP_H

#include "cpe/buf.h"
#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_QUERY_MAX 24
#define CPE_QUERY_KEY_MAX 32
#define CPE_QUERY_VAL_MAX 256
#define CPE_BODY_MAX (1024 * 1024)

typedef struct cpe_query {
    int n;
    int overflow; /* a pair was dropped: too many, or a key/value too long (its key) */
    char overflow_key[CPE_QUERY_KEY_MAX];
    char key[CPE_QUERY_MAX][CPE_QUERY_KEY_MAX];
    char val[CPE_QUERY_MAX][CPE_QUERY_VAL_MAX];
} cpe_query_t;

/* Parse "a=1&b=x%20y" (percent and '+' decoding). Never fails; see overflow. */
void cpe_query_parse(cpe_query_t *q, const char *s, size_t len);
/* Add one already-decoded "key=value" (or "key") pair. */
void cpe_query_add(cpe_query_t *q, const char *pair, size_t len);
const char *cpe_query_get(const cpe_query_t *q, const char *key);
/* Percent-decode in place ('+' becomes ' ' when plus is set); returns the new length,
 * or -1 for a malformed escape. */
long cpe_url_decode(char *s, long len, int plus);

typedef enum cpe_http_method {
    CPE_GET = 1,
    CPE_POST = 2,
    CPE_OPTIONS = 4,
    CPE_HEAD = 8,
    CPE_DELETE = 16,
    CPE_PATCH = 32
} cpe_http_method_t;

struct cpe_api; /* server state (server.h) */

typedef struct cpe_req {
    cpe_http_method_t method;
    const char *path;       /* "/predict" (no query) */
    const char *path_param; /* the {id} part of a templated route, else NULL */
    cpe_query_t query;
    const char *body; /* POST body (NUL-terminated) or NULL */
    size_t body_len;
    void *body_json; /* json_t* object parsed from body (jansson), or NULL */
    int64_t now_ms;
    struct cpe_api *api;
    struct cpe_api_reader *rd; /* the store reader of the answering thread; NULL: the service
                                  thread's (server.h, heavy.h) */
} cpe_req_t;

typedef struct cpe_resp {
    int status;
    const char *content_type;  /* default application/json */
    const char *cache_control; /* NULL: "no-store" for API responses */
    int retry_after_s;         /* > 0: a Retry-After header */
    cpe_buf_t body;
} cpe_resp_t;

void cpe_resp_init(cpe_resp_t *r, size_t cap);
void cpe_resp_free(cpe_resp_t *r);

/* Write a spec 17.1 error. field/value (may be NULL) go to details; retry_after_s > 0
 * adds details.retry_after_seconds (and the Retry-After header). Returns the CPE code
 * matching the status (400 -> CPE_EINVAL, 404 -> CPE_ENOTFOUND, ...). */
int cpe_resp_error(cpe_resp_t *r, int status, const char *code, const char *field,
                   const char *value, int retry_after_s, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Parameters from the query (GET) or the JSON body (POST): the value as text in buf.
 * Returns 1 when present, 0 when absent. Numbers in a JSON body are printed back. */
int cpe_req_param(const cpe_req_t *req, const char *name, char *buf, size_t cap);

/* Typed parameter readers: missing and not required -> *out = def, 0. Invalid ->
 * writes the 400/404/422 error and returns its code. */
int cpe_param_asset(const cpe_req_t *req, cpe_resp_t *r, int required, char asset[16],
                    char symbol[32]);
int cpe_param_horizon(const cpe_req_t *req, cpe_resp_t *r, int required, int *horizon_h);
int cpe_param_time(const cpe_req_t *req, cpe_resp_t *r, const char *name, int64_t def,
                   int64_t *out);
int cpe_param_int(const cpe_req_t *req, cpe_resp_t *r, const char *name, long lo, long hi, long def,
                  long *out);
int cpe_param_interval(const cpe_req_t *req, cpe_resp_t *r, const char *def, int64_t *ms,
                       const char **name);

/* 404 UNKNOWN_ASSET for value, details.known listing the configured assets (the
 * assets, horizons and intervals the API accepts are the universe's, cpe/universe.h). */
int cpe_resp_unknown_asset(cpe_resp_t *r, const char *value);

#endif
