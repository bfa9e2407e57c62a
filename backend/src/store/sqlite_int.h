/* sqlite_int.h — what the SQLite backend's files share (cpe/store.h has the model and the
 * schema): the connection of a store opened by cpe_store_sqlite_open, and the saved-run
 * operations of store_runs_sqlite.c that the backend's operation table lists. Internal to
 * src/store/. */
#ifndef CPE_STORE_SQLITE_INT_H
#define CPE_STORE_SQLITE_INT_H

#include "cpe/store.h"

#include <sqlite3.h>

/* The connection of a SQLite store (store_sqlite.c). */
sqlite3 *cpe_sq_db(cpe_store_t *s);

/* The bt_run table (CREATE ... IF NOT EXISTS), run by cpe_store_sqlite_open. */
extern const char cpe_sq_runs_schema[];

/* store_runs_sqlite.c: put_run, list_runs, get_run of cpe_store_ops_t. */
int cpe_sq_put_run(cpe_store_t *s, const cpe_store_run_t *r);
int cpe_sq_list_runs(cpe_store_t *s, size_t offset, size_t limit, cpe_store_run_t **out, size_t *n,
                     size_t *total);
int cpe_sq_get_run(cpe_store_t *s, const char *id, cpe_store_run_t *out);

#endif
