/* test_livepred.c — live predictions at a bar's close: every horizon stored with its
 * explanation, a bar is predicted once, a prediction as of a past bar is the same whether
 * or not later bars are in the store (no look-ahead), a newly promoted champion is picked
 * up, and no champion is a clear "not found". */
#include "cpe/livepred.h"
#include "cpe/mldata.h"
#include "cpe/replay.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "test.h"
#include "test_bars.h"

#include <math.h>
#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL
#define DAYS 16
#define NBARS (DAYS * 1440)

static cpe_kline_t *K;

/* A store holding the first n bars. */
static cpe_store_t *store_with(const char *name, int n)
{
    return test_store_with(name, "binance:spot:BTCUSDT", K, n);
}

/* Train on the store's rows with outcomes known by cutoff and register as champion. */
static void train_champion_drift(cpe_store_t *st, const char *models, int64_t cutoff, uint64_t seed,
                                 int with_drift, char version[CPE_VERSION_MAX])
{
    cpe_mldata_t m;
    cpe_diag_t d = {0};
    CHECK(cpe_mldata_load(st, "BTCUSDT", T0, cutoff, 5 * MIN, CPE_MLDATA_WARMUP_MS, &m, &d) == 0);
    size_t *rows = malloc(m.n * sizeof *rows);
    for (size_t i = 0; i < m.n; i++)
        rows[i] = i;
    cpe_modelset_config_t c;
    cpe_modelset_config_default(&c);
    c.cls.max_rounds = c.reg.max_rounds = 20;
    c.cone_paths = 300;
    c.scale_rows = 100;
    c.seed = seed;
    cpe_modelset_t ms;
    int rc = cpe_modelset_train(&ms, &m.v, rows, m.n, cutoff, &c, &d);
    CHECK_MSG(rc == 0, "train: %s", d.msg);
    /* drift deciles (drift.h) on the features most often present, standing in for SHAP */
    if (rc == 0 && with_drift)
        CHECK(cpe_drift_ref_fit(&ms.drift, m.v.X, m.v.ncol, m.v.names, rows, m.n, ms.present, &d) ==
              0);
    free(rows);
    cpe_registry_t reg;
    cpe_registry_init(&reg, models);
    if (rc == 0) {
        CHECK(cpe_registry_save(&reg, "BTCUSDT", &ms, NULL, version, &d) == 0);
        CHECK(cpe_registry_set_champion(&reg, "BTCUSDT", version, &d) == 0);
        cpe_modelset_free(&ms);
    }
    cpe_mldata_free(&m);
}

static void train_champion(cpe_store_t *st, const char *models, int64_t cutoff, uint64_t seed,
                           char version[CPE_VERSION_MAX])
{
    train_champion_drift(st, models, cutoff, seed, 0, version);
}

static char MODELS[1024];
static char V1[CPE_VERSION_MAX];

static void test_no_champion_is_not_found(void)
{
    char empty[1100];
    snprintf(empty, sizeof empty, "%s/empty-models", test_tmpdir());
    cpe_store_t *st = store_with("nochamp", 3 * 1440);
    cpe_livepred_t lp;
    cpe_livepred_init(&lp, empty, "BTC", 200);
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = -1;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_livepred_step(&lp, st, INT64_MAX, T0, out, &n, &d), CPE_ENOTFOUND);
    CHECK_EQ_INT(n, 0);
    CHECK(strstr(d.msg, "cpe train") != NULL);
    CHECK(strstr(lp.last_error, "BTCUSDT") != NULL);
    cpe_livepred_close(&lp);
    cpe_store_close(st);
}

static void test_predicts_every_horizon_once_and_stores_explanations(void)
{
    cpe_store_t *st = store_with("full", NBARS);
    cpe_livepred_t lp;
    cpe_livepred_init(&lp, MODELS, "BTCUSDT", 500);
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = 0;
    cpe_diag_t d = {0};
    int64_t last = K[NBARS - 1].ts_ms;
    int rc = cpe_livepred_step(&lp, st, INT64_MAX, last + 2 * MIN, out, &n, &d);
    CHECK_MSG(rc == 0, "step: %s", d.msg);
    CHECK_EQ_INT(n, 4);
    for (int k = 0; k < n; k++) {
        CHECK(out[k].ts_ms == last);
        CHECK(out[k].close == K[NBARS - 1].close);
        CHECK(!strcmp(out[k].model_version, V1));
        CHECK(!out[k].stale);
        cpe_prediction_t back;
        char *ex = NULL;
        CHECK(st->ops->get_prediction(st, "BTCUSDT", out[k].horizon_h, INT64_MAX, &back, &ex) == 0);
        CHECK(back.ts_ms == last && back.p_up == out[k].p_up && back.p977 == out[k].p977);
        CHECK(ex != NULL && strstr(ex, "\"reasons\"") != NULL);
        free(ex);
    }
    /* the same bar again: nothing new */
    CHECK_EQ_INT(cpe_livepred_step(&lp, st, INT64_MAX, last + 3 * MIN, out, &n, &d), 0);
    CHECK_EQ_INT(n, 0);
    /* a second pipeline (a restart) finds the stored bar and does not overwrite it */
    cpe_livepred_t lp2;
    cpe_livepred_init(&lp2, MODELS, "BTCUSDT", 500);
    CHECK_EQ_INT(cpe_livepred_step(&lp2, st, INT64_MAX, last + 3 * MIN, out, &n, &d), 0);
    CHECK_EQ_INT(n, 0);
    /* an earlier bar than the last one predicted: the pipeline only moves forward */
    int64_t at = last - 30 * MIN;
    CHECK_EQ_INT(cpe_livepred_step(&lp2, st, at, last + 3 * MIN, out, &n, &d), 0);
    CHECK_EQ_INT(n, 0);
    cpe_livepred_close(&lp2);
    /* a bar that closed more than 10 minutes before now: stale */
    cpe_livepred_t lp3;
    cpe_livepred_init(&lp3, MODELS, "BTCUSDT", 500);
    CHECK_EQ_INT(cpe_livepred_step(&lp3, st, at, last + 3 * MIN, out, &n, &d), 0);
    CHECK_EQ_INT(n, 4);
    CHECK(out[0].ts_ms == cpe_floor_ms(at, MIN) - MIN && out[0].stale);
    cpe_livepred_close(&lp3);
    cpe_livepred_close(&lp);
    cpe_store_close(st);
}

/* As of bar T: the store holding later bars gives bit-identical predictions to a store
 * that ends at T. */
static void test_as_of_a_bar_later_bars_change_nothing(void)
{
    int cut = NBARS - 600;
    int64_t bar = K[cut - 1].ts_ms, at = bar + MIN;
    cpe_store_t *full = store_with("asof-full", NBARS), *part = store_with("asof-part", cut);
    cpe_prediction_t a[CPE_MS_MAX_H], b[CPE_MS_MAX_H];
    int na = 0, nb = 0;
    cpe_diag_t d = {0};
    cpe_livepred_t l1, l2;
    cpe_livepred_init(&l1, MODELS, "BTCUSDT", 500);
    cpe_livepred_init(&l2, MODELS, "BTCUSDT", 500);
    CHECK_EQ_INT(cpe_livepred_step(&l1, full, at, at, a, &na, &d), 0);
    CHECK_EQ_INT(cpe_livepred_step(&l2, part, INT64_MAX, at, b, &nb, &d), 0);
    CHECK_EQ_INT(na, 4);
    CHECK_EQ_INT(nb, 4);
    for (int k = 0; k < na && k < nb; k++) {
        CHECK(a[k].ts_ms == bar && b[k].ts_ms == bar);
        CHECK(a[k].p_up == b[k].p_up);
        CHECK(a[k].expected_move == b[k].expected_move);
        CHECK(a[k].volatility == b[k].volatility);
        CHECK(a[k].p023 == b[k].p023 && a[k].p977 == b[k].p977);
        CHECK(!strcmp(a[k].regime, b[k].regime));
        CHECK(memcmp(a[k].cone, b[k].cone, sizeof a[k].cone) == 0);
    }
    cpe_livepred_close(&l1);
    cpe_livepred_close(&l2);
    cpe_store_close(full);
    cpe_store_close(part);
}

static void test_a_new_champion_is_picked_up(void)
{
    cpe_store_t *st = store_with("promote", NBARS);
    cpe_livepred_t lp;
    cpe_livepred_init(&lp, MODELS, "BTCUSDT", 300);
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = 0;
    cpe_diag_t d = {0};
    int64_t now = K[NBARS - 1].ts_ms + 2 * MIN;
    CHECK_EQ_INT(cpe_livepred_step(&lp, st, K[NBARS - 100].ts_ms, now, out, &n, &d), 0);
    CHECK(n == 4 && !strcmp(out[0].model_version, V1));
    char v2[CPE_VERSION_MAX] = "";
    sleep(1); /* versions are named by the second */
    train_champion(st, MODELS, T0 + 13 * CPE_MS_PER_DAY, 99, v2);
    CHECK(strcmp(v2, V1) != 0);
    /* within a minute of the last check the loaded model is kept */
    CHECK_EQ_INT(cpe_livepred_step(&lp, st, K[NBARS - 90].ts_ms, now + 1000, out, &n, &d), 0);
    CHECK(n == 4 && !strcmp(out[0].model_version, V1));
    CHECK_EQ_INT(cpe_livepred_step(&lp, st, K[NBARS - 80].ts_ms, now + 61000, out, &n, &d), 0);
    CHECK(n == 4 && !strcmp(out[0].model_version, v2));
    /* put V1 back so the other tests see it */
    CHECK(cpe_registry_set_champion(&lp.reg, "BTCUSDT", V1, &d) == 0);
    cpe_livepred_close(&lp);
    cpe_store_close(st);
}

/* A challenger with a traffic split gets exactly the bars cpe_ab_route gives it. */
static void test_challenger_gets_the_routed_bars(void)
{
    cpe_store_t *st = store_with("challenger", NBARS);
    char v2[CPE_VERSION_MAX] = "";
    sleep(1); /* versions are named by the second */
    train_champion(st, MODELS, T0 + 13 * CPE_MS_PER_DAY, 77, v2);
    cpe_registry_t reg;
    cpe_registry_init(&reg, MODELS);
    cpe_diag_t d = {0};
    CHECK(cpe_registry_set_champion(&reg, "BTCUSDT", V1, &d) == 0);
    CHECK(cpe_registry_set_challenger(&reg, "BTCUSDT", v2, 0.5, &d) == 0);
    cpe_livepred_t lp;
    cpe_livepred_init(&lp, MODELS, "BTCUSDT", 200);
    int to_chal = 0, to_champ = 0, wrong = 0;
    for (int k = 0; k < 16; k++) {
        int64_t at = K[NBARS - 200 + 10 * k].ts_ms;
        cpe_prediction_t out[CPE_MS_MAX_H];
        int n = 0;
        CHECK_EQ_INT(cpe_livepred_step(&lp, st, at, at, out, &n, &d), 0);
        if (n != 4) continue;
        int chal = cpe_ab_route(0.5, (uint64_t)out[0].ts_ms);
        if (strcmp(out[0].model_version, chal ? v2 : V1)) wrong++;
        chal ? to_chal++ : to_champ++;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK(to_chal > 0 && to_champ > 0);
    /* cleared: everything goes to the champion again (after the once-a-minute check) */
    CHECK(cpe_registry_set_challenger(&reg, "BTCUSDT", NULL, 0, &d) == 0);
    int64_t at = K[NBARS - 20].ts_ms;
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = 0;
    CHECK_EQ_INT(cpe_livepred_step(&lp, st, at, at + 61000, out, &n, &d), 0);
    CHECK(n == 4 && !strcmp(out[0].model_version, V1) && !lp.chal_loaded);
    cpe_livepred_close(&lp);
    cpe_store_close(st);
}

/* The explanation of a bar predicted right after the previous one (that bar's SHAP rows
 * are kept and read back as its "previous bar") is the text a pipeline that starts at the
 * bar writes (both rows computed there). */
static void test_kept_shap_rows_explain_like_fresh_ones(void)
{
    int64_t bar = K[NBARS - 300].ts_ms;
    cpe_store_t *a = store_with("shap-kept", NBARS), *b = store_with("shap-fresh", NBARS);
    cpe_livepred_t la, lb;
    cpe_livepred_init(&la, MODELS, "BTCUSDT", 300);
    cpe_livepred_init(&lb, MODELS, "BTCUSDT", 300);
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = 0;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_livepred_step(&la, a, bar, bar, out, &n, &d), 0); /* bar - 1 min */
    CHECK_EQ_INT(n, 4);
    CHECK(la.shap != NULL && la.shap_ts == bar - MIN);
    CHECK_EQ_INT(cpe_livepred_step(&la, a, bar + MIN, bar + MIN, out, &n, &d), 0);
    CHECK_EQ_INT(n, 4);
    CHECK(la.shap_ts == bar);
    CHECK_EQ_INT(cpe_livepred_step(&lb, b, bar + MIN, bar + MIN, out, &n, &d), 0);
    CHECK_EQ_INT(n, 4);
    for (int k = 0; k < n; k++) {
        cpe_prediction_t pa, pb;
        char *ea = NULL, *eb = NULL;
        CHECK(a->ops->get_prediction(a, "BTCUSDT", out[k].horizon_h, bar, &pa, &ea) == 0);
        CHECK(b->ops->get_prediction(b, "BTCUSDT", out[k].horizon_h, bar, &pb, &eb) == 0);
        CHECK(pa.ts_ms == bar && pb.ts_ms == bar);
        CHECK(ea && eb && strstr(ea, "\"previous_t_ms\"") && !strcmp(ea, eb));
        free(ea);
        free(eb);
    }
    cpe_livepred_close(&la);
    cpe_livepred_close(&lb);
    cpe_store_close(a);
    cpe_store_close(b);
}

/* The drift ring follows the closed minutes the predictor sees: no score before 60 of them
 * or for a model without deciles (never an error), a finite PSI after. */
static void test_drift_score_after_an_hour_of_closed_minutes(void)
{
    cpe_store_t *st = store_with("drift", NBARS);
    char models[1100], v[CPE_VERSION_MAX] = "";
    snprintf(models, sizeof models, "%s/models_drift", test_tmpdir());
    train_champion_drift(st, models, T0 + 12 * CPE_MS_PER_DAY, 5, 1, v);
    cpe_livepred_t lp, old;
    cpe_livepred_init(&lp, models, "BTCUSDT", 100);
    cpe_livepred_init(&old, MODELS, "BTCUSDT", 100); /* V1: trained without deciles */
    cpe_diag_t d = {0};
    for (int i = 0; i < 70; i++) {
        int64_t at = K[NBARS - 300 + i].ts_ms;
        cpe_prediction_t out[CPE_MS_MAX_H];
        int n = 0;
        CHECK_EQ_INT(cpe_livepred_step(&lp, st, at, at, out, &n, &d), 0);
        CHECK_EQ_INT(cpe_livepred_step(&old, st, at, at, out, &n, &d), 0);
        if (i == 58) CHECK(isnan(lp.drift.score)); /* 59 minutes in */
    }
    CHECK(lp.pred.ms.drift.k > 0);
    CHECK_EQ_INT(lp.drift.live.n, 70);
    CHECK_MSG(isfinite(lp.drift.score) && lp.drift.score >= 0, "score %g", lp.drift.score);
    CHECK(lp.drift.worst >= 0 && lp.drift.worst_psi >= lp.drift.score);
    CHECK_EQ_INT(old.pred.ms.drift.k, 0);
    CHECK(isnan(old.drift.score));
    cpe_livepred_close(&lp); /* saves the ring: 70 minutes */
    cpe_livepred_close(&old);

    /* a restart with the same champion takes the ring back and goes on from it, exactly as
     * a pipeline that never stopped; another champion version would start empty */
    cpe_livepred_t again, cont;
    cpe_livepred_init(&again, models, "BTCUSDT", 100);
    int64_t at = K[NBARS - 300 + 70].ts_ms;
    cpe_prediction_t out[CPE_MS_MAX_H];
    int n = 0;
    CHECK_EQ_INT(cpe_livepred_step(&again, st, at, at, out, &n, &d), 0);
    CHECK_EQ_INT(again.drift.live.n, 71);
    /* the ring saved at minute 70 ends after this one's first bar: not taken (a store of
     * the same bars without the predictions made above, which would be kept, not made) */
    cpe_store_t *st2 = store_with("drift_cont", NBARS);
    cpe_livepred_init(&cont, models, "BTCUSDT", 100);
    for (int i = 0; i <= 70; i++) {
        at = K[NBARS - 300 + i].ts_ms;
        CHECK_EQ_INT(cpe_livepred_step(&cont, st2, at, at, out, &n, &d), 0);
        if (i == 0) CHECK_EQ_INT(cont.drift.live.n, 1);
    }
    CHECK_EQ_INT(cont.drift.live.n, 71);
    CHECK_MSG(again.drift.score == cont.drift.score, "restored %.17g, continuous %.17g",
              again.drift.score, cont.drift.score);
    cpe_livepred_close(&again);
    cpe_livepred_close(&cont);
    cpe_store_close(st2);
    cpe_store_close(st);
}

/* The drift ring pushed every stored minute of [from, to) in one load: score[i] after
 * minute from + i (NaN where none). */
static double *ring_over(cpe_store_t *st, const cpe_drift_ref_t *ref, int64_t from, int64_t to)
{
    size_t n = (size_t)((to - from) / MIN);
    double *score = malloc(n * sizeof *score);
    cpe_drift_track_t *t = malloc(sizeof *t);
    cpe_mldata_t m;
    cpe_diag_t d = {0};
    CHECK(cpe_mldata_load(st, "BTCUSDT", from, to, MIN, CPE_MLDATA_WARMUP_MS, &m, &d) == 0);
    cpe_drift_track_init(t, ref, (const char *const *)m.names, m.ncol);
    for (size_t i = 0; i < n; i++)
        score[i] = NAN;
    for (size_t i = 0; i < m.n; i++) {
        cpe_drift_track_push(t, ref, m.ts_ms[i], m.X + i * m.ncol);
        score[(m.ts_ms[i] - from) / MIN] = t->score;
    }
    cpe_mldata_free(&m);
    free(t);
    return score;
}

/* A replay scores drift with the live ring over the stored minutes: the day before its first
 * bar warms the ring, each bar shows the score after its last minute, across the replay's
 * batches (the same as one pass over every minute), at 1m and 1h; coarser bars have none. */
static void test_replay_drift_is_the_ring_over_the_replayed_minutes(void)
{
    cpe_store_t *st = store_with("drift_replay", NBARS);
    char models[1100], v[CPE_VERSION_MAX] = "";
    snprintf(models, sizeof models, "%s/models_drift_replay", test_tmpdir());
    train_champion_drift(st, models, T0 + 12 * CPE_MS_PER_DAY, 5, 1, v);
    cpe_registry_t reg;
    cpe_registry_init(&reg, models);
    cpe_modelset_t ms;
    cpe_diag_t d = {0};
    CHECK(cpe_registry_load(&reg, "BTCUSDT", NULL, &ms, v, &d) == 0);
    const int64_t ivs[2] = {MIN, CPE_MS_PER_HOUR};
    for (int k = 0; k < 2; k++) {
        int64_t first = cpe_floor_ms(K[NBARS - 1000].ts_ms, ivs[k]);
        int64_t from = first - CPE_DRIFT_RING * MIN, end = K[NBARS - 1].ts_ms + MIN;
        double *want = ring_over(st, &ms.drift, from, end);
        cpe_replay_t r;
        memset(&r, 0, sizeof r);
        r.store = st;
        snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
        r.interval_ms = ivs[k];
        r.next_ts = first;
        CHECK_EQ_INT(cpe_replay_drift_open(&r, models, &d), 0);
        long bars = 0, bad = 0;
        for (const cpe_bar_t *b; (b = cpe_replay_next(&r)); bars++) {
            double got = cpe_replay_drift(&r), w = want[(b->ts_ms + ivs[k] - MIN - from) / MIN];
            if (!(got == w)) bad++;
        }
        CHECK_MSG(bad == 0, "interval %lld: %ld of %ld bars differ", (long long)ivs[k], bad, bars);
        CHECK(bars > (k ? 10 : CPE_REPLAY_BATCH)); /* more than one batch at 1m */
        CHECK(isfinite(want[(end - MIN - from) / MIN]));
        cpe_replay_free(&r);
        free(want);
    }
    cpe_replay_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    r.interval_ms = CPE_MS_PER_DAY;
    CHECK_EQ_INT(cpe_replay_drift_open(&r, models, &d), CPE_EUNSUPPORTED);
    CHECK(isnan(cpe_replay_drift(&r)));
    cpe_modelset_free(&ms);
    cpe_store_close(st);
}

int main(void)
{
    K = test_random_walk(T0, NBARS, 7);
    snprintf(MODELS, sizeof MODELS, "%s/models", test_tmpdir());
    cpe_store_t *st = store_with("train", NBARS);
    train_champion(st, MODELS, T0 + 12 * CPE_MS_PER_DAY, 1, V1);
    cpe_store_close(st);
    RUN(test_no_champion_is_not_found);
    RUN(test_predicts_every_horizon_once_and_stores_explanations);
    RUN(test_as_of_a_bar_later_bars_change_nothing);
    RUN(test_a_new_champion_is_picked_up);
    RUN(test_challenger_gets_the_routed_bars);
    RUN(test_kept_shap_rows_explain_like_fresh_ones);
    RUN(test_drift_score_after_an_hour_of_closed_minutes);
    RUN(test_replay_drift_is_the_ring_over_the_replayed_minutes);
    free(K);
    return TEST_DONE();
}
