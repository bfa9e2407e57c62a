/*
 * alertdb.h — where alert rules, their firings and the rules' last firing are kept: rows
 * of JSON text in the store's meta table (cpe_store_ops_t set_meta / get_meta / each_meta),
 * so both backends (SQLite and PostgreSQL) keep them without a schema change.
 *
 * Model. A *table* ("rule", "event", "state") holds rows (id -> JSON text) under the meta
 * key "alert:<table>:<id, 15 digits>", so a walk visits a table's rows by ascending id;
 * "alert:seq:<table>" holds the last id given out. A deleted row is an empty value (meta
 * rows are not removed), which readers skip. The store layer does not read the JSON:
 * api/alerts.c owns its shape (docs/ALERTS.md).
 *
 * Threads: as the store; the caller serialises (api/alerts.c holds its lock).
 */
#ifndef CPE_ALERTDB_H
#define CPE_ALERTDB_H

#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_ALERTDB_ROW_MAX 8192 /* longest row text + NUL */

/* The next id of table (1, 2, ...), recorded before it is returned. */
int cpe_alertdb_next_id(cpe_store_t *s, const char *table, int64_t *id);
int cpe_alertdb_put(cpe_store_t *s, const char *table, int64_t id, const char *json);
/* CPE_ENOTFOUND for a row never written or deleted. */
int cpe_alertdb_get(cpe_store_t *s, const char *table, int64_t id, char *out, size_t cap);
int cpe_alertdb_del(cpe_store_t *s, const char *table, int64_t id);
/* Every live row of table by ascending id; a non-zero return of fn stops and is returned. */
typedef int (*cpe_alertdb_fn)(void *ctx, int64_t id, const char *json);
int cpe_alertdb_each(cpe_store_t *s, const char *table, cpe_alertdb_fn fn, void *ctx);

#endif
