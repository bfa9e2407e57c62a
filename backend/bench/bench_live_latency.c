/*
 * bench_live_latency.c — tick to WebSocket client on loopback (live-data issue: p99 <= 20 ms).
 *
 * A Binance exchange double (tests/tools/exchange_double, --partial 1: every market minute
 * an in-progress kline then the closed one; one market minute every 100 ms) feeds a forked
 * `cpe serve --source live` (the other exchanges point at a closed port); N WebSocket
 * clients (default 100, CPE_BENCH_LIVE_CLIENTS) subscribe to BTC 1m candles. Every candle
 * carries source_ms, the wall time its exchange frame arrived at the server's feed; the
 * latency of a message is its arrival at the client minus source_ms (same clock), so it
 * covers parsing, the feed queue, the pipeline thread, the store write of closed bars, the
 * server's queues and the loopback hop. One JSON line: samples, p50, p99, max.
 */
#define _GNU_SOURCE /* memmem */
#include "api/server.h"
#include "common/serve_child.h"
#include "cli/wsclient.h"
#include "cpe/timeutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CLIENTS 5000
#define RUN_MS 10000

static pid_t start_double(const char *exe_dir, int port)
{
    char path[PATH_MAX + 32], ports[16];
    snprintf(path, sizeof path, "%s/exchange_double", exe_dir);
    snprintf(ports, sizeof ports, "%d", port);
    pid_t pid = fork();
    if (pid != 0) return pid;
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(path, path, "--flavor", "binance", "--port", ports, "--minute-ms", "100", "--partial",
          "1", (char *)NULL);
    _exit(127);
}

static pid_t start_server(const char *db, int port)
{
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    c.port = port;
    snprintf(c.db, sizeof c.db, "%s", db);
    snprintf(c.source, sizeof c.source, "live");
    snprintf(c.symbols, sizeof c.symbols, "BTCUSDT");
    c.rate_limit_per_min = 0;
    c.ws_queue_drop = 100000;
    c.retrain = 0;
    c.predict = 0;
    return bench_fork_serve(&c, 1);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 1;
    exe[n] = 0;
    *strrchr(exe, '/') = 0;
    int nclients = getenv("CPE_BENCH_LIVE_CLIENTS") ? atoi(getenv("CPE_BENCH_LIVE_CLIENTS")) : 100;
    if (nclients < 1 || nclients > MAX_CLIENTS) nclients = 100;

    char dir[] = "/tmp/cpe-bench-live-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char db[256], url[64], dead[64];
    snprintf(db, sizeof db, "%s/live.db", dir);
    int pdouble = bench_free_port(), pserve = bench_free_port(), pdead = bench_free_port();
    snprintf(url, sizeof url, "127.0.0.1:%d", pdouble);
    snprintf(dead, sizeof dead, "127.0.0.1:%d", pdead);
    static const char *const ex[] = {"BINANCE", "BYBIT", "OKX"};
    for (int e = 0; e < 3; e++)
        for (int m = 0; m < 2; m++) {
            char k1[64], k2[64], v1[96], v2[96];
            const char *mk = m ? "PERP" : "SPOT", *host = e == 0 && m == 1 ? url : dead;
            snprintf(k1, sizeof k1, "CPE_%s_WS_%s", ex[e], mk);
            snprintf(k2, sizeof k2, "CPE_%s_REST_%s", ex[e], mk);
            snprintf(v1, sizeof v1, "ws://%s", host);
            snprintf(v2, sizeof v2, "http://%s", host);
            setenv(k1, v1, 1);
            setenv(k2, v2, 1);
        }
    pid_t pd = start_double(exe, pdouble);
    if (bench_wait_port(pdouble)) {
        fprintf(stderr,
                "bench_live_latency: the exchange double did not start (%s/exchange_double)\n",
                exe);
        bench_stop_child(pd, "bench_live_latency");
        return 1;
    }
    pid_t ps = start_server(db, pserve);
    if (bench_wait_port(pserve)) {
        fprintf(stderr, "bench_live_latency: cpe serve did not start\n");
        bench_stop_child(ps, "bench_live_latency");
        bench_stop_child(pd, "bench_live_latency");
        return 1;
    }
    static struct pollfd pfd[MAX_CLIENTS];
    static cpe_wsc_parser_t par[MAX_CLIENTS];
    const char *sub =
        "{\"op\":\"subscribe\",\"channel\":\"candles\",\"asset\":\"BTC\",\"interval\":\"1m\"}";
    int ok = 0;
    for (int i = 0; i < nclients; i++) {
        char err[128];
        int fd = cpe_wsc_connect("127.0.0.1", pserve, "/ws", 0, err, sizeof err);
        if (fd < 0 || cpe_wsc_send_text(fd, sub, strlen(sub))) {
            fprintf(stderr, "bench_live_latency: client %d: %s\n", i, err);
            if (fd >= 0) close(fd);
            pfd[i].fd = -1;
            continue;
        }
        pfd[i] = (struct pollfd){.fd = fd, .events = POLLIN};
        cpe_wsc_parser_init(&par[i], 0); /* the 101 response is still to be read */
        ok++;
    }
    size_t cap = 1 << 20, ns = 0;
    int64_t *lat = malloc(cap * sizeof *lat);
    int64_t end = cpe_now_ms() + RUN_MS;
    unsigned char buf[65536];
    while (cpe_now_ms() < end && lat) {
        if (poll(pfd, (nfds_t)nclients, 100) <= 0) continue;
        for (int i = 0; i < nclients; i++) {
            if (pfd[i].fd < 0 || !(pfd[i].revents & POLLIN)) continue;
            ssize_t r = recv(pfd[i].fd, buf, sizeof buf, 0);
            int64_t now = cpe_now_ms();
            if (r <= 0 || cpe_wsc_feed(&par[i], buf, (size_t)r)) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                continue;
            }
            int op;
            const unsigned char *pl;
            size_t plen;
            while (cpe_wsc_next(&par[i], &op, &pl, &plen) == 1) {
                if (op != 1) continue;
                const char *s = memmem(pl, plen, "\"source_ms\":", 12);
                if (!s || ns == cap) continue;
                lat[ns++] = now - strtoll(s + 12, NULL, 10);
            }
        }
    }
    for (int i = 0; i < nclients; i++)
        if (pfd[i].fd >= 0) {
            close(pfd[i].fd);
            cpe_wsc_parser_free(&par[i]);
        }
    bench_stop_child(ps, "bench_live_latency");
    bench_stop_child(pd, "bench_live_latency");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_live_latency: could not remove %s\n", dir);
    if (!lat || ns == 0) {
        fprintf(stderr, "bench_live_latency: no candle with source_ms arrived\n");
        free(lat);
        return 1;
    }
    qsort(lat, ns, sizeof *lat, cmp_i64);
    printf("{\"bench\":\"live_tick_to_ws\",\"metric\":\"p99_ms\",\"value\":%lld,\"unit\":\"ms\","
           "\"target\":20,\"p50_ms\":%lld,\"max_ms\":%lld,\"samples\":%zu,\"clients\":%d}\n",
           (long long)lat[ns * 99 / 100], (long long)lat[ns / 2], (long long)lat[ns - 1], ns, ok);
    free(lat);
    return 0;
}
