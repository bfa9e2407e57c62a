/*
 * features.h — the feature engine: every feature of shared/spec/features.md (spec section 8)
 * computed incrementally, one 1-minute bar at a time, with no look-ahead by construction.
 *
 * Model. A cpe_features_t is a streaming state. The caller pushes each CLOSED bar of the
 * main instrument (cpe_bar_t, 1m, ascending open time) together with the side-series
 * observations that became available since the previous push, and gets the whole feature
 * vector as of that bar's close:
 *
 *     bar[t] + obs (avail in (close[t-1], close[t]]) ──push──► state ──► out[0..count)
 *
 * Every feature costs O(1) per bar (ring buffers, Wilder/EMA recursions, running sums that
 * are re-summed from their ring every 4096 bars, monotone deques for windowed extremes;
 * the short fixed windows of the contract — 20 closes of the Bollinger band, 12 and 24
 * returns of the volatility features — are recomputed two-pass on each bar). Memory is
 * bounded by the longest window (rings of 2048 bars for the 1441-bar windows, up to 2048
 * funding settlements for the 30-day window — the oldest is dropped beyond that — and 30
 * return pairs per correlation), never by history length: ~267 KB, constant, see
 * cpe_features_state_bytes(). Funding, basis, book and other "latest value" features are
 * carried at any age, as the contract defines them.
 * Batch computation (cpe_features_batch) is this same code in a loop, so batch and
 * streaming agree bit for bit; live, replay and backtest all go through push().
 *
 * What the engine reads from the bar: ts_ms, open/high/low/close, volume, taker_buy_base
 * (NaN = no taker split -> the taker features are NaN), quote_volume and large_quote (the
 * large-trade ratio; large_quote NaN = no tape), liq_long/liq_short (notional liquidated
 * in the bar; NaN = no liquidation feed). The bar's oi/funding/basis fields are IGNORED:
 * those features need the individual observations (settlements for the 30-day z-score,
 * OI at t - window, perp and spot closes at matching times), which come as side
 * observations below.
 *
 * Side observations (cpe_feature_obs_t). Each carries its AVAILABILITY time avail_ms —
 * the time the value became known (contract "Conventions"):
 *   - exchange-settled values (funding):      avail = the settlement time;
 *   - bars of another instrument (perp, spot, ETH closes): avail = that bar's close time
 *     (open + interval);
 *   - period aggregates (a daily value stamped day D, an hourly OI sample): avail = the
 *     end of the stamped period (D + 1 day), and interval_ms = the period length;
 *   - instantaneous snapshots (book, long/short ratio, OI samples with their own time):
 *     avail = their timestamp, interval_ms = the sampling period (0 when unknown).
 * push() rejects (CPE_EINVAL) an observation whose avail_ms is after the bar's close
 * (ts_ms + bar_ms): the engine cannot be fed the future. Observations are applied in the
 * order given (pass them in availability order), after the bar itself, so a perp close
 * available at this bar's close can be matched with this bar's spot close. A caller that
 * starts the stream late may pass older observations with the first push (e.g. the last
 * 30 days of funding settlements) to warm the long windows.
 *
 *   kind                  v[]                                  feature(s)
 *   CPE_FOBS_FUNDING      v0 rate; src 0 = the main perp,       funding_rate, funding_zscore,
 *                         src 1..7 = other exchanges            funding_sentiment (all srcs)
 *   CPE_FOBS_OI           v0 open interest (any one unit)       oi_change_1h, oi_change_24h
 *   CPE_FOBS_LSR          v0 long/short account ratio           long_short_ratio
 *   CPE_FOBS_BOOK         v0..v5 bid05 bid1 bid2 ask05 ask1 ask2 bid_ask_imbalance,
 *                         (base qty within 0.5/1/2 % of mid)    order_book_slope_*
 *   CPE_FOBS_PERP_CLOSE   v0 a perp bar's close (main is spot)  basis_annualized
 *   CPE_FOBS_SPOT_CLOSE   v0 a spot bar's close (main is perp)  basis_annualized
 *   CPE_FOBS_CROSS_CLOSE  v0 the other asset's close (ETH for   eth_btc_ratio,
 *                         a BTC main, BTC for an ETH main)      eth_btc_return_24h
 *   CPE_FOBS_SERIES       v0 value of named series src          on-chain, dominance, macro,
 *                         (cpe_fseries_t)                       sentiment features
 *
 * Matching by time (basis, eth_btc_ratio): "at the latest bar where both exist" = the
 * latest close time at which both instruments have a close. The main instrument's closes
 * of the last 2048 bars are kept with their close times; an observation (which arrives at
 * or after its close time, so after the main bar of that close time) is matched with the
 * main close of the same close time. The matched value is carried until the next match.
 *
 * Coarseness (oi_change_*, exchange_netflow_*): a level series whose interval_ms is larger
 * than the window gives NaN for that window (daily OI -> oi_change_1h is NaN, oi_change_24h
 * exists), as the contract says for OI; the same rule is applied to the reserve-difference
 * form of exchange netflow.
 *
 * Coarse bars (a symbol whose history is hourly, e.g. ETH in the shared data): with
 * bar_ms > 1 minute each pushed bar is one bar of that length and every window is
 * counted as window / bar_ms bars (returns_1h is 1 bar of 1h, volatility_24h the sd of 24
 * hourly returns — the same numbers as the 1m stream at that close). A window the bar does
 * not divide, and every feature defined on single 1m bars (returns_1m, the candle shape,
 * RSI, ATR, MACD, EMA cross, Bollinger, VWAP, the per-bar flow, volume and large-trade
 * ratios) and the realized variances (sums of 1m returns) are NaN: missing, never an
 * approximation with another meaning. So a model trained on coarse rows can read the 1m
 * stream's vectors later (the shared columns mean the same).
 *
 * Gaps: the engine does not invent bars. Windows are counted in pushed bars; a caller with
 * a hole in the 1m series should either push flat fill bars or accept that windows span it.
 *
 * Threads: a cpe_features_t is used by one thread; the table is immutable and shared.
 * Ownership: cpe_features_create allocates, cpe_features_free frees (NULL is a no-op).
 */
#ifndef CPE_FEATURES_H
#define CPE_FEATURES_H

#include "cpe/error.h"
#include "cpe/market.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the feature table ------------------------------------------------------------- */

typedef enum cpe_feature_family {
    CPE_FAM_PRICE = 0,
    CPE_FAM_TECHNICAL,
    CPE_FAM_MICRO,
    CPE_FAM_DERIV,
    CPE_FAM_ONCHAIN,
    CPE_FAM_CROSS,
    CPE_FAM_SENTIMENT,
    CPE_FAM_TIME,
    CPE_FAM_COUNT
} cpe_feature_family_t;

/* Sources a feature needs (bit mask). */
#define CPE_FSRC_KLINE (1u << 0)   /* OHLCV of the main instrument */
#define CPE_FSRC_TAKER (1u << 1)   /* taker-buy volume in the bar */
#define CPE_FSRC_TAPE (1u << 2)    /* trade tape: bar.large_quote */
#define CPE_FSRC_BOOK (1u << 3)    /* CPE_FOBS_BOOK */
#define CPE_FSRC_FUNDING (1u << 4) /* CPE_FOBS_FUNDING */
#define CPE_FSRC_OI (1u << 5)      /* CPE_FOBS_OI */
#define CPE_FSRC_LSR (1u << 6)     /* CPE_FOBS_LSR */
#define CPE_FSRC_BASIS (1u << 7)   /* the other leg: CPE_FOBS_PERP_CLOSE or _SPOT_CLOSE */
#define CPE_FSRC_LIQ (1u << 8)     /* bar.liq_long / liq_short */
#define CPE_FSRC_CROSS (1u << 9)   /* CPE_FOBS_CROSS_CLOSE */
#define CPE_FSRC_SERIES (1u << 10) /* a named series (cpe_feature_def_t.series) */

/* Named series (CPE_FOBS_SERIES src). */
typedef enum cpe_fseries {
    CPE_FSER_EXCHANGE_RESERVES = 0, /* coin units held by exchanges (level) */
    CPE_FSER_EXCHANGE_NETFLOW,      /* coin units flowing in (+) / out (-) per period */
    CPE_FSER_WHALE_TRANSACTIONS,
    CPE_FSER_MINER_OUTFLOW,
    CPE_FSER_STABLECOIN_SUPPLY_CHANGE,
    CPE_FSER_NVT_SIGNAL,
    CPE_FSER_BTC_DOMINANCE,
    CPE_FSER_SP500,
    CPE_FSER_GOLD,
    CPE_FSER_DXY,
    CPE_FSER_FEAR_GREED,
    CPE_FSER_SOCIAL_VOLUME,
    CPE_FSER_GOOGLE_TRENDS,
    CPE_FSER_COUNT
} cpe_fseries_t;

/* Store series name ("fear_greed", "exchange_reserves", "sp500", ...; the part after
 * "series:" of the kind) -> cpe_fseries_t, or -1 when the name is not a feature input.
 * Accepts the importer's names and a few aliases (see features_series.c). */
int cpe_fseries_from_name(const char *name);
const char *cpe_fseries_name(int id); /* canonical name; NULL out of range */
/* Every accepted store name, i = 0.. until NULL (canonical names and aliases). */
const char *cpe_fseries_name_at(size_t i);

typedef struct cpe_feature_def {
    const char *name; /* "rsi_14" — the CSV column / model feature name */
    cpe_feature_family_t family;
    unsigned sources;       /* CPE_FSRC_* mask */
    int series;             /* cpe_fseries_t when sources has CPE_FSRC_SERIES, else -1 */
    int warmup_bars;        /* bars pushed before the value can exist (1 = first bar) */
    const char *definition; /* one line: the formula, or the features.md reference */
} cpe_feature_def_t;

size_t cpe_features_count(void);
/* Row i of the table (NULL when i >= count). Column i of every output vector. */
const cpe_feature_def_t *cpe_feature_def(size_t i);
/* Index of a feature name, or -1. */
int cpe_feature_index(const char *name);
const char *cpe_feature_family_name(cpe_feature_family_t f); /* "price", "technical", ... */
/* The longest window in bars (the 24h returns: 1441). */
int cpe_features_max_warmup(void);

/* ---- side observations ------------------------------------------------------------- */

typedef enum cpe_fobs_kind {
    CPE_FOBS_FUNDING = 0,
    CPE_FOBS_OI,
    CPE_FOBS_LSR,
    CPE_FOBS_BOOK,
    CPE_FOBS_PERP_CLOSE,
    CPE_FOBS_SPOT_CLOSE,
    CPE_FOBS_CROSS_CLOSE,
    CPE_FOBS_SERIES,
    CPE_FOBS_KIND_COUNT
} cpe_fobs_kind_t;

#define CPE_FUNDING_SRC_MAX 8

typedef struct cpe_feature_obs {
    int64_t avail_ms;    /* availability time (see the top comment) */
    int64_t interval_ms; /* the series' period (1 day for a daily series), 0 = events */
    int32_t kind;        /* cpe_fobs_kind_t */
    int32_t src;         /* CPE_FOBS_SERIES: cpe_fseries_t; FUNDING: exchange slot; else 0 */
    double v[6];         /* values by kind (top comment); unused = NaN */
} cpe_feature_obs_t;

/* ---- the streaming state ----------------------------------------------------------- */

#define CPE_FEATURES_BAR_MS 60000 /* the canonical bar: 1 minute */

typedef struct cpe_features_config {
    int64_t bar_ms;              /* 0 = 60000 (the canonical 1m bar); else a whole number of
                                  * minutes: coarse bars (see "Coarse bars" above) */
    cpe_market_kind_t main_kind; /* CPE_SPOT (default) or CPE_PERP: which leg of the basis
                                  * the main closes are */
    int main_is_eth;             /* 0: main is BTC and CROSS_CLOSE is ETH (ratio = cross /
                                  * main); 1: main is ETH, CROSS_CLOSE is BTC (main / cross) */
} cpe_features_config_t;

typedef struct cpe_features cpe_features_t;

/* cfg may be NULL (defaults). CPE_ENOMEM / CPE_EINVAL. */
int cpe_features_create(const cpe_features_config_t *cfg, cpe_features_t **out);
void cpe_features_free(cpe_features_t *f);
/* Back to the freshly created state (same config). */
void cpe_features_reset(cpe_features_t *f);

/* Push one closed bar and the observations that became available up to its close; write
 * the cpe_features_count() values as of the bar's close into out (NaN = missing).
 * CPE_EINVAL (state unchanged) when the bar is not after the previous one, its prices are
 * not positive and finite, or an observation has avail_ms > bar close or a bad kind/src. */
int cpe_features_push(cpe_features_t *f, const cpe_bar_t *bar, const cpe_feature_obs_t *obs,
                      size_t nobs, double *out);

/* Bars pushed since create/reset. */
uint64_t cpe_features_bars(const cpe_features_t *f);
/* CPE_FSRC_* mask of the sources seen so far (bars with taker volume, observations...). */
unsigned cpe_features_sources_seen(const cpe_features_t *f);
/* 1 when every source feature i needs has been seen (and a level series is not coarser
 * than the feature's window): the feature is then NaN only during its warm-up. */
int cpe_features_source_present(const cpe_features_t *f, size_t i);
/* Bytes of state held (constant after create: bounded by the longest window). */
size_t cpe_features_state_bytes(const cpe_features_t *f);

/*
 * Batch: push bars[0..n) in order, delivering obs[0..nobs) (sorted by avail_ms) with the
 * first bar whose close is >= their avail_ms (older observations go with the first bar).
 * Row r of out (row-major, cpe_features_count() columns) is written for each bar i with
 * (bars[i].ts_ms % sample_ms) == 0 (sample_ms <= bar_ms: every bar); *nrows = rows written,
 * and rows_idx (may be NULL, capacity n) receives the bar index of each row. out must hold
 * n rows in the worst case. The same code as streaming: the values are bit-identical.
 */
int cpe_features_batch(const cpe_features_config_t *cfg, const cpe_bar_t *bars, size_t n,
                       const cpe_feature_obs_t *obs, size_t nobs, int64_t sample_ms, double *out,
                       size_t *nrows, size_t *rows_idx, cpe_diag_t *d);

#endif
