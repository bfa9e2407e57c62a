/* test_universe.c — the configured assets, the exchange and horizon tables, and the one
 * rule that picks an asset's stored series (against a store double). */
#include "cpe/universe.h"
#include "test.h"

#include <string.h>

#define M 60000LL
#define H (60 * M)

/* A store double: instrument key -> span. */
typedef struct fake {
    const char *key;
    int64_t interval_ms, first_ts, last_ts;
    int simulated;
} fake_t;

typedef struct fakes {
    const fake_t *f;
    size_t n;
    int fail; /* probe returns CPE_ESTORE */
} fakes_t;

static int probe(void *ctx, const char *instrument, int64_t divides_ms, cpe_kline_span_t *out)
{
    const fakes_t *fs = ctx;
    memset(out, 0, sizeof *out);
    if (fs->fail) return CPE_ESTORE;
    for (size_t i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].key, instrument) &&
            (divides_ms <= 0 || divides_ms % fs->f[i].interval_ms == 0)) {
            *out = (cpe_kline_span_t){1,
                                      (int64_t)i + 1,
                                      fs->f[i].interval_ms,
                                      fs->f[i].first_ts,
                                      fs->f[i].last_ts,
                                      (fs->f[i].last_ts - fs->f[i].first_ts) / fs->f[i].interval_ms,
                                      fs->f[i].simulated};
            return 0;
        }
    return 0;
}

static const fake_t store[] = {
    {"binance:spot:BTCUSDT", M, 0, 100 * H, 0},  /* real 1m history, ends at 100 h */
    {"sim:spot:BTCUSDT", M, 90 * H, 200 * H, 1}, /* the simulator's, continues it */
    {"sim:perp:BTCUSDT", M, 90 * H, 200 * H, 1},
    {"binance:spot:ETHUSDT", H, 0, 100 * H, 0}, /* real hourly only */
    {"sim:spot:ETHUSDT", M, 90 * H, 200 * H, 1},
    {"okx:perp:SOLUSDT", M, 0, 10 * H, 0}, /* a fallback exchange's perp */
};

static void test_resolve_prefers_real_binance_in_window_else_simulator(void)
{
    fakes_t fs = {store, sizeof store / sizeof store[0], 0};
    cpe_resolved_t r;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_instrument_resolve("BTC", CPE_MARKET_ANY, M, CPE_PREFER_REAL, 10 * H, 20 * H,
                                        probe, &fs, &r, &d),
                 0);
    CHECK_STR(r.instrument, "binance:spot:BTCUSDT");
    CHECK_EQ_INT(r.in_window, 1);
    /* after the real history ends: the simulator's */
    CHECK_EQ_INT(cpe_instrument_resolve("BTCUSDT", CPE_MARKET_ANY, M, CPE_PREFER_REAL, 150 * H,
                                        160 * H, probe, &fs, &r, &d),
                 0);
    CHECK_STR(r.instrument, "sim:spot:BTCUSDT");
    CHECK_EQ_INT(r.span.simulated, 1);
    /* a window nobody covers: the first non-empty candidate, marked out of window */
    CHECK_EQ_INT(cpe_instrument_resolve("BTC", CPE_MARKET_ANY, M, CPE_PREFER_REAL, 300 * H, 310 * H,
                                        probe, &fs, &r, &d),
                 0);
    CHECK_STR(r.instrument, "binance:spot:BTCUSDT");
    CHECK_EQ_INT(r.in_window, 0);
}

static void test_resolve_interval_must_divide_the_request(void)
{
    fakes_t fs = {store, sizeof store / sizeof store[0], 0};
    cpe_resolved_t r;
    /* ETH's real history is hourly: it serves 4h bars but not 1m or 5m ones */
    CHECK_EQ_INT(cpe_instrument_resolve("ETH", CPE_MARKET_ANY, 4 * H, CPE_PREFER_REAL, 10 * H,
                                        20 * H, probe, &fs, &r, NULL),
                 0);
    CHECK_STR(r.instrument, "binance:spot:ETHUSDT");
    CHECK_EQ_INT(r.span.interval_ms, H);
    CHECK_EQ_INT(cpe_instrument_resolve("ETH", CPE_MARKET_ANY, 5 * M, CPE_PREFER_REAL, 10 * H,
                                        20 * H, probe, &fs, &r, NULL),
                 0);
    CHECK_STR(r.instrument, "sim:spot:ETHUSDT");
}

static void test_resolve_market_and_source_preference(void)
{
    fakes_t fs = {store, sizeof store / sizeof store[0], 0};
    cpe_resolved_t r;
    CHECK_EQ_INT(cpe_instrument_resolve("BTC", CPE_PERP, M, CPE_PREFER_REAL, 10 * H, 20 * H, probe,
                                        &fs, &r, NULL),
                 0);
    CHECK_STR(r.instrument, "sim:perp:BTCUSDT");
    /* serving simulated data: the simulator first when it covers the window */
    CHECK_EQ_INT(cpe_instrument_resolve("BTC", CPE_MARKET_ANY, M, CPE_PREFER_SIM, 95 * H, 96 * H,
                                        probe, &fs, &r, NULL),
                 0);
    CHECK_STR(r.instrument, "sim:spot:BTCUSDT");
    /* an exchange further down the fallback order is a candidate too */
    CHECK_EQ_INT(cpe_instrument_resolve("SOL", CPE_MARKET_ANY, M, CPE_PREFER_REAL, 0, H, probe, &fs,
                                        &r, NULL),
                 0);
    CHECK_STR(r.instrument, "okx:perp:SOLUSDT");
}

static void test_resolve_reports_missing_asset_and_store_errors(void)
{
    fakes_t fs = {store, sizeof store / sizeof store[0], 0};
    cpe_resolved_t r;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_instrument_resolve("DOGE", CPE_MARKET_ANY, M, CPE_PREFER_REAL, 0, H, probe,
                                        &fs, &r, &d),
                 CPE_ENOTFOUND);
    CHECK(strstr(d.msg, "DOGEUSDT") != NULL);
    fs.fail = 1;
    CHECK_EQ_INT(
        cpe_instrument_resolve("BTC", CPE_MARKET_ANY, M, CPE_PREFER_REAL, 0, H, probe, &fs, &r, &d),
        CPE_ESTORE);
}

static void test_assets_are_configured_not_compiled_in(void)
{
    cpe_diag_t d = {0};
    char text[256];
    CHECK_EQ_INT(cpe_universe_configure("BTC,eth,SOLUSDT,PEPE", &d), 0);
    CHECK_EQ_INT(cpe_asset_count(), 4);
    CHECK_STR(cpe_asset_at(2)->asset, "SOL");
    CHECK_STR(cpe_asset_at(2)->symbol, "SOLUSDT");
    CHECK_EQ_INT(cpe_asset_index("solusdt"), 2);
    CHECK_EQ_INT(cpe_asset_index("DOGE"), -1);
    CHECK(cpe_asset_find("ETH") && cpe_asset_find("ETH")->catalogued);
    /* an asset without a catalogue row gets the generic parameters */
    const cpe_asset_t *p = cpe_asset_find("PEPE");
    CHECK(p && !p->catalogued && p->sim.price0 > 0 && p->tick > 0 && p->contract_value > 0);
    cpe_assets_text(text, sizeof text);
    CHECK_STR(text, "BTC, ETH, SOL, PEPE");
    cpe_assets_symbols(text, sizeof text);
    CHECK_STR(text, "BTCUSDT,ETHUSDT,SOLUSDT,PEPEUSDT");
    /* bad lists leave the table as it was */
    CHECK_EQ_INT(cpe_universe_configure("BTC,BTC", &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "twice") != NULL);
    CHECK_EQ_INT(cpe_universe_configure("BTC,B-C", &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_universe_configure("", &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_asset_count(), 4);
}

static void test_exchange_table_and_symbol_forms(void)
{
    char s[48];
    CHECK_EQ_INT(CPE_NEXCHANGES, 4);
    CHECK_STR(cpe_exchange_name(CPE_NEXCHANGES - 1), "coinbase"); /* last in fallback order */
    CHECK_STR(cpe_exchange_name(0), "binance");
    CHECK_EQ_INT(cpe_exchange_id("okx"), CPE_EX_OKX);
    CHECK_EQ_INT(cpe_exchange_id(CPE_SIM_EXCHANGE), -1);
    CHECK(cpe_exchange_name(CPE_NEXCHANGES) == NULL);
    cpe_exchange_symbol(CPE_EX_OKX, CPE_PERP, "SOLUSDT", s, sizeof s);
    CHECK_STR(s, "SOL-USDT-SWAP");
    cpe_exchange_symbol(CPE_EX_OKX, CPE_SPOT, "SOLUSDT", s, sizeof s);
    CHECK_STR(s, "SOL-USDT");
    cpe_exchange_symbol(CPE_EX_BYBIT, CPE_PERP, "SOLUSDT", s, sizeof s);
    CHECK_STR(s, "SOLUSDT");
    cpe_exchange_symbol(CPE_EX_COINBASE, CPE_SPOT, "SOLUSDT", s, sizeof s);
    CHECK_STR(s, "SOL-USDT");
    cpe_exchange_symbol_back(CPE_EX_COINBASE, "SOL-USDT", s, sizeof s);
    CHECK_STR(s, "SOLUSDT");
    cpe_exchange_symbol_back(CPE_EX_OKX, "ETH-USDT-SWAP", s, sizeof s);
    CHECK_STR(s, "ETHUSDT");
}

static void test_horizons_and_intervals(void)
{
    CHECK_EQ_INT(cpe_horizon_index(1), 0);
    CHECK_EQ_INT(cpe_horizon_index(24), 3);
    CHECK_EQ_INT(cpe_horizon_index(2), -1);
    char text[64] = "";
    for (int i = 0; i < CPE_NHORIZONS; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%d", i ? ", " : "",
                 cpe_horizons_h[i]);
    CHECK_STR(text, cpe_horizons_text());
    CHECK(cpe_interval_is_served("4h"));
    CHECK(!cpe_interval_is_served("3m"));
    for (size_t i = 1; cpe_interval_at(i); i++)
        CHECK(cpe_interval_at(i) > cpe_interval_at(i - 1));
    text[0] = 0;
    for (size_t i = 0; cpe_interval_at(i); i++) {
        const char *nm = cpe_interval_name(cpe_interval_at(i));
        if (cpe_interval_is_served(nm))
            snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", text[0] ? ", " : "",
                     nm);
    }
    CHECK_STR(text, cpe_intervals_served_text());
}

int main(void)
{
    RUN(test_resolve_prefers_real_binance_in_window_else_simulator);
    RUN(test_resolve_interval_must_divide_the_request);
    RUN(test_resolve_market_and_source_preference);
    RUN(test_resolve_reports_missing_asset_and_store_errors);
    RUN(test_assets_are_configured_not_compiled_in);
    RUN(test_exchange_table_and_symbol_forms);
    RUN(test_horizons_and_intervals);
    return TEST_DONE();
}
