/*
 * buf.h — a growable byte buffer with a hard cap fixed at creation (curl's dynbuf idea).
 *
 * Appends that would exceed `cap` fail with CPE_ETOOBIG and leave the buffer unchanged,
 * which is what keeps a hostile request or a giant CSV line from taking the process down.
 * The data is always NUL-terminated (not counted in len). cpe_buf_free(NULL) is a no-op.
 */
#ifndef CPE_BUF_H
#define CPE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cpe_buf {
    char *data;
    size_t len, alloc, cap;
} cpe_buf_t;

void cpe_buf_init(cpe_buf_t *b, size_t cap);
void cpe_buf_free(cpe_buf_t *b);
void cpe_buf_reset(cpe_buf_t *b); /* len = 0, memory kept */
int cpe_buf_reserve(cpe_buf_t *b, size_t extra);
int cpe_buf_append(cpe_buf_t *b, const void *p, size_t n);
int cpe_buf_puts(cpe_buf_t *b, const char *s);
int cpe_buf_putc(cpe_buf_t *b, char c);
int cpe_buf_printf(cpe_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cpe_buf_vprintf(cpe_buf_t *b, const char *fmt, va_list ap);
/* Append the whole regular file at path (within the buffer's cap). 0, or CPE_ENOTFOUND when it
 * cannot be opened or is not a regular file, CPE_ETOOBIG, CPE_ENOMEM, CPE_EIO. */
int cpe_buf_read_file(cpe_buf_t *b, const char *path);
/* Take ownership of the data (caller frees); the buffer is left empty. */
char *cpe_buf_steal(cpe_buf_t *b, size_t *len);

#endif
