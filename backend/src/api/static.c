/* static.c — the frontend's files: where they are, their MIME types and cache lifetimes, and
 * the single-page app's fallback to index.html (conn.h). */
#include "api/conn.h"
#include "cpe/log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} mime[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".wasm", "application/wasm"},
};

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return "application/octet-stream";
    for (size_t i = 0; i < sizeof mime / sizeof mime[0]; i++)
        if (!strcasecmp(dot, mime[i].ext)) return mime[i].type;
    return "application/octet-stream";
}

/* A file name carrying a content hash (Vite: name-Ab12Cd34.js) may be cached forever. */
static int is_hashed(const char *path)
{
    if (strstr(path, "/assets/")) return 1;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dash = strrchr(name, '-');
    const char *dot = strrchr(name, '.');
    if (!dash || !dot || dot < dash) return 0;
    int n = 0;
    for (const char *p = dash + 1; p < dot; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '_'))
            return 0;
        n++;
    }
    return n >= 8;
}

int cpe_api_serve_static(struct lws *wsi, cpe_api_t *api, conn_t *c)
{
    c->slot = api->slot_static;
    if (!api->static_dir[0])
        return cpe_conn_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0,
                              "no such route, and no frontend is being served (build frontend/ or "
                              "set CPE_STATIC_DIR)");
    if (strstr(c->path, "..") || strchr(c->path, '\\'))
        return cpe_conn_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0, "no such file");
    char fpath[1200];
    const char *rel = c->path;
    if (!strcmp(rel, "/")) rel = "/index.html";
    snprintf(fpath, sizeof fpath, "%s%s", api->static_dir, rel);
    cpe_buf_t b;
    cpe_buf_init(&b, 64u * 1024 * 1024);
    int rc = cpe_buf_read_file(&b, fpath);
    const char *served = rel;
    if (rc == CPE_ENOTFOUND) {
        /* SPA fallback: a path without a file extension is a client-side route. */
        const char *slash = strrchr(rel, '/');
        if (!strchr(slash ? slash : rel, '.')) {
            snprintf(fpath, sizeof fpath, "%s/index.html", api->static_dir);
            cpe_buf_reset(&b);
            rc = cpe_buf_read_file(&b, fpath);
            served = "/index.html";
        }
    }
    int ret;
    if (rc) {
        ret = cpe_conn_error(wsi, api, c, 404, "NOT_FOUND", NULL, 0, "no such route or file");
    } else {
        const char *cache = !strcmp(served, "/index.html") ? "no-cache"
                            : is_hashed(served)            ? "public, max-age=31536000, immutable"
                                                           : "public, max-age=3600";
        ret = cpe_conn_send(wsi, api, c, 200, mime_of(served), cache, 0, b.data, b.len,
                            c->method == CPE_HEAD);
    }
    cpe_buf_free(&b);
    return ret;
}

void cpe_api_find_static_dir(cpe_api_t *api)
{
    struct stat st;
    if (api->cfg.static_dir[0]) {
        if (!stat(api->cfg.static_dir, &st) && S_ISDIR(st.st_mode))
            snprintf(api->static_dir, sizeof api->static_dir, "%s", api->cfg.static_dir);
        else
            cpe_warn("serve: static dir %s does not exist: not serving a frontend",
                     api->cfg.static_dir);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *rel[] = {"/../frontend/dist", "/../../frontend/dist", "/../../../frontend/dist"};
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        for (size_t i = 0; i < 3; i++) {
            char p[PATH_MAX + 64];
            snprintf(p, sizeof p, "%s%s/index.html", exe, rel[i]);
            if (!stat(p, &st)) {
                char real[PATH_MAX];
                snprintf(p, sizeof p, "%s%s", exe, rel[i]);
                if (realpath(p, real))
                    snprintf(api->static_dir, sizeof api->static_dir, "%.500s", real);
                return;
            }
        }
    }
    if (!stat("frontend/dist/index.html", &st)) {
        char real[PATH_MAX];
        if (realpath("frontend/dist", real))
            snprintf(api->static_dir, sizeof api->static_dir, "%.500s", real);
    }
}
