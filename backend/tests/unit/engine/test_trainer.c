/* test_trainer.c — the trainer behind `cpe train` and the serve retraining schedule: a
 * training registers a new version and makes it champion as asked; a failing training
 * (too few rows, an empty window, an unknown symbol) reports why and leaves the champion
 * and the registry as they were. */
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "cpe/trainer.h"
#include "test.h"
#include "test_bars.h"

#include <stdint.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL
#define DAYS 4
#define NBARS (DAYS * 1440)

static cpe_kline_t *K;
static char MODELS[1024];

/* A random walk whose volatility follows its own slow random walk. */
static void make_bars(void)
{
    K = malloc(NBARS * sizeof *K);
    cpe_rng_t r;
    cpe_rng_seed(&r, 11);
    double c = 2000, vol = 0.001;
    for (int i = 0; i < NBARS; i++) {
        vol = fmin(0.004, fmax(0.0003, vol * exp(0.02 * cpe_rng_normal(&r))));
        double o = c;
        c *= exp(vol * cpe_rng_normal(&r));
        double buy = 0.5 + 0.1 * cpe_rng_normal(&r) * 0.5;
        K[i] = (cpe_kline_t){.ts_ms = T0 + i * MIN,
                             .open = o,
                             .high = fmax(o, c) * 1.0002,
                             .low = fmin(o, c) * 0.9998,
                             .close = c,
                             .volume = 5,
                             .quote_volume = 5 * c,
                             .trades = 50,
                             .taker_buy_base = 5 * buy,
                             .taker_buy_quote = 5 * buy * c};
    }
}

static cpe_store_t *store_with(const char *name, int n)
{
    char full[64];
    snprintf(full, sizeof full, "trainer-%s", name);
    return test_store_with(full, "binance:spot:ETHUSDT", K, n);
}

/* Few rounds and paths: the test is about the plumbing, not the fit. */
static void quick_config(cpe_train_config_t *c, cpe_train_champion_t champion)
{
    cpe_train_config_default(c);
    c->ms.cls.max_rounds = c->ms.reg.max_rounds = 15;
    c->ms.cone_paths = 200;
    c->ms.scale_rows = 80;
    c->models = MODELS;
    c->champion = champion;
}

static size_t n_versions(void)
{
    cpe_registry_t r;
    cpe_registry_init(&r, MODELS);
    cpe_model_info_t *info = NULL;
    size_t n = 0;
    cpe_diag_t d = {0};
    if (cpe_registry_list(&r, "ETHUSDT", &info, &n, &d)) n = 0;
    free(info);
    return n;
}

static int champion_is(const char *v)
{
    cpe_registry_t r;
    cpe_registry_init(&r, MODELS);
    char c[CPE_VERSION_MAX];
    return cpe_registry_champion(&r, "ETHUSDT", c) == 0 && !strcmp(c, v);
}

static char V1[CPE_VERSION_MAX];

static void test_first_training_becomes_champion_and_registers_the_window(void)
{
    cpe_store_t *st = store_with("full", NBARS);
    cpe_train_config_t c;
    quick_config(&c, CPE_TRAIN_CHAMPION_IF_NONE);
    cpe_train_result_t res;
    cpe_diag_t d = {0};
    int rc = cpe_trainer_run(st, "ETHUSDT", &c, &res, &d);
    CHECK_MSG(rc == 0, "train: %s", d.msg);
    CHECK_EQ_INT(res.champion, 1);
    CHECK(!strncmp(res.version, "ETHUSDT-", 8));
    CHECK(champion_is(res.version));
    CHECK_EQ_INT(n_versions(), 1);
    /* the default window ends at the last bar's close; rows every 5 min anchored there */
    CHECK(res.last_row_ms == K[NBARS - 1].ts_ms);
    CHECK(res.first_row_ms >= T0 && res.first_row_ms < T0 + 5 * MIN);
    CHECK_EQ_INT(res.n_rows, NBARS / 5);
    CHECK(res.n_features > 10 && res.ms.n_h == 4 && !res.simulated);
    /* the drift score's reference: the top features by mean |SHAP|, most important first */
    CHECK_EQ_INT(res.ms.drift.k, CPE_DRIFT_K);
    for (int i = 1; i < res.ms.drift.k; i++)
        CHECK(res.ms.drift.f[i].importance <= res.ms.drift.f[i - 1].importance);
    struct stat sb;
    char meta[700];
    snprintf(meta, sizeof meta, "%s/metadata.json", res.dir);
    CHECK(stat(meta, &sb) == 0);
    snprintf(V1, sizeof V1, "%s", res.version);
    cpe_train_result_free(&res);
    cpe_store_close(st);
}

static void test_retrain_replaces_the_champion_only_when_asked(void)
{
    cpe_store_t *st = store_with("full2", NBARS);
    cpe_train_config_t c;
    quick_config(&c, CPE_TRAIN_CHAMPION_IF_NONE);
    c.window_days = 3;
    cpe_train_result_t res;
    cpe_diag_t d = {0};
    /* a champion exists: IF_NONE registers without promoting */
    int rc = cpe_trainer_run(st, "ETHUSDT", &c, &res, &d);
    CHECK_MSG(rc == 0, "train: %s", d.msg);
    CHECK_EQ_INT(res.champion, 0);
    CHECK(strcmp(res.version, V1) != 0);
    CHECK(champion_is(V1));
    CHECK_EQ_INT(res.n_rows, 3 * 1440 / 5);
    cpe_train_result_free(&res);
    /* ALWAYS (the scheduled retrain) promotes the new version */
    c.champion = CPE_TRAIN_CHAMPION_ALWAYS;
    rc = cpe_trainer_run(st, "ETHUSDT", &c, &res, &d);
    CHECK_MSG(rc == 0, "train: %s", d.msg);
    CHECK_EQ_INT(res.champion, 1);
    CHECK(champion_is(res.version));
    CHECK(strcmp(res.version, V1) != 0);
    CHECK_EQ_INT(n_versions(), 3);
    snprintf(V1, sizeof V1, "%s", res.version);
    cpe_train_result_free(&res);
    cpe_store_close(st);
}

static void test_too_few_rows_fail_and_keep_the_champion(void)
{
    cpe_store_t *st = store_with("short", 90); /* an hour and a half of bars */
    cpe_train_config_t c;
    quick_config(&c, CPE_TRAIN_CHAMPION_ALWAYS);
    cpe_train_result_t res;
    cpe_diag_t d = {0};
    int rc = cpe_trainer_run(st, "ETHUSDT", &c, &res, &d);
    CHECK(rc != 0);
    CHECK_MSG(strstr(d.msg, "ETHUSDT") != NULL, "message: %s", d.msg);
    CHECK_EQ_INT(res.champion, 0);
    CHECK(res.version[0] == 0);
    CHECK(champion_is(V1));
    CHECK_EQ_INT(n_versions(), 3);
    cpe_train_result_free(&res);
    cpe_store_close(st);
}

static void test_empty_window_and_unknown_symbol_are_errors(void)
{
    cpe_store_t *st = store_with("errors", 3 * 1440);
    cpe_train_config_t c;
    quick_config(&c, CPE_TRAIN_CHAMPION_ALWAYS);
    cpe_train_result_t res;
    cpe_diag_t d = {0};
    c.from_ms = T0 + 2 * CPE_MS_PER_DAY;
    c.to_ms = T0 + CPE_MS_PER_DAY;
    CHECK_EQ_INT(cpe_trainer_run(st, "ETHUSDT", &c, &res, &d), CPE_ERANGE);
    CHECK(strstr(d.msg, "not before") != NULL);
    cpe_train_result_free(&res);
    c.from_ms = INT64_MIN;
    c.to_ms = INT64_MAX;
    c.step_min = 7;
    CHECK_EQ_INT(cpe_trainer_run(st, "ETHUSDT", &c, &res, &d), CPE_EINVAL);
    c.step_min = 5;
    CHECK_EQ_INT(cpe_trainer_run(st, "DOGEUSDT", &c, &res, &d), CPE_ENOTFOUND);
    cpe_train_result_free(&res);
    CHECK(champion_is(V1));
    CHECK_EQ_INT(n_versions(), 3);
    cpe_store_close(st);
}

int main(void)
{
    make_bars();
    snprintf(MODELS, sizeof MODELS, "%s/trainer-models-%d", test_tmpdir(), (int)getpid());
    RUN(test_first_training_becomes_champion_and_registers_the_window);
    RUN(test_retrain_replaces_the_champion_only_when_asked);
    RUN(test_too_few_rows_fail_and_keep_the_champion);
    RUN(test_empty_window_and_unknown_symbol_are_errors);
    free(K);
    return TEST_DONE();
}
