/* docs.c — GET /docs: the interactive API reference (server.h).
 *
 * The page is frontend/dist/docs.html, Swagger UI bundled by the frontend build (Vite) over
 * /openapi.json; its scripts and styles are ordinary static files under dist/assets. Without
 * a built frontend there is no page, and the 404 says where the document itself is. */
#include "api/server.h"

#include <stdio.h>

int cpe_route_docs(cpe_req_t *req, cpe_resp_t *resp)
{
    const char *dir = req->api->static_dir;
    if (!dir[0])
        return cpe_resp_error(resp, 404, "NOT_FOUND", NULL, NULL, 0,
                              "no frontend is being served (build frontend/ or set "
                              "CPE_STATIC_DIR), so no API reference page: see /openapi.json");
    char path[600];
    snprintf(path, sizeof path, "%s/docs.html", dir);
    int rc = cpe_buf_read_file(&resp->body, path);
    if (rc) {
        cpe_buf_reset(&resp->body);
        if (rc != CPE_ENOTFOUND)
            return cpe_resp_error(resp, 500, "INTERNAL", NULL, NULL, 0,
                                  "cannot read the API reference page: %s", cpe_strerror(rc));
        return cpe_resp_error(resp, 404, "NOT_FOUND", NULL, NULL, 0,
                              "the frontend being served has no docs.html (rebuild frontend/); "
                              "the document itself is /openapi.json");
    }
    resp->content_type = "text/html; charset=utf-8";
    resp->cache_control = "no-cache";
    return 0;
}
