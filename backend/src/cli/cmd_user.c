/* cmd_user.c — `cpe user add|list|del`: local accounts in the store (cpe/userdb.h,
 * api/accounts.h); the password of `add` is read from stdin, never from the command line. */
#include "api/accounts.h"
#include "cli/cli.h"
#include "cpe/timeutil.h"

#include <stdio.h>
#include <string.h>

static int list_one(void *ctx, const cpe_user_t *u)
{
    char iso[32];
    cpe_format_iso8601(u->created_ms, iso);
    printf("%-24s %-6s %s\n", u->name, u->role, iso);
    (void)ctx;
    return 0;
}

/* The first line of stdin, without its line end. */
static int read_password(char *pw, size_t cap)
{
    if (!fgets(pw, (int)cap, stdin)) return -1;
    size_t n = strcspn(pw, "\r\n");
    if (n == strlen(pw) && n + 1 == cap) return -1; /* longer than cap */
    pw[n] = 0;
    return 0;
}

static int add(cpe_args_t *a, cpe_store_t *s, const char *name)
{
    const char *role = cpe_arg_str(a, "role");
    if (!role || !cpe_userdb_role_ok(role))
        return cpe_cli_fail(a, 2, "--role viewer|admin is required");
    if (!cpe_userdb_name_ok(name))
        return cpe_cli_fail(a, 2, "user name must be 1..%d of A-Z a-z 0-9 . _ -",
                            CPE_USER_NAME_MAX - 1);
    cpe_user_t u;
    if (!cpe_userdb_get(s, name, &u)) return cpe_cli_fail(a, 1, "user %s exists", name);
    char pw[CPE_PASSWORD_MAX + 2];
    if (read_password(pw, sizeof pw) || strlen(pw) < CPE_PASSWORD_MIN)
        return cpe_cli_fail(a, 2, "the password (first line of stdin) must be %d..%d bytes",
                            CPE_PASSWORD_MIN, CPE_PASSWORD_MAX);
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.role, sizeof u.role, "%s", role);
    u.created_ms = cpe_now_ms();
    int rc = cpe_password_hash(pw, u.hash);
    memset(pw, 0, sizeof pw);
    if (rc) return cpe_cli_fail(a, 1, "hashing the password failed (%s)", cpe_strerror(rc));
    if ((rc = cpe_userdb_put(s, &u)))
        return cpe_cli_fail(a, 1, "%s (%s)", s->diag.msg, cpe_strerror(rc));
    printf("added %s (%s)\n", name, role);
    return 0;
}

static int run(cpe_args_t *a)
{
    static const char *const known[] = {"role", NULL};
    if (cpe_args_check(a, known)) return 2;
    const char *verb = a->npos > 0 ? a->pos[0] : "";
    int named = !strcmp(verb, "add") || !strcmp(verb, "del");
    if (!(named && a->npos == 2) && !(!strcmp(verb, "list") && a->npos == 1))
        return cpe_cli_fail(a, 2, "usage: cpe user add NAME --role viewer|admin | list | del NAME");
    cpe_store_t *s = NULL;
    cpe_diag_t d = {0};
    if (cpe_store_open(a->db, &s, &d)) return cpe_cli_fail(a, 1, "%s", d.msg);
    int rc = 0;
    if (!strcmp(verb, "add")) {
        rc = add(a, s, a->pos[1]);
    } else if (!strcmp(verb, "list")) {
        if (cpe_userdb_each(s, list_one, NULL)) rc = cpe_cli_fail(a, 1, "%s", s->diag.msg);
    } else {
        int e = cpe_userdb_del(s, a->pos[1]);
        if (e)
            rc = cpe_cli_fail(a, 1, "%s", e == CPE_ENOTFOUND ? "no such user" : s->diag.msg);
        else
            printf("deleted %s; its sessions are revoked\n", a->pos[1]);
    }
    cpe_store_close(s);
    return rc;
}

const cpe_command_t cpe_cmddef_user = {
    "user", "local user accounts (auth on: CPE_JWT_SECRET): add, list, delete",
    "usage: cpe user add NAME --role viewer|admin   (the password: first line of stdin)\n"
    "       cpe user list\n"
    "       cpe user del NAME   (its refresh tokens are revoked)\n"
    "  Accounts live in the store (--db); passwords are argon2id hashes (docs/SERVER.md).",
    run};
