/* cmd_backtest.c — `cpe backtest`: the strategy backtest over the store (issue 6) and the
 * fixed-signal backtest of a CSV (issue 9 item 3). A thin entry point: both paths run the
 * backtest layer's loop, book and metrics and print its result JSON (docs/BACKTEST.md). */
#include "cli/ml_common.h"
#include "cpe/backtest.h"
#include "cpe/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_CAP ((size_t)1 << 31)

/* The JSON to --out (with a one-line summary on stdout) or to stdout. */
static int emit(cpe_args_t *a, const cpe_bt_result_t *r)
{
    cpe_buf_t b;
    cpe_buf_init(&b, OUT_CAP);
    int rc = cpe_bt_result_json(r, &b);
    const char *out = cpe_arg_str(a, "out");
    if (rc) {
        rc = cpe_cli_fail(a, 1, "result too large");
    } else if (out) {
        FILE *f = fopen(out, "wb");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len || fputc('\n', f) == EOF) {
            rc = cpe_cli_fail(a, 1, "%s: cannot write: %s", out, strerror(errno));
            if (f) fclose(f);
        } else if (fclose(f)) {
            rc = cpe_cli_fail(a, 1, "%s: cannot write: %s", out, strerror(errno));
        } else {
            printf("%s: %zu bars, %zu trades, final equity %.2f, total return %.4f%%, max drawdown "
                   "%.4f%% -> %s\n",
                   r->kind, r->n, r->m.total_trades, r->m.final_equity, 100 * r->m.total_return,
                   100 * r->m.max_drawdown, out);
        }
    } else {
        fwrite(b.data, 1, b.len, stdout);
        putchar('\n');
    }
    cpe_buf_free(&b);
    return rc;
}

static int run_signals(cpe_args_t *a, const char *path)
{
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    long pts;
    int rc;
    if ((rc = cpe_arg_double(a, "commission-bps", c.exec.commission_bps, &c.exec.commission_bps)) ||
        (rc = cpe_arg_double(a, "slippage-bps", c.exec.slippage_bps, &c.exec.slippage_bps)) ||
        (rc = cpe_arg_double(a, "initial-cash", c.exec.initial_cash, &c.exec.initial_cash)) ||
        (rc = cpe_arg_int(a, "curve-points", (long)c.curve_points, &pts)))
        return rc;
    if (!(c.exec.commission_bps >= 0 && c.exec.commission_bps <= 1000) ||
        !(c.exec.slippage_bps >= 0 && c.exec.slippage_bps <= 1000) || !(c.exec.initial_cash > 0) ||
        pts < 2)
        return cpe_cli_fail(a, 2,
                            "--commission-bps and --slippage-bps must be in [0, 1000], "
                            "--initial-cash > 0, --curve-points >= 2");
    cpe_bt_signals_t s;
    cpe_bt_result_t r = {0};
    cpe_diag_t d = {0};
    if (cpe_bt_signals_read(path, &s, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (cpe_bt_run_signals(&c.exec, &s.bars, s.signal, (size_t)pts, &r, &d))
        rc = cpe_cli_fail(a, 1, "%s: %s", path, d.msg);
    else {
        snprintf(r.source, sizeof r.source, "%s", path);
        rc = emit(a, &r);
    }
    cpe_bt_result_free(&r);
    cpe_bt_signals_free(&s);
    return rc;
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return CPE_EIO;
    size_t cap = 1 << 12, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= (1 << 24)) {
            free(b);
            b = NULL;
            break;
        }
        char *nb = realloc(b, cap *= 2);
        if (!nb) free(b);
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return CPE_EIO;
    }
    *out = b;
    *len = n;
    return 0;
}

/* Fold progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise. */
static void show_progress(const cpe_wfc_progress_t *p, void *ctx)
{
    const int tty = *(const int *)ctx, width = 30;
    int fill = p->folds_total ? width * p->folds_done / p->folds_total : 0;
    char eta[32] = "";
    if (p->eta_ms > 0) snprintf(eta, sizeof eta, ", eta %.0f s", (double)p->eta_ms / 1000);
    if (tty) {
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\r\033[Kbacktest [%s] folds %d/%d (reused %d, trained %d) %s%s", bar,
                p->folds_done, p->folds_total, p->folds_reused, p->folds_trained, p->stage, eta);
        if (!strcmp(p->stage, "done")) fputc('\n', stderr);
    } else {
        fprintf(stderr, "backtest: %s: folds %d/%d, reused %d, trained %d%s\n", p->stage,
                p->folds_done, p->folds_total, p->folds_reused, p->folds_trained, eta);
    }
}

static int run_backtest(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",       "asset",
                                        "from",         "to",
                                        "strategy",     "out",
                                        "signals",      "commission-bps",
                                        "slippage-bps", "initial-cash",
                                        "curve-points", "threads",
                                        "explain",      NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    const char *sig = cpe_arg_str(a, "signals");
    if (sig) return run_signals(a, sig);
    char sym[32], asset[16];
    long long from, to;
    if ((rc = ml_symbol(a, sym, asset)) || (rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MAX, &to)))
        return rc;
    if (from == INT64_MIN || to == INT64_MAX || from >= to)
        return cpe_cli_fail(a, 2, "--from ISO and --to ISO are required (from < to)");
    long threads;
    if ((rc = cpe_arg_int(a, "threads", 0, &threads))) return rc;
    if (threads < 0 || threads > 16) return cpe_cli_fail(a, 2, "--threads must be in [0, 16]");
    int tty = isatty(2);
    cpe_wfc_opts_t wo;
    cpe_wfc_opts_default(&wo);
    wo.threads = (int)threads;
    wo.explain = cpe_arg_flag(a, "explain");
    wo.progress = show_progress;
    wo.ctx = &tty;
    cpe_bt_config_t c;
    cpe_bt_config_default(&c);
    cpe_diag_t d = {0};
    const char *sp = cpe_arg_str(a, "strategy");
    if (sp) {
        char *js;
        size_t n;
        if (read_file(sp, &js, &n)) return cpe_cli_fail(a, 1, "%s: cannot read", sp);
        rc = cpe_bt_config_json(&c, js, n, &d);
        free(js);
        if (rc) return cpe_cli_fail(a, 2, "%s: %s", sp, d.msg);
    }
    cpe_store_t *st = NULL;
    cpe_bt_result_t r = {0};
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (cpe_bt_run_store_wf(st, sym, from, to, &c, &wo, &r, &d))
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
    else
        rc = emit(a, &r);
    cpe_bt_result_free(&r);
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_backtest = {
    "backtest", "backtest the prediction strategy over the store, or a CSV of signals",
    "usage: cpe backtest --symbol SYM --from ISO --to ISO [--strategy FILE.json] [--out FILE]\n"
    "                    [--threads N] [--explain]\n"
    "       cpe backtest --signals FILE.csv [--out FILE] [--commission-bps 4] [--slippage-bps 5]\n"
    "                    [--initial-cash 100000] [--curve-points 5000]\n\n"
    "Strategy: trades 1m bars on as-of predictions of walk-forward models, one per week of\n"
    "the range, each trained on the 90 days before its week; they are stored (--explain:\n"
    "with their explanations, ~7.7 KB a record) and reused by the next run until the bars\n"
    "they saw change (folds run on --threads N workers, default the cores; progress on\n"
    "stderr). Half-Kelly sizing, the circuit breakers of spec 14.2 and the execution\n"
    "model of spec 12.2. --strategy overrides the defaults (docs/BACKTEST.md).\n"
    "Signals: columns ts,open,high,low,close,signal (signal -1/0/1 decided at the close, held\n"
    "from the next open); all equity per position, market fills, commission on every fill.\n"
    "Both print the same result JSON (to --out with a summary line, else to stdout).",
    run_backtest};
