/* registry_int.h — what the registry's files share (cpe/registry.h is the interface):
 *   registry.c       version directories, champion/challenger pointers, listing, pruning
 *   registry_json.c  metadata.json: a model set written as JSON and read back
 *   registry_ab.c    champion/challenger routing and the paired significance test
 *   registry_tmp.c   removing versions whole and sweeping a killed writer's temporaries
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

/* Remove a directory and the files in it (one level; a version directory). */
void registry_rm_dir(const char *dir);
/* Remove version `version` of dir (<root>/<SYMBOL>) as a whole: it is renamed out of the
 * way first (".tmp-del-<version>-<pid>"), so a reader never sees a version with some of
 * its files gone, and a deleter killed half-way leaves a temporary for the sweep. */
void registry_remove_version(const char *dir, const char *version);
/* Remove the temporaries a killed writer left in dir (<root>/<SYMBOL>): version
 * directories ".tmp-<version>-<pid>" and pointer files "<name>.tmp<pid>" of a process that
 * is gone. A live writer's temporaries (this process's or another's) stay. Returns how many
 * were removed. */
int registry_sweep_tmp(const char *dir);

#endif
