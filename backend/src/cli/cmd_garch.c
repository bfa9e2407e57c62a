/* cmd_garch.c — `cpe garch`: fit GARCH(1,1) / GJR-GARCH(1,1) to a CSV column and print the
 * fit as JSON (issue 9 item 1). A thin entry point over cpe_garch_fit (models layer).
 *
 * Input: any CSV (plain or .gz) with a header, or a Binance kline file without one
 * (12 columns, open_time first, close in column 5). The time column, when there is one
 * (open_time, openTime, timestamp, ts, ts_ms, time, date, datetime; column 1 of a headerless
 * kline file), must increase strictly. */
#include "cli/cli.h"
#include "cpe/buf.h"
#include "cpe/csvfile.h"
#include "cpe/garch.h"
#include "cpe/json.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HORIZONS 16

static const char *const binance_cols[] = {"open_time",
                                           "open",
                                           "high",
                                           "low",
                                           "close",
                                           "volume",
                                           "close_time",
                                           "quote_volume",
                                           "count",
                                           "taker_buy_volume",
                                           "taker_buy_quote_volume",
                                           "ignore",
                                           NULL};
static const char *const time_names[] = {"open_time", "openTime", "timestamp", "ts", "ts_ms",
                                         "time",      "date",     "datetime",  NULL};

typedef struct series {
    double *v;
    size_t n, cap;
    long col, tcol; /* 0-based; tcol -1 = no time column */
    char col_name[64];
} series_t;

static int push(series_t *s, double x)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 4096;
        double *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv) return CPE_ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = x;
    return 0;
}

static long find_name(const cpe_csv_t *c, const char *const *names)
{
    for (const char *const *nm = names; *nm; nm++)
        for (size_t i = 0; i < c->nf; i++)
            if (c->f[i].n == strlen(*nm) && !strncasecmp(c->f[i].p, *nm, c->f[i].n)) return (long)i;
    return -1;
}

/* Column from --column: a 1-based number, a header name, or (headerless) a Binance name. */
static int pick_column(const cpe_csv_t *c, int header, const char *want, series_t *s, cpe_diag_t *d)
{
    int64_t k;
    if (!cpe_parse_i64(want, strlen(want), &k)) {
        if (k < 1 || (size_t)k > c->nf)
            return cpe_diag_set(d, CPE_EINVAL, "%s:%lld: column %lld does not exist (%zu columns)",
                                c->name, (long long)c->line, (long long)k, c->nf);
        s->col = (long)k - 1;
    } else {
        const char *one[] = {want, NULL};
        s->col = header ? find_name(c, one) : -1;
        for (long i = 0; !header && binance_cols[i]; i++)
            if (!strcasecmp(binance_cols[i], want) && (size_t)i < c->nf) s->col = i;
        if (s->col < 0)
            return cpe_diag_set(d, CPE_EINVAL, "%s:%lld: no column '%s'%s", c->name,
                                (long long)c->line, want,
                                header ? " in the header"
                                       : " (no header: a Binance kline layout "
                                         "name or a column number is needed)");
    }
    snprintf(s->col_name, sizeof s->col_name, "%s", want);
    if (header) cpe_csv_field_str(c, (size_t)s->col, s->col_name, sizeof s->col_name);
    s->tcol = header ? find_name(c, time_names) : (c->nf >= 6 ? 0 : -1);
    return 0;
}

static int parse_time(const cpe_csv_field_t *f, int64_t *ts)
{
    if (!cpe_parse_i64(f->p, f->n, ts)) return 0;
    return cpe_parse_iso8601(f->p, (long)f->n, ts);
}

/* Read the column (and check the time column) of every record. */
static int read_column(const char *path, const char *want, int is_returns, series_t *s,
                       cpe_diag_t *d)
{
    cpe_csv_t c;
    int rc = cpe_csv_open(&c, path, NULL, d), first = 1, have_t = 0;
    if (rc) return rc;
    int64_t prev_t = 0, prev_line = 0;
    char buf[64];
    while ((rc = cpe_csv_next(&c, d)) == 1) {
        if (first) {
            double x;
            int64_t t;
            int header = cpe_parse_double(c.f[0].p, c.f[0].n, &x) != 0 &&
                         cpe_parse_iso8601(c.f[0].p, (long)c.f[0].n, &t) != 0;
            if ((rc = pick_column(&c, header, want, s, d))) goto out;
            first = 0;
            if (header) continue;
        }
        if ((size_t)s->col >= c.nf) {
            rc = cpe_diag_set(d, CPE_EPARSE, "%s:%lld: column '%s' is missing (%zu fields)", c.name,
                              (long long)c.line, s->col_name, c.nf);
            goto out;
        }
        if (s->tcol >= 0 && (size_t)s->tcol < c.nf) {
            int64_t t;
            if (parse_time(&c.f[s->tcol], &t)) {
                rc = cpe_diag_set(d, CPE_EPARSE, "%s:%lld: time field (%s) is not a timestamp",
                                  c.name, (long long)c.line,
                                  cpe_csv_field_str(&c, (size_t)s->tcol, buf, sizeof buf));
                goto out;
            }
            if (have_t && t <= prev_t) {
                rc = cpe_diag_set(
                    d, CPE_EPARSE, "%s:%lld: timestamp %lld is %s the one on line %lld", c.name,
                    (long long)c.line, (long long)t,
                    t == prev_t ? "a duplicate of" : "earlier than", (long long)prev_line);
                goto out;
            }
            prev_t = t;
            have_t = 1;
        }
        double x;
        const cpe_csv_field_t *f = &c.f[s->col];
        if (cpe_parse_double(f->p, f->n, &x) || !isfinite(x)) {
            rc = cpe_diag_set(d, CPE_EPARSE, "%s:%lld: field '%s' (%s) is not a number", c.name,
                              (long long)c.line, s->col_name,
                              cpe_csv_field_str(&c, (size_t)s->col, buf, sizeof buf));
            goto out;
        }
        if (!is_returns && !(x > 0)) {
            rc = cpe_diag_set(d, CPE_EPARSE, "%s:%lld: field '%s' (%s) is not a positive price",
                              c.name, (long long)c.line, s->col_name,
                              cpe_csv_field_str(&c, (size_t)s->col, buf, sizeof buf));
            goto out;
        }
        if ((rc = push(s, is_returns ? x : log(x)))) {
            cpe_diag_set(d, rc, "%s: out of memory", c.name);
            goto out;
        }
        prev_line = c.line;
    }
    if (rc == 0 && first) rc = cpe_diag_set(d, CPE_EDATA, "%s: no records", path);
    if (rc == 0 && !is_returns) { /* log prices -> log returns */
        for (size_t i = 1; i < s->n; i++)
            s->v[i - 1] = s->v[i] - s->v[i - 1];
        s->n = s->n ? s->n - 1 : 0;
    }
    if (rc == 0 && s->n < CPE_GARCH_MIN_OBS)
        rc = cpe_diag_set(d, CPE_EDATA,
                          "%s:%lld: column '%s' gives %zu returns; the fit needs at least %d",
                          c.name, (long long)prev_line, s->col_name, s->n, CPE_GARCH_MIN_OBS);
out:
    cpe_csv_close(&c);
    return rc < 0 ? rc : 0;
}

static int parse_horizons(const char *s, int *h, int *nh)
{
    *nh = 0;
    while (s && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 100000 || *nh == MAX_HORIZONS || (*end && *end != ','))
            return -1;
        h[(*nh)++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return *nh ? 0 : -1;
}

static void param(cpe_jw_t *w, const char *name, double v, double se)
{
    cpe_jw_key(w, name);
    cpe_jw_obj(w);
    cpe_jw_knum(w, "value", v);
    cpe_jw_knum(w, "se", se);
    cpe_jw_end(w);
}

static void write_json(cpe_jw_t *w, const char *path, const series_t *s, int is_returns,
                       const char *scale_mode, const cpe_garch_t *m, const int *hz, int nh,
                       double fit_ms)
{
    double k = m->scale, k2 = k * k;
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "input", path);
    cpe_jw_kstr(w, "column", s->col_name);
    cpe_jw_kstr(w, "series", is_returns ? "column values as returns" : "log returns of the column");
    cpe_jw_kint(w, "n_returns", (int64_t)m->n_obs);
    cpe_jw_kstr(w, "model", m->kind == CPE_GJR ? "GJR-GARCH(1,1)" : "GARCH(1,1)");
    cpe_jw_kstr(w, "mean", "constant");
    cpe_jw_kstr(w, "dist", m->dist == CPE_DIST_T ? "t" : "normal");
    cpe_jw_knum(w, "scale", k);
    cpe_jw_kstr(w, "scale_mode", scale_mode);
    cpe_jw_kstr(w, "units",
                "parameters, log-likelihood, variances and volatilities are of the "
                "scaled returns (returns x scale)");
    cpe_jw_kstr(w, "start_up", "backcast: h_1 = sample variance of the scaled returns");
    cpe_jw_knum(w, "backcast", m->backcast * k2);
    cpe_jw_key(w, "parameters");
    cpe_jw_obj(w);
    param(w, "mu", m->mu * k, m->se_mu * k);
    param(w, "omega", m->omega * k2, m->se_omega * k2);
    param(w, "alpha", m->alpha, m->se_alpha);
    if (m->kind == CPE_GJR) param(w, "gamma", m->gamma, m->se_gamma);
    param(w, "beta", m->beta, m->se_beta);
    if (m->dist == CPE_DIST_T) param(w, "nu", m->nu, m->se_nu);
    cpe_jw_end(w);
    cpe_jw_knum(w, "loglik", m->loglik - (double)m->n_obs * log(k));
    cpe_jw_knum(w, "persistence", cpe_garch_persistence(m));
    cpe_jw_knum(w, "half_life", cpe_garch_half_life(m)); /* null when not stationary */
    if (cpe_garch_persistence(m) > 1.0 - 1e-5)
        cpe_jw_kstr(w, "note",
                    "persistence is at the optimiser's bound (1 - 1e-6): the variance "
                    "is close to integrated (typical of 1m data with intraday "
                    "seasonality); the half-life is not meaningful");
    cpe_jw_knum(w, "unconditional_volatility", sqrt(cpe_garch_uncond_var(m) * k2));
    cpe_jw_kbool(w, "converged", m->converged);
    cpe_jw_kint(w, "iterations", m->iterations);
    if (!m->converged)
        cpe_jw_kstr(w, "warning",
                    "the optimiser did not converge: these numbers are its last "
                    "iterate, not a maximum-likelihood estimate");
    cpe_jw_knum(w, "next_variance", m->last_h * k2);
    cpe_jw_key(w, "forecasts");
    cpe_jw_arr(w);
    for (int i = 0; i < nh; i++) {
        double v = cpe_garch_forecast_sum(m, m->last_h, hz[i]) * k2;
        cpe_jw_obj(w);
        cpe_jw_kint(w, "horizon", hz[i]);
        cpe_jw_knum(w, "variance", v);
        cpe_jw_knum(w, "volatility", sqrt(v));
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_kstr(w, "forecast",
                "variance = sum of the expected one-step variances over the "
                "horizon's steps (steps of the input's sampling interval)");
    cpe_jw_knum(w, "fit_ms", fit_ms);
    cpe_jw_end(w);
}

static int run_garch(cpe_args_t *a)
{
    static const char *const known[] = {"input", "column",   "returns",  "model", "dist",
                                        "scale", "horizons", "max-iter", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    const char *path = cpe_arg_str(a, "input");
    if (!path) return cpe_cli_fail(a, 2, "--input FILE.csv is required");
    cpe_garch_opts_t o;
    cpe_garch_opts_default(&o);
    const char *model = cpe_arg_str(a, "model"), *dist = cpe_arg_str(a, "dist");
    if (model && strcmp(model, "garch") && strcmp(model, "gjr"))
        return cpe_cli_fail(a, 2, "--model must be garch or gjr, not '%s'", model);
    if (dist && strcmp(dist, "t") && strcmp(dist, "normal"))
        return cpe_cli_fail(a, 2, "--dist must be normal or t, not '%s'", dist);
    o.kind = model && !strcmp(model, "gjr") ? CPE_GJR : CPE_GARCH;
    o.dist = dist && !strcmp(dist, "normal") ? CPE_DIST_NORMAL : CPE_DIST_T;
    const char *scale = cpe_arg_str(a, "scale");
    const char *scale_mode = "auto: the power of ten that puts the std of the returns in [1, 10)";
    if (scale && strcmp(scale, "auto")) {
        if (cpe_parse_double(scale, strlen(scale), &o.scale) || !(o.scale > 0) ||
            !isfinite(o.scale))
            return cpe_cli_fail(a, 2, "--scale must be auto or a positive number, not '%s'", scale);
        scale_mode = "given";
    }
    long max_iter;
    if ((rc = cpe_arg_int(a, "max-iter", 200, &max_iter))) return rc;
    if (max_iter < 1) return cpe_cli_fail(a, 2, "--max-iter must be at least 1");
    o.max_iter = (int)max_iter;
    int hz[MAX_HORIZONS], nh = 0;
    const char *hs = cpe_arg_str(a, "horizons");
    char hdef[64] = ""; /* default: the universe's prediction horizons */
    for (int i = 0; i < CPE_NHORIZONS; i++)
        snprintf(hdef + strlen(hdef), sizeof hdef - strlen(hdef), "%s%d", i ? "," : "",
                 cpe_horizons_h[i]);
    if (parse_horizons(hs ? hs : hdef, hz, &nh))
        return cpe_cli_fail(a, 2,
                            "--horizons must be a comma-separated list of positive step "
                            "counts (at most %d), not '%s'",
                            MAX_HORIZONS, hs);
    int is_returns = cpe_arg_flag(a, "returns");
    const char *col = cpe_arg_str(a, "column");

    series_t s = {0};
    cpe_diag_t d = {0, ""};
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    if (read_column(path, col ? col : "close", is_returns, &s, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    cpe_garch_t m;
    int64_t t0 = cpe_mono_ns();
    int frc = cpe_garch_fit(s.v, s.n, &o, &m, &d);
    double fit_ms = (double)(cpe_mono_ns() - t0) / 1e6;
    if (frc) {
        rc = cpe_cli_fail(a, 1, "%s: %s", path, d.msg);
        goto out;
    }
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    write_json(&w, path, &s, is_returns, scale_mode, &m, hz, nh, fit_ms);
    if (w.err) {
        rc = cpe_cli_fail(a, 1, "output too large");
        goto out;
    }
    printf("%s\n", b.data);
    rc = 0;
out:
    cpe_buf_free(&b);
    free(s.v);
    return rc;
}

const cpe_command_t cpe_cmddef_garch = {
    "garch", "fit GARCH(1,1) / GJR-GARCH(1,1) to a CSV column, print JSON",
    "usage: cpe garch --input FILE.csv[.gz] [--column NAME|N] [--returns] [--model garch|gjr]\n"
    "                 [--dist normal|t] [--scale auto|N] [--horizons H,...] [--max-iter N]\n\n"
    "Fits a constant-mean GARCH(1,1) (or GJR-GARCH(1,1)) with Normal or Student-t innovations\n"
    "by maximum likelihood to the log returns of a price column (default 'close'; a Binance\n"
    "kline file, with or without header, works as it is) or, with --returns, to a column that\n"
    "already holds returns. --scale auto multiplies the returns by the power of ten that puts\n"
    "their std in [1, 10) (percent for daily data) and reports it; parameters are of the scaled\n"
    "returns. The variance recursion starts from the sample variance (backcast).\n"
    "Forecasts: the variance of the return over each horizon, in steps of the input interval\n"
    "(default: the prediction horizons). e.g. cpe garch --input SYM-1h.csv --model gjr",
    run_garch};
