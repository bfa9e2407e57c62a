/*
 * ws_load.c — N WebSocket clients on one thread (epoll), spread over one or more servers,
 * timing every live message they receive: latency = arrival wall time - the message's
 * "emitted_ms" (the wall time the ingest pipeline made it; one machine, one clock), so it
 * covers the pipeline, the bus, the API node, nginx when the URL is nginx's, and this client.
 * Used by bench_ws_cluster.sh (issue #17 figures); the client's own cost is part of the
 * figure, which is why it is C on one thread with blocking-free reads and no per-message
 * allocation rather than a script.
 *
 * usage: ws_load --url ws://HOST:PORT/ws [--url ...] --clients N --seconds S --send JSON
 *                [--match TEXT] [--rss PID]...
 * Clients go to the URLs in turn. The clock starts once every client's subscription is
 * acknowledged (a frame containing "subscribed") plus one second (the backlog of the
 * subscribes drained); messages emitted before that are not counted. --match: only frames
 * containing TEXT count (default "emitted_ms"). --rss: the peak VmRSS of these processes,
 * sampled every 200 ms, is printed too, and the CPU time (user + system) each of them and
 * this client used per second of the window: at one update a second, the cost of an update.
 * Prints one JSON line: {"clients","connected","subscribed","samples","per_client_per_s",
 * "p50_ms","p90_ms","p99_ms","max_ms","updates","first_p50_ms","spread_p50_ms","rss_mb":[...],
 * "cpu_ms_per_s":[each --rss process..., this client]}
 * (latencies in ms, 0.1 ms resolution; per update: its first client's latency, and from its
 * first to its last client, medians over the updates: the path vs the fan-out).
 */
#define _GNU_SOURCE /* memmem */
#include "cli/wsclient.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_URLS 8
#define MAX_PIDS 8 /* --rss processes; this client's own CPU is read after them */

typedef struct client {
    int fd, state; /* 0 handshake, 1 subscribe sent, 2 acknowledged */
    cpe_wsc_parser_t p;
} client_t;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long rss_kb(int pid)
{
    char path[64], ln[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (!f) return -1;
    while (fgets(ln, sizeof ln, f))
        if (!strncmp(ln, "VmRSS:", 6)) v = atol(ln + 6);
    fclose(f);
    return v;
}

/* CPU time (user + system) of a process in ms, from /proc/PID/stat; -1 when unreadable. */
static double cpu_ms(int pid)
{
    char path[64], ln[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *p = fgets(ln, sizeof ln, f) ? strrchr(ln, ')') : NULL;
    fclose(f);
    unsigned long ut = 0, st = 0;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

typedef struct url {
    char host[64], path[128];
    int port;
} url_t;

static int parse_url(const char *s, url_t *u)
{
    if (strncmp(s, "ws://", 5)) return -1;
    const char *h = s + 5, *colon = strchr(h, ':'), *slash = strchr(h, '/');
    if (!colon || (slash && slash < colon) || (size_t)(colon - h) >= sizeof u->host) return -1;
    memcpy(u->host, h, (size_t)(colon - h));
    u->host[colon - h] = 0;
    u->port = atoi(colon + 1);
    snprintf(u->path, sizeof u->path, "%s", slash ? slash : "/");
    return u->port > 0 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: ws_load --url ws://HOST:PORT/ws [--url ...] --clients N --seconds S "
                    "--send JSON [--match TEXT] [--rss PID]...\n");
    exit(2);
}

/* Each update (one emitted_ms) reaches every client: its first and last arrival tell the
 * path's own latency (first) from the fan-out over the clients (last - first). */
#define MAX_UPDATES 512
typedef struct update {
    double emitted, first, last;
} update_t;

typedef struct run {
    client_t *c;
    int n, connected, subscribed;
    const char *sub, *match;
    double t_start, t_end; /* measuring window: emitted in [t_start, t_end) */
    double *lat;
    size_t nlat, cap;
    update_t up[MAX_UPDATES];
    int nup;
} run_t;

static void update_seen(run_t *r, double emitted, double lat)
{
    int i = r->nup - 1;
    while (i >= 0 && r->up[i].emitted != emitted)
        i--;
    if (i < 0) {
        if (r->nup == MAX_UPDATES) return;
        i = r->nup++;
        r->up[i] = (update_t){emitted, lat, lat};
    }
    if (lat < r->up[i].first) r->up[i].first = lat;
    if (lat > r->up[i].last) r->up[i].last = lat;
}

/* The median over the updates of their first arrival (what = 0) or their spread (1). */
static double update_median(run_t *r, int what)
{
    double v[MAX_UPDATES];
    for (int i = 0; i < r->nup; i++)
        v[i] = what ? r->up[i].last - r->up[i].first : r->up[i].first;
    qsort(v, (size_t)r->nup, sizeof v[0], cmp_d);
    return r->nup ? v[r->nup / 2] : -1.0;
}

/* One client's readable socket: complete the upgrade, subscribe, time its frames. */
static void on_readable(run_t *r, client_t *x, char *buf, size_t bufsz)
{
    ssize_t got;
    while ((got = read(x->fd, buf, bufsz)) > 0) {
        double arrival = now_ms();
        if (cpe_wsc_feed(&x->p, buf, (size_t)got)) return;
        int op;
        const unsigned char *pl;
        size_t pn;
        while (cpe_wsc_next(&x->p, &op, &pl, &pn) == 1) {
            if (op == 0x100) {
                cpe_wsc_send_text(x->fd, r->sub, strlen(r->sub));
                x->state = 1;
                continue;
            }
            if (op != 1) continue;
            if (x->state == 1 && memmem(pl, pn, "\"subscribed\"", 12)) {
                x->state = 2;
                r->subscribed++;
                continue;
            }
            if (!r->t_start || !memmem(pl, pn, r->match, strlen(r->match))) continue;
            const char *em = memmem(pl, pn, "\"emitted_ms\":", 13);
            if (!em) continue;
            double emitted = (double)strtoll(em + 13, NULL, 10);
            if (emitted >= r->t_start && emitted < r->t_end && r->nlat < r->cap) {
                r->lat[r->nlat++] = arrival - emitted;
                update_seen(r, emitted, arrival - emitted);
            }
        }
        if ((size_t)got < bufsz) return;
    }
}

int main(int argc, char **argv)
{
    url_t urls[MAX_URLS];
    int nurls = 0, pids[MAX_PIDS + 1], npids = 0, nclients = 0;
    double secs = 10;
    run_t r = {.match = "emitted_ms"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(a, "--url") && nurls < MAX_URLS) {
            if (parse_url(v, &urls[nurls++])) usage();
        } else if (!strcmp(a, "--clients"))
            nclients = atoi(v);
        else if (!strcmp(a, "--seconds"))
            secs = atof(v);
        else if (!strcmp(a, "--send"))
            r.sub = v;
        else if (!strcmp(a, "--match"))
            r.match = v;
        else if (!strcmp(a, "--rss") && npids < MAX_PIDS)
            pids[npids++] = atoi(v);
        else
            usage();
        i++;
    }
    if (!nurls || nclients < 1 || !r.sub || secs <= 0) usage();
    struct rlimit rl; /* one descriptor per client: as many as the hard limit allows */
    if (!getrlimit(RLIMIT_NOFILE, &rl)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    r.c = calloc((size_t)nclients, sizeof *r.c);
    r.cap = (size_t)nclients * (size_t)(secs * 4 + 8);
    r.lat = malloc(r.cap * sizeof *r.lat);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!r.c || !r.lat || ep < 0) return 1;
    for (int i = 0; i < nclients; i++) {
        const url_t *u = &urls[i % nurls];
        char err[160];
        client_t *x = &r.c[r.n];
        x->fd = cpe_wsc_connect(u->host, u->port, u->path, 0, err, sizeof err);
        if (x->fd < 0) {
            fprintf(stderr, "ws_load: client %d: %s\n", i, err);
            break;
        }
        fcntl(x->fd, F_SETFL, O_NONBLOCK);
        cpe_wsc_parser_init(&x->p, 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)r.n};
        epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
        r.n++;
    }
    r.connected = r.n;
    struct epoll_event evs[1024];
    static char buf[65536];
    long peak[MAX_PIDS] = {0};
    double t0 = now_ms(), next_rss = 0, cpu0[MAX_PIDS + 1] = {0}, cpu1[MAX_PIDS + 1] = {0};
    int measuring = 0;      /* 1 inside the window, 2 after it */
    pids[npids] = getpid(); /* this client's own CPU, last */
    for (;;) {
        double t = now_ms();
        if (!r.t_start && r.subscribed == r.connected) {
            r.t_start = t + 1000;
            r.t_end = r.t_start + secs * 1000;
        }
        if (measuring < 2 && r.t_start && t >= (measuring ? r.t_end : r.t_start)) {
            for (int i = 0; i <= npids; i++)
                (measuring ? cpu1 : cpu0)[i] = cpu_ms(pids[i]);
            measuring++;
        }
        if ((r.t_end && t > r.t_end + 2000) || (!r.t_start && t - t0 > 120000)) break;
        int k = epoll_wait(ep, evs, 1024, 100);
        for (int j = 0; j < k; j++)
            on_readable(&r, &r.c[evs[j].data.u32], buf, sizeof buf);
        if (t >= next_rss) {
            for (int i = 0; i < npids; i++) {
                long v = rss_kb(pids[i]);
                if (v > peak[i]) peak[i] = v;
            }
            next_rss = t + 200;
        }
    }
    qsort(r.lat, r.nlat, sizeof *r.lat, cmp_d);
#define Q(p) (r.nlat ? r.lat[(size_t)((p) * (double)(r.nlat - 1))] : -1.0)
    printf("{\"clients\":%d,\"connected\":%d,\"subscribed\":%d,\"samples\":%zu,"
           "\"per_client_per_s\":%.2f,\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,"
           "\"max_ms\":%.1f,\"updates\":%d,\"first_p50_ms\":%.1f,\"spread_p50_ms\":%.1f,"
           "\"rss_mb\":[",
           nclients, r.connected, r.subscribed, r.nlat,
           r.connected ? (double)r.nlat / r.connected / secs : 0.0, Q(0.5), Q(0.9), Q(0.99),
           r.nlat ? r.lat[r.nlat - 1] : -1.0, r.nup, update_median(&r, 0), update_median(&r, 1));
    for (int i = 0; i < npids; i++)
        printf("%s%.1f", i ? "," : "", (double)peak[i] / 1024.0);
    /* CPU per update in the window (a second's worth at one update a second) */
    printf("],\"cpu_ms_per_s\":[");
    for (int i = 0; i <= npids; i++)
        printf("%s%.1f", i ? "," : "", measuring == 2 ? (cpu1[i] - cpu0[i]) / secs : -1.0);
    printf("]}\n");
    for (int i = 0; i < r.n; i++) {
        close(r.c[i].fd);
        cpe_wsc_parser_free(&r.c[i].p);
    }
    free(r.c);
    free(r.lat);
    close(ep);
    return r.nlat ? 0 : 1;
}
