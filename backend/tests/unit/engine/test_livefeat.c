/* test_livefeat.c — the live clock's streamed features equal the batch: at every bar the
 * stream reaches (one bar at a time, several at once, after a rebuild), its feature vector
 * is bit for bit the last row of cpe_dataset_build() over the same bars, with every side
 * series the simulator writes (perp closes, OI, long/short, funding, liquidations). */
#include "cpe/dataset.h"
#include "cpe/livefeat.h"
#include "cpe/sim.h"
#include "cpe/timeutil.h"
#include "test.h"
#include "test_bars.h"

#include <math.h>
#include <string.h>

#define T0 1704067200000LL /* 2024-01-01 00:00 UTC */
#define MIN 60000LL
#define DAYS 3

static cpe_store_t *sim_store(const char *name)
{
    cpe_store_t *st = test_store_new(name);
    cpe_diag_t d = {0};
    if (!st) return NULL;
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    cpe_sim_config_t c;
    cpe_sim_t *sim = NULL;
    cpe_sim_write_stats_t ws;
    CHECK(cpe_sim_config_default(&c, syms, 2, 11, T0, &d) == 0);
    CHECK(cpe_sim_new(&c, &sim, &d) == 0);
    CHECK_MSG(cpe_sim_write(st, sim, DAYS * 1440, &ws, &d) == 0, "%s", d.msg);
    cpe_sim_free(sim);
    return st;
}

/* Bit-identical vectors (NaN where NaN). */
static int same(const double *a, const double *b, size_t n, size_t *at)
{
    for (size_t j = 0; j < n; j++) {
        if (isnan(a[j]) && isnan(b[j])) continue;
        if (memcmp(&a[j], &b[j], sizeof a[j])) {
            *at = j;
            return 0;
        }
    }
    return 1;
}

/* The stream's features at its newest bar against the batch from first_ms to that bar. */
static int equals_batch(cpe_store_t *st, const cpe_livefeat_t *lf, int64_t first_ms)
{
    cpe_dataset_opts_t o = {MIN, -1, -1, 0};
    cpe_dataset_t ds;
    cpe_diag_t d = {0};
    int rc = cpe_dataset_build(st, "BTCUSDT", first_ms, lf->last_ts + MIN, &o, &ds, &d);
    CHECK_MSG(rc == 0, "batch: %s", d.msg);
    if (rc) return 0;
    size_t at = 0;
    int ok = ds.n > 0 && ds.ts_ms[ds.n - 1] == lf->last_ts &&
             same(lf->x, ds.X + (ds.n - 1) * ds.ncol, ds.ncol, &at);
    if (!ok)
        fprintf(stderr, "  bar %lld: feature %s: stream %.17g, batch %.17g\n",
                (long long)lf->last_ts, cpe_feature_def(at)->name, lf->x[at],
                ds.n ? ds.X[(ds.n - 1) * ds.ncol + at] : NAN);
    /* the closes the hourly returns read */
    cpe_mlview_t v;
    cpe_livefeat_view(lf, &v);
    if (ok && (v.n != ds.n || memcmp(v.close, ds.close, ds.n * sizeof *ds.close))) {
        fprintf(stderr, "  bar %lld: closes differ (%zu / %zu rows)\n", (long long)lf->last_ts, v.n,
                ds.n);
        ok = 0;
    }
    cpe_dataset_free(&ds);
    return ok;
}

static void test_streamed_features_equal_the_batch_at_every_bar(void)
{
    cpe_store_t *st = sim_store("livefeat");
    cpe_livefeat_t lf;
    cpe_livefeat_init(&lf, "BTC");
    cpe_diag_t d = {0};
    int64_t bar = T0 + 2 * CPE_MS_PER_DAY + 17 * MIN;
    CHECK_MSG(cpe_livefeat_advance(&lf, st, bar, &d) == 0, "%s", d.msg);
    CHECK(lf.builds == 1 && lf.last_ts == bar && !strcmp(lf.instrument, "sim:spot:BTCUSDT"));
    CHECK(equals_batch(st, &lf, T0));
    /* a bar at a time over an hour boundary (hourly funding checks, OI samples), then steps
     * of several bars: no rebuild, the batch's values every time */
    int bad = 0, prev_kept = 1;
    double *was = malloc(lf.ncol * sizeof *was);
    for (int i = 1; i <= 70; i++) {
        memcpy(was, lf.x, lf.ncol * sizeof *was);
        bar += i <= 60 ? MIN : 7 * MIN;
        CHECK(cpe_livefeat_advance(&lf, st, bar, &d) == 0);
        if (!equals_batch(st, &lf, T0)) bad++;
        /* the bar before, as it was at its own close (the explanation's "previous") */
        size_t at;
        if (i <= 60 && !(lf.has_prev && same(lf.x_prev, was, lf.ncol, &at))) prev_kept = 0;
    }
    free(was);
    CHECK_EQ_INT(bad, 0);
    CHECK(prev_kept);
    CHECK(lf.builds == 1);
    CHECK(lf.pushed > 0);
    /* asked for the same bar again: nothing to do */
    long pushed = lf.pushed;
    CHECK(cpe_livefeat_advance(&lf, st, bar, &d) == 0 && lf.pushed == pushed);
    /* an older bar cannot be streamed to: a rebuild, the batch's values again */
    CHECK(cpe_livefeat_advance(&lf, st, bar - 90 * MIN, &d) == 0);
    CHECK(lf.builds == 2 && lf.last_ts == bar - 90 * MIN);
    CHECK(equals_batch(st, &lf, T0));
    cpe_livefeat_free(&lf);
    cpe_store_close(st);
}

static void test_no_bars_is_not_found(void)
{
    cpe_store_t *st = sim_store("livefeat_none");
    cpe_livefeat_t lf;
    cpe_livefeat_init(&lf, "SOL");
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_livefeat_advance(&lf, st, T0 + CPE_MS_PER_DAY, &d), CPE_ENOTFOUND);
    CHECK(lf.f == NULL);
    cpe_livefeat_free(&lf);
    cpe_store_close(st);
}

int main(void)
{
    RUN(test_streamed_features_equal_the_batch_at_every_bar);
    RUN(test_no_bars_is_not_found);
    return TEST_DONE();
}
