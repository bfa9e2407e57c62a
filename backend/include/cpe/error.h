/*
 * error.h — the project's error codes and the diagnostic that carries a message.
 *
 * Every fallible function returns int: 0 on success or a negative CPE_E* code.
 * The codes come from one X-macro list (CPE_ERRNO_MAP), which also generates
 * cpe_strerror() and cpe_err_name(), so adding a code is adding one row.
 *
 * Functions that can explain a failure to a person take a `cpe_diag_t *` (may be
 * NULL) and fill it with a message that names the input and what is wrong with it:
 *     klines.csv:1042: field 'high' (64120.5) is below 'low' (64200.0)
 * cpe_diag_set() returns the code it is given so callers can `return cpe_diag_set(...)`.
 */
#ifndef CPE_ERROR_H
#define CPE_ERROR_H

#include <stddef.h>

#define CPE_ERRNO_MAP(X)                                                                           \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(IO, -3, "input/output error")                                                                \
    X(PARSE, -4, "malformed input")                                                                \
    X(RANGE, -5, "value out of range")                                                             \
    X(NOTFOUND, -6, "not found")                                                                   \
    X(EXISTS, -7, "already exists")                                                                \
    X(TOOBIG, -8, "too large")                                                                     \
    X(STORE, -9, "store error")                                                                    \
    X(UNSUPPORTED, -10, "not supported")                                                           \
    X(TRUNCATED, -11, "truncated input")                                                           \
    X(NOTREADY, -12, "not ready")                                                                  \
    X(CONVERGE, -13, "did not converge")                                                           \
    X(STALE, -14, "data is stale")                                                                 \
    X(MODEL, -15, "model error")                                                                   \
    X(NET, -16, "network error")                                                                   \
    X(TIMEOUT, -17, "timed out")                                                                   \
    X(DATA, -18, "insufficient data")                                                              \
    X(AGAIN, -19, "try again")                                                                     \
    X(INTERNAL, -20, "internal error")                                                             \
    X(CANCELED, -21, "cancelled")

enum cpe_errno {
#define CPE_ERR_ENUM(name, val, msg) CPE_E##name = (val),
    CPE_ERRNO_MAP(CPE_ERR_ENUM)
#undef CPE_ERR_ENUM
};

/* Human text for a code ("out of memory"); "unknown error" for anything else. */
const char *cpe_strerror(int code);
/* Symbolic name for a code ("CPE_ENOMEM"); "CPE_E?" for anything else. */
const char *cpe_err_name(int code);

typedef struct cpe_diag {
    int code;
    char msg[512];
} cpe_diag_t;

/* Fill d (if not NULL) with code and a printf-style message; returns code. */
int cpe_diag_set(cpe_diag_t *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix an existing message ("file.csv: " + msg). Returns d->code (0 if d is NULL). */
int cpe_diag_prefix(cpe_diag_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cpe_diag_clear(cpe_diag_t *d);

#endif
