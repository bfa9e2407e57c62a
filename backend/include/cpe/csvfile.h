/*
 * csvfile.h — a fast, zero-copy CSV reader over plain `.csv`, gzip `.csv.gz` and `.zip`.
 *
 * Model. cpe_csv_open() picks the decoder from the file's first bytes (gzip magic 1f 8b,
 * zip "PK\3\4"; anything else is plain text), so a misnamed file still reads. The reader
 * owns one buffer of decoded text; cpe_csv_next() finds the next record in it and points
 * c->f[i] at its fields IN PLACE — no copy, no NUL terminator, valid until the next call.
 * Numbers are parsed by the caller straight from (p, n), e.g. with cpe_parse_double().
 *
 *   file ──read()──► [gzip: inflate] ──► text buffer ──next()──► c->f[0..nf) = (p, n)
 *        [zip: central directory → one entry → raw inflate or stored, CRC-32 checked]
 *
 * Records: fields split on `delim` (default ','); "\n" or "\r\n" ends a line; a UTF-8
 * BOM at the start is skipped; empty lines are skipped (but counted in c->line); a
 * last line without a newline is a record. RFC 4180 quoting is supported: a field that
 * starts with '"' may hold delim, newlines and "" (unescaped in place, so f[i] points
 * into the buffer without quotes).
 *
 * Errors (returned by open/next; the diag names the file and line):
 *   CPE_EIO        cannot open/read
 *   CPE_ETRUNCATED gzip stream ends early, zip entry shorter than its directory says,
 *                  missing zip end-of-central-directory, CRC-32 or size mismatch
 *   CPE_EPARSE     corrupt gzip/zip data, or an unterminated quoted field
 *   CPE_ETOOBIG    a line longer than opts.max_line (default 1 MiB) or more than
 *                  opts.max_fields fields (default 4096)
 *   CPE_EUNSUPPORTED zip with several data entries and no `entry` chosen, encrypted or
 *                  zip64 archives, compression other than stored/deflate
 * A zip's directory and sizes are checked when it is opened, so a truncated zip fails
 * before its first record; a gzip's end is only known at its end, so importers must
 * read a whole file inside a transaction (see cpe/import.h).
 *
 * Threads: compressed files of 256 KiB or more are inflated by a helper thread that
 * open() starts and close() joins, so decompression overlaps parsing (~2x on two cores).
 * The reader itself is used by one thread.
 *
 * Ownership: the caller owns the cpe_csv_t (stack is fine; do not copy or move it while
 * open: the helper thread points at it); open fills it, close frees what open allocated
 * (close of a zeroed or closed reader is a no-op).
 */
#ifndef CPE_CSVFILE_H
#define CPE_CSVFILE_H

#include "cpe/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cpe_csv_field {
    const char *p; /* not NUL-terminated */
    size_t n;
} cpe_csv_field_t;

typedef struct cpe_csv_opts {
    char delim;        /* 0 = ',' */
    size_t max_line;   /* 0 = 1 MiB */
    size_t max_fields; /* 0 = 4096 */
    const char *entry; /* zip: name of the entry to read; NULL = the only non-directory one */
} cpe_csv_opts_t;

typedef enum cpe_csv_format { CPE_CSV_PLAIN = 0, CPE_CSV_GZIP, CPE_CSV_ZIP } cpe_csv_format_t;

struct cpe_csv_src;

typedef struct cpe_csv {
    /* read-only for the caller: the current record */
    cpe_csv_field_t *f;
    size_t nf;
    int64_t line;   /* 1-based line number where the current record starts */
    char name[512]; /* the path, or "archive.zip:entry.csv" — for messages */
    cpe_csv_format_t format;
    /* private */
    struct cpe_csv_src *src;
} cpe_csv_t;

/* Open path. opts may be NULL. On failure c is left closed (no close needed). */
int cpe_csv_open(cpe_csv_t *c, const char *path, const cpe_csv_opts_t *opts, cpe_diag_t *d);
/* Read the next record: 1 = a record is in c->f/c->nf, 0 = end of file, < 0 = error. */
int cpe_csv_next(cpe_csv_t *c, cpe_diag_t *d);
void cpe_csv_close(cpe_csv_t *c);

/* Bytes of the FILE consumed so far and its size (for progress bars). */
void cpe_csv_progress(const cpe_csv_t *c, uint64_t *done, uint64_t *total);

/* Field i equals the NUL-terminated text s (exact bytes). 0 when i >= nf. */
int cpe_csv_field_is(const cpe_csv_t *c, size_t i, const char *s);
/* Copy field i into buf (cap bytes, truncated, always NUL-terminated); returns buf.
 * For messages: `field 'high' (%s)`. "" when i >= nf. */
const char *cpe_csv_field_str(const cpe_csv_t *c, size_t i, char *buf, size_t cap);

#endif
