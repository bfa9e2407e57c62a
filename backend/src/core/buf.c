/* buf.c — see cpe/buf.h. */
#include "cpe/buf.h"
#include "cpe/error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cpe_buf_init(cpe_buf_t *b, size_t cap)
{
    b->data = NULL;
    b->len = b->alloc = 0;
    b->cap = cap;
}

void cpe_buf_free(cpe_buf_t *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void cpe_buf_reset(cpe_buf_t *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

int cpe_buf_reserve(cpe_buf_t *b, size_t extra)
{
    if (extra > b->cap || b->len > b->cap - extra) return CPE_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc) return 0;
    size_t n = b->alloc ? b->alloc : 256;
    while (n < need)
        n *= 2;
    if (n > b->cap + 1) n = b->cap + 1;
    char *p = realloc(b->data, n);
    if (!p) return CPE_ENOMEM;
    b->data = p;
    b->alloc = n;
    return 0;
}

int cpe_buf_append(cpe_buf_t *b, const void *p, size_t n)
{
    int rc = cpe_buf_reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int cpe_buf_puts(cpe_buf_t *b, const char *s)
{
    return cpe_buf_append(b, s, strlen(s));
}

int cpe_buf_putc(cpe_buf_t *b, char c)
{
    return cpe_buf_append(b, &c, 1);
}

int cpe_buf_vprintf(cpe_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return CPE_EINVAL;
    int rc = cpe_buf_reserve(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int cpe_buf_printf(cpe_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cpe_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *cpe_buf_steal(cpe_buf_t *b, size_t *len)
{
    char *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}

int cpe_buf_read_file(cpe_buf_t *b, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return CPE_ENOTFOUND;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        rc = CPE_ENOTFOUND;
    else if ((rc = cpe_buf_reserve(b, (size_t)st.st_size)) == 0) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t k = read(fd, b->data + b->len + got, (size_t)st.st_size - got);
            if (k <= 0) {
                rc = CPE_EIO;
                break;
            }
            got += (size_t)k;
        }
        b->len += got;
        b->data[b->len] = 0;
    }
    close(fd);
    return rc;
}
