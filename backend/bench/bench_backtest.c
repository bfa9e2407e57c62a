/* bench_backtest.c — backtest figures (issue 6, issue 9 item 3), one JSON line each:
 *
 *   event_loop_year_1m_bars_per_s  the strategy loop (funding, execution, mark, strategy +
 *                                  risk controller, metrics) over one year of 1m bars with
 *                                  precomputed 4 h predictions every 5 min (target >= 1e7)
 *   signals_500k_process_ms        `cpe backtest --signals` on 500,000 bars, whole process
 *                                  (parse, run, JSON to --out; target <= 500)
 *   cli_year_process_ms            `cpe backtest` of one year of 1m bars, whole process
 *                                  (store read, funding, stored predictions, run, JSON;
 *                                  target <= 2000) on a store built here: `cpe simulate
 *                                  --days 366` plus synthetic 4 h predictions every 5 min
 *                                  (stored records; their values only steer the strategy)
 *   post_backtest_90d_p50_ms       POST /backtest for 90 days on `cpe serve` over the same
 *                                  store, until GET says done (p50 of 9; target <= 1000)
 *
 * With CPE_BENCH_DB=PATH (a store with backfilled predictions, e.g. the real data after
 * `cpe predict --backfill`) and CPE_BENCH_FROM/CPE_BENCH_TO, the two store figures are
 * measured on that store instead. The cpe binary is the one beside this program.
 * CPE_BENCH_KEEP=1 keeps the scratch directory (the store, the signals file) for profiling. */
#include "backtest/bt_int.h"
#include "cpe/rng.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define YEAR_BARS 525600
#define SIG_BARS 500000

static char cpe_bin[PATH_MAX], tmpdir[PATH_MAX];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* higher is better when ge */
static void line(const char *metric, double value, const char *unit, double target, int ge,
                 const char *note)
{
    int ok = ge ? value >= target : value <= target;
    printf("{\"bench\":\"backtest\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s%s%s%s}\n",
           metric, value, unit, target, ok ? "true" : "false", note ? ",\"note\":\"" : "",
           note ? note : "", note ? "\"" : "");
    fflush(stdout);
}

/* ---- 1. the event loop ------------------------------------------------------------------ */

static void bench_loop(void)
{
    static int64_t ts[YEAR_BARS];
    static double o[YEAR_BARS], h[YEAR_BARS], l[YEAR_BARS], c[YEAR_BARS];
    static cpe_bt_pred_t pr[YEAR_BARS / 5 + 1];
    static cpe_bt_funding_t fu[366 * 3];
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 1);
    double p = 40000;
    int64_t t0 = 1704067200000LL;
    size_t np = 0, nf = 0;
    for (size_t i = 0; i < YEAR_BARS; i++) {
        ts[i] = t0 + (int64_t)i * CPE_MS_PER_MIN;
        o[i] = p;
        p *= exp(0.0008 * cpe_rng_normal(&rng));
        c[i] = p;
        h[i] = fmax(o[i], c[i]) * 1.0002;
        l[i] = fmin(o[i], c[i]) * 0.9998;
        if (i % 5 == 0) {
            double u = cpe_rng_uniform(&rng);
            pr[np++] = (cpe_bt_pred_t){ts[i], 0.35 + 0.3 * u, 0.02 * (u - 0.5), 0.012, 0};
        }
        if (ts[i] % (8 * CPE_MS_PER_HOUR) == 0) fu[nf++] = (cpe_bt_funding_t){ts[i], 0.0001};
    }
    cpe_bt_bars_t bars = {ts, o, h, l, c, YEAR_BARS, CPE_MS_PER_MIN};
    cpe_bt_preds_t preds = {4, pr, np};
    cpe_bt_config_t cfg;
    cpe_bt_config_default(&cfg);
    static double eq[YEAR_BARS], pos[YEAR_BARS];
    double t[7];
    size_t trades = 0;
    for (int r = 0; r < 7; r++) {
        cpe_bt_book_t book;
        cpe_bt_metrics_t m;
        double a = now_ms();
        bt_pass(&cfg, &bars, &preds, 1, fu, nf, eq, pos, &book, &m, NULL);
        t[r] = now_ms() - a;
        trades = book.n_trades;
        cpe_bt_book_free(&book);
    }
    char note[96];
    snprintf(note, sizeof note, "%zu trades, median of 7", trades);
    line("event_loop_year_1m_bars_per_s", YEAR_BARS / (median(t, 7) / 1e3), "bars/s", 1e7, 1, note);
}

/* ---- whole processes -------------------------------------------------------------------- */

static double children_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* wall time of a command; its CPU time (user + sys, it and its children) into *cpu */
static double run_ms(const char *cmd, double *cpu)
{
    double c = children_cpu_ms(), a = now_ms();
    int rc = system(cmd);
    double ms = now_ms() - a;
    *cpu = children_cpu_ms() - c;
    if (rc != 0) fprintf(stderr, "bench_backtest: '%s' exited %d\n", cmd, rc);
    return rc == 0 ? ms : NAN;
}

static void bench_signals(void)
{
    char path[PATH_MAX + 32], cmd[5 * PATH_MAX];
    snprintf(path, sizeof path, "%s/signals.csv", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 2);
    double p = 40000;
    int s = 0;
    fprintf(f, "ts,open,high,low,close,signal\n");
    for (int i = 0; i < SIG_BARS; i++) {
        double o = p;
        p *= exp(0.0008 * cpe_rng_normal(&rng));
        if (cpe_rng_below(&rng, 50) == 0) s = (int)cpe_rng_below(&rng, 3) - 1;
        fprintf(f, "%lld,%.2f,%.2f,%.2f,%.2f,%d\n", 1704067200000LL + (long long)i * 60000, o,
                fmax(o, p) + 1, fmin(o, p) - 1, p, s);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s backtest --signals %s --out %s/sig.json >/dev/null", cpe_bin,
             path, tmpdir);
    double t[5], c[5];
    for (int r = 0; r < 5; r++)
        t[r] = run_ms(cmd, &c[r]);
    line("signals_500k_process_ms", median(t, 5), "ms", 500, 0, "median of 5, parse + run + JSON");
    line("signals_500k_process_cpu_ms", median(c, 5), "ms", 500, 0, "user + sys of the process");
}

/* A simulated year with synthetic stored 4 h predictions every 5 min. */
static int build_store(char *db, size_t cap, int64_t *from, int64_t *to)
{
    char cmd[5 * PATH_MAX];
    snprintf(db, cap, "%s/year.db", tmpdir);
    snprintf(cmd, sizeof cmd,
             "%s simulate --days 366 --seed 4 --symbols BTCUSDT --db %s >/dev/null", cpe_bin, db);
    if (system(cmd)) return -1;
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(db, &st, &d)) return -1;
    cpe_kline_t *k = NULL;
    size_t n = 0;
    if (cpe_store_read_klines(st, "sim:spot:BTCUSDT", "kline:1m", INT64_MIN, INT64_MAX, &k, &n) ||
        n < YEAR_BARS) {
        cpe_store_close(st);
        free(k);
        return -1;
    }
    *to = k[n - 1].ts_ms - k[n - 1].ts_ms % CPE_MS_PER_DAY;
    *from = *to - 365 * CPE_MS_PER_DAY;
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 5);
    st->ops->begin(st);
    for (size_t i = 0; i < n; i++) {
        if (k[i].ts_ms < *from || k[i].ts_ms >= *to || k[i].ts_ms % (5 * CPE_MS_PER_MIN)) continue;
        cpe_prediction_t p;
        memset(&p, 0, sizeof p);
        double u = cpe_rng_uniform(&rng);
        p.ts_ms = k[i].ts_ms;
        snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
        p.horizon_h = 4;
        p.close = k[i].close;
        p.p_up = 0.35 + 0.3 * u;
        p.expected_move = 0.02 * (u - 0.5);
        p.volatility = 0.012;
        snprintf(p.model_version, sizeof p.model_version, "bench-synthetic");
        if (st->ops->put_prediction(st, &p, NULL)) break;
    }
    int rc = st->ops->commit(st);
    free(k);
    cpe_store_close(st);
    return rc;
}

static void iso(int64_t t, char *out)
{
    char s[32];
    cpe_format_iso8601(t, s);
    strcpy(out, s);
}

static void bench_cli_year(const char *db, int64_t from, int64_t to, const char *what)
{
    char cmd[5 * PATH_MAX], a[32], b[32], note[160];
    iso(from, a);
    iso(to, b);
    snprintf(cmd, sizeof cmd,
             "%s backtest --db %s --symbol BTCUSDT --from %s --to %s --out %s/y.json >/dev/null",
             cpe_bin, db, a, b, tmpdir);
    double t[5], c[5];
    for (int r = 0; r < 5; r++)
        t[r] = run_ms(cmd, &c[r]);
    snprintf(note, sizeof note, "median of 5, %s, %s to %s", what, a, b);
    line("cli_year_process_ms", median(t, 5), "ms", 2000, 0, note);
    line("cli_year_process_cpu_ms", median(c, 5), "ms", 2000, 0, "user + sys of the process");
}

/* one HTTP/1.1 exchange on a fresh connection; the body of the answer into out */
static int http(int port, const char *method, const char *path, const char *body, char *out,
                size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, body ? strlen(body) : 0, body ? body : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(fd, out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(fd);
    char *b = strstr(out, "\r\n\r\n");
    if (b) memmove(out, b + 4, strlen(b + 4) + 1);
    return 0;
}

static void bench_post(const char *db, int64_t to)
{
    char cmd[5 * PATH_MAX], log[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/serve.out", tmpdir);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        setenv("CPE_RATE_LIMIT_PER_MIN", "0", 1);
        execl(cpe_bin, cpe_bin, "serve", "--port", "0", "--host", "127.0.0.1", "--db", db,
              "--source", "store", (char *)NULL);
        _exit(127);
    }
    int port = 0;
    for (int i = 0; i < 200 && !port; i++) {
        usleep(50000);
        FILE *f = fopen(log, "r");
        char l[256];
        while (f && fgets(l, sizeof l, f))
            sscanf(l, "listening on http://127.0.0.1:%d", &port);
        if (f) fclose(f);
    }
    static char out[1 << 26];
    double t[9], srv[9];
    int ok = port != 0;
    char a[32], b[32], body[256];
    iso(to - 90 * CPE_MS_PER_DAY, a);
    iso(to, b);
    snprintf(body, sizeof body, "{\"asset\":\"BTC\",\"from\":\"%s\",\"to\":\"%s\"}", a, b);
    for (int r = 0; r < 9 && ok; r++) {
        double s = now_ms();
        char id[64] = "", path[128];
        if (http(port, "POST", "/backtest", body, out, sizeof out) ||
            sscanf(out, "{\"job_id\":\"%63[^\"]\"", id) != 1) {
            ok = 0;
            break;
        }
        snprintf(path, sizeof path, "/backtest/%s", id);
        for (;;) {
            if (http(port, "GET", path, NULL, out, sizeof out)) ok = 0;
            if (!ok || strstr(out, "\"status\":\"done\"") || strstr(out, "\"status\":\"failed\""))
                break;
            usleep(2000);
        }
        t[r] = now_ms() - s;
        char *rm = strstr(out, "\"run_ms\":");
        srv[r] = rm ? atof(rm + 9) : NAN;
        if (!strstr(out, "\"status\":\"done\"")) ok = 0;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    (void)cmd;
    if (!ok) {
        fprintf(stderr, "bench_backtest: POST /backtest did not complete: %.300s\n", out);
        return;
    }
    char note[128];
    snprintf(note, sizeof note, "POST to GET done over loopback, 9 jobs; worker run_ms p50 %.0f",
             median(srv, 9));
    line("post_backtest_90d_p50_ms", median(t, 9), "ms", 1000, 0, note);
}

int main(int argc, char **argv)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) n = (ssize_t)strlen(strncpy(self, argv[0], sizeof self - 1));
    self[n] = 0;
    snprintf(cpe_bin, sizeof cpe_bin, "%s/cpe", dirname(self));
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bench_backtest.XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    bench_loop();
    if (argc > 1 && !strcmp(argv[1], "loop")) return 0; /* `bench_backtest loop`: only that */
    bench_signals();
    const char *db = getenv("CPE_BENCH_DB");
    char own[PATH_MAX + 16];
    int64_t from, to;
    if (db && getenv("CPE_BENCH_FROM") && getenv("CPE_BENCH_TO") &&
        !cpe_parse_time_arg(getenv("CPE_BENCH_FROM"), &from) &&
        !cpe_parse_time_arg(getenv("CPE_BENCH_TO"), &to)) {
        bench_cli_year(db, from, to, "CPE_BENCH_DB with backfilled predictions");
        bench_post(db, to);
    } else if (!build_store(own, sizeof own, &from, &to)) {
        bench_cli_year(own, from, to, "simulated year, synthetic stored predictions");
        bench_post(own, to);
    } else {
        fprintf(stderr, "bench_backtest: could not build the simulated store\n");
    }
    if (getenv("CPE_BENCH_KEEP")) {
        fprintf(stderr, "bench_backtest: kept %s\n", tmpdir);
        return 0;
    }
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) ? 1 : 0;
}
