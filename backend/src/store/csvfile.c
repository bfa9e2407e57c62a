/* csvfile.c — zero-copy CSV records over plain, gzip and zip files (see cpe/csvfile.h). */
#include "csv_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pipe_start(cpe_csv_t *c, cpe_diag_t *d);
static void pipe_stop(struct csv_pipe *p);

static ssize_t read_some(struct cpe_csv_src *s, void *dst, size_t n)
{
    for (;;) {
        ssize_t r = read(s->fd, dst, n);
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) s->file_done += (uint64_t)r;
        return r;
    }
}

int cpe_csv_open(cpe_csv_t *c, const char *path, const cpe_csv_opts_t *o, cpe_diag_t *d)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", path);
    struct cpe_csv_src *s = calloc(1, sizeof *s);
    if (!s) return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", path);
    c->src = s;
    s->fd = -1;
    s->delim = o && o->delim ? o->delim : ',';
    s->max_line = o && o->max_line ? o->max_line : 1024 * 1024;
    s->max_fields = o && o->max_fields ? o->max_fields : 4096;
    s->next_line = 1;
    int rc = 0;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (s->fd < 0 || fstat(s->fd, &st) != 0) {
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = cpe_diag_set(d, CPE_EINVAL, "%s: is a directory", path);
        goto fail;
    }
    s->file_size = (uint64_t)st.st_size;
    s->cap = BUF_INIT;
    s->buf = malloc(s->cap);
    s->in = malloc(IN_CAP);
    s->fcap = 32;
    c->f = malloc(s->fcap * sizeof *c->f);
    if (!s->buf || !s->in || !c->f) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    unsigned char magic[4] = {0};
    if (s->file_size >= 4 && csv_read_at(s->fd, 0, magic, 4)) {
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto fail;
    }
    if (magic[0] == 0x1f && magic[1] == 0x8b) {
        c->format = CPE_CSV_GZIP;
        if (inflateInit2(&s->z, 15 + 32) != Z_OK) {
            rc = cpe_diag_set(d, CPE_ENOMEM, "%s: inflateInit failed", path);
            goto fail;
        }
        s->z_init = 1;
    } else if (csv_rd32(magic) == 0x04034b50u || csv_rd32(magic) == 0x06054b50u) {
        c->format = CPE_CSV_ZIP;
        if ((rc = csv_zip_open(c, o, d)) != 0) goto fail;
    }
    if (c->format != CPE_CSV_PLAIN && !(c->format == CPE_CSV_ZIP && s->method == 0) &&
        s->file_size >= PIPE_MIN_FILE && (rc = pipe_start(c, d)) != 0)
        goto fail;
    return 0;
fail:
    cpe_csv_close(c);
    return rc;
}

void cpe_csv_close(cpe_csv_t *c)
{
    if (!c) return;
    struct cpe_csv_src *s = c->src;
    if (s) {
        pipe_stop(&s->pipe); /* before the decoder state it uses goes away */
        if (s->z_init) inflateEnd(&s->z);
        if (s->fd >= 0) close(s->fd);
        free(s->in);
        free(s->buf);
        free(s);
    }
    free(c->f);
    c->f = NULL;
    c->nf = 0;
    c->src = NULL;
}

/* Decode more text into dst[0..room): *made bytes; sets s->in_eof when the input is
 * exhausted. Runs on the inflate thread when there is one (it owns fd, z, in, crc). */
static int decode_into(cpe_csv_t *c, char *dst, size_t room, size_t *made, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    *made = 0;
    if (c->format == CPE_CSV_PLAIN) {
        ssize_t r = read_some(s, dst, room);
        if (r < 0) return cpe_diag_set(d, CPE_EIO, "%s: read error: %s", c->name, strerror(errno));
        if (r == 0) s->in_eof = 1;
        *made = (size_t)r;
        return 0;
    }
    if (c->format == CPE_CSV_ZIP && s->method == 0) {
        size_t want = room < s->zip_left ? room : (size_t)s->zip_left;
        ssize_t r = want ? read_some(s, dst, want) : 0;
        if (r < 0) return cpe_diag_set(d, CPE_EIO, "%s: read error: %s", c->name, strerror(errno));
        if (want && r == 0)
            return cpe_diag_set(d, CPE_ETRUNCATED, "%s: zip entry is truncated", c->name);
        s->crc = (uint32_t)crc32(s->crc, (const unsigned char *)dst, (uInt)r);
        s->zip_left -= (uint64_t)r;
        s->got_usize += (uint64_t)r;
        *made = (size_t)r;
        if (s->zip_left == 0) s->in_eof = 1;
    } else {
        /* inflate until some output appears or the stream ends */
        while (*made == 0 && !s->in_eof) {
            if (s->z.avail_in == 0) {
                size_t want = IN_CAP;
                if (c->format == CPE_CSV_ZIP && want > s->zip_left) want = (size_t)s->zip_left;
                ssize_t r = want ? read_some(s, s->in, want) : 0;
                if (r < 0)
                    return cpe_diag_set(d, CPE_EIO, "%s: read error: %s", c->name, strerror(errno));
                if (c->format == CPE_CSV_ZIP) s->zip_left -= (uint64_t)r;
                if (r == 0) {
                    if (s->z_ended) { /* gzip: clean end after the last member */
                        s->in_eof = 1;
                        break;
                    }
                    return cpe_diag_set(d, CPE_ETRUNCATED,
                                        "%s: compressed data ends early (truncated %s)", c->name,
                                        c->format == CPE_CSV_GZIP ? "gzip" : "zip");
                }
                s->z.next_in = s->in;
                s->z.avail_in = (uInt)r;
            }
            if (s->z_ended) { /* another gzip member follows */
                inflateReset(&s->z);
                s->z_ended = 0;
            }
            s->z.next_out = (unsigned char *)dst;
            s->z.avail_out = (uInt)room;
            int zr = inflate(&s->z, Z_NO_FLUSH);
            *made = room - s->z.avail_out;
            if (c->format == CPE_CSV_ZIP)
                s->crc = (uint32_t)crc32(s->crc, (const unsigned char *)dst, (uInt)*made);
            s->got_usize += *made;
            if (zr == Z_STREAM_END) {
                s->z_ended = 1;
                if (c->format == CPE_CSV_ZIP) s->in_eof = 1;
            } else if (zr == Z_BUF_ERROR && *made == 0 && s->z.avail_in != 0) {
                return cpe_diag_set(d, CPE_EINTERNAL, "%s: inflate made no progress", c->name);
            } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                return cpe_diag_set(d, CPE_EPARSE, "%s: corrupt compressed data (%s)", c->name,
                                    s->z.msg ? s->z.msg : "inflate error");
            }
        }
    }
    if (c->format == CPE_CSV_ZIP && s->in_eof) {
        if (s->got_usize != s->want_usize)
            return cpe_diag_set(d, CPE_ETRUNCATED, "%s: entry has %llu bytes, directory says %llu",
                                c->name, (unsigned long long)s->got_usize,
                                (unsigned long long)s->want_usize);
        if (s->crc != s->want_crc)
            return cpe_diag_set(d, CPE_ETRUNCATED, "%s: CRC-32 mismatch (damaged zip)", c->name);
    }
    return 0;
}

/* ---- the inflate thread: decompression overlaps parsing (2 cores: ~2x on .gz) ---- */

static void *inflater(void *arg)
{
    cpe_csv_t *c = arg;
    struct cpe_csv_src *s = c->src;
    struct csv_pipe *p = &s->pipe;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == PIPE_BLOCKS && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        int slot = (p->head + p->count) % PIPE_BLOCKS;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        struct csv_block *b = &p->blk[slot];
        cpe_diag_t d = {0};
        size_t made = 0;
        int rc = decode_into(c, b->data, PIPE_BLOCK_SIZE, &made, &d);
        pthread_mutex_lock(&p->mu);
        b->len = made;
        b->off = 0;
        if (made) p->count++;
        p->file_done = s->file_done;
        if (rc) {
            p->err = d;
            p->done = 1;
        } else if (s->in_eof)
            p->done = 1;
        int done = p->done;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (done) break;
    }
    return NULL;
}

static int pipe_start(cpe_csv_t *c, cpe_diag_t *d)
{
    struct csv_pipe *p = &c->src->pipe;
    for (int i = 0; i < PIPE_BLOCKS; i++)
        if (!(p->blk[i].data = malloc(PIPE_BLOCK_SIZE)))
            return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", c->name);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->sync_init = 1;
    if (pthread_create(&p->th, NULL, inflater, c) != 0)
        return cpe_diag_set(d, CPE_EINTERNAL, "%s: cannot start the inflate thread", c->name);
    p->running = 1;
    return 0;
}

static void pipe_stop(struct csv_pipe *p)
{
    if (p->running) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->th, NULL);
        p->running = 0;
    }
    if (p->sync_init) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        p->sync_init = 0;
    }
    for (int i = 0; i < PIPE_BLOCKS; i++)
        free(p->blk[i].data);
}

/* Consumer side: copy the next decoded bytes into the text buffer. */
static int pipe_take(cpe_csv_t *c, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    struct csv_pipe *p = &s->pipe;
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->count == 0) {
        int rc = p->err.code;
        if (rc && d) *d = p->err;
        if (!rc) s->eof = 1;
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    struct csv_block *b = &p->blk[p->head];
    pthread_mutex_unlock(&p->mu);
    size_t n = b->len - b->off, room = s->cap - s->end;
    if (n > room) n = room;
    memcpy(s->buf + s->end, b->data + b->off, n);
    s->end += n;
    b->off += n;
    if (b->off == b->len) {
        pthread_mutex_lock(&p->mu);
        p->head = (p->head + 1) % PIPE_BLOCKS;
        p->count--;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return 0;
}

static int decode(cpe_csv_t *c, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    if (s->pipe.running) return pipe_take(c, d);
    size_t made;
    int rc = decode_into(c, s->buf + s->end, s->cap - s->end, &made, d);
    s->end += made;
    if (s->in_eof) s->eof = 1;
    return rc;
}

/* Make room and decode more: keeps buf[beg..end), moving it to the front. */
static int fill(cpe_csv_t *c, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    if (s->beg > 0) {
        memmove(s->buf, s->buf + s->beg, s->end - s->beg);
        s->end -= s->beg;
        s->beg = 0;
    }
    if (s->end == s->cap) {
        if (s->cap >= s->max_line + 2)
            return cpe_diag_set(d, CPE_ETOOBIG, "%s:%lld: line is longer than %zu bytes", c->name,
                                (long long)s->next_line, s->max_line);
        size_t ncap = s->cap * 2;
        if (ncap > s->max_line + 2) ncap = s->max_line + 2;
        char *nb = realloc(s->buf, ncap);
        if (!nb) return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", c->name);
        s->buf = nb;
        s->cap = ncap;
    }
    return decode(c, d);
}

static int add_field(cpe_csv_t *c, const char *p, size_t n, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    if (c->nf == s->fcap) {
        if (s->fcap >= s->max_fields)
            return cpe_diag_set(d, CPE_ETOOBIG, "%s:%lld: more than %zu fields", c->name,
                                (long long)s->next_line, s->max_fields);
        size_t nc = s->fcap ? s->fcap * 2 : 32;
        if (nc > s->max_fields) nc = s->max_fields;
        cpe_csv_field_t *nf = realloc(c->f, nc * sizeof *nf);
        if (!nf) return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", c->name);
        c->f = nf;
        s->fcap = nc;
    }
    c->f[c->nf].p = p;
    c->f[c->nf++].n = n;
    return 0;
}

/* Scan a record with quotes starting at buf[beg]. Returns the offset just past its
 * terminating newline (or end at eof), or 0 when more data is needed; counts newlines. */
static size_t scan_quoted(struct cpe_csv_src *s, int64_t *nlines, int *unterminated)
{
    int inq = 0, at_start = 1;
    *nlines = 0;
    *unterminated = 0;
    for (size_t i = s->beg; i < s->end; i++) {
        char ch = s->buf[i];
        if (inq) {
            if (ch == '"') {
                if (i + 1 < s->end && s->buf[i + 1] == '"')
                    i++;
                else if (i + 1 == s->end && !s->eof)
                    return 0;
                else
                    inq = 0;
            } else if (ch == '\n')
                (*nlines)++;
            continue;
        }
        if (ch == '"' && at_start) inq = 1;
        at_start = ch == s->delim;
        if (ch == '\n') return i + 1;
    }
    if (!s->eof) return 0;
    if (inq) *unterminated = 1;
    return s->end;
}

static int split_quoted(cpe_csv_t *c, char *p, char *e, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    int rc;
    for (;;) {
        if (p < e && *p == '"') {
            char *w = p, *r = p + 1, *start = p;
            while (r < e) {
                if (*r == '"') {
                    if (r + 1 < e && r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                *w++ = *r++;
            }
            /* text after the closing quote up to the delimiter is kept verbatim */
            while (r < e && *r != s->delim)
                *w++ = *r++;
            if ((rc = add_field(c, start, (size_t)(w - start), d))) return rc;
            if (r >= e) return 0;
            p = r + 1;
        } else {
            char *q = memchr(p, s->delim, (size_t)(e - p));
            if (!q) return add_field(c, p, (size_t)(e - p), d);
            if ((rc = add_field(c, p, (size_t)(q - p), d))) return rc;
            p = q + 1;
        }
    }
}

int cpe_csv_next(cpe_csv_t *c, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    int rc;
    if (!s) return cpe_diag_set(d, CPE_EINVAL, "csv reader is not open");
    c->nf = 0;
    for (;;) {
        if (!s->started && (s->end - s->beg >= 3 || s->eof)) {
            s->started = 1;
            if (s->end - s->beg >= 3 && !memcmp(s->buf + s->beg, "\xEF\xBB\xBF", 3)) s->beg += 3;
        }
        if (s->beg == s->end) {
            if (s->eof) return 0;
            if ((rc = fill(c, d))) return rc;
            continue;
        }
        char *b = s->buf + s->beg;
        size_t avail = s->end - s->beg;
        char *nl = memchr(b, '\n', avail);
        if ((nl ? (size_t)(nl - b) : avail) > s->max_line)
            return cpe_diag_set(d, CPE_ETOOBIG, "%s:%lld: line is longer than %zu bytes", c->name,
                                (long long)s->next_line, s->max_line);
        if (!s->started || (!nl && !s->eof)) {
            if ((rc = fill(c, d))) return rc;
            continue;
        }
        char *e = nl ? nl : b + avail;
        size_t next = nl ? (size_t)(nl + 1 - s->buf) : s->end;
        if (memchr(b, '"', (size_t)(e - b))) {
            int64_t extra;
            int unterminated;
            size_t stop = scan_quoted(s, &extra, &unterminated);
            if (stop == 0) {
                if ((rc = fill(c, d))) return rc;
                continue;
            }
            if (unterminated)
                return cpe_diag_set(d, CPE_EPARSE, "%s:%lld: quoted field is not closed", c->name,
                                    (long long)s->next_line);
            e = s->buf + stop;
            if (e > b && e[-1] == '\n') e--;
            if (e > b && e[-1] == '\r') e--;
            c->line = s->next_line;
            s->next_line += 1 + extra;
            s->beg = stop;
            return (rc = split_quoted(c, b, e, d)) ? rc : 1;
        }
        if (e > b && e[-1] == '\r') e--;
        c->line = s->next_line++;
        s->beg = next;
        if (e == b) continue; /* empty line */
        for (char *p = b;;) {
            char *q = memchr(p, s->delim, (size_t)(e - p));
            if (!q) {
                if ((rc = add_field(c, p, (size_t)(e - p), d))) return rc;
                break;
            }
            if ((rc = add_field(c, p, (size_t)(q - p), d))) return rc;
            p = q + 1;
        }
        return 1;
    }
}

void cpe_csv_progress(const cpe_csv_t *c, uint64_t *done, uint64_t *total)
{
    struct cpe_csv_src *s = c->src;
    *done = 0;
    if (s && s->pipe.running) {
        pthread_mutex_lock(&s->pipe.mu);
        *done = s->pipe.file_done;
        pthread_mutex_unlock(&s->pipe.mu);
    } else if (s)
        *done = s->file_done;
    *total = c->src ? c->src->file_size : 0;
}

int cpe_csv_field_is(const cpe_csv_t *c, size_t i, const char *s)
{
    if (i >= c->nf) return 0;
    size_t n = strlen(s);
    return c->f[i].n == n && !memcmp(c->f[i].p, s, n);
}

const char *cpe_csv_field_str(const cpe_csv_t *c, size_t i, char *buf, size_t cap)
{
    if (!cap) return buf;
    if (i >= c->nf) {
        buf[0] = 0;
        return buf;
    }
    size_t n = c->f[i].n < cap - 1 ? c->f[i].n : cap - 1;
    memcpy(buf, c->f[i].p, n);
    buf[n] = 0;
    return buf;
}
