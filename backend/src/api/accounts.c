/* accounts.c — passwords (argon2id), login and rotating refresh tokens (api/accounts.h). */
#include "api/accounts.h"
#include "api/jwt.h"
#include "cpe/error.h"

#include <argon2.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define T_COST 2
#define M_COST_KIB 19456
#define LANES 1
#define SALT_LEN 16
#define TAG_LEN 32
#define FAMILY_BYTES 16
#define SECRET_BYTES 32

int cpe_password_hash(const char *password, char out[CPE_USER_HASH_MAX])
{
    uint8_t salt[SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) return CPE_EINTERNAL;
    size_t need = argon2_encodedlen(T_COST, M_COST_KIB, LANES, SALT_LEN, TAG_LEN, Argon2_id);
    if (need > CPE_USER_HASH_MAX) return CPE_ETOOBIG;
    int rc = argon2id_hash_encoded(T_COST, M_COST_KIB, LANES, password, strlen(password), salt,
                                   sizeof salt, TAG_LEN, out, CPE_USER_HASH_MAX);
    return rc == ARGON2_OK ? 0 : CPE_EINTERNAL;
}

int cpe_password_verify(const char *encoded, const char *password)
{
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK ? 0 : CPE_EINVAL;
}

/* ---------- bodies ---------- */

static int member(const json_t *j, const char *key, char *out, size_t cap, size_t min,
                  const char **field, char *why, size_t why_cap)
{
    json_t *v = json_object_get(j, key);
    *field = key;
    if (!v) return snprintf(why, why_cap, "'%s' is required", key), CPE_EINVAL;
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (!s) return snprintf(why, why_cap, "'%s' must be a string", key), CPE_EINVAL;
    if (n < min || n >= cap || strlen(s) != n)
        return snprintf(why, why_cap, "'%s' must be %zu..%zu bytes without NUL", key, min, cap - 1),
               CPE_EINVAL;
    memcpy(out, s, n + 1);
    return 0;
}

int cpe_auth_body_parse(const json_t *j, cpe_auth_kind_t kind, cpe_auth_body_t *out,
                        const char **field, char *why, size_t why_cap)
{
    static const char *const allowed[][4] = {
        [CPE_AUTH_LOGIN] = {"username", "password", NULL, NULL},
        [CPE_AUTH_REFRESH] = {"refresh_token", NULL, NULL, NULL},
        [CPE_AUTH_USER_NEW] = {"username", "password", "role", NULL},
    };
    memset(out, 0, sizeof *out);
    *field = "body";
    if (!json_is_object(j)) return snprintf(why, why_cap, "body must be a JSON object"), CPE_EINVAL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        int known = 0;
        for (int i = 0; allowed[kind][i]; i++)
            known |= !strcmp(key, allowed[kind][i]);
        if (!known) {
            *field = "body";
            return snprintf(why, why_cap, "unknown member in the body"), CPE_EINVAL;
        }
    }
    int rc = 0;
    if (kind == CPE_AUTH_REFRESH)
        return member(j, "refresh_token", out->refresh_token, sizeof out->refresh_token, 1, field,
                      why, why_cap);
    if ((rc = member(j, "username", out->username, sizeof out->username, 1, field, why, why_cap)))
        return rc;
    if (kind == CPE_AUTH_USER_NEW && !cpe_userdb_name_ok(out->username))
        return snprintf(why, why_cap, "'username' must be 1..%d of A-Z a-z 0-9 . _ -",
                        CPE_USER_NAME_MAX - 1),
               CPE_EINVAL;
    size_t pmin = kind == CPE_AUTH_USER_NEW ? CPE_PASSWORD_MIN : 1;
    if ((rc =
             member(j, "password", out->password, sizeof out->password, pmin, field, why, why_cap)))
        return rc;
    if (kind != CPE_AUTH_USER_NEW) return 0;
    if ((rc = member(j, "role", out->role, sizeof out->role, 1, field, why, why_cap))) {
        if (json_object_get(j, "role"))
            return snprintf(why, why_cap, "'role' must be viewer or admin"), rc;
        return rc;
    }
    if (!cpe_userdb_role_ok(out->role))
        return snprintf(why, why_cap, "'role' must be viewer or admin"), CPE_EINVAL;
    *field = NULL;
    return 0;
}

/* ---------- tokens ---------- */

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static void token_sha(const char *token, char out[65])
{
    uint8_t h[32];
    cpe_sha256(token, strlen(token), h);
    hex(h, sizeof h, out);
}

static int random_b64(size_t bytes, char *out, size_t cap)
{
    uint8_t b[SECRET_BYTES];
    if (bytes > sizeof b || RAND_bytes(b, (int)bytes) != 1) return CPE_EINTERNAL;
    cpe_b64url_encode(b, bytes, out, cap);
    return 0;
}

/* A new current token for family f (rotated or new) and the access JWT of user/role. */
static int issue(cpe_store_t *s, const cpe_auth_cfg_t *cfg, cpe_refresh_family_t *f,
                 const cpe_user_t *u, int64_t now_ms, cpe_tokens_t *out)
{
    char secret[48], payload[384];
    int rc = random_b64(SECRET_BYTES, secret, sizeof secret);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    snprintf(out->refresh, sizeof out->refresh, "%s.%s", f->id, secret);
    token_sha(out->refresh, f->cur_sha256);
    f->expires_ms = now_ms + (int64_t)cfg->refresh_ttl_s * 1000;
    f->revoked = 0;
    if ((rc = cpe_userdb_family_put(s, f))) return rc;
    int64_t now_s = now_ms / 1000;
    snprintf(payload, sizeof payload,
             "{\"sub\":\"%s\",\"role\":\"%s\",\"typ\":\"access\",\"gen\":%" PRId64
             ",\"iat\":%" PRId64 ",\"exp\":%" PRId64 "}",
             f->user, u->role, u->created_ms, now_s, now_s + cfg->access_ttl_s);
    if ((rc = cpe_jwt_sign(payload, cfg->secret, out->access, sizeof out->access))) return rc;
    snprintf(out->user, sizeof out->user, "%s", f->user);
    snprintf(out->role, sizeof out->role, "%s", u->role);
    out->expires_in_s = cfg->access_ttl_s;
    return 0;
}

int cpe_auth_login(cpe_store_t *s, const cpe_auth_cfg_t *cfg, const char *user,
                   const char *password, int64_t now_ms, cpe_tokens_t *out)
{
    cpe_user_t u;
    int rc = cpe_userdb_get(s, user, &u);
    if (rc == CPE_ENOTFOUND) {
        char waste[CPE_USER_HASH_MAX]; /* as slow as a wrong password: no user enumeration */
        cpe_password_hash(password, waste);
        return CPE_EINVAL;
    }
    if (rc) return rc;
    if (cpe_password_verify(u.hash, password)) return CPE_EINVAL;
    cpe_refresh_family_t f;
    memset(&f, 0, sizeof f);
    if ((rc = random_b64(FAMILY_BYTES, f.id, sizeof f.id))) return rc;
    snprintf(f.user, sizeof f.user, "%s", u.name);
    return issue(s, cfg, &f, &u, now_ms, out);
}

#define REASON(...) snprintf(reason, reason_cap, __VA_ARGS__)

/* The family named by token's id part. */
static int family_of(cpe_store_t *s, const char *token, cpe_refresh_family_t *f)
{
    const char *dot = strchr(token, '.');
    char id[CPE_FAMILY_ID_MAX];
    if (!dot || (size_t)(dot - token) >= sizeof id) return CPE_EINVAL;
    snprintf(id, sizeof id, "%.*s", (int)(dot - token), token);
    return cpe_userdb_family_get(s, id, f) == 0 ? 0 : CPE_EINVAL;
}

int cpe_auth_refresh(cpe_store_t *s, const cpe_auth_cfg_t *cfg, const char *token, int64_t now_ms,
                     cpe_tokens_t *out, char *reason, size_t reason_cap)
{
    cpe_refresh_family_t f;
    char sha[65];
    int rc;
    if (family_of(s, token, &f)) return REASON("refresh token is unknown"), CPE_EINVAL;
    if (f.revoked) return REASON("refresh token was revoked; log in again"), CPE_EINVAL;
    token_sha(token, sha);
    if (strcmp(sha, f.cur_sha256)) {
        f.revoked = 1;
        if ((rc = cpe_userdb_family_put(s, &f))) return rc;
        REASON("refresh token was already used: every token of this session is revoked");
        return CPE_EEXISTS;
    }
    if (now_ms >= f.expires_ms) return REASON("refresh token expired; log in again"), CPE_ESTALE;
    cpe_user_t u;
    if ((rc = cpe_userdb_get(s, f.user, &u))) {
        if (rc != CPE_ENOTFOUND) return rc;
        f.revoked = 1;
        cpe_userdb_family_put(s, &f);
        return REASON("the account no longer exists"), CPE_EINVAL;
    }
    return issue(s, cfg, &f, &u, now_ms, out);
}

int cpe_auth_logout(cpe_store_t *s, const char *token)
{
    cpe_refresh_family_t f;
    if (family_of(s, token, &f)) return CPE_EINVAL;
    f.revoked = 1;
    return cpe_userdb_family_put(s, &f);
}
