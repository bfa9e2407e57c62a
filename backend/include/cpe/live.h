/*
 * live.h — the live pipeline inside `cpe serve`: where new bars come from, and what is
 * pushed to WebSocket clients as they arrive.
 *
 * Modes:
 *   simulate  the market simulator (cpe/sim.h) runs in real time on the pipeline's own
 *             thread: first it fills the store up to the current minute (continuing
 *             from the last stored simulated bar, at most backfill_minutes back), then
 *             every tick_ms it reveals the minute in progress (an in-progress candle)
 *             and every minute_ms it closes the minute: klines (spot, perp), OI, funding
 *             and liquidations are appended to the store under "sim:*" instruments
 *             (series marked simulated) and the closed bar is pushed.
 *   live      the exchange feed (cpe/feed.h: Binance, falling back to Bybit and OKX per
 *             data kind) on its own threads; the pipeline thread drains its events,
 *             writes them under their true source ("binance:spot:BTCUSDT", ...), pushes
 *             in-progress and closed candles, and predicts at every closed bar. Base URLs
 *             can be redirected (CPE_BINANCE_WS_SPOT=..., see `cpe record --help`).
 *   store     no thread: the store is served as it is (tests, offline analysis).
 *   auto      the store's newest real (non-simulated) 1m bar closed less than
 *             CPE_LIVE_RECENT_MS ago (a recorder feeds it) -> store; else live when an
 *             exchange delivers a kline within probe_ms; otherwise simulate. The choice is logged,
 *             shown by /health and carried by every response's "simulated" flag.
 * Predictions (cfg.predict): at every closed 1m bar — and once at start, at the newest
 * bar in the store, after the simulator has filled the history — the champion model of
 * each symbol predicts every horizon (cpe/livepred.h); the records and explanations are
 * stored and each prediction is pushed as a CPE_LIVE_PREDICTION event. No champion: no
 * prediction, and the status says why (pred_note).
 * Every closed bar is aggregated into 5m/15m/1h/4h/1d buckets and every tick produces
 * in-progress candles for each of those intervals too, so a chart of any interval updates.
 *
 * Threads: cpe_live_start() spawns the pipeline thread, which owns its store handle and
 * simulator, and up to 4 prediction workers (one per core beyond the first, with their own
 * store handles) that share a close's symbols with it. Events reach the server through the
 * sink callback ON THE PIPELINE THREAD OR A PREDICTION WORKER (predictions; two may call it
 * at once): the sink must be thread-safe, copy what it needs and return quickly (the API server
 * formats the JSON, queues it and wakes its lws service thread). cpe_live_status() may be called
 * from any thread (it takes a lock). cpe_live_stop() joins the thread and frees everything.
 */
#ifndef CPE_LIVE_H
#define CPE_LIVE_H

#include "cpe/error.h"
#include "cpe/feed.h"
#include "cpe/market.h"
#include "cpe/prediction.h"
#include "cpe/universe.h"

#include <stdint.h>

#define CPE_LIVE_MAX_SYMBOLS CPE_ASSETS_MAX /* every configured asset can be live */
#define CPE_LIVE_RECENT_MS (10 * 60000LL)

typedef enum cpe_live_mode {
    CPE_LIVE_SIMULATE = 0,
    CPE_LIVE_STORE = 1,
    CPE_LIVE_AUTO = 2,
    CPE_LIVE_EXCHANGE = 3
} cpe_live_mode_t;

typedef enum cpe_live_kind { CPE_LIVE_CANDLE = 0, CPE_LIVE_PREDICTION = 1 } cpe_live_kind_t;

typedef struct cpe_live_event {
    cpe_live_kind_t kind;
    const char *symbol;           /* "BTCUSDT" */
    int64_t interval_ms;          /* candles */
    int closed;                   /* candles: 1 when final */
    const cpe_bar_t *bar;         /* candles */
    double cvd;                   /* candles: running CVD of the interval's series */
    const cpe_prediction_t *pred; /* predictions */
    double drift;                 /* predictions: the model drift score (NaN: none) */
    int simulated;
    int64_t emitted_ms; /* wall clock when the event was produced */
    int64_t source_ms;  /* candles from an exchange: when its frame arrived (else 0) */
} cpe_live_event_t;

typedef void (*cpe_live_sink_fn)(void *ctx, const cpe_live_event_t *ev);

typedef struct cpe_live_config {
    const char *db; /* store URL (the pipeline opens its own handle) */
    cpe_live_mode_t mode;
    const char *symbols; /* "BTCUSDT,ETHUSDT"; NULL: the configured assets */
    int tick_ms;         /* in-progress update period (1000) */
    int minute_ms;       /* wall time of a simulated minute (60000) */
    uint64_t seed;
    int backfill_minutes; /* how far back the simulator fills an empty store (serve: 7 days) */
    int64_t probe_ms;     /* auto: how long to wait for exchange data (8000) */
    int predict;          /* predict at every closed bar (livepred.h) */
    const char *models;   /* model registry root (NULL: $CPE_MODELS or data/models) */
    int pred_paths;       /* Monte Carlo paths per live prediction (<= 0: 10,000) */
    cpe_live_sink_fn sink;
    void *sink_ctx;
} cpe_live_config_t;

typedef struct cpe_live_status {
    const char *source; /* "simulated", "live", "store" (the resolved mode) */
    int simulated;
    int nsym;
    char symbol[CPE_LIVE_MAX_SYMBOLS][32];
    int64_t last_bar_ts[CPE_LIVE_MAX_SYMBOLS];  /* open time of the newest closed 1m bar */
    int64_t last_tick_ms[CPE_LIVE_MAX_SYMBOLS]; /* wall time of the newest price update */
    int64_t minutes_closed;
    int64_t last_pred_ts[CPE_LIVE_MAX_SYMBOLS]; /* bar of the newest live prediction */
    int64_t last_pred_ms[CPE_LIVE_MAX_SYMBOLS]; /* how long that prediction step took */
    char pred_note[CPE_LIVE_MAX_SYMBOLS][160];  /* why no prediction was made ("" = fine) */
    int64_t predictions_made;
    /* model drift score per symbol (drift.h; NaN: none yet or a model without deciles) */
    double drift[CPE_LIVE_MAX_SYMBOLS];
    int drift_rows[CPE_LIVE_MAX_SYMBOLS];       /* minutes in the ring */
    char drift_worst[CPE_LIVE_MAX_SYMBOLS][64]; /* the feature with the largest PSI */
    double drift_worst_psi[CPE_LIVE_MAX_SYMBOLS];
    char note[160];         /* why this mode (for the log and /health) */
    int has_feed;           /* live mode: the exchange feed's state below */
    cpe_feed_status_t feed; /* per data kind: active exchange, freshness, switches */
} cpe_live_status_t;

typedef struct cpe_live cpe_live_t;

/* Resolve the mode and, for simulate, start the thread. */
int cpe_live_start(const cpe_live_config_t *c, cpe_live_t **out, cpe_diag_t *d);
void cpe_live_stop(cpe_live_t *l); /* NULL is a no-op */
void cpe_live_get_status(cpe_live_t *l, cpe_live_status_t *out);

#endif
