/* features_flow.c — the columns of the bar's trade flow: taker imbalance, CVD over 5 bars and
 * 1 hour, the hour's volume ratio, liquidation imbalance and the large-trade share
 * (a step of cpe_features_push, state in features_state.h). */
#include "features_state.h"

#include <math.h>

/* Add (sign 1) or drop (sign -1) ring slot j in the running 1-hour sums. */
static void sums_move(cpe_features_t *f, unsigned j, int sign)
{
    f->s_flow60 += sign * f->flow[j];
    f->s_vol60 += sign * f->vol[j];
    f->s_liql60 += sign * f->liq_l[j];
    f->s_liqs60 += sign * f->liq_s[j];
    f->n_notb60 += sign * f->no_tb[j];
    f->n_noliq60 += sign * f->no_liq[j];
}

/* Move bar t of the short rings into the running 1-hour sums (drop bar t - k1h). */
static void short_sums(cpe_features_t *f, uint64_t t)
{
    const uint64_t W = f->k1h;
    if (!W) return;
    if ((t + 1) % RESUM_EVERY == 0) { /* re-sum from the ring: no drift */
        f->s_flow60 = f->s_vol60 = f->s_liql60 = f->s_liqs60 = 0;
        f->n_notb60 = f->n_noliq60 = 0;
        uint64_t k0 = t + 1 >= W ? t + 1 - W : 0;
        for (uint64_t k = k0; k <= t; k++)
            sums_move(f, k & SMASK, 1);
        return;
    }
    sums_move(f, t & SMASK, 1);
    if (t >= W) sums_move(f, (t - W) & SMASK, -1);
}

void cpe_feat_flow(cpe_features_t *f, const cpe_bar_t *bar, uint64_t t, double *out)
{
    const unsigned sj = t & SMASK;
    const double v = bar->volume, tb = bar->taker_buy_base;
    int has_tb = isfinite(tb);
    if (has_tb) f->seen |= CPE_FSRC_TAKER;
    f->flow[sj] = has_tb ? 2 * tb - v : 0.0;
    f->vol[sj] = v;
    f->no_tb[sj] = !has_tb;
    int has_liq = isfinite(bar->liq_long) && isfinite(bar->liq_short);
    if (has_liq) f->seen |= CPE_FSRC_LIQ;
    f->liq_l[sj] = has_liq ? bar->liq_long : 0.0;
    f->liq_s[sj] = has_liq ? bar->liq_short : 0.0;
    f->no_liq[sj] = !has_liq;
    short_sums(f, t);
    out[F_TRADE_FLOW_IMBALANCE] = !has_tb ? NAN : v == 0 ? 0.0 : (2 * tb - v) / v;
    if (f->k5m && f->nbars >= f->k5m) {
        double sf = 0, sv = 0;
        int miss = 0;
        for (uint64_t i = 0; i < f->k5m; i++) {
            unsigned k = (t - i) & SMASK;
            sf += f->flow[k];
            sv += f->vol[k];
            miss |= f->no_tb[k];
        }
        out[F_CVD_5M] = miss ? NAN : sv == 0 ? 0.0 : sf / sv;
    } else {
        out[F_CVD_5M] = NAN;
    }
    int full60 = f->k1h && f->nbars >= f->k1h;
    out[F_CVD_1H] = !full60 || f->n_notb60 ? NAN : f->s_vol60 == 0 ? 0.0 : f->s_flow60 / f->s_vol60;
    out[F_VOLUME_RATIO_1H] = !full60 ? NAN : f->s_vol60 == 0 ? 0.0 : v / (f->s_vol60 / 60.0);
    if (!full60 || !has_liq) {
        out[F_LIQ_IMBALANCE_1H] = NAN;
    } else {
        double L = f->s_liql60, S = f->s_liqs60;
        out[F_LIQ_IMBALANCE_1H] = L + S > 0 ? (L - S) / (L + S) : 0.0;
    }
    if (isfinite(bar->large_quote)) {
        f->seen |= CPE_FSRC_TAPE;
        double qv = bar->quote_volume;
        out[F_LARGE_TRADE_RATIO] = !isfinite(qv) ? NAN : qv > 0 ? bar->large_quote / qv : 0.0;
    } else {
        out[F_LARGE_TRADE_RATIO] = NAN;
    }
}
