/* store_pg_schema.c — the PostgreSQL schema as numbered migrations (cpe/store_pg.h draws
 * it), the schema_version table that records which ones ran, and the monthly partitions
 * of kline_chunk, created when a write first reaches a month. */
#include "cpe/timeutil.h"
#include "store/pg/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory lock keys: one migration at a time; one partition creator at a time. */
#define LOCK_MIGRATE "7291560001"
#define LOCK_PARTITION "7291560002"

typedef struct migration {
    int version;
    const char *name;
    const char *sql;
} migration_t;

/* One row per schema change, applied in order, each once. Append; never edit a row. */
static const migration_t migrations[] = {
    {1, "series, monthly kline_chunk partitions, point, prediction, meta",
     "CREATE TABLE series(id bigserial PRIMARY KEY, instrument text NOT NULL,"
     " kind text NOT NULL, interval_ms bigint NOT NULL DEFAULT 0,"
     " simulated bigint NOT NULL DEFAULT 0, UNIQUE(instrument, kind));"
     "CREATE TABLE kline_chunk(series_id bigint NOT NULL, day bigint NOT NULL,"
     " n bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY(series_id, day))"
     " PARTITION BY RANGE (day);"
     /* packed doubles do not compress: keep TOAST from trying (partitions inherit it) */
     "ALTER TABLE kline_chunk ALTER COLUMN data SET STORAGE EXTERNAL;"
     "CREATE TABLE point(series_id bigint NOT NULL, ts bigint NOT NULL, seq bigint NOT NULL,"
     " v0 float8, v1 float8, v2 float8, v3 float8, v4 float8, v5 float8,"
     " PRIMARY KEY(series_id, ts, seq));"
     "CREATE TABLE prediction(symbol text NOT NULL, horizon_h bigint NOT NULL,"
     " ts bigint NOT NULL, model_version text, rec bytea NOT NULL, explain text,"
     " PRIMARY KEY(symbol, horizon_h, ts));"
     "CREATE TABLE meta(key text PRIMARY KEY, value text);"},
    {2, "bt_run: saved backtest runs",
     "CREATE TABLE bt_run(id text PRIMARY KEY, created_ms bigint NOT NULL,"
     " instrument text NOT NULL, from_ms bigint NOT NULL, to_ms bigint NOT NULL,"
     " data_version text NOT NULL, model_version text NOT NULL, strategy text NOT NULL,"
     " metrics text NOT NULL, result text NOT NULL);"
     "CREATE INDEX bt_run_created ON bt_run(created_ms, id);"},
};

#define NMIG ((int)(sizeof migrations / sizeof migrations[0]))

int pg_schema_latest(void)
{
    return migrations[NMIG - 1].version;
}

static int query_int(pg_store_t *s, const char *sql, int *out)
{
    PGresult *r = PQexec(s->c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        int rc = pg_fail(s, "read schema version", r);
        PQclear(r);
        return rc;
    }
    *out = PQgetisnull(r, 0, 0) ? 0 : (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

int pg_schema_version(pg_store_t *s, int *version)
{
    int exists = 0;
    int rc = query_int(s, "SELECT (to_regclass('schema_version') IS NOT NULL)::int", &exists);
    if (rc || !exists) {
        *version = 0;
        return rc;
    }
    return query_int(s, "SELECT max(version) FROM schema_version", version);
}

int pg_migrate(pg_store_t *s, int *from, int *to)
{
    int rc = pg_exec(s, "BEGIN", "begin migration");
    if (rc) return rc;
    if ((rc = pg_exec(s, "SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ")", "lock")) ||
        (rc = pg_exec(s,
                      "CREATE TABLE IF NOT EXISTS schema_version(version bigint PRIMARY KEY,"
                      " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                      "create schema_version")) ||
        (rc = pg_schema_version(s, from)))
        goto fail;
    if (*from > pg_schema_latest()) {
        rc = cpe_diag_set(&s->base.diag, CPE_EUNSUPPORTED,
                          "postgres: the schema is at version %d, newer than this build's %d",
                          *from, pg_schema_latest());
        goto fail;
    }
    for (int i = 0; i < NMIG; i++) {
        if (migrations[i].version <= *from) continue;
        char ins[256];
        snprintf(ins, sizeof ins, "INSERT INTO schema_version(version, name) VALUES(%d, '%s')",
                 migrations[i].version, migrations[i].name);
        if ((rc = pg_exec(s, migrations[i].sql, migrations[i].name)) ||
            (rc = pg_exec(s, ins, "record migration")))
            goto fail;
    }
    *to = pg_schema_latest();
    return pg_exec(s, "COMMIT", "commit migration");
fail:
    pg_exec(s, "ROLLBACK", "rollback migration");
    return rc;
}

static int month_known(const pg_store_t *s, int64_t m)
{
    for (int i = 0; i < s->nmonths; i++)
        if (s->months[i] == m) return 1;
    return 0;
}

int pg_ensure_partitions(pg_store_t *s, int64_t d0, int64_t d1)
{
    int y, locked = 0;
    unsigned mo, dd;
    cpe_civil_from_days(d0, &y, &mo, &dd);
    for (int64_t m = cpe_days_from_civil(y, mo, 1); m <= d1;) {
        int ny = mo == 12 ? y + 1 : y;
        unsigned nmo = mo == 12 ? 1 : mo + 1;
        int64_t next = cpe_days_from_civil(ny, nmo, 1);
        if (!month_known(s, m)) {
            int rc;
            if (!locked &&
                (rc = pg_exec(s, "SELECT pg_advisory_xact_lock(" LOCK_PARTITION ")", "lock")))
                return rc;
            locked = 1;
            char sql[256];
            snprintf(sql, sizeof sql,
                     "CREATE TABLE IF NOT EXISTS kline_chunk_%04d_%02u PARTITION OF kline_chunk"
                     " FOR VALUES FROM (%lld) TO (%lld)",
                     y, mo, (long long)m, (long long)next);
            if ((rc = pg_exec(s, sql, "create partition"))) return rc;
            if (s->nmonths < PG_MONTHS_MAX) s->months[s->nmonths++] = m;
        }
        m = next;
        y = ny;
        mo = nmo;
    }
    return 0;
}
