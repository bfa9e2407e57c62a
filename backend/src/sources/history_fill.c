/* history_fill.c — the configured history of every configured asset from the first
 * exchange that answers (see cpe_history_fill() in cpe/history.h). */
#include "cpe/history.h"
#include "cpe/log.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cpe_history_days(void)
{
    const char *v = getenv("CPE_HISTORY_DAYS");
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : CPE_HISTORY_DAYS_DEFAULT;
    if (v && *v && (*end || n < 0 || n > 3650)) {
        cpe_warn("CPE_HISTORY_DAYS=%s is not a number of days in [0, 3650]: using %d", v,
                 CPE_HISTORY_DAYS_DEFAULT);
        n = CPE_HISTORY_DAYS_DEFAULT;
    }
    return (int)n;
}

/* One market of an asset from the exchanges in fallback order, skipping those whose host
 * did not answer for an earlier asset (dead[]): the exchange that filled it, or NULL. */
static const char *fill_one(cpe_store_t *st, const char *symbol, cpe_market_kind_t m, int days,
                            int *dead, cpe_diag_t *d)
{
    int64_t now = cpe_now_ms();
    for (const cpe_exchange_t *const *e = cpe_exchanges(); *e; e++) {
        char path[512];
        if (dead[e - cpe_exchanges()] ||
            (*e)->rest_path(CPE_DK_KLINE, m, symbol, now - CPE_MS_PER_MIN, now, path, sizeof path))
            continue; /* dead, or no such market there */
        cpe_history_req_t r = {.symbol = symbol,
                               .ex = *e,
                               .from_ms = now - days * CPE_MS_PER_DAY,
                               .to_ms = now,
                               .spot = m == CPE_SPOT,
                               .perp = m == CPE_PERP,
                               .timeout_ms = 10000,
                               .attempts = 2}; /* a start must not wait long on a dead host */
        cpe_history_stats_t s;
        const char *mk = m == CPE_SPOT ? "spot" : "perp";
        cpe_info("history: fetching %d days of %s %s from %s", days, symbol, mk, (*e)->name);
        int rc = cpe_history_fetch(st, &r, &s, d);
        size_t ins = 0;
        for (size_t i = 0; i < s.ntasks; i++)
            ins += s.task[i].inserted;
        if (!rc) {
            cpe_info("history: %s %s from %s: %zu rows new, %zu requests, %.1f s", symbol, mk,
                     (*e)->name, ins, s.requests, (double)s.elapsed_ms / 1000);
            return (*e)->name;
        }
        cpe_warn("history: %s %s from %s failed: %s", symbol, mk, (*e)->name, d->msg);
        if (rc == CPE_ENET) dead[e - cpe_exchanges()] = 1;
        if (rc != CPE_ENET && rc != CPE_EIO && rc != CPE_EPARSE) return NULL; /* the store */
    }
    return NULL;
}

int cpe_history_fill(cpe_store_t *st, char *note, size_t cap)
{
    int days = cpe_history_days();
    if (days <= 0) return 0;
    const char *from = NULL;
    int rc = 0, mixed = 0;
    cpe_diag_t d = {0};
    int dead[2][CPE_NEXCHANGES] = {{0}}; /* per market: spot and perp are other hosts */
    for (size_t i = 0; i < cpe_asset_count(); i++)
        for (int mi = 0; mi < 2; mi++) {
            cpe_market_kind_t m = mi ? CPE_PERP : CPE_SPOT;
            const char *ex = fill_one(st, cpe_asset_at(i)->symbol, m, days, dead[mi], &d);
            if (!ex) {
                rc = d.code ? d.code : CPE_ENET;
                continue;
            }
            if (from && strcmp(from, ex)) mixed = 1;
            from = ex;
        }
    size_t n = strlen(note);
    if (n + 1 < cap && !from)
        snprintf(note + n, cap - n, "; history: no exchange answered");
    else if (n + 1 < cap)
        snprintf(note + n, cap - n, "; history: %d d from %s%s", days,
                 mixed ? "several exchanges" : from, rc ? " (not every series)" : "");
    return from ? 0 : rc;
}
