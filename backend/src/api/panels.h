/*
 * panels.h — the market-structure overlays /market-data returns beside the bars:
 * liquidation cluster bands, support/resistance levels and a volume profile.
 * Pure functions over caller-owned bar arrays (ascending open time); no I/O.
 *
 * Liquidation clusters (an ESTIMATE, not an observed order book):
 *   every bar whose open interest rose opened new positions worth dOI at its close.
 *   They are split long/short by the bar's taker-buy share (0.5 without taker data)
 *   and spread over the leverage tiers 10x/25x/50x/100x with weights .35/.30/.20/.15.
 *   A long opened at price P with leverage L is liquidated near P*(1 - 1/L + mm), a short
 *   near P*(1 + 1/L - mm), mm = 0.5 % maintenance margin. Positions whose liquidation
 *   price a later bar already traded through are dropped (they are gone). The remaining
 *   notional is binned into price bins of `bin_rel` x last close; adjacent non-empty bins
 *   of one side merge into a band; intensity = band notional / the largest band's.
 *   No OI in the window -> no bands.
 * Support/resistance: swing highs/lows (a bar's high/low is the extreme of the `swing`
 *   bars on each side), clustered greedily when within tol_rel x price of the cluster's
 *   mean; strength = touches weighted by recency (1 for the last bar, 0.5 for the first),
 *   normalised to the strongest. A level above the last close is resistance, below support.
 * Volume profile: nbins equal price bins between the window's lowest low and highest
 *   high; each bar's volume (and taker-buy volume) is spread uniformly over its range.
 */
#ifndef CPE_API_PANELS_H
#define CPE_API_PANELS_H

#include "cpe/market.h"

#include <stddef.h>

typedef struct cpe_liq_band {
    double price_lo, price_hi, notional, intensity;
    int side; /* +1 longs liquidated there (below price), -1 shorts (above) */
} cpe_liq_band_t;

typedef struct cpe_level {
    double price, strength;
    int touches;
    int resistance; /* 1 resistance, 0 support */
} cpe_level_t;

typedef struct cpe_vp_bin {
    double price_lo, price_hi, volume, buy_volume; /* buy_volume NaN without taker data */
} cpe_vp_bin_t;

/* Up to max bands into out; returns how many. */
size_t cpe_liq_clusters(const cpe_bar_t *b, size_t n, double bin_rel, cpe_liq_band_t *out,
                        size_t max);
size_t cpe_sr_levels(const cpe_bar_t *b, size_t n, int swing, double tol_rel, cpe_level_t *out,
                     size_t max);
size_t cpe_volume_profile(const cpe_bar_t *b, size_t n, size_t nbins, cpe_vp_bin_t *out);

#endif
