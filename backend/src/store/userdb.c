/* userdb.c — user accounts and refresh-token families in the meta table (cpe/userdb.h). */
#include "cpe/userdb.h"
#include "cpe/num.h"
#include "cpe/timeutil.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_MAX 512

static int chars_ok(const char *s, size_t cap, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap) return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return 0;
    }
    return 1;
}

int cpe_userdb_name_ok(const char *name)
{
    return chars_ok(name, CPE_USER_NAME_MAX, "._-");
}

int cpe_userdb_role_ok(const char *role)
{
    return !strcmp(role, "viewer") || !strcmp(role, "admin");
}

int cpe_userdb_family_ok(const char *id)
{
    return chars_ok(id, CPE_FAMILY_ID_MAX, "_-");
}

/* A value no earlier change wrote (time, process, count), so a reader comparing two reads
 * sees any change in between, made by whichever process. */
static int bump_version(cpe_store_t *s)
{
    static atomic_long count;
    char v[64];
    snprintf(v, sizeof v, "%" PRId64 ".%ld.%ld", cpe_now_ms(), (long)getpid(),
             atomic_fetch_add(&count, 1) + 1);
    return s->ops->set_meta(s, CPE_USERDB_VERSION_KEY, v);
}

int cpe_userdb_version(cpe_store_t *s, char *out, size_t cap)
{
    char v[ROW_MAX];
    int rc = s->ops->get_meta(s, CPE_USERDB_VERSION_KEY, v, sizeof v);
    if (rc == CPE_ENOTFOUND)
        v[0] = 0;
    else if (rc)
        return rc;
    snprintf(out, cap, "%s", v);
    return 0;
}

int cpe_userdb_put(cpe_store_t *s, const cpe_user_t *u)
{
    char k[16 + CPE_USER_NAME_MAX], v[ROW_MAX];
    if (!cpe_userdb_name_ok(u->name))
        return cpe_diag_set(&s->diag, CPE_EINVAL,
                            "user name must be 1..%d characters of A-Z a-z 0-9 . _ -",
                            CPE_USER_NAME_MAX - 1);
    if (!cpe_userdb_role_ok(u->role))
        return cpe_diag_set(&s->diag, CPE_EINVAL, "user %s: role must be viewer or admin", u->name);
    if (!u->hash[0] || strpbrk(u->hash, " \t\r\n") || strlen(u->hash) >= CPE_USER_HASH_MAX)
        return cpe_diag_set(&s->diag, CPE_EINVAL, "user %s: malformed password hash", u->name);
    snprintf(k, sizeof k, "user:%s", u->name);
    snprintf(v, sizeof v, "u1 %s %" PRId64 " %s", u->role, u->created_ms, u->hash);
    int rc = s->ops->set_meta(s, k, v);
    return rc ? rc : bump_version(s);
}

/* The next space-separated field of *p into out: 0, or CPE_EPARSE when absent or too long. */
static int field(const char **p, char *out, size_t cap)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    size_t n = strcspn(s, " ");
    if (n == 0 || n >= cap) return CPE_EPARSE;
    memcpy(out, s, n);
    out[n] = 0;
    *p = s + n;
    return 0;
}

static int int_field(const char **p, int64_t *out)
{
    char t[24];
    if (field(p, t, sizeof t)) return CPE_EPARSE;
    return cpe_parse_i64(t, strlen(t), out) ? CPE_EPARSE : 0;
}

static int parse_user(const char *name, const char *v, cpe_user_t *out)
{
    char tag[4];
    memset(out, 0, sizeof *out);
    if (field(&v, tag, sizeof tag) || strcmp(tag, "u1") || field(&v, out->role, sizeof out->role) ||
        !cpe_userdb_role_ok(out->role) || int_field(&v, &out->created_ms) ||
        field(&v, out->hash, sizeof out->hash) || strlen(name) >= sizeof out->name)
        return CPE_EPARSE;
    memcpy(out->name, name, strlen(name) + 1);
    return 0;
}

/* The live row "<prefix><name>" into v[ROW_MAX]: CPE_ENOTFOUND when absent or deleted. */
static int get_row(cpe_store_t *s, const char *prefix, const char *name, char *v)
{
    char k[16 + CPE_USER_NAME_MAX];
    snprintf(k, sizeof k, "%s%s", prefix, name);
    int rc = s->ops->get_meta(s, k, v, ROW_MAX);
    if (rc == CPE_ENOTFOUND || (!rc && !v[0]))
        return cpe_diag_set(&s->diag, CPE_ENOTFOUND, "no %s%s", prefix, name);
    return rc;
}

int cpe_userdb_get(cpe_store_t *s, const char *name, cpe_user_t *out)
{
    char v[ROW_MAX];
    if (!cpe_userdb_name_ok(name))
        return cpe_diag_set(&s->diag, CPE_ENOTFOUND, "no user with that name");
    int rc = get_row(s, "user:", name, v);
    if (rc) return rc;
    if (parse_user(name, v, out))
        return cpe_diag_set(&s->diag, CPE_EPARSE, "stored row of user %s is damaged", name);
    return 0;
}

int cpe_userdb_del(cpe_store_t *s, const char *name)
{
    cpe_user_t u;
    int rc = cpe_userdb_get(s, name, &u);
    if (rc) return rc;
    char k[16 + CPE_USER_NAME_MAX];
    snprintf(k, sizeof k, "user:%s", name);
    if ((rc = s->ops->set_meta(s, k, "")) || (rc = bump_version(s))) return rc;
    return cpe_userdb_revoke_user(s, name);
}

typedef struct user_walk {
    cpe_userdb_fn fn;
    void *ctx;
} user_walk_t;

static int visit_user(void *ctx, const char *key, const char *value)
{
    user_walk_t *w = ctx;
    cpe_user_t u;
    if (strncmp(key, "user:", 5) || !value || !value[0]) return 0;
    if (parse_user(key + 5, value, &u)) return 0; /* a damaged row is not a user */
    return w->fn(w->ctx, &u);
}

int cpe_userdb_each(cpe_store_t *s, cpe_userdb_fn fn, void *ctx)
{
    user_walk_t w = {fn, ctx};
    return s->ops->each_meta(s, visit_user, &w);
}

int cpe_userdb_family_put(cpe_store_t *s, const cpe_refresh_family_t *f)
{
    char k[16 + CPE_FAMILY_ID_MAX], v[ROW_MAX];
    if (!cpe_userdb_family_ok(f->id) || !cpe_userdb_name_ok(f->user) || strlen(f->cur_sha256) != 64)
        return cpe_diag_set(&s->diag, CPE_EINVAL, "malformed refresh family");
    snprintf(k, sizeof k, "refresh:%s", f->id);
    snprintf(v, sizeof v, "r1 %s %s %" PRId64 " %d", f->user, f->cur_sha256, f->expires_ms,
             f->revoked ? 1 : 0);
    return s->ops->set_meta(s, k, v);
}

static int parse_family(const char *id, const char *v, cpe_refresh_family_t *out)
{
    char tag[4];
    int64_t revoked;
    memset(out, 0, sizeof *out);
    if (field(&v, tag, sizeof tag) || strcmp(tag, "r1") || field(&v, out->user, sizeof out->user) ||
        field(&v, out->cur_sha256, sizeof out->cur_sha256) || strlen(out->cur_sha256) != 64 ||
        int_field(&v, &out->expires_ms) || int_field(&v, &revoked) || strlen(id) >= sizeof out->id)
        return CPE_EPARSE;
    memcpy(out->id, id, strlen(id) + 1);
    out->revoked = revoked != 0;
    return 0;
}

int cpe_userdb_family_get(cpe_store_t *s, const char *id, cpe_refresh_family_t *out)
{
    char v[ROW_MAX];
    int rc = cpe_userdb_family_ok(id) ? get_row(s, "refresh:", id, v) : CPE_ENOTFOUND;
    if (rc && rc != CPE_ENOTFOUND) return rc;
    if (rc || parse_family(id, v, out))
        return cpe_diag_set(&s->diag, CPE_ENOTFOUND, "no such refresh token");
    return 0;
}

/* Families are collected first and revoked after the walk: a store need not allow writes
 * to the meta table while it is being read. */
typedef struct fam_list {
    const char *user;
    cpe_refresh_family_t *v;
    size_t n, cap;
} fam_list_t;

static int visit_family(void *ctx, const char *key, const char *value)
{
    fam_list_t *l = ctx;
    cpe_refresh_family_t f;
    if (strncmp(key, "refresh:", 8) || !value || !value[0]) return 0;
    if (parse_family(key + 8, value, &f) || f.revoked || strcmp(f.user, l->user)) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        cpe_refresh_family_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) return CPE_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = f;
    return 0;
}

int cpe_userdb_revoke_user(cpe_store_t *s, const char *name)
{
    fam_list_t l = {.user = name};
    int rc = s->ops->each_meta(s, visit_family, &l);
    for (size_t i = 0; !rc && i < l.n; i++) {
        l.v[i].revoked = 1;
        rc = cpe_userdb_family_put(s, &l.v[i]);
    }
    free(l.v);
    return rc;
}
