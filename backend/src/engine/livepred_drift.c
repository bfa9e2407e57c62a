/* livepred_drift.c — the live pipeline's drift ring: fed each closed minute, saved beside
 * the recalibration state and taken back after a restart when the champion is the same
 * version (see cpe/livepred.h and cpe/drift.h). */
#include "cpe/livepred.h"

#include "cpe/durable.h"
#include "cpe/log.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>

#define SAVE_EVERY_MS (5 * CPE_MS_PER_MIN)
#define MAX_STATE (1u << 20) /* 1,440 x 10 characters and the names */

static void state_path(const cpe_livepred_t *lp, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/drift.json", lp->reg.root, lp->symbol);
}

/* The saved ring, when it is this champion's and its newest minute is less than a ring's
 * length before the bar about to be pushed. */
static void load(cpe_livepred_t *lp, int64_t bar_ts)
{
    char path[600];
    state_path(lp, path, sizeof path);
    cpe_buf_t b;
    cpe_buf_init(&b, MAX_STATE);
    cpe_drift_track_t t = lp->drift;
    cpe_diag_t d = {0};
    if (cpe_buf_read_file(&b, path) != 0) goto out;
    int rc = cpe_drift_state_parse(&t, &lp->pred.ms.drift, lp->pred.version, b.data, b.len, &d);
    if (rc == CPE_EPARSE) cpe_warn("live predictions: %s: %s: %s", lp->symbol, path, d.msg);
    if (rc) goto out;
    if (t.last_ts_ms >= bar_ts || bar_ts - t.last_ts_ms >= CPE_DRIFT_RING * CPE_MS_PER_MIN) {
        cpe_info("live predictions: %s: saved drift ring ends at %lld, too far from %lld: "
                 "starting empty",
                 lp->symbol, (long long)t.last_ts_ms, (long long)bar_ts);
        goto out;
    }
    lp->drift = t;
    cpe_info("live predictions: %s: drift ring of %s restored (%d minutes)", lp->symbol,
             lp->pred.version, t.live.n);
out:
    cpe_buf_free(&b);
}

void cpe_livepred_drift_step(cpe_livepred_t *lp, int64_t now_ms)
{
    const cpe_drift_ref_t *ref = &lp->pred.ms.drift;
    const cpe_livefeat_t *lf = &lp->feat;
    if (strcmp(lp->drift_version, lp->pred.version)) { /* a new champion: new deciles */
        cpe_drift_track_init(&lp->drift, ref, lf->names, lf->ncol);
        snprintf(lp->drift_version, sizeof lp->drift_version, "%s", lp->pred.version);
        if (ref->k) load(lp, lf->last_ts);
    }
    cpe_drift_track_push(&lp->drift, ref, lf->last_ts, lf->x);
    if (lp->drift_saved_ms == 0 || now_ms - lp->drift_saved_ms >= SAVE_EVERY_MS) {
        cpe_livepred_drift_save(lp, NULL);
        lp->drift_saved_ms = now_ms;
    }
}

int cpe_livepred_drift_save(cpe_livepred_t *lp, cpe_diag_t *d)
{
    if (!lp->loaded || !lp->pred.ms.drift.k || strcmp(lp->drift_version, lp->pred.version))
        return 0;
    char path[600];
    state_path(lp, path, sizeof path);
    cpe_buf_t b;
    cpe_buf_init(&b, MAX_STATE);
    int rc = cpe_drift_state_json(&lp->drift, &lp->pred.ms.drift, lp->pred.version, &b);
    if (!rc) rc = cpe_write_file_durable(path, b.data, b.len);
    if (rc) rc = cpe_diag_set(d, CPE_EIO, "%s: cannot save the drift ring", path);
    cpe_buf_free(&b);
    return rc;
}
