/* test_docs.c — GET /docs (api/docs.c): the built frontend's docs.html as an uncached HTML
 * page, and a 404 in the error contract, naming /openapi.json, when there is no page. */
#include "api/server.h"
#include "test.h"

static cpe_api_t API;

static void get_docs(cpe_resp_t *r)
{
    cpe_req_t req;
    memset(&req, 0, sizeof req);
    req.method = CPE_GET;
    req.path = "/docs";
    req.api = &API;
    cpe_resp_init(r, 1 << 20);
    cpe_route_docs(&req, r);
}

static void test_docs_serves_the_built_page_uncached(void)
{
    snprintf(API.static_dir, sizeof API.static_dir, "%s/dist", test_tmpdir());
    mkdir(API.static_dir, 0755);
    char path[700];
    snprintf(path, sizeof path, "%s/docs.html", API.static_dir);
    CHECK_EQ_INT(test_write_file(path, "<!doctype html><title>cpe API reference</title>"), 0);
    cpe_resp_t r;
    get_docs(&r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR(r.content_type, "text/html; charset=utf-8");
    CHECK_STR(r.cache_control, "no-cache");
    CHECK_STR(r.body.data, "<!doctype html><title>cpe API reference</title>");
    cpe_resp_free(&r);
    unlink(path);
}

static void test_docs_without_a_page_is_404_naming_openapi(void)
{
    /* a frontend without docs.html (built before the page existed), then none at all */
    snprintf(API.static_dir, sizeof API.static_dir, "%s/dist", test_tmpdir());
    for (int none = 0; none < 2; none++) {
        if (none) API.static_dir[0] = 0;
        cpe_resp_t r;
        get_docs(&r);
        CHECK_EQ_INT(r.status, 404);
        CHECK_MSG(r.body.data && strstr(r.body.data, "\"NOT_FOUND\"") &&
                      strstr(r.body.data, "/openapi.json"),
                  "body %s", r.body.data ? r.body.data : "(none)");
        cpe_resp_free(&r);
    }
}

static void test_docs_is_a_public_route_in_the_table(void)
{
    const char *param;
    size_t plen;
    int st;
    const cpe_route_t *r = cpe_route_match(cpe_api_routes, CPE_GET, "/docs", &param, &plen, &st);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(r->fn == cpe_route_docs);
    CHECK_EQ_INT(r->access, CPE_ROUTE_PUBLIC);
    CHECK_STR(r->content_type, "text/html");
}

int main(void)
{
    RUN(test_docs_serves_the_built_page_uncached);
    RUN(test_docs_without_a_page_is_404_naming_openapi);
    RUN(test_docs_is_a_public_route_in_the_table);
    return TEST_DONE();
}
