/* test_stats.c — the Prometheus text of /metrics (api/stats.c): the answers the alert rules
 * of deploy/prometheus count, and each metric family's samples together under its TYPE. */
#include "api/stats.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void render(cpe_buf_t *b)
{
    static cpe_stats_t s;
    memset(&s, 0, sizeof s);
    int slot = cpe_stats_add_slot(&s, "predict", "GET");
    cpe_stats_observe(&s, slot, 200, 0.002);
    cpe_stats_observe(&s, slot, 500, 0.003);
    cpe_stats_observe(&s, slot, 503, 0.001);
    cpe_stats_gauges_t g;
    memset(&g, 0, sizeof g);
    g.ingest_lag_s = 12;
    g.n_acc = 2;
    g.acc_asset[0] = g.acc_asset[1] = "BTC";
    g.acc_horizon[0] = 1;
    g.acc_horizon[1] = 4;
    g.acc_24h[0] = 0.5;
    g.acc_24h[1] = NAN;
    g.acc_n[0] = 10;
    g.drift[0] = g.drift[1] = NAN;
    cpe_buf_init(b, 4096);
    CHECK_EQ_INT(cpe_stats_render(&s, &g, b), 0);
}

static void test_stats_counts_server_errors(void)
{
    cpe_buf_t b;
    render(&b);
    CHECK(strstr(b.data,
                 "cpe_http_requests_total{route=\"predict\",method=\"GET\",status=\"500\"} 1\n"));
    CHECK(strstr(b.data,
                 "cpe_http_requests_total{route=\"predict\",method=\"GET\",status=\"503\"} 1\n"));
    CHECK(strstr(b.data,
                 "cpe_http_request_duration_seconds_count{route=\"predict\",method=\"GET\"} 3\n"));
    cpe_buf_free(&b);
}

/* The text format wants every family's samples in one run after its TYPE line. */
static void test_stats_families_are_contiguous(void)
{
    cpe_buf_t b;
    render(&b);
    char seen[64][64];
    int nseen = 0;
    char cur[64] = "";
    for (char *line = strtok(b.data, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (!strncmp(line, "# TYPE ", 7)) {
            CHECK(sscanf(line + 7, "%63s", cur) == 1);
            for (int i = 0; i < nseen; i++)
                CHECK(strcmp(seen[i], cur) != 0); /* a family is declared once */
            if (nseen < 64) snprintf(seen[nseen++], sizeof seen[0], "%s", cur);
            continue;
        }
        if (line[0] == '#') continue;
        size_t n = strcspn(line, "{ ");
        CHECK(n < sizeof name);
        memcpy(name, line, n);
        name[n] = 0;
        size_t fl = strlen(cur);
        int in_family =
            !strcmp(name, cur) || (!strncmp(name, cur, fl) &&
                                   (!strcmp(name + fl, "_bucket") || !strcmp(name + fl, "_sum") ||
                                    !strcmp(name + fl, "_count")));
        if (!in_family) fprintf(stderr, "  sample %s under TYPE %s\n", name, cur);
        CHECK(in_family);
    }
    CHECK(nseen >= 10);
    cpe_buf_free(&b);
}

int main(void)
{
    RUN(test_stats_counts_server_errors);
    RUN(test_stats_families_are_contiguous);
    return TEST_DONE();
}
