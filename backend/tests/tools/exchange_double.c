/*
 * exchange_double.c — a local stand-in for one exchange (Binance, Bybit or OKX) that the
 * live-data tests start on loopback. It speaks the REST and WebSocket kline formats
 * documented in src/sources/exchange_<name>.c and misbehaves on command.
 *
 *   exchange_double --flavor binance|bybit|okx|coinbase --port N [--minute-ms 200] [--symbol
 * BTCUSDT]
 *                   [--partial 1]   (binance: an in-progress kline before each closed one)
 *                   [--history-days D] [--start-hours-ago 12]
 *
 * Market time runs fast: one minute of bars every --minute-ms real milliseconds, starting
 * --start-hours-ago hours in the past (12; every bar it serves is closed in real time too,
 * until market time catches up with the wall clock), or D days and an hour in the past with
 * --history-days (history fetches use --minute-ms 60000: real time). Prices follow a
 * deterministic path of the minute index, so all flavors agree bar for bar. The binance
 * flavor also serves funding (/fapi/v1/fundingRate, every 8 h) and open-interest history
 * (/futures/data/openInterestHist, every 5 min) in Binance's shapes.
 *
 * Control (HTTP GET /_control?...), each acting once:
 *   disconnect=1     close every WebSocket connection now
 *   stall=MS         keep connections open but send nothing for MS ms
 *   down=MS          refuse WebSocket upgrades and answer REST with 503 for MS ms
 *   rest_down=MS     answer REST with 503 for MS ms (the streams go on)
 *   malformed=N      the next N WebSocket frames are garbage
 *   duplicate=N      the next N bars are sent twice
 *   reorder=N        the next N bars are sent out of order (pairs swapped)
 *   http429=N        the next N REST requests answer 429 with Retry-After: 1
 *   http500=N        the next N REST requests answer 500
 *   garbage=N        the next N REST requests answer 200 with a truncated body
 * GET /_stats -> {"rest_requests":n,"max_rest_per_sec":n,"ws_connections":n,"bars_sent":n,
 *                 "virtual_minute":m}
 */
#include "cpe/timeutil.h"

#include <libwebsockets.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum flavor { BINANCE, BYBIT, OKX, COINBASE };

static enum flavor g_flavor;
static int64_t g_minute_ms = 200, g_start_real, g_t0, g_vstart; /* g_vstart: market time at start */
static int g_partial; /* binance: send the minute in progress before each closed bar */
static char g_symbol[32] = "BTCUSDT";
static int64_t g_stall_until, g_down_until, g_rest_down_until, g_start_hours = 12;
static int g_malformed, g_duplicate, g_reorder, g_http429, g_http500, g_garbage, g_disconnect;
static double g_history_days;
static long g_rest_requests, g_bars_sent, g_ws_conns;
static long g_sec_count, g_max_per_sec;
static int64_t g_sec;
static volatile sig_atomic_t g_quit;
static struct lws_context *g_ctx;
static lws_sorted_usec_list_t g_sul;

#define QMAX 64
typedef struct pss {
    int is_ws;
    /* HTTP */
    char *body;
    size_t body_len;
    int status;
    int retry_after;
    int headers_sent;
    /* WS */
    int64_t next_minute; /* next bar index to send */
    char *q[QMAX];
    int qn;
    int kill;
} pss_t;

static int64_t vnow_ms(void)
{
    return g_vstart + (cpe_now_ms() - g_start_real) * CPE_MS_PER_MIN / g_minute_ms;
}

/* The deterministic bar of minute index m. */
static void bar(int64_t m, double *o, double *h, double *l, double *c, double *v, double *tb)
{
    double base = 30000 + 800 * sin((double)m / 37.0) + 300 * sin((double)m / 7.3);
    double nb = 30000 + 800 * sin((double)(m + 1) / 37.0) + 300 * sin((double)(m + 1) / 7.3);
    *o = round(base * 10) / 10;
    *c = round(nb * 10) / 10;
    *h = fmax(*o, *c) + 5;
    *l = fmin(*o, *c) - 5;
    *v = 10 + (double)(m % 17);
    *tb = *v * (0.3 + 0.4 * (double)(m % 5) / 4.0);
}

static int fmt_ws_bar(int64_t m, int closed, char *out, size_t cap)
{
    double o, h, l, c, v, tb;
    bar(m, &o, &h, &l, &c, &v, &tb);
    int64_t ts = m * CPE_MS_PER_MIN;
    char lower[32];
    size_t i = 0;
    for (; g_symbol[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)(g_symbol[i] | 0x20);
    lower[i] = 0;
    switch (g_flavor) {
    case BINANCE:
        return snprintf(
            out, cap,
            "{\"stream\":\"%s@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":%lld,\"s\":\"%s\",\"k\":{"
            "\"t\":%lld,\"T\":%lld,\"s\":\"%s\",\"i\":\"1m\",\"o\":\"%.1f\",\"c\":\"%.1f\",\"h\":"
            "\"%.1f\","
            "\"l\":\"%.1f\",\"v\":\"%.3f\",\"n\":100,\"x\":%s,\"q\":\"%.2f\",\"V\":\"%.3f\",\"Q\":"
            "\"%.2f\"}}}",
            lower, (long long)(ts + 60000), g_symbol, (long long)ts, (long long)(ts + 59999),
            g_symbol, o, c, h, l, v, closed ? "true" : "false", v * c, tb, tb * c);
    case BYBIT:
        return snprintf(
            out, cap,
            "{\"topic\":\"kline.1.%s\",\"type\":\"snapshot\",\"ts\":%lld,\"data\":[{\"start\":%lld,"
            "\"end\":%lld,\"interval\":\"1\",\"open\":\"%.1f\",\"close\":\"%.1f\",\"high\":\"%."
            "1f\","
            "\"low\":\"%.1f\",\"volume\":\"%.3f\",\"turnover\":\"%.2f\",\"confirm\":true,"
            "\"timestamp\":%lld}]}",
            g_symbol, (long long)(ts + 60000), (long long)ts, (long long)(ts + 59999), o, c, h, l,
            v, v * c, (long long)(ts + 60000));
    case OKX:
        return snprintf(
            out, cap,
            "{\"arg\":{\"channel\":\"candle1m\",\"instId\":\"%.*s-USDT-SWAP\"},\"data\":[[\"%lld\","
            "\"%.1f\",\"%.1f\",\"%.1f\",\"%.1f\",\"%.0f\",\"%.3f\",\"%.2f\",\"1\"]]}",
            (int)strlen(g_symbol) - 4, g_symbol, (long long)ts, o, h, l, c, v * 100, v, v * c);
    case COINBASE: { /* no candle channel: the ticker of the bar's last trade */
        char iso[32];
        cpe_format_iso8601(ts + 59000, iso);
        return snprintf(out, cap,
                        "{\"type\":\"ticker\",\"sequence\":%lld,\"product_id\":\"%.*s-USDT\","
                        "\"price\":\"%.1f\",\"best_bid\":\"%.1f\",\"best_ask\":\"%.1f\","
                        "\"side\":\"buy\",\"time\":\"%s\",\"trade_id\":%lld,\"last_size\":\"0.1\"}",
                        (long long)m, (int)strlen(g_symbol) - 4, g_symbol, c, c - 0.1, c, iso,
                        (long long)m);
    }
    }
    return 0;
}

static void q_push(pss_t *p, const char *s)
{
    if (p->qn >= QMAX) return; /* a client this slow loses frames, like a real exchange */
    p->q[p->qn++] = strdup(s);
}

static int64_t arg_i64(const char *q, const char *name, int64_t def)
{
    char key[64];
    snprintf(key, sizeof key, "%s=", name);
    const char *p = q;
    while ((p = strstr(p, key))) {
        if (p == q || p[-1] == '&' || p[-1] == '?') return atoll(p + strlen(key));
        p++;
    }
    return def;
}

static int64_t arg_iso(const char *q, const char *name, int64_t def)
{
    char key[64];
    snprintf(key, sizeof key, "%s=", name);
    const char *p = strstr(q, key);
    int64_t t;
    if (!p) return def;
    p += strlen(key);
    return cpe_parse_iso8601(p, (long)strcspn(p, "&"), &t) ? def : t;
}

/* REST klines in the flavor's shape for [from, to] clipped to closed bars. */
static void rest_klines(const char *uri, const char *q, pss_t *p)
{
    int64_t vnow_min = vnow_ms() / CPE_MS_PER_MIN; /* bars < vnow_min are closed */
    int64_t from, to, limit;
    int newest_first = 0;
    if (g_flavor == BINANCE) {
        from = arg_i64(q, "startTime", 0), to = arg_i64(q, "endTime", INT64_MAX / 2),
        limit = arg_i64(q, "limit", 500);
    } else if (g_flavor == BYBIT) {
        from = arg_i64(q, "start", 0), to = arg_i64(q, "end", INT64_MAX / 2),
        limit = arg_i64(q, "limit", 200);
        newest_first = 1;
    } else if (g_flavor == OKX) {
        from = arg_i64(q, "before", -1) + 1, to = arg_i64(q, "after", INT64_MAX / 2) - 1,
        limit = arg_i64(q, "limit", 100);
        newest_first = 1;
    } else { /* coinbase: ISO start and end, both inclusive; more than 300 rows is rejected */
        from = arg_iso(q, "start", 0), to = arg_iso(q, "end", INT64_MAX / 2), limit = 300;
        newest_first = 1;
        if ((to - from) / CPE_MS_PER_MIN + 1 > limit) {
            p->body = strdup("{\"message\":\"granularity too small for the requested time range. "
                             "Count of aggregations requested exceeds 300\"}");
            p->body_len = strlen(p->body), p->status = 400;
            return;
        }
    }
    (void)uri;
    int64_t m0 = (from + CPE_MS_PER_MIN - 1) / CPE_MS_PER_MIN, m1 = to / CPE_MS_PER_MIN;
    if (m1 >= vnow_min) m1 = vnow_min - 1;
    int64_t t0min = g_t0 / CPE_MS_PER_MIN;
    if (m0 < t0min) m0 = t0min;
    size_t cap = 256 + (size_t)(limit > 0 ? limit : 1) * 256;
    char *b = malloc(cap);
    size_t n = 0;
    n += (size_t)snprintf(
        b + n, cap - n,
        g_flavor == BINANCE || g_flavor == COINBASE ? "["
        : g_flavor == BYBIT
            ? "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"linear\",\"list\":["
            : "{\"code\":\"0\",\"msg\":\"\",\"data\":[");
    int64_t count = m1 >= m0 ? m1 - m0 + 1 : 0;
    if (count > limit) {
        if (newest_first)
            m0 = m1 - limit + 1;
        else
            m1 = m0 + limit - 1;
        count = limit;
    }
    for (int64_t k = 0; k < count; k++) {
        int64_t m = newest_first ? m1 - k : m0 + k;
        double o, h, l, c, v, tb;
        bar(m, &o, &h, &l, &c, &v, &tb);
        long long ts = (long long)(m * CPE_MS_PER_MIN);
        const char *sep = k ? "," : "";
        if (g_flavor == BINANCE)
            n += (size_t)snprintf(b + n, cap - n,
                                  "%s[%lld,\"%.1f\",\"%.1f\",\"%.1f\",\"%.1f\",\"%.3f\",%lld,\"%."
                                  "2f\",100,\"%.3f\",\"%.2f\",\"0\"]",
                                  sep, ts, o, h, l, c, v, ts + 59999, v * c, tb, tb * c);
        else if (g_flavor == COINBASE) /* [time s, low, high, open, close, volume] */
            n += (size_t)snprintf(b + n, cap - n, "%s[%lld,%.1f,%.1f,%.1f,%.1f,%.3f]", sep,
                                  ts / 1000, l, h, o, c, v);
        else if (g_flavor == BYBIT)
            n += (size_t)snprintf(
                b + n, cap - n,
                "%s[\"%lld\",\"%.1f\",\"%.1f\",\"%.1f\",\"%.1f\",\"%.3f\",\"%.2f\"]", sep, ts, o, h,
                l, c, v, v * c);
        else
            n += (size_t)snprintf(
                b + n, cap - n,
                "%s[\"%lld\",\"%.1f\",\"%.1f\",\"%.1f\",\"%.1f\",\"%.0f\",\"%.3f\",\"%.2f\",\"1\"]",
                sep, ts, o, h, l, c, v * 100, v, v * c);
    }
    n += (size_t)snprintf(b + n, cap - n,
                          g_flavor == BINANCE || g_flavor == COINBASE ? "]"
                          : g_flavor == BYBIT                         ? "]}}"
                                                                      : "]}");
    p->body = b;
    p->body_len = n;
    p->status = 200;
}

/* Binance funding (every 8 h) or open-interest history (every 5 min) over [from, to]. */
static void rest_points(const char *uri, const char *q, pss_t *p)
{
    int funding = strstr(uri, "fundingRate") != NULL;
    int64_t step = funding ? 8 * CPE_MS_PER_HOUR : 5 * CPE_MS_PER_MIN;
    int64_t from = arg_i64(q, "startTime", 0), to = arg_i64(q, "endTime", INT64_MAX / 2);
    int64_t limit = arg_i64(q, "limit", funding ? 100 : 30), now = vnow_ms();
    if (to >= now) to = now - 1;
    if (from < g_t0) from = g_t0;
    size_t cap = 64 + (size_t)(limit > 0 ? limit : 1) * 160, n = 1;
    char *b = malloc(cap);
    b[0] = '[';
    int64_t k = (from + step - 1) / step, rows = 0;
    for (; k * step <= to && rows < limit; k++, rows++) {
        const char *sep = rows ? "," : "";
        double x = (double)k;
        if (funding)
            n += (size_t)snprintf(b + n, cap - n,
                                  "%s{\"symbol\":\"%s\",\"fundingTime\":%lld,\"fundingRate\":"
                                  "\"%.8f\",\"markPrice\":\"30000.00\"}",
                                  sep, g_symbol, (long long)(k * step), 0.0001 * (1 + sin(x)));
        else
            n += (size_t)snprintf(b + n, cap - n,
                                  "%s{\"symbol\":\"%s\",\"sumOpenInterest\":\"%.3f\","
                                  "\"sumOpenInterestValue\":\"%.2f\",\"timestamp\":%lld}",
                                  sep, g_symbol, 80000 + 500 * sin(x / 50),
                                  30000 * (80000 + 500 * sin(x / 50)), (long long)(k * step));
    }
    n += (size_t)snprintf(b + n, cap - n, "]");
    p->body = b, p->body_len = n, p->status = 200;
}

static void http_request(struct lws *wsi, pss_t *p, const char *uri)
{
    char q[1024] = "";
    lws_hdr_copy(wsi, q, sizeof q, WSI_TOKEN_HTTP_URI_ARGS);
    /* lws gives the arguments NUL-separated in pieces; rebuild "a=1&b=2" */
    char args[1024] = "";
    for (int i = 0; i < 16; i++) {
        char part[256];
        if (lws_hdr_copy_fragment(wsi, part, sizeof part, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) break;
        if (i) strncat(args, "&", sizeof args - strlen(args) - 1);
        strncat(args, part, sizeof args - strlen(args) - 1);
    }
    (void)q;
    int64_t now = cpe_now_ms();
    char *out = malloc(512);
    if (!strcmp(uri, "/_control")) {
        int64_t v;
        if ((v = arg_i64(args, "disconnect", 0))) g_disconnect = 1;
        if ((v = arg_i64(args, "stall", 0))) g_stall_until = now + v;
        if ((v = arg_i64(args, "down", 0))) g_down_until = now + v, g_disconnect = 1;
        if ((v = arg_i64(args, "rest_down", 0))) g_rest_down_until = now + v;
        g_malformed += (int)arg_i64(args, "malformed", 0);
        g_duplicate += (int)arg_i64(args, "duplicate", 0);
        g_reorder += (int)arg_i64(args, "reorder", 0);
        g_http429 += (int)arg_i64(args, "http429", 0);
        g_http500 += (int)arg_i64(args, "http500", 0);
        g_garbage += (int)arg_i64(args, "garbage", 0);
        p->body_len = (size_t)snprintf(out, 512, "{\"ok\":true}");
        p->body = out, p->status = 200;
        lws_callback_on_writable_all_protocol(g_ctx, lws_get_protocol(wsi));
        return;
    }
    if (!strcmp(uri, "/_stats")) {
        p->body_len = (size_t)snprintf(
            out, 512,
            "{\"rest_requests\":%ld,\"max_rest_per_sec\":%ld,\"ws_connections\":%ld,"
            "\"bars_sent\":%ld,\"virtual_minute\":%lld}",
            g_rest_requests, g_max_per_sec, g_ws_conns, g_bars_sent,
            (long long)(vnow_ms() / CPE_MS_PER_MIN));
        p->body = out, p->status = 200;
        return;
    }
    free(out);
    g_rest_requests++;
    int64_t sec = now / 1000;
    if (sec != g_sec) g_sec = sec, g_sec_count = 0;
    if (++g_sec_count > g_max_per_sec) g_max_per_sec = g_sec_count;
    if (now < g_down_until || now < g_rest_down_until || g_http500 > 0) {
        if (g_http500 > 0) g_http500--;
        p->body = strdup("{\"error\":\"unavailable\"}"), p->body_len = strlen(p->body),
        p->status = 503;
        return;
    }
    if (g_http429 > 0) {
        g_http429--;
        p->body = strdup("{\"error\":\"too many requests\"}"), p->body_len = strlen(p->body),
        p->status = 429;
        p->retry_after = 1;
        return;
    }
    if (g_garbage > 0) {
        g_garbage--;
        p->body = strdup("[[1700000000000,\"65000.1\",\"650"), p->body_len = strlen(p->body);
        p->status = 200;
        return;
    }
    if (g_flavor == BINANCE && (strstr(uri, "fundingRate") || strstr(uri, "openInterestHist"))) {
        rest_points(uri, args, p);
        return;
    }
    if (strstr(uri, "kline") || strstr(uri, "candles")) {
        rest_klines(uri, args, p);
        return;
    }
    p->body = strdup("{\"error\":\"not found\"}"), p->body_len = strlen(p->body), p->status = 404;
}

static const struct lws_protocols protocols[2];

static void tick(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    lws_callback_on_writable_all_protocol(g_ctx, &protocols[0]);
    lws_sul_schedule(g_ctx, 0, &g_sul, tick, 20 * LWS_US_PER_MS);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    pss_t *p = user;
    unsigned char buf[LWS_PRE + 4096];
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        int one = 1; /* headers and body go out as separate writes: no Nagle delay between */
        setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        memset(p, 0, sizeof *p);
        http_request(wsi, p, (const char *)in);
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!p->body) return -1;
        unsigned char *start = buf + LWS_PRE, *pos = start, *end = buf + sizeof buf - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)p->status, "application/json", p->body_len,
                                        &pos, end))
            return 1;
        char used[32];
        int ul = snprintf(used, sizeof used, "%ld", g_sec_count * 5);
        if (g_flavor == BINANCE &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"x-mbx-used-weight-1m:",
                                        (unsigned char *)used, ul, &pos, end))
            return 1;
        if (p->retry_after &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
                                        (const unsigned char *)"1", 1, &pos, end))
            return 1;
        if (lws_finalize_write_http_header(wsi, start, &pos, end)) return 1;
        size_t sent = 0;
        while (sent < p->body_len) { /* lws buffers what the socket cannot take yet */
            size_t n = p->body_len - sent > 4000 ? 4000 : p->body_len - sent;
            memcpy(buf + LWS_PRE, p->body + sent, n);
            if (lws_write(wsi, buf + LWS_PRE, n,
                          sent + n == p->body_len ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
                (int)n)
                return -1;
            sent += n;
        }
        free(p->body);
        p->body = NULL;
        if (lws_http_transaction_completed(wsi)) return -1;
        return 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (cpe_now_ms() < g_down_until) return -1; /* refuse the upgrade while "down" */
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        memset(p, 0, sizeof *p);
        p->is_ws = 1;
        p->next_minute = vnow_ms() / CPE_MS_PER_MIN; /* live from now on; history is REST's job */
        g_ws_conns++;
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return 0; /* subscriptions and pings are accepted as they come */
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (!p->is_ws) return 0;
        if (g_disconnect || p->kill) return -1;
        int64_t now = cpe_now_ms();
        if (now >= g_stall_until) {
            int64_t closed_upto = vnow_ms() / CPE_MS_PER_MIN; /* bars < this are closed */
            while (p->next_minute < closed_upto && p->qn < QMAX - 4) {
                char msg[1024];
                int64_t m = p->next_minute++;
                if (g_reorder > 0 && p->next_minute < closed_upto) {
                    g_reorder--;
                    fmt_ws_bar(m + 1, 1, msg, sizeof msg), q_push(p, msg);
                    fmt_ws_bar(m, 1, msg, sizeof msg), q_push(p, msg);
                    p->next_minute++;
                    g_bars_sent += 2;
                    continue;
                }
                if (g_partial && g_flavor == BINANCE) /* the minute in progress, then closed */
                    fmt_ws_bar(m, 0, msg, sizeof msg), q_push(p, msg);
                fmt_ws_bar(m, 1, msg, sizeof msg);
                q_push(p, msg);
                g_bars_sent++;
                if (g_duplicate > 0) g_duplicate--, q_push(p, msg);
            }
        } else {
            p->next_minute = vnow_ms() / CPE_MS_PER_MIN; /* stalled bars are never sent */
        }
        if (p->qn == 0) return 0;
        char *msg = p->q[0];
        memmove(p->q, p->q + 1, (size_t)(p->qn - 1) * sizeof *p->q);
        p->qn--;
        const char *out = msg;
        if (g_malformed > 0) g_malformed--, out = "{\"e\":\"kline\",\"k\":{\"t\":12,garbage";
        size_t n = strlen(out);
        if (n > sizeof buf - LWS_PRE) n = sizeof buf - LWS_PRE;
        memcpy(buf + LWS_PRE, out, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
        free(msg);
        if (w < (int)n) return -1;
        if (p->qn) lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        for (int i = 0; i < p->qn; i++)
            free(p->q[i]);
        p->qn = 0;
        return 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p && !p->is_ws) {
            free(p->body);
            p->body = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[2] = {
    {"double", callback, sizeof(pss_t), 8192, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int s)
{
    (void)s;
    g_quit = 1;
    if (g_ctx) lws_cancel_service(g_ctx);
}

int main(int argc, char **argv)
{
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--flavor")) {
            g_flavor = !strcmp(argv[i + 1], "bybit")      ? BYBIT
                       : !strcmp(argv[i + 1], "okx")      ? OKX
                       : !strcmp(argv[i + 1], "coinbase") ? COINBASE
                                                          : BINANCE;
        } else if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--minute-ms"))
            g_minute_ms = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--partial"))
            g_partial = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--history-days"))
            g_history_days = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--start-hours-ago"))
            g_start_hours = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--symbol"))
            snprintf(g_symbol, sizeof g_symbol, "%s", argv[i + 1]);
    }
    if (port <= 0 || g_minute_ms <= 0) {
        fprintf(stderr, "usage: exchange_double --flavor binance|bybit|okx|coinbase --port N "
                        "[--minute-ms MS]\n");
        return 2;
    }
    g_start_real = cpe_now_ms();
    int64_t back = g_history_days > 0
                       ? (int64_t)(g_history_days * (double)CPE_MS_PER_DAY) + CPE_MS_PER_HOUR
                       : g_start_hours * CPE_MS_PER_HOUR;
    g_t0 = cpe_floor_ms(g_start_real - back, CPE_MS_PER_MIN);
    g_vstart = g_history_days > 0 ? g_start_real : g_t0; /* history: market time is real time */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    lws_set_log_level(LLL_ERR, NULL);
    g_ctx = lws_create_context(&info);
    if (!g_ctx) {
        fprintf(stderr, "exchange_double: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    lws_sul_schedule(g_ctx, 0, &g_sul, tick, 20 * LWS_US_PER_MS);
    printf("exchange_double %s listening on 127.0.0.1:%d\n",
           g_flavor == BINANCE ? "binance"
           : g_flavor == BYBIT ? "bybit"
           : g_flavor == OKX   ? "okx"
                               : "coinbase",
           port);
    fflush(stdout);
    while (!g_quit) {
        if (lws_service(g_ctx, 0) < 0) break;
        if (g_disconnect) { /* every connection got its writeable callback and closed */
            static int spins;
            if (++spins > 3) g_disconnect = 0, spins = 0;
        }
    }
    lws_context_destroy(g_ctx);
    return 0;
}
