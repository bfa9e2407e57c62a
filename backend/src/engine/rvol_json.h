/* rvol_json.h — the realized-volatility model (rvol.h) in a model version's metadata.json
 * ("realized_volatility": seasonal factors, per horizon the HAR coefficients, combination
 * weights, level and shape; numbers printed with 17 digits, so a load reproduces the
 * forecasts bit for bit). Used by registry.c. */
#ifndef CPE_RVOL_JSON_H
#define CPE_RVOL_JSON_H

#include "cpe/rvol.h"

#include <jansson.h>

/* New JSON object (NULL when !m->ok: the key is then omitted). */
json_t *cpe_rvol_to_json(const cpe_rvol_t *m);
/* Restore from o (NULL: none, ok = 0) and bind the columns to names[ncol]; a model whose
 * metadata is incomplete is dropped (ok = 0) rather than half-loaded. */
void cpe_rvol_from_json(const json_t *o, const char *const *names, size_t ncol, cpe_rvol_t *m);

#endif
