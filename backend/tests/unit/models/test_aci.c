/* test_aci.c — adaptive conformal inference: as-of resolution, the update by hand, the
 * long-run coverage guarantee, coverage buckets, determinism and the JSON round trip. */
#include "cpe/aci.h"
#include "cpe/rng.h"
#include "cpe/scores.h"
#include "cpe/timeutil.h"
#include "test.h"

static const int HORIZON_MIN[CPE_ACI_MAX_H] = {60, 240, 480, 1440};

static void init_default(cpe_aci_t *a)
{
    cpe_aci_opts_t o;
    cpe_aci_opts_default(&o);
    CHECK_EQ_INT(cpe_aci_init(a, &o, NULL), 0);
}

static void push_band(cpe_aci_t *a, int k, int64_t ts, int64_t end, double lnc, double half1,
                      double half2)
{
    double lo[2] = {-half1, -half2}, hi[2] = {half1, half2};
    CHECK_EQ_INT(cpe_aci_push(a, k, ts, end, lnc, lo, hi, NULL), 0);
}

static void test_aci_starts_at_the_targets(void)
{
    cpe_aci_t a;
    init_default(&a);
    for (int k = 0; k < CPE_ACI_MAX_H; k++) {
        CHECK_NEAR(a.h[k].band[0].alpha, 0.3173, 1e-4);
        CHECK_NEAR(a.h[k].band[1].alpha, 0.0455, 1e-4);
        CHECK(a.h[k].band[0].alpha == a.h[k].band[0].target);
    }
    cpe_aci_free(&a);
    cpe_aci_free(&a); /* zeroed: no-op */
    cpe_aci_free(NULL);
}

/* An outcome H hours late is not used a millisecond before its label end. */
static void test_aci_outcome_not_used_before_label_end(void)
{
    cpe_aci_t a;
    init_default(&a);
    const int64_t end = 4 * CPE_MS_PER_HOUR;
    push_band(&a, 1, 0, end, 10.0, 0.01, 0.02);
    double a1 = a.h[1].band[0].alpha, a2 = a.h[1].band[1].alpha;
    CHECK_EQ_INT(cpe_aci_observe(&a, end - 1, 10.5), 0); /* a miss, but not yet known */
    CHECK(a.h[1].band[0].alpha == a1 && a.h[1].band[1].alpha == a2);
    CHECK_EQ_INT(a.h[1].band[0].updates, 0);
    CHECK_EQ_INT(a.h[1].len, 1);
    CHECK_EQ_INT(cpe_aci_observe(&a, end, 10.5), 0);
    CHECK_EQ_INT(a.h[1].len, 0);
    CHECK_EQ_INT(a.h[1].band[0].updates, 1);
    /* y = 0.5 outside both bands: alpha + gamma_b (target - 1), gamma_b = gamma t_b / t_0 */
    const double g1 = 0.005 * a.h[1].band[1].target / a.h[1].band[0].target;
    CHECK(a.h[1].band[0].alpha == a1 + 0.005 * (a.h[1].band[0].target - 1));
    CHECK(a.h[1].band[1].alpha == fmax(a2 + g1 * (a.h[1].band[1].target - 1), 1e-4));
    /* other horizons untouched */
    CHECK_EQ_INT(a.h[0].band[0].updates, 0);
    cpe_aci_free(&a);
}

static void test_aci_hit_and_gap_by_hand(void)
{
    cpe_aci_t a;
    init_default(&a);
    const int64_t end = CPE_MS_PER_HOUR;
    push_band(&a, 0, 0, end, 5.0, 0.01, 0.02);
    /* no bar at label end: the first price after it settles the outcome */
    CHECK_EQ_INT(cpe_aci_observe(&a, end + 5 * CPE_MS_PER_MIN, 5.015), 0);
    CHECK_EQ_INT(a.h[0].band[0].updates, 1);
    const cpe_aci_band_t *b0 = &a.h[0].band[0], *b1 = &a.h[0].band[1];
    CHECK(b0->alpha == b0->alpha0 + 0.005 * (b0->target - 1)); /* 0.015 outside +-0.01 */
    /* inside +-0.02: a hit; the 2-sigma band's step is gamma t_1 / t_0 */
    CHECK(b1->alpha == b1->alpha0 + 0.005 * (b1->target / b0->target) * b1->target);
    CHECK_EQ_INT(b0->misses, 1);
    CHECK_EQ_INT(b1->misses, 0);
    double cov;
    uint64_t n;
    CHECK_EQ_INT(cpe_aci_coverage(&a, 0, 1, end, 7, &cov, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK(cov == 1.0);
    CHECK_EQ_INT(cpe_aci_observe(&a, end, NAN), CPE_EINVAL);
    cpe_aci_free(&a);
}

static void test_aci_ring_drops_oldest_when_full(void)
{
    cpe_aci_opts_t o;
    cpe_aci_opts_default(&o);
    o.capacity = 3;
    cpe_aci_t a;
    CHECK_EQ_INT(cpe_aci_init(&a, &o, NULL), 0);
    for (int i = 0; i < 5; i++)
        push_band(&a, 2, i * CPE_MS_PER_MIN, (i + 480) * CPE_MS_PER_MIN, 1.0, 0.1, 0.2);
    CHECK_EQ_INT(a.h[2].dropped, 2);
    CHECK_EQ_INT(a.h[2].len, 3);
    CHECK_EQ_INT(a.h[2].ring[a.h[2].head].ts_ms, 2 * CPE_MS_PER_MIN); /* the oldest kept */
    CHECK_EQ_INT(cpe_aci_observe(&a, 1000 * CPE_MS_PER_MIN, 1.0), 0);
    CHECK_EQ_INT(a.h[2].band[0].updates, 3);
    cpe_aci_free(&a);
}

static void test_aci_rejects_bad_input(void)
{
    cpe_aci_t a;
    cpe_aci_opts_t o;
    cpe_diag_t d = {0};
    cpe_aci_opts_default(&o);
    o.gamma = 0;
    CHECK_EQ_INT(cpe_aci_init(&a, &o, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "gamma") != NULL);
    cpe_aci_opts_default(&o);
    o.alpha0[1] = 1.5;
    CHECK_EQ_INT(cpe_aci_init(&a, &o, &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "alpha0[1]") != NULL);
    init_default(&a);
    double lo[2] = {-1, -2}, hi[2] = {1, 2}, bad[2] = {-2, NAN};
    CHECK_EQ_INT(cpe_aci_push(&a, CPE_ACI_MAX_H, 0, 1, 0, lo, hi, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_aci_push(&a, 0, 0, 1, NAN, lo, hi, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_aci_push(&a, 0, 0, 1, 0, hi, lo, &d), CPE_EINVAL); /* lo > hi */
    CHECK_EQ_INT(cpe_aci_push(&a, 0, 0, 1, 0, lo, bad, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_aci_push(&a, 0, 5, 4, 0, lo, hi, &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_aci_push(&a, 0, 0, 100, 0, lo, hi, &d), 0);
    CHECK_EQ_INT(cpe_aci_push(&a, 0, 1, 99, 0, lo, hi, &d), CPE_EINVAL); /* out of order */
    CHECK(strstr(d.msg, "previous label end") != NULL);
    double cov;
    uint64_t n;
    CHECK_EQ_INT(cpe_aci_coverage(&a, 0, 0, 0, 31, &cov, &n), CPE_EINVAL);
    CHECK_EQ_INT(cpe_aci_coverage(&a, 0, 2, 0, 7, &cov, &n), CPE_EINVAL);
    cpe_aci_free(&a);
}

/* One minute of the caller's loop: the new price resolves what has come due, then each
 * horizon issues a band made with its current alpha around a Gaussian sigma that is
 * `narrow` times the true one. */
static double sim_minute(cpe_aci_t *a, cpe_rng_t *r, int64_t minute, double lnc, double narrow)
{
    const double sd = 1e-3; /* true sd of a 1m log return */
    lnc += sd * cpe_rng_normal(r);
    int64_t ts = minute * CPE_MS_PER_MIN;
    CHECK_EQ_INT(cpe_aci_observe(a, ts, lnc), 0);
    for (int k = 0; k < CPE_ACI_MAX_H; k++) {
        double s = narrow * sd * sqrt(HORIZON_MIN[k]), lo[2], hi[2];
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            hi[b] = s * cpe_t_std_quantile(1 - a->h[k].band[b].alpha / 2, INFINITY);
            lo[b] = -hi[b];
        }
        CHECK_EQ_INT(
            cpe_aci_push(a, k, ts, ts + HORIZON_MIN[k] * CPE_MS_PER_MIN, lnc, lo, hi, NULL), 0);
    }
    return lnc;
}

static void check_same_state(const cpe_aci_t *x, const cpe_aci_t *y)
{
    CHECK(x->gamma == y->gamma && x->capacity == y->capacity);
    for (int k = 0; k < CPE_ACI_MAX_H; k++) {
        const cpe_aci_horizon_t *a = &x->h[k], *b = &y->h[k];
        CHECK(!memcmp(a->band, b->band, sizeof a->band));
        CHECK(a->len == b->len && a->dropped == b->dropped);
        CHECK(a->last_label_end_ms == b->last_label_end_ms);
        CHECK(!memcmp(a->hour, b->hour, sizeof a->hour) && !memcmp(a->n, b->n, sizeof a->n));
        CHECK(!memcmp(a->hits, b->hits, sizeof a->hits));
        for (size_t i = 0; i < a->len && i < b->len; i++)
            CHECK(!memcmp(&a->ring[(a->head + i) % x->capacity],
                          &b->ring[(b->head + i) % y->capacity], sizeof(cpe_aci_pending_t)));
    }
}

static void test_aci_replay_is_deterministic(void)
{
    cpe_aci_t a, b;
    init_default(&a);
    init_default(&b);
    cpe_rng_t ra, rb;
    cpe_rng_seed(&ra, 21);
    cpe_rng_seed(&rb, 21);
    double la = 4.0, lb = 4.0;
    for (int64_t m = 0; m < 4000; m++) {
        la = sim_minute(&a, &ra, m, la, 0.8);
        lb = sim_minute(&b, &rb, m, lb, 0.8);
    }
    check_same_state(&a, &b);
    CHECK(a.h[3].band[0].updates > 0);
    cpe_aci_free(&a);
    cpe_aci_free(&b);
}

/* iid N(0, sd^2) outcomes: each item's y is its own draw (the close at issue is set to
 * -y and every observed close is 0); the band is made with a sigma `narrow` x too small.
 * Horizon 0 resolves one minute later, horizon 1 an hour later. */
static void sim_iid_minute(cpe_aci_t *a, cpe_rng_t *r, int64_t minute, double narrow)
{
    static const int delay_min[2] = {1, 60};
    int64_t ts = minute * CPE_MS_PER_MIN;
    CHECK_EQ_INT(cpe_aci_observe(a, ts, 0.0), 0);
    for (int k = 0; k < 2; k++) {
        double lo[2], hi[2];
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            hi[b] = narrow * cpe_t_std_quantile(1 - a->h[k].band[b].alpha / 2, INFINITY);
            lo[b] = -hi[b];
        }
        double y = cpe_rng_normal(r);
        CHECK_EQ_INT(cpe_aci_push(a, k, ts, ts + delay_min[k] * CPE_MS_PER_MIN, -y, lo, hi, NULL),
                     0);
    }
}

/* Gibbs & Candes: |miss rate - target| <= (1 + gamma) / (gamma T) = 0.004 at T = 50,000
 * with gamma = 0.005 whatever the data, as long as alpha stays inside the clamp; here the
 * model's sigma is 20 % too small (at 30 % the 2-sigma band needs alpha ~ 0.004, and one
 * miss, -0.0048, pushes it into the 1e-4 floor, which costs coverage). */
static void test_aci_too_narrow_band_converges_to_target(void)
{
    cpe_aci_t a;
    init_default(&a);
    cpe_rng_t r;
    cpe_rng_seed(&r, 8);
    const int64_t minutes = 50000 + 60;
    for (int64_t m = 0; m <= minutes; m++)
        sim_iid_minute(&a, &r, m, 0.8);
    for (int k = 0; k < 2; k++) {
        CHECK(a.h[k].band[0].updates >= 50000);
        for (int b = 0; b < CPE_ACI_BANDS; b++) {
            const cpe_aci_band_t *bd = &a.h[k].band[b];
            double miss = (double)bd->misses / (double)bd->updates;
            CHECK_MSG(fabs(miss - bd->target) < 0.01, "horizon %d band %d miss rate %.4f vs %.4f",
                      k, b, miss, bd->target);
            /* the last 30 days of hourly buckets tell the same story */
            double cov;
            uint64_t n;
            CHECK_EQ_INT(cpe_aci_coverage(&a, k, b, minutes * CPE_MS_PER_MIN, 30, &cov, &n), 0);
            CHECK(n > 40000 && n <= 43200);
            CHECK_MSG(fabs((1 - cov) - bd->target) < 0.01, "horizon %d band %d 30-day miss %.4f", k,
                      b, 1 - cov);
            /* a band 20 % too narrow needs a smaller alpha than the target */
            CHECK(bd->alpha < bd->target);
        }
    }
    cpe_aci_free(&a);
}

static void test_aci_coverage_windows_by_hour(void)
{
    cpe_aci_t a;
    init_default(&a);
    /* one outcome per hour for 40 days: a hit when the hour is even */
    for (int64_t hr = 0; hr < 40 * 24; hr++) {
        int64_t ts = hr * CPE_MS_PER_HOUR;
        push_band(&a, 0, ts, ts + 1, 0.0, 0.5, 0.5);
        CHECK_EQ_INT(cpe_aci_observe(&a, ts + 1, hr % 2 ? 1.0 : 0.0), 0);
    }
    double cov;
    uint64_t n;
    int64_t now = (40 * 24 - 1) * CPE_MS_PER_HOUR + 123;
    CHECK_EQ_INT(cpe_aci_coverage(&a, 0, 0, now, 7, &cov, &n), 0);
    CHECK_EQ_INT(n, 7 * 24);
    CHECK_NEAR(cov, 0.5, 1e-15);
    CHECK_EQ_INT(cpe_aci_coverage(&a, 0, 0, now, 30, &cov, &n), 0);
    CHECK_EQ_INT(n, 720); /* the older 10 days were overwritten */
    /* a day later with nothing new: 6 days of the 7 remain */
    CHECK_EQ_INT(cpe_aci_coverage(&a, 0, 0, now + CPE_MS_PER_DAY, 7, &cov, &n), 0);
    CHECK_EQ_INT(n, 6 * 24);
    CHECK_EQ_INT(cpe_aci_coverage(&a, 1, 0, now, 7, &cov, &n), 0);
    CHECK(n == 0 && isnan(cov));
    cpe_aci_free(&a);
}

/* Saved at step N, loaded, continued == continued without saving, bit for bit. */
static void test_aci_json_round_trip_continues_bit_for_bit(void)
{
    cpe_aci_t a, b;
    cpe_aci_opts_t o;
    cpe_aci_opts_default(&o);
    o.gamma = 0.0123;
    o.alpha0[0] = 0.29;
    o.capacity = 700; /* smaller than the 24 h horizon needs: drops happen too */
    CHECK_EQ_INT(cpe_aci_init(&a, &o, NULL), 0);
    cpe_rng_t ra;
    cpe_rng_seed(&ra, 99);
    double lnc = 3.0;
    int64_t m = 0;
    for (; m < 3000; m++)
        lnc = sim_minute(&a, &ra, m, lnc, 0.9);
    cpe_buf_t buf;
    cpe_buf_init(&buf, 64u << 20);
    CHECK_EQ_INT(cpe_aci_to_json(&a, &buf), 0);
    cpe_diag_t d = {0};
    int rc = cpe_aci_from_json(&b, buf.data, buf.len, &d);
    CHECK_MSG(rc == 0, "from_json: %s", d.msg);
    if (rc) return;
    check_same_state(&a, &b);
    CHECK(a.h[3].dropped > 0);
    cpe_rng_t rb = ra;
    double lb = lnc;
    for (int64_t m2 = m; m2 < m + 3000; m2++) {
        lnc = sim_minute(&a, &ra, m2, lnc, 0.9);
        lb = sim_minute(&b, &rb, m2, lb, 0.9);
    }
    check_same_state(&a, &b);
    cpe_buf_t b2;
    cpe_buf_init(&b2, 64u << 20);
    cpe_buf_reset(&buf);
    CHECK_EQ_INT(cpe_aci_to_json(&a, &buf), 0);
    CHECK_EQ_INT(cpe_aci_to_json(&b, &b2), 0);
    CHECK(buf.len == b2.len && !memcmp(buf.data, b2.data, buf.len));
    cpe_buf_free(&buf);
    cpe_buf_free(&b2);
    cpe_aci_free(&a);
    cpe_aci_free(&b);
}

static int load_text(const char *text, cpe_diag_t *d)
{
    cpe_aci_t a;
    int rc = cpe_aci_from_json(&a, text, strlen(text), d);
    cpe_aci_free(&a);
    return rc;
}

static void test_aci_from_json_names_bad_fields(void)
{
    cpe_diag_t d = {0};
    CHECK_EQ_INT(load_text("{\"format\": 1,", &d), CPE_EPARSE);
    CHECK_EQ_INT(load_text("[]", &d), CPE_EINVAL);
    CHECK_EQ_INT(load_text("{\"format\": 2}", &d), CPE_EINVAL);
    CHECK_EQ_INT(load_text("{\"format\": 1, \"gamma\": 0.005, \"capacity\": 10}", &d), CPE_EINVAL);
    CHECK(strstr(d.msg, "'horizons'") != NULL);
    /* a valid state, then one field broken at a time */
    cpe_aci_t a;
    init_default(&a);
    push_band(&a, 2, 0, 100, 1.0, 0.1, 0.2);
    push_band(&a, 2, 1, 200, 1.0, 0.1, 0.2);
    cpe_buf_t buf;
    cpe_buf_init(&buf, 1u << 20);
    CHECK_EQ_INT(cpe_aci_to_json(&a, &buf), 0);
    cpe_aci_free(&a);
    CHECK_EQ_INT(load_text(buf.data, &d), 0);
    static const char *const breaks[][3] = {
        {"\"alpha\":0.317", "\"alpha\":1.317", "horizons[0].bands[0] alpha0"},
        {"[1,200,", "[1,50,", "horizons[2].pending[1]"},
        {"\"misses\":0", "\"misses\":-1", "'misses'"},
        {"\"capacity\":1441", "\"capacity\":100001", "capacity (100001)"},
    };
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        char *p = strstr(buf.data, breaks[i][0]);
        CHECK_MSG(p != NULL, "'%s' not in %s", breaks[i][0], buf.data);
        if (!p) continue;
        cpe_buf_t t;
        cpe_buf_init(&t, 1u << 20);
        cpe_buf_append(&t, buf.data, (size_t)(p - buf.data));
        cpe_buf_puts(&t, breaks[i][1]);
        cpe_buf_puts(&t, p + strlen(breaks[i][0]));
        CHECK_EQ_INT(load_text(t.data, &d), CPE_EINVAL);
        CHECK_MSG(strstr(d.msg, breaks[i][2]) != NULL, "message: %s", d.msg);
        cpe_buf_free(&t);
    }
    cpe_buf_free(&buf);
}

int main(void)
{
    RUN(test_aci_starts_at_the_targets);
    RUN(test_aci_outcome_not_used_before_label_end);
    RUN(test_aci_hit_and_gap_by_hand);
    RUN(test_aci_ring_drops_oldest_when_full);
    RUN(test_aci_rejects_bad_input);
    RUN(test_aci_replay_is_deterministic);
    RUN(test_aci_too_narrow_band_converges_to_target);
    RUN(test_aci_coverage_windows_by_hour);
    RUN(test_aci_json_round_trip_continues_bit_for_bit);
    RUN(test_aci_from_json_names_bad_fields);
    return TEST_DONE();
}
