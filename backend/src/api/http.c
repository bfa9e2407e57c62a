/* http.c — query parsing, parameter readers and spec 17.1 errors (see http.h). */
#include "api/http.h"
#include "cpe/json.h"
#include "cpe/market.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long cpe_url_decode(char *s, long len, int plus)
{
    long o = 0;
    for (long i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len) return -1;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) return -1;
            s[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus) {
            s[o++] = ' ';
        } else {
            s[o++] = c;
        }
    }
    s[o] = 0;
    return o;
}

static void add_pair(cpe_query_t *q, const char *p, size_t len, int decode)
{
    const char *eq = memchr(p, '=', len);
    size_t kl = eq ? (size_t)(eq - p) : len;
    size_t vl = eq ? len - kl - 1 : 0;
    if (kl == 0) return;
    if (q->n >= CPE_QUERY_MAX || kl >= CPE_QUERY_KEY_MAX || vl >= CPE_QUERY_VAL_MAX) {
        if (!q->overflow) {
            size_t c = kl < CPE_QUERY_KEY_MAX - 1 ? kl : CPE_QUERY_KEY_MAX - 1;
            memcpy(q->overflow_key, p, c);
            q->overflow_key[c] = 0;
        }
        q->overflow = 1;
        return;
    }
    char *k = q->key[q->n], *v = q->val[q->n];
    memcpy(k, p, kl);
    k[kl] = 0;
    if (eq) memcpy(v, eq + 1, vl);
    v[vl] = 0;
    if (decode) {
        if (cpe_url_decode(k, (long)kl, 1) < 0 || cpe_url_decode(v, (long)vl, 1) < 0) {
            if (!q->overflow) snprintf(q->overflow_key, sizeof q->overflow_key, "%s", k);
            q->overflow = 1;
            return;
        }
    }
    q->n++;
}

void cpe_query_add(cpe_query_t *q, const char *pair, size_t len)
{
    add_pair(q, pair, len, 0);
}

void cpe_query_parse(cpe_query_t *q, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '&') {
            if (i > start) add_pair(q, s + start, i - start, 1);
            start = i + 1;
        }
    }
}

const char *cpe_query_get(const cpe_query_t *q, const char *key)
{
    for (int i = q->n - 1; i >= 0; i--)
        if (!strcmp(q->key[i], key)) return q->val[i];
    return NULL;
}

void cpe_resp_init(cpe_resp_t *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    cpe_buf_init(&r->body, cap);
}

void cpe_resp_free(cpe_resp_t *r)
{
    if (r) cpe_buf_free(&r->body);
}

static int status_code(int status)
{
    switch (status) {
    case 404:
        return CPE_ENOTFOUND;
    case 413:
        return CPE_ETOOBIG;
    case 503:
        return CPE_ENOTREADY;
    case 500:
        return CPE_EINTERNAL;
    default:
        return CPE_EINVAL;
    }
}

/* The error body; known_assets adds details.known, the configured assets. */
static int resp_error(cpe_resp_t *r, int status, const char *code, const char *field,
                      const char *value, int retry_after_s, int known_assets, const char *msg)
{
    r->status = status;
    r->content_type = "application/json";
    r->retry_after_s = retry_after_s > 0 ? retry_after_s : 0;
    cpe_buf_reset(&r->body);
    cpe_jw_t w;
    cpe_jw_init(&w, &r->body);
    cpe_jw_obj(&w);
    cpe_jw_key(&w, "error");
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "code", code);
    cpe_jw_kstr(&w, "message", msg);
    cpe_jw_key(&w, "details");
    cpe_jw_obj(&w);
    if (field) cpe_jw_kstr(&w, "field", field);
    if (value) cpe_jw_kstr(&w, "value", value);
    if (retry_after_s > 0) cpe_jw_kint(&w, "retry_after_seconds", retry_after_s);
    if (known_assets) {
        cpe_jw_key(&w, "known");
        cpe_jw_arr(&w);
        for (size_t i = 0; i < cpe_asset_count(); i++)
            cpe_jw_str(&w, cpe_asset_at(i)->asset);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    cpe_jw_key(&w, "fallback");
    cpe_jw_obj(&w);
    cpe_jw_kstr(&w, "regime", "unknown");
    cpe_jw_kstr(&w, "confidence", "low");
    cpe_jw_kstr(&w, "recommendation", "wait");
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    return status_code(status);
}

int cpe_resp_error(cpe_resp_t *r, int status, const char *code, const char *field,
                   const char *value, int retry_after_s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return resp_error(r, status, code, field, value, retry_after_s, 0, msg);
}

int cpe_resp_unknown_asset(cpe_resp_t *r, const char *value)
{
    char msg[512], known[400];
    cpe_assets_text(known, sizeof known);
    snprintf(msg, sizeof msg, "unknown asset '%.60s' (known: %s)", value, known);
    return resp_error(r, 404, "UNKNOWN_ASSET", "asset", value, 0, 1, msg);
}

int cpe_req_param(const cpe_req_t *req, const char *name, char *buf, size_t cap)
{
    if (req->body_json) {
        json_t *v = json_object_get((json_t *)req->body_json, name);
        if (!v || json_is_null(v)) return 0;
        if (json_is_string(v))
            snprintf(buf, cap, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            cpe_fmt_double(buf, json_real_value(v), "nan");
        else if (json_is_true(v))
            snprintf(buf, cap, "true");
        else if (json_is_false(v))
            snprintf(buf, cap, "false");
        else
            snprintf(buf, cap, "%s", "\x01"); /* an object/array: never a valid value */
        return 1;
    }
    const char *v = cpe_query_get(&req->query, name);
    if (!v) return 0;
    snprintf(buf, cap, "%s", v);
    return 1;
}

int cpe_param_asset(const cpe_req_t *req, cpe_resp_t *r, int required, char asset[16],
                    char symbol[32])
{
    char v[CPE_QUERY_VAL_MAX], known[400];
    if (!cpe_req_param(req, "asset", v, sizeof v)) {
        cpe_assets_text(known, sizeof known);
        if (required)
            return cpe_resp_error(r, 400, "INVALID_PARAMETER", "asset", NULL, 0,
                                  "asset is required (one of %s)", known);
        snprintf(asset, 16, "%s", cpe_asset_at(0)->asset); /* the first configured asset */
        snprintf(symbol, 32, "%s", cpe_asset_at(0)->symbol);
        return 0;
    }
    size_t n = strlen(v);
    int ok = n >= 2 && n <= 10;
    for (size_t i = 0; ok && i < n; i++)
        if (!isalnum((unsigned char)v[i])) ok = 0;
    if (!ok)
        return cpe_resp_error(r, 400, "INVALID_PARAMETER", "asset", v, 0,
                              "asset must be 2-10 letters or digits such as BTC");
    /* any case; the pair ("BTCUSDT") is accepted as the asset */
    const cpe_asset_t *a = cpe_asset_find(v);
    if (!a) return cpe_resp_unknown_asset(r, v);
    snprintf(asset, 16, "%s", a->asset);
    snprintf(symbol, 32, "%s", a->symbol);
    return 0;
}

int cpe_param_horizon(const cpe_req_t *req, cpe_resp_t *r, int required, int *horizon_h)
{
    char v[CPE_QUERY_VAL_MAX];
    if (!cpe_req_param(req, "horizon_hours", v, sizeof v)) {
        if (required)
            return cpe_resp_error(r, 400, "INVALID_PARAMETER", "horizon_hours", NULL, 0,
                                  "horizon_hours is required (one of %s)", cpe_horizons_text());
        *horizon_h = 0;
        return 0;
    }
    int64_t h;
    if (cpe_parse_i64(v, strlen(v), &h))
        return cpe_resp_error(r, 400, "INVALID_PARAMETER", "horizon_hours", v, 0,
                              "horizon_hours '%s' is not an integer", v);
    if (h > 0 && h <= INT32_MAX && cpe_horizon_index((int)h) >= 0) {
        *horizon_h = (int)h;
        return 0;
    }
    return cpe_resp_error(r, 422, "INVALID_HORIZON", "horizon_hours", v, 0,
                          "horizon_hours must be one of %s", cpe_horizons_text());
}

int cpe_param_time(const cpe_req_t *req, cpe_resp_t *r, const char *name, int64_t def, int64_t *out)
{
    char v[CPE_QUERY_VAL_MAX];
    if (!cpe_req_param(req, name, v, sizeof v)) {
        *out = def;
        return 0;
    }
    if (!v[0] || cpe_parse_time_arg(v, out))
        return cpe_resp_error(r, 400, "INVALID_PARAMETER", name, v, 0,
                              "%s '%s' is not an ISO-8601 time or epoch milliseconds", name, v);
    return 0;
}

int cpe_param_int(const cpe_req_t *req, cpe_resp_t *r, const char *name, long lo, long hi, long def,
                  long *out)
{
    char v[CPE_QUERY_VAL_MAX];
    if (!cpe_req_param(req, name, v, sizeof v)) {
        *out = def;
        return 0;
    }
    int64_t x;
    if (cpe_parse_i64(v, strlen(v), &x) || x < lo || x > hi)
        return cpe_resp_error(r, 400, "INVALID_PARAMETER", name, v, 0,
                              "%s must be an integer in [%ld, %ld]", name, lo, hi);
    *out = (long)x;
    return 0;
}

int cpe_param_interval(const cpe_req_t *req, cpe_resp_t *r, const char *def, int64_t *ms,
                       const char **name)
{
    char v[CPE_QUERY_VAL_MAX];
    if (!cpe_req_param(req, "interval", v, sizeof v)) snprintf(v, sizeof v, "%s", def);
    if (cpe_interval_is_served(v) && !cpe_interval_parse(v, ms)) {
        *name = cpe_interval_name(*ms); /* the table's static copy */
        return 0;
    }
    return cpe_resp_error(r, 400, "INVALID_PARAMETER", "interval", v, 0,
                          "interval must be one of %s", cpe_intervals_served_text());
}
