/* features_table.c — the feature table (name, family, sources, warm-up, definition) and
 * the named-series names. Column order = features_int.h. */
#include "cpe/features.h"
#include "features_int.h"

#include <string.h>

#define K CPE_FSRC_KLINE
#define S(id) (CPE_FSRC_SERIES), (id)
#define NS(src) (src), -1

static const cpe_feature_def_t table[F_COUNT] = {
    [F_RETURNS_5M] = {"returns_5m", CPE_FAM_PRICE, NS(K), 6, "ln(c[t]/c[t-5]) (8.1)"},
    [F_RETURNS_15M] = {"returns_15m", CPE_FAM_PRICE, NS(K), 16, "ln(c[t]/c[t-15]) (8.1)"},
    [F_RETURNS_1H] = {"returns_1h", CPE_FAM_PRICE, NS(K), 61, "ln(c[t]/c[t-60]) (8.1)"},
    [F_RETURNS_4H] = {"returns_4h", CPE_FAM_PRICE, NS(K), 241, "ln(c[t]/c[t-240]) (8.1)"},
    [F_RETURNS_24H] = {"returns_24h", CPE_FAM_PRICE, NS(K), 1441, "ln(c[t]/c[t-1440]) (8.1)"},
    [F_VOLATILITY_1H] = {"volatility_1h", CPE_FAM_PRICE, NS(K), 61,
                         "std (ddof=1) of the 12 non-overlapping 5m log returns ending at t (8.1)"},
    [F_VOLATILITY_24H] =
        {"volatility_24h", CPE_FAM_PRICE, NS(K), 1441,
         "std (ddof=1) of the 24 non-overlapping 1h log returns ending at t (8.1)"},
    [F_HIGH_LOW_RANGE] = {"high_low_range", CPE_FAM_PRICE, NS(K), 1, "(h-l)/c of the bar (8.1)"},
    [F_CLOSE_POSITION] = {"close_position", CPE_FAM_PRICE, NS(K), 1,
                          "(c-l)/(h-l); 0.5 when h == l (8.1)"},
    [F_RSI_14] = {"rsi_14", CPE_FAM_TECHNICAL, NS(K), 15, "Wilder RSI n=14, SMA seed (8.2)"},
    [F_RSI_7] = {"rsi_7", CPE_FAM_TECHNICAL, NS(K), 8, "Wilder RSI n=7, SMA seed (8.2)"},
    [F_MACD_SIGNAL] = {"macd_signal", CPE_FAM_TECHNICAL, NS(K), 35,
                       "(macd - EMA9(macd))/c, macd = EMA12-EMA26, EMAs seeded with the first "
                       "value (8.2)"},
    [F_BB_POSITION] = {"bb_position", CPE_FAM_TECHNICAL, NS(K), 20,
                       "(c-lower)/(upper-lower), SMA20 +/- 2 population sd; 0.5 when sd=0 (8.2)"},
    [F_EMA_CROSS] = {"ema_cross", CPE_FAM_TECHNICAL, NS(K), 21, "(EMA9(c)-EMA21(c))/c (8.2)"},
    [F_VWAP_DEVIATION] =
        {"vwap_deviation", CPE_FAM_TECHNICAL, NS(K), 1,
         "c/VWAP - 1, VWAP of tp=(h+l+c)/3 since 00:00 UTC; 0 when sum v = 0 (8.2)"},
    [F_TRADE_FLOW_IMBALANCE] = {"trade_flow_imbalance", CPE_FAM_MICRO, NS(K | CPE_FSRC_TAKER), 1,
                                "(2tb-v)/v of the bar; 0 when v=0 (8.3)"},
    [F_CVD_5M] = {"cvd_5m", CPE_FAM_MICRO, NS(K | CPE_FSRC_TAKER), 5,
                  "sum(2tb-v)/sum(v) over 5 bars; 0 when sum v=0 (8.3)"},
    [F_CVD_1H] = {"cvd_1h", CPE_FAM_MICRO, NS(K | CPE_FSRC_TAKER), 60,
                  "sum(2tb-v)/sum(v) over 60 bars; 0 when sum v=0 (8.3)"},
    [F_LARGE_TRADE_RATIO] = {"large_trade_ratio", CPE_FAM_MICRO, NS(CPE_FSRC_TAPE), 1,
                             "quote volume of trades > 100k USD / bar quote volume (8.3)"},
    [F_BID_ASK_IMBALANCE] = {"bid_ask_imbalance", CPE_FAM_MICRO, NS(CPE_FSRC_BOOK), 1,
                             "(B-A)/(B+A) within 1% of mid, latest book (8.3)"},
    [F_BOOK_SLOPE_05] = {"order_book_slope_05", CPE_FAM_MICRO, NS(CPE_FSRC_BOOK), 1,
                         "(B-A)/(B+A) within 0.5% of mid (8.3)"},
    [F_BOOK_SLOPE_1] = {"order_book_slope_1", CPE_FAM_MICRO, NS(CPE_FSRC_BOOK), 1,
                        "(B-A)/(B+A) within 1% of mid (8.3)"},
    [F_BOOK_SLOPE_2] = {"order_book_slope_2", CPE_FAM_MICRO, NS(CPE_FSRC_BOOK), 1,
                        "(B-A)/(B+A) within 2% of mid (8.3)"},
    [F_FUNDING_RATE] = {"funding_rate", CPE_FAM_DERIV, NS(CPE_FSRC_FUNDING), 1,
                        "latest settled funding rate (8.4)"},
    [F_FUNDING_ZSCORE] =
        {"funding_zscore", CPE_FAM_DERIV, NS(CPE_FSRC_FUNDING), 1,
         "(rate - mean)/std (ddof=1) of the settlements of the last 30 days (8.4)"},
    [F_OI_CHANGE_1H] = {"oi_change_1h", CPE_FAM_DERIV, NS(CPE_FSRC_OI), 61,
                        "ln(OI(t)/OI(t-60)); NaN when OI is coarser than 1h (8.4)"},
    [F_OI_CHANGE_24H] = {"oi_change_24h", CPE_FAM_DERIV, NS(CPE_FSRC_OI), 1441,
                         "ln(OI(t)/OI(t-1440)); NaN when OI is coarser than 24h (8.4)"},
    [F_LONG_SHORT_RATIO] = {"long_short_ratio", CPE_FAM_DERIV, NS(CPE_FSRC_LSR), 1,
                            "latest account long/short ratio (8.4)"},
    [F_BASIS_ANNUALIZED] = {"basis_annualized", CPE_FAM_DERIV, NS(K | CPE_FSRC_BASIS), 1,
                            "(perp/spot - 1)*3*365 at the latest close where both exist (8.4)"},
    [F_LIQ_IMBALANCE_1H] = {"liq_imbalance_1h", CPE_FAM_DERIV, NS(CPE_FSRC_LIQ), 60,
                            "(L-S)/(L+S) liquidation notional over 60 bars; 0 when none (8.4)"},
    [F_NETFLOW_1H] = {"exchange_netflow_1h", CPE_FAM_ONCHAIN, S(CPE_FSER_EXCHANGE_RESERVES), 61,
                      "R(t)-R(t-60) of exchange reserves, else sum of netflow over 60 bars (8.5)"},
    [F_NETFLOW_24H] = {"exchange_netflow_24h", CPE_FAM_ONCHAIN, S(CPE_FSER_EXCHANGE_RESERVES), 1441,
                       "R(t)-R(t-1440), else sum of netflow over 1440 bars (8.5)"},
    [F_WHALE_TX] = {"whale_transactions", CPE_FAM_ONCHAIN, S(CPE_FSER_WHALE_TRANSACTIONS), 1,
                    "latest value (8.5)"},
    [F_MINER_OUTFLOW] = {"miner_outflow", CPE_FAM_ONCHAIN, S(CPE_FSER_MINER_OUTFLOW), 1,
                         "latest value (8.5)"},
    [F_STABLECOIN_CHANGE] = {"stablecoin_supply_change", CPE_FAM_ONCHAIN,
                             S(CPE_FSER_STABLECOIN_SUPPLY_CHANGE), 1, "latest value (8.5)"},
    [F_NVT] = {"nvt_signal", CPE_FAM_ONCHAIN, S(CPE_FSER_NVT_SIGNAL), 1, "latest value (8.5)"},
    [F_ETH_BTC_RATIO] = {"eth_btc_ratio", CPE_FAM_CROSS, NS(K | CPE_FSRC_CROSS), 1,
                         "ETH close / BTC close at the latest close where both exist (8.6)"},
    [F_ETH_BTC_RETURN_24H] = {"eth_btc_return_24h", CPE_FAM_CROSS, NS(K | CPE_FSRC_CROSS), 1441,
                              "ln(ratio(t)/ratio(t-1440)) (8.6)"},
    [F_BTC_DOMINANCE] = {"btc_dominance", CPE_FAM_CROSS, S(CPE_FSER_BTC_DOMINANCE), 1,
                         "latest value (8.6)"},
    [F_BTC_DOMINANCE_CHANGE] = {"btc_dominance_change", CPE_FAM_CROSS, S(CPE_FSER_BTC_DOMINANCE),
                                1441, "dominance(t) - dominance(t-1440) (8.6)"},
    [F_SP500_CORR] = {"sp500_correlation", CPE_FAM_CROSS, S(CPE_FSER_SP500), 1,
                      "Pearson corr of BTC and S&P 500 log returns over the last 30 observations "
                      "(8.6)"},
    [F_GOLD_CORR] = {"gold_correlation", CPE_FAM_CROSS, S(CPE_FSER_GOLD), 1,
                     "Pearson corr of BTC and gold log returns, last 30 observations (8.6)"},
    [F_DXY_INVERSE] = {"dxy_inverse", CPE_FAM_CROSS, S(CPE_FSER_DXY), 1,
                       "Pearson corr of BTC and negated DXY log returns, last 30 observations "
                       "(8.6)"},
    [F_FEAR_GREED] = {"fear_greed_index", CPE_FAM_SENTIMENT, S(CPE_FSER_FEAR_GREED), 1,
                      "latest available value (daily: at the end of its day) (8.7)"},
    [F_SOCIAL_VOLUME] = {"social_volume", CPE_FAM_SENTIMENT, S(CPE_FSER_SOCIAL_VOLUME), 1,
                         "latest available value (8.7)"},
    [F_GOOGLE_TRENDS] = {"google_trends", CPE_FAM_SENTIMENT, S(CPE_FSER_GOOGLE_TRENDS), 1,
                         "latest available value (8.7)"},
    [F_FUNDING_SENTIMENT] = {"funding_sentiment", CPE_FAM_SENTIMENT, NS(CPE_FSRC_FUNDING), 1,
                             "mean of the latest funding rate of every exchange (8.7)"},
    [F_RETURNS_1M] = {"returns_1m", CPE_FAM_PRICE, NS(K), 2, "ln(c[t]/c[t-1]) (extra)"},
    [F_ATR_14] = {"atr_14", CPE_FAM_TECHNICAL, NS(K), 15,
                  "Wilder ATR n=14 (SMA seed of the first 14 true ranges) / c (extra)"},
    [F_VOLUME_RATIO_1H] = {"volume_ratio_1h", CPE_FAM_MICRO, NS(K), 60,
                           "v / mean(v over 60 bars); 0 when the mean is 0 (extra)"},
    [F_RANGE_POSITION_24H] = {"range_position_24h", CPE_FAM_PRICE, NS(K), 1440,
                              "(c - min l)/(max h - min l) over 1440 bars; 0.5 when flat (extra)"},
    [F_HOUR_OF_DAY] = {"hour_of_day", CPE_FAM_TIME, NS(K), 1, "UTC hour of the bar open, 0..23"},
    [F_DAY_OF_WEEK] = {"day_of_week", CPE_FAM_TIME, NS(K), 1,
                       "UTC weekday of the bar open, 0 = Monday .. 6 = Sunday"},
    [F_HOUR_SIN] = {"hour_sin", CPE_FAM_TIME, NS(K), 1, "sin(2 pi hour/24)"},
    [F_HOUR_COS] = {"hour_cos", CPE_FAM_TIME, NS(K), 1, "cos(2 pi hour/24)"},
    [F_REALIZED_VAR_1H] = {"realized_var_1h", CPE_FAM_PRICE, NS(K), 61,
                           "sum of squared 1m log returns over 60 returns (extra)"},
    [F_REALIZED_VAR_4H] = {"realized_var_4h", CPE_FAM_PRICE, NS(K), 241,
                           "sum of squared 1m log returns over 240 returns (extra)"},
    [F_REALIZED_VAR_8H] = {"realized_var_8h", CPE_FAM_PRICE, NS(K), 481,
                           "sum of squared 1m log returns over 480 returns (extra)"},
    [F_REALIZED_VAR_24H] = {"realized_var_24h", CPE_FAM_PRICE, NS(K), 1441,
                            "sum of squared 1m log returns over 1440 returns (extra)"},
    [F_REALIZED_VAR_7D] = {"realized_var_7d", CPE_FAM_PRICE, NS(K), 10081,
                           "sum of squared 1m log returns over 10080 returns (extra)"},
    [F_BIPOWER_VAR_24H] = {"bipower_var_24h", CPE_FAM_PRICE, NS(K), 1442,
                           "(pi/2) sum |r_t||r_t-1| over the last 1440 products (extra)"},
    [F_SEMIVAR_DOWN_24H] = {"semivar_down_24h", CPE_FAM_PRICE, NS(K), 1441,
                            "sum of r^2 of the negative 1m returns of the last 1440 (extra)"},
    [F_VOLUME_1H_VS_7D] = {"volume_1h_vs_7d", CPE_FAM_MICRO, NS(K), 10080,
                           "volume of 60 bars / (volume of 10080 bars / 168); 0 when 0 (extra)"},
    [F_VOLUME_24H_VS_7D] = {"volume_24h_vs_7d", CPE_FAM_MICRO, NS(K), 10080,
                            "volume of 1440 bars / (volume of 10080 bars / 7); 0 when 0 (extra)"},
    [F_ETH_BTC_RETURN_1H] = {"eth_btc_return_1h", CPE_FAM_CROSS, NS(K | CPE_FSRC_CROSS), 61,
                             "ln(ratio(t)/ratio(t-60)): ETH-BTC lead/lag (extra)"},
    [F_MINUTES_TO_FUNDING] = {"minutes_to_funding", CPE_FAM_TIME, NS(K), 1,
                              "minutes from the bar close to the next 00/08/16 UTC (extra)"},
    [F_FUNDING_CHANGE] = {"funding_change", CPE_FAM_DERIV, NS(K | CPE_FSRC_FUNDING), 1,
                          "last funding settlement - the one before (extra)"},
    [F_BASIS_CHANGE_1H] = {"basis_change_1h", CPE_FAM_DERIV, NS(K | CPE_FSRC_BASIS), 61,
                           "basis_annualized(t) - basis_annualized(t-60) (extra)"},
    [F_CVD_1H_Z_7D] = {"cvd_1h_z_7d", CPE_FAM_MICRO, NS(K | CPE_FSRC_TAKER), 1500,
                       "(cvd_1h - mean) / sd of cvd_1h at the last 168 hour closes, >= 24 "
                       "(taker-flow surprise, extra)"},
};

size_t cpe_features_count(void)
{
    return F_COUNT;
}

const cpe_feature_def_t *cpe_feature_def(size_t i)
{
    return i < F_COUNT ? &table[i] : NULL;
}

int cpe_feature_index(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < F_COUNT; i++)
        if (!strcmp(table[i].name, name)) return i;
    return -1;
}

int cpe_features_max_warmup(void)
{
    int m = 0;
    for (int i = 0; i < F_COUNT; i++)
        if (table[i].warmup_bars > m) m = table[i].warmup_bars;
    return m;
}

static const char *const family_names[CPE_FAM_COUNT] = {
    "price",    "technical",   "microstructure", "derivatives",
    "on-chain", "cross-asset", "sentiment",      "time"};

const char *cpe_feature_family_name(cpe_feature_family_t f)
{
    return (unsigned)f < CPE_FAM_COUNT ? family_names[f] : "?";
}

/* Store name -> series id. The first name of each id is canonical. */
static const struct {
    const char *name;
    int id;
} series_names[] = {
    {"exchange_reserves", CPE_FSER_EXCHANGE_RESERVES},
    {"exchange_reserves_btc", CPE_FSER_EXCHANGE_RESERVES},
    {"exchange_netflow", CPE_FSER_EXCHANGE_NETFLOW},
    {"whale_transactions", CPE_FSER_WHALE_TRANSACTIONS},
    {"miner_outflow", CPE_FSER_MINER_OUTFLOW},
    {"stablecoin_supply_change", CPE_FSER_STABLECOIN_SUPPLY_CHANGE},
    {"nvt_signal", CPE_FSER_NVT_SIGNAL},
    {"nvt", CPE_FSER_NVT_SIGNAL},
    {"btc_dominance", CPE_FSER_BTC_DOMINANCE},
    {"sp500", CPE_FSER_SP500},
    {"spx", CPE_FSER_SP500},
    {"gold", CPE_FSER_GOLD},
    {"dxy", CPE_FSER_DXY},
    {"fear_greed", CPE_FSER_FEAR_GREED},
    {"fear_greed_index", CPE_FSER_FEAR_GREED},
    {"social_volume", CPE_FSER_SOCIAL_VOLUME},
    {"google_trends", CPE_FSER_GOOGLE_TRENDS},
};

int cpe_fseries_from_name(const char *name)
{
    if (!name) return -1;
    for (size_t i = 0; i < sizeof series_names / sizeof series_names[0]; i++)
        if (!strcmp(series_names[i].name, name)) return series_names[i].id;
    return -1;
}

const char *cpe_fseries_name(int id)
{
    for (size_t i = 0; i < sizeof series_names / sizeof series_names[0]; i++)
        if (series_names[i].id == id) return series_names[i].name;
    return NULL;
}

const char *cpe_fseries_name_at(size_t i)
{
    return i < sizeof series_names / sizeof series_names[0] ? series_names[i].name : NULL;
}
