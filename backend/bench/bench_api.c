/* bench_api.c — the API server's figures (issue 5), one JSON line each:
 *   market_data_server_ms   GET /market-data handler time, 10,000 1m candles + all panels
 *                           (median of 15; target <= 5 ms)
 *   predict_rps, predict_p99_ms
 *                           wrk -t2 -c64 against GET /predict on a forked `serve`
 *                           (targets >= 20,000 req/s, p99 <= 10 ms)
 *   ws_p99_delivery_ms, ws_server_rss_mb
 *                           N WebSocket clients (default 5,000; CPE_BENCH_WS_CLIENTS)
 *                           subscribed to BTC 1m candles, one update per second each,
 *                           delivery = receive time - the server's emitted_ms, for the
 *                           updates emitted in the 12 s after the last subscription was
 *                           acknowledged (steady state)
 *                           (targets p99 <= 50 ms, server RSS <= 100 MB)
 * Everything runs on loopback over a temporary store holding 10 simulated days. The
 * /predict figure reads prediction records this benchmark writes into its temporary
 * store (fixtures: the serving path is measured, not a model).
 */
#define _GNU_SOURCE /* memmem */
#include "api/server.h"
#include "common/serve_child.h"
#include "cli/wsclient.h"
#include "cpe/sim.h"
#include "cpe/trainer.h"
#include "cpe/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void line(const char *metric, double v, const char *unit, double target, int higher_better)
{
    int ok = higher_better ? v >= target : v <= target;
    printf("{\"bench\":\"api\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, v, unit, target, ok ? "true" : "false");
    fflush(stdout);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The model registry next to the benchmark's store. */
static void models_dir(const char *db, char *out, size_t cap)
{
    const char *slash = strrchr(db, '/');
    snprintf(out, cap, "%.*s/models", slash ? (int)(slash - db) : 1, slash ? db : ".");
}

/* Champion models for both symbols, so the WebSocket server predicts at every closed bar
 * as `cpe serve` does and its memory counts them. Trained in a child process: xgboost's
 * OpenMP threads do not survive a fork, and this process forks the servers later. */
static int train_models(const char *db)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        cpe_store_t *st = NULL;
        cpe_diag_t d = {0};
        int rc = cpe_store_open(db, &st, &d);
        char models[300];
        models_dir(db, models, sizeof models);
        const char *syms[] = {"BTCUSDT", "ETHUSDT"};
        for (int i = 0; !rc && i < 2; i++) {
            cpe_train_config_t tc;
            cpe_train_config_default(&tc);
            tc.models = models;
            tc.champion = CPE_TRAIN_CHAMPION_ALWAYS;
            cpe_train_result_t res = {0};
            rc = cpe_trainer_run(st, syms[i], &tc, &res, &d);
            cpe_train_result_free(&res);
        }
        if (rc) fprintf(stderr, "bench_api: training: %s\n", d.msg);
        cpe_store_close(st);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) return -1;
    return 0;
}

static int make_store(const char *db)
{
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(db, &st, &d)) return -1;
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    cpe_sim_config_t c;
    int64_t end = cpe_floor_ms(cpe_now_ms(), CPE_MS_PER_MIN);
    cpe_sim_t *sim = NULL;
    cpe_sim_write_stats_t ws;
    int rc = cpe_sim_config_default(&c, syms, 2, 11, end - 10 * CPE_MS_PER_DAY, &d);
    if (!rc) rc = cpe_sim_new(&c, &sim, &d);
    if (!rc) rc = cpe_sim_write(st, sim, 10 * 1440, &ws, &d);
    /* prediction records at the last bar (fixtures for the serving path) */
    for (int h = 0; !rc && h < 4; h++) {
        static const int hs[4] = {1, 4, 8, 24};
        cpe_prediction_t p;
        memset(&p, 0, sizeof p);
        p.ts_ms = end - CPE_MS_PER_MIN;
        snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
        p.horizon_h = hs[h];
        p.close = 100000;
        p.p_up = 0.5;
        p.expected_move = 0;
        p.volatility = 0.01 * sqrt(hs[h]);
        p.p023 = 98000;
        p.p159 = 99000;
        p.p500 = 100000;
        p.p841 = 101000;
        p.p977 = 102000;
        snprintf(p.regime, sizeof p.regime, "normal");
        snprintf(p.confidence, sizeof p.confidence, "low");
        snprintf(p.model_version, sizeof p.model_version, "bench-fixture");
        p.n_cone = hs[h] + 1;
        for (int k = 0; k < p.n_cone; k++) {
            p.cone[k].t_ms = end + k * CPE_MS_PER_HOUR;
            p.cone[k].p023 = 98000;
            p.cone[k].p159 = 99000;
            p.cone[k].p500 = 100000;
            p.cone[k].p841 = 101000;
            p.cone[k].p977 = 102000;
        }
        rc = st->ops->put_prediction(st, &p, NULL);
    }
    cpe_sim_free(sim);
    cpe_store_close(st);
    if (rc) fprintf(stderr, "bench_api: store: %s\n", d.msg);
    return rc ? rc : train_models(db);
}

static void bench_market_data(const char *db)
{
    cpe_api_tune_malloc(); /* as cpe_api_serve() does */
    cpe_api_t api;
    memset(&api, 0, sizeof api);
    cpe_diag_t d = {0};
    if (cpe_store_open(db, &api.store, &d)) return;
    api.rd.store = api.store; /* the service thread's reader, as cpe_api_serve() sets it */
    api.source = "store";
    double t[15];
    size_t bytes = 0;
    for (int i = 0; i < 15; i++) {
        cpe_req_t req;
        memset(&req, 0, sizeof req);
        const char *q = "asset=BTC&interval=1m&limit=10000&from=2020-01-01";
        cpe_query_parse(&req.query, q, strlen(q));
        req.now_ms = cpe_now_ms();
        req.api = &api;
        cpe_resp_t r;
        cpe_resp_init(&r, 256u << 20);
        int64_t t0 = cpe_mono_ns();
        cpe_route_market_data(&req, &r);
        t[i] = (double)(cpe_mono_ns() - t0) / 1e6;
        bytes = r.body.len;
        if (r.status != 200 || !strstr(r.body.data, "\"liq_clusters\"")) {
            fprintf(stderr, "bench_api: market-data status %d\n", r.status);
            cpe_resp_free(&r);
            cpe_store_close(api.store);
            return;
        }
        cpe_resp_free(&r);
    }
    qsort(t, 15, sizeof t[0], cmp_d);
    /* the part of it that reads the bars (store + bar builder), for the breakdown */
    double tl[15];
    for (int i = 0; i < 15; i++) {
        cpe_bar_t *b = NULL;
        size_t n = 0;
        int sim = 0;
        int64_t t0 = cpe_mono_ns();
        cpe_api_load_bars(&api, &api.rd, "BTCUSDT", 60000, 1577836800000LL, 1, cpe_now_ms() + 60000,
                          10000, &b, &n, &sim);
        tl[i] = (double)(cpe_mono_ns() - t0) / 1e6;
        free(b);
    }
    qsort(tl, 15, sizeof tl[0], cmp_d);
    fprintf(
        stderr,
        "bench_api: /market-data 10,000 bars = %zu bytes; reading the bars %.3f ms of %.3f ms\n",
        bytes, tl[7], t[7]);
    line("market_data_server_ms", t[7], "ms", 5, 0);
    cpe_store_close(api.store);
}

/* `cpe serve` forked on the benchmark's store (serve_child.h) on a free port (*port), once
 * it listens; -1 when it does not (stopped again). */
static pid_t start_server(const char *db, int *port, const char *source)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    cpe_api_config_load_env(&c, NULL); /* e.g. CPE_WS_FANOUT=send to compare */
    *port = bench_free_port();
    c.port = *port;
    snprintf(c.db, sizeof c.db, "%s", db);
    snprintf(c.source, sizeof c.source, "%s", source);
    c.rate_limit_per_min = 0;
    c.ws_queue_drop = 100000;
    c.retrain = 0; /* the serving path is measured; no training on the side */
    models_dir(db, c.models, sizeof c.models);
    pid_t pid = bench_fork_serve(&c, 0);
    if (pid > 0 && bench_wait_port(*port)) {
        bench_stop_child(pid, "bench_api");
        return -1;
    }
    return pid;
}

static double parse_ms(const char *s)
{
    double v = atof(s);
    if (strstr(s, "us")) return v / 1000;
    if (strstr(s, "ms")) return v;
    if (strstr(s, "s")) return v * 1000;
    return v;
}

static void bench_predict(const char *db)
{
    if (system("command -v wrk >/dev/null 2>&1")) {
        fprintf(stderr, "bench_api: wrk is not installed (scripts/bootstrap.sh --with-bench): no "
                        "/predict figure\n");
        return;
    }
    int port;
    pid_t pid = start_server(db, &port, "store");
    if (pid < 0) return;
    char cmd[256];
    snprintf(
        cmd, sizeof cmd,
        "wrk -t2 -c64 -d6s --latency 'http://127.0.0.1:%d/predict?asset=BTC&horizon_hours=4' 2>&1",
        port);
    double rps[3], p99[3];
    int runs = 0;
    for (int r = 0; r < 3; r++) {
        FILE *f = popen(cmd, "r");
        if (!f) break;
        char ln[256];
        rps[runs] = p99[runs] = NAN;
        int non2xx = 0;
        while (fgets(ln, sizeof ln, f)) {
            if (strstr(ln, "Requests/sec:")) rps[runs] = atof(strchr(ln, ':') + 1);
            if (strstr(ln, " 99%")) p99[runs] = parse_ms(strstr(ln, "99%") + 3);
            if (strstr(ln, "Non-2xx")) non2xx = 1;
        }
        pclose(f);
        if (non2xx) fprintf(stderr, "bench_api: /predict answered non-2xx responses\n");
        if (!isnan(rps[runs])) runs++;
    }
    bench_stop_child(pid, "bench_api");
    if (!runs) return;
    qsort(rps, (size_t)runs, sizeof rps[0], cmp_d);
    qsort(p99, (size_t)runs, sizeof p99[0], cmp_d);
    line("predict_rps", rps[runs / 2], "req/s", 20000, 1);
    line("predict_p99_ms", p99[runs / 2], "ms", 10, 0);
}

/* One GET over a fresh loopback connection, read to the end (Connection: close): ms from
 * the connect to the last byte, or NAN. */
static double http_get_ms(int port, const char *target, size_t *bytes)
{
    int64_t t0 = cpe_mono_ns();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NAN;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char req[512], buf[65536];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) || write(fd, req, (size_t)n) != n) {
        close(fd);
        return NAN;
    }
    size_t total = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        total += (size_t)r;
    close(fd);
    *bytes = total;
    return (double)(cpe_mono_ns() - t0) / 1e6;
}

/* The same /market-data request through a forked `cpe serve`: what a browser waits for
 * (parsing, routing, the handler, writing 1.3 MB to the socket), median of 15. */
static void bench_market_data_http(const char *db)
{
    int port;
    pid_t pid = start_server(db, &port, "store");
    if (pid < 0) return;
    double t[15];
    size_t bytes = 0;
    int ok = 1;
    for (int i = 0; i < 15 && ok; i++) {
        t[i] = http_get_ms(port, "/market-data?asset=BTC&interval=1m&limit=10000&from=2020-01-01",
                           &bytes);
        ok = !isnan(t[i]) && bytes > 1000000;
    }
    bench_stop_child(pid, "bench_api");
    if (!ok) {
        fprintf(stderr, "bench_api: GET /market-data through the server failed (%zu bytes)\n",
                bytes);
        return;
    }
    qsort(t, 15, sizeof t[0], cmp_d);
    /* no target of its own (the is server time): printed beside it for the picture */
    printf("{\"bench\":\"api\",\"metric\":\"market_data_http_ms\",\"value\":%.4g,\"unit\":"
           "\"ms\",\"bytes\":%zu}\n",
           t[7], bytes);
    fflush(stdout);
}

typedef struct wsc {
    int fd;
    int state; /* 0 handshake, 1 subscribe sent, 2 acknowledged */
    cpe_wsc_parser_t p;
} wsc_t;

static long rss_kb(pid_t pid, const char *key)
{
    char path[64], ln[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (!f) return -1;
    while (fgets(ln, sizeof ln, f))
        if (!strncmp(ln, key, strlen(key))) v = atol(ln + strlen(key) + 1);
    fclose(f);
    return v;
}

/* The slowest delivery of each update (messages sharing one emitted_ms), for stderr: it
 * tells one slow fan-out from a slow run. */
typedef struct updates {
    int64_t emitted[64], worst[64], first[64];
    int n;
} updates_t;

static void update_seen(updates_t *u, int64_t emitted, int64_t ms)
{
    int i = u->n - 1;
    while (i >= 0 && u->emitted[i] != emitted)
        i--;
    if (i < 0) {
        if (u->n == 64) return;
        i = u->n++;
        u->emitted[i] = emitted;
        u->worst[i] = 0;
        u->first[i] = ms;
    }
    if (ms > u->worst[i]) u->worst[i] = ms;
    if (ms < u->first[i]) u->first[i] = ms;
}

static void bench_ws(const char *db)
{
    int n = 5000;
    const char *e = getenv("CPE_BENCH_WS_CLIENTS");
    if (e && atoi(e) > 0) n = atoi(e);
    int port;
    pid_t pid = start_server(
        db, &port, getenv("CPE_BENCH_WS_SOURCE") ? getenv("CPE_BENCH_WS_SOURCE") : "simulate");
    if (pid < 0) return;
    wsc_t *c = calloc((size_t)n, sizeof *c);
    int ep = epoll_create1(0);
    int connected = 0;
    for (int i = 0; i < n; i++) {
        char err[128];
        c[i].fd = cpe_wsc_connect("127.0.0.1", port, "/ws", 0, err, sizeof err);
        if (c[i].fd < 0) {
            fprintf(stderr, "bench_api: client %d: %s\n", i, err);
            break;
        }
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
        cpe_wsc_parser_init(&c[i].p, 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        connected++;
    }
    size_t cap = (size_t)connected * 40 + 1024, nlat = 0;
    double *lat = malloc(cap * sizeof *lat);
    const char *sub =
        "{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"BTC\",\"interval\":\"1m\"}";
    int64_t t_end = 0, t_start = cpe_now_ms();
    updates_t ups = {.n = 0};
    int64_t last_msg = 0;
    int sleepy = getenv("CPE_BENCH_WS_SLEEPY") && atoi(getenv("CPE_BENCH_WS_SLEEPY"));
    int subscribed = 0;
    struct epoll_event evs[1024];
    char buf[65536];
    long peak = 0;
    int64_t next_rss = 0;
    while (1) {
        int64_t now = cpe_now_ms();
        if (!t_end && subscribed == connected) t_end = now + 12000;
        if ((t_end && now > t_end) || now - t_start > 60000) break;
        /* While an update is arriving the client polls without sleeping: on loopback a
         * send runs the receiver's side too, and waking a sleeping reader (an IPI to the
         * other core) would be charged to the server's fan-out, a cost that clients on
         * other machines do not put on it. CPE_BENCH_WS_SLEEPY=1 measures without. */
        int spin = !sleepy && now - last_msg < 20;
        int k = epoll_wait(ep, evs, 1024, spin ? 0 : 100);
        if (k > 0) last_msg = now;
        for (int j = 0; j < k; j++) {
            wsc_t *x = &c[evs[j].data.u32];
            ssize_t r = read(x->fd, buf, sizeof buf);
            if (r <= 0) continue;
            cpe_wsc_feed(&x->p, buf, (size_t)r);
            int op;
            const unsigned char *pl;
            size_t pn;
            int64_t recv = cpe_now_ms();
            while (cpe_wsc_next(&x->p, &op, &pl, &pn) == 1) {
                if (op == 0x100) {
                    cpe_wsc_send_text(x->fd, sub, strlen(sub));
                    x->state = 1;
                    continue;
                }
                /* steady state: the clock starts once every subscription is acknowledged
                 * (before, updates queue behind the server's work on 5,000 subscribes) */
                if (op == 1 && x->state == 1 && memmem(pl, pn, "\"subscribed\"", 12)) {
                    x->state = 2;
                    subscribed++;
                    continue;
                }
                if (op != 1 || !t_end) continue;
                const char *em =
                    memchr(pl, 'e', pn) ? strstr((const char *)pl, "\"emitted_ms\":") : NULL;
                int64_t emitted = em && em < (const char *)pl + pn ? atoll(em + 13) : 0;
                /* updates emitted before the last acknowledgement met the subscribe backlog */
                if (emitted >= t_end - 12000 && nlat < cap) {
                    lat[nlat++] = (double)(recv - emitted);
                    update_seen(&ups, emitted, recv - emitted);
                }
            }
        }
        if (now >= next_rss) { /* sampled, not per wake-up: it costs the client a file read */
            long r = rss_kb(pid, "VmRSS:");
            if (r > peak) peak = r;
            next_rss = now + 100;
        }
    }
    fprintf(stderr, "bench_api: %d WebSocket clients connected, %zu candle deliveries measured\n",
            connected, nlat);
    if (nlat > 0) {
        qsort(lat, nlat, sizeof *lat, cmp_d);
        fprintf(stderr, "bench_api: fastest-slowest delivery of each update (ms):");
        for (int i = 0; i < ups.n; i++)
            fprintf(stderr, " %lld-%lld", (long long)ups.first[i], (long long)ups.worst[i]);
        fprintf(stderr, "\n");
        fprintf(stderr, "bench_api: delivery p50 %.0f, p90 %.0f, p99 %.0f, max %.0f ms\n",
                lat[nlat / 2], lat[(size_t)(0.9 * (double)(nlat - 1))],
                lat[(size_t)(0.99 * (double)(nlat - 1))], lat[nlat - 1]);
        char m[64];
        snprintf(m, sizeof m, "ws_p99_delivery_ms_%d_clients", connected);
        line(m, lat[(size_t)(0.99 * (double)(nlat - 1))], "ms", 50, 0);
        line("ws_server_rss_mb", (double)peak / 1024.0, "MB", 100, 0);
        line("ws_deliveries_per_client_per_s", (double)nlat / connected / 12.0, "msg/s", 1, 1);
    }
    for (int i = 0; i < connected; i++) {
        close(c[i].fd);
        cpe_wsc_parser_free(&c[i].p);
    }
    free(c);
    free(lat);
    close(ep);
    bench_stop_child(pid, "bench_api");
}

int main(void)
{
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/cpe-bench-api-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char db[256];
    snprintf(db, sizeof db, "%s/bench.db", dir);
    if (make_store(db)) return 1;
    const char *only = getenv("CPE_BENCH_ONLY"); /* market, predict or ws */
    if (!only || !strcmp(only, "market")) {
        bench_market_data(db);
        bench_market_data_http(db);
    }
    if (!only || !strcmp(only, "predict")) bench_predict(db);
    if (!only || !strcmp(only, "ws")) bench_ws(db);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 0;
    return 0;
}
