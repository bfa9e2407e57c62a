/*
 * userdb.h — local user accounts and refresh-token families, kept as rows of the store's
 * meta table (cpe_store_ops_t set_meta / get_meta / each_meta), so both backends (SQLite
 * and PostgreSQL) keep them without a schema change (as cpe/alertdb.h does for alerts).
 *
 * Rows (one meta row each; a deleted row is an empty value, which readers skip):
 *
 *   key                      value (space-separated, one line)
 *   user:<name>              u1 <role> <created_ms> <argon2id encoded hash>
 *   refresh:<family>         r1 <name> <sha256 hex of the family's current token>
 *                               <expires_ms> <revoked 0|1>
 *   users:version            <ms>.<pid>.<n>: rewritten by every put and del of a user, so
 *                            a cache of the users (the server's, api/usermap.h) sees a
 *                            change made by any process with one read
 *
 * A name is 1..CPE_USER_NAME_MAX-1 characters of [A-Za-z0-9._-]; a role is "viewer" or
 * "admin"; a family id is 1..CPE_FAMILY_ID_MAX-1 characters of [A-Za-z0-9_-] (base64url).
 * The store does not hash or check passwords: api/accounts.c owns the hashing (libargon2)
 * and the token rules (docs/SERVER.md, Accounts). A refresh family is never removed, only
 * revoked: a revoked family still answers, so reuse of a stolen token is recognised.
 *
 * Threads: as the store; the caller serialises.
 */
#ifndef CPE_USERDB_H
#define CPE_USERDB_H

#include "cpe/store.h"

#include <stddef.h>
#include <stdint.h>

#define CPE_USER_NAME_MAX 64  /* longest user name + NUL */
#define CPE_USER_HASH_MAX 192 /* longest encoded password hash + NUL */
#define CPE_FAMILY_ID_MAX 48  /* longest refresh family id + NUL */

typedef struct cpe_user {
    char name[CPE_USER_NAME_MAX];
    char role[8]; /* "viewer" | "admin" */
    int64_t created_ms;
    char hash[CPE_USER_HASH_MAX]; /* argon2id encoded ($argon2id$v=19$m=...) */
} cpe_user_t;

typedef struct cpe_refresh_family {
    char id[CPE_FAMILY_ID_MAX];
    char user[CPE_USER_NAME_MAX];
    char cur_sha256[65]; /* hex of SHA-256 of the only token of the family still valid */
    int64_t expires_ms;
    int revoked;
} cpe_refresh_family_t;

/* 1 when name / role / family id are well formed, else 0. */
int cpe_userdb_name_ok(const char *name);
int cpe_userdb_role_ok(const char *role);
int cpe_userdb_family_ok(const char *id);

/* Insert or replace u (CPE_EINVAL naming the field when name, role or hash is malformed). */
int cpe_userdb_put(cpe_store_t *s, const cpe_user_t *u);
/* CPE_ENOTFOUND for a user never added or deleted; CPE_EPARSE for a damaged row. */
int cpe_userdb_get(cpe_store_t *s, const char *name, cpe_user_t *out);
int cpe_userdb_del(cpe_store_t *s, const char *name); /* CPE_ENOTFOUND when absent */
#define CPE_USERDB_VERSION_KEY "users:version"
/* The users:version row into out ("" when no user was ever changed). */
int cpe_userdb_version(cpe_store_t *s, char *out, size_t cap);
/* Every user by ascending name; a non-zero return of fn stops and is returned. */
typedef int (*cpe_userdb_fn)(void *ctx, const cpe_user_t *u);
int cpe_userdb_each(cpe_store_t *s, cpe_userdb_fn fn, void *ctx);

int cpe_userdb_family_put(cpe_store_t *s, const cpe_refresh_family_t *f);
int cpe_userdb_family_get(cpe_store_t *s, const char *id, cpe_refresh_family_t *out);
/* Revoke every family of user (on delete, or a password change). */
int cpe_userdb_revoke_user(cpe_store_t *s, const char *name);

#endif
