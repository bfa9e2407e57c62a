/* cmd_cone.c — `cpe cone`: the calibrated cone and direction probability for a kline file
 * (issue 9), through the same code as the store path: the file is imported into a
 * throw-away store, then the champion model predicts from it (or, with --vol-only, a
 * GARCH-t fitted to the file's hourly returns drives the Monte Carlo cone alone). */
#include "cli/ml_common.h"
#include "cpe/garch.h"
#include "cpe/import.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rm_store(const char *dir)
{
    static const char *const files[] = {"c.db", "c.db-wal", "c.db-shm"};
    char p[600];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* Hourly log returns of the series (closes on a 1 h grid anchored at the last bar <= at). */
static int hourly(const cpe_kline_t *k, size_t n, int64_t iv, double **r, size_t *nr, size_t *last)
{
    *nr = 0;
    *r = malloc((n ? n : 1) * sizeof **r);
    if (!*r) return CPE_ENOMEM;
    int64_t t_last = k[*last].ts_ms;
    double prev = NAN;
    for (size_t i = 0; i <= *last; i++) {
        if ((t_last - k[i].ts_ms) % CPE_MS_PER_HOUR) continue;
        if (isfinite(prev) && prev > 0 && k[i].close > 0) (*r)[(*nr)++] = log(k[i].close / prev);
        prev = k[i].close;
    }
    (void)iv;
    return 0;
}

static int vol_only(cpe_args_t *a, cpe_store_t *st, const cpe_import_stats_t *is, int h, int64_t at,
                    int paths, const char *asset)
{
    int64_t iv;
    const char *ivs = strchr(is->kind, ':');
    if (!ivs || cpe_interval_parse(ivs + 1, &iv) || iv > CPE_MS_PER_HOUR || CPE_MS_PER_HOUR % iv)
        return cpe_cli_fail(a, 1, "%s: need klines of 1 h or finer, got '%s'", is->instrument,
                            is->kind);
    cpe_kline_t *k = NULL;
    size_t n = 0, last;
    double *r = NULL;
    size_t nr = 0;
    cpe_cone_ws_t ws = {0};
    cpe_diag_t d = {0};
    int rc = 0;
    if (cpe_store_read_klines(st, is->instrument, is->kind, INT64_MIN, INT64_MAX, &k, &n) || !n) {
        rc = cpe_cli_fail(a, 1, "%s: no klines read", is->instrument);
        goto out;
    }
    for (last = n; last > 0 && at != INT64_MAX && k[last - 1].ts_ms + iv > at; last--) {
    }
    if (last == 0) {
        rc = cpe_cli_fail(a, 1, "no bar closes at or before --at");
        goto out;
    }
    last--;
    if (hourly(k, n, iv, &r, &nr, &last)) {
        rc = cpe_cli_fail(a, 1, "out of memory");
        goto out;
    }
    size_t use = nr > 8760 ? 8760 : nr;
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    o.dist = CPE_DIST_T;
    o.std_errors = 0;
    cpe_garch_t g;
    if (cpe_garch_fit_or_ewma(r + nr - use, use, &o, &g, &d)) {
        rc = cpe_cli_fail(a, 1, "%s: volatility fit on %zu hourly returns: %s", is->instrument, use,
                          d.msg);
        goto out;
    }
    cpe_cone_params_t cp;
    cpe_cone_params_default(&cp);
    cp.horizon_h = h;
    cp.close = k[last].close;
    cp.t0_ms = k[last].ts_ms + iv;
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    if (cpe_cone_ws_init(&ws, paths) ||
        cpe_cone_predict(&ws, &g, g.last_h, (uint64_t)k[last].ts_ms, &cp, 1, &p, &d)) {
        rc = cpe_cli_fail(a, 1, "cone: %s", d.msg);
        goto out;
    }
    p.ts_ms = k[last].ts_ms + iv - CPE_MS_PER_MIN; /* the 1m bar that closes with it */
    const char *sym = strrchr(is->instrument, ':');
    snprintf(p.symbol, sizeof p.symbol, "%.31s", sym ? sym + 1 : is->instrument);
    p.horizon_h = h;
    p.close = k[last].close;
    p.p_up = NAN; /* no direction model */
    p.expected_move = 0;
    snprintf(p.regime, sizeof p.regime, "unknown");
    snprintf(p.confidence, sizeof p.confidence, "low");
    snprintf(p.model_version, sizeof p.model_version, "vol-only:%s-%s%s",
             cpe_garch_kind_name(g.kind), cpe_garch_dist_name(g.dist), g.fallback ? "-ewma" : "");
    p.vol_fallback = g.fallback;
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    if (cpe_prediction_json(&p, asset, 0, &b))
        rc = cpe_cli_fail(a, 1, "output too large");
    else
        printf("%s\n", b.data);
    cpe_buf_free(&b);
out:
    cpe_cone_ws_free(&ws);
    free(k);
    free(r);
    return rc;
}

static int with_model(cpe_args_t *a, cpe_store_t *st, const cpe_import_stats_t *is, int h,
                      int64_t at, int paths, const char *asset)
{
    if (strcmp(is->kind, "kline:1m"))
        return cpe_cli_fail(a, 1,
                            "%s: the model needs 1m klines, the file has '%s' (use --vol-only)",
                            is->instrument, is->kind);
    const char *s = strrchr(is->instrument, ':');
    char sym[32];
    snprintf(sym, sizeof sym, "%.31s", s ? s + 1 : is->instrument);
    cpe_registry_t reg;
    cpe_registry_init(&reg, cpe_arg_str(a, "models"));
    cpe_predictor_t p = {0};
    cpe_mldata_t m = {0};
    cpe_diag_t d = {0};
    double *x = NULL, r[240];
    int rc = 0;
    if (cpe_predictor_open(&p, &reg, sym, NULL, paths, &d) ||
        cpe_mldata_load_recent(st, sym, at, &m, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (!(x = malloc(p.ms.ncol * sizeof *x))) {
        rc = cpe_cli_fail(a, 1, "out of memory");
        goto out;
    }
    cpe_pred_input_t in;
    cpe_predictor_input(&p, &m, m.n - 1, x, r, &in);
    cpe_prediction_t out;
    if (cpe_predictor_predict(&p, &in, &h, 1, &out, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    if (cpe_prediction_json(&out, asset, 0, &b))
        rc = cpe_cli_fail(a, 1, "output too large");
    else
        printf("%s\n", b.data);
    cpe_buf_free(&b);
out:
    free(x);
    cpe_mldata_free(&m);
    cpe_predictor_close(&p);
    return rc;
}

static int run_cone(cpe_args_t *a)
{
    static const char *const known[] = {"input",  "horizon", "at",    "vol-only", "symbol",
                                        "market", "models",  "paths", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    const char *input = cpe_arg_str(a, "input");
    if (!input) return cpe_cli_fail(a, 2, "--input KLINES.csv is required");
    int h;
    long long at;
    long paths;
    if ((rc = ml_horizon(a, &h)) || (rc = cpe_arg_time(a, "at", INT64_MAX, &at)) ||
        (rc = cpe_arg_int(a, "paths", CPE_CONE_PATHS, &paths)))
        return rc;
    if (paths < 100) return cpe_cli_fail(a, 2, "--paths must be >= 100");
    const char *mk = cpe_arg_str(a, "market");
    if (mk && strcmp(mk, "spot") && strcmp(mk, "perp"))
        return cpe_cli_fail(a, 2, "--market must be spot or perp");

    char dir[] = "/tmp/cpe-cone-XXXXXX", db[600];
    if (!mkdtemp(dir)) return cpe_cli_fail(a, 1, "cannot create a temporary directory");
    snprintf(db, sizeof db, "%s/c.db", dir);
    cpe_store_t *st = NULL;
    cpe_diag_t d = {0};
    cpe_import_opts_t io;
    cpe_import_opts_init(&io);
    io.symbol = cpe_arg_str(a, "symbol");
    io.market = mk && !strcmp(mk, "perp") ? CPE_PERP : CPE_SPOT; /* a throw-away store */
    cpe_import_stats_t is;
    memset(&is, 0, sizeof is);
    if (cpe_store_open(db, &st, &d) || cpe_import_file(st, input, &io, &is, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (strncmp(is.kind, "kline:", 6)) {
        rc = cpe_cli_fail(a, 1, "%s: not a kline file (read as '%s')", input, is.format);
        goto out;
    }
    const char *s = strrchr(is.instrument, ':');
    char asset[16];
    cpe_symbol_to_asset(s ? s + 1 : is.instrument, asset, sizeof asset);
    rc = cpe_arg_flag(a, "vol-only") ? vol_only(a, st, &is, h, at, (int)paths, asset)
                                     : with_model(a, st, &is, h, at, (int)paths, asset);
out:
    cpe_store_close(st);
    rm_store(dir);
    return rc;
}

const cpe_command_t cpe_cmddef_cone = {
    "cone", "the prediction cone for a kline file (champion model, or --vol-only GARCH-t)",
    "usage: cpe cone --input KLINES.csv --horizon H [--at ISO] [--vol-only] [--symbol SYM]\n"
    "                [--market spot|perp] [--models DIR] [--paths 10000]\n\n"
    "Reads a kline file (Binance layout, .csv/.gz/.zip; the symbol from the file name or\n"
    "--symbol) into a temporary store and prints spec 5.1 JSON for the bar at or before\n"
    "--at (default: the last); the market is spot unless --market perp. With the registered "
    "champion of the symbol (1m klines):\n"
    "calibrated p_up, expected move, regime and the calibrated GARCH-t cone. With\n"
    "--vol-only: a GARCH(1,1)-t fitted to the file's last 8,760 hourly returns drives a\n"
    "driftless 10,000-path cone (p_up null, scales 1, no regime); any interval up to 1 h.",
    run_cone};
