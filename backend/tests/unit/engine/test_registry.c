/* test_registry.c — versioned model directories round-trip a trained model set exactly;
 * champion/challenger pointers; a writer SIGKILLed at random points never leaves half a
 * champion; A/B routing and the paired significance test. */
#include "cpe/registry.h"
#include "cpe/rng.h"
#include "cpe/timeutil.h"
#include "test.h"

#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NCOL 5
#define STEP (5 * 60000LL)
static const char *const NAMES[NCOL] = {"volatility_1h", "volatility_24h", "returns_4h",
                                        "returns_24h", "signal"};

static void synth(size_t n, int64_t *ts, double *close, double *X)
{
    cpe_rng_t r;
    cpe_rng_seed(&r, 21);
    double c = 30000;
    for (size_t i = 0; i < n; i++) {
        c *= exp(0.0015 * cpe_rng_normal(&r));
        ts[i] = 1704067200000LL + (int64_t)i * STEP;
        close[i] = c;
    }
    for (size_t i = 0; i < n; i++) {
        double *x = X + i * NCOL;
        x[0] = 0.0015 * (1 + 0.2 * cpe_rng_uniform(&r));
        x[1] = i >= 288 ? 0.005 + 0.001 * cpe_rng_uniform(&r) : NAN;
        x[2] = i >= 48 ? log(close[i] / close[i - 48]) : NAN;
        x[3] = i >= 288 ? log(close[i] / close[i - 288]) : NAN;
        x[4] = i + 12 < n ? log(close[i + 12] / close[i]) + 0.004 * cpe_rng_normal(&r) : NAN;
    }
}

/* A small model set trained on synthetic data, and that data (the view predicts from X). */
typedef struct trained {
    cpe_modelset_t ms;
    cpe_mlview_t v;
    int64_t *ts;
    double *close, *X;
} trained_t;

static int train_small(trained_t *t)
{
    size_t n = 12 * 288;
    t->ts = malloc(n * sizeof *t->ts);
    t->close = malloc(n * sizeof *t->close);
    t->X = malloc(n * NCOL * sizeof *t->X);
    synth(n, t->ts, t->close, t->X);
    t->v = (cpe_mlview_t){n, NCOL, t->ts, t->X, t->close, NAMES};
    size_t *rows = malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    cpe_modelset_config_t c;
    cpe_modelset_config_default(&c);
    c.n_h = 2;
    c.horizons_h[0] = 1;
    c.horizons_h[1] = 4;
    c.cls.max_rounds = c.reg.max_rounds = 40;
    c.cls.eta = c.reg.eta = 0.1;
    c.cone_paths = 400;
    c.scale_rows = 200;
    cpe_diag_t d = {0};
    int rc = cpe_modelset_train(&t->ms, &t->v, rows, n, t->ts[n - 1] + STEP, &c, &d);
    if (rc) fprintf(stderr, "train: %s\n", d.msg);
    free(rows);
    return rc;
}

static void trained_free(trained_t *t)
{
    cpe_modelset_free(&t->ms);
    free(t->ts), free(t->close), free(t->X);
}

/* A registry rooted in the test's temporary directory. */
static void registry_in(const char *name, cpe_registry_t *r)
{
    char root[600];
    snprintf(root, sizeof root, "%s/%s", test_tmpdir(), name);
    cpe_registry_init(r, root);
}

static void test_save_load_round_trips_predictions_and_metadata(void)
{
    trained_t t;
    cpe_modelset_t back;
    CHECK_EQ_INT(train_small(&t), 0);
    cpe_registry_t r;
    registry_in("models", &r);
    char ver[CPE_VERSION_MAX], ver2[CPE_VERSION_MAX], got[CPE_VERSION_MAX];
    cpe_diag_t d = {0};
    /* the drift score's deciles (drift.h) on three of the columns */
    size_t *rows = malloc(t.v.n * sizeof *rows);
    for (size_t i = 0; rows && i < t.v.n; i++)
        rows[i] = i;
    const double imp[NCOL] = {0.1, 0.3, 0, 0.2, 0};
    CHECK_EQ_INT(cpe_drift_ref_fit(&t.ms.drift, t.X, NCOL, NAMES, rows, t.v.n, imp, &d), 0);
    free(rows);
    CHECK_EQ_INT(t.ms.drift.k, 3);
    CHECK_EQ_INT(cpe_registry_save(&r, "BTCUSDT", &t.ms, "{\"auc_1h\": 0.61}", ver, &d), 0);
    CHECK(!strncmp(ver, "BTCUSDT-", 8));
    /* No champion yet: loading the champion says how to get one. */
    CHECK_EQ_INT(cpe_registry_load(&r, "BTCUSDT", NULL, &back, got, &d), CPE_ENOTFOUND);
    CHECK(strstr(d.msg, "cpe train") != NULL);
    CHECK_EQ_INT(cpe_registry_set_champion(&r, "BTCUSDT", ver, &d), 0);
    CHECK_EQ_INT(cpe_registry_load(&r, "BTCUSDT", NULL, &back, got, &d), 0);
    CHECK_STR(got, ver);
    CHECK_EQ_INT(back.ncol, NCOL);
    CHECK_EQ_INT(back.n_h, 2);
    CHECK_STR(back.names[4], "signal");
    CHECK_EQ_INT(back.h[1].horizon_h, 4);
    CHECK_EQ_INT(back.h[0].calib.method, t.ms.h[0].calib.method);
    CHECK_NEAR(back.h[0].scale.s1, t.ms.h[0].scale.s1, 0);
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(back.h[k].use_move, t.ms.h[k].use_move);
        CHECK_EQ_INT(back.h[k].use_direction, t.ms.h[k].use_direction);
        CHECK_EQ_INT(back.h[k].use_regime_drift, t.ms.h[k].use_regime_drift);
    }
    CHECK_NEAR(back.vol.omega, t.ms.vol.omega, 0);
    CHECK_NEAR(back.vol.nu, t.ms.vol.nu, 0);
    CHECK_EQ_INT(back.has_regime, t.ms.has_regime);
    CHECK_NEAR(back.regime.vol_high, t.ms.regime.vol_high, 0);
    CHECK_EQ_INT(back.train_to_ms, t.ms.train_to_ms);
    CHECK_EQ_INT(back.drift.k, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_STR(back.drift.f[i].name, t.ms.drift.f[i].name);
        CHECK_NEAR(back.drift.f[i].importance, t.ms.drift.f[i].importance, 0);
        CHECK(!memcmp(back.drift.f[i].edges, t.ms.drift.f[i].edges, sizeof back.drift.f[i].edges));
        CHECK(!memcmp(back.drift.f[i].share, t.ms.drift.f[i].share, sizeof back.drift.f[i].share));
    }
    /* Predictions are bit for bit the same. */
    size_t n = 300;
    double a[2 * 300], b[2 * 300], ma[2 * 300], mb[2 * 300];
    CHECK_EQ_INT(cpe_modelset_predict(&t.ms, t.X, n, NULL, a, ma), 0);
    CHECK_EQ_INT(cpe_modelset_predict(&back, t.X, n, NULL, b, mb), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(ma, mb, sizeof ma) == 0);
    double ret[240];
    size_t nr = cpe_ml_hourly_returns(&t.v, t.v.n - 1, 240, ret);
    CHECK(nr >= 200);
    CHECK_NEAR(cpe_modelset_h_next(&back, ret, nr), cpe_modelset_h_next(&t.ms, ret, nr), 0);
    /* metadata.json carries the documented fields and the caller's metrics. */
    char path[900];
    snprintf(path, sizeof path, "%s/BTCUSDT/%s/metadata.json", r.root, ver);
    json_t *m = json_load_file(path, 0, NULL);
    CHECK(m != NULL);
    CHECK_STR(json_string_value(json_object_get(m, "model_version")), ver);
    CHECK(json_object_get(m, "training_window") && json_object_get(m, "hyperparameters"));
    CHECK_EQ_INT(json_integer_value(json_object_get(m, "features_used")), NCOL);
    CHECK_NEAR(json_number_value(json_object_get(json_object_get(m, "metrics"), "auc_1h")), 0.61,
               0);
    /* A version written before the validation gates (no "drift" object) uses every term. */
    json_t *hs = json_object_get(m, "horizons");
    for (size_t k = 0; k < json_array_size(hs); k++)
        json_object_del(json_array_get(hs, k), "drift");
    json_object_del(m, "drift_reference"); /* nor the drift score's deciles: no score */
    CHECK_EQ_INT(json_dump_file(m, path, JSON_REAL_PRECISION(17)), 0);
    cpe_modelset_t old;
    CHECK_EQ_INT(cpe_registry_load(&r, "BTCUSDT", ver, &old, NULL, &d), 0);
    CHECK_EQ_INT(old.h[0].use_direction + old.h[0].use_move + old.h[0].use_regime_drift, 3);
    CHECK_EQ_INT(old.drift.k, 0);
    cpe_modelset_free(&old);
    json_decref(m);
    /* A second save of the same training time gets its own version; list shows both. */
    CHECK_EQ_INT(cpe_registry_save(&r, "BTCUSDT", &t.ms, NULL, ver2, &d), 0);
    CHECK(strcmp(ver, ver2) != 0);
    CHECK_EQ_INT(cpe_registry_set_challenger(&r, "BTCUSDT", ver2, 0.1, &d), 0);
    cpe_model_info_t *list;
    size_t nl;
    CHECK_EQ_INT(cpe_registry_list(&r, NULL, &list, &nl, &d), 0);
    CHECK_EQ_INT(nl, 2);
    CHECK_EQ_INT(list[0].champion + list[1].champion, 1);
    CHECK_EQ_INT(list[0].challenger + list[1].challenger, 1);
    free(list);
    double split;
    CHECK_EQ_INT(cpe_registry_challenger(&r, "BTCUSDT", got, &split), 0);
    CHECK_STR(got, ver2);
    CHECK_NEAR(split, 0.1, 1e-12);
    /* Unknown versions and bad splits are refused. */
    CHECK_EQ_INT(cpe_registry_set_champion(&r, "BTCUSDT", "BTCUSDT-nope", &d), CPE_ENOTFOUND);
    CHECK_EQ_INT(cpe_registry_set_challenger(&r, "BTCUSDT", ver2, 1.5, &d), CPE_ERANGE);
    CHECK_EQ_INT(cpe_registry_set_champion(&r, "BTCUSDT", "../etc", &d), CPE_ENOTFOUND);
    cpe_modelset_free(&back);
    trained_free(&t);
}

/* Pruning keeps the newest `keep` versions and, whatever their age, the champion and the
 * challenger; the champion still loads afterwards. */
static void test_prune_keeps_the_newest_the_champion_and_the_challenger(void)
{
    trained_t t;
    cpe_modelset_t back;
    CHECK_EQ_INT(train_small(&t), 0);
    cpe_registry_t r;
    registry_in("prune-models", &r);
    char ver[6][CPE_VERSION_MAX];
    cpe_diag_t d = {0};
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(cpe_registry_save(&r, "BTCUSDT", &t.ms, NULL, ver[i], &d), 0);
    CHECK_EQ_INT(cpe_registry_set_champion(&r, "BTCUSDT", ver[0], &d), 0);
    CHECK_EQ_INT(cpe_registry_set_challenger(&r, "BTCUSDT", ver[1], 0.2, &d), 0);
    int gone = -1;
    CHECK_EQ_INT(cpe_registry_prune(&r, "BTCUSDT", 2, &gone, &d), 0);
    CHECK_EQ_INT(gone, 2);
    cpe_model_info_t *list;
    size_t n;
    CHECK_EQ_INT(cpe_registry_list(&r, "BTCUSDT", &list, &n, &d), 0);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_STR(list[0].version, ver[0]);
        CHECK_STR(list[1].version, ver[1]);
        CHECK_STR(list[2].version, ver[4]);
        CHECK_STR(list[3].version, ver[5]);
    }
    free(list);
    char got[CPE_VERSION_MAX];
    CHECK_EQ_INT(cpe_registry_load(&r, "BTCUSDT", NULL, &back, got, &d), 0);
    CHECK_STR(got, ver[0]);
    cpe_modelset_free(&back);
    CHECK_EQ_INT(cpe_registry_prune(&r, "BTCUSDT", 2, &gone, &d), 0); /* nothing more to do */
    CHECK_EQ_INT(gone, 0);
    CHECK_EQ_INT(cpe_registry_prune(&r, "BTCUSDT", 0, NULL, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_registry_prune(&r, "../etc", 2, NULL, &d), CPE_EINVAL);
    trained_free(&t);
}

static void test_list_on_empty_root_is_empty(void)
{
    cpe_registry_t r;
    cpe_registry_init(&r, "/nonexistent/cpe-models");
    cpe_model_info_t *list;
    size_t n = 9;
    CHECK_EQ_INT(cpe_registry_list(&r, NULL, &list, &n, NULL), 0);
    CHECK_EQ_INT(n, 0);
    char v[CPE_VERSION_MAX];
    CHECK_EQ_INT(cpe_registry_champion(&r, "BTCUSDT", v), CPE_ENOTFOUND);
}

static void test_ab_route_splits_traffic_deterministically(void)
{
    size_t hit = 0, n = 100000;
    for (size_t i = 0; i < n; i++)
        hit += cpe_ab_route(0.1, 1704067200000ULL + i * 60000);
    /* binomial sd sqrt(n p q) ~ 95: +-500 is > 5 sd */
    CHECK_MSG(hit > 9500 && hit < 10500, "challenger got %zu of %zu", hit, n);
    CHECK_EQ_INT(cpe_ab_route(0.1, 42), cpe_ab_route(0.1, 42));
    CHECK_EQ_INT(cpe_ab_route(0.0, 42), 0);
    CHECK_EQ_INT(cpe_ab_route(1.0, 42), 1);
}

static void test_ab_test_detects_a_better_challenger_only(void)
{
    size_t n = 5000;
    double *lc = malloc(n * sizeof *lc), *lx = malloc(n * sizeof *lx), *ly = malloc(n * sizeof *ly);
    cpe_rng_t r;
    cpe_rng_seed(&r, 4);
    for (size_t i = 0; i < n; i++) {
        double base = 0.69 + 0.1 * cpe_rng_normal(&r);
        lc[i] = base;
        lx[i] = base - 0.01 + 0.05 * cpe_rng_normal(&r); /* better by 0.01, sd 0.05 */
        ly[i] = base + (i % 2 ? 0.05 : -0.05);           /* exactly equal on average */
    }
    cpe_ab_result_t a, b;
    CHECK_EQ_INT(cpe_ab_test(lc, lx, n, 0, 0.05, 1000, &a), 0);
    /* iid, lag 0: z = 0.01 / (0.05 / sqrt(5000)) ~ 14 */
    CHECK_NEAR(a.z, 14.1, 1.5);
    CHECK(a.promote);
    CHECK_EQ_INT(cpe_ab_test(lc, ly, n, 10, 0.05, 1000, &b), 0);
    CHECK(!b.promote); /* equal on average: no promotion */
    CHECK_NEAR(b.mean_diff, 0, 1e-12);
    CHECK(b.p_value > 0.99);
    /* A clearly worse challenger is significant but never promoted. */
    CHECK_EQ_INT(cpe_ab_test(lx, lc, n, 0, 0.05, 1000, &b), 0);
    CHECK(b.p_value < 0.05 && b.mean_diff < 0 && !b.promote);
    /* Too few samples never promote. */
    CHECK_EQ_INT(cpe_ab_test(lc, lx, 500, 0, 0.05, 1000, &a), 0);
    CHECK(!a.promote);
    free(lc), free(lx), free(ly);
}

/* The writer: a fresh process (this binary with --writer ROOT; a forked child cannot use
 * XGBoost, whose OpenMP pool does not survive fork) loads the model set saved in ROOT/seed,
 * says "ready", then saves, promotes (champion, challenger) and prunes in a loop until it
 * is killed. */
static int writer_main(const char *root)
{
    cpe_registry_t seed, r;
    char dir[700], v[CPE_VERSION_MAX], prev[CPE_VERSION_MAX] = "";
    snprintf(dir, sizeof dir, "%s/seed", root);
    cpe_registry_init(&seed, dir);
    cpe_registry_init(&r, root);
    cpe_modelset_t ms;
    cpe_diag_t d = {0};
    if (cpe_registry_load(&seed, "BTCUSDT", NULL, &ms, v, &d)) return 2;
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (cpe_registry_save(&r, "BTCUSDT", &ms, NULL, v, &d)) return 3;
        if (cpe_registry_set_champion(&r, "BTCUSDT", v, &d)) return 4;
        if (prev[0] && cpe_registry_set_challenger(&r, "BTCUSDT", prev, 0.1, &d)) return 5;
        if (cpe_registry_prune(&r, "BTCUSDT", 3, NULL, &d)) return 6;
        snprintf(prev, sizeof prev, "%s", v);
    }
}

/* Start the writer on root; returns its pid once it is ready (0 on failure). */
static pid_t start_writer(const char *root)
{
    int fd[2];
    if (pipe(fd)) return 0;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl("/proc/self/exe", "test_registry", "--writer", root, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[8] = "";
    ssize_t n = pid > 0 ? read(fd[0], buf, sizeof buf - 1) : -1;
    close(fd[0]);
    return n > 0 && !strncmp(buf, "ready", 5) ? pid : 0;
}

/* Temporaries (".tmp" in the name) in dir. */
static int count_tmp(const char *dir)
{
    DIR *dh = opendir(dir);
    int n = 0;
    for (struct dirent *e; dh && (e = readdir(dh));)
        n += strstr(e->d_name, ".tmp") != NULL;
    if (dh) closedir(dh);
    return n;
}

/* Every listed version has all its files (a version is renamed into place whole, so a
 * missing file is the only way to be half there; the champion is loaded in full). */
static int every_version_whole(const cpe_registry_t *r, const cpe_modelset_t *ms)
{
    cpe_model_info_t *mi = NULL;
    size_t n = 0;
    cpe_diag_t d = {0};
    int bad = cpe_registry_list(r, "BTCUSDT", &mi, &n, &d) != 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2 * ms->n_h; k++) {
            char p[1100];
            struct stat st;
            snprintf(p, sizeof p, "%s/BTCUSDT/%s/%s_%dh.json", r->root, mi[i].version,
                     k % 2 ? "reg" : "cls", ms->h[k / 2].horizon_h);
            if (stat(p, &st) != 0) {
                fprintf(stderr, "version %s: %s is missing\n", mi[i].version, p);
                bad++;
            }
        }
    free(mi);
    return bad;
}

/* Writers SIGKILLed after a random 0.2-3 rounds of their loop (a round is timed first, so
 * sanitizer builds are hit as densely): 20, or CPE_REGISTRY_KILLS (bench_crash.sh: 100).
 * After each kill the champion must load whole and every listed version have all its files
 * (a pruned one must never be half deleted), and the next save
 * removes what the killed writers left. */
static void test_a_killed_writer_never_leaves_half_a_champion(void)
{
    trained_t t;
    CHECK_EQ_INT(train_small(&t), 0);
    cpe_registry_t r, seed;
    registry_in("crash", &r);
    registry_in("crash/seed", &seed);
    char v[CPE_VERSION_MAX], dir[700];
    cpe_diag_t d = {0};
    int64_t t0 = cpe_mono_ns();
    CHECK_EQ_INT(cpe_registry_save(&seed, "BTCUSDT", &t.ms, NULL, v, &d), 0);
    CHECK_EQ_INT(cpe_registry_set_champion(&seed, "BTCUSDT", v, &d), 0);
    double round_us = (double)(cpe_mono_ns() - t0) / 1e3;
    cpe_rng_t rng;
    cpe_rng_seed(&rng, 7);
    int kills = 0, seen = 0, bad = 0, litter = 0, rounds = 20;
    const char *env = getenv("CPE_REGISTRY_KILLS");
    if (env && atoi(env) > 0) rounds = atoi(env);
    snprintf(dir, sizeof dir, "%s/BTCUSDT", r.root);
    for (int i = 0; i < rounds; i++) {
        pid_t pid = start_writer(r.root);
        CHECK(pid > 0);
        if (pid <= 0) break;
        usleep((useconds_t)(round_us * (0.2 + 2.8 * cpe_rng_uniform(&rng))));
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        kills += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        cpe_modelset_t back;
        char got[CPE_VERSION_MAX];
        int rc = cpe_registry_load(&r, "BTCUSDT", NULL, &back, got, &d);
        if (rc == 0) {
            seen++;
            cpe_modelset_free(&back);
        } else if (seen || rc != CPE_ENOTFOUND) { /* once there, the champion stays whole */
            fprintf(stderr, "after kill %d: champion: %s\n", i, d.msg);
            bad++;
        }
        bad += every_version_whole(&r, &t.ms);
        litter += count_tmp(dir);
    }
    CHECK_EQ_INT(kills, rounds);
    CHECK_EQ_INT(bad, 0);
    CHECK(seen > 0);
    printf("{\"bench\":\"crash_safety\",\"part\":\"registry\",\"kills\":%d,\"round_ms\":%.1f,"
           "\"champion_whole_after\":%d,\"broken\":%d,\"temporaries_left\":%d}\n",
           kills, round_us / 1e3, seen, bad, litter);
    CHECK_EQ_INT(cpe_registry_save(&r, "BTCUSDT", &t.ms, NULL, v, &d), 0);
    CHECK_EQ_INT(count_tmp(dir), 0);
    trained_free(&t);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--writer")) return writer_main(argv[2]);
    RUN(test_save_load_round_trips_predictions_and_metadata);
    RUN(test_prune_keeps_the_newest_the_champion_and_the_challenger);
    RUN(test_list_on_empty_root_is_empty);
    RUN(test_a_killed_writer_never_leaves_half_a_champion);
    RUN(test_ab_route_splits_traffic_deterministically);
    RUN(test_ab_test_detects_a_better_challenger_only);
    return TEST_DONE();
}
