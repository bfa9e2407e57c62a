/* csv_zip.c — the one data file of a zip archive: its entry found in the central directory,
 * every size and offset checked against the file, the fd positioned at its data
 * (csv_int.h). */
#include "csv_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t csv_rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int csv_read_at(int fd, uint64_t off, void *dst, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)dst + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* The entry to read in the zip's central directory cd[cd_size]: its name, local header
 * offset and compressed size, and the method, CRC and size into the source. */
static int find_entry(cpe_csv_t *c, const cpe_csv_opts_t *o, const unsigned char *cd,
                      size_t cd_size, char entry[256], uint32_t *lho, uint32_t *csize, int *found,
                      cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    for (size_t p = 0; p + 46 <= cd_size;) {
        if (csv_rd32(cd + p) != 0x02014b50u)
            return cpe_diag_set(d, CPE_EPARSE, "%s: corrupt zip central directory", c->name);
        size_t nl = rd16(cd + p + 28), xl = rd16(cd + p + 30), cl = rd16(cd + p + 32);
        if (p + 46 + nl > cd_size) break;
        const char *nm = (const char *)cd + p + 46;
        int is_dir = nl > 0 && nm[nl - 1] == '/';
        int want =
            !is_dir && (!o || !o->entry || (strlen(o->entry) == nl && !memcmp(o->entry, nm, nl)));
        if (want) {
            if (*found)
                return cpe_diag_set(d, CPE_EUNSUPPORTED,
                                    "%s: zip holds several files; name the one to read", c->name);
            *found = 1;
            if (rd16(cd + p + 8) & 1)
                return cpe_diag_set(d, CPE_EUNSUPPORTED,
                                    "%s: encrypted zip entries are not supported", c->name);
            s->method = rd16(cd + p + 10);
            s->want_crc = csv_rd32(cd + p + 16);
            *csize = csv_rd32(cd + p + 20);
            s->want_usize = csv_rd32(cd + p + 24);
            *lho = csv_rd32(cd + p + 42);
            snprintf(entry, 256, "%.*s", (int)nl, nm);
        }
        p += 46 + nl + xl + cl;
    }
    return 0;
}

/* Locate the entry in a zip archive and position the fd at its data. Everything the
 * directory promises is checked against the file size here, before any record is read. */
int csv_zip_open(cpe_csv_t *c, const cpe_csv_opts_t *o, cpe_diag_t *d)
{
    struct cpe_csv_src *s = c->src;
    size_t tail = s->file_size < 65557 ? (size_t)s->file_size : 65557;
    unsigned char *t = malloc(tail ? tail : 1);
    unsigned char *cd = NULL;
    int rc = 0;
    if (!t) return cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", c->name);
    if (csv_read_at(s->fd, s->file_size - tail, t, tail)) {
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot read: %s", c->name, strerror(errno));
        goto out;
    }
    long e = -1;
    for (long i = (long)tail - 22; i >= 0; i--)
        if (csv_rd32(t + i) == 0x06054b50u) {
            e = i;
            break;
        }
    if (e < 0) {
        rc = cpe_diag_set(d, CPE_ETRUNCATED,
                          "%s: zip end-of-central-directory record is missing (truncated zip?)",
                          c->name);
        goto out;
    }
    uint32_t cd_size = csv_rd32(t + e + 12), cd_off = csv_rd32(t + e + 16);
    if (cd_off == 0xffffffffu || rd16(t + e + 10) == 0xffff) {
        rc = cpe_diag_set(d, CPE_EUNSUPPORTED, "%s: zip64 archives are not supported", c->name);
        goto out;
    }
    if ((uint64_t)cd_off + cd_size > s->file_size) {
        rc = cpe_diag_set(d, CPE_ETRUNCATED,
                          "%s: zip central directory lies past the end of the "
                          "file (truncated zip)",
                          c->name);
        goto out;
    }
    cd = malloc(cd_size ? cd_size : 1);
    if (!cd) {
        rc = cpe_diag_set(d, CPE_ENOMEM, "%s: out of memory", c->name);
        goto out;
    }
    if (csv_read_at(s->fd, cd_off, cd, cd_size)) {
        rc = cpe_diag_set(d, CPE_EIO, "%s: cannot read the zip directory", c->name);
        goto out;
    }
    char entry[256] = "";
    uint32_t lho = 0, csize = 0;
    int found = 0;
    if ((rc = find_entry(c, o, cd, cd_size, entry, &lho, &csize, &found, d))) goto out;
    if (!found) {
        rc = cpe_diag_set(d, CPE_ENOTFOUND, "%s: zip has no %s%s", c->name,
                          o && o->entry ? "entry " : "data file", o && o->entry ? o->entry : "");
        goto out;
    }
    if (s->method != 0 && s->method != 8) {
        rc = cpe_diag_set(d, CPE_EUNSUPPORTED, "%s: zip compression method %d is not supported",
                          c->name, s->method);
        goto out;
    }
    unsigned char lh[30];
    if ((uint64_t)lho + 30 > s->file_size || csv_read_at(s->fd, lho, lh, 30) ||
        csv_rd32(lh) != 0x04034b50u) {
        rc = cpe_diag_set(d, CPE_EPARSE, "%s: corrupt zip local header for %s", c->name, entry);
        goto out;
    }
    uint64_t data = (uint64_t)lho + 30 + rd16(lh + 26) + rd16(lh + 28);
    if (data + csize > s->file_size) {
        rc = cpe_diag_set(
            d, CPE_ETRUNCATED,
            "%s: zip entry %s needs %u bytes but the file ends after %llu "
            "(truncated zip)",
            c->name, entry, csize,
            (unsigned long long)(s->file_size - (data < s->file_size ? data : s->file_size)));
        goto out;
    }
    if (lseek(s->fd, (off_t)data, SEEK_SET) < 0) {
        rc = cpe_diag_set(d, CPE_EIO, "%s: seek failed", c->name);
        goto out;
    }
    s->file_done = data;
    s->zip_left = csize;
    s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    size_t nlen = strlen(c->name);
    snprintf(c->name + nlen, sizeof c->name - nlen, ":%s", entry);
    if (s->method == 8) {
        if (inflateInit2(&s->z, -15) != Z_OK) {
            rc = cpe_diag_set(d, CPE_ENOMEM, "%s: inflateInit failed", c->name);
            goto out;
        }
        s->z_init = 1;
    }
out:
    free(t);
    free(cd);
    return rc;
}
