/* cmd_fetch.c — `cpe fetch`: an instrument's past (1m klines spot and perp, funding, open
 * interest) from an exchange's REST endpoints into the store, paged, resumable and
 * idempotent (cpe/history.h); a progress bar on a terminal, a JSON report on stdout. */
#include "cli/cli.h"
#include "cpe/buf.h"
#include "cpe/history.h"
#include "cpe/json.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show_progress(void *ctx, size_t done, size_t total, const char *what)
{
    (void)ctx;
    if (!total) return;
    int pct = (int)(done * 100 / total), w = pct * 30 / 100;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu %-50.50s", w, "##############################",
            30 - w, "", pct, done, total, what);
    fflush(stderr);
}

/* --markets / --kinds */
static int parse_lists(cpe_args_t *a, cpe_history_req_t *r)
{
    const char *m = cpe_arg_str(a, "markets");
    r->spot = !m || strstr(m, "spot") != NULL;
    r->perp = !m || strstr(m, "perp") != NULL;
    if (!r->spot && !r->perp)
        return cpe_cli_fail(a, 2, "option '--markets' (%s) names neither spot nor perp", m);
    const char *k = cpe_arg_str(a, "kinds");
    r->kinds = 0;
    if (!k) return 0;
    static const struct {
        const char *name;
        cpe_data_kind_t kind;
    } names[] = {{"kline", CPE_DK_KLINE}, {"funding", CPE_DK_FUNDING}, {"oi", CPE_DK_OI}};
    char buf[128];
    snprintf(buf, sizeof buf, "%s", k);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < sizeof names / sizeof names[0] && strcmp(names[i].name, t))
            i++;
        if (i == sizeof names / sizeof names[0])
            return cpe_cli_fail(a, 2, "option '--kinds' (%s): use kline,funding,oi", k);
        r->kinds |= 1u << names[i].kind;
    }
    return 0;
}

/* --days N | --from ISO --to ISO (to defaults to now). */
static int parse_range(cpe_args_t *a, cpe_history_req_t *r)
{
    long days;
    long long from, to;
    int64_t now = cpe_floor_ms(cpe_now_ms(), CPE_MS_PER_MIN);
    int rc;
    if ((rc = cpe_arg_int(a, "days", 0, &days)) || (rc = cpe_arg_time(a, "from", 0, &from)) ||
        (rc = cpe_arg_time(a, "to", now, &to)))
        return rc;
    if ((days > 0) == (cpe_arg_str(a, "from") != NULL))
        return cpe_cli_fail(a, 2, "give either --days N (N > 0) or --from ISO [--to ISO]");
    r->to_ms = days > 0 ? now : to;
    r->from_ms = days > 0 ? now - days * CPE_MS_PER_DAY : from;
    if (r->from_ms >= r->to_ms) return cpe_cli_fail(a, 2, "--from must be before --to");
    return 0;
}

/* --rest-base URL: both markets' REST base of the chosen exchange (like the env overrides). */
static void apply_base(const cpe_exchange_t *ex, const char *base)
{
    for (int m = 0; base && m < 2; m++) {
        char var[64];
        int n = snprintf(var, sizeof var, "CPE_%s_REST_%s", ex->name, m ? "PERP" : "SPOT");
        for (int i = 0; i < n; i++)
            var[i] = (char)toupper((unsigned char)var[i]);
        setenv(var, base, 1);
    }
}

static void report(const cpe_history_req_t *r, const cpe_history_stats_t *s, int ok)
{
    cpe_buf_t out;
    cpe_buf_init(&out, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &out);
    cpe_jw_obj(&w);
    cpe_jw_kbool(&w, "ok", ok);
    cpe_jw_kstr(&w, "exchange", r->ex->name);
    cpe_jw_kstr(&w, "symbol", r->symbol);
    cpe_jw_kint(&w, "from_ms", r->from_ms);
    cpe_jw_kint(&w, "to_ms", r->to_ms);
    cpe_jw_key(&w, "series");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < s->ntasks; i++) {
        const cpe_history_task_stats_t *t = &s->task[i];
        if (!t->kind) continue;
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "instrument", t->instrument);
        cpe_jw_kstr(&w, "kind", t->kind);
        cpe_jw_kint(&w, "windows", (int64_t)t->windows);
        cpe_jw_kint(&w, "skipped", (int64_t)t->skipped);
        cpe_jw_kint(&w, "rows", (int64_t)t->rows);
        cpe_jw_kint(&w, "inserted", (int64_t)t->inserted);
        cpe_jw_kint(&w, "updated", (int64_t)t->updated);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_kint(&w, "requests", (int64_t)s->requests);
    cpe_jw_kint(&w, "retries", (int64_t)s->retries);
    cpe_jw_kint(&w, "rate_waits", (int64_t)s->rate_waits);
    cpe_jw_kint(&w, "elapsed_ms", s->elapsed_ms);
    cpe_jw_end(&w);
    printf("%s\n", out.data);
    cpe_buf_free(&out);
}

/* --configured: what `cpe serve` does on a fresh store (cpe_history_fill). */
static int run_configured(cpe_args_t *a)
{
    cpe_diag_t d = {0};
    cpe_store_t *st = NULL;
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    char note[256] = "fetch --configured";
    int rc = cpe_history_fill(st, note, sizeof note);
    cpe_store_close(st);
    printf("%s\n", note);
    return rc ? 1 : 0;
}

static int run(cpe_args_t *a)
{
    static const char *const known[] = {"symbol",     "days",       "from",  "to",
                                        "exchange",   "markets",    "kinds", "rest-base",
                                        "timeout-ms", "configured", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    cpe_diag_t d = {0};
    if (cpe_arg_flag(a, "configured")) return run_configured(a);
    cpe_asset_t asset;
    if (!cpe_arg_str(a, "symbol"))
        return cpe_cli_fail(a, 2, "--symbol is required (an asset or its pair)");
    if (cpe_asset_params(cpe_arg_str(a, "symbol"), &asset, &d))
        return cpe_cli_fail(a, 2, "%s", d.msg);
    cpe_history_req_t r = {.symbol = asset.symbol};
    const char *exname = cpe_arg_str(a, "exchange");
    r.ex = exname ? cpe_exchange_find(exname) : cpe_exchanges()[0];
    if (!r.ex) return cpe_cli_fail(a, 2, "unknown exchange '%s'", exname);
    long timeout;
    if ((rc = parse_range(a, &r)) || (rc = parse_lists(a, &r)) ||
        (rc = cpe_arg_int(a, "timeout-ms", 15000, &timeout)))
        return rc;
    r.timeout_ms = timeout;
    apply_base(r.ex, cpe_arg_str(a, "rest-base"));
    int tty = isatty(2);
    if (tty) r.progress = show_progress;
    cpe_store_t *st = NULL;
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    cpe_history_stats_t s;
    rc = cpe_history_fetch(st, &r, &s, &d);
    if (tty) fprintf(stderr, "\r%*s\r", 100, "");
    report(&r, &s, rc == 0);
    cpe_store_close(st);
    if (rc) return cpe_cli_fail(a, 1, "%s", d.msg);
    return 0;
}

const cpe_command_t cpe_cmddef_fetch = {
    "fetch", "fetch an instrument's past from an exchange's REST endpoints into the store",
    "usage: cpe fetch --symbol PAIR (--days N | --from ISO [--to ISO]) [--exchange NAME]\n"
    "                 [--markets spot,perp] [--kinds kline,funding,oi] [--rest-base URL]\n"
    "                 [--timeout-ms 15000] [--db PATH]\n"
    "       cpe fetch --configured [--db PATH]\n\n"
    "--configured: CPE_HISTORY_DAYS (90) days of every configured asset (CPE_ASSETS), each\n"
    "from the first exchange in fallback order that answers: what `cpe serve --source auto`\n"
    "does before it starts when an exchange answers. Exit 1 when no exchange answered.\n"
    "PAIR: an asset or its pair (SOL, or SOL + the quote). Spot and perp 1m klines, settled\n"
    "funding and open interest (the last 30 days of the range) of one symbol, paged within\n"
    "the exchange's rate limits. --exchange: one of the universe's exchanges, default the\n"
    "first (the primary); markets or kinds it does not serve are skipped. Rows go under\n"
    "EXCHANGE:spot|perp:SYMBOL with the store's idempotent upsert, one transaction per page,\n"
    "and pages the store already holds are not asked for again: a second run adds nothing\n"
    "and a killed run resumes where it stopped. Base URLs: --rest-base (both markets) or\n"
    "CPE_<EXCHANGE>_REST_SPOT / _REST_PERP. A progress bar on a terminal; a JSON report on\n"
    "stdout (rows inserted per series, requests, retries).\n"
    "A bad answer stops the fetch with an error naming the URL; that page writes nothing.",
    run};
