/* fuzz_params.h — shared by the HTTP and JSON-body harnesses: run every parameter reader of
 * api/http.c over a request, as the routes do, and check the error contract (spec 17.1):
 * a reader returns 0 or a negative code; on an error the response has a 4xx status and
 * its body is {"error":{"code":"...","message":"...",...}} in valid JSON. */
#ifndef CPE_FUZZ_PARAMS_H
#define CPE_FUZZ_PARAMS_H

#include "api/http.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void fuzz_params_checked(cpe_resp_t *r, int rc)
{
    if (rc > 0) abort();
    if (rc == 0) {
        cpe_resp_free(r);
        return;
    }
    if (r->status < 400 || r->status > 499) abort();
    json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    if (!json_is_string(json_object_get(e, "code")) ||
        !json_is_string(json_object_get(e, "message"))) {
        fprintf(stderr, "error body is not the spec's error JSON: %.*s\n", (int)r->body.len,
                r->body.data ? r->body.data : "");
        abort();
    }
    json_decref(j);
    cpe_resp_free(r);
}

static void fuzz_params(const cpe_req_t *req)
{
    cpe_resp_t r;
    char asset[16], symbol[32], buf[64];
    int h;
    int64_t t, ms;
    long n;
    const char *iname;
    cpe_req_param(req, "asset", buf, sizeof buf);
    cpe_resp_init(&r, 1 << 20);
    fuzz_params_checked(&r, cpe_param_asset(req, &r, 1, asset, symbol));
    cpe_resp_init(&r, 1 << 20);
    fuzz_params_checked(&r, cpe_param_horizon(req, &r, 1, &h));
    static const char *const times[] = {"at", "from", "to"};
    for (int i = 0; i < 3; i++) {
        cpe_resp_init(&r, 1 << 20);
        fuzz_params_checked(&r, cpe_param_time(req, &r, times[i], INT64_MIN, &t));
    }
    cpe_resp_init(&r, 1 << 20);
    fuzz_params_checked(&r, cpe_param_int(req, &r, "limit", 1, 100000, 1000, &n));
    cpe_resp_init(&r, 1 << 20);
    fuzz_params_checked(&r, cpe_param_interval(req, &r, "1m", &ms, &iname));
}

#endif
