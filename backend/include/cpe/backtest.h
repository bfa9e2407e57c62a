/*
 * backtest.h — the backtest engine (spec 12, 14): an event loop over bars that trades on
 * as-of predictions, with a risk controller, an execution model, every metric of spec
 * 12.3, walk-forward optimisation and the hindsight swings of the period.
 *
 * One loop, two deciders. cpe_bt_loop() walks the bars; at each bar i it does, in order:
 *
 *   open_i   1. funding: every funding event with ts in (open_{i-1}, open_i] is settled on
 *               the position held into the bar, marked at open_i (perp only):
 *               cash -= units * open_i * rate  (a long pays a positive rate)
 *            2. the target decided at close_{i-1} is executed when its direction differs
 *               from the position's: exit the whole position, then enter the new direction
 *               (execution model below). A limit entry that does not fill stays pending.
 *   close_i  3. mark: equity_i = cash + units * close_i  (the invariant tests check)
 *            4. decide: the decider sees the state at close_i and sets the target for
 *               open_{i+1}. The last bar's decision is never executed and the last
 *               position is not liquidated (it is marked at the last close).
 *
 * The deciders are the strategy engine (strategy + risk controller over predictions,
 * cpe_bt_run) and the fixed signal column of `cpe backtest --signals`
 * (cpe_bt_run_signals); both use this loop, this book and the same metrics.
 *
 * Execution model (spec 12.2), on the book (cpe_bt_book_*):
 *   exit  at F = open * (1 - slip * d)             d = current direction (+1 / -1)
 *   entry at F = open * (1 + slip * s)             s = new direction
 *         |units| = fraction * equity / (F * (1 + commission))   (fraction 1 = all equity)
 *   commission = commission * |units| * F on every fill
 *   market orders: slip = slippage_bps (5); limit orders: filled with probability
 *   limit_fill_prob (0.7, drawn from the seeded RNG at each open they are pending),
 *   slip = limit_slippage_bps (0, at most 2). Exits are always market orders.
 *
 * As-of guarantee: the strategy acts at close_i only on predictions whose ts_ms is the
 * open time of bar i (made at that close); predictions come from walk-forward models
 * trained on outcomes before their test window (walkforward.h), never a model that saw
 * the bar. See docs/BACKTEST.md.
 *
 * Ownership: cpe_bt_result_t owns its arrays (cpe_bt_result_free; zeroed is a no-op).
 * Threads: no globals; one run per thread, any thread.
 */
#ifndef CPE_BACKTEST_H
#define CPE_BACKTEST_H

#include "cpe/alerts.h"
#include "cpe/buf.h"
#include "cpe/error.h"
#include "cpe/rng.h"
#include "cpe/store.h"
#include "cpe/wfcache.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_BT_MAX_H CPE_NHORIZONS
#define CPE_BT_MAX_DAYS 400 /* the longest range POST /backtest accepts */

struct cpe_jw;
#define CPE_BT_REASON 24

/* ---- bars and predictions (structure of arrays, caller-owned) ------------------------- */

typedef struct cpe_bt_bars {
    const int64_t *ts_ms; /* open times, strictly increasing */
    const double *open, *high, *low, *close;
    size_t n;
    int64_t bar_ms; /* bar interval */
} cpe_bt_bars_t;

/* The part of a prediction record (prediction.h) the strategy reads. */
typedef struct cpe_bt_pred {
    int64_t ts_ms; /* open time of the bar at whose close it was made */
    double p_up, expected_move, volatility;
    int stale;
} cpe_bt_pred_t;

typedef struct cpe_bt_preds {
    int horizon_h;
    const cpe_bt_pred_t *p; /* ts ascending */
    size_t n;
} cpe_bt_preds_t;

typedef struct cpe_bt_funding {
    int64_t ts_ms;
    double rate;
} cpe_bt_funding_t;

/* ---- configuration ----------------------------------------------------------------------- */

typedef struct cpe_bt_exec {
    double initial_cash;       /* 100000 */
    double commission_bps;     /* 4 */
    double slippage_bps;       /* 5 (market orders) */
    double limit_slippage_bps; /* 0 (0..2) */
    double limit_fill_prob;    /* 0.7 */
    int limit_entries;         /* 1: entries are limit orders */
    uint64_t seed;             /* limit-fill draws */
} cpe_bt_exec_t;

typedef struct cpe_bt_hcfg {
    int horizon_h;
    int enabled;
    double p_up_min;   /* long when p_up >= this (0.55) */
    double p_down_min; /* short when 1 - p_up >= this (0.55) */
} cpe_bt_hcfg_t;

typedef struct cpe_bt_strategy {
    int n_h;
    cpe_bt_hcfg_t h[CPE_BT_MAX_H]; /* the universe's horizons; only 4 h enabled by default */
    int allow_short;               /* 1 */
    double cost_multiple;          /* |expected_move| must exceed this x the round-trip cost (1) */
    double kelly_odds;             /* payoff ratio b of the Kelly bet (1) */
    double target_vol;             /* annualised volatility target (0.5) */
    double max_position;           /* cap on the equity fraction (1) */
    double min_confidence;         /* directional probability needed at all (0.55, spec 14.1) */
    double max_daily_vol;          /* no signal above this predicted daily vol (0.15, spec 14.1) */
    /* circuit breakers (spec 14.2) */
    int max_consec_losses;   /* 5 */
    int64_t loss_pause_ms;   /* 4 h */
    double daily_dd_limit;   /* 0.05: half size for the rest of the UTC day */
    double flash_move;       /* 0.10 within flash_window_ms -> halt */
    int64_t flash_window_ms; /* 1 h */
    int64_t flash_halt_ms;   /* 2 h */
    int64_t stale_gap_ms;    /* 5 min: a bar gap longer than this makes the data stale */
    /* entry_alert: entries come from this alert rule's firings (cpe_alert_eval_bar over each
     * close and its predictions) instead of the horizons' votes; direction up enters long,
     * down short, with max_position; exits as a signal's (horizon, risk controller). */
    int has_entry_alert;
    cpe_alert_rule_t entry_alert;
} cpe_bt_strategy_t;

typedef struct cpe_bt_config {
    cpe_bt_exec_t exec;
    cpe_bt_strategy_t strat;
    int perp;               /* 1: positions pay funding */
    size_t curve_points;    /* at most this many points per curve in the JSON (5000) */
    double hindsight_swing; /* minimum swing of the hindsight zig-zag (0.02) */
    /* walk-forward optimisation (spec 12.4) */
    int wfo;                                          /* 0: off */
    int wfo_train_days, wfo_test_days, wfo_step_days; /* 90 / 30 / 30 */
    int wfo_n_grid;
    double wfo_grid[8]; /* thresholds tried on each training window */
} cpe_bt_config_t;

void cpe_bt_config_default(cpe_bt_config_t *c);
/* Apply a strategy JSON object (docs/BACKTEST.md lists the keys) over c. Unknown keys and
 * values out of range are CPE_EINVAL with a message naming the key. */
int cpe_bt_config_json(cpe_bt_config_t *c, const char *json, size_t len, cpe_diag_t *d);
void cpe_bt_config_write(const cpe_bt_config_t *c, struct cpe_jw *w);
/* The limits cpe_bt_config_json checks, as a JSON array: [{"key", "type": "number" |
 * "integer" | "boolean" | "subset" | "enum", "min", "max", "exclusive", "values"}]. */
void cpe_bt_config_limits_write(struct cpe_jw *w);

/* ---- the book: cash, position, fills, trades ------------------------------------------ */

typedef struct cpe_bt_trade {
    int side; /* +1 long, -1 short */
    int open; /* still open at the end (exit fields are the last mark) */
    int64_t entry_ms, exit_ms;
    double units; /* > 0 */
    double entry_price, exit_price;
    double fees, funding; /* funding > 0 = received */
    double pnl;           /* net: price move + funding - both commissions */
    double entry_equity;
    char entry_reason[CPE_BT_REASON], exit_reason[CPE_BT_REASON];
} cpe_bt_trade_t;

typedef struct cpe_bt_book {
    double cash, units;                          /* units signed */
    double commission, slippage, limit_slippage; /* fractions (bps / 1e4) */
    size_t fills;
    double fees_total, funding_total, slippage_cost;
    cpe_bt_trade_t *trades;
    size_t n_trades, cap_trades;
} cpe_bt_book_t;

void cpe_bt_book_init(cpe_bt_book_t *b, const cpe_bt_exec_t *x);
void cpe_bt_book_free(cpe_bt_book_t *b);
static inline int cpe_bt_book_dir(const cpe_bt_book_t *b)
{
    return (b->units > 0) - (b->units < 0);
}
/* Exit the whole position at reference price ref (slippage against us). */
int cpe_bt_book_exit(cpe_bt_book_t *b, int64_t ts_ms, double ref, double slip, const char *reason);
/* Enter direction dir with fraction of equity (the book must be flat). */
int cpe_bt_book_enter(cpe_bt_book_t *b, int64_t ts_ms, int dir, double ref, double slip,
                      double fraction, const char *reason);
void cpe_bt_book_funding(cpe_bt_book_t *b, double rate, double mark);

/* ---- the loop --------------------------------------------------------------------------- */

typedef struct cpe_bt_target {
    int dir;         /* -1, 0, +1 */
    double fraction; /* of equity at entry, (0, 1] */
    int limit;       /* entry as a limit order */
    char reason[CPE_BT_REASON];
} cpe_bt_target_t;

/* The decider: at close i, with the book marked (equity), update *t (it persists). */
typedef void (*cpe_bt_decide_fn)(void *ctx, size_t i, const cpe_bt_book_t *b, double equity,
                                 cpe_bt_target_t *t);

typedef struct cpe_bt_curve {
    double *equity;   /* n: marked at each close */
    double *position; /* n: signed units held at each close */
} cpe_bt_curve_t;

/* Run the loop. curve arrays (caller-owned, n each) may be NULL. */
int cpe_bt_loop(const cpe_bt_bars_t *bars, const cpe_bt_funding_t *fund, size_t n_fund,
                const cpe_bt_exec_t *x, cpe_bt_decide_fn decide, void *ctx, cpe_bt_book_t *b,
                cpe_bt_curve_t *curve);

/* ---- strategy + risk controller ----------------------------------------------------------- */

typedef struct cpe_bt_risk_counts {
    int loss_pauses, dd_half_days, flash_halts, stale_bars, kelly_skips, vol_skips, cost_skips;
    int pred_bars;       /* bars with a prediction of every enabled horizon */
    int below_threshold; /* votes below p_up_min / p_down_min / min_confidence */
    int signals;         /* bars that produced a long or short signal */
} cpe_bt_risk_counts_t;

/* Half-Kelly x vol scalar, capped (spec 14.3 with the standard Kelly f = p - (1-p)/b);
 * 0 when the Kelly fraction is <= 0 or the volatility is not positive. */
double cpe_bt_position_fraction(const cpe_bt_strategy_t *s, double p_dir, double vol,
                                int horizon_h);

/* ---- metrics (spec 12.3) ------------------------------------------------------------------ */

typedef struct cpe_bt_metrics {
    double initial_equity, final_equity;
    double total_return, annualized_return;
    double sharpe, sortino;
    double max_drawdown;            /* fraction of the peak, >= 0 */
    double max_drawdown_duration_h; /* peak before the deepest drawdown -> recovery (or end) */
    double win_rate, profit_factor; /* over closed trades; NaN when undefined */
    double avg_trade_duration_h;
    size_t total_trades, long_trades, short_trades, closed_trades;
    size_t fills;
    double exposure;                       /* share of bars closed with a position */
    double buy_hold_return;                /* close_last / close_first - 1 */
    double alpha, beta, information_ratio; /* vs buy and hold, per-bar returns, annualised */
    double fees, funding, slippage_cost;
    double years;
} cpe_bt_metrics_t;

void cpe_bt_metrics_compute(const cpe_bt_bars_t *bars, const double *equity, const double *position,
                            const cpe_bt_book_t *b, cpe_bt_metrics_t *m);

/* ---- hindsight swings --------------------------------------------------------------------- */

typedef struct cpe_bt_swing {
    int64_t t_ms;
    double price;
    int entry; /* 1 entry (a swing low), 0 exit (a swing high) */
} cpe_bt_swing_t;

/* Zig-zag over highs/lows with minimum swing min_swing: where a long-only trader with
 * perfect foresight buys and sells. *out malloc'd. */
int cpe_bt_hindsight(const cpe_bt_bars_t *bars, double min_swing, cpe_bt_swing_t **out, size_t *n);

/* ---- results -------------------------------------------------------------------------------- */

typedef struct cpe_bt_period {
    int64_t train_from_ms, test_from_ms, test_to_ms;
    double threshold; /* chosen on the training window */
    double train_sharpe;
    cpe_bt_metrics_t test; /* out of sample */
} cpe_bt_period_t;

typedef struct cpe_bt_result {
    char kind[16]; /* "strategy" | "signals" */
    char symbol[32];
    char source[128]; /* where bars / predictions came from */
    char pred_source[128];
    int simulated; /* the bars are simulated */
    cpe_bt_config_t cfg;
    size_t n;                  /* bars */
    int64_t *ts_ms;            /* n */
    double *close;             /* n */
    double *equity, *position; /* n */
    cpe_bt_book_t book;
    cpe_bt_metrics_t m;
    cpe_bt_risk_counts_t risk;
    cpe_bt_swing_t *swings;
    size_t n_swings;
    cpe_bt_period_t *periods; /* walk-forward optimisation */
    size_t n_periods;
    int64_t *oos_ts; /* stitched out-of-sample equity */
    double *oos_equity;
    size_t n_oos;
    char notes[4][160];
    int n_notes;
} cpe_bt_result_t;

void cpe_bt_result_free(cpe_bt_result_t *r);
void cpe_bt_result_note(cpe_bt_result_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The strategy backtest over bars with predictions (one array per enabled horizon) and
 * funding (may be empty). Also computes the hindsight swings and, with cfg.wfo, the
 * walk-forward optimisation. */
int cpe_bt_run(const cpe_bt_config_t *cfg, const cpe_bt_bars_t *bars, const cpe_bt_preds_t *preds,
               int n_preds, const cpe_bt_funding_t *fund, size_t n_fund, cpe_bt_result_t *r,
               cpe_diag_t *d);

/* The fixed-signal backtest (issue 9): signal[i] in {-1,0,1} decided at close i. */
int cpe_bt_run_signals(const cpe_bt_exec_t *x, const cpe_bt_bars_t *bars, const int8_t *signal,
                       size_t curve_points, cpe_bt_result_t *r, cpe_diag_t *d);

/* ---- signals from a file (issue 9) ------------------------------------------------------- */

/* A CSV with a header naming ts, open, high, low, close, signal (any order, other
 * columns ignored); ts in epoch ms or ISO-8601, strictly increasing; prices positive,
 * high >= low; signal -1, 0 or 1. Errors name the file, line and column. */
typedef struct cpe_bt_signals {
    int64_t *ts_ms;
    double *open, *high, *low, *close;
    int8_t *signal;
    size_t n, cap;
    cpe_bt_bars_t bars; /* view; bar_ms = the smallest step between rows */
} cpe_bt_signals_t;

int cpe_bt_signals_read(const char *path, cpe_bt_signals_t *out, cpe_diag_t *d);
void cpe_bt_signals_free(cpe_bt_signals_t *s);

/* ---- from the store ------------------------------------------------------------------------ */

/* Everything a strategy backtest of symbol over [from, to) reads, owned. */
typedef struct cpe_bt_data {
    int64_t *ts_ms;
    double *open, *high, *low, *close;
    size_t n;
    cpe_bt_bars_t bars; /* view over the arrays above */
    int n_preds;
    cpe_bt_preds_t preds[CPE_BT_MAX_H];
    cpe_bt_pred_t *pred_arr[CPE_BT_MAX_H];
    cpe_bt_funding_t *funding;
    size_t n_funding;
    char instrument[64];
    char pred_source[128]; /* "stored walk-forward predictions; folds reused N, trained M" */
    size_t n_rejected;     /* stored predictions not from a walk-forward model before them */
    int simulated;
    cpe_wfc_progress_t wf; /* the folds of the range: reused, trained, stored */
} cpe_bt_data_t;

/* symbol: "BTC", "BTCUSDT" (price series chosen by barload.h's rule) or an instrument key
 * ("sim:spot:BTCUSDT", the series the API shows). Load 1m bars, funding of the symbol's perp, and
 * for each enabled horizon the stored predictions over the range that a walk-forward model
 * ("<SYMBOL>-wf-YYYYMMDD") made after its label cutoff (other stored records, e.g. the live
 * champion's, are counted in n_rejected and ignored). Before reading them, the weekly
 * walk-forward folds covering the range are made sure of (wfcache.h: reused when stored and
 * unchanged, trained and stored otherwise), so every prediction comes from a model trained
 * before its week. wo (NULL = defaults) sets threads, cancel and progress of the folds. */
int cpe_bt_data_load(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                     const cpe_bt_config_t *cfg, cpe_bt_data_t *out, cpe_diag_t *d);
int cpe_bt_data_load_wf(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                        const cpe_bt_config_t *cfg, const cpe_wfc_opts_t *wo, cpe_bt_data_t *out,
                        cpe_diag_t *d);
void cpe_bt_data_free(cpe_bt_data_t *dt);

/* Load + run: what the CLI and POST /backtest do. */
int cpe_bt_run_store(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                     const cpe_bt_config_t *cfg, cpe_bt_result_t *r, cpe_diag_t *d);
int cpe_bt_run_store_wf(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                        const cpe_bt_config_t *cfg, const cpe_wfc_opts_t *wo, cpe_bt_result_t *r,
                        cpe_diag_t *d);

/* The result JSON (docs/BACKTEST.md): what `cpe backtest --out` writes and GET
 * /backtest/{id} returns. */
int cpe_bt_result_json(const cpe_bt_result_t *r, cpe_buf_t *out);

/* Save a finished strategy run as run `id` (cpe_store_run_t, the store's bt_run table):
 * result_json is what cpe_bt_result_json wrote for r; its "config" and "metrics" are kept
 * beside it for listing. data_version names the bars (series, count, last bar), and
 * model_version the walk-forward folds that predicted ("<SYMBOL>-wf-<first week>..<last
 * week>", code CPE_WFC_CODE_VERSION). runs.c. */
int cpe_bt_run_save(cpe_store_t *st, const char *id, int64_t created_ms, const char *instrument,
                    int64_t from_ms, int64_t to_ms, const cpe_bt_result_t *r,
                    const char *result_json, cpe_diag_t *d);

#endif
