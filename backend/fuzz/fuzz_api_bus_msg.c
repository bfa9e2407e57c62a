/* fuzz_api_bus_msg.c — libFuzzer harness: the bus message parser (api/bus_msg.c) over one
 * Redis payload as the subscriber hands it to the receiving node (bytes of another node, so
 * anything). Checked: a refusal is CPE_EPARSE with a message; an accepted message has a node
 * of 16 hex digits, seq >= 1, a bus channel, collapsible 0 or 1 and its JSON inside the
 * payload; and the header the publisher writes from those fields parses back to the same
 * fields (writer and reader agree). */
#include "api/bus_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const cpe_bus_msg_t *a, const cpe_bus_msg_t *b)
{
    return !strcmp(a->node, b->node) && a->seq == b->seq && a->channel == b->channel &&
           !strcmp(a->asset, b->asset) && !strcmp(a->interval, b->interval) &&
           a->collapsible == b->collapsible;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    char *p = malloc(size ? size : 1); /* exactly size bytes: ASan sees any read past them */
    if (!p) return 0;
    memcpy(p, data, size);
    cpe_bus_msg_t m;
    cpe_diag_t d = {0};
    int rc = cpe_bus_msg_parse(p, size, &m, &d);
    if (rc) {
        if (rc != CPE_EPARSE || !d.msg[0]) abort();
        free(p);
        return 0;
    }
    if (strlen(m.node) != CPE_BUS_NODE_LEN || !m.seq || m.collapsible < 0 || m.collapsible > 1)
        abort();
    if (!cpe_bus_msg_kind(m.channel)) abort();
    if (m.json < p || m.json + m.json_len != p + size) abort();
    char h[CPE_BUS_HEADER_MAX];
    int n = cpe_bus_msg_header(h, sizeof h, m.node, m.seq, m.channel, m.asset, m.interval,
                               m.collapsible, &d);
    cpe_bus_msg_t back;
    if (n <= 0 || cpe_bus_msg_parse(h, (size_t)n, &back, &d) || !same(&m, &back)) abort();
    free(p);
    return 0;
}
