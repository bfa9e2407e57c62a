/* mldata.c — the models' feature table: a thin adapter over the store feature matrix of
 * dataset.h (sampled on a grid anchored at the last bar) with the feature names of
 * features.h, plus the last-bar lookup the CLI needs for default ranges. */
#include "cpe/mldata.h"

#include "cpe/dataset.h"
#include "cpe/features.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpe_mldata_free(cpe_mldata_t *m)
{
    if (!m) return;
    free(m->ts_ms);
    free(m->close);
    free(m->X);
    if (m->names)
        for (size_t j = 0; j < m->ncol; j++)
            free(m->names[j]);
    free(m->names);
    memset(m, 0, sizeof *m);
}

int cpe_mldata_last_bar(cpe_store_t *st, const char *symbol_in, int64_t *ts_ms, cpe_diag_t *d)
{
    char symbol[32];
    cpe_asset_to_symbol(symbol_in, symbol);
    /* the newest row of any candidate of the universe's rule: its newest 1m bar, or the
     * newest bar of a real coarser series (stamped as a row: open + interval - 1 min, see
     * dataset.h). An old imported history does not hide current bars (and dataset.h then
     * picks the series for the window). Indexed look-ups only. */
    cpe_instrument_t cand[CPE_RESOLVE_MAX];
    size_t nc = cpe_instrument_candidates(symbol, CPE_MARKET_ANY, CPE_PREFER_REAL, cand);
    int rc = CPE_ENOTFOUND;
    for (size_t k = 0; k < nc; k++) {
        char key[CPE_INSTR_KEY_MAX];
        cpe_instrument_key(&cand[k], key);
        for (int coarse = 0; coarse < 2; coarse++) {
            cpe_kline_span_t sp;
            if (cpe_store_kline_probe(st, key, coarse ? CPE_MS_PER_HOUR : CPE_MS_PER_MIN, &sp))
                return cpe_diag_set(d, CPE_ESTORE, "store: cannot read %s: %s", key, st->diag.msg);
            if (!sp.ok || (coarse && (sp.simulated || sp.interval_ms == CPE_MS_PER_MIN)) ||
                (!coarse && sp.interval_ms != CPE_MS_PER_MIN))
                continue;
            int64_t row = sp.last_ts + sp.interval_ms - CPE_MS_PER_MIN;
            if (rc || row > *ts_ms) *ts_ms = row;
            rc = 0;
        }
    }
    if (rc)
        return cpe_diag_set(
            d, rc,
            "%s: no 1m (or real hourly) klines in the store (import data or run `cpe simulate`)",
            symbol);
    return 0;
}

int cpe_mldata_load(cpe_store_t *st, const char *symbol, int64_t from_ms, int64_t to_ms,
                    int64_t step_ms, int64_t warmup_ms, cpe_mldata_t *out, cpe_diag_t *d)
{
    memset(out, 0, sizeof *out);
    if (step_ms <= 0 || 3600000 % step_ms || step_ms % 60000)
        return cpe_diag_set(d, CPE_EINVAL,
                            "sampling step %lld ms must be whole minutes dividing one hour",
                            (long long)step_ms);
    cpe_dataset_opts_t o = {step_ms, warmup_ms > 0 ? warmup_ms : -1, -1, 1};
    cpe_dataset_t ds;
    memset(&ds, 0, sizeof ds);
    int rc = cpe_dataset_build(st, symbol, from_ms, to_ms, &o, &ds, d);
    if (rc) return rc;
    out->names = calloc(ds.ncol ? ds.ncol : 1, sizeof *out->names);
    if (!out->names) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", symbol);
        goto out;
    }
    out->ncol = ds.ncol;
    for (size_t j = 0; j < ds.ncol; j++) {
        const cpe_feature_def_t *f = cpe_feature_def(j);
        if (!(out->names[j] = strdup(f ? f->name : "?"))) {
            rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", symbol);
            goto out;
        }
    }
    out->n = ds.n;
    out->ts_ms = ds.ts_ms, ds.ts_ms = NULL;
    out->close = ds.close, ds.close = NULL;
    out->X = ds.X, ds.X = NULL;
    snprintf(out->instrument, sizeof out->instrument, "%s", ds.instrument);
    out->simulated = ds.simulated;
    out->first_bar_ms = ds.first_bar_ms;
    out->last_bar_ms = ds.last_bar_ms;
    out->bar_ms = ds.bar_ms;
    out->v = (cpe_mlview_t){out->n, out->ncol,  out->ts_ms,
                            out->X, out->close, (const char *const *)out->names};
out:
    cpe_dataset_free(&ds);
    if (rc) cpe_mldata_free(out);
    return rc;
}

int cpe_mldata_load_recent(cpe_store_t *st, const char *sym, int64_t at_ms, cpe_mldata_t *m,
                           cpe_diag_t *d)
{
    int64_t last = 0;
    int rc = cpe_mldata_last_bar(st, sym, &last, d);
    if (rc) return rc;
    if (at_ms != INT64_MAX) {
        int64_t bar = cpe_floor_ms(at_ms, CPE_MS_PER_MIN) - CPE_MS_PER_MIN; /* closed by at */
        if (bar < last) last = bar;
    }
    return cpe_mldata_load(st, sym, last - 11 * CPE_MS_PER_DAY, last + CPE_MS_PER_MIN,
                           CPE_MS_PER_MIN, CPE_MLDATA_WARMUP_MS, m, d);
}
