/* test_panels.c — liquidation bands, support/resistance and the volume profile on
 * hand-built bars whose answers are known. */
#include "api/panels.h"
#include "test.h"

static cpe_bar_t bar(int64_t t, double o, double h, double l, double c, double v)
{
    cpe_bar_t b;
    memset(&b, 0, sizeof b);
    b.ts_ms = t;
    b.open = o;
    b.high = h;
    b.low = l;
    b.close = c;
    b.volume = v;
    b.taker_buy_base = NAN;
    b.oi = b.funding = b.basis = b.liq_long = b.liq_short = NAN;
    return b;
}

static void test_volume_profile_conserves_volume(void)
{
    cpe_bar_t b[3] = {bar(0, 100, 110, 100, 105, 10), bar(1, 105, 105, 105, 105, 5),
                      bar(2, 105, 120, 110, 115, 20)};
    b[0].taker_buy_base = 6;
    cpe_vp_bin_t vp[20];
    size_t n = cpe_volume_profile(b, 3, 20, vp);
    CHECK_EQ_INT(n, 20);
    double tot = 0, buy = 0;
    for (size_t i = 0; i < n; i++) {
        tot += vp[i].volume;
        buy += vp[i].buy_volume;
    }
    CHECK_NEAR(tot, 35, 1e-9);
    CHECK_NEAR(buy, 6, 1e-9);
    CHECK_NEAR(vp[0].price_lo, 100, 1e-12);
    CHECK_NEAR(vp[19].price_hi, 120, 1e-12);
    /* the zero-range bar at 105 lands in one bin: [105, 106) */
    CHECK(vp[5].volume >= 5);
}

static void test_levels_find_swing_high_and_low(void)
{
    cpe_bar_t b[21];
    for (int i = 0; i < 21; i++) {
        double mid = 100 + (i <= 10 ? i : 20 - i); /* a peak at i = 10 */
        b[i] = bar(i, mid, mid + 1, mid - 1, mid, 1);
    }
    cpe_level_t lv[4];
    size_t n = cpe_sr_levels(b, 21, 3, 0.001, lv, 4);
    CHECK(n >= 1);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(lv[i].price - 111) < 1e-9 && lv[i].resistance) found = 1;
    CHECK_MSG(found, "no resistance at 111 (first level %.3f)", n ? lv[0].price : NAN);
    CHECK_NEAR(lv[0].strength, 1.0, 1e-12);
}

static void test_levels_cluster_repeated_touches(void)
{
    cpe_bar_t b[40];
    for (int i = 0; i < 40; i++) {
        double lo = (i % 10 == 5) ? 90.0 + 0.01 * (i / 10) : 95.0; /* four dips to ~90 */
        b[i] = bar(i, 100, 101, lo, 100, 1);
    }
    cpe_level_t lv[4];
    size_t n = cpe_sr_levels(b, 40, 2, 0.002, lv, 4);
    CHECK(n >= 1);
    CHECK_EQ_INT(lv[0].touches, 4);
    CHECK_EQ_INT(lv[0].resistance, 0);
    CHECK_NEAR(lv[0].price, 90.015, 0.01);
}

static void test_liq_bands_empty_without_oi_and_sided_with_oi(void)
{
    cpe_bar_t b[30];
    for (int i = 0; i < 30; i++)
        b[i] = bar(i, 100, 100.2, 99.8, 100, 1);
    cpe_liq_band_t out[32];
    CHECK_EQ_INT(cpe_liq_clusters(b, 30, 0.0025, out, 32), 0);
    for (int i = 0; i < 30; i++)
        b[i].oi = 1000 + 10 * i; /* OI grows every bar */
    size_t n = cpe_liq_clusters(b, 30, 0.0025, out, 32);
    CHECK(n >= 2);
    int longs = 0, shorts = 0;
    double mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[i].side > 0) {
            longs++;
            CHECK(out[i].price_hi <= 100); /* long liquidations sit below the price */
        } else {
            shorts++;
            CHECK(out[i].price_lo >= 100);
        }
        mx = fmax(mx, out[i].intensity);
    }
    CHECK(longs > 0 && shorts > 0);
    CHECK_NEAR(mx, 1.0, 1e-12);
}

static void test_liq_bands_drop_positions_already_liquidated(void)
{
    cpe_bar_t b[4] = {bar(0, 100, 100, 100, 100, 1), bar(1, 100, 100, 100, 100, 1),
                      bar(2, 100, 100, 80, 100, 1), bar(3, 100, 100, 100, 100, 1)};
    b[0].oi = 1000;
    b[1].oi = 2000; /* positions opened at 100 ... */
    b[2].oi = 2000;
    b[3].oi = 2000;
    cpe_liq_band_t out[32];
    size_t n = cpe_liq_clusters(b, 4, 0.0025, out, 32);
    /* ... then a wick to 80 liquidated every long tier (10x liquidates near 90.5) */
    for (size_t i = 0; i < n; i++)
        CHECK(out[i].side < 0);
    CHECK(n > 0);
}

int main(void)
{
    RUN(test_volume_profile_conserves_volume);
    RUN(test_levels_find_swing_high_and_low);
    RUN(test_levels_cluster_repeated_touches);
    RUN(test_liq_bands_empty_without_oi_and_sided_with_oi);
    RUN(test_liq_bands_drop_positions_already_liquidated);
    return TEST_DONE();
}
