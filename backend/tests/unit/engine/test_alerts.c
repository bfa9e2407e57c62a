/* test_alerts.c — alert rules (engine/alerts.c): validation names the field, and each kind
 * fires on its transition only, once per cooldown, the same way for a replayed series. */
#include "cpe/alerts.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *j, cpe_alert_rule_t *r, char field[32])
{
    cpe_alert_rule_defaults(r);
    return cpe_alert_rule_parse(j, strlen(j), r, field, NULL);
}

static void test_alerts_validation_names_the_field(void)
{
    cpe_alert_rule_t r;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"price_cross\",\"asset\":\"btc\",\"level\":100}", &r, f), 0);
    CHECK_STR(r.asset, "BTC");
    CHECK_EQ_INT(r.kind, CPE_ALERT_PRICE_CROSS);
    CHECK_EQ_INT(r.enabled, 1);
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"asset\":\"BTC\",\"level\":100}", "kind"},
        {"{\"kind\":\"price_cross\",\"asset\":\"NOPE\",\"level\":1}", "asset"},
        {"{\"kind\":\"price_cross\",\"asset\":\"BTC\"}", "level"},
        {"{\"kind\":\"p_up_cross\",\"asset\":\"BTC\",\"horizon_h\":3,\"threshold\":0.6}",
         "horizon_h"},
        {"{\"kind\":\"p_up_cross\",\"asset\":\"BTC\",\"horizon_h\":162666066000000,"
         "\"threshold\":0.6}",
         "horizon_h"},
        {"{\"kind\":\"p_up_cross\",\"asset\":\"BTC\",\"horizon_h\":4,\"threshold\":1.5}",
         "threshold"},
        {"{\"kind\":\"cone_breach\",\"asset\":\"BTC\",\"horizon_h\":4,\"threshold\":3}",
         "threshold"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"direction\":\"sideways\"}", "direction"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"cooldown_s\":-1}", "cooldown_s"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"colour\":1}", "colour"},
        {"{\"kind\":\"drift\",\"asset\":\"BTC\"}", "threshold"},
        {"{\"kind\":\"drift\",\"asset\":\"BTC\",\"threshold\":-0.1}", "threshold"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"webhook_url\":\"ftp://x\"}", "webhook_url"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"webhook_url\":\"http://x\"}", "webhook_secret"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"enabled\":1}", "enabled"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"webhook_format\":\"telegram\","
         "\"webhook_url\":\"https://api.telegram.org/bot1:A/sendMessage\"}",
         "webhook_url"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"webhook_format\":\"telegram\"}", "webhook_url"},
        {"[1]", "body"},
        {"{\"kind\":\"stale\",\"asset\":\"BTC\",\"\":1}", "\"\""}, /* fuzz: an empty key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_MSG(parse(bad[i].json, &r, f) == CPE_EINVAL, "%s", bad[i].json);
        CHECK_MSG(!strcmp(f, bad[i].field), "%s: field %s", bad[i].json, f);
    }
    /* Telegram: the chat is the URL's chat_id, no secret needed */
    CHECK_EQ_INT(
        parse("{\"kind\":\"stale\",\"asset\":\"BTC\",\"webhook_format\":\"telegram\","
              "\"webhook_url\":\"https://api.telegram.org/bot1:A/sendMessage?chat_id=42\"}",
              &r, f),
        0);
    CHECK_STR(r.webhook_format, "telegram");
    /* a PATCH parses over the stored rule: only what it names changes */
    CHECK_EQ_INT(parse("{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":100}", &r, f), 0);
    CHECK_EQ_INT(cpe_alert_rule_parse("{\"enabled\":false}", 17, &r, f, NULL), 0);
    CHECK_EQ_INT(r.enabled, 0);
    CHECK_NEAR(r.level, 100, 0);
    char *j = cpe_alert_rule_json(&r, 0);
    CHECK(j && strstr(j, "\"kind\":\"price_cross\"") && strstr(j, "\"enabled\":false"));
    free(j);
}

static int price(const cpe_alert_rule_t *r, cpe_alert_state_t *st, int64_t t, double p)
{
    cpe_alert_input_t in;
    memset(&in, 0, sizeof in);
    in.t_ms = t;
    in.has_price = 1;
    in.price = p;
    cpe_alert_fire_t f;
    return cpe_alert_eval(r, st, &in, &f);
}

static void test_alerts_price_cross_fires_on_the_crossing_once_per_cooldown(void)
{
    cpe_alert_rule_t r;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":100,"
                       "\"direction\":\"up\",\"cooldown_s\":40}",
                       &r, f),
                 0);
    cpe_alert_state_t st;
    cpe_alert_state_init(&st);
    /* a replayed series: fires at 101 (first crossing), not at the dip and recross within
     * the cooldown, again after it; never on the way down, never on the first observation */
    const double px[] = {105, 99, 101, 102, 98, 100.5, 97, 103};
    const int want[] = {0, 0, 1, 0, 0, 0, 0, 1};
    for (int i = 0; i < 8; i++)
        CHECK_MSG(price(&r, &st, 1000 + i * 10000LL, px[i]) == want[i], "bar %d", i);
    r.enabled = 0;
    CHECK_EQ_INT(price(&r, &st, 10000000, 90), 0);
    CHECK_EQ_INT(price(&r, &st, 10060000, 110), 0);
}

static void test_alerts_prediction_kinds(void)
{
    cpe_alert_rule_t pu, rg, cf;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"p_up_cross\",\"asset\":\"BTC\",\"horizon_h\":4,"
                       "\"threshold\":0.6,\"cooldown_s\":0}",
                       &pu, f),
                 0);
    CHECK_EQ_INT(parse("{\"kind\":\"regime_change\",\"asset\":\"BTC\",\"regime\":\"panic\","
                       "\"cooldown_s\":0}",
                       &rg, f),
                 0);
    CHECK_EQ_INT(parse("{\"kind\":\"confidence_high\",\"asset\":\"BTC\",\"horizon_h\":4,"
                       "\"cooldown_s\":0}",
                       &cf, f),
                 0);
    cpe_alert_state_t s1, s2, s3;
    cpe_alert_state_init(&s1);
    cpe_alert_state_init(&s2);
    cpe_alert_state_init(&s3);
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    p.horizon_h = 4;
    const double pup[] = {0.55, 0.65, 0.7, 0.5, 0.61};
    const char *reg[] = {"normal", "high-vol", "panic", "panic", "normal"};
    const char *conf[] = {"low", "high", "high", "medium", "high"};
    const int w1[] = {0, 1, 0, 1, 1}, w2[] = {0, 0, 1, 0, 0}, w3[] = {0, 1, 0, 0, 1};
    for (int i = 0; i < 5; i++) {
        p.p_up = pup[i];
        snprintf(p.regime, sizeof p.regime, "%s", reg[i]);
        snprintf(p.confidence, sizeof p.confidence, "%s", conf[i]);
        cpe_alert_input_t in;
        memset(&in, 0, sizeof in);
        in.t_ms = i * 60000LL;
        in.pred = &p;
        cpe_alert_fire_t fi;
        CHECK_MSG(cpe_alert_eval(&pu, &s1, &in, &fi) == w1[i], "p_up %d", i);
        CHECK_MSG(cpe_alert_eval(&rg, &s2, &in, &fi) == w2[i], "regime %d", i);
        CHECK_MSG(cpe_alert_eval(&cf, &s3, &in, &fi) == w3[i], "confidence %d", i);
    }
    /* another horizon is not this rule's */
    p.horizon_h = 8;
    p.p_up = 0.1;
    cpe_alert_input_t in = {.t_ms = 1, .pred = &p};
    cpe_alert_fire_t fi;
    CHECK_EQ_INT(cpe_alert_eval(&pu, &s1, &in, &fi), 0);
    CHECK_NEAR(s1.p_up, 0.61, 1e-12);
}

static void test_alerts_cone_breach_and_stale(void)
{
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    p.n_cone = 2;
    p.cone[0] = (cpe_cone_point_t){0, 100, 100, 100, 100, 100};
    p.cone[1] = (cpe_cone_point_t){3600000, 80, 90, 100, 110, 120};
    double lo1, hi1, lo2, hi2;
    CHECK_EQ_INT(cpe_alert_cone_band(&p, 1800000, &lo1, &hi1, &lo2, &hi2), 0);
    CHECK_NEAR(lo1, 95, 1e-9);
    CHECK_NEAR(hi2, 110, 1e-9);
    CHECK_EQ_INT(cpe_alert_cone_band(&p, 7200000, &lo1, &hi1, &lo2, &hi2), 0);
    CHECK_NEAR(hi1, 110, 1e-9);
    cpe_alert_rule_t r;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"cone_breach\",\"asset\":\"BTC\",\"horizon_h\":1,"
                       "\"threshold\":2,\"direction\":\"down\",\"cooldown_s\":0}",
                       &r, f),
                 0);
    cpe_alert_state_t st;
    cpe_alert_state_init(&st);
    const double px[] = {100, 79, 100, 121, 100, 79.5};
    const int want[] = {0, 1, 0, 0, 0, 1};
    for (int i = 0; i < 6; i++) {
        cpe_alert_input_t in = {.t_ms = i,
                                .has_price = 1,
                                .price = px[i],
                                .has_band = 1,
                                .lo1 = lo1,
                                .hi1 = hi1,
                                .lo2 = lo2,
                                .hi2 = hi2};
        cpe_alert_fire_t fi;
        CHECK_MSG(cpe_alert_eval(&r, &st, &in, &fi) == want[i], "cone %d", i);
    }
    CHECK_EQ_INT(parse("{\"kind\":\"stale\",\"asset\":\"BTC\",\"cooldown_s\":0}", &r, f), 0);
    cpe_alert_state_init(&st);
    const int stale[] = {0, 1, 1, 0, 0}, sim[] = {0, 0, 0, 0, 1}, ws[] = {0, 1, 0, 0, 1};
    for (int i = 0; i < 5; i++) {
        cpe_alert_input_t in = {
            .t_ms = i, .has_data_state = 1, .stale = stale[i], .simulated = sim[i]};
        cpe_alert_fire_t fi;
        CHECK_MSG(cpe_alert_eval(&r, &st, &in, &fi) == ws[i], "stale %d", i);
    }
}

/* A replay or backtest sees closed bars: the close first, then the predictions made there */
static void test_alerts_eval_bar_over_history(void)
{
    cpe_alert_rule_t px, pu;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"price_cross\",\"asset\":\"BTC\",\"level\":100,"
                       "\"direction\":\"down\",\"cooldown_s\":150}",
                       &px, f),
                 0);
    CHECK_EQ_INT(parse("{\"kind\":\"p_up_cross\",\"asset\":\"BTC\",\"horizon_h\":4,"
                       "\"threshold\":0.6,\"direction\":\"up\",\"cooldown_s\":0}",
                       &pu, f),
                 0);
    cpe_alert_state_t s1, s2;
    cpe_alert_state_init(&s1);
    cpe_alert_state_init(&s2);
    cpe_prediction_t p1, p4;
    memset(&p1, 0, sizeof p1);
    memset(&p4, 0, sizeof p4);
    p1.horizon_h = 1;
    p4.horizon_h = 4;
    const cpe_prediction_t *made[] = {&p1, &p4};
    /* closes 101, 99 (cross down), 101, 98 (cross down within the 150 s cooldown), 97, 101, 99 */
    const double close[] = {101, 99, 101, 98, 97, 101, 99};
    const double pup4[] = {0.5, 0.55, 0.62, 0.7, 0.5, 0.65, 0.66};
    const int want_px[] = {0, 1, 0, 0, 0, 0, 1}, want_pu[] = {0, 0, 1, 0, 0, 1, 0};
    for (int i = 0; i < 7; i++) {
        p1.p_up = 0.9; /* another horizon than the rule's: never its crossing */
        p4.p_up = pup4[i];
        cpe_alert_fire_t fi;
        int64_t t = (i + 1) * 60000LL;
        CHECK_MSG(cpe_alert_eval_bar(&px, &s1, t, close[i], made, 2, NAN, &fi) == want_px[i],
                  "px %d", i);
        if (want_px[i]) {
            CHECK_EQ_INT(fi.t_ms, t);
            CHECK_NEAR(fi.value, close[i], 1e-9);
        }
        CHECK_MSG(cpe_alert_eval_bar(&pu, &s2, t, close[i], made, 2, NAN, &fi) == want_pu[i],
                  "pu %d", i);
        if (want_pu[i]) CHECK_NEAR(fi.value, pup4[i], 1e-9);
    }
}

/* drift: fires when the score rises above the threshold; a missing score (the ring is still
 * filling) counts as below, so a score that first appears above it fires. */
static void test_alerts_drift_fires_when_the_score_rises_above_the_threshold(void)
{
    cpe_alert_rule_t r;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"drift\",\"asset\":\"BTC\",\"threshold\":0.25,"
                       "\"cooldown_s\":0}",
                       &r, f),
                 0);
    CHECK_EQ_INT(r.kind, CPE_ALERT_DRIFT);
    char *j = cpe_alert_rule_json(&r, 0);
    CHECK(j && strstr(j, "\"kind\":\"drift\"") && strstr(j, "\"threshold\":0.25"));
    free(j);
    cpe_alert_state_t st;
    cpe_alert_state_init(&st);
    const double score[] = {NAN, 0.4, 0.5, 0.1, 0.2, 0.3, 0.3};
    const int want[] = {0, 1, 0, 0, 0, 1, 0};
    for (int i = 0; i < 7; i++) {
        cpe_alert_input_t in = {.t_ms = i * 60000LL, .has_drift = 1, .drift = score[i]};
        cpe_alert_fire_t fi;
        CHECK_MSG(cpe_alert_eval(&r, &st, &in, &fi) == want[i], "score %d", i);
        if (want[i]) {
            CHECK_NEAR(fi.value, score[i], 0);
            CHECK(strstr(fi.message, "drift") != NULL);
        }
    }
    /* observations without a score (prices) leave it alone */
    cpe_alert_input_t px = {.t_ms = 1, .has_price = 1, .price = 10};
    cpe_alert_fire_t fi;
    CHECK_EQ_INT(cpe_alert_eval(&r, &st, &px, &fi), 0);
    CHECK_EQ_INT(st.drift_above, 1);
}

/* In a replay the bar's drift score comes with the bar's predictions, as live: it fires on
 * the bar where it rises above the threshold, and a bar without predictions says nothing. */
static void test_alerts_eval_bar_sees_the_drift_of_the_bar(void)
{
    cpe_alert_rule_t r;
    char f[32];
    CHECK_EQ_INT(parse("{\"kind\":\"drift\",\"asset\":\"BTC\",\"threshold\":0.3,"
                       "\"cooldown_s\":0}",
                       &r, f),
                 0);
    cpe_alert_state_t st;
    cpe_alert_state_init(&st);
    cpe_prediction_t p;
    memset(&p, 0, sizeof p);
    p.horizon_h = 1;
    p.p_up = 0.5;
    const cpe_prediction_t *made[1] = {&p};
    const double score[] = {NAN, 0.2, 0.35, 0.5, 0.5, 0.1, 0.31};
    const int npred[] = {1, 1, 0, 1, 1, 1, 1}, want[] = {0, 0, 0, 1, 0, 0, 1};
    for (int i = 0; i < 7; i++) {
        cpe_alert_fire_t fi;
        int64_t t = (i + 1) * 60000LL;
        CHECK_MSG(cpe_alert_eval_bar(&r, &st, t, 100, made, npred[i], score[i], &fi) == want[i],
                  "bar %d", i);
        if (want[i]) CHECK_NEAR(fi.value, score[i], 0);
    }
}

int main(void)
{
    RUN(test_alerts_validation_names_the_field);
    RUN(test_alerts_price_cross_fires_on_the_crossing_once_per_cooldown);
    RUN(test_alerts_prediction_kinds);
    RUN(test_alerts_cone_breach_and_stale);
    RUN(test_alerts_eval_bar_over_history);
    RUN(test_alerts_drift_fires_when_the_score_rises_above_the_threshold);
    RUN(test_alerts_eval_bar_sees_the_drift_of_the_bar);
    return TEST_DONE();
}
