/* fuzz_api_http.c — libFuzzer harness: an HTTP request head as the API sees it.
 *
 * libwebsockets parses the wire format; the server's own parsing starts at what lws hands
 * it: the method, the URI path (decoded), each query fragment (decoded) and the headers.
 * The input is a request head, "METHOD URI HTTP/1.1\r\nName: value\r\n...". The harness
 * splits it the way lws does (request line, '?', '&', header lines) and runs what
 * server.c runs on it: cpe_query_add per fragment (and cpe_query_parse on the raw query
 * string), cpe_route_match over the real route table, the Bearer token check
 * (cpe_jwt_verify) and every parameter reader of the routes (fuzz_params.h).
 * Checked: query bounds, a matched route's parameter lies inside the path, the error
 * contract of fuzz_params.h.
 */
#include "api/jwt.h"
#include "api/router.h"
#include "fuzz_params.h"

#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int method_of(const char *m, size_t n)
{
    static const struct {
        const char *name;
        int method;
    } tab[] = {{"GET", CPE_GET}, {"POST", CPE_POST}, {"OPTIONS", CPE_OPTIONS}, {"HEAD", CPE_HEAD}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strlen(tab[i].name) == n && !memcmp(m, tab[i].name, n)) return tab[i].method;
    return 0;
}

static void check_query(const cpe_query_t *q)
{
    if (q->n < 0 || q->n > CPE_QUERY_MAX) abort();
    for (int i = 0; i < q->n; i++)
        if (!memchr(q->key[i], 0, CPE_QUERY_KEY_MAX) || !memchr(q->val[i], 0, CPE_QUERY_VAL_MAX))
            abort();
}

/* The query string of the URI, fragment by fragment as lws gives them (decoded). */
static void add_query(cpe_query_t *q, const char *s, size_t n)
{
    char frag[CPE_QUERY_KEY_MAX + CPE_QUERY_VAL_MAX + 8];
    for (size_t a = 0; a <= n;) {
        const char *amp = memchr(s + a, '&', n - a);
        size_t fl = (amp ? (size_t)(amp - s) : n) - a;
        if (fl < sizeof frag) {
            memcpy(frag, s + a, fl);
            frag[fl] = 0;
            long dl = cpe_url_decode(frag, (long)fl, 1);
            if (dl > 0) cpe_query_add(q, frag, (size_t)dl);
        } else {
            q->overflow = 1; /* lws: the fragment does not fit the server's buffer */
        }
        a += fl + 1;
    }
}

static void header(const char *line, size_t n)
{
    static const char auth[] = "authorization: bearer ";
    if (n < sizeof auth - 1 || strncasecmp(line, auth, sizeof auth - 1)) return;
    char tok[2048];
    size_t tl = n - (sizeof auth - 1);
    if (tl >= sizeof tok) return; /* the server copies at most 2047 bytes */
    memcpy(tok, line + sizeof auth - 1, tl);
    tok[tl] = 0;
    char why[160] = "";
    if (cpe_jwt_verify(tok, "fuzz-secret", 1767225600000LL, why, sizeof why) && !why[0]) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16 * 1024) return 0;
    const char *s = (const char *)data;
    const char *eol = memchr(s, '\n', size);
    size_t ll = eol ? (size_t)(eol - s) : size;
    const char *sp1 = memchr(s, ' ', ll);
    if (!sp1) return 0;
    const char *uri = sp1 + 1;
    const char *sp2 = memchr(uri, ' ', ll - (size_t)(uri - s));
    size_t ul = sp2 ? (size_t)(sp2 - uri) : ll - (size_t)(uri - s);
    const char *qm = memchr(uri, '?', ul);
    size_t pl = qm ? (size_t)(qm - uri) : ul;
    char path[1024];
    if (pl >= sizeof path) return 0;
    memcpy(path, uri, pl);
    path[pl] = 0;
    if (cpe_url_decode(path, (long)pl, 0) < 0) return 0; /* lws refuses a bad escape */

    cpe_req_t req;
    memset(&req, 0, sizeof req);
    req.method = method_of(s, (size_t)(sp1 - s));
    req.path = path;
    req.now_ms = 1767225600000LL;
    if (qm) {
        add_query(&req.query, qm + 1, ul - pl - 1);
        check_query(&req.query);
        cpe_query_t raw;
        memset(&raw, 0, sizeof raw);
        cpe_query_parse(&raw, qm + 1, ul - pl - 1);
        check_query(&raw);
    }
    const char *param = NULL;
    size_t plen = 0;
    int st = -1;
    const cpe_route_t *rt = cpe_route_match(cpe_api_routes, req.method, path, &param, &plen, &st);
    if (rt && (st != 0 || (param && (param < path || param + plen > path + strlen(path))))) abort();
    if (!rt && st != 404 && st != 405) abort();
    for (const char *h = eol ? eol + 1 : s + size; h < s + size;) {
        const char *e = memchr(h, '\n', (size_t)(s + size - h));
        size_t hl = (e ? (size_t)(e - h) : (size_t)(s + size - h));
        header(h, hl && h[hl - 1] == '\r' ? hl - 1 : hl);
        h += hl + 1;
    }
    if (!req.query.overflow) fuzz_params(&req);
    return 0;
}
