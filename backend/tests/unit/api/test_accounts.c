/* test_accounts.c — argon2id passwords, the account bodies, login, refresh rotation, reuse
 * detection revoking the family, expiry and logout (api/accounts.h) on a SQLite store. */
#include "api/accounts.h"
#include "api/jwt.h"
#include "cpe/api.h"
#include "test.h"

#define NOW 1796000000000LL
static const cpe_auth_cfg_t CFG = {"test-secret", 3600, 600};

static cpe_store_t *store_with_alice(void)
{
    char url[1024];
    snprintf(url, sizeof url, "sqlite:%s/acc.db", test_tmpdir());
    cpe_store_t *s = NULL;
    CHECK_EQ_INT(cpe_store_open(url, &s, NULL), 0);
    if (!s) return NULL;
    cpe_user_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "alice");
    snprintf(u.role, sizeof u.role, "admin");
    CHECK_EQ_INT(cpe_password_hash("correct horse", u.hash), 0);
    CHECK_EQ_INT(cpe_userdb_put(s, &u), 0);
    return s;
}

static void test_password_hash_is_salted_argon2id_and_verifies(void)
{
    char a[CPE_USER_HASH_MAX], b[CPE_USER_HASH_MAX];
    CHECK_EQ_INT(cpe_password_hash("hunter22", a), 0);
    CHECK_EQ_INT(cpe_password_hash("hunter22", b), 0);
    CHECK(!strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31));
    CHECK(strcmp(a, b) != 0); /* a fresh salt each time */
    CHECK_EQ_INT(cpe_password_verify(a, "hunter22"), 0);
    CHECK_EQ_INT(cpe_password_verify(a, "hunter23"), CPE_EINVAL);
    CHECK_EQ_INT(cpe_password_verify("not a hash", "hunter22"), CPE_EINVAL);
}

static int parse(const char *text, cpe_auth_kind_t kind, const char **field)
{
    json_t *j = json_loads(text, 0, NULL);
    cpe_auth_body_t b;
    char why[128];
    int rc = cpe_auth_body_parse(j, kind, &b, field, why, sizeof why);
    CHECK(rc == 0 || why[0]);
    CHECK(!strstr(why, "s3cr3t")); /* a refusal never shows the password */
    json_decref(j);
    return rc;
}

static void test_auth_bodies_name_the_bad_member(void)
{
    const char *f = NULL;
    CHECK_EQ_INT(parse("{\"username\":\"a\",\"password\":\"s3cr3t\"}", CPE_AUTH_LOGIN, &f), 0);
    CHECK_EQ_INT(parse("{\"username\":\"a\"}", CPE_AUTH_LOGIN, &f), CPE_EINVAL);
    CHECK_STR(f, "password");
    CHECK_EQ_INT(parse("{\"username\":1,\"password\":\"s3cr3t\"}", CPE_AUTH_LOGIN, &f), CPE_EINVAL);
    CHECK_STR(f, "username");
    CHECK_EQ_INT(parse("{\"username\":\"a\",\"password\":\"s3cr3t\",\"x\":1}", CPE_AUTH_LOGIN, &f),
                 CPE_EINVAL);
    CHECK_STR(f, "body");
    CHECK_EQ_INT(parse("{\"refresh_token\":\"\"}", CPE_AUTH_REFRESH, &f), CPE_EINVAL);
    CHECK_EQ_INT(parse("{\"username\":\"n\",\"password\":\"s3cr3t\",\"role\":\"admin\"}",
                       CPE_AUTH_USER_NEW, &f),
                 CPE_EINVAL); /* shorter than 8 */
    CHECK_STR(f, "password");
    CHECK_EQ_INT(parse("{\"username\":\"n\",\"password\":\"s3cr3t-long\",\"role\":\"root\"}",
                       CPE_AUTH_USER_NEW, &f),
                 CPE_EINVAL);
    CHECK_STR(f, "role");
    CHECK_EQ_INT(parse("{\"username\":\"n m\",\"password\":\"s3cr3t-long\",\"role\":\"admin\"}",
                       CPE_AUTH_USER_NEW, &f),
                 CPE_EINVAL);
    CHECK_STR(f, "username");
}

static void test_login_gives_an_access_jwt_with_role_and_one_hour(void)
{
    cpe_store_t *s = store_with_alice();
    if (!s) return;
    cpe_tokens_t t;
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, "alice", "wrong horse", NOW, &t), CPE_EINVAL);
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, "nobody", "correct horse", NOW, &t), CPE_EINVAL);
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, "alice", "correct horse", NOW, &t), 0);
    cpe_jwt_claims_t c;
    char why[128];
    CHECK_EQ_INT(cpe_jwt_verify_claims(t.access, CFG.secret, NOW + 3599000, &c, why, sizeof why),
                 0);
    CHECK_STR(c.sub, "alice");
    CHECK_STR(c.role, "admin");
    CHECK_EQ_INT(cpe_jwt_verify_claims(t.access, CFG.secret, NOW + 3600000, &c, why, sizeof why),
                 CPE_ESTALE);
    CHECK_EQ_INT(t.expires_in_s, 3600);
    cpe_store_close(s);
}

static void test_refresh_rotates_and_reuse_revokes_the_family(void)
{
    cpe_store_t *s = store_with_alice();
    if (!s) return;
    cpe_tokens_t t1, t2, t3, other;
    char why[128];
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, "alice", "correct horse", NOW, &t1), 0);
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, "alice", "correct horse", NOW, &other), 0);
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, t1.refresh, NOW + 1000, &t2, why, sizeof why), 0);
    CHECK(strcmp(t1.refresh, t2.refresh) != 0);
    /* the old token again: reuse; the family (t2 too) is revoked, the other session is not */
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, t1.refresh, NOW + 2000, &t3, why, sizeof why),
                 CPE_EEXISTS);
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, t2.refresh, NOW + 3000, &t3, why, sizeof why),
                 CPE_EINVAL);
    CHECK(strstr(why, "revoked") != NULL);
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, other.refresh, NOW + 3000, &t3, why, sizeof why), 0);
    /* expiry: refresh_ttl_s after the last rotation */
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, t3.refresh, NOW + 3000 + 600000, &t2, why, sizeof why),
                 CPE_ESTALE);
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, "garbage", NOW, &t2, why, sizeof why), CPE_EINVAL);
    cpe_store_close(s);
}

static void test_logout_revokes_the_session(void)
{
    cpe_store_t *s = store_with_alice();
    if (!s) return;
    cpe_tokens_t t, t2;
    char why[128];
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, "alice", "correct horse", NOW, &t), 0);
    CHECK_EQ_INT(cpe_auth_logout(s, t.refresh), 0);
    CHECK_EQ_INT(cpe_auth_refresh(s, &CFG, t.refresh, NOW, &t2, why, sizeof why), CPE_EINVAL);
    CHECK_EQ_INT(cpe_auth_logout(s, "no-such.family"), CPE_EINVAL);
    cpe_store_close(s);
}

static void test_jwt_secret_file_is_read_and_never_echoed(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/secret.txt", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("file-secret-42\nsecond line\n", f);
    fclose(f);
    cpe_api_config_t c;
    cpe_api_config_defaults(&c);
    CHECK_STR(c.jwt_secret, "");
    cpe_diag_t d = {0};
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_JWT_SECRET_FILE", path, &d), 0);
    CHECK_STR(c.jwt_secret, "file-secret-42");
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_JWT_SECRET_FILE", "/nonexistent/s", &d), CPE_EIO);
    CHECK(strstr(d.msg, "/nonexistent/s") != NULL);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_RATE_LIMIT_USER_PER_MIN", "-1", &d), CPE_EINVAL);
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_ACCESS_TTL_S", "0", &d), CPE_EINVAL);
    f = fopen(path, "w");
    if (f) fclose(f); /* an empty file is refused */
    CHECK_EQ_INT(cpe_api_config_set(&c, "CPE_JWT_SECRET_FILE", path, &d), CPE_EINVAL);
    CHECK(!strstr(d.msg, "file-secret-42"));
}

int main(void)
{
    RUN(test_password_hash_is_salted_argon2id_and_verifies);
    RUN(test_auth_bodies_name_the_bad_member);
    RUN(test_login_gives_an_access_jwt_with_role_and_one_hour);
    RUN(test_refresh_rotates_and_reuse_revokes_the_family);
    RUN(test_logout_revokes_the_session);
    RUN(test_jwt_secret_file_is_read_and_never_echoed);
    return TEST_DONE();
}
