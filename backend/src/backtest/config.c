/* config.c — backtest defaults, the strategy JSON (docs/BACKTEST.md) applied over them,
 * and the config as it is echoed in the result. One table of numeric keys drives the
 * parser and the writer. */
#include "cpe/backtest.h"
#include "cpe/json.h"
#include "cpe/timeutil.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_bt_config_default(cpe_bt_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->exec = (cpe_bt_exec_t){100000, 4, 5, 0, 0.7, 0, 42};
    cpe_bt_strategy_t *s = &c->strat;
    s->n_h = CPE_NHORIZONS;
    for (int k = 0; k < CPE_NHORIZONS; k++) /* the universe's horizons; only 4 h enabled */
        s->h[k] = (cpe_bt_hcfg_t){cpe_horizons_h[k], cpe_horizons_h[k] == 4, 0.55, 0.55};
    s->allow_short = 1;
    s->cost_multiple = 1;
    s->kelly_odds = 1;
    s->target_vol = 0.5;
    s->max_position = 1;
    s->min_confidence = 0.55;
    s->max_daily_vol = 0.15;
    s->max_consec_losses = 5;
    s->loss_pause_ms = 4 * CPE_MS_PER_HOUR;
    s->daily_dd_limit = 0.05;
    s->flash_move = 0.10;
    s->flash_window_ms = CPE_MS_PER_HOUR;
    s->flash_halt_ms = 2 * CPE_MS_PER_HOUR;
    s->stale_gap_ms = 5 * CPE_MS_PER_MIN;
    c->perp = 1;
    c->curve_points = 5000;
    c->hindsight_swing = 0.02;
    c->wfo_train_days = 90;
    c->wfo_test_days = 30;
    c->wfo_step_days = 30;
    c->wfo_n_grid = 4;
    c->wfo_grid[0] = 0.52, c->wfo_grid[1] = 0.55, c->wfo_grid[2] = 0.58, c->wfo_grid[3] = 0.62;
}

typedef enum { K_DBL, K_INT, K_HOURS, K_MINUTES, K_BOOL, K_SIZE } kind_t;
typedef struct key {
    const char *name;
    kind_t kind;
    size_t off;
    double lo, hi;
} cfg_key_t;

#define C(f) offsetof(cpe_bt_config_t, f)
static const cfg_key_t keys[] = {
    {"initial_cash", K_DBL, C(exec.initial_cash), 1, 1e12},
    {"commission_bps", K_DBL, C(exec.commission_bps), 0, 100},
    {"slippage_bps", K_DBL, C(exec.slippage_bps), 0, 100},
    {"limit_slippage_bps", K_DBL, C(exec.limit_slippage_bps), 0, 2},
    {"limit_fill_prob", K_DBL, C(exec.limit_fill_prob), 0, 1},
    {"allow_short", K_BOOL, C(strat.allow_short), 0, 1},
    {"cost_multiple", K_DBL, C(strat.cost_multiple), 0, 100},
    {"kelly_odds", K_DBL, C(strat.kelly_odds), 0.01, 100},
    {"target_vol", K_DBL, C(strat.target_vol), 0.001, 10},
    {"max_position", K_DBL, C(strat.max_position), 0, 10},
    {"min_confidence", K_DBL, C(strat.min_confidence), 0, 1},
    {"max_daily_vol", K_DBL, C(strat.max_daily_vol), 0, 10},
    {"max_consecutive_losses", K_INT, C(strat.max_consec_losses), 0, 1000},
    {"loss_pause_h", K_HOURS, C(strat.loss_pause_ms), 0, 1000},
    {"daily_drawdown_limit", K_DBL, C(strat.daily_dd_limit), 0, 1},
    {"flash_move", K_DBL, C(strat.flash_move), 0, 10},
    {"flash_window_h", K_HOURS, C(strat.flash_window_ms), 0.01, 1000},
    {"flash_halt_h", K_HOURS, C(strat.flash_halt_ms), 0, 1000},
    {"stale_gap_min", K_MINUTES, C(strat.stale_gap_ms), 1, 100000},
    {"perp", K_BOOL, C(perp), 0, 1},
    {"curve_points", K_SIZE, C(curve_points), 2, 10000000},
    {"hindsight_swing", K_DBL, C(hindsight_swing), 0, 1},
};
#undef C
#define NKEYS (sizeof keys / sizeof keys[0])

static int set_key(cpe_bt_config_t *c, const cfg_key_t *k, json_t *v, cpe_diag_t *d)
{
    void *p = (char *)c + k->off;
    double x;
    if (k->kind == K_BOOL) {
        if (!json_is_boolean(v))
            return cpe_diag_set(d, CPE_EINVAL, "strategy: '%s' must be true or false", k->name);
        *(int *)p = json_is_true(v);
        return 0;
    }
    if (!json_is_number(v))
        return cpe_diag_set(d, CPE_EINVAL, "strategy: '%s' must be a number", k->name);
    x = json_number_value(v);
    if (!(x >= k->lo && x <= k->hi))
        return cpe_diag_set(d, CPE_EINVAL, "strategy: '%s' (%g) is outside [%g, %g]", k->name, x,
                            k->lo, k->hi);
    switch (k->kind) {
    case K_DBL:
        *(double *)p = x;
        break;
    case K_INT:
        *(int *)p = (int)x;
        break;
    case K_SIZE:
        *(size_t *)p = (size_t)x;
        break;
    case K_HOURS:
        *(int64_t *)p = (int64_t)(x * CPE_MS_PER_HOUR);
        break;
    case K_MINUTES:
        *(int64_t *)p = (int64_t)(x * CPE_MS_PER_MIN);
        break;
    case K_BOOL:
        break;
    }
    return 0;
}

static cpe_bt_hcfg_t *hcfg(cpe_bt_config_t *c, long h)
{
    for (int k = 0; k < c->strat.n_h; k++)
        if (c->strat.h[k].horizon_h == h) return &c->strat.h[k];
    return NULL;
}

static int prob(json_t *v, const char *name, double *out, cpe_diag_t *d)
{
    if (!json_is_number(v) || !(json_number_value(v) > 0.5 && json_number_value(v) < 1))
        return cpe_diag_set(d, CPE_EINVAL, "strategy: '%s' must be a number in (0.5, 1)", name);
    *out = json_number_value(v);
    return 0;
}

static int horizons(cpe_bt_config_t *c, json_t *v, cpe_diag_t *d)
{
    if (!json_is_array(v) || !json_array_size(v))
        return cpe_diag_set(d, CPE_EINVAL, "strategy: 'horizons' must be a non-empty array of %s",
                            cpe_horizons_text());
    for (int k = 0; k < c->strat.n_h; k++)
        c->strat.h[k].enabled = 0;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        cpe_bt_hcfg_t *h = json_is_integer(e) ? hcfg(c, (long)json_integer_value(e)) : NULL;
        if (!h)
            return cpe_diag_set(d, CPE_EINVAL, "strategy: 'horizons'[%zu] is not one of %s", i,
                                cpe_horizons_text());
        h->enabled = 1;
    }
    return 0;
}

static int thresholds(cpe_bt_config_t *c, json_t *v, cpe_diag_t *d)
{
    const char *hk;
    json_t *o;
    if (!json_is_object(v))
        return cpe_diag_set(d, CPE_EINVAL, "strategy: 'thresholds' must be an object by horizon");
    json_object_foreach(v, hk, o)
    {
        char *end;
        long h = strtol(hk, &end, 10);
        cpe_bt_hcfg_t *hc = *end ? NULL : hcfg(c, h);
        if (!hc || !json_is_object(o))
            return cpe_diag_set(d, CPE_EINVAL,
                                "strategy: 'thresholds.%s' is not a horizon (%s) with an object",
                                hk, cpe_horizons_text());
        const char *k;
        json_t *x;
        json_object_foreach(o, k, x)
        {
            int rc = !strcmp(k, "p_up_min") ? prob(x, k, &hc->p_up_min, d)
                     : !strcmp(k, "p_down_min")
                         ? prob(x, k, &hc->p_down_min, d)
                         : cpe_diag_set(d, CPE_EINVAL, "strategy: unknown key 'thresholds.%s.%s'",
                                        hk, k);
            if (rc) return rc;
        }
    }
    return 0;
}

static int walk_forward(cpe_bt_config_t *c, json_t *v, cpe_diag_t *d)
{
    const char *k;
    json_t *x;
    if (!json_is_object(v))
        return cpe_diag_set(d, CPE_EINVAL, "strategy: 'walk_forward' must be an object");
    c->wfo = 1;
    json_object_foreach(v, k, x)
    {
        int *days = !strcmp(k, "train_days")  ? &c->wfo_train_days
                    : !strcmp(k, "test_days") ? &c->wfo_test_days
                    : !strcmp(k, "step_days") ? &c->wfo_step_days
                                              : NULL;
        if (days) {
            if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > 3650)
                return cpe_diag_set(d, CPE_EINVAL,
                                    "strategy: 'walk_forward.%s' must be an integer in [1, 3650]",
                                    k);
            *days = (int)json_integer_value(x);
        } else if (!strcmp(k, "enabled")) {
            if (!json_is_boolean(x))
                return cpe_diag_set(d, CPE_EINVAL,
                                    "strategy: 'walk_forward.enabled' must be true or false");
            c->wfo = json_is_true(x);
        } else if (!strcmp(k, "grid")) {
            size_t n = json_is_array(x) ? json_array_size(x) : 0;
            if (n < 1 || n > 8)
                return cpe_diag_set(d, CPE_EINVAL,
                                    "strategy: 'walk_forward.grid' must hold 1 to 8 thresholds");
            for (size_t i = 0; i < n; i++) {
                int rc = prob(json_array_get(x, i), "walk_forward.grid", &c->wfo_grid[i], d);
                if (rc) return rc;
            }
            c->wfo_n_grid = (int)n;
        } else {
            return cpe_diag_set(d, CPE_EINVAL, "strategy: unknown key 'walk_forward.%s'", k);
        }
    }
    return 0;
}

/* entry_alert: an alert rule object (docs/ALERTS.md; the API replaces a rule id by the rule),
 * of a kind that can fire over stored history, with direction up or down. */
static int entry_alert(cpe_bt_config_t *c, json_t *v, cpe_diag_t *d)
{
    if (json_is_null(v)) {
        c->strat.has_entry_alert = 0;
        return 0;
    }
    if (!json_is_object(v))
        return cpe_diag_set(d, CPE_EINVAL,
                            "strategy: 'entry_alert' must be an alert rule object or a rule id");
    char *txt = json_dumps(v, JSON_COMPACT);
    if (!txt) return cpe_diag_set(d, CPE_ENOMEM, "strategy: out of memory");
    cpe_alert_rule_t *r = &c->strat.entry_alert;
    char field[32];
    cpe_diag_t rd = {0};
    cpe_alert_rule_defaults(r);
    int rc = cpe_alert_rule_parse(txt, strlen(txt), r, field, &rd);
    free(txt);
    if (rc) return cpe_diag_set(d, CPE_EINVAL, "strategy: 'entry_alert' %s", rd.msg);
    if (r->kind == CPE_ALERT_CONE_BREACH || r->kind == CPE_ALERT_STALE)
        return cpe_diag_set(d, CPE_EINVAL,
                            "strategy: 'entry_alert.kind' %s never fires over stored bars",
                            cpe_alert_kind_name(r->kind));
    if (r->direction == CPE_DIR_ANY)
        return cpe_diag_set(d, CPE_EINVAL,
                            "strategy: 'entry_alert.direction' must be up (long) or down (short)");
    r->enabled = 1;
    c->strat.has_entry_alert = 1;
    return 0;
}

static int apply(cpe_bt_config_t *c, json_t *root, cpe_diag_t *d)
{
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, k, v)
    {
        const cfg_key_t *kk = NULL;
        for (size_t i = 0; i < NKEYS; i++)
            if (!strcmp(keys[i].name, k)) kk = &keys[i];
        if (kk)
            rc = set_key(c, kk, v, d);
        else if (!strcmp(k, "horizons"))
            rc = horizons(c, v, d);
        else if (!strcmp(k, "thresholds"))
            rc = thresholds(c, v, d);
        else if (!strcmp(k, "walk_forward"))
            rc = walk_forward(c, v, d);
        else if (!strcmp(k, "p_up_min") || !strcmp(k, "p_down_min")) {
            double x;
            if (!(rc = prob(v, k, &x, d)))
                for (int h = 0; h < c->strat.n_h; h++)
                    *(k[2] == 'u' ? &c->strat.h[h].p_up_min : &c->strat.h[h].p_down_min) = x;
        } else if (!strcmp(k, "order_type")) {
            const char *s = json_string_value(v);
            if (!s || (strcmp(s, "market") && strcmp(s, "limit")))
                rc = cpe_diag_set(d, CPE_EINVAL,
                                  "strategy: 'order_type' must be \"market\" or \"limit\"");
            else
                c->exec.limit_entries = !strcmp(s, "limit");
        } else if (!strcmp(k, "entry_alert")) {
            rc = entry_alert(c, v, d);
        } else if (!strcmp(k, "seed")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                rc = cpe_diag_set(d, CPE_EINVAL, "strategy: 'seed' must be a non-negative integer");
            else
                c->exec.seed = (uint64_t)json_integer_value(v);
        } else {
            rc = cpe_diag_set(d, CPE_EINVAL, "strategy: unknown key '%s'", k);
        }
        if (rc) return rc;
    }
    return 0;
}

int cpe_bt_config_json(cpe_bt_config_t *c, const char *json, size_t len, cpe_diag_t *d)
{
    json_error_t e;
    json_t *root = json_loadb(json, len, 0, &e);
    if (!root)
        return cpe_diag_set(d, CPE_EINVAL, "strategy: line %d column %d: %s", e.line, e.column,
                            e.text);
    int rc = json_is_object(root) ? apply(c, root, d)
                                  : cpe_diag_set(d, CPE_EINVAL, "strategy: must be a JSON object");
    json_decref(root);
    return rc;
}

void cpe_bt_config_write(const cpe_bt_config_t *c, cpe_jw_t *w)
{
    cpe_jw_obj(w);
    for (size_t i = 0; i < NKEYS; i++) {
        const void *p = (const char *)c + keys[i].off;
        switch (keys[i].kind) {
        case K_DBL:
            cpe_jw_knum(w, keys[i].name, *(const double *)p);
            break;
        case K_INT:
            cpe_jw_kint(w, keys[i].name, *(const int *)p);
            break;
        case K_SIZE:
            cpe_jw_kint(w, keys[i].name, (int64_t) * (const size_t *)p);
            break;
        case K_BOOL:
            cpe_jw_kbool(w, keys[i].name, *(const int *)p);
            break;
        case K_HOURS:
            cpe_jw_knum(w, keys[i].name, (double)*(const int64_t *)p / CPE_MS_PER_HOUR);
            break;
        case K_MINUTES:
            cpe_jw_knum(w, keys[i].name, (double)*(const int64_t *)p / CPE_MS_PER_MIN);
            break;
        }
    }
    cpe_jw_kstr(w, "order_type", c->exec.limit_entries ? "limit" : "market");
    cpe_jw_kint(w, "seed", (int64_t)c->exec.seed);
    if (c->strat.has_entry_alert) {
        char *rule = cpe_alert_rule_json(&c->strat.entry_alert, 0);
        if (rule) {
            cpe_jw_key(w, "entry_alert");
            cpe_jw_raw(w, rule);
        }
        free(rule);
    }
    cpe_jw_key(w, "horizons");
    cpe_jw_arr(w);
    for (int k = 0; k < c->strat.n_h; k++)
        if (c->strat.h[k].enabled) cpe_jw_int(w, c->strat.h[k].horizon_h);
    cpe_jw_end(w);
    cpe_jw_key(w, "thresholds");
    cpe_jw_obj(w);
    for (int k = 0; k < c->strat.n_h; k++) {
        char hk[8];
        snprintf(hk, sizeof hk, "%d", c->strat.h[k].horizon_h);
        cpe_jw_key(w, hk);
        cpe_jw_obj(w);
        cpe_jw_knum(w, "p_up_min", c->strat.h[k].p_up_min);
        cpe_jw_knum(w, "p_down_min", c->strat.h[k].p_down_min);
        cpe_jw_end(w);
    }
    cpe_jw_end(w);
    cpe_jw_key(w, "walk_forward");
    cpe_jw_obj(w);
    cpe_jw_kbool(w, "enabled", c->wfo);
    cpe_jw_kint(w, "train_days", c->wfo_train_days);
    cpe_jw_kint(w, "test_days", c->wfo_test_days);
    cpe_jw_kint(w, "step_days", c->wfo_step_days);
    cpe_jw_key(w, "grid");
    cpe_jw_num_array(w, c->wfo_grid, (size_t)c->wfo_n_grid);
    cpe_jw_end(w);
    cpe_jw_end(w);
}

/* The rules apply() checks, as data (GET /backtest-options: the cockpit's strategy form
 * validates with the same limits): one row per numeric or boolean key of the table, then
 * the keys apply() checks by hand. */
void cpe_bt_config_limits_write(cpe_jw_t *w)
{
    static const char *const type[] = {
        [K_DBL] = "number",     [K_INT] = "integer",  [K_HOURS] = "number",
        [K_MINUTES] = "number", [K_BOOL] = "boolean", [K_SIZE] = "integer"};
    cpe_jw_arr(w);
    for (size_t i = 0; i < NKEYS; i++) {
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "key", keys[i].name);
        cpe_jw_kstr(w, "type", type[keys[i].kind]);
        if (keys[i].kind != K_BOOL) {
            cpe_jw_knum(w, "min", keys[i].lo);
            cpe_jw_knum(w, "max", keys[i].hi);
        }
        cpe_jw_end(w);
    }
    for (int i = 0; i < 2; i++) { /* prob(): an open interval */
        cpe_jw_obj(w);
        cpe_jw_kstr(w, "key", i ? "p_down_min" : "p_up_min");
        cpe_jw_kstr(w, "type", "number");
        cpe_jw_knum(w, "min", 0.5);
        cpe_jw_knum(w, "max", 1);
        cpe_jw_kbool(w, "exclusive", 1);
        cpe_jw_end(w);
    }
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "key", "horizons");
    cpe_jw_kstr(w, "type", "subset");
    cpe_jw_key(w, "values");
    cpe_jw_arr(w);
    for (int k = 0; k < CPE_NHORIZONS; k++)
        cpe_jw_int(w, cpe_horizons_h[k]);
    cpe_jw_end(w);
    cpe_jw_end(w);
    cpe_jw_obj(w);
    cpe_jw_kstr(w, "key", "order_type");
    cpe_jw_kstr(w, "type", "enum");
    cpe_jw_key(w, "values");
    cpe_jw_arr(w);
    cpe_jw_str(w, "market");
    cpe_jw_str(w, "limit");
    cpe_jw_end(w);
    cpe_jw_end(w);
    cpe_jw_end(w);
}
