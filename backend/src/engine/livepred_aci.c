/* livepred_aci.c — the live pipeline's online recalibration of the cone bands: state
 * loaded at start, resolved and offered at each step, saved atomically (see
 * cpe/livepred.h and cpe/aci.h). */
#include "cpe/livepred.h"

#include "cpe/durable.h"
#include "cpe/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAVE_EVERY_MS (5 * CPE_MS_PER_MIN)
#define MAX_STATE (64u << 20)

static void state_path(const cpe_livepred_t *lp, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/aci.json", lp->reg.root, lp->symbol);
}

static int load(cpe_livepred_t *lp, const char *path, cpe_diag_t *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) return CPE_ENOTFOUND;
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 65536 > cap) {
            if (cap >= MAX_STATE) {
                rc = cpe_diag_set(d, CPE_ETOOBIG, "%s: larger than %u bytes", path, MAX_STATE);
                break;
            }
            char *n = realloc(text, cap = cap ? cap * 2 : 262144);
            if (!n) {
                rc = CPE_ENOMEM;
                break;
            }
            text = n;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    if (!rc) {
        rc = cpe_aci_from_json(&lp->aci, text, len, d);
        if (rc) cpe_diag_prefix(d, "%s: ", path);
    }
    free(text);
    return rc;
}

void cpe_livepred_aci_open(cpe_livepred_t *lp)
{
    char path[600];
    cpe_diag_t d = {0};
    state_path(lp, path, sizeof path);
    int rc = load(lp, path, &d);
    if (rc != 0) {
        if (rc != CPE_ENOTFOUND)
            snprintf(lp->last_error, sizeof lp->last_error,
                     "online recalibration restarted: %.200s", d.msg);
        cpe_aci_opts_t o;
        cpe_aci_opts_default(&o);
        if (cpe_aci_init(&lp->aci, &o, NULL) != 0) return;
    }
    lp->aci_ready = 1;
}

void cpe_livepred_aci_before(cpe_livepred_t *lp, cpe_predictor_t *p, int64_t t_close, double close)
{
    if (!lp->aci_ready) return;
    if (close > 0) cpe_aci_observe(&lp->aci, t_close, log(close));
    for (int k = 0; k < p->ms.n_h && k < CPE_ACI_MAX_H; k++) {
        p->band_a[k][0] = lp->aci.h[k].band[0].alpha;
        p->band_a[k][1] = lp->aci.h[k].band[1].alpha;
    }
}

void cpe_livepred_aci_after(cpe_livepred_t *lp, const cpe_prediction_t *out, int n, int64_t now_ms)
{
    if (!lp->aci_ready) return;
    for (int k = 0; k < n && k < CPE_ACI_MAX_H; k++)
        if (!out[k].vol_fallback && !out[k].stale)
            cpe_aci_offer(&lp->aci, k, out[k].horizon_h, out[k].ts_ms,
                          out[k].ts_ms + CPE_MS_PER_MIN, &out[k]);
    if (lp->aci_saved_ms == 0 || now_ms - lp->aci_saved_ms >= SAVE_EVERY_MS) {
        cpe_livepred_aci_save(lp, NULL);
        lp->aci_saved_ms = now_ms;
    }
}

int cpe_livepred_aci_save(cpe_livepred_t *lp, cpe_diag_t *d)
{
    if (!lp->aci_ready) return 0;
    char path[600];
    state_path(lp, path, sizeof path);
    cpe_buf_t b;
    cpe_buf_init(&b, MAX_STATE);
    int rc = cpe_aci_to_json(&lp->aci, &b);
    if (!rc) rc = cpe_write_file_durable(path, b.data, b.len);
    if (rc) rc = cpe_diag_set(d, CPE_EIO, "%s: cannot save the recalibration state", path);
    cpe_buf_free(&b);
    return rc;
}

void cpe_livepred_aci_close(cpe_livepred_t *lp)
{
    if (!lp->aci_ready) return;
    cpe_livepred_aci_save(lp, NULL);
    cpe_aci_free(&lp->aci);
    lp->aci_ready = 0;
}
