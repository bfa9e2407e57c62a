/* test_userdb.c — user and refresh-family rows in the store's meta table (cpe/userdb.h):
 * round trips, deletion, malformed names refused, revoking a user's families, the
 * users:version row moving with every change. */
#include "cpe/userdb.h"
#include "test.h"

static cpe_store_t *open_store(const char *name)
{
    char url[1024];
    snprintf(url, sizeof url, "sqlite:%s/%s.db", test_tmpdir(), name);
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    CHECK_MSG(cpe_store_open(url, &s, &d) == 0, "open %s: %s", url, d.msg);
    return s;
}

static cpe_user_t user(const char *name, const char *role)
{
    cpe_user_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.role, sizeof u.role, "%s", role);
    snprintf(u.hash, sizeof u.hash, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA");
    u.created_ms = 1796000000000LL;
    return u;
}

static int collect(void *ctx, const cpe_user_t *u)
{
    char *seen = ctx;
    snprintf(seen + strlen(seen), 256 - strlen(seen), "%s=%s;", u->name, u->role);
    return 0;
}

static void test_userdb_users_round_trip_and_delete(void)
{
    cpe_store_t *s = open_store("users");
    if (!s) return;
    cpe_user_t a = user("alice", "admin"), b = user("bob.v-1", "viewer"), got;
    CHECK_EQ_INT(cpe_userdb_put(s, &b), 0);
    CHECK_EQ_INT(cpe_userdb_put(s, &a), 0);
    CHECK_EQ_INT(cpe_userdb_get(s, "alice", &got), 0);
    CHECK_STR(got.role, "admin");
    CHECK_STR(got.hash, a.hash);
    CHECK(got.created_ms == a.created_ms);
    char seen[256] = "";
    CHECK_EQ_INT(cpe_userdb_each(s, collect, seen), 0);
    CHECK_STR(seen, "alice=admin;bob.v-1=viewer;");
    CHECK_EQ_INT(cpe_userdb_del(s, "alice"), 0);
    CHECK_EQ_INT(cpe_userdb_get(s, "alice", &got), CPE_ENOTFOUND);
    CHECK_EQ_INT(cpe_userdb_del(s, "alice"), CPE_ENOTFOUND);
    seen[0] = 0;
    CHECK_EQ_INT(cpe_userdb_each(s, collect, seen), 0);
    CHECK_STR(seen, "bob.v-1=viewer;");
    cpe_store_close(s);
}

static void test_userdb_refuses_malformed_names_roles_and_hashes(void)
{
    cpe_store_t *s = open_store("bad");
    if (!s) return;
    cpe_user_t u = user("a b", "admin");
    CHECK_EQ_INT(cpe_userdb_put(s, &u), CPE_EINVAL);
    u = user("", "admin");
    CHECK_EQ_INT(cpe_userdb_put(s, &u), CPE_EINVAL);
    u = user("carol", "root");
    CHECK_EQ_INT(cpe_userdb_put(s, &u), CPE_EINVAL);
    u = user("carol", "viewer");
    snprintf(u.hash, sizeof u.hash, "has space");
    CHECK_EQ_INT(cpe_userdb_put(s, &u), CPE_EINVAL);
    CHECK_EQ_INT(cpe_userdb_get(s, "../etc", &u), CPE_ENOTFOUND);
    CHECK(!cpe_userdb_family_ok("a.b"));
    cpe_store_close(s);
}

static void test_userdb_deleting_a_user_revokes_its_families(void)
{
    cpe_store_t *s = open_store("families");
    if (!s) return;
    cpe_user_t a = user("alice", "admin"), b = user("bob", "viewer");
    CHECK_EQ_INT(cpe_userdb_put(s, &a), 0);
    CHECK_EQ_INT(cpe_userdb_put(s, &b), 0);
    const char *ids[3] = {"famA1", "famA2", "famB1"};
    for (int i = 0; i < 3; i++) {
        cpe_refresh_family_t f;
        memset(&f, 0, sizeof f);
        snprintf(f.id, sizeof f.id, "%s", ids[i]);
        snprintf(f.user, sizeof f.user, "%s", i < 2 ? "alice" : "bob");
        memset(f.cur_sha256, 'a' + i, 64);
        f.expires_ms = 1796000000000LL + i;
        CHECK_EQ_INT(cpe_userdb_family_put(s, &f), 0);
    }
    cpe_refresh_family_t g;
    CHECK_EQ_INT(cpe_userdb_family_get(s, "famA2", &g), 0);
    CHECK_STR(g.user, "alice");
    CHECK(g.expires_ms == 1796000000001LL && !g.revoked && g.cur_sha256[0] == 'b');
    CHECK_EQ_INT(cpe_userdb_del(s, "alice"), 0);
    CHECK_EQ_INT(cpe_userdb_family_get(s, "famA1", &g), 0);
    CHECK(g.revoked);
    CHECK_EQ_INT(cpe_userdb_family_get(s, "famA2", &g), 0);
    CHECK(g.revoked);
    CHECK_EQ_INT(cpe_userdb_family_get(s, "famB1", &g), 0);
    CHECK(!g.revoked);
    CHECK_EQ_INT(cpe_userdb_family_get(s, "nope", &g), CPE_ENOTFOUND);
    cpe_store_close(s);
}

static void test_userdb_version_moves_with_every_user_change(void)
{
    cpe_store_t *s = open_store("version");
    if (!s) return;
    char v0[64], v1[64], v2[64], v3[64];
    CHECK_EQ_INT(cpe_userdb_version(s, v0, sizeof v0), 0);
    CHECK_STR(v0, ""); /* no user ever changed */
    cpe_user_t a = user("alice", "admin");
    CHECK_EQ_INT(cpe_userdb_put(s, &a), 0);
    CHECK_EQ_INT(cpe_userdb_version(s, v1, sizeof v1), 0);
    CHECK(v1[0] && strcmp(v1, v0));
    CHECK_EQ_INT(cpe_userdb_put(s, &a), 0); /* the same row again is still a change */
    CHECK_EQ_INT(cpe_userdb_version(s, v2, sizeof v2), 0);
    CHECK(strcmp(v2, v1));
    CHECK_EQ_INT(cpe_userdb_del(s, "alice"), 0);
    CHECK_EQ_INT(cpe_userdb_version(s, v3, sizeof v3), 0);
    CHECK(strcmp(v3, v2));
    char seen[256] = "";
    CHECK_EQ_INT(cpe_userdb_each(s, collect, seen), 0);
    CHECK_STR(seen, ""); /* the version row is not a user */
    cpe_store_close(s);
}

int main(void)
{
    RUN(test_userdb_users_round_trip_and_delete);
    RUN(test_userdb_refuses_malformed_names_roles_and_hashes);
    RUN(test_userdb_deleting_a_user_revokes_its_families);
    RUN(test_userdb_version_moves_with_every_user_change);
    return TEST_DONE();
}
