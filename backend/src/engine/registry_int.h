/* registry_int.h — what the registry's files share (cpe/registry.h is the interface):
 *   registry.c       version directories, champion/challenger pointers, listing, pruning
 *   registry_json.c  metadata.json: a model set written as JSON and read back
 *   registry_ab.c    champion/challenger routing and the paired significance test
 */
#ifndef CPE_ENGINE_REGISTRY_INT_H
#define CPE_ENGINE_REGISTRY_INT_H

#include "cpe/registry.h"

#include <jansson.h>

#define FORMAT 1

/* metadata.json of a model set (the trees are written beside it by the caller). */
json_t *reg_metadata_json(const char *symbol, const char *version, const cpe_modelset_t *ms,
                          const char *metrics_json);
/* Parse <dir>/metadata.json; d may be NULL. */
int reg_load_meta(const char *dir, json_t **out, cpe_diag_t *d);
/* The model set from its metadata and the tree files in dir. */
int reg_fill_from_meta(cpe_modelset_t *ms, const json_t *m, const char *dir, cpe_diag_t *d);
/* An integer member of o (0 when missing). */
int64_t reg_get_i64(const json_t *o, const char *k);

#endif
