/*
 * fanout.h — write one buffer to many sockets with as few system calls as the kernel allows.
 *
 * A WebSocket update goes to thousands of clients at once. Written through lws, each client
 * costs a poll() round, a writable callback and a send(); on this kind of VM a system call
 * alone costs ~1 µs and a loopback send ~5.4 µs. The fan-out instead queues one send per
 * socket and submits them in batches through io_uring (~3.3 µs a send, measured in
 * docs/BENCHMARKS.md); where io_uring is missing or refused (old kernels, containers whose
 * seccomp profile blocks it) it falls back to one non-blocking send() per socket.
 *
 * Every send is non-blocking (MSG_DONTWAIT): a socket whose buffer is full answers -EAGAIN
 * at once, and a nearly full one takes part of the bytes. The caller learns each result
 * through `done` and decides (ws.c queues the message for lws, or hands lws the rest of a
 * partly written frame). All results of the sends added so far have been reported when
 * cpe_fanout_flush() returns; adding more than a batch holds flushes on the way.
 *
 * Not thread-safe: one fan-out per thread (the server's service thread owns its one).
 */
#ifndef CPE_API_FANOUT_H
#define CPE_API_FANOUT_H

#include <stddef.h>
#include <sys/types.h>

typedef struct cpe_fanout cpe_fanout_t;

/* res: bytes written (may be fewer than asked) or -errno (-EAGAIN: nothing written). */
typedef void (*cpe_fanout_done_fn)(void *ctx, void *tag, ssize_t res);

typedef enum cpe_fanout_mode {
    CPE_FANOUT_AUTO = 0,
    CPE_FANOUT_URING,
    CPE_FANOUT_SEND
} cpe_fanout_mode_t;

/* batch: sends per submission (io_uring ring size; rounded to a power of two, 8..4096).
 * CPE_FANOUT_AUTO tries io_uring and falls back to send(); CPE_FANOUT_URING fails (NULL)
 * without io_uring. NULL also when out of memory. */
cpe_fanout_t *cpe_fanout_new(cpe_fanout_mode_t mode, unsigned batch, cpe_fanout_done_fn done,
                             void *ctx);
void cpe_fanout_free(cpe_fanout_t *f);

/* "io_uring" or "send": what this fan-out ended up using. */
const char *cpe_fanout_kind(const cpe_fanout_t *f);

/* Queue len bytes of buf (which must stay valid until the flush reports it) for fd. */
void cpe_fanout_add(cpe_fanout_t *f, int fd, const void *buf, size_t len, void *tag);

/* Send what is queued and report every result. */
void cpe_fanout_flush(cpe_fanout_t *f);

#endif
