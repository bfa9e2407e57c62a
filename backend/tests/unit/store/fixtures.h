/* fixtures.h — test helpers of the store tests: write text, gzip and zip files into the
 * test's private directory (zlib does the compression; the zip container is written
 * here: local header, data, central directory, end record). */
#ifndef CPE_TEST_FIXTURES_H
#define CPE_TEST_FIXTURES_H

#include "test.h"

#include <stdint.h>
#include <zlib.h>

/* test_tmpdir()/rel, with parent directories created. Returns a static buffer. */
static inline const char *fx_path(const char *rel)
{
    static char p[4][1024];
    static int k;
    char *out = p[k++ & 3];
    snprintf(out, 1024, "%s/%s", test_tmpdir(), rel);
    for (char *s = out + strlen(test_tmpdir()) + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(out, 0755);
            *s = '/';
        }
    return out;
}

static inline const char *fx_write(const char *rel, const char *text)
{
    const char *p = fx_path(rel);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return p;
}

/* gzip of text; keep_bytes > 0 truncates the compressed file to that many bytes. */
static inline const char *fx_write_gz(const char *rel, const char *text, long keep_bytes)
{
    const char *p = fx_path(rel);
    gzFile g = gzopen(p, "wb");
    if (!g) return NULL;
    gzwrite(g, text, (unsigned)strlen(text));
    gzclose(g);
    if (keep_bytes > 0 && truncate(p, keep_bytes) != 0) return NULL;
    return p;
}

static inline void fx_le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void fx_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A one-entry zip of text (deflated unless stored). keep_bytes > 0 truncates the file;
 * bad_crc writes a wrong CRC-32 into both headers. */
static inline const char *fx_write_zip(const char *rel, const char *entry, const char *text,
                                       int stored, long keep_bytes, int bad_crc)
{
    const char *p = fx_path(rel);
    size_t n = strlen(text), cap = n + n / 10 + 1024;
    unsigned char *data = malloc(cap);
    size_t csize = n;
    if (!data) return NULL;
    if (stored)
        memcpy(data, text, n);
    else {
        z_stream z;
        memset(&z, 0, sizeof z);
        deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (unsigned char *)text;
        z.avail_in = (uInt)n;
        z.next_out = data;
        z.avail_out = (uInt)cap;
        deflate(&z, Z_FINISH);
        csize = z.total_out;
        deflateEnd(&z);
    }
    uint32_t crc = (uint32_t)crc32(0, (const unsigned char *)text, (uInt)n) ^ (bad_crc ? 1u : 0u);
    size_t nl = strlen(entry);
    unsigned char lh[30] = {0}, ch[46] = {0}, eo[22] = {0};
    fx_le32(lh, 0x04034b50u);
    fx_le16(lh + 4, 20);
    fx_le16(lh + 8, stored ? 0 : 8);
    fx_le32(lh + 14, crc);
    fx_le32(lh + 18, (uint32_t)csize);
    fx_le32(lh + 22, (uint32_t)n);
    fx_le16(lh + 26, (unsigned)nl);
    fx_le32(ch, 0x02014b50u);
    fx_le16(ch + 4, 20);
    fx_le16(ch + 6, 20);
    fx_le16(ch + 10, stored ? 0 : 8);
    fx_le32(ch + 16, crc);
    fx_le32(ch + 20, (uint32_t)csize);
    fx_le32(ch + 24, (uint32_t)n);
    fx_le16(ch + 28, (unsigned)nl);
    fx_le32(ch + 42, 0);
    uint32_t cd_off = (uint32_t)(30 + nl + csize), cd_size = (uint32_t)(46 + nl);
    fx_le32(eo, 0x06054b50u);
    fx_le16(eo + 8, 1);
    fx_le16(eo + 10, 1);
    fx_le32(eo + 12, cd_size);
    fx_le32(eo + 16, cd_off);
    FILE *f = fopen(p, "wb");
    if (!f) {
        free(data);
        return NULL;
    }
    fwrite(lh, 1, 30, f);
    fwrite(entry, 1, nl, f);
    fwrite(data, 1, csize, f);
    fwrite(ch, 1, 46, f);
    fwrite(entry, 1, nl, f);
    fwrite(eo, 1, 22, f);
    fclose(f);
    free(data);
    if (keep_bytes > 0 && truncate(p, keep_bytes) != 0) return NULL;
    return p;
}

#endif
