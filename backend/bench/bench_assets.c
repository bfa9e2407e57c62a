/* bench_assets.c — many configured assets on one `cpe serve` (issue 15), one JSON line each:
 *   close_to_all_predicted_p99_ms, _p50_ms, _max_ms
 *                       per closed minute: from the first closed candle of that minute the
 *                       server emits (the close as the pipeline sees it) to the last
 *                       prediction it emits for ALL assets of that minute (target p99 <= 100)
 *   close_to_predicted_p99_ms
 *                       the same per (asset, minute)
 *   minutes_incomplete  closed minutes in the window where some asset got no prediction
 *   server_rss_mb       the live server's peak RSS (VmHWM) after the run (target <= 200 MB)
 *   predict_rps         wrk -t2 -c64 -d6s GET /predict of the last configured asset (the
 *                       longest look-up) on a second server, `--source store`, as bench_api
 *                       measures it (median of 3; target >= 30,000 req/s)
 * Setup: N assets (default 10, CPE_BENCH_ASSETS=N) simulated for 3 days into a temporary
 * store, a champion trained per asset (40 boosting rounds, in a child process), then
 * `cpe serve --source simulate` forked with CPE_ASSETS set to them and a simulated minute every
 * CPE_BENCH_MINUTE_MS (default 2000) ms; one WebSocket client subscribes to every asset's 1m
 * candles and predictions for CPE_BENCH_SECONDS (default 60). Times are the server's
 * emitted_ms stamps (one clock), so the figure is the pipeline's, not the socket's.
 */
#define _GNU_SOURCE
#include "api/server.h"
#include "common/serve_child.h"
#include "cli/wsclient.h"
#include "cpe/sim.h"
#include "cpe/timeutil.h"
#include "cpe/trainer.h"

#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MIN 1024
static const char *const names[] = {"BTC",  "ETH", "SOL", "BNB", "XRP",  "ADA",  "DOGE", "AVAX",
                                    "LINK", "DOT", "TRX", "LTC", "ATOM", "NEAR", "APT",  "ARB"};
#define NNAMES (sizeof names / sizeof names[0])

static void line(const char *metric, double v, const char *unit, double target, int higher)
{
    int ok = isnan(target) || (higher ? v >= target : v <= target);
    printf("{\"bench\":\"assets\",\"metric\":\"%s\",\"value\":%.4g,\"unit\":\"%s\"", metric, v,
           unit);
    if (!isnan(target)) printf(",\"target\":%g,\"ok\":%s", target, ok ? "true" : "false");
    printf("}\n");
    fflush(stdout);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    if (!n) return NAN;
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)ceil(p * (double)n) - 1;
    return v[i < n ? i : n - 1];
}

static int env_int(const char *k, int def, int lo, int hi)
{
    const char *v = getenv(k);
    int x = v && *v ? atoi(v) : def;
    return x < lo ? lo : x > hi ? hi : x;
}

/* 3 simulated days of every symbol, then a champion per symbol (in a child: xgboost's
 * OpenMP threads do not survive the forks that follow). */
static int make_store(const char *db, const char *models, char sym[][32], int n)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        cpe_store_t *st = NULL;
        cpe_diag_t d = {0};
        const char *syms[CPE_SIM_MAX_SYMBOLS];
        for (int i = 0; i < n; i++)
            syms[i] = sym[i];
        cpe_sim_config_t c;
        cpe_sim_t *sim = NULL;
        cpe_sim_write_stats_t ws;
        int64_t end = cpe_floor_ms(cpe_now_ms(), CPE_MS_PER_MIN);
        int rc = cpe_store_open(db, &st, &d);
        if (!rc) rc = cpe_sim_config_default(&c, syms, (size_t)n, 5, end - 3 * CPE_MS_PER_DAY, &d);
        if (!rc) rc = cpe_sim_new(&c, &sim, &d);
        if (!rc) rc = cpe_sim_write(st, sim, 3 * 1440, &ws, &d);
        cpe_sim_free(sim);
        for (int i = 0; !rc && i < n; i++) {
            cpe_train_config_t tc;
            cpe_train_config_default(&tc);
            tc.models = models;
            tc.champion = CPE_TRAIN_CHAMPION_ALWAYS;
            tc.ms.cls.max_rounds = tc.ms.reg.max_rounds = 40;
            cpe_train_result_t res = {0};
            rc = cpe_trainer_run(st, sym[i], &tc, &res, &d);
            cpe_train_result_free(&res);
        }
        if (rc) fprintf(stderr, "bench_assets: store: %s\n", d.msg);
        cpe_store_close(st);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    return waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) ? -1 : 0;
}

typedef struct obs {
    int n;
    int64_t t0;               /* open time of minute 0 */
    double close[MAX_MIN];    /* first closed-candle emission of the minute */
    double pred[MAX_MIN][32]; /* last prediction emission per asset */
} obs_t;

static void record(obs_t *o, const char *msg, size_t len)
{
    json_t *j = json_loadb(msg, len, 0, NULL);
    if (!j) return;
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *asset = json_string_value(json_object_get(j, "asset"));
    double em = json_number_value(json_object_get(j, "emitted_ms"));
    int closed = json_is_true(json_object_get(j, "closed"));
    json_t *t = type && !strcmp(type, "candle") ? json_object_get(json_object_get(j, "bar"), "t")
                                                : json_object_get(j, "t_ms");
    int a = -1;
    for (int i = 0; asset && i < o->n; i++)
        if (!strcmp(asset, names[i])) a = i;
    if (type && a >= 0 && json_is_integer(t) && em > 0) {
        int64_t ts = json_integer_value(t);
        if (!o->t0) o->t0 = ts;
        int64_t m = (ts - o->t0) / CPE_MS_PER_MIN;
        if (m >= 0 && m < MAX_MIN) {
            if (!strcmp(type, "candle") && closed && (o->close[m] == 0 || em < o->close[m]))
                o->close[m] = em;
            if (!strcmp(type, "prediction") && em > o->pred[m][a]) o->pred[m][a] = em;
        }
    }
    json_decref(j);
}

/* Read frames for up to ms; text frames go to o (when given). 1 once the upgrade was seen
 * (until_upgrade: return then), 0 at the end of the time, -1 when the connection ends. */
static int pump(int fd, cpe_wsc_parser_t *p, obs_t *o, int64_t ms, int until_upgrade, long *frames)
{
    static char buf[1 << 16];
    int64_t end = cpe_now_ms() + ms;
    while (cpe_now_ms() < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0) continue;
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0 || cpe_wsc_feed(p, buf, (size_t)r)) return -1;
        int op, rc;
        const unsigned char *pl;
        size_t plen;
        while ((rc = cpe_wsc_next(p, &op, &pl, &plen)) == 1) {
            if (op == 0x100 && until_upgrade) return 1;
            if (op == 1 && o) {
                record(o, (const char *)pl, plen);
                (*frames)++;
            }
        }
        if (rc < 0) return -1;
    }
    return 0;
}

/* One client subscribed to every asset's candles and predictions for run_ms. */
static int watch(int port, obs_t *o, int64_t run_ms)
{
    char err[256], sub[160];
    long frames = 0;
    int fd = cpe_wsc_connect("127.0.0.1", port, "/ws", 0, err, sizeof err);
    if (fd < 0) return fprintf(stderr, "bench_assets: ws: %s\n", err), -1;
    cpe_wsc_parser_t p;
    cpe_wsc_parser_init(&p, 0); /* the 101 response is still to be read */
    int rc = pump(fd, &p, NULL, 10000, 1, &frames) == 1 ? 0 : -1;
    for (int i = 0; !rc && i < o->n; i++)
        for (int ch = 0; !rc && ch < 2; ch++) {
            int k = snprintf(sub, sizeof sub,
                             "{\"op\":\"subscribe\",\"channel\":\"%s\",\"asset\":\"%s\"}",
                             ch ? "predictions" : "candles", names[i]);
            rc = cpe_wsc_send_text(fd, sub, (size_t)k);
        }
    if (!rc && pump(fd, &p, o, run_ms, 0, &frames) < 0) rc = -1;
    if (rc) fprintf(stderr, "bench_assets: ws: the connection failed or ended\n");
    fprintf(stderr, "bench_assets: %ld messages received\n", frames);
    cpe_wsc_parser_free(&p);
    close(fd);
    return rc;
}

static void report_latency(const obs_t *o)
{
    static double all[MAX_MIN], each[MAX_MIN * 32];
    size_t na = 0, ne = 0;
    int incomplete = 0;
    /* whole minutes only: the first and last seen may be cut by the window */
    int last = 0;
    for (int m = 0; m < MAX_MIN; m++)
        if (o->close[m] > 0) last = m;
    for (int m = 1; m < last; m++) {
        if (o->close[m] == 0) continue;
        double worst = 0;
        int missing = 0;
        for (int a = 0; a < o->n; a++) {
            if (o->pred[m][a] == 0) {
                missing = 1;
                continue;
            }
            double l = o->pred[m][a] - o->close[m];
            each[ne++] = l;
            if (l > worst) worst = l;
        }
        if (missing)
            incomplete++;
        else
            all[na++] = worst;
        if (getenv("CPE_BENCH_VERBOSE"))
            fprintf(stderr, "bench_assets: minute %d: all predicted %.0f ms after the close%s\n", m,
                    worst, missing ? " (some asset missing)" : "");
    }
    line("minutes_measured", (double)na, "minutes", NAN, 0);
    line("minutes_incomplete", (double)incomplete, "minutes", 0, 0);
    line("close_to_all_predicted_p50_ms", pct(all, na, 0.50), "ms", NAN, 0);
    line("close_to_all_predicted_p99_ms", pct(all, na, 0.99), "ms", 100, 0);
    line("close_to_all_predicted_max_ms", pct(all, na, 1.0), "ms", NAN, 0);
    line("close_to_predicted_p99_ms", pct(each, ne, 0.99), "ms", 100, 0);
}

static void bench_predict(int port, const char *asset)
{
    if (system("command -v wrk >/dev/null 2>&1")) {
        fprintf(stderr, "bench_assets: wrk is not installed (scripts/bootstrap.sh --with-bench)\n");
        return;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "wrk -t2 -c64 -d6s 'http://127.0.0.1:%d/predict?asset=%s&horizon_hours=4' 2>&1", port,
             asset);
    double rps[3];
    int runs = 0;
    for (int r = 0; r < 3; r++) {
        FILE *f = popen(cmd, "r");
        if (!f) break;
        char ln[256];
        rps[runs] = NAN;
        while (fgets(ln, sizeof ln, f)) {
            if (strstr(ln, "Requests/sec:")) rps[runs] = atof(strchr(ln, ':') + 1);
            if (strstr(ln, "Non-2xx")) fprintf(stderr, "bench_assets: /predict non-2xx: %s", ln);
        }
        pclose(f);
        if (!isnan(rps[runs])) runs++;
    }
    if (runs) line("predict_rps", pct(rps, (size_t)runs, 0.5), "req/s", 30000, 1);
}

static double rss_peak_mb(pid_t pid)
{
    char path[64], ln[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kb = NAN;
    while (f && fgets(ln, sizeof ln, f))
        if (!strncmp(ln, "VmHWM:", 6)) kb = atof(ln + 6);
    if (f) fclose(f);
    return kb / 1024.0;
}

int main(void)
{
    int n = env_int("CPE_BENCH_ASSETS", 10, 1, (int)NNAMES);
    int minute_ms = env_int("CPE_BENCH_MINUTE_MS", 2000, 200, 60000);
    int seconds = env_int("CPE_BENCH_SECONDS", 60, 10, 3600);
    /* CPE_BENCH_DIR: reuse a directory this benchmark filled (kept with CPE_BENCH_KEEP=1) */
    const char *reuse = getenv("CPE_BENCH_DIR");
    char dir[128] = "/tmp/cpe-bench-assets-XXXXXX", db[160], models[160], sym[NNAMES][32];
    if (reuse && *reuse)
        snprintf(dir, sizeof dir, "%s", reuse);
    else if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(db, sizeof db, "%s/s.db", dir);
    snprintf(models, sizeof models, "%s/models", dir);
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    c.assets[0] = 0;
    for (int i = 0; i < n; i++) {
        snprintf(sym[i], sizeof sym[i], "%sUSDT", names[i]);
        snprintf(c.assets + strlen(c.assets), sizeof c.assets - strlen(c.assets), "%s%s",
                 i ? "," : "", names[i]);
    }
    fprintf(stderr, "bench_assets: %d assets (%s): simulating 3 days, training\n", n, c.assets);
    if (!(reuse && *reuse) && make_store(db, models, sym, n)) return 1;
    int port = bench_free_port();
    c.port = port;
    snprintf(c.db, sizeof c.db, "%s", db);
    snprintf(c.models, sizeof c.models, "%s", models);
    snprintf(c.source, sizeof c.source, "simulate");
    c.minute_ms = minute_ms;
    c.rate_limit_per_min = 0;
    c.retrain = 0;
    pid_t pid = bench_fork_serve(&c, 1);
    if (pid < 0 || bench_wait_port(port)) return fprintf(stderr, "bench_assets: no server\n"), 1;
    fprintf(stderr, "bench_assets: serving; watching %d s\n", seconds);
    static obs_t o;
    o.n = n;
    if (watch(port, &o, (int64_t)seconds * 1000) == 0) report_latency(&o);
    line("server_rss_mb", rss_peak_mb(pid), "MB", 200, 0);
    bench_stop_child(pid, "bench_assets");
    c.port = port = bench_free_port();
    snprintf(c.source, sizeof c.source, "store");
    pid = bench_fork_serve(&c, 1);
    if (pid > 0 && !bench_wait_port(port)) bench_predict(port, names[n - 1]);
    if (pid > 0) bench_stop_child(pid, "bench_assets");
    line("assets", n, "assets", NAN, 0);
    const char *keep = getenv("CPE_BENCH_KEEP");
    char rm[160];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (keep && *keep == '1')
        fprintf(stderr, "bench_assets: kept %s\n", dir);
    else if (!(reuse && *reuse) && system(rm))
        fprintf(stderr, "bench_assets: could not remove %s\n", dir);
    return 0;
}
