/* bt_int.h — shared by the files of src/backtest (not public): the strategy decider's
 * state and the risk controller it consults at every close. */
#ifndef CPE_BT_INT_H
#define CPE_BT_INT_H

#include "cpe/backtest.h"

/* Risk controller state (spec 14.1 - 14.2), updated at every close by risk_update. */
typedef struct bt_risk {
    size_t seen_closed; /* trades whose outcome has been counted */
    int consec_losses;
    int64_t pause_until_ms; /* 5 consecutive losses */
    int64_t halt_until_ms;  /* flash move */
    int64_t day_end_ms;     /* end of the UTC day of the current close */
    double day_peak;
    int half_today; /* daily drawdown limit hit */
    size_t flash_j; /* reference bar of the flash window */
} bt_risk_t;

typedef struct bt_risk_view {
    int flatten;      /* paused or halted: no position, no signal */
    const char *why;  /* "circuit_losses" | "circuit_flash" */
    int stale;        /* the data is stale at this bar: no signal */
    double size_mult; /* 0.5 after the daily drawdown limit, else 1 */
} bt_risk_view_t;

void risk_init(bt_risk_t *r);
void risk_update(bt_risk_t *r, const cpe_bt_strategy_t *s, const cpe_bt_bars_t *bars, size_t i,
                 const cpe_bt_book_t *b, double equity, cpe_bt_risk_counts_t *cnt,
                 bt_risk_view_t *v);

/* The strategy decider over predictions. */
typedef struct bt_strat {
    const cpe_bt_config_t *cfg;
    const cpe_bt_bars_t *bars;
    const cpe_bt_preds_t *preds;
    int n_preds;
    size_t cur[CPE_BT_MAX_H];
    const cpe_bt_hcfg_t *hc[CPE_BT_MAX_H]; /* config of preds[k], NULL when not enabled */
    int64_t hold_until_ms;
    bt_risk_t risk;
    cpe_bt_risk_counts_t cnt;
    cpe_alert_state_t alert_st;          /* entry_alert's state */
    cpe_prediction_t made[CPE_BT_MAX_H]; /* the predictions of one close, as it sees them */
} bt_strat_t;

void strat_init(bt_strat_t *s, const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars,
                const cpe_bt_preds_t *preds, int n_preds);
void strat_decide(void *ctx, size_t i, const cpe_bt_book_t *b, double equity, cpe_bt_target_t *t);

/* One strategy pass over bars: the loop + metrics (no JSON, no hindsight). equity and
 * position (n each) may be NULL when only the metrics are wanted. */
int bt_pass(const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars, const cpe_bt_preds_t *preds,
            int n_preds, const cpe_bt_funding_t *fund, size_t n_fund, double *equity,
            double *position, cpe_bt_book_t *book, cpe_bt_metrics_t *m, cpe_bt_risk_counts_t *cnt);

/* The result's per-bar arrays (ts, close copied; equity, position to fill). CPE_EDATA
 * with fewer than 2 bars. */
int bt_result_alloc(cpe_bt_result_t *r, const cpe_bt_bars_t *bars, cpe_diag_t *d);

/* walkopt.c: the walk-forward optimisation into r (periods, stitched OOS equity). */
int bt_walk_forward(const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars,
                    const cpe_bt_preds_t *preds, int n_preds, const cpe_bt_funding_t *fund,
                    size_t n_fund, cpe_bt_result_t *r, cpe_diag_t *d);

#endif
