/* error.c — cpe_strerror/cpe_err_name from the CPE_ERRNO_MAP table, and diagnostics. */
#include "cpe/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cpe_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define CPE_ERR_STR(name, val, msg)                                                                \
    case (val):                                                                                    \
        return msg;
        CPE_ERRNO_MAP(CPE_ERR_STR)
#undef CPE_ERR_STR
    default:
        return "unknown error";
    }
}

const char *cpe_err_name(int code)
{
    switch (code) {
    case 0:
        return "CPE_OK";
#define CPE_ERR_NAME(name, val, msg)                                                               \
    case (val):                                                                                    \
        return "CPE_E" #name;
        CPE_ERRNO_MAP(CPE_ERR_NAME)
#undef CPE_ERR_NAME
    default:
        return "CPE_E?";
    }
}

int cpe_diag_set(cpe_diag_t *d, int code, const char *fmt, ...)
{
    if (!d) return code;
    va_list ap;
    va_start(ap, fmt);
    d->code = code;
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return code;
}

int cpe_diag_prefix(cpe_diag_t *d, const char *fmt, ...)
{
    if (!d) return 0;
    char pre[256], old[sizeof d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, d->msg, sizeof old);
    size_t np = strlen(pre), no = strlen(old);
    if (np >= sizeof d->msg) np = sizeof d->msg - 1;
    if (np + no >= sizeof d->msg) no = sizeof d->msg - 1 - np;
    memcpy(d->msg, pre, np);
    memcpy(d->msg + np, old, no);
    d->msg[np + no] = 0;
    return d->code;
}

void cpe_diag_clear(cpe_diag_t *d)
{
    if (!d) return;
    d->code = 0;
    d->msg[0] = 0;
}
