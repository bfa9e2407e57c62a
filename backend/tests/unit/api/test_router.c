/* test_router.c — route matching and the OpenAPI document generated from the table. */
#include "api/router.h"
#include "test.h"

#include <jansson.h>

static int dummy(cpe_req_t *req, cpe_resp_t *resp)
{
    (void)req;
    (void)resp;
    return 0;
}

static const cpe_route_param_t p_q[] = {{"asset", "query", "string", 1, "BTC"},
                                        {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_param_t p_b[] = {{"asset", "body", "string", 1, "BTC"},
                                        {"x", "body", "integer", 0, "x"},
                                        {NULL, NULL, NULL, 0, NULL}};
static const cpe_route_t table[] = {
    {CPE_GET, "/a", dummy, "a", "A", p_q, "200 400", "application/json", 0},
    {CPE_POST, "/a", dummy, "a", "A by body", p_b, "200 413", "application/json", 0},
    {CPE_GET, "/jobs/{id}", dummy, "job", "Job", NULL, "200 404", "application/json", 1},
    {CPE_GET, "/jobs/{id}/log", dummy, "job_log", "Log", NULL, "200 404", "application/json", 0},
    {CPE_PATCH, "/jobs/{id}", dummy, "job", "Change", NULL, "200 404", "application/json", 0},
    {0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

static void test_match_exact_and_method(void)
{
    const char *p;
    size_t pl;
    int st;
    CHECK(cpe_route_match(table, CPE_GET, "/a", &p, &pl, &st) == &table[0]);
    CHECK_EQ_INT(st, 0);
    CHECK(cpe_route_match(table, CPE_POST, "/a", &p, &pl, &st) == &table[1]);
    CHECK(cpe_route_match(table, CPE_HEAD, "/a", &p, &pl, &st) == &table[0]);
    CHECK(cpe_route_match(table, CPE_POST, "/jobs/1", &p, &pl, &st) == NULL);
    CHECK_EQ_INT(st, 405);
    CHECK(cpe_route_match(table, CPE_GET, "/b", &p, &pl, &st) == NULL);
    CHECK_EQ_INT(st, 404);
    CHECK(cpe_route_match(table, CPE_GET, "/a/", &p, &pl, &st) == NULL);
}

static void test_match_template_takes_one_segment(void)
{
    const char *p;
    size_t pl;
    int st;
    CHECK(cpe_route_match(table, CPE_GET, "/jobs/abc123", &p, &pl, &st) == &table[2]);
    CHECK(p && pl == 6 && !strncmp(p, "abc123", 6));
    CHECK(cpe_route_match(table, CPE_GET, "/jobs/", &p, &pl, &st) == NULL);
    CHECK(cpe_route_match(table, CPE_GET, "/jobs/a/b", &p, &pl, &st) == NULL);
    /* a template segment in the middle: the rest must follow exactly */
    CHECK(cpe_route_match(table, CPE_GET, "/jobs/7/log", &p, &pl, &st) == &table[3]);
    CHECK(p && pl == 1 && *p == '7');
    CHECK(cpe_route_match(table, CPE_GET, "/jobs//log", &p, &pl, &st) == NULL);
    CHECK(cpe_route_match(table, CPE_GET, "/jobs/7/logs", &p, &pl, &st) == NULL);
    CHECK(cpe_route_match(table, CPE_GET, "/jobs/7/x/log", &p, &pl, &st) == NULL);
    CHECK(cpe_route_match(table, CPE_PATCH, "/jobs/9", &p, &pl, &st) == &table[4]);
    CHECK_STR(cpe_method_key(CPE_PATCH), "patch");
}

/* Every row of a table appears in its OpenAPI document with its parameters. */
static void check_openapi_matches(const cpe_route_t *t)
{
    cpe_buf_t b;
    cpe_buf_init(&b, 1 << 22);
    CHECK_EQ_INT(cpe_openapi_write(t, &b), 0);
    json_error_t je;
    json_t *doc = json_loadb(b.data, b.len, 0, &je);
    CHECK_MSG(doc != NULL, "openapi is not JSON: %s", je.text);
    if (!doc) {
        cpe_buf_free(&b);
        return;
    }
    CHECK_STR(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    json_t *paths = json_object_get(doc, "paths");
    size_t ops = 0;
    const char *k;
    json_t *v;
    json_object_foreach(paths, k, v) ops += json_object_size(v);
    CHECK_EQ_INT(ops, cpe_route_count(t));
    for (int i = 0; t[i].path; i++) {
        json_t *op =
            json_object_get(json_object_get(paths, t[i].path), cpe_method_key(t[i].method));
        CHECK_MSG(op != NULL, "route %s %s missing from openapi", cpe_method_name(t[i].method),
                  t[i].path);
        if (!op) continue;
        for (const cpe_route_param_t *p = t[i].params; p && p->name; p++) {
            int found = 0;
            if (!strcmp(p->in, "body")) {
                json_t *props = json_object_get(
                    json_object_get(
                        json_object_get(
                            json_object_get(
                                json_object_get(json_object_get(op, "requestBody"), "content"),
                                "application/json"),
                            "schema"),
                        "properties"),
                    p->name);
                found = props != NULL;
            } else {
                size_t j;
                json_t *q;
                json_array_foreach(json_object_get(op, "parameters"), j,
                                   q) if (!strcmp(json_string_value(json_object_get(q, "name")),
                                                  p->name)) found = 1;
            }
            CHECK_MSG(found, "parameter %s of %s missing", p->name, t[i].path);
        }
        CHECK(json_object_get(json_object_get(op, "responses"), "200") != NULL ||
              json_object_get(json_object_get(op, "responses"), "201") != NULL ||
              json_object_get(json_object_get(op, "responses"), "202") != NULL);
    }
    json_decref(doc);
    cpe_buf_free(&b);
}

static void test_openapi_lists_every_row_of_a_table(void)
{
    check_openapi_matches(table);
}

static void test_openapi_lists_every_server_route(void)
{
    check_openapi_matches(cpe_api_routes);
    CHECK(cpe_route_count(cpe_api_routes) >= 10);
}

static void test_server_routes_are_unique(void)
{
    for (int i = 0; cpe_api_routes[i].path; i++)
        for (int j = i + 1; cpe_api_routes[j].path; j++)
            CHECK_MSG(strcmp(cpe_api_routes[i].path, cpe_api_routes[j].path) ||
                          cpe_api_routes[i].method != cpe_api_routes[j].method,
                      "duplicate route %s", cpe_api_routes[i].path);
}

int main(void)
{
    RUN(test_match_exact_and_method);
    RUN(test_match_template_takes_one_segment);
    RUN(test_openapi_lists_every_row_of_a_table);
    RUN(test_openapi_lists_every_server_route);
    RUN(test_server_routes_are_unique);
    return TEST_DONE();
}
