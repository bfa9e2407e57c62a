/* import_detect.c — what a file holds, from its name and its header (cpe/import.h). */
#include "import_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Daily named series of ../shared/data/real: KIND token -> series name. */
static const struct {
    const char *file_kind, *name;
} named_series[] = {
    {"fearGreedIndex", "fear_greed"},
    {"futuresOpenInterestUSD", "futures_open_interest_usd"},
    {"exchangeReservesBTC", "exchange_reserves"},
};

static const char *const exts[] = {".csv.gz", ".csv.zip", ".zip", ".csv", ".gz"};

/* Basename without directory and extension into out. */
static void stem(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, cap, "%s", b);
    size_t n = strlen(out);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && !strcmp(out + n - e, exts[i])) {
            out[n - e] = 0;
            return;
        }
    }
}

static int split(char *s, char sep, char **tok, int max)
{
    int n = 0;
    tok[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == sep) {
            *p = 0;
            tok[n++] = p + 1;
        }
    return n;
}

static int is_symbol(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* A directory component `name` anywhere in path (also a relative path's first one). */
static int has_dir(const char *path, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = path; (p = strstr(p, name)); p += n)
        if ((p == path || p[-1] == '/') && p[n] == '/') return 1;
    return 0;
}

static int market_from_path(const char *path)
{
    if (has_dir(path, "spot") || strstr(path, "binance-spot")) return CPE_SPOT;
    if (has_dir(path, "futures") || strstr(path, "binance-usdm") || strstr(path, "binance-um"))
        return CPE_PERP;
    return -1;
}

/* SRC_SYMBOL_KIND_INTERVAL_START_END (../shared/data/real). */
static int shared_layout(imp_ctx_t *x, char *st)
{
    char *t[8];
    if (split(st, '_', t, 8) != 6) return 0;
    for (size_t i = 0; i < sizeof named_series / sizeof named_series[0]; i++)
        if (!strcmp(t[2], named_series[i].file_kind)) {
            x->fmt = cpe_imp_format("series");
            snprintf(x->series, sizeof x->series, "%s:%s", t[1], named_series[i].name);
        }
    for (size_t i = 0; !x->fmt && i < cpe_imp_nformats; i++)
        if (cpe_imp_formats[i].file_kind && !strcmp(t[2], cpe_imp_formats[i].file_kind))
            x->fmt = &cpe_imp_formats[i];
    if (!x->fmt) return 0;
    if (is_symbol(t[1]) && strcmp(t[1], "ALL") && strcmp(t[1], "MULTI"))
        snprintf(x->symbol, sizeof x->symbol, "%s", t[1]);
    int64_t iv;
    if (cpe_interval_parse(t[3], &iv) == 0) x->interval_ms = iv;
    return 1;
}

/* SYMBOL-KIND-DATE or SYMBOL-INTERVAL-DATE (data.binance.vision). */
static int vision_layout(imp_ctx_t *x, const char *path, char *st)
{
    char *t[8];
    if (split(st, '-', t, 8) < 3 || !is_symbol(t[0])) return 0;
    int64_t iv;
    if (cpe_interval_parse(t[1], &iv) == 0) {
        x->interval_ms = iv;
        if (strstr(path, "premiumIndexKlines"))
            x->fmt = cpe_imp_format("premiumIndexKlines");
        else if (strstr(path, "markPriceKlines") || strstr(path, "indexPriceKlines"))
            return -1;
        else
            x->fmt = cpe_imp_format("klines");
    } else {
        for (size_t i = 0; !x->fmt && i < cpe_imp_nformats; i++)
            if (cpe_imp_formats[i].file_kind && !strcmp(t[1], cpe_imp_formats[i].file_kind))
                x->fmt = &cpe_imp_formats[i];
    }
    if (!x->fmt) return 0;
    snprintf(x->symbol, sizeof x->symbol, "%s", t[0]);
    return 1;
}

int imp_detect_name(imp_ctx_t *x, const char *path, cpe_diag_t *d)
{
    char st[256], st2[256];
    stem(path, st, sizeof st);
    memcpy(st2, st, sizeof st);
    x->market = market_from_path(path);
    if (x->o->series) {
        const char *colon = strrchr(x->o->series, ':');
        int whale = !strcmp(colon ? colon + 1 : x->o->series, "whale_flows");
        x->fmt = cpe_imp_format(whale ? "whaleFlows" : "series");
        snprintf(x->series, sizeof x->series, "%s", x->o->series);
    } else if (!shared_layout(x, st)) {
        x->interval_ms = 0;
        if (vision_layout(x, path, st2) < 0)
            return cpe_diag_set(d, CPE_EUNSUPPORTED, "%s: mark/index price klines are not imported",
                                path);
    }
    if (x->o->market >= 0) x->market = x->o->market;
    if (x->o->symbol) snprintf(x->symbol, sizeof x->symbol, "%s", x->o->symbol);
    return 0;
}

int imp_header_matches(const imp_format_t *f, const cpe_csv_t *c)
{
    if (!f->header0) return 1; /* generic series: any header */
    if (c->nf < 2) return 0;
    char have[128];
    snprintf(have, sizeof have, "%.*s,%.*s", (int)c->f[0].n, c->f[0].p, (int)c->f[1].n, c->f[1].p);
    for (const char *p = f->header0; *p;) {
        const char *e = strchr(p, '|');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (strlen(have) == n && !strncasecmp(have, p, n)) return 1;
        p += n + (e ? 1 : 0);
    }
    return 0;
}

const imp_format_t *imp_detect_header(const cpe_csv_t *c)
{
    for (size_t i = 0; i < cpe_imp_nformats; i++) {
        const imp_format_t *f = &cpe_imp_formats[i];
        if (f->header0 && (int)c->nf >= f->min_cols && (int)c->nf <= f->max_cols &&
            imp_header_matches(f, c))
            return f;
    }
    return NULL;
}
