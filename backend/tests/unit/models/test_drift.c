/* test_drift.c — the model drift score (models/drift.c): PSI against hand-computed values,
 * decile references on the most important columns, and the live ring's incremental counts
 * (a full turn of the ring replaces every minute). */
#include "cpe/drift.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_psi_by_hand(void)
{
    double u[CPE_DRIFT_BINS], half[CPE_DRIFT_BINS];
    for (int b = 0; b < CPE_DRIFT_BINS; b++) {
        u[b] = 0.1;
        half[b] = b < 5 ? 0.2 : 0;
    }
    CHECK_NEAR(cpe_drift_psi(u, u, CPE_DRIFT_BINS), 0, 0);
    /* 0.1 ln(0.6/0.5) + (-0.1) ln(0.4/0.5) */
    CHECK_NEAR(cpe_drift_psi((double[]){0.6, 0.4}, (double[]){0.5, 0.5}, 2), 0.040546510810816436,
               1e-15);
    /* the lower half only: 5 (0.1) ln 2 + 5 (1e-4 - 0.1) ln(1e-4 / 0.1), empty bins floored */
    CHECK_NEAR(cpe_drift_psi(half, u, CPE_DRIFT_BINS), 3.79699735213155, 1e-12);
    /* symmetric in its two arguments */
    CHECK_NEAR(cpe_drift_psi(u, half, CPE_DRIFT_BINS), 3.79699735213155, 1e-12);
}

#define N 1000
#define NC 4

/* Column 0: 0..999; 1: the same reversed; 2: all missing; 3: 0..999 but importance 0. */
static void fit(cpe_drift_ref_t *ref)
{
    static double X[N * NC];
    size_t rows[N];
    for (size_t i = 0; i < N; i++) {
        rows[i] = i;
        X[i * NC + 0] = (double)i;
        X[i * NC + 1] = (double)(N - 1 - i) / 1000.0;
        X[i * NC + 2] = NAN;
        X[i * NC + 3] = (double)i;
    }
    static const char *const names[NC] = {"a", "b", "missing", "unused"};
    const double imp[NC] = {0.5, 2.0, 9.0, 0};
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_drift_ref_fit(ref, X, NC, names, rows, N, imp, &d), 0);
}

static void test_reference_is_the_deciles_of_the_most_important_columns(void)
{
    cpe_drift_ref_t ref;
    fit(&ref);
    CHECK_EQ_INT(ref.k, 2); /* "missing" has no values, "unused" no importance */
    CHECK_STR(ref.f[0].name, "b");
    CHECK_STR(ref.f[1].name, "a");
    CHECK_NEAR(ref.f[0].importance, 2.0, 0);
    for (int b = 0; b < CPE_DRIFT_BINS - 1; b++) {
        CHECK_NEAR(ref.f[1].edges[b], 100.0 * (b + 1), 0);
        CHECK_NEAR(ref.f[0].edges[b], 0.1 * (b + 1), 1e-12);
    }
    for (int b = 0; b < CPE_DRIFT_BINS; b++)
        CHECK_NEAR(ref.f[1].share[b], 0.1, 1e-12);
    CHECK_EQ_INT(cpe_drift_bin(&ref.f[1], -5), 0);
    CHECK_EQ_INT(cpe_drift_bin(&ref.f[1], 100), 1);
    CHECK_EQ_INT(cpe_drift_bin(&ref.f[1], 1e9), CPE_DRIFT_BINS - 1);
    CHECK_EQ_INT(cpe_drift_bin(&ref.f[1], NAN), -1);
}

static void test_live_ring_scores_incrementally(void)
{
    cpe_drift_ref_t ref;
    fit(&ref);
    cpe_drift_live_t *l = malloc(sizeof *l);
    CHECK(l != NULL);
    if (!l) return;
    cpe_drift_live_reset(l);
    double score, wpsi;
    int worst;
    CHECK_EQ_INT(cpe_drift_live_score(l, &ref, &score, &worst, &wpsi), CPE_ENOTFOUND);
    CHECK(isnan(score));
    /* the training distribution itself: 0 */
    for (int i = 0; i < N; i++) {
        double x[2] = {(double)(N - 1 - i) / 1000.0, (double)i};
        cpe_drift_live_push(l, &ref, x);
    }
    CHECK_EQ_INT(cpe_drift_live_score(l, &ref, &score, &worst, &wpsi), 0);
    CHECK_NEAR(score, 0, 1e-15);
    /* a full turn of the ring with feature a stuck in its lowest bin and b missing: b keeps
     * too few values (left out), a scores 0.9 ln 10 + 9 (1e-4 - 0.1) ln(1e-3) */
    for (int i = 0; i < CPE_DRIFT_RING; i++)
        cpe_drift_live_push(l, &ref, (double[]){NAN, -1.0});
    CHECK_EQ_INT(l->n, CPE_DRIFT_RING);
    CHECK_EQ_INT(l->valid[0], 0);
    CHECK_EQ_INT(l->valid[1], CPE_DRIFT_RING);
    CHECK_EQ_INT(cpe_drift_live_score(l, &ref, &score, &worst, &wpsi), 0);
    CHECK_NEAR(score, 8.283089355027482, 1e-12);
    CHECK_EQ_INT(worst, 1);
    CHECK_NEAR(wpsi, score, 0);
    /* half a turn back at the training distribution for both: a is the mean of two */
    for (int i = 0; i < CPE_DRIFT_RING / 2; i++)
        cpe_drift_live_push(l, &ref, (double[]){(double)(i % N) / 1000.0, (double)(i % N)});
    CHECK_EQ_INT(l->valid[0], CPE_DRIFT_RING / 2);
    double s2, w2;
    CHECK_EQ_INT(cpe_drift_live_score(l, &ref, &s2, &worst, &w2), 0);
    CHECK(s2 > 0 && s2 < score);
    CHECK_EQ_INT(worst, 1);
    free(l);
}

/* Rows of names {"x", "a", "b"}: the tracker finds a and b among them and pushes their
 * bins; a ring saved and parsed back scores and continues exactly as the original. */
static void test_saved_ring_restores_exactly(void)
{
    cpe_drift_ref_t ref;
    fit(&ref);
    static const char *const names[3] = {"x", "a", "b"};
    cpe_drift_track_t *t = malloc(sizeof *t), *back = malloc(sizeof *back);
    CHECK(t && back);
    if (!t || !back) goto out;
    cpe_drift_track_init(t, &ref, names, 3);
    CHECK_EQ_INT(t->col[0], 2);                    /* b */
    CHECK_EQ_INT(t->col[1], 1);                    /* a */
    for (int i = 0; i < CPE_DRIFT_RING + 300; i++) /* more than a turn: head not at 0 */
        cpe_drift_track_push(t, &ref, 60000LL * i,
                             (double[]){7, (double)((i * 37) % 700), i % 5 ? 0.3 : NAN});
    CHECK(isfinite(t->score));
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(cpe_drift_state_json(t, &ref, "V1", &b), 0);
    cpe_diag_t d = {0};
    cpe_drift_track_init(back, &ref, names, 3);
    CHECK_EQ_INT(cpe_drift_state_parse(back, &ref, "V2", b.data, b.len, &d), CPE_ENOTFOUND);
    CHECK_EQ_INT(back->live.n, 0); /* another model's ring is not taken */
    CHECK_EQ_INT(cpe_drift_state_parse(back, &ref, "V1", b.data, b.len, &d), 0);
    CHECK_EQ_INT(back->live.n, CPE_DRIFT_RING);
    CHECK(back->last_ts_ms == t->last_ts_ms);
    CHECK_NEAR(back->score, t->score, 0);
    CHECK_EQ_INT(back->worst, t->worst);
    CHECK(!memcmp(back->live.count, t->live.count, sizeof t->live.count));
    for (int i = 0; i < 500; i++) { /* the oldest minutes leave in the same order */
        const double row[3] = {7, (double)((i * 91) % 1000), (double)(i % 10) / 10.0};
        cpe_drift_track_push(t, &ref, 60000LL * i, row);
        cpe_drift_track_push(back, &ref, 60000LL * i, row);
        CHECK(back->score == t->score);
    }
    /* bad text: named, and the ring left as it was */
    static const char *const bad[] = {
        "[]", "{\"format\":1}",
        "{\"format\":1,\"model_version\":\"V1\","
        "\"features\":[\"b\",\"a\"],\"last_ts_ms\":1,\"ring\":\"0x\"}",
        "{\"format\":1,\"model_version\":\"V1\",\"features\":[\"b\","
        "\"a\"],\"last_ts_ms\":1,\"ring\":\"012\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ_INT(cpe_drift_state_parse(back, &ref, "V1", bad[i], strlen(bad[i]), &d),
                     CPE_EPARSE);
        CHECK(strstr(d.msg, "drift state") != NULL);
        CHECK_EQ_INT(back->live.n, CPE_DRIFT_RING);
    }
    cpe_buf_free(&b);
out:
    free(t);
    free(back);
}

int main(void)
{
    RUN(test_psi_by_hand);
    RUN(test_reference_is_the_deciles_of_the_most_important_columns);
    RUN(test_live_ring_scores_incrementally);
    RUN(test_saved_ring_restores_exactly);
    return TEST_DONE();
}
