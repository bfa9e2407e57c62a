/* exjson.c — see exjson.h. */
#include "sources/exjson.h"
#include "cpe/num.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int exj_num(const json_t *v, double *out)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (cpe_parse_double(s, json_string_length(v), out)) return CPE_EPARSE;
        return isfinite(*out) ? 0 : CPE_EPARSE;
    }
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    return CPE_EPARSE;
}

int exj_i64(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) return cpe_parse_i64(json_string_value(v), json_string_length(v), out);
    return CPE_EPARSE;
}

int exj_get_num(const json_t *obj, const char *key, double *out)
{
    return exj_num(json_object_get(obj, key), out);
}

int exj_get_i64(const json_t *obj, const char *key, int64_t *out)
{
    return exj_i64(json_object_get(obj, key), out);
}

const char *exj_get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

json_t *exj_load(const char *who, const char *text, size_t len, cpe_diag_t *d)
{
    json_error_t e;
    json_t *j = json_loadb(text, len, 0, &e);
    if (!j)
        cpe_diag_set(d, CPE_EPARSE, "%s: malformed JSON at %d:%d: %s", who, e.line, e.column,
                     e.text);
    return j;
}

int exj_kline_ok(const cpe_kline_t *k)
{
    return isfinite(k->open) && isfinite(k->high) && isfinite(k->low) && isfinite(k->close) &&
           isfinite(k->volume) && k->high >= k->low && k->volume >= 0 && k->low > 0;
}

void exj_event_init(cpe_market_event_t *ev, cpe_data_kind_t kind, cpe_market_kind_t m,
                    const char *symbol)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->market = m;
    snprintf(ev->symbol, sizeof ev->symbol, "%s", symbol);
    for (int i = 0; i < CPE_POINT_NV; i++)
        ev->point.v[i] = NAN;
    ev->kline.quote_volume = ev->kline.trades = NAN;
    ev->kline.taker_buy_base = ev->kline.taker_buy_quote = NAN;
}

/* Depth within 0.5 %, 1 % and 2 % of mid from [[price, qty, ...], ...] level arrays. */
int exj_book_depth(const json_t *bids, const json_t *asks, cpe_point_t *p)
{
    if (!json_is_array(bids) || !json_is_array(asks)) return CPE_EPARSE;
    double best_bid = NAN, best_ask = NAN;
    size_t i;
    json_t *lvl;
    json_array_foreach(bids, i, lvl)
    {
        double px;
        if (exj_num(json_array_get(lvl, 0), &px)) return CPE_EPARSE;
        if (isnan(best_bid) || px > best_bid) best_bid = px;
    }
    json_array_foreach(asks, i, lvl)
    {
        double px;
        if (exj_num(json_array_get(lvl, 0), &px)) return CPE_EPARSE;
        if (isnan(best_ask) || px < best_ask) best_ask = px;
    }
    if (isnan(best_bid) || isnan(best_ask)) return CPE_EPARSE;
    double mid = 0.5 * (best_bid + best_ask);
    static const double pct[3] = {0.005, 0.01, 0.02};
    for (int k = 0; k < 6; k++)
        p->v[k] = 0;
    for (int side = 0; side < 2; side++) {
        json_array_foreach(side ? asks : bids, i, lvl)
        {
            double px, q;
            if (exj_num(json_array_get(lvl, 0), &px) || exj_num(json_array_get(lvl, 1), &q))
                return CPE_EPARSE;
            double dist = fabs(px - mid) / mid;
            for (int k = 0; k < 3; k++)
                if (dist <= pct[k]) p->v[side * 3 + k] += q;
        }
    }
    return 0;
}

double exj_header_num(const char *v)
{
    double x;
    return cpe_parse_double(v, strlen(v), &x) || !isfinite(x) ? NAN : x;
}

void exj_retry_after(const char *v, cpe_rate_info_t *ri)
{
    double s = exj_header_num(v);
    if (s >= 0) ri->retry_after_ms = (int64_t)(s * 1000);
}

size_t exj_curl_body(char *p, size_t sz, size_t n, void *resp)
{
    exj_resp_t *r = resp;
    return cpe_buf_append(&r->body, p, sz * n) ? 0 : sz * n;
}

void exj_curl_prepare(CURL *c, const char *url, exj_resp_t *r, long timeout_ms)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, exj_curl_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, exj_curl_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cpe/0.1");
}

size_t exj_curl_header(char *p, size_t sz, size_t n, void *resp)
{
    exj_resp_t *r = resp;
    exj_header_line(r->ex, p, sz * n, &r->ri);
    return sz * n;
}

void exj_header_line(const cpe_exchange_t *ex, const char *p, size_t len, cpe_rate_info_t *ri)
{
    char line[512];
    if (len >= sizeof line) return;
    memcpy(line, p, len);
    line[len] = 0;
    char *colon = strchr(line, ':');
    if (!colon) return;
    *colon = 0;
    for (char *q = line; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    char *v = colon + 1;
    while (*v == ' ')
        v++;
    v[strcspn(v, "\r\n")] = 0;
    ex->rate_header(line, v, ri);
}

void exj_rate_header_retry_after(const char *name, const char *value, cpe_rate_info_t *ri)
{
    if (!strcmp(name, "retry-after")) exj_retry_after(value, ri);
}
