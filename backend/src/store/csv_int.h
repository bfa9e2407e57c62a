/* csv_int.h — what the CSV reader's files share (cpe/csvfile.h is the interface):
 *   csvfile.c  open, decode (plain, gzip, zip entry; the inflate thread), records
 *   csv_zip.c  the zip archive's entry, located and checked
 */
#ifndef CPE_STORE_CSV_INT_H
#define CPE_STORE_CSV_INT_H

#include "cpe/csvfile.h"

#include <pthread.h>
#include <stdint.h>
#include <zlib.h>

#define IN_CAP (256u * 1024u)
#define BUF_INIT (1024u * 1024u)
#define PIPE_BLOCKS 4
#define PIPE_BLOCK_SIZE (1024u * 1024u)
#define PIPE_MIN_FILE (256u * 1024u) /* smaller compressed files are inflated inline */

struct csv_block {
    char *data;
    size_t len, off;
};

/* Ring of decoded blocks between the inflate thread and the reader. */
struct csv_pipe {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct csv_block blk[PIPE_BLOCKS];
    int head, count, done, stop, running, sync_init;
    uint64_t file_done;
    cpe_diag_t err;
};

struct cpe_csv_src {
    int fd;
    uint64_t file_size, file_done;
    /* compressed input */
    unsigned char *in;
    z_stream z;
    int z_init, z_ended;
    /* zip entry */
    uint64_t zip_left, want_usize, got_usize;
    uint32_t want_crc, crc;
    int method;
    /* decoded text */
    char *buf;
    size_t cap, beg, end;
    int eof, started; /* eof: no more decoded text for the reader */
    int in_eof;       /* the decoder has reached the end of its input */
    struct csv_pipe pipe;
    int64_t next_line;
    size_t max_line, max_fields, fcap;
    char delim;
};

/* Little-endian 32-bit value at p. */
uint32_t csv_rd32(const unsigned char *p);
/* Read exactly n bytes at off (0, or -1 with errno). */
int csv_read_at(int fd, uint64_t off, void *dst, size_t n);
/* Locate the entry in a zip archive and position the fd at its data. */
int csv_zip_open(cpe_csv_t *c, const cpe_csv_opts_t *o, cpe_diag_t *d);

#endif
