/* cmd_onchain.c — `cpe onchain`: the on-chain and stablecoin connectors (cpe/onchain.h) over
 * a range into the store, resumable (a second run asks only for what is new); a JSON report
 * on stdout. Keys come from the environment only. */
#include "cli/cli.h"
#include "cpe/buf.h"
#include "cpe/json.h"
#include "cpe/onchain.h"
#include "cpe/store.h"
#include "cpe/timeutil.h"
#include "cpe/universe.h"

#include <stdio.h>
#include <string.h>

/* --sources a,b -> bit mask (0 = every configured one). */
static int parse_sources(cpe_args_t *a, unsigned *mask)
{
    *mask = 0;
    const char *v = cpe_arg_str(a, "sources");
    if (!v) return 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int id = cpe_onchain_source_id(t);
        if (id < 0)
            return cpe_cli_fail(a, 2,
                                "option '--sources' (%s): '%s' is not one of glassnode, "
                                "cryptoquant, whale_alert, defillama",
                                v, t);
        *mask |= 1u << id;
    }
    return 0;
}

static void report(const cpe_onchain_report_t *r, int64_t elapsed_ms)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1u << 20);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "requests", r->requests);
    cpe_jw_kint(&w, "rate_waits", r->rate_waits);
    cpe_jw_kint(&w, "retries", r->retries);
    cpe_jw_kint(&w, "elapsed_ms", elapsed_ms);
    cpe_jw_key(&w, "not_configured");
    cpe_jw_arr(&w);
    for (int i = 0; i < CPE_OC_NSOURCES; i++)
        if (r->skipped[i]) cpe_jw_str(&w, cpe_onchain_source(i)->name);
    cpe_jw_end(&w);
    cpe_jw_key(&w, "series");
    cpe_jw_arr(&w);
    for (size_t i = 0; i < r->nrows; i++) {
        const cpe_onchain_row_t *x = &r->row[i];
        cpe_jw_obj(&w);
        cpe_jw_kstr(&w, "source", x->source);
        cpe_jw_kstr(&w, "instrument", x->instrument);
        cpe_jw_kstr(&w, "kind", x->kind);
        cpe_jw_kint(&w, "requests", x->requests);
        cpe_jw_kint(&w, "inserted", x->inserted);
        cpe_jw_kint(&w, "updated", x->updated);
        cpe_jw_kint(&w, "unchanged", x->unchanged);
        if (x->rc) cpe_jw_kstr(&w, "error", x->error);
        cpe_jw_end(&w);
    }
    cpe_jw_end(&w);
    cpe_jw_end(&w);
    printf("%.*s\n", (int)b.len, b.data ? b.data : "");
    cpe_buf_free(&b);
}

static int run(cpe_args_t *a)
{
    static const char *const known[] = {"days", "from",    "to",       "sources",
                                        "base", "per-min", "max-wait", NULL};
    if (cpe_args_check(a, known)) return 2;
    cpe_onchain_opts_t o;
    cpe_onchain_opts_init(&o);
    long days, max_wait;
    long long from, to;
    double per_min;
    int64_t now = cpe_now_ms();
    if (cpe_arg_int(a, "days", 365, &days) || cpe_arg_time(a, "to", now, &to) ||
        cpe_arg_double(a, "per-min", 0, &per_min) || cpe_arg_int(a, "max-wait", 120, &max_wait))
        return 2;
    if (days < 1) return cpe_cli_fail(a, 2, "option '--days' (%ld) must be at least 1", days);
    if (cpe_arg_time(a, "from", to - (long long)days * 86400000LL, &from)) return 2;
    if (from >= to) return cpe_cli_fail(a, 2, "option '--from' must be before '--to'");
    if (parse_sources(a, &o.sources)) return 2;
    o.from_ms = from;
    o.to_ms = to;
    o.base = cpe_arg_str(a, "base");
    o.per_min = per_min;
    o.max_wait_ms = (int64_t)max_wait * 1000;
    const char *assets[CPE_ASSETS_MAX + 1];
    size_t na = cpe_asset_count();
    for (size_t i = 0; i < na && i < CPE_ASSETS_MAX; i++)
        assets[i] = cpe_asset_at(i)->asset;
    assets[na < CPE_ASSETS_MAX ? na : CPE_ASSETS_MAX] = NULL;
    o.assets = assets;
    cpe_diag_t d = {0};
    cpe_store_t *s = NULL;
    if (cpe_store_open(a->db, &s, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    cpe_onchain_report_t rep;
    int rc = cpe_onchain_fetch(s, &o, &rep, &d);
    report(&rep, cpe_now_ms() - now);
    cpe_store_close(s);
    if (rc) return cpe_cli_fail(a, 1, "%s", d.msg);
    return 0;
}

const cpe_command_t cpe_cmddef_onchain = {
    "onchain",
    "fetch on-chain flows and stablecoin supply (Glassnode, CryptoQuant, Whale Alert, DefiLlama)",
    "usage: cpe onchain [--days N | --from T] [--to T] [--sources "
    "glassnode,cryptoquant,whale_alert,defillama]\n"
    "                   [--base URL] [--per-min N] [--max-wait S]\n"
    "Fetches every configured source's series over the range (default the last 365 days) into\n"
    "named series (docs/LIVE_DATA.md, On-chain). Keys from the environment: "
    "CPE_GLASSNODE_API_KEY,\n"
    "CPE_CRYPTOQUANT_API_KEY, CPE_WHALE_ALERT_API_KEY (DefiLlama is keyless); a source without\n"
    "its key is skipped and listed under not_configured. A second run asks only for what is new.\n"
    "--base sends every request to URL (a local double); --per-min overrides each source's\n"
    "request budget; a 429 longer than --max-wait seconds (120) fails the series.",
    run};
