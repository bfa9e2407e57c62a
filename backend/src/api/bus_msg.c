/* bus_msg.c — header line of a live-stream message on the bus (see bus_msg.h). */
#include "api/bus_msg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct {
    ws_channel_t ch;
    const char *name;
} kinds[] = {{WS_CH_CANDLES, "candles"},
             {WS_CH_PREDICTIONS, "predictions"},
             {WS_CH_MARKET, "market"},
             {WS_CH_JOBS, "jobs"}};

const char *cpe_bus_msg_kind(ws_channel_t ch)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].ch == ch) return kinds[i].name;
    return NULL;
}

static ws_channel_t kind_channel(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, name)) return kinds[i].ch;
    return WS_CH_NONE;
}

static int is_node(const char *s)
{
    if (strlen(s) != CPE_BUS_NODE_LEN) return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return 0;
    return 1;
}

/* A header word: printable, no space (an empty one is written "-"). */
static int is_word(const char *s)
{
    for (const char *c = s; *c; c++)
        if (*c <= ' ' || *c == 0x7f) return 0;
    return 1;
}

int cpe_bus_msg_header(char *out, size_t cap, const char *node, uint64_t seq, ws_channel_t ch,
                       const char *asset, const char *interval, int collapsible, cpe_diag_t *d)
{
    const char *kind = cpe_bus_msg_kind(ch);
    if (!kind) return cpe_diag_set(d, CPE_EINVAL, "bus message: channel %d is not on the bus", ch);
    if (!is_node(node))
        return cpe_diag_set(d, CPE_EINVAL, "bus message: node '%s' is not 16 hex digits", node);
    if (!seq) return cpe_diag_set(d, CPE_EINVAL, "bus message: seq 0 (the first is 1)");
    if (!is_word(asset) || !is_word(interval) || strlen(asset) >= CPE_ASSET_NAME_MAX ||
        strlen(interval) >= sizeof((cpe_bus_msg_t *)0)->interval)
        return cpe_diag_set(d, CPE_EINVAL, "bus message: asset '%s' or interval '%s' is not a word",
                            asset, interval);
    if (cap > CPE_BUS_HEADER_MAX) cap = CPE_BUS_HEADER_MAX;
    int n = snprintf(out, cap, "%s %" PRIu64 " %s %s %s %d\n", node, seq, kind,
                     asset[0] ? asset : "-", interval[0] ? interval : "-", collapsible ? 1 : 0);
    if (n < 0 || (size_t)n >= cap)
        return cpe_diag_set(d, CPE_ETOOBIG, "bus message: header longer than %zu bytes", cap);
    return n;
}

/* The next space-separated word of [*p, end) into out (cap bytes with the NUL). */
static int word(const char **p, const char *end, char *out, size_t cap, const char *field,
                cpe_diag_t *d)
{
    const char *s = *p, *e = s;
    out[0] = 0;
    while (e < end && *e != ' ')
        e++;
    if (e == s || (size_t)(e - s) >= cap)
        return cpe_diag_set(d, CPE_EPARSE, "bus message: field '%s' is %s", field,
                            e == s ? "empty" : "too long");
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = 0;
    if (!is_word(out))
        return cpe_diag_set(d, CPE_EPARSE, "bus message: field '%s' has a control byte", field);
    *p = e < end ? e + 1 : e;
    return 0;
}

static int parse_seq(const char *s, uint64_t *seq, cpe_diag_t *d)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n > 19) return cpe_diag_set(d, CPE_EPARSE, "bus message: seq has more than 19 digits");
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return cpe_diag_set(d, CPE_EPARSE, "bus message: seq '%s' is not a number", s);
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (!v) return cpe_diag_set(d, CPE_EPARSE, "bus message: seq 0 (the first is 1)");
    *seq = v;
    return 0;
}

int cpe_bus_msg_parse(const char *payload, size_t len, cpe_bus_msg_t *m, cpe_diag_t *d)
{
    const char *nl = memchr(payload, '\n', len < CPE_BUS_HEADER_MAX ? len : CPE_BUS_HEADER_MAX);
    if (!nl)
        return cpe_diag_set(d, CPE_EPARSE, "bus message: no header line in the first %d bytes",
                            CPE_BUS_HEADER_MAX);
    const char *p = payload;
    char seq[24] = "", kind[16] = "", coll[4] = "";
    int rc;
    if ((rc = word(&p, nl, m->node, sizeof m->node, "node", d)) ||
        (rc = word(&p, nl, seq, sizeof seq, "seq", d)) ||
        (rc = word(&p, nl, kind, sizeof kind, "kind", d)) ||
        (rc = word(&p, nl, m->asset, sizeof m->asset, "asset", d)) ||
        (rc = word(&p, nl, m->interval, sizeof m->interval, "interval", d)) ||
        (rc = word(&p, nl, coll, sizeof coll, "collapsible", d)))
        return rc;
    if (p != nl) return cpe_diag_set(d, CPE_EPARSE, "bus message: more than 6 header fields");
    if (!is_node(m->node))
        return cpe_diag_set(d, CPE_EPARSE, "bus message: node '%s' is not 16 hex digits", m->node);
    if ((rc = parse_seq(seq, &m->seq, d))) return rc;
    if ((m->channel = kind_channel(kind)) == WS_CH_NONE)
        return cpe_diag_set(d, CPE_EPARSE, "bus message: kind '%s' is not on the bus", kind);
    if (strcmp(coll, "0") && strcmp(coll, "1"))
        return cpe_diag_set(d, CPE_EPARSE, "bus message: collapsible '%s' is not 0 or 1", coll);
    m->collapsible = coll[0] == '1';
    if (!strcmp(m->asset, "-")) m->asset[0] = 0;
    if (!strcmp(m->interval, "-")) m->interval[0] = 0;
    m->json = nl + 1;
    m->json_len = len - (size_t)(m->json - payload);
    return 0;
}
