/* alerts.c — alert rules: JSON validation and the one evaluation (cpe/alerts.h). */
#include "cpe/alerts.h"
#include "cpe/json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"price_cross",   "cone_breach",     "p_up_cross",
                                         "regime_change", "confidence_high", "stale",
                                         "drift"};
static const char *const dir_names[] = {"any", "up", "down"};

const char *cpe_alert_kind_name(cpe_alert_kind_t k)
{
    return k >= 0 && k < CPE_ALERT_NKINDS ? kind_names[k] : "?";
}

const char *cpe_alert_dir_name(cpe_alert_dir_t d)
{
    return d >= CPE_DIR_ANY && d <= CPE_DIR_DOWN ? dir_names[d] : "?";
}

void cpe_alert_state_init(cpe_alert_state_t *s)
{
    memset(s, 0, sizeof *s);
    s->conf_high = -1;
    s->outside = -1;
    s->bad_data = -1;
    s->drift_above = -1;
}

void cpe_alert_rule_defaults(cpe_alert_rule_t *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->owner, sizeof r->owner, "local");
    r->kind = CPE_ALERT_NKINDS; /* "kind" is required */
    r->level = NAN;
    r->threshold = NAN;
    r->cooldown_s = 300;
    r->enabled = 1;
    snprintf(r->webhook_format, sizeof r->webhook_format, "generic");
}

int cpe_alert_telegram_chat(const char *url, char *out, size_t cap)
{
    const char *q = strchr(url, '?');
    for (const char *p = q; p; p = strchr(p + 1, '&')) {
        if (strncmp(p + 1, "chat_id=", 8)) continue;
        size_t n = strcspn(p + 9, "&#");
        if (n == 0 || n >= cap) return CPE_ENOTFOUND;
        memcpy(out, p + 9, n);
        out[n] = 0;
        return 0;
    }
    return CPE_ENOTFOUND;
}

static int bad(char field[32], const char *f, cpe_diag_t *d, const char *msg)
{
    snprintf(field, 32, "%s", f);
    return cpe_diag_set(d, CPE_EINVAL, "%s: %s", f, msg);
}

/* A string field into out (cap bytes); 0, absent 0, or the 422. */
static int get_str(json_t *o, const char *k, char *out, size_t cap, char field[32], cpe_diag_t *d)
{
    json_t *v = json_object_get(o, k);
    if (!v) return 0;
    if (!json_is_string(v)) return bad(field, k, d, "must be a string");
    if (json_string_length(v) >= cap) return bad(field, k, d, "too long");
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

static int get_num(json_t *o, const char *k, double *out, char field[32], cpe_diag_t *d)
{
    json_t *v = json_object_get(o, k);
    if (!v) return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return bad(field, k, d, "must be a finite number");
    *out = json_number_value(v);
    return 0;
}

static int parse_enum(json_t *o, const char *k, const char *const *names, int n, int *out,
                      char field[32], cpe_diag_t *d)
{
    char s[32] = "";
    json_t *v = json_object_get(o, k);
    if (!v) return 0;
    if (!json_is_string(v) || json_string_length(v) >= sizeof s)
        return bad(field, k, d, "must be a string");
    snprintf(s, sizeof s, "%s", json_string_value(v));
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    return bad(field, k, d, "unknown value");
}

static int check_known_keys(json_t *o, char field[32], cpe_diag_t *d)
{
    static const char *const keys[] = {"kind",
                                       "asset",
                                       "horizon_h",
                                       "level",
                                       "threshold",
                                       "direction",
                                       "regime",
                                       "cooldown_s",
                                       "enabled",
                                       "name",
                                       "webhook_url",
                                       "webhook_secret",
                                       "webhook_format",
                                       "id",
                                       "owner",
                                       "created_ms",
                                       "webhook_secret_set"};
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t i = 0;
        while (i < sizeof keys / sizeof keys[0] && strcmp(k, keys[i]))
            i++;
        if (i == sizeof keys / sizeof keys[0])
            return bad(field, k[0] ? k : "\"\"", d, "unknown field");
    }
    return 0;
}

static int parse_fields(json_t *o, cpe_alert_rule_t *r, char field[32], cpe_diag_t *d)
{
    static const char *const fmts[] = {"generic", "slack", "discord", "telegram"};
    int rc, kind = (int)r->kind, dir = (int)r->direction, fmt = 0;
    double h = r->horizon_h, cd = (double)r->cooldown_s;
    if ((rc = check_known_keys(o, field, d)) ||
        (rc = parse_enum(o, "kind", kind_names, CPE_ALERT_NKINDS, &kind, field, d)) ||
        (rc = parse_enum(o, "direction", dir_names, 3, &dir, field, d)) ||
        (rc = get_str(o, "asset", r->asset, sizeof r->asset, field, d)) ||
        (rc = get_str(o, "regime", r->regime, sizeof r->regime, field, d)) ||
        (rc = get_str(o, "name", r->name, sizeof r->name, field, d)) ||
        (rc = get_str(o, "webhook_url", r->webhook_url, sizeof r->webhook_url, field, d)) ||
        (rc =
             get_str(o, "webhook_secret", r->webhook_secret, sizeof r->webhook_secret, field, d)) ||
        (rc = get_num(o, "horizon_h", &h, field, d)) ||
        (rc = get_num(o, "level", &r->level, field, d)) ||
        (rc = get_num(o, "threshold", &r->threshold, field, d)) ||
        (rc = get_num(o, "cooldown_s", &cd, field, d)))
        return rc;
    if (json_object_get(o, "webhook_format")) {
        if ((rc = parse_enum(o, "webhook_format", fmts, 4, &fmt, field, d))) return rc;
        snprintf(r->webhook_format, sizeof r->webhook_format, "%s", fmts[fmt]);
    }
    json_t *en = json_object_get(o, "enabled");
    if (en && !json_is_boolean(en)) return bad(field, "enabled", d, "must be true or false");
    if (en) r->enabled = json_is_true(en);
    if (h != floor(h) || h < 0 || h > 24 * 366)
        return bad(field, "horizon_h", d, "must be one of " CPE_HORIZONS_TEXT);
    if (cd != floor(cd) || cd < 0 || cd > 30 * 86400.0)
        return bad(field, "cooldown_s", d, "must be an integer in 0..2592000");
    r->kind = (cpe_alert_kind_t)kind;
    r->direction = (cpe_alert_dir_t)dir;
    r->horizon_h = (int)h;
    r->cooldown_s = (int64_t)cd;
    return 0;
}

/* What each kind needs (after the fields are read). */
static int check_rule(cpe_alert_rule_t *r, char field[32], cpe_diag_t *d)
{
    if (r->kind == CPE_ALERT_NKINDS) return bad(field, "kind", d, "required");
    const cpe_asset_t *as = r->asset[0] ? cpe_asset_find(r->asset) : NULL;
    if (!as) return bad(field, "asset", d, "not a configured asset (GET /assets lists them)");
    snprintf(r->asset, sizeof r->asset, "%s", as->asset);
    int needs_h = r->kind == CPE_ALERT_CONE_BREACH || r->kind == CPE_ALERT_P_UP_CROSS;
    if ((needs_h || r->horizon_h) && cpe_horizon_index(r->horizon_h) < 0)
        return bad(field, "horizon_h", d, "must be one of " CPE_HORIZONS_TEXT);
    if (r->kind == CPE_ALERT_PRICE_CROSS && !(r->level > 0))
        return bad(field, "level", d, "required: a price > 0");
    if (r->kind == CPE_ALERT_P_UP_CROSS && !(r->threshold > 0 && r->threshold < 1))
        return bad(field, "threshold", d, "required: a probability in (0, 1)");
    if (r->kind == CPE_ALERT_CONE_BREACH && r->threshold != 1 && r->threshold != 2)
        return bad(field, "threshold", d, "required: 1 or 2 (the sigma band)");
    if (r->kind == CPE_ALERT_DRIFT && !(r->threshold > 0))
        return bad(field, "threshold", d,
                   "required: a drift score > 0 (docs/ALERTS.md, Thresholds)");
    if (r->webhook_url[0] && strncmp(r->webhook_url, "http://", 7) &&
        strncmp(r->webhook_url, "https://", 8))
        return bad(field, "webhook_url", d, "must start with http:// or https://");
    if (r->webhook_url[0] && !strcmp(r->webhook_format, "generic") && !r->webhook_secret[0])
        return bad(field, "webhook_secret", d, "required with a generic webhook_url");
    char chat[64];
    if (!strcmp(r->webhook_format, "telegram") &&
        (!r->webhook_url[0] || cpe_alert_telegram_chat(r->webhook_url, chat, sizeof chat)))
        return bad(field, "webhook_url", d,
                   "telegram needs a URL with a chat_id parameter (.../sendMessage?chat_id=...)");
    return 0;
}

int cpe_alert_rule_parse(const char *json, size_t len, cpe_alert_rule_t *r, char field[32],
                         cpe_diag_t *d)
{
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    field[0] = 0;
    int rc = 0;
    if (!o || !json_is_object(o))
        rc = bad(field, "body", d, "must be a JSON object");
    else if (!(rc = parse_fields(o, r, field, d)))
        rc = check_rule(r, field, d);
    json_decref(o);
    return rc;
}

char *cpe_alert_rule_json(const cpe_alert_rule_t *r, int with_secret)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 16);
    cpe_jw_t w;
    cpe_jw_init(&w, &b);
    cpe_jw_obj(&w);
    cpe_jw_kint(&w, "id", r->id);
    cpe_jw_kstr(&w, "owner", r->owner);
    cpe_jw_kstr(&w, "name", r->name);
    cpe_jw_kstr(&w, "kind", cpe_alert_kind_name(r->kind));
    cpe_jw_kstr(&w, "asset", r->asset);
    if (r->horizon_h) cpe_jw_kint(&w, "horizon_h", r->horizon_h);
    if (isfinite(r->level)) cpe_jw_knum(&w, "level", r->level);
    if (isfinite(r->threshold)) cpe_jw_knum(&w, "threshold", r->threshold);
    cpe_jw_kstr(&w, "direction", cpe_alert_dir_name(r->direction));
    if (r->regime[0]) cpe_jw_kstr(&w, "regime", r->regime);
    cpe_jw_kint(&w, "cooldown_s", r->cooldown_s);
    cpe_jw_kbool(&w, "enabled", r->enabled);
    if (r->webhook_url[0]) {
        cpe_jw_kstr(&w, "webhook_url", r->webhook_url);
        cpe_jw_kstr(&w, "webhook_format", r->webhook_format);
        if (with_secret)
            cpe_jw_kstr(&w, "webhook_secret", r->webhook_secret);
        else
            cpe_jw_kbool(&w, "webhook_secret_set", r->webhook_secret[0] != 0);
    }
    cpe_jw_kint(&w, "created_ms", r->created_ms);
    cpe_jw_end(&w);
    if (w.err) {
        cpe_buf_free(&b);
        return NULL;
    }
    return cpe_buf_steal(&b, NULL);
}

int cpe_alert_cone_band(const cpe_prediction_t *p, int64_t t_ms, double *lo1, double *hi1,
                        double *lo2, double *hi2)
{
    if (p->n_cone < 2) return CPE_ENOTFOUND;
    const cpe_cone_point_t *c = p->cone;
    int k = 1;
    while (k < p->n_cone - 1 && c[k].t_ms < t_ms)
        k++;
    double f = 1;
    if (t_ms < c[k].t_ms && c[k].t_ms > c[k - 1].t_ms)
        f = t_ms <= c[k - 1].t_ms
                ? 0
                : (double)(t_ms - c[k - 1].t_ms) / (double)(c[k].t_ms - c[k - 1].t_ms);
    *lo2 = c[k - 1].p023 + f * (c[k].p023 - c[k - 1].p023);
    *lo1 = c[k - 1].p159 + f * (c[k].p159 - c[k - 1].p159);
    *hi1 = c[k - 1].p841 + f * (c[k].p841 - c[k - 1].p841);
    *hi2 = c[k - 1].p977 + f * (c[k].p977 - c[k - 1].p977);
    return 0;
}

/* Did a value cross level between prev and now in the rule's direction? */
static int crossed(cpe_alert_dir_t dir, double prev, double now, double level)
{
    int up = prev < level && now >= level, down = prev > level && now <= level;
    return dir == CPE_DIR_UP ? up : dir == CPE_DIR_DOWN ? down : up || down;
}

static int pred_matches(const cpe_alert_rule_t *r, const cpe_alert_input_t *in)
{
    return in->pred && (!r->horizon_h || in->pred->horizon_h == r->horizon_h);
}

/* A flag that was known false and is now true; *was becomes now. */
static int became(int *was, int now)
{
    int f = *was == 0 && now;
    *was = now;
    return f;
}

/* The transition of one kind: 1 with out->value and message set. */
static int transition(const cpe_alert_rule_t *r, cpe_alert_state_t *st, const cpe_alert_input_t *in,
                      cpe_alert_fire_t *out)
{
    const cpe_prediction_t *p = in->pred;
    int fire = 0;
    switch (r->kind) {
    case CPE_ALERT_PRICE_CROSS:
        if (!in->has_price) return 0;
        fire = st->has_price && crossed(r->direction, st->price, in->price, r->level);
        out->value = in->price;
        snprintf(out->message, sizeof out->message, "%s price %.8g crossed %.8g %s", r->asset,
                 in->price, r->level, st->price < r->level ? "upwards" : "downwards");
        return fire;
    case CPE_ALERT_CONE_BREACH: {
        if (!in->has_price || !in->has_band) return 0;
        double lo = r->threshold == 2 ? in->lo2 : in->lo1,
               hi = r->threshold == 2 ? in->hi2 : in->hi1;
        int now = in->price > hi ? 1 : in->price < lo ? 2 : 0, was = st->outside;
        st->outside = now;
        fire = was == 0 && now && (r->direction == CPE_DIR_ANY || (int)r->direction == now);
        out->value = now == 1 ? hi : lo;
        snprintf(out->message, sizeof out->message,
                 "%s price %.8g left the %g-sigma band of the %dh cone (%s %.8g)", r->asset,
                 in->price, r->threshold, r->horizon_h, now == 1 ? "above" : "below", out->value);
        return fire;
    }
    case CPE_ALERT_P_UP_CROSS:
        if (!pred_matches(r, in)) return 0;
        fire = st->has_p_up && crossed(r->direction, st->p_up, p->p_up, r->threshold);
        st->has_p_up = 1;
        out->value = p->p_up;
        snprintf(out->message, sizeof out->message, "%s %dh p_up %.3f crossed %.3f", r->asset,
                 p->horizon_h, p->p_up, r->threshold);
        st->p_up = p->p_up;
        return fire;
    case CPE_ALERT_REGIME_CHANGE:
        if (!pred_matches(r, in) || !p->regime[0]) return 0;
        fire = st->regime[0] && strcmp(st->regime, p->regime) &&
               (!r->regime[0] || !strcmp(r->regime, p->regime));
        snprintf(out->message, sizeof out->message, "%s regime changed from %s to %s", r->asset,
                 st->regime, p->regime);
        snprintf(st->regime, sizeof st->regime, "%s", p->regime);
        out->value = NAN;
        return fire;
    case CPE_ALERT_CONFIDENCE_HIGH: {
        if (!pred_matches(r, in)) return 0;
        fire = became(&st->conf_high, !strcmp(p->confidence, "high"));
        out->value = p->p_up;
        snprintf(out->message, sizeof out->message, "%s %dh confidence became high (p_up %.3f)",
                 r->asset, p->horizon_h, p->p_up);
        return fire;
    }
    case CPE_ALERT_STALE: {
        if (!in->has_data_state) return 0;
        fire = became(&st->bad_data, in->stale || in->simulated);
        out->value = NAN;
        snprintf(out->message, sizeof out->message, "%s data %s", r->asset,
                 in->stale ? "is stale" : "fell back to the simulator");
        return fire;
    }
    case CPE_ALERT_DRIFT: {
        if (!in->has_drift) return 0;
        fire = became(&st->drift_above, in->drift > r->threshold); /* NaN: below */
        out->value = in->drift;
        snprintf(out->message, sizeof out->message, "%s model drift score %.3f rose above %.3f",
                 r->asset, in->drift, r->threshold);
        return fire;
    }
    default:
        return 0;
    }
}

int cpe_alert_eval(const cpe_alert_rule_t *r, cpe_alert_state_t *st, const cpe_alert_input_t *in,
                   cpe_alert_fire_t *out)
{
    cpe_alert_fire_t f;
    memset(&f, 0, sizeof f);
    int fire = transition(r, st, in, &f);
    if (in->has_price) {
        st->has_price = 1;
        st->price = in->price;
    }
    if (!fire || !r->enabled) return 0;
    if (st->last_fired_ms && in->t_ms - st->last_fired_ms < r->cooldown_s * 1000) return 0;
    st->last_fired_ms = in->t_ms;
    f.t_ms = in->t_ms;
    *out = f;
    return 1;
}

int cpe_alert_eval_bar(const cpe_alert_rule_t *r, cpe_alert_state_t *st, int64_t close_ms,
                       double close, const cpe_prediction_t *const *preds, int npreds, double drift,
                       cpe_alert_fire_t *out)
{
    cpe_alert_input_t in;
    memset(&in, 0, sizeof in);
    in.t_ms = close_ms;
    in.has_price = 1;
    in.price = close;
    int fired = cpe_alert_eval(r, st, &in, out);
    for (int i = 0; i < npreds; i++) {
        memset(&in, 0, sizeof in);
        in.t_ms = close_ms;
        in.pred = preds[i];
        in.has_drift = 1;
        in.drift = drift;
        cpe_alert_fire_t f;
        if (cpe_alert_eval(r, st, &in, &f) && !fired) {
            *out = f;
            fired = 1;
        }
    }
    return fired;
}
