/* test_wf_cache.c — walk-forward folds computed once and kept (wfcache.h): a second run
 * trains nothing, a corrected bar or another configuration or code version retrains only
 * the folds it touches, every record is as of its week (later bars change nothing), the
 * records are bit-identical on 1 and 2 threads, and a cancel returns at once keeping no
 * half-stored fold. */
#include "cpe/timeutil.h"
#include "cpe/wfcache.h"
#include "test.h"
#include "test_bars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC, a Monday: on the fold grid */
#define MIN 60000LL
#define DAY CPE_MS_PER_DAY
#define DAYS 30
#define NBARS (DAYS * 1440)
#define FROM (T0 + 14 * DAY) /* two folds: the weeks from 01-15 and 01-22 */
#define TO (T0 + 28 * DAY)

static cpe_kline_t *K;
static const int HS[4] = {1, 4, 8, 24};

static cpe_store_t *store_with(const char *name, int n)
{
    char full[64];
    snprintf(full, sizeof full, "wfc_%s", name);
    return test_store_with(full, "binance:spot:BTCUSDT", K, n);
}

static void opts(cpe_wfc_opts_t *o, int threads)
{
    cpe_wfc_opts_default(o);
    o->threads = threads;
    o->train_days = 10;
    o->min_train_days = 7;
    o->max_rounds = 8;
}

/* Run ensure over [from, to) and return the progress it ended with. */
static cpe_wfc_progress_t ensure(cpe_store_t *st, int64_t from, int64_t to, const cpe_wfc_opts_t *o)
{
    cpe_wfc_progress_t p;
    memset(&p, 0, sizeof p);
    cpe_diag_t d = {0};
    int rc = cpe_wfc_ensure(st, "BTCUSDT", from, to, HS, 4, o, &p, &d);
    CHECK_MSG(rc == 0, "ensure: %s", d.msg);
    return p;
}

/* The stored records of horizon h in [from, to) (malloc'd). */
static size_t records(cpe_store_t *st, int h, int64_t from, int64_t to, cpe_prediction_t **out)
{
    size_t n = 0;
    *out = NULL;
    CHECK(st->ops->get_predictions(st, "BTCUSDT", h, from, to, out, &n) == 0);
    return n;
}

static void test_second_run_and_sub_range_reuse_every_fold(void)
{
    cpe_store_t *st = store_with("reuse", NBARS);
    cpe_wfc_opts_t o;
    opts(&o, 2);
    cpe_wfc_progress_t p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_total, 2);
    CHECK_EQ_INT(p.folds_trained, 2);
    CHECK_EQ_INT(p.folds_reused, 0);
    CHECK_STR(p.stage, "done");
    cpe_prediction_t *r = NULL;
    CHECK_EQ_INT(records(st, 4, FROM, TO, &r), 14 * 288); /* every 5-minute row */
    free(r);
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_trained, 0);
    CHECK_EQ_INT(p.folds_reused, 2);
    p = ensure(st, FROM + DAY + 7 * MIN, FROM + 5 * DAY, &o); /* inside the first week */
    CHECK_EQ_INT(p.folds_total, 1);
    CHECK_EQ_INT(p.folds_reused, 1);
    CHECK_EQ_INT(p.folds_trained, 0);
    cpe_store_close(st);
}

static void test_invalidation_retrains_only_the_fold_touched(void)
{
    cpe_store_t *st = store_with("inval", NBARS);
    cpe_wfc_opts_t o;
    opts(&o, 2);
    ensure(st, FROM, TO, &o);
    /* a corrected bar in the second week: the first fold's bars end before it */
    cpe_kline_t k = K[25 * 1440 + 17];
    k.close *= 1.001;
    int64_t id = -1;
    CHECK(st->ops->series_id(st, "binance:spot:BTCUSDT", "kline:1m", MIN, 0, 0, &id) == 0);
    CHECK(st->ops->put_klines(st, id, &k, 1, NULL) == 0);
    cpe_wfc_progress_t p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_reused, 1);
    CHECK_EQ_INT(p.folds_trained, 1);
    /* a changed bar just before the first fold's test week: in both folds' input bars */
    k = K[13 * 1440 + 5];
    k.volume += 1;
    CHECK(st->ops->put_klines(st, id, &k, 1, NULL) == 0);
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_trained, 2);
    /* the first fold stored by another code version */
    char key[96], val[128];
    snprintf(key, sizeof key, "wfc:BTCUSDT:%lld", (long long)FROM);
    CHECK(st->ops->get_meta(st, key, val, sizeof val) == 0);
    char *code = strstr(val, "code=");
    CHECK(code != NULL);
    if (code) code[5] = '0';
    CHECK(st->ops->set_meta(st, key, val) == 0);
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_reused, 1);
    CHECK_EQ_INT(p.folds_trained, 1);
    /* explanations asked for: the folds stored without them are trained again; once they
     * have them, a run without the flag reuses them */
    o.explain = 1;
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_trained, 2);
    o.explain = 0;
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_reused, 2);
    /* another configuration: every fold */
    o.max_rounds = 9;
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_trained, 2);
    cpe_store_close(st);
}

/* Every record of a week comes from a model whose outcomes end at the week's start, and
 * the records of the first week are the same bits whether or not the later bars exist. */
static void test_records_are_as_of_their_week(void)
{
    cpe_store_t *full = store_with("asof_full", NBARS);
    cpe_store_t *cut = store_with("asof_cut", 21 * 1440);
    cpe_wfc_opts_t o;
    opts(&o, 2);
    ensure(full, FROM, TO, &o);
    ensure(cut, FROM, FROM + 7 * DAY, &o);
    for (int h = 0; h < 4; h++) {
        cpe_prediction_t *a, *b;
        size_t na = records(full, HS[h], FROM, FROM + 7 * DAY, &a);
        size_t nb = records(cut, HS[h], FROM, FROM + 7 * DAY, &b);
        CHECK_EQ_INT(na, 7 * 288);
        CHECK_EQ_INT(na, nb);
        CHECK(na == nb && !memcmp(a, b, na * sizeof *a));
        for (size_t i = 0; i < na; i++)
            if (strcmp(a[i].model_version, "BTCUSDT-wf-20240115") || !cpe_wf_record_as_of(&a[i])) {
                CHECK_MSG(0, "record %zu: %s at %lld", i, a[i].model_version,
                          (long long)a[i].ts_ms);
                break;
            }
        free(a);
        free(b);
        size_t n2 = records(full, HS[h], FROM + 7 * DAY, TO, &a);
        CHECK_EQ_INT(n2, 7 * 288);
        CHECK(n2 && !strcmp(a[0].model_version, "BTCUSDT-wf-20240122"));
        free(a);
    }
    cpe_store_close(full);
    cpe_store_close(cut);
}

static void test_one_thread_equals_two(void)
{
    cpe_store_t *s1 = store_with("t1", NBARS), *s2 = store_with("t2", NBARS);
    cpe_wfc_opts_t o1, o2;
    opts(&o1, 1);
    opts(&o2, 2);
    o1.explain = o2.explain = 1;
    ensure(s1, FROM, TO, &o1);
    ensure(s2, FROM, TO, &o2);
    for (int h = 0; h < 4; h++) {
        cpe_prediction_t *a, *b;
        size_t na = records(s1, HS[h], FROM, TO, &a), nb = records(s2, HS[h], FROM, TO, &b);
        CHECK_EQ_INT(na, nb);
        CHECK(na == nb && na > 0 && !memcmp(a, b, na * sizeof *a));
        free(a);
        free(b);
    }
    /* explanations too, at a few bars */
    for (int64_t t = FROM + 4 * MIN; t < TO; t += 3 * DAY + 55 * MIN) {
        cpe_prediction_t pa, pb;
        char *ea = NULL, *eb = NULL;
        CHECK(s1->ops->get_prediction(s1, "BTCUSDT", 4, t, &pa, &ea) == 0);
        CHECK(s2->ops->get_prediction(s2, "BTCUSDT", 4, t, &pb, &eb) == 0);
        CHECK(ea && eb && strlen(ea) > 100 && !strcmp(ea, eb));
        free(ea);
        free(eb);
    }
    cpe_store_close(s1);
    cpe_store_close(s2);
}

typedef struct cancel_ctx {
    atomic_int stop;
    int64_t at_ms; /* when the flag was set */
} cancel_ctx_t;

static void cancel_at_training(const cpe_wfc_progress_t *p, void *ctx)
{
    cancel_ctx_t *c = ctx;
    if (strcmp(p->stage, "training") || atomic_load(&c->stop)) return;
    c->at_ms = cpe_now_ms();
    atomic_store(&c->stop, 1);
}

/* A cancel while both folds train: the call returns within 1 s (the folds in training are
 * left to finish on their own threads), nothing was stored, and the next run trains all. */
static void test_cancel_returns_at_once_and_keeps_no_fold(void)
{
    cpe_store_t *st = store_with("cancel", NBARS);
    cancel_ctx_t cc = {0};
    atomic_init(&cc.stop, 0);
    cpe_wfc_opts_t o;
    opts(&o, 2);
    o.cancel = &cc.stop;
    o.progress = cancel_at_training;
    o.ctx = &cc;
    cpe_wfc_progress_t p;
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_wfc_ensure(st, "BTCUSDT", FROM, TO, HS, 4, &o, &p, &d), CPE_ECANCELED);
    int64_t took = cpe_now_ms() - cc.at_ms;
    CHECK_MSG(cc.at_ms > 0 && took < 1000, "cancel took %lld ms", (long long)took);
    CHECK_EQ_INT(p.folds_trained, 0);
    cpe_wfc_drain();
    opts(&o, 2);
    p = ensure(st, FROM, TO, &o);
    CHECK_EQ_INT(p.folds_trained, 2);
    cpe_store_close(st);
}

int main(void)
{
    K = test_random_walk(T0, NBARS, 11);
    RUN(test_second_run_and_sub_range_reuse_every_fold);
    RUN(test_invalidation_retrains_only_the_fold_touched);
    RUN(test_records_are_as_of_their_week);
    RUN(test_one_thread_equals_two);
    RUN(test_cancel_returns_at_once_and_keeps_no_fold);
    free(K);
    return TEST_DONE();
}
