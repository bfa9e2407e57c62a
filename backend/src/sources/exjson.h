/*
 * exjson.h — small jansson helpers shared by the exchange adapters: exchanges send
 * numbers as JSON strings ("0.0001") or numbers, and timestamps as strings or integers.
 * Each helper returns 0 or CPE_EPARSE and never allocates.
 */
#ifndef CPE_SOURCES_EXJSON_H
#define CPE_SOURCES_EXJSON_H

#include "cpe/buf.h"
#include "cpe/error.h"
#include "cpe/exchange.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

int exj_num(const json_t *v, double *out);
int exj_i64(const json_t *v, int64_t *out);
int exj_get_num(const json_t *obj, const char *key, double *out);
int exj_get_i64(const json_t *obj, const char *key, int64_t *out);
const char *exj_get_str(const json_t *obj, const char *key);
/* Parse text into a JSON value; on failure fill d with "<who>: malformed JSON at line:col: ...". */
json_t *exj_load(const char *who, const char *text, size_t len, cpe_diag_t *d);
/* Validate a kline (finite, high >= low, ...) before emitting. */
int exj_kline_ok(const cpe_kline_t *k);
/* A rate-limit header's value as a number; NaN when it is not one (so the field stays
 * unknown: atof would have said 0, "no requests left"). */
double exj_header_num(const char *v);
/* One raw HTTP header line ("Name: value\r\n", len bytes) to the adapter's rate_header with
 * the name lower-cased; lines that are not headers or are too long are ignored. */
void exj_header_line(const cpe_exchange_t *ex, const char *line, size_t len, cpe_rate_info_t *ri);
/* One REST answer as libcurl delivers it: the body, and the rate-limit headers read by the
 * exchange's rate_header. exj_curl_body / exj_curl_header are the CURLOPT_WRITEFUNCTION /
 * CURLOPT_HEADERFUNCTION callbacks, with an exj_resp_t as their user data. */
typedef struct exj_resp {
    cpe_buf_t body;
    cpe_rate_info_t ri;
    const cpe_exchange_t *ex;
} exj_resp_t;
size_t exj_curl_body(char *p, size_t sz, size_t n, void *resp);
size_t exj_curl_header(char *p, size_t sz, size_t n, void *resp);
/* Reset the handle for one GET of url into r: those callbacks, the timeout, a 5 s connect
 * timeout, no signals, cpe's user agent. */
void exj_curl_prepare(CURL *c, const char *url, exj_resp_t *r, long timeout_ms);
/* A rate_header for exchanges that send no rate-limit headers: Retry-After only. */
void exj_rate_header_retry_after(const char *name, const char *value, cpe_rate_info_t *ri);
/* Retry-After in seconds into ri->retry_after_ms; left as it was when not a number. */
void exj_retry_after(const char *v, cpe_rate_info_t *ri);
/* Fill the common part of an event. */
void exj_event_init(cpe_market_event_t *ev, cpe_data_kind_t kind, cpe_market_kind_t m,
                    const char *symbol);
/* Depth within 0.5/1/2 % of mid (bids v[0..2], asks v[3..5]) from level arrays. */
int exj_book_depth(const json_t *bids, const json_t *asks, cpe_point_t *p);

#endif
