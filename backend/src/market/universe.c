/* universe.c — the tables of assets, exchanges, horizons and intervals, and the resolver of
 * an asset's stored series (see cpe/universe.h). */
#include "cpe/universe.h"
#include "cpe/timeutil.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- exchanges ---------- */

static const struct {
    const char *name, *sep, *perp_suffix;
} exchanges[CPE_NEXCHANGES] = {
#define CPE_EX_ROW_(id, name, sep, suffix) [id] = {name, sep, suffix},
    CPE_EXCHANGE_LIST(CPE_EX_ROW_)
#undef CPE_EX_ROW_
};

const char *cpe_exchange_name(int id)
{
    return id >= 0 && id < CPE_NEXCHANGES ? exchanges[id].name : NULL;
}

int cpe_exchange_id(const char *name)
{
    for (int i = 0; name && i < CPE_NEXCHANGES; i++)
        if (!strcmp(exchanges[i].name, name)) return i;
    return -1;
}

void cpe_exchange_symbol(int id, cpe_market_kind_t m, const char *symbol, char *out, size_t cap)
{
    size_t n = strlen(symbol), q = strlen(CPE_QUOTE);
    if (id < 0 || id >= CPE_NEXCHANGES || n <= q || strcmp(symbol + n - q, CPE_QUOTE)) {
        snprintf(out, cap, "%s", symbol);
        return;
    }
    snprintf(out, cap, "%.*s%s%s%s", (int)(n - q), symbol, exchanges[id].sep, CPE_QUOTE,
             m == CPE_PERP ? exchanges[id].perp_suffix : "");
}

void cpe_exchange_symbol_back(int id, const char *name, char *out, size_t cap)
{
    const char *sep = id >= 0 && id < CPE_NEXCHANGES ? exchanges[id].sep : "";
    const char *suf = id >= 0 && id < CPE_NEXCHANGES ? exchanges[id].perp_suffix : "";
    size_t n = strlen(name), ls = strlen(suf), k = 0;
    if (ls && n > ls && !strcmp(name + n - ls, suf)) n -= ls;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        if (!*sep || name[i] != *sep) out[k++] = name[i];
    if (cap) out[k] = 0;
}

/* ---------- horizons ---------- */

const int cpe_horizons_h[CPE_NHORIZONS] = {1, 4, 8, 24};

int cpe_horizon_index(int horizon_h)
{
    for (int i = 0; i < CPE_NHORIZONS; i++)
        if (cpe_horizons_h[i] == horizon_h) return i;
    return -1;
}

const char *cpe_horizons_text(void)
{
    return CPE_HORIZONS_TEXT;
}

/* ---------- intervals ---------- */

static const struct {
    const char *name;
    int64_t ms;
    int served; /* the API serves bars of this interval */
} intervals[] = {
    {"1m", CPE_MS_PER_MIN, 1},        {"3m", 3 * CPE_MS_PER_MIN, 0},
    {"5m", 5 * CPE_MS_PER_MIN, 1},    {"15m", 15 * CPE_MS_PER_MIN, 1},
    {"30m", 30 * CPE_MS_PER_MIN, 0},  {"1h", CPE_MS_PER_HOUR, 1},
    {"2h", 2 * CPE_MS_PER_HOUR, 0},   {"4h", 4 * CPE_MS_PER_HOUR, 1},
    {"6h", 6 * CPE_MS_PER_HOUR, 0},   {"8h", 8 * CPE_MS_PER_HOUR, 0},
    {"12h", 12 * CPE_MS_PER_HOUR, 0}, {"1d", CPE_MS_PER_DAY, 1},
};
#define NINTERVALS (sizeof intervals / sizeof intervals[0])

int cpe_interval_parse(const char *s, int64_t *ms)
{
    for (size_t i = 0; s && i < NINTERVALS; i++)
        if (!strcmp(s, intervals[i].name)) {
            *ms = intervals[i].ms;
            return 0;
        }
    return CPE_EINVAL;
}

const char *cpe_interval_name(int64_t ms)
{
    for (size_t i = 0; i < NINTERVALS; i++)
        if (intervals[i].ms == ms) return intervals[i].name;
    return NULL;
}

int64_t cpe_interval_at(size_t i)
{
    return i < NINTERVALS ? intervals[i].ms : 0;
}

int cpe_interval_is_served(const char *name)
{
    for (size_t i = 0; name && i < NINTERVALS; i++)
        if (intervals[i].served && !strcmp(name, intervals[i].name)) return 1;
    return 0;
}

const char *cpe_intervals_served_text(void)
{
    return CPE_INTERVALS_SERVED_TEXT;
}

/* ---------- assets ---------- */

void cpe_asset_to_symbol(const char *asset, char out[32])
{
    size_t n = strlen(asset), q = strlen(CPE_QUOTE);
    if (n >= q && !strcmp(asset + n - q, CPE_QUOTE))
        snprintf(out, 32, "%s", asset);
    else
        snprintf(out, 32, "%s%s", asset, CPE_QUOTE);
}

void cpe_symbol_to_asset(const char *symbol, char *out, size_t cap)
{
    size_t n = strlen(symbol), q = strlen(CPE_QUOTE);
    snprintf(out, cap, "%.*s", (int)(n > q && !strcmp(symbol + n - q, CPE_QUOTE) ? n - q : n),
             symbol);
}

/* The catalogue: assets with parameters of their own (docs/SIMULATOR.md explains the
 * simulator's numbers). An asset without a row gets `generic`. */
static const cpe_asset_t catalogue[] = {
    /* asset, symbol, tick, lot, OKX contract value, catalogued,
     * sim {price0, sigma_1m, rho, volume_usd_1m, oi_usd, trade_usd}, cross asset, numerator */
    {"BTC", "", 0.01, 1e-5, 0.01, 1, {60000.0, 0.0006, 0.90, 1.5e6, 8e9, 800}, "ETH", 0},
    {"ETH", "", 0.01, 1e-4, 0.1, 1, {3000.0, 0.0008, 0.80, 8e5, 4e9, 500}, "BTC", 1},
    {"SOL", "", 0.01, 1e-3, 1.0, 1, {150.0, 0.0011, 0.70, 3e5, 1.5e9, 300}, "", 0},
    {"BNB", "", 0.01, 1e-3, 0.01, 1, {550.0, 0.0008, 0.65, 1e5, 6e8, 250}, "", 0},
    {"XRP", "", 0.0001, 0.1, 100.0, 1, {0.6, 0.0010, 0.65, 1.5e5, 8e8, 200}, "", 0},
};
static const cpe_asset_t generic = {
    "", "", 0.01, 1e-3, 1.0, 0, {100.0, 0.0012, 0.60, 1e5, 3e8, 200}, "", 0};

static struct {
    size_t n;
    cpe_asset_t a[CPE_ASSETS_MAX];
} configured;
static pthread_once_t configured_once = PTHREAD_ONCE_INIT;

/* "btc", "BTCUSDT" -> "BTC"; 0 or CPE_EINVAL. */
static int asset_name(const char *in, char out[CPE_ASSET_NAME_MAX])
{
    size_t n = in ? strlen(in) : 0, q = strlen(CPE_QUOTE);
    if (n < 2 || n > 10 + q) return CPE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)in[i])) return CPE_EINVAL;
        out[i] = (char)toupper((unsigned char)in[i]);
    }
    out[n] = 0;
    if (n > q && !strcmp(out + n - q, CPE_QUOTE)) out[n -= q] = 0;
    return n >= 2 && n <= 10 ? 0 : CPE_EINVAL;
}

int cpe_asset_params(const char *name, cpe_asset_t *out, cpe_diag_t *d)
{
    char a[CPE_ASSET_NAME_MAX];
    if (!name || strlen(name) >= sizeof a || asset_name(name, a))
        return cpe_diag_set(d, CPE_EINVAL, "asset '%s' is not 2-10 letters or digits (e.g. SOL)",
                            name ? name : "");
    *out = generic;
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++)
        if (!strcmp(catalogue[i].asset, a)) *out = catalogue[i];
    snprintf(out->asset, sizeof out->asset, "%s", a);
    snprintf(out->symbol, sizeof out->symbol, "%s%s", a, CPE_QUOTE);
    return 0;
}

static int parse_list(const char *list, cpe_asset_t *a, size_t *n, cpe_diag_t *d)
{
    char buf[1024];
    if (!list || strlen(list) >= sizeof buf)
        return cpe_diag_set(d, CPE_EINVAL, "asset list is missing or longer than %zu bytes",
                            sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (*n == CPE_ASSETS_MAX)
            return cpe_diag_set(d, CPE_EINVAL, "more than %d assets configured", CPE_ASSETS_MAX);
        int rc = cpe_asset_params(t, &a[*n], d);
        if (rc) return rc;
        for (size_t j = 0; j < *n; j++)
            if (!strcmp(a[j].asset, a[*n].asset))
                return cpe_diag_set(d, CPE_EINVAL, "asset '%s' is configured twice", t);
        (*n)++;
    }
    if (!*n) return cpe_diag_set(d, CPE_EINVAL, "no asset configured in '%s'", list);
    return 0;
}

static void configure_from_env(void)
{
    const char *v = getenv("CPE_ASSETS");
    cpe_diag_t d = {0};
    if (v && *v && !parse_list(v, configured.a, &configured.n, &d)) return;
    if (v && *v) fprintf(stderr, "CPE_ASSETS ignored: %s\n", d.msg);
    parse_list(CPE_ASSETS_DEFAULT, configured.a, &configured.n, NULL);
}

int cpe_universe_configure(const char *list, cpe_diag_t *d)
{
    pthread_once(&configured_once, configure_from_env);
    cpe_asset_t a[CPE_ASSETS_MAX];
    size_t n = 0;
    int rc = parse_list(list, a, &n, d);
    if (rc) return rc;
    memcpy(configured.a, a, n * sizeof *a);
    configured.n = n;
    return 0;
}

size_t cpe_asset_count(void)
{
    pthread_once(&configured_once, configure_from_env);
    return configured.n;
}

const cpe_asset_t *cpe_asset_at(size_t i)
{
    return i < cpe_asset_count() ? &configured.a[i] : NULL;
}

int cpe_asset_index(const char *name)
{
    char a[CPE_ASSET_NAME_MAX];
    if (!name || strlen(name) >= sizeof a || asset_name(name, a)) return -1;
    for (size_t i = 0; i < cpe_asset_count(); i++)
        if (!strcmp(configured.a[i].asset, a)) return (int)i;
    return -1;
}

const cpe_asset_t *cpe_asset_find(const char *name)
{
    int i = cpe_asset_index(name);
    return i < 0 ? NULL : &configured.a[i];
}

static void join(char *out, size_t cap, const char *sep, int symbols)
{
    size_t k = 0;
    if (cap) out[0] = 0;
    for (size_t i = 0; i < cpe_asset_count() && k < cap; i++) {
        int w = snprintf(out + k, cap - k, "%s%s", i ? sep : "",
                         symbols ? configured.a[i].symbol : configured.a[i].asset);
        if (w < 0) break;
        k += (size_t)w;
    }
}

void cpe_assets_text(char *out, size_t cap)
{
    join(out, cap, ", ", 0);
}

void cpe_assets_symbols(char *out, size_t cap)
{
    join(out, cap, ",", 1);
}

/* ---------- the resolver ---------- */

size_t cpe_instrument_candidates(const char *asset, int market, cpe_source_pref_t pref,
                                 cpe_instrument_t out[CPE_RESOLVE_MAX])
{
    char sym[32];
    cpe_asset_to_symbol(asset, sym);
    /* sources in preference order: exchanges (fallback order) and the simulator */
    const char *src[CPE_NEXCHANGES + 1];
    size_t ns = 0, n = 0;
    if (pref == CPE_PREFER_SIM) src[ns++] = CPE_SIM_EXCHANGE;
    for (int e = 0; e < CPE_NEXCHANGES; e++)
        src[ns++] = exchanges[e].name;
    if (pref != CPE_PREFER_SIM) src[ns++] = CPE_SIM_EXCHANGE;
    const cpe_market_kind_t mk[2] = {CPE_SPOT, CPE_PERP};
    for (size_t s = 0; s < ns; s++)
        for (int m = 0; m < 2; m++) {
            if (market != CPE_MARKET_ANY && market != (int)mk[m]) continue;
            cpe_instrument_t *in = &out[n++];
            memset(in, 0, sizeof *in);
            snprintf(in->exchange, sizeof in->exchange, "%s", src[s]);
            snprintf(in->symbol, sizeof in->symbol, "%s", sym);
            in->kind = mk[m];
        }
    return n;
}

int cpe_instrument_resolve(const char *asset, int market, int64_t interval_ms,
                           cpe_source_pref_t pref, int64_t from_ms, int64_t to_ms,
                           cpe_kline_probe_fn probe, void *ctx, cpe_resolved_t *out, cpe_diag_t *d)
{
    memset(out, 0, sizeof *out);
    cpe_instrument_t cand[CPE_RESOLVE_MAX];
    size_t nc = cpe_instrument_candidates(asset, market, pref, cand);
    cpe_resolved_t first = {0};
    for (size_t i = 0; i < nc; i++) {
        cpe_resolved_t r = {0};
        r.in = cand[i];
        cpe_instrument_key(&r.in, r.instrument);
        int rc = probe(ctx, r.instrument, interval_ms, &r.span);
        if (rc) return cpe_diag_set(d, rc, "%s: the store could not be read", r.instrument);
        if (!r.span.ok) continue;
        r.in_window = r.span.first_ts < to_ms && r.span.last_ts + r.span.interval_ms > from_ms;
        if (r.in_window) {
            *out = r;
            return 0;
        }
        if (!first.span.ok) first = r;
    }
    if (first.span.ok) {
        *out = first;
        return 0;
    }
    char sym[32];
    cpe_asset_to_symbol(asset, sym);
    return cpe_diag_set(d, CPE_ENOTFOUND,
                        "no klines of %s%s%s in the store (looked for %s, then %s; import a "
                        "kline file or run cpe simulate)",
                        sym,
                        market == CPE_PERP   ? " perp"
                        : market == CPE_SPOT ? " spot"
                                             : "",
                        interval_ms > 0 ? " at a divisor of the interval" : "",
                        pref == CPE_PREFER_SIM ? CPE_SIM_EXCHANGE : "the exchanges",
                        pref == CPE_PREFER_SIM ? "the exchanges" : CPE_SIM_EXCHANGE);
}
