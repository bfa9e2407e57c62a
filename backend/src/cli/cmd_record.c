/* cmd_record.c — `cpe record`: follow the live exchanges (with fallback and backfill) and
 * write what arrives into the store; print a JSON report of what was received. */
#include "cli/cli.h"
#include "cpe/feed.h"
#include "cpe/json.h"
#include "cpe/log.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t g_stop;
static void on_signal(int s)
{
    (void)s;
    g_stop = 1;
}

/* Closed minutes received per (symbol, market), from any source. */
typedef struct tally {
    int64_t *min;
    size_t n, cap;
    size_t by_source[CPE_NEXCHANGES];
} tally_t;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int parse_kinds(const char *s, unsigned *out)
{
    static const char *names[CPE_DK_COUNT] = {"kline", "trade", "funding", "oi", "liq", "book"};
    *out = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        int ok = 0;
        for (int k = 0; k < CPE_DK_COUNT; k++)
            if (!strcmp(t, names[k])) *out |= 1u << k, ok = 1;
        if (!ok) return -1;
    }
    return 0;
}

/* Per symbol and market: the closed 1m bars received, duplicates and minutes missing
 * between the first and the last, and which exchange delivered them (frees the tallies). */
static void write_bars(cpe_jw_t *w, const cpe_feed_config_t *cfg,
                       tally_t tally[CPE_FEED_MAX_SYMBOLS][2])
{
    cpe_jw_key(w, "bars");
    cpe_jw_arr(w);
    for (int s = 0; s < cfg->nsymbols; s++)
        for (int m = 0; m < 2; m++) {
            tally_t *t = &tally[s][m];
            if ((m == 0 && !cfg->spot) || (m == 1 && !cfg->perp)) continue;
            if (t->n > 1) qsort(t->min, t->n, sizeof *t->min, cmp_i64);
            size_t dups = 0, missing = 0;
            for (size_t i = 1; i < t->n; i++) {
                if (t->min[i] == t->min[i - 1])
                    dups++;
                else
                    missing += (size_t)(t->min[i] - t->min[i - 1] - 1);
            }
            cpe_jw_obj(w);
            cpe_jw_kstr(w, "symbol", cfg->symbols[s]);
            cpe_jw_kstr(w, "market", m ? "perp" : "spot");
            cpe_jw_kint(w, "received", (int64_t)t->n);
            cpe_jw_kint(w, "duplicates", (int64_t)dups);
            cpe_jw_kint(w, "missing", (int64_t)missing);
            cpe_jw_kint(w, "first_ms", t->n ? t->min[0] * CPE_MS_PER_MIN : 0);
            cpe_jw_kint(w, "last_ms", t->n ? t->min[t->n - 1] * CPE_MS_PER_MIN : 0);
            cpe_jw_key(w, "by_source");
            cpe_jw_obj(w);
            for (int p = 0; p < CPE_NEXCHANGES; p++)
                cpe_jw_kint(w, cpe_exchanges()[p]->name, (int64_t)t->by_source[p]);
            cpe_jw_end(w);
            cpe_jw_end(w);
            free(t->min);
        }
    cpe_jw_end(w);
}

/* The feed's state per data kind and its counters. */
static void write_status(cpe_jw_t *w, const cpe_feed_config_t *cfg, const cpe_feed_status_t *fs)
{
    cpe_jw_key(w, "kinds");
    cpe_jw_arr(w);
    for (int k = 0; k < CPE_DK_COUNT; k++) {
        if (!((cfg->kinds >> k) & 1)) continue;
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "kind", fs->kinds[k].kind);
        cpe_jw_kstr(w, "active", fs->kinds[k].active);
        cpe_jw_kbool(w, "stale", fs->kinds[k].stale);
        cpe_jw_kint(w, "switches", fs->kinds[k].switches);
        cpe_jw_kint(w, "max_age_ms", fs->kinds[k].max_age_ms);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_kint(w, "events", (int64_t)fs->events);
    cpe_jw_kint(w, "malformed", (int64_t)fs->malformed);
    cpe_jw_kint(w, "duplicates_dropped", (int64_t)fs->duplicates);
    cpe_jw_kint(w, "reconnects", (int64_t)fs->reconnects);
    cpe_jw_kint(w, "backfill_requests", (int64_t)fs->backfill_requests);
    cpe_jw_kint(w, "backfilled_bars", (int64_t)fs->backfilled_bars);
    cpe_jw_kint(w, "rest_errors", (int64_t)fs->rest_errors);
    cpe_jw_kint(w, "rate_limited", (int64_t)fs->rate_limited);
    cpe_jw_kint(w, "dropped_overflow", (int64_t)fs->dropped_overflow);
}

static int run(cpe_args_t *a)
{
    static const char *const known[] = {"symbols",  "markets",    "kinds",
                                        "duration", "recover-ms", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    cpe_feed_config_t cfg;
    cpe_feed_config_default(&cfg);
    char syms[256];
    if (cpe_arg_str(a, "symbols"))
        snprintf(syms, sizeof syms, "%s", cpe_arg_str(a, "symbols"));
    else
        cpe_assets_symbols(syms, sizeof syms); /* the configured assets (CPE_ASSETS) */
    cfg.nsymbols = 0;
    for (char *t = strtok(syms, ","); t; t = strtok(NULL, ",")) {
        if (cfg.nsymbols == CPE_FEED_MAX_SYMBOLS)
            return cpe_cli_fail(a, 2, "at most %d symbols", CPE_FEED_MAX_SYMBOLS);
        cfg.symbols[cfg.nsymbols++] = t;
    }
    const char *markets = cpe_arg_str(a, "markets");
    if (markets) {
        cfg.spot = strstr(markets, "spot") != NULL;
        cfg.perp = strstr(markets, "perp") != NULL;
        if (!cfg.spot && !cfg.perp)
            return cpe_cli_fail(a, 2, "option '--markets' (%s) names neither spot nor perp",
                                markets);
    }
    if (cpe_arg_str(a, "kinds") && parse_kinds(cpe_arg_str(a, "kinds"), &cfg.kinds))
        return cpe_cli_fail(a, 2, "option '--kinds' (%s): use kline,trade,funding,oi,liq,book",
                            cpe_arg_str(a, "kinds"));
    double duration;
    long recover;
    if ((rc = cpe_arg_double(a, "duration", 0, &duration)) ||
        (rc = cpe_arg_int(a, "recover-ms", 30000, &recover)))
        return rc;
    cfg.recover_ms = recover;

    cpe_diag_t d = {0};
    cpe_store_t *st = NULL;
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    cpe_feed_t *f = NULL;
    if (cpe_feed_start(&cfg, &f, &d)) {
        cpe_store_close(st);
        return cpe_cli_fail(a, 1, "%s", d.msg);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    tally_t tally[CPE_FEED_MAX_SYMBOLS][2];
    memset(tally, 0, sizeof tally);
    enum { BATCH = 4096 };
    cpe_feed_event_t *ev = malloc(BATCH * sizeof *ev);
    int64_t t_end = duration > 0 ? cpe_now_ms() + (int64_t)(duration * 1000) : INT64_MAX;
    int failed = 0;
    int64_t drain_end = INT64_MAX;
    while (!g_stop && !failed) {
        int64_t now = cpe_now_ms();
        /* at the end, give outstanding backfills up to 10 s so the last holes are filled */
        if (now >= t_end && drain_end == INT64_MAX) drain_end = now + 10000;
        int last = now >= t_end && (cpe_feed_pending(f) == 0 || now >= drain_end);
        size_t n;
        while ((n = cpe_feed_poll(f, ev, BATCH)) > 0) {
            for (size_t i = 0; i < n; i++) {
                if (ev[i].ev.kind != CPE_DK_KLINE || !ev[i].ev.closed) continue;
                int s = 0;
                while (s < cfg.nsymbols && strcmp(cfg.symbols[s], ev[i].ev.symbol))
                    s++;
                if (s == cfg.nsymbols) continue;
                tally_t *t = &tally[s][ev[i].ev.market == CPE_SPOT ? 0 : 1];
                if (t->n == t->cap) {
                    size_t nc = t->cap ? t->cap * 2 : 1024;
                    int64_t *p = realloc(t->min, nc * sizeof *p);
                    if (!p) break;
                    t->min = p, t->cap = nc;
                }
                t->min[t->n++] = ev[i].ev.kline.ts_ms / CPE_MS_PER_MIN;
                for (int p = 0; p < CPE_NEXCHANGES; p++)
                    if (cpe_exchanges()[p] == ev[i].exchange) t->by_source[p]++;
            }
            if (cpe_feed_store_events(st, ev, n, &d)) {
                cpe_error("%s", d.msg);
                failed = 1;
                break;
            }
        }
        if (last) break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cpe_feed_status_t fs;
    cpe_feed_status(f, &fs);
    cpe_feed_stop(f);
    free(ev);

    cpe_buf_t out;
    cpe_buf_init(&out, 1 << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &out);
    cpe_jw_obj(&w);
    write_bars(&w, &cfg, tally);
    write_status(&w, &cfg, &fs);
    cpe_jw_end(&w);
    printf("%s\n", out.data);
    cpe_buf_free(&out);
    cpe_store_close(st);
    return failed ? 1 : 0;
}

const cpe_command_t cpe_cmddef_record = {
    "record", "follow the live exchanges and write what arrives into the store",
    "usage: cpe record [--symbols SYM,...] [--markets spot,perp] [--kinds kline,funding,oi,liq]\n"
    "                  [--duration SECONDS] [--recover-ms 30000] [--db PATH]\n\n"
    "--symbols: Binance-form pairs; default: the configured assets (CPE_ASSETS).\n"
    "Streams from the universe's exchanges in fallback order per data kind when the primary\n"
    "fails or goes stale (spec 16.3 limits), and back when it recovers; holes after a\n"
    "reconnect are backfilled over REST. Data is stored under its true source, e.g.\n"
    "EXCHANGE:perp:SYM. Base URLs can be redirected for tests: CPE_<EXCHANGE>_WS_PERP=ws://...,\n"
    "CPE_<EXCHANGE>_REST_PERP=http://... (likewise SPOT). Prints a JSON report:\n"
    "bars received per symbol and market with duplicates and missing minutes, the active\n"
    "source per kind, reconnects, backfills, malformed messages and rate-limit answers.",
    run};
