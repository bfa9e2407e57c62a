/*
 * accounts.h — local user accounts: password hashing, login, rotating refresh tokens
 * (spec 15; docs/SERVER.md, Accounts). Rows live in the store (cpe/userdb.h).
 *
 * Passwords: argon2id (libargon2), t=2 passes over 19 MiB, 1 lane, 16-byte random salt,
 * 32-byte tag, kept in the encoded form "$argon2id$v=19$m=19456,t=2,p=1$salt$tag" (the
 * parameters travel with the hash, so they can be raised later without a migration).
 * A password is 8..CPE_PASSWORD_MAX bytes.
 *
 * Tokens. Login gives two:
 *   access   an HS256 JWT {"sub","role","iat","exp","typ":"access"} signed with
 *            CPE_JWT_SECRET, valid access_ttl_s (3600); the server checks it on every
 *            non-public route (api/dispatch.c) and never stores it.
 *   refresh  "<family>.<secret>": 16 random bytes of family id and 32 of secret, base64url.
 *            Only the SHA-256 of the family's current token is stored. POST /auth/refresh
 *            with the current token answers a new pair and makes the old refresh token
 *            invalid (rotation); presenting any other token of a known family — an old one
 *            that was already rotated, i.e. a copy in someone else's hands — revokes the
 *            family, so neither holder can refresh again. Logout revokes the family.
 *            A family lives refresh_ttl_s from its last rotation.
 *
 * Errors name no secret: messages say which rule refused, never echo a password or token.
 * Threads: the caller's store; any thread (the server calls from its service thread).
 */
#ifndef CPE_API_ACCOUNTS_H
#define CPE_API_ACCOUNTS_H

#include "cpe/store.h"
#include "cpe/userdb.h"

#include <jansson.h>
#include <stdint.h>

#define CPE_PASSWORD_MIN 8
#define CPE_PASSWORD_MAX 1024
#define CPE_REFRESH_TOKEN_MAX 96
#define CPE_ACCESS_TOKEN_MAX 1024

int cpe_password_hash(const char *password, char out[CPE_USER_HASH_MAX]);
/* 0 when password matches encoded, CPE_EINVAL when it does not (or encoded is malformed). */
int cpe_password_verify(const char *encoded, const char *password);

/* The JSON bodies of the account routes. */
typedef enum cpe_auth_kind {
    CPE_AUTH_LOGIN,    /* {"username","password"} */
    CPE_AUTH_REFRESH,  /* {"refresh_token"} (refresh and logout) */
    CPE_AUTH_USER_NEW, /* {"username","password","role"} (POST /users) */
} cpe_auth_kind_t;

typedef struct cpe_auth_body {
    char username[CPE_USER_NAME_MAX];
    char password[CPE_PASSWORD_MAX + 1];
    char refresh_token[CPE_REFRESH_TOKEN_MAX];
    char role[8];
} cpe_auth_body_t;

/* Read body j (an object) for kind: 0, or CPE_EINVAL with *field naming the missing, extra
 * or malformed member and why saying what is wrong (without its value). */
int cpe_auth_body_parse(const json_t *j, cpe_auth_kind_t kind, cpe_auth_body_t *out,
                        const char **field, char *why, size_t why_cap);

typedef struct cpe_auth_cfg {
    const char *secret; /* CPE_JWT_SECRET */
    int access_ttl_s;   /* CPE_ACCESS_TTL_S, 3600 */
    int refresh_ttl_s;  /* CPE_REFRESH_TTL_S, 2592000 (30 days) */
} cpe_auth_cfg_t;

typedef struct cpe_tokens {
    char access[CPE_ACCESS_TOKEN_MAX];
    char refresh[CPE_REFRESH_TOKEN_MAX];
    char user[CPE_USER_NAME_MAX];
    char role[8];
    int expires_in_s;
} cpe_tokens_t;

/* Check the password and open a refresh family. CPE_EINVAL for an unknown user or a wrong
 * password alike (the same work is done for both); store errors as they come. */
int cpe_auth_login(cpe_store_t *s, const cpe_auth_cfg_t *cfg, const char *user,
                   const char *password, int64_t now_ms, cpe_tokens_t *out);
/* Rotate: CPE_EINVAL unknown/malformed/revoked, CPE_ESTALE expired, CPE_EEXISTS reuse of a
 * rotated token (the family is revoked before returning); reason says which. */
int cpe_auth_refresh(cpe_store_t *s, const cpe_auth_cfg_t *cfg, const char *token, int64_t now_ms,
                     cpe_tokens_t *out, char *reason, size_t reason_cap);
/* Revoke the family of token (current or old). CPE_EINVAL when the token is unknown. */
int cpe_auth_logout(cpe_store_t *s, const char *token);

#endif
