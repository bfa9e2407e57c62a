/* wf_cache.c — walk-forward folds on a fixed weekly grid, kept in the store and reused
 * while their configuration, code version and input bars are unchanged (cpe/wfcache.h). */
#include "cpe/wfcache.h"

#include "cpe/market.h"
#include "cpe/mldata.h"
#include "cpe/timeutil.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV0 1469598103934665603ULL
#define READ_DAYS 32 /* klines are fingerprinted a month at a time (bounded memory) */

enum { F_TRAIN = 0, F_REUSED, F_STORED };

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

void cpe_wfc_opts_default(cpe_wfc_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->train_days = 90;
    o->min_train_days = 21;
}

int64_t cpe_wfc_fold_start(int64_t from_ms, int k)
{
    int64_t w = cpe_floor_ms(from_ms - CPE_WFC_GRID0_MS, CPE_WFC_WEEK_MS);
    return CPE_WFC_GRID0_MS + w + (int64_t)k * CPE_WFC_WEEK_MS;
}

int cpe_wfc_fold_count(int64_t from_ms, int64_t to_ms)
{
    int64_t a = cpe_wfc_fold_start(from_ms, 0);
    return to_ms > from_ms ? (int)((to_ms - a + CPE_WFC_WEEK_MS - 1) / CPE_WFC_WEEK_MS) : 0;
}

int cpe_wf_record_as_of(const cpe_prediction_t *p)
{
    const char *w = strstr(p->model_version, "-wf-");
    unsigned y, m, dd;
    /* NOLINTNEXTLINE(cert-err34-c): at most 4+2+2 digits cannot overflow; a count < 3 rejects */
    if (!w || sscanf(w + 4, "%4u%2u%2u", &y, &m, &dd) != 3 || m < 1 || m > 12 || dd < 1 || dd > 31)
        return 0;
    return p->ts_ms >= cpe_days_from_civil((int)y, m, dd) * CPE_MS_PER_DAY;
}

/* The bytes of c except the two gbt cancel hooks (the last member of cpe_gbt_params_t: a
 * run's flag, not its configuration). The bytes hashed are the same as before the hook
 * existed, so folds stored by earlier builds stay valid. */
static uint64_t config_hash(const cpe_wf_config_t *c)
{
    _Static_assert(offsetof(cpe_gbt_params_t, cancel) + sizeof(void *) == sizeof(cpe_gbt_params_t),
                   "the cancel hook must be the last member of cpe_gbt_params_t");
    const char *b = (const char *)c;
    size_t cls = offsetof(cpe_wf_config_t, ms.cls.cancel);
    size_t reg = offsetof(cpe_wf_config_t, ms.reg.cancel);
    uint64_t h = fnv(FNV0, b, cls);
    h = fnv(h, b + cls + sizeof(void *), reg - cls - sizeof(void *));
    return fnv(h, b + reg + sizeof(void *), sizeof *c - reg - sizeof(void *));
}

/* The configuration every fold of a run trains with; *hash covers all of it. */
static void fold_config(const char *sym, const cpe_wfc_opts_t *o, cpe_wf_config_t *c,
                        uint64_t *hash)
{
    cpe_wf_config_default(c); /* zero-initialised: padding hashes the same every time */
    snprintf(c->symbol, sizeof c->symbol, "%s", sym);
    c->eval_paths = 200; /* the strategy reads p_up, expected_move and volatility only */
    c->keep_records = 1;
    c->folds = 1;
    c->expanding = 0;
    c->train_days = o->train_days;
    c->ms.cls.nthread = c->ms.reg.nthread = 1; /* bit-identical whatever the parallelism */
    c->ms.cls.early_stop_rounds = CPE_WFC_CLS_EARLY_STOP_ROUNDS; /* the regressor keeps 20 */
    if (o->max_rounds > 0) c->ms.cls.max_rounds = c->ms.reg.max_rounds = o->max_rounds;
    /* explanations do not change the records: not part of the hash ("ex=" in the meta) */
    *hash = fnv(config_hash(c), &o->min_train_days, sizeof o->min_train_days);
    c->keep_explanations = o->explain != 0;
}

static int64_t input_from(const cpe_wf_config_t *c, int64_t test_from)
{
    return test_from - c->purge_h * CPE_MS_PER_HOUR - c->train_days * CPE_MS_PER_DAY -
           CPE_MLDATA_WARMUP_MS;
}

/* Per UTC day of [from, to) (from on a day boundary) the digest of the day's 1m klines
 * over every kline series of sym, folded in series order. */
static int day_digests(cpe_store_t *st, const char *sym, int64_t from, int64_t to, uint64_t *dg,
                       cpe_diag_t *d)
{
    size_t nd = (size_t)((to - from) / CPE_MS_PER_DAY), ns = 0;
    cpe_series_info_t *si = NULL;
    if (!dg) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    for (size_t i = 0; i < nd; i++)
        dg[i] = FNV0;
    if (st->ops->list_series(st, &si, &ns))
        return cpe_diag_set(d, CPE_ESTORE, "listing series: %s", st->diag.msg);
    int rc = 0;
    for (size_t s = 0; s < ns && !rc; s++) {
        cpe_instrument_t in;
        if (strcmp(si[s].kind, "kline:1m") || cpe_instrument_parse(si[s].instrument, &in) ||
            strcmp(in.symbol, sym))
            continue;
        for (int64_t a = from; a < to && !rc; a += READ_DAYS * CPE_MS_PER_DAY) {
            int64_t b = a + READ_DAYS * CPE_MS_PER_DAY < to ? a + READ_DAYS * CPE_MS_PER_DAY : to;
            cpe_kline_t *k = NULL;
            size_t n = 0;
            rc = st->ops->get_klines(st, si[s].id, a, b, &k, &n);
            if (rc == CPE_ENOTFOUND) rc = 0;
            for (size_t i = 0; i < n && !rc; i++) {
                size_t day = (size_t)((k[i].ts_ms - from) / CPE_MS_PER_DAY);
                dg[day] = fnv(dg[day], &k[i], sizeof k[i]); /* ts + 9 doubles: no padding */
            }
            free(k);
            if (rc) cpe_diag_set(d, rc, "reading %s klines: %s", si[s].instrument, st->diag.msg);
        }
    }
    free(si);
    return rc;
}

typedef struct run {
    cpe_store_t *st;
    const char *sym;
    const cpe_wfc_opts_t *o;
    cpe_wf_config_t c;
    uint64_t cfg;
    int n, *state, *todo, n_todo;
    int64_t from, t_start, t_train;
    uint64_t *fp;
    cpe_wfc_progress_t pr;
} run_t;

static void report(run_t *r, const char *stage)
{
    r->pr.stage = stage;
    r->pr.elapsed_ms = cpe_now_ms() - r->t_start;
    int left = r->n - r->pr.folds_done, trained = r->pr.folds_trained;
    r->pr.eta_ms = !left ? 0 : trained ? (cpe_now_ms() - r->t_train) * left / trained : -1;
    if (r->o->progress) r->o->progress(&r->pr, r->o->ctx);
}

static void meta_key(const run_t *r, int k, char key[96])
{
    snprintf(key, 96, "wfc:%s:%" PRId64, r->sym, cpe_wfc_fold_start(r->from, k));
}

static void meta_value(const run_t *r, int k, size_t n_records, char val[128])
{
    snprintf(val, 128, "cfg=%016" PRIx64 " code=%d fp=%016" PRIx64 " ex=%d n=%zu", r->cfg,
             CPE_WFC_CODE_VERSION, r->fp[k], r->c.keep_explanations, n_records);
}

/* A stored fold is reused when configuration, code and fingerprint match and it has
 * explanations if they are asked for. */
static int meta_reusable(const run_t *r, int k, const char *have)
{
    char want[128];
    meta_value(r, k, 0, want);
    size_t cmp = (size_t)(strstr(want, " ex=") - want);
    const char *ex = strstr(have, " ex=");
    return ex && (size_t)(ex - have) == cmp && !strncmp(have, want, cmp) &&
           (ex[4] == '1' || !r->c.keep_explanations);
}

/* 1 when every horizon of hs has an as-of record in [a, b) (its newest before b). */
static int stored_for_all(cpe_store_t *st, const char *sym, const int *hs, int nh, int64_t a,
                          int64_t b)
{
    for (int h = 0; h < nh; h++) {
        cpe_prediction_t p;
        if (st->ops->get_prediction(st, sym, hs[h], b - 1, &p, NULL) || p.ts_ms < a ||
            !cpe_wf_record_as_of(&p))
            return 0;
    }
    return 1;
}

static void classify(run_t *r, int64_t to, const int *hs, int nh)
{
    for (int k = 0; k < r->n; k++) {
        char key[96], have[128];
        meta_key(r, k, key);
        int64_t t = cpe_wfc_fold_start(r->from, k);
        int64_t a = t > r->from ? t : r->from,
                b = t + CPE_WFC_WEEK_MS < to ? t + CPE_WFC_WEEK_MS : to;
        int got = r->st->ops->get_meta(r->st, key, have, sizeof have) == 0;
        if (got) {
            r->state[k] = meta_reusable(r, k, have) ? F_REUSED : F_TRAIN;
        } else {
            r->state[k] = stored_for_all(r->st, r->sym, hs, nh, a, b) ? F_STORED : F_TRAIN;
        }
        if (r->state[k] == F_REUSED) r->pr.folds_reused++, r->pr.folds_done++;
        if (r->state[k] == F_STORED) r->pr.folds_stored++, r->pr.folds_done++;
        if (r->state[k] == F_TRAIN) r->todo[r->n_todo++] = k;
    }
}

/* A finished fold into the store: its records with explanations and its meta row, in one
 * transaction. */
static int sink(int i, cpe_wf_result_t *res, void *ctx, cpe_diag_t *d)
{
    run_t *r = ctx;
    int k = r->todo[i], rc = r->st->ops->begin(r->st);
    /* horizon by horizon: each is a run of ascending keys in the table */
    for (int h = 0; h < r->c.ms.n_h; h++)
        for (size_t j = 0; j < res->n_records && !rc; j++) {
            if (res->records[j].horizon_h != r->c.ms.horizons_h[h]) continue;
            const char *ex = res->explain_off ? res->explain_text.data + res->explain_off[j] : "";
            rc = r->st->ops->put_prediction(r->st, &res->records[j], *ex ? ex : NULL);
        }
    char key[96], val[128];
    meta_key(r, k, key);
    meta_value(r, k, res->n_records, val);
    if (!rc) rc = r->st->ops->set_meta(r->st, key, val);
    if (!rc) rc = r->st->ops->commit(r->st);
    cpe_wf_result_free(res);
    if (rc) {
        r->st->ops->rollback(r->st);
        return cpe_diag_set(d, rc, "storing walk-forward predictions: %s", r->st->diag.msg);
    }
    r->pr.folds_trained++;
    r->pr.folds_done++;
    report(r, "training");
    return 0;
}

/* One plan per fold to train (rolling window, at least min_train_days of rows). */
static int make_plans(run_t *r, const cpe_mlview_t *v, cpe_wf_plan_t *pl, cpe_diag_t *d)
{
    const int64_t purge = r->c.purge_h * CPE_MS_PER_HOUR, train = r->c.train_days * CPE_MS_PER_DAY;
    if (!pl || !r->todo) return cpe_diag_set(d, CPE_ENOMEM, "out of memory");
    for (int i = 0; i < r->n_todo; i++) {
        int64_t t = cpe_wfc_fold_start(r->from, r->todo[i]);
        cpe_wf_plan_t *p = &pl[i];
        memset(p, 0, sizeof *p);
        p->n = 1;
        p->purge_ms = purge;
        p->embargo_ms = r->c.embargo_h * CPE_MS_PER_HOUR;
        p->train_ms = train;
        p->f[0].test_from_ms = t;
        p->f[0].test_to_ms = t + CPE_WFC_WEEK_MS;
        p->f[0].train_to_ms = t - purge;
        p->f[0].train_from_ms = t - purge - train > v->ts_ms[0] ? t - purge - train : v->ts_ms[0];
        p->start_ms = p->f[0].train_from_ms;
        int64_t have = p->f[0].train_to_ms - p->f[0].train_from_ms;
        if (have < r->o->min_train_days * CPE_MS_PER_DAY) {
            char day[32];
            cpe_format_iso8601(t, day);
            return cpe_diag_set(d, CPE_EDATA,
                                "walk-forward fold of the week from %.10s: %.1f days of rows "
                                "before it, at least %d needed",
                                day, (double)have / CPE_MS_PER_DAY, r->o->min_train_days);
        }
    }
    return 0;
}

static int cancelled(const run_t *r, cpe_diag_t *d)
{
    return r->o->cancel && atomic_load(r->o->cancel)
               ? cpe_diag_set(d, CPE_ECANCELED, "walk-forward: cancelled")
               : 0;
}

static int train_missing(run_t *r, cpe_diag_t *d)
{
    if (r->n_todo < 1 || !r->todo) return 0;
    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): classify() filled todo[0..n_todo) */
    int64_t a = cpe_wfc_fold_start(r->from, r->todo[0]);
    int64_t b = cpe_wfc_fold_start(r->from, r->todo[r->n_todo - 1]) + CPE_WFC_WEEK_MS;
    int64_t purge = r->c.purge_h * CPE_MS_PER_HOUR, train = r->c.train_days * CPE_MS_PER_DAY;
    cpe_mldata_t m = {0};
    cpe_wf_plan_t *pl = malloc((size_t)r->n_todo * sizeof *pl);
    int rc = pl ? 0 : cpe_diag_set(d, CPE_ENOMEM, "walk-forward: out of memory");
    report(r, "loading data");
    if (!rc && (rc = cancelled(r, d)) == 0)
        rc = cpe_mldata_load(r->st, r->sym, a - purge - train, b, 5 * CPE_MS_PER_MIN,
                             CPE_MLDATA_WARMUP_MS, &m, d);
    if (!rc) rc = cancelled(r, d); /* the load is not interruptible: look again after it */
    if (!rc && m.v.n < 2) rc = cpe_diag_set(d, CPE_EDATA, "walk-forward: no rows");
    if (!rc) rc = make_plans(r, &m.v, pl, d);
    r->t_train = cpe_now_ms();
    if (!rc) report(r, "training");
    if (!rc) rc = cpe_wfc_train_parallel(&m, &r->c, pl, r->n_todo, r->o, sink, r, d);
    free(pl);
    cpe_mldata_free(&m);
    return rc;
}

int cpe_wfc_ensure(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                   const int *hs, int nh, const cpe_wfc_opts_t *o, cpe_wfc_progress_t *out,
                   cpe_diag_t *d)
{
    cpe_wfc_opts_t def;
    if (!o) cpe_wfc_opts_default(&def), o = &def;
    run_t r;
    memset(&r, 0, sizeof r);
    r.st = st, r.sym = symbol, r.o = o, r.from = from_ms, r.t_start = cpe_now_ms();
    r.n = r.pr.folds_total = cpe_wfc_fold_count(from_ms, to_ms);
    if (r.n < 1 || r.n > CPE_WF_MAX_FOLDS)
        return cpe_diag_set(d, CPE_EINVAL, "walk-forward: %d weekly folds (1..%d allowed)", r.n,
                            CPE_WF_MAX_FOLDS);
    fold_config(symbol, o, &r.c, &r.cfg);
    report(&r, "checking");
    int64_t in0 = input_from(&r.c, cpe_wfc_fold_start(from_ms, 0));
    int64_t in1 = cpe_wfc_fold_start(from_ms, r.n - 1) + CPE_WFC_WEEK_MS;
    size_t nd = (size_t)((in1 - in0) / CPE_MS_PER_DAY);
    uint64_t *dg = malloc(nd * sizeof *dg);
    r.fp = malloc((size_t)r.n * sizeof *r.fp);
    r.state = malloc((size_t)r.n * sizeof *r.state);
    r.todo = malloc((size_t)r.n * sizeof *r.todo);
    int rc = 0;
    if (!dg || !r.fp || !r.state || !r.todo) {
        rc = CPE_ENOMEM;
        cpe_diag_set(d, rc, "out of memory");
    } else {
        rc = day_digests(st, symbol, in0, in1, dg, d);
    }
    for (int k = 0; k < r.n && !rc && r.fp; k++) {
        int64_t t = cpe_wfc_fold_start(from_ms, k);
        size_t d0 = (size_t)((input_from(&r.c, t) - in0) / CPE_MS_PER_DAY);
        size_t d1 = (size_t)((t + CPE_WFC_WEEK_MS - in0) / CPE_MS_PER_DAY);
        r.fp[k] = fnv(FNV0, dg + d0, (d1 - d0) * sizeof *dg);
    }
    if (!rc) classify(&r, to_ms, hs, nh);
    if (!rc && r.n_todo) rc = train_missing(&r, d);
    if (!rc) rc = cancelled(&r, d);
    if (!rc) report(&r, "done");
    if (out) *out = r.pr;
    free(dg);
    free(r.fp);
    free(r.state);
    free(r.todo);
    return rc;
}
