/* fanout.c — batched non-blocking sends to many sockets: io_uring, or send() (fanout.h). */
#include "api/fanout.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef struct fan_send {
    int fd;
    const void *buf;
    size_t len;
    void *tag;
} fan_send_t;

struct cpe_fanout {
    int uring; /* 1: the ring below is set up */
    struct io_uring ring;
    unsigned batch, queued; /* SQEs prepared and not yet submitted, in `sends` */
    fan_send_t *sends;
    cpe_fanout_done_fn done;
    void *ctx;
};

static void send_now(cpe_fanout_t *f, int fd, const void *buf, size_t len, void *tag)
{
    ssize_t n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    f->done(f->ctx, tag, n < 0 ? -errno : n);
}

cpe_fanout_t *cpe_fanout_new(cpe_fanout_mode_t mode, unsigned batch, cpe_fanout_done_fn done,
                             void *ctx)
{
    cpe_fanout_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    unsigned b = 8;
    while (b < batch && b < 4096)
        b <<= 1;
    f->batch = b;
    f->done = done;
    f->ctx = ctx;
    if (mode != CPE_FANOUT_SEND && (f->sends = malloc(b * sizeof *f->sends)))
        f->uring = io_uring_queue_init(b, &f->ring, 0) == 0;
    if (mode == CPE_FANOUT_URING && !f->uring) {
        free(f->sends);
        free(f);
        return NULL;
    }
    return f;
}

void cpe_fanout_free(cpe_fanout_t *f)
{
    if (!f) return;
    cpe_fanout_flush(f);
    if (f->uring) io_uring_queue_exit(&f->ring);
    free(f->sends);
    free(f);
}

const char *cpe_fanout_kind(const cpe_fanout_t *f)
{
    return f->uring ? "io_uring" : "send";
}

void cpe_fanout_add(cpe_fanout_t *f, int fd, const void *buf, size_t len, void *tag)
{
    if (f->uring && f->queued == f->batch) cpe_fanout_flush(f);
    struct io_uring_sqe *sqe = f->uring ? io_uring_get_sqe(&f->ring) : NULL;
    if (!sqe) { /* no ring (or it failed during the flush above) */
        send_now(f, fd, buf, len, tag);
        return;
    }
    io_uring_prep_send(sqe, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, tag);
    f->sends[f->queued++] = (fan_send_t){fd, buf, len, tag};
}

/* Report n completions. */
static void reap(cpe_fanout_t *f, unsigned n)
{
    while (n > 0) {
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe(&f->ring, &cqe);
        if (rc == -EINTR) continue;
        if (rc < 0) return; /* the ring itself failed: nothing more will complete */
        void *tag = io_uring_cqe_get_data(cqe);
        ssize_t res = cqe->res;
        io_uring_cqe_seen(&f->ring, cqe);
        n--;
        f->done(f->ctx, tag, res);
    }
}

void cpe_fanout_flush(cpe_fanout_t *f)
{
    if (!f->uring || !f->queued) return;
    unsigned want = f->queued, taken = 0;
    f->queued = 0;
    /* The kernel takes SQEs in order and fails a call only when it took none. Non-blocking
     * sends on sockets complete during the submission; reap() waits for any that a kernel
     * finishes on its workers instead. */
    int tries = 0;
    while (taken < want) {
        int rc = io_uring_submit(&f->ring);
        if (rc > 0)
            taken += (unsigned)rc;
        else if ((rc == 0 || rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) && ++tries < 100)
            continue;
        else
            break;
    }
    reap(f, taken);
    if (taken == want) return;
    /* The ring refuses work: give it up (dropping what it was not given) and send the
     * rest directly, in order. */
    io_uring_queue_exit(&f->ring);
    f->uring = 0;
    for (unsigned i = taken; i < want; i++)
        send_now(f, f->sends[i].fd, f->sends[i].buf, f->sends[i].len, f->sends[i].tag);
}
