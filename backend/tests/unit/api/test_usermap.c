/* test_usermap.c — access tokens checked against the accounts in memory (api/usermap.h):
 * a login's token passes while its account exists as it was, not once the account is
 * deleted, recreated under its name or of another role; a change through another store
 * handle (another process) is seen after CPE_USERMAP_CHECK_MS; a hand-signed token names no
 * account. */
#include "api/accounts.h"
#include "api/usermap.h"
#include "test.h"

#define NOW 1796000000000LL
static const cpe_auth_cfg_t CFG = {"test-secret", 3600, 600};

static cpe_store_t *open_store(void)
{
    char url[1024];
    snprintf(url, sizeof url, "sqlite:%s/um.db", test_tmpdir());
    cpe_store_t *s = NULL;
    CHECK_EQ_INT(cpe_store_open(url, &s, NULL), 0);
    return s;
}

static void add(cpe_store_t *s, const char *name, const char *role, int64_t created_ms)
{
    cpe_user_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.role, sizeof u.role, "%s", role);
    snprintf(u.hash, sizeof u.hash, "%s", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA");
    u.created_ms = created_ms;
    CHECK_EQ_INT(cpe_userdb_put(s, &u), 0);
}

/* The claims of a login's access token for name (its password set first). */
static cpe_jwt_claims_t login(cpe_store_t *s, const char *name)
{
    cpe_user_t u;
    cpe_jwt_claims_t cl;
    memset(&cl, 0, sizeof cl);
    CHECK_EQ_INT(cpe_userdb_get(s, name, &u), 0);
    CHECK_EQ_INT(cpe_password_hash("correct horse", u.hash), 0);
    CHECK_EQ_INT(cpe_userdb_put(s, &u), 0);
    cpe_tokens_t t;
    CHECK_EQ_INT(cpe_auth_login(s, &CFG, name, "correct horse", NOW, &t), 0);
    char why[128];
    CHECK_EQ_INT(cpe_jwt_verify_claims(t.access, CFG.secret, NOW, &cl, why, sizeof why), 0);
    CHECK_STR(cl.typ, "access");
    CHECK(cl.gen == u.created_ms);
    return cl;
}

static int check(cpe_usermap_t *m, cpe_store_t *s, const cpe_jwt_claims_t *cl, int64_t now_ms,
                 char *why)
{
    why[0] = 0;
    return cpe_usermap_check(m, s, cl, now_ms, why, 160);
}

static void test_usermap_token_stops_with_its_account(void)
{
    cpe_store_t *s = open_store(), *other = open_store();
    if (!s || !other) return;
    add(s, "alice", "admin", NOW - 5000);
    add(s, "bob", "viewer", NOW - 4000);
    cpe_jwt_claims_t a = login(s, "alice"), b = login(s, "bob");
    cpe_usermap_t m;
    memset(&m, 0, sizeof m);
    char why[160];
    CHECK_EQ_INT(check(&m, s, &a, NOW, why), 0);
    CHECK_EQ_INT(check(&m, s, &b, NOW, why), 0);

    /* deleted by the server itself: invalidated, refused at the next request */
    CHECK_EQ_INT(cpe_userdb_del(s, "alice"), 0);
    cpe_usermap_invalidate(&m);
    CHECK_EQ_INT(check(&m, s, &a, NOW + 1, why), CPE_EINVAL);
    CHECK(strstr(why, "no longer exists") != NULL);

    /* added again under the same name: the old token was the earlier account's */
    add(s, "alice", "admin", NOW + 2);
    cpe_usermap_invalidate(&m);
    CHECK_EQ_INT(check(&m, s, &a, NOW + 3, why), CPE_EINVAL);
    CHECK(strstr(why, "earlier account") != NULL);

    /* deleted through another handle (another process): seen once the version is read again */
    CHECK_EQ_INT(cpe_userdb_del(other, "bob"), 0);
    CHECK_EQ_INT(check(&m, s, &b, NOW + 4, why), 0); /* within CPE_USERMAP_CHECK_MS */
    CHECK_EQ_INT(check(&m, s, &b, NOW + 4 + CPE_USERMAP_CHECK_MS, why), CPE_EINVAL);

    /* a role other than the account's */
    add(s, "carol", "viewer", NOW - 3000);
    cpe_jwt_claims_t c = login(s, "carol");
    snprintf(c.role, sizeof c.role, "admin");
    cpe_usermap_invalidate(&m);
    CHECK_EQ_INT(check(&m, s, &c, NOW + 5, why), CPE_EINVAL);
    CHECK(strstr(why, "role") != NULL);

    /* signed by hand (--make-token): no "typ", names no account */
    cpe_jwt_claims_t hand;
    memset(&hand, 0, sizeof hand);
    snprintf(hand.sub, sizeof hand.sub, "nobody");
    CHECK_EQ_INT(check(&m, s, &hand, NOW + 6, why), 0);
    cpe_usermap_free(&m);
    cpe_store_close(other);
    cpe_store_close(s);
}

int main(void)
{
    RUN(test_usermap_token_stops_with_its_account);
    return TEST_DONE();
}
