/*
 * alerts.h — alert rules and their evaluation: the one place that decides whether an
 * alert fires, used by the live pipeline (api/alerts.c) and usable unchanged by a replay
 * or a backtest, because it only sees what it is given.
 *
 * Model. A rule (cpe_alert_rule_t) watches one asset. Each observation (cpe_alert_input_t:
 * a price at a time, and when there is one a prediction of some horizon, the cone band of
 * the prediction made horizon_h hours earlier, and the data's stale / simulated flags) is
 * passed with the rule's state (cpe_alert_state_t, the previous observation and the last
 * firing) to cpe_alert_eval(), which updates the state and says whether the rule fires.
 * Every kind fires on a *transition* (the price crosses a level, the p_up crosses a
 * threshold, the regime changes, the confidence becomes high, the price leaves the band,
 * the data becomes stale or simulated), never on a level that merely persists, and not
 * within cooldown_s of the rule's previous firing. The first observation only sets the state.
 *
 * Kinds (field use; horizon_h is one of the universe's horizons):
 *   price_cross      level, direction up|down|any
 *   cone_breach      horizon_h, threshold 1 or 2 (sigma band), direction up|down|any
 *   p_up_cross       horizon_h, threshold in (0,1), direction
 *   regime_change    optional horizon_h, optional regime (the one it changes to; "" any)
 *   confidence_high  optional horizon_h
 *   stale            (the data becomes stale or the source falls back to the simulator)
 *   drift            threshold > 0: a PSI level; fires when the model drift score (drift.h)
 *                    rises above it (a missing score counts as below)
 *
 * A rule is JSON (docs/ALERTS.md); cpe_alert_rule_parse() validates it and names the bad
 * field so the API can answer 422.
 */
#ifndef CPE_ALERTS_H
#define CPE_ALERTS_H

#include "cpe/error.h"
#include "cpe/prediction.h"
#include "cpe/universe.h"

#include <stdint.h>

typedef enum cpe_alert_kind {
    CPE_ALERT_PRICE_CROSS = 0,
    CPE_ALERT_CONE_BREACH,
    CPE_ALERT_P_UP_CROSS,
    CPE_ALERT_REGIME_CHANGE,
    CPE_ALERT_CONFIDENCE_HIGH,
    CPE_ALERT_STALE,
    CPE_ALERT_DRIFT,
    CPE_ALERT_NKINDS
} cpe_alert_kind_t;

typedef enum cpe_alert_dir { CPE_DIR_ANY = 0, CPE_DIR_UP = 1, CPE_DIR_DOWN = 2 } cpe_alert_dir_t;

#define CPE_ALERT_URL_MAX 512
#define CPE_ALERT_SECRET_MAX 128

typedef struct cpe_alert_rule {
    int64_t id;
    char owner[32]; /* "local" until accounts exist */
    cpe_alert_kind_t kind;
    char asset[CPE_ASSET_NAME_MAX];
    int horizon_h;    /* 0 = none / any */
    double level;     /* price_cross */
    double threshold; /* p_up_cross: probability; cone_breach: sigmas (1 or 2); drift: PSI */
    cpe_alert_dir_t direction;
    char regime[16]; /* regime_change: the target ("" = any change) */
    int64_t cooldown_s;
    int enabled;
    char name[64];
    char webhook_url[CPE_ALERT_URL_MAX]; /* "" = no webhook */
    char webhook_secret[CPE_ALERT_SECRET_MAX];
    char webhook_format[16]; /* "generic" (default), "slack", "discord", "telegram" */
    int64_t created_ms;
} cpe_alert_rule_t;

typedef struct cpe_alert_state {
    int has_price;
    double price;
    int has_p_up;
    double p_up;
    char regime[16];
    int conf_high;         /* -1 unknown */
    int outside;           /* cone_breach: -1 unknown, 0 inside, 1 above, 2 below */
    int bad_data;          /* stale: -1 unknown, else the last stale||simulated */
    int drift_above;       /* drift: -1 unknown, else the last score > threshold */
    int64_t last_fired_ms; /* 0 = never */
} cpe_alert_state_t;

typedef struct cpe_alert_input {
    int64_t t_ms;  /* observation time (wall clock live, bar time in a replay) */
    int has_price; /* price below is valid */
    double price;
    const cpe_prediction_t *pred; /* a new prediction (NULL: none in this observation) */
    int has_band;                 /* cone_breach: band of the cone made horizon_h ago */
    double lo1, hi1, lo2, hi2;    /* its 1- and 2-sigma price bounds now */
    int has_data_state;
    int stale, simulated;
    int has_drift; /* drift below is this observation's model drift score (NaN: none yet) */
    double drift;
} cpe_alert_input_t;

typedef struct cpe_alert_fire {
    int64_t t_ms;
    double value; /* the price / p_up / sigma bound that triggered */
    char message[192];
} cpe_alert_fire_t;

const char *cpe_alert_kind_name(cpe_alert_kind_t k);
const char *cpe_alert_dir_name(cpe_alert_dir_t d);
void cpe_alert_state_init(cpe_alert_state_t *s);

/* Validate JSON text into *r (fields not given keep r's values, so a PATCH parses over the
 * stored rule; a create starts from cpe_alert_rule_defaults()). CPE_EINVAL with field (never
 * NULL) naming the bad field ("body" for text that is not a JSON object). */
void cpe_alert_rule_defaults(cpe_alert_rule_t *r);
int cpe_alert_rule_parse(const char *json, size_t len, cpe_alert_rule_t *r, char field[32],
                         cpe_diag_t *d);
/* The rule as JSON into a malloc'd string; with_secret 0 leaves the secret out (API). */
char *cpe_alert_rule_json(const cpe_alert_rule_t *r, int with_secret);

/* The chat_id query parameter of a Telegram Bot API URL (".../sendMessage?chat_id=-100123")
 * into out: 0, or CPE_ENOTFOUND when the URL has none (or it does not fit cap). */
int cpe_alert_telegram_chat(const char *url, char *out, size_t cap);

/* Evaluate one observation: 1 fired (out filled), 0 not. Updates st either way. */
int cpe_alert_eval(const cpe_alert_rule_t *r, cpe_alert_state_t *st, const cpe_alert_input_t *in,
                   cpe_alert_fire_t *out);

/* One closed bar of history, as a replay or a backtest sees it: the close at close_ms, then
 * each prediction made at that close, evaluated in that order through cpe_alert_eval(),
 * each with the model drift score as of the bar (drift; NaN: none), as the live pipeline
 * sends it with its predictions. 1 when the rule fired (the first firing in out), else 0.
 * cone_breach and stale never fire here (no band, no data flags: the live server alone
 * has them). */
int cpe_alert_eval_bar(const cpe_alert_rule_t *r, cpe_alert_state_t *st, int64_t close_ms,
                       double close, const cpe_prediction_t *const *preds, int npreds, double drift,
                       cpe_alert_fire_t *out);

/* The price bounds of a prediction's cone at time t_ms (linear between cone steps, held
 * at the last step after it). 0, or CPE_ENOTFOUND without a cone. */
int cpe_alert_cone_band(const cpe_prediction_t *p, int64_t t_ms, double *lo1, double *hi1,
                        double *lo2, double *hi2);

#endif
