/* fuzz_api_auth_body.c — libFuzzer harness: the JSON bodies of POST /auth/login,
 * /auth/refresh, /auth/logout and /users (api/accounts.h). The input is a request body (at
 * most CPE_BODY_MAX), parsed as the server parses it (jansson, duplicate keys refused) and
 * read as each of the three body kinds. Checked: an accepted body has every member its kind
 * requires, within its bounds (a user name and role as the store accepts them); a refused
 * one names the member and says why, without echoing the password. */
#include "api/accounts.h"
#include "api/http.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const json_t *j, cpe_auth_kind_t kind)
{
    cpe_auth_body_t b;
    const char *field = NULL;
    char why[128] = "";
    int rc = cpe_auth_body_parse(j, kind, &b, &field, why, sizeof why);
    if (rc) {
        if (!field || !why[0]) abort();
        const char *pw = json_string_value(json_object_get(j, "password"));
        if (pw && strlen(pw) >= 4 && strstr(why, pw)) abort(); /* never echo the password */
        return;
    }
    if (kind == CPE_AUTH_REFRESH) {
        if (!b.refresh_token[0] || strlen(b.refresh_token) >= sizeof b.refresh_token) abort();
        return;
    }
    if (!b.username[0] || !b.password[0] || strlen(b.password) > CPE_PASSWORD_MAX) abort();
    if (kind == CPE_AUTH_USER_NEW &&
        (!cpe_userdb_name_ok(b.username) || !cpe_userdb_role_ok(b.role) ||
         strlen(b.password) < CPE_PASSWORD_MIN))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CPE_BODY_MAX) return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(j)) {
        check(j, CPE_AUTH_LOGIN);
        check(j, CPE_AUTH_REFRESH);
        check(j, CPE_AUTH_USER_NEW);
    }
    json_decref(j);
    return 0;
}
