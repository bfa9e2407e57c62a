/* bench_store.c — the store's figures (issues 2 and 17), one JSON line each, medians of reps:
 *   csv_parse_1m_klines   reading + parsing the 20 months of real 1m klines (.csv.gz)
 *   import_1m_klines      cpe import of the same files end to end into a fresh store
 *   read_year_1m_bars     reading one year of 1m bars (2024) into memory
 * and, when $BENCH_STORE_PG names a PostgreSQL database (postgres://.../db; its role may
 * create databases), the same import and read on PostgreSQL as pg_import_1m_klines and
 * pg_read_year_1m_bars, each rep into a fresh database cpe_bench_N on that server.
 * Each import and read also reports CPU seconds (…_cpu_s, no target): this process's and,
 * for PostgreSQL, the server backend's (/proc/PID/stat of the connection's backend), so
 * the cost can be told apart from the share of a loaded machine the run got.
 * Needs $CPE_SHARED/data/real (prints a skip line otherwise). Usage:
 *   bench_store [REPS]          (default 3; the SQLite store goes to a temp directory) */
#include "cpe/csvfile.h"
#include "cpe/import.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"
#ifdef CPE_HAVE_PG
#include <libpq-fe.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void emit(const char *metric, double value, const char *unit, double target, int lower)
{
    printf("{\"bench\":\"store\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"target\":%g,"
           "\"ok\":%s}\n",
           metric, value, unit, target,
           (lower ? value <= target : value >= target) ? "true" : "false");
    fflush(stdout);
}

static void emit_cpu(const char *metric, double value)
{
    printf("{\"bench\":\"store\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"s\"}\n", metric,
           value);
    fflush(stdout);
}

static double cpu_self(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds a process has used (utime + stime of /proc/PID/stat); 0 if pid <= 0. */
static double cpu_pid(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (!f) return 0;
    unsigned long ut = 0, st = 0;
    char *e = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    if (e) sscanf(e + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    fclose(f);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

#define BENCH_APP "cpe_bench_store"

/* The server backend of the one connection named BENCH_APP on database URL db; 0 for
 * SQLite or when it cannot be found. */
static long backend_pid(const char *db)
{
#ifdef CPE_HAVE_PG
    if (strncmp(db, "postgres", 8)) return 0;
    PGconn *c = PQconnectdb(db);
    PGresult *r =
        PQexec(c, "SELECT pid FROM pg_stat_activity WHERE application_name = '" BENCH_APP "'");
    long pid =
        PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    PQfinish(c);
    return pid;
#else
    (void)db;
    return 0;
#endif
}

/* Open db; a PostgreSQL connection is named BENCH_APP so its backend can be found. */
static int open_named(const char *db, cpe_store_t **s, long *pid)
{
    char url[1200];
    int pg = !strncmp(db, "postgres", 8);
    snprintf(url, sizeof url, "%s%s", db, pg ? "?application_name=" BENCH_APP : "");
    cpe_diag_t d;
    if (cpe_store_open(url, s, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return -1;
    }
    *pid = pg ? backend_pid(db) : 0;
    return 0;
}

/* The 1m kline files of the shared data, sorted. */
static size_t kline_files(const char *dir, char ***out)
{
    char **all;
    size_t n, k = 0;
    cpe_diag_t d;
    if (cpe_import_list_dir(dir, &all, &n, &d)) return 0;
    for (size_t i = 0; i < n; i++) {
        if (strstr(all[i], "binance-spot_BTCUSDT_klines_1m_"))
            all[k++] = all[i];
        else
            free(all[i]);
    }
    *out = all;
    return k;
}

/* Read every field of every row as numbers: the reader's share of an import. */
static long parse_all(char **files, size_t nf)
{
    long rows = 0;
    double sink = 0;
    for (size_t i = 0; i < nf; i++) {
        cpe_csv_t c;
        cpe_diag_t d;
        if (cpe_csv_open(&c, files[i], NULL, &d)) return -1;
        int rc;
        while ((rc = cpe_csv_next(&c, &d)) == 1) {
            if (c.line == 1) continue;
            for (size_t f = 0; f < c.nf && f < 11; f++) {
                double v;
                if (cpe_parse_double(c.f[f].p, c.f[f].n, &v) == 0) sink += v;
            }
            rows++;
        }
        cpe_csv_close(&c);
        if (rc < 0) return -1;
    }
    return sink != 0 ? rows : rows;
}

/* A fresh store for rep r: a SQLite file in tmp, or (pg set) a new database on that
 * server, migrated. 0 or -1. */
static int fresh_store(const char *tmp, const char *pg, int r, char *db, size_t cap)
{
    if (!pg) {
        snprintf(db, cap, "%s/import%d.db", tmp, r);
        return 0;
    }
#ifdef CPE_HAVE_PG
    char sql[128];
    PGconn *c = PQconnectdb(pg);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS cpe_bench_%d WITH (FORCE)", r);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE cpe_bench_%d", r);
    PGresult *res = PQexec(c, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "bench_store: %s: %s", sql, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
    const char *slash = strrchr(pg, '/');
    snprintf(db, cap, "%.*scpe_bench_%d", (int)(slash - pg + 1), pg, r);
    int from, to;
    cpe_diag_t d;
    if (ok && cpe_store_migrate(db, &from, &to, &d)) {
        fprintf(stderr, "bench_store: %s\n", d.msg);
        ok = 0;
    }
    return ok ? 0 : -1;
#else
    (void)r;
    (void)cap;
    return -1;
#endif
}

/* Import every file into a fresh store per rep: the median seconds (-1 on error); db gets
 * the last rep's store, *imported the rows one rep imported. */
static double import_reps(char **files, size_t nf, const char *tmp, const char *pg, int reps,
                          char *db, size_t cap, int64_t *imported)
{
    double t[15], cpu[2] = {0, 0};
    for (int r = 0; r < reps; r++) {
        cpe_store_t *s;
        cpe_diag_t d;
        long pid;
        if (fresh_store(tmp, pg, r, db, cap) || open_named(db, &s, &pid)) return -1;
        *imported = 0;
        double c0 = cpu_self(), s0 = cpu_pid(pid);
        int64_t t0 = cpe_mono_ns();
        for (size_t i = 0; i < nf; i++) {
            cpe_import_stats_t st;
            if (cpe_import_file(s, files[i], NULL, &st, &d)) {
                fprintf(stderr, "%s\n", d.msg);
                return -1;
            }
            *imported += st.inserted;
        }
        t[r] = (double)(cpe_mono_ns() - t0) / 1e9;
        cpu[0] += cpu_self() - c0;
        cpu[1] += cpu_pid(pid) - s0;
        cpe_store_close(s);
    }
    emit_cpu(pg ? "pg_import_1m_klines_client_cpu_s" : "import_1m_klines_cpu_s", cpu[0] / reps);
    if (pg) emit_cpu("pg_import_1m_klines_server_cpu_s", cpu[1] / reps);
    return median(t, reps);
}

/* Read 2024's 1m bars reps + 2 times; emit the median. */
static int read_year(const char *db, int reps, const char *metric, double target)
{
    cpe_store_t *s;
    double t[17];
    long pid;
    if (open_named(db, &s, &pid)) return 1;
    double c0 = cpu_self(), s0 = cpu_pid(pid);
    int64_t from = 1704067200000LL, to = 1735689600000LL; /* 2024 */
    size_t n = 0;
    for (int r = 0; r < reps + 2; r++) {
        cpe_kline_t *k = NULL;
        n = 0;
        int64_t t0 = cpe_mono_ns();
        if (cpe_store_read_klines(s, "binance:spot:BTCUSDT", "kline:1m", from, to, &k, &n))
            return 1;
        t[r] = (double)(cpe_mono_ns() - t0) / 1e6;
        free(k);
    }
    emit(metric, median(t, reps + 2), "ms", target, 1);
    char m[96];
    int base = (int)strlen(metric) - 3; /* without "_ms" */
    snprintf(m, sizeof m, "%.*s_client_cpu_s", base, metric);
    emit_cpu(m, (cpu_self() - c0) / (reps + 2));
    if (pid) {
        snprintf(m, sizeof m, "%.*s_server_cpu_s", base, metric);
        emit_cpu(m, (cpu_pid(pid) - s0) / (reps + 2));
    }
    fprintf(stderr, "bench_store: %s: read %zu bars of 2024\n", s->ops->name, n);
    cpe_store_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    if (reps < 1) reps = 1;
    if (reps > 15) reps = 15;
    const char *shared = getenv("CPE_SHARED");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/real", shared && *shared ? shared : "../shared");
    struct stat sst;
    if (stat(dir, &sst) != 0) {
        printf("{\"bench\":\"store\",\"skip\":\"%s is absent\"}\n", dir);
        return 0;
    }
    char **files = NULL;
    size_t nf = kline_files(dir, &files);
    if (nf == 0) {
        fprintf(stderr, "bench_store: no 1m kline files in %s\n", dir);
        return 1;
    }
    char tmp[] = "/tmp/cpe-bench-store-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    double t[15];
    long rows = 0;

    for (int r = 0; r < reps; r++) {
        int64_t t0 = cpe_mono_ns();
        rows = parse_all(files, nf);
        t[r] = (double)(cpe_mono_ns() - t0) / 1e6;
    }
    double parse_ms = median(t, reps);
    emit("csv_parse_1m_klines_ms", parse_ms, "ms", 1000, 1);

    char db[1100];
    int64_t imported = 0;
    double sec = import_reps(files, nf, tmp, NULL, reps, db, sizeof db, &imported);
    if (sec < 0) return 1;
    emit("import_1m_klines_rows_per_s", (double)imported / sec, "rows/s", 500000, 0);
    fprintf(stderr, "bench_store: %ld rows parsed, %lld imported per rep\n", rows,
            (long long)imported);
    if (read_year(db, reps, "read_year_1m_bars_ms", 100)) return 1;
#ifdef CPE_HAVE_PG
    const char *pg = getenv("BENCH_STORE_PG");
    if (pg && *pg) {
        sec = import_reps(files, nf, tmp, pg, reps, db, sizeof db, &imported);
        if (sec < 0) return 1;
        emit("pg_import_1m_klines_rows_per_s", (double)imported / sec, "rows/s", 300000, 0);
        if (read_year(db, reps, "pg_read_year_1m_bars_ms", 150)) return 1;
    }
#endif
    for (int r = 0; r < reps; r++) {
        static const char *const sfx[] = {"", "-wal", "-shm"};
        for (int k = 0; k < 3; k++) {
            char p[1200];
            snprintf(p, sizeof p, "%s/import%d.db%s", tmp, r, sfx[k]);
            unlink(p);
        }
    }
    rmdir(tmp);
    for (size_t i = 0; i < nf; i++)
        free(files[i]);
    free(files);
    return 0;
}
