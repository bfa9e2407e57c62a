/* cmd_predict.c — `cpe predict`: the spec 5.1 prediction of the champion model (or the
 * stored one at a time), and `--backfill`: walk-forward predictions stored over a range. */
#include "cli/ml_common.h"
#include "cpe/timeutil.h"
#include "cpe/walkforward.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Predictions made after the data ended more than this ago are stale. */
#define STALE_AFTER_MS (10 * CPE_MS_PER_MIN)

static int print_json(const cpe_prediction_t *p, const char *asset, int simulated)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    int rc = cpe_prediction_json(p, asset, simulated, &b);
    if (!rc) printf("%s\n", b.data);
    cpe_buf_free(&b);
    return rc;
}

static int backfill(cpe_args_t *a, const char *sym)
{
    long long from, to;
    long hist_days, days;
    int rc;
    if ((rc = cpe_arg_time(a, "from", INT64_MIN, &from)) ||
        (rc = cpe_arg_time(a, "to", INT64_MAX, &to)) ||
        (rc = cpe_arg_int(a, "history-days", 90, &hist_days)) ||
        (rc = cpe_arg_int(a, "days", 0, &days)))
        return rc;
    if (days > 0 && from == INT64_MIN && to == INT64_MAX) {
        /* the last `days` days of the symbol's bars in the store */
        cpe_store_t *st = NULL;
        cpe_diag_t d = {0};
        int64_t last = 0;
        if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
        rc = cpe_mldata_last_bar(st, sym, &last, &d);
        cpe_store_close(st);
        if (rc) return cpe_cli_fail(a, 1, "%s", d.msg);
        to = last + CPE_MS_PER_MIN;
        from = to - days * CPE_MS_PER_DAY;
    } else if (days > 0) {
        return cpe_cli_fail(a, 2, "--days replaces --from and --to: give one or the other");
    }
    if (from == INT64_MIN || to == INT64_MAX || from >= to)
        return cpe_cli_fail(a, 2,
                            "--backfill needs --from ISO and --to ISO (from < to), or --days N");
    cpe_wf_config_t c;
    if ((rc = ml_wf_options(a, &c))) return rc;
    snprintf(c.symbol, sizeof c.symbol, "%s", sym);
    /* --explain: each prediction's explanation stored beside it (GET /explain at that bar;
     * ~2.5 KB a record: a week of 4 horizons is ~20 MB, a year ~1 GB) */
    c.keep_explanations = cpe_arg_flag(a, "explain");
    int64_t test_ms = c.test_days * CPE_MS_PER_DAY;
    c.folds = (int)((to - from + test_ms - 1) / test_ms);
    if (c.folds > CPE_WF_MAX_FOLDS)
        return cpe_cli_fail(a, 2, "range too long for %d folds", CPE_WF_MAX_FOLDS);
    cpe_store_t *st = NULL;
    cpe_mldata_t m = {0};
    cpe_wf_result_t res = {0};
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    /* The folds are anchored at the end of the rows, so the rows end where the range does,
     * rounded up to whole test windows from `from`. */
    int64_t end = from + (int64_t)c.folds * test_ms;
    if (cpe_mldata_load(st, sym, from - hist_days * CPE_MS_PER_DAY, end, 5 * CPE_MS_PER_MIN,
                        CPE_MLDATA_WARMUP_MS, &m, &d) ||
        cpe_wf_run(&m.v, &c, &res, NULL, NULL, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    size_t put = 0;
    st->ops->begin(st);
    for (size_t i = 0; i < res.n_records; i++) {
        const cpe_prediction_t *p = &res.records[i];
        if (p->ts_ms < from || p->ts_ms >= to) continue;
        const char *ex = res.explain_off ? res.explain_text.data + res.explain_off[i] : NULL;
        if (st->ops->put_prediction(st, p, ex && *ex ? ex : NULL)) {
            st->ops->rollback(st);
            rc = cpe_cli_fail(a, 1, "%s", st->diag.msg);
            goto out;
        }
        put++;
    }
    if (st->ops->commit(st)) {
        rc = cpe_cli_fail(a, 1, "%s", st->diag.msg);
        goto out;
    }
    printf("%s: stored %zu walk-forward predictions%s (%d folds, each from a model trained only "
           "on outcomes before its window)\n",
           sym, put, c.keep_explanations ? " with their explanations" : "", res.plan.n);
out:
    cpe_wf_result_free(&res);
    cpe_mldata_free(&m);
    cpe_store_close(st);
    return rc;
}

static int run_predict(cpe_args_t *a)
{
    static const char *const known[] = {
        "asset",     "symbol",  "horizon",      "at",      "models",     "paths", "backfill",
        "from",      "to",      "history-days", "folds",   "train-days", "days",  "explain",
        "test-days", "purge-h", "embargo-h",    "rolling", "max-rounds", NULL};
    int rc = cpe_args_check(a, known);
    if (rc) return rc;
    char sym[32], asset[16];
    if ((rc = ml_symbol(a, sym, asset))) return rc;
    if (cpe_arg_flag(a, "backfill")) return backfill(a, sym);
    int h;
    long long at;
    long paths;
    if ((rc = ml_horizon(a, &h)) || (rc = cpe_arg_time(a, "at", INT64_MAX, &at)) ||
        (rc = cpe_arg_int(a, "paths", CPE_CONE_PATHS, &paths)))
        return rc;
    cpe_store_t *st = NULL;
    cpe_mldata_t m = {0};
    cpe_predictor_t p = {0};
    cpe_diag_t d = {0};
    double *x = NULL, r[240];
    if (cpe_store_open(a->db, &st, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    if (at != INT64_MAX) {
        cpe_prediction_t rec;
        if (st->ops->get_prediction(st, sym, h, at, &rec, NULL) == 0 &&
            rec.ts_ms >= at - 10 * CPE_MS_PER_MIN) {
            rc = print_json(&rec, asset, 0) ? cpe_cli_fail(a, 1, "output too large") : 0;
            goto out;
        }
    }
    cpe_registry_t reg;
    cpe_registry_init(&reg, cpe_arg_str(a, "models"));
    if (cpe_predictor_open(&p, &reg, sym, NULL, (int)paths, &d) ||
        cpe_mldata_load_recent(st, sym, at, &m, &d)) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    if (at != INT64_MAX && p.ms.label_cutoff_ms > at) {
        char c[32];
        cpe_format_iso8601(p.ms.label_cutoff_ms, c);
        fprintf(stderr,
                "cpe predict: note: model %s knows outcomes up to %s, after --at; this is "
                "not what a model could have said then (use `cpe predict --backfill`)\n",
                p.version, c);
    }
    x = malloc(p.ms.ncol * sizeof *x);
    if (!x) {
        rc = cpe_cli_fail(a, 1, "out of memory");
        goto out;
    }
    cpe_pred_input_t in;
    cpe_predictor_input(&p, &m, m.n - 1, x, r, &in);
    int64_t ref = at != INT64_MAX ? at : cpe_now_ms();
    in.stale = ref - (in.ts_ms + CPE_MS_PER_MIN) > STALE_AFTER_MS;
    cpe_prediction_t out;
    if (cpe_predictor_predict(&p, &in, &h, 1, &out, &d) != 0) {
        rc = cpe_cli_fail(a, 1, "%s", d.msg);
        goto out;
    }
    rc = print_json(&out, asset, m.simulated) ? cpe_cli_fail(a, 1, "output too large") : 0;
out:
    free(x);
    cpe_predictor_close(&p);
    cpe_mldata_free(&m);
    cpe_store_close(st);
    return rc;
}

const cpe_command_t cpe_cmddef_predict = {
    "predict", "the champion model's prediction (spec 5.1 JSON), or a backfill of stored ones",
    "usage: cpe predict --asset BTC --horizon 4 [--at ISO] [--models DIR] [--paths 10000]\n"
    "       cpe predict --asset BTC --backfill (--from ISO --to ISO | --days N) [--explain]\n"
    "                   [--history-days 90]\n"
    "                   [walk-forward options of `cpe evaluate`]\n\n"
    "Without --at: the prediction at the close of the last bar in the store (stale: true when\n"
    "that bar closed more than 10 minutes ago). With --at: the stored prediction made at the\n"
    "latest bar close <= at (within 10 minutes), else computed as of that time from the data\n"
    "up to then with the current champion (a note says when that model was trained on later\n"
    "outcomes).\n"
    "--backfill stores predictions every 5 minutes over [from, to) (or the last N days of the\n"
    "symbol's bars) for replay and backtests, with --explain their explanations too (GET\n"
    "/explain, hovering a bar; ~2.5 KB each: a week is ~20 MB, a year ~1 GB),\n"
    "each from a walk-forward model trained only on outcomes before its 7-day window (rows\n"
    "from --history-days before --from on), never from a model that saw later data.",
    run_predict};
