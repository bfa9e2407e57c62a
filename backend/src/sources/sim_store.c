/* sim_store.c — step a simulator and upsert what it produces into a store
 * (series layout: cpe/sim.h). */
#include "cpe/sim.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_SPOT, S_PERP, S_OI, S_LSR, S_FUNDING, S_LIQ, S_N };

static const struct {
    const char *market; /* "spot" / "perp" */
    const char *kind;
    int64_t interval_ms;
} series_rows[S_N] = {
    {"spot", "kline:1m", CPE_MS_PER_MIN},     {"perp", "kline:1m", CPE_MS_PER_MIN},
    {"perp", "oi", 5 * CPE_MS_PER_MIN},       {"perp", "lsr", 5 * CPE_MS_PER_MIN},
    {"perp", "funding", 8 * CPE_MS_PER_HOUR}, {"perp", "liq", 0},
};

typedef struct buf {
    void *v;
    size_t n, cap, elem;
} buf_t;

static int buf_add(buf_t *b, const void *x)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1440;
        void *p = realloc(b->v, nc * b->elem);
        if (!p) return CPE_ENOMEM;
        b->v = p;
        b->cap = nc;
    }
    memcpy((char *)b->v + b->n * b->elem, x, b->elem);
    b->n++;
    return 0;
}

typedef struct writer {
    cpe_store_t *st;
    int64_t id[CPE_SIM_MAX_SYMBOLS][S_N];
    buf_t b[CPE_SIM_MAX_SYMBOLS][S_N];
    size_t nsym;
    cpe_sim_write_stats_t *stats;
} writer_t;

static void add_stats(cpe_sim_write_stats_t *t, const cpe_upsert_stats_t *u)
{
    t->inserted += u->inserted;
    t->updated += u->updated;
    t->unchanged += u->unchanged;
}

static int flush(writer_t *w)
{
    for (size_t i = 0; i < w->nsym; i++)
        for (int k = 0; k < S_N; k++) {
            buf_t *b = &w->b[i][k];
            if (!b->n) continue;
            cpe_upsert_stats_t u = {0};
            int rc = k <= S_PERP ? w->st->ops->put_klines(w->st, w->id[i][k], b->v, b->n, &u)
                                 : w->st->ops->put_points(w->st, w->id[i][k], b->v, b->n, &u);
            if (rc) return rc;
            add_stats(w->stats, &u);
            b->n = 0;
        }
    return 0;
}

static int collect(writer_t *w, const cpe_sim_minute_t *m)
{
    int rc = 0;
    for (size_t i = 0; i < m->nsym && !rc; i++) {
        const cpe_sim_out_t *o = &m->sym[i];
        buf_t *b = w->b[i];
        rc = buf_add(&b[S_SPOT], &o->spot);
        if (!rc) rc = buf_add(&b[S_PERP], &o->perp);
        w->stats->klines += 2;
        if (!rc && o->has_oi) rc = buf_add(&b[S_OI], &o->oi), w->stats->oi++;
        if (!rc && o->has_lsr) rc = buf_add(&b[S_LSR], &o->lsr), w->stats->lsr++;
        if (!rc && o->has_funding) rc = buf_add(&b[S_FUNDING], &o->funding), w->stats->funding++;
        for (size_t k = 0; k < o->nliq && !rc; k++)
            rc = buf_add(&b[S_LIQ], &o->liq[k]);
        w->stats->liq += o->nliq;
    }
    return rc;
}

int cpe_sim_write(cpe_store_t *st, cpe_sim_t *sim, size_t minutes, cpe_sim_write_stats_t *stats,
                  cpe_diag_t *d)
{
    cpe_sim_write_stats_t dummy;
    writer_t w;
    memset(&w, 0, sizeof w);
    w.st = st;
    w.stats = stats ? stats : &dummy;
    memset(w.stats, 0, sizeof *w.stats);
    cpe_sim_minute_t *m = malloc(sizeof *m);
    if (!m) return cpe_diag_set(d, CPE_ENOMEM, "simulate: out of memory");
    int rc = st->ops->begin(st);
    int began = rc == 0;
    w.nsym = cpe_sim_nsym(sim);
    for (size_t i = 0; i < w.nsym && !rc; i++)
        for (int k = 0; k < S_N && !rc; k++) {
            char key[CPE_INSTR_KEY_MAX];
            snprintf(key, sizeof key, "sim:%s:%s", series_rows[k].market,
                     cpe_sim_symbol_name(sim, i));
            w.b[i][k].elem = k <= S_PERP ? sizeof(cpe_kline_t) : sizeof(cpe_point_t);
            rc = st->ops->series_id(st, key, series_rows[k].kind, series_rows[k].interval_ms, 1, 1,
                                    &w.id[i][k]);
        }
    if (!rc) rc = st->ops->set_meta(st, "simulated", "1");
    int64_t day = cpe_day_start_ms(cpe_sim_next_ts(sim));
    for (size_t t = 0; t < minutes && !rc; t++) {
        rc = cpe_sim_step(sim, m);
        if (rc) break;
        if (cpe_day_start_ms(m->ts_ms) != day) {
            rc = flush(&w);
            day = cpe_day_start_ms(m->ts_ms);
            if (rc) break;
        }
        rc = collect(&w, m);
        w.stats->minutes++;
    }
    if (!rc) rc = flush(&w);
    if (began) {
        if (rc)
            st->ops->rollback(st);
        else
            rc = st->ops->commit(st);
    }
    if (rc) {
        if (rc == CPE_ENOMEM)
            cpe_diag_set(d, rc, "simulate: out of memory");
        else
            cpe_diag_set(d, rc, "simulate: store: %s",
                         st->diag.msg[0] ? st->diag.msg : cpe_strerror(rc));
    }
    for (size_t i = 0; i < CPE_SIM_MAX_SYMBOLS; i++)
        for (int k = 0; k < S_N; k++)
            free(w.b[i][k].v);
    free(m);
    return rc;
}
