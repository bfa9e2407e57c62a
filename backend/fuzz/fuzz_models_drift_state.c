/* fuzz_models_drift_state.c — libFuzzer harness: the saved drift ring parser
 * (models/drift.c cpe_drift_state_parse) over a file of at most 1 MiB. Checked: a refusal
 * names the drift state and leaves the ring as it was; an accepted ring holds at most
 * CPE_DRIFT_RING minutes, its counts add up to its valid values, and written back and
 * parsed again it is the same ring. */
#include "cpe/drift.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reference(cpe_drift_ref_t *ref)
{
    memset(ref, 0, sizeof *ref);
    static const char *const names[] = {"rv_1h", "ret_24h", "funding_z"};
    ref->k = 3;
    for (int i = 0; i < ref->k; i++) {
        strcpy(ref->f[i].name, names[i]);
        for (int b = 0; b < CPE_DRIFT_BINS; b++) {
            if (b < CPE_DRIFT_BINS - 1) ref->f[i].edges[b] = b;
            ref->f[i].share[b] = 1.0 / CPE_DRIFT_BINS;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024 * 1024) return 0;
    static cpe_drift_ref_t ref;
    static cpe_drift_track_t t, back;
    static const char *const cols[] = {"funding_z", "rv_1h", "ret_24h"};
    reference(&ref);
    cpe_drift_track_init(&t, &ref, cols, 3);
    cpe_diag_t d = {0};
    int rc = cpe_drift_state_parse(&t, &ref, "V1", (const char *)data, size, &d);
    if (rc) {
        if (rc != CPE_EPARSE && rc != CPE_ENOTFOUND) abort();
        if (!strstr(d.msg, "drift state") || t.live.n != 0) abort();
        return 0;
    }
    if (t.live.n < 0 || t.live.n > CPE_DRIFT_RING) abort();
    for (int i = 0; i < CPE_DRIFT_K; i++) {
        int sum = 0;
        for (int b = 0; b < CPE_DRIFT_BINS; b++)
            sum += t.live.count[i][b];
        if (sum != t.live.valid[i] || sum > t.live.n) abort();
    }
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    if (cpe_drift_state_json(&t, &ref, "V1", &b)) abort();
    cpe_drift_track_init(&back, &ref, cols, 3);
    if (cpe_drift_state_parse(&back, &ref, "V1", b.data, b.len, &d)) abort();
    if (back.live.n != t.live.n || back.last_ts_ms != t.last_ts_ms ||
        memcmp(back.live.count, t.live.count, sizeof t.live.count))
        abort();
    cpe_buf_free(&b);
    return 0;
}
