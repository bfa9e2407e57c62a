/* bus_int.h — what bus.c, jobs.c and lease.c share inside the bus layer (not a public
 * header): the bus's state, and the connection helpers of its threads. */
#ifndef CPE_BUS_INT_H
#define CPE_BUS_INT_H

#include "cpe/bus.h"

#include <pthread.h>
#include <stdatomic.h>

typedef enum { ITEM_PUBLISH = 0, ITEM_XADD, ITEM_SET } bus_item_kind_t;

typedef struct bus_item {
    struct bus_item *next;
    size_t len;
    bus_item_kind_t
        kind;       /* PUBLISH channel data | XADD channel * job data | SET channel data PX ttl */
    int64_t ttl_ms; /* ITEM_SET */
    char channel[CPE_BUS_CHANNEL_MAX];
    char data[]; /* len + 1 */
} bus_item_t;

struct keeper;

struct cpe_bus {
    char host[256];
    int port;
    char pattern[CPE_BUS_CHANNEL_MAX];
    cpe_bus_recv_fn recv;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    bus_item_t *head, *tail;
    size_t queued;
    cpe_bus_stats_t st;
    pthread_t pub_th, sub_th, job_th;
    int pub_started, sub_started, job_started;
    int job_up;
    char stream[CPE_BUS_CHANNEL_MAX], group[64], consumer[64];
    int64_t reclaim_ms;
    cpe_bus_job_fn job;
    void *job_ctx;
    struct keeper *keeper; /* the running entry's claim keeper (consumer thread only) */
};

/* Wait on cv (mu not held by the caller) up to ms, or until *stop (read under mu) is set
 * and cv signalled; returns *stop. */
int cpe_bus_wait_ms(pthread_mutex_t *mu, pthread_cond_t *cv, const int *stop, int ms);

#ifdef CPE_HAVE_HIREDIS
#include <hiredis/hiredis.h>
/* bus.c: connect, backing off while Redis is away (*up: 1 once connected; NULL when the bus
 * stops); mark a thread's link down and log why. */
redisContext *cpe_bus_connect(cpe_bus_t *b, int *up, const char *who);
void cpe_bus_set_down(cpe_bus_t *b, int *up, const char *who, const char *why);
/* jobs.c: the consumer thread. */
void *cpe_bus_job_run(void *arg);
#endif

#endif
