/* bus_int.h — what bus.c and lease.c share inside the bus layer (not a public header). */
#ifndef CPE_BUS_INT_H
#define CPE_BUS_INT_H

#include <pthread.h>

/* Wait on cv (mu not held by the caller) up to ms, or until *stop (read under mu) is set
 * and cv signalled; returns *stop. */
int cpe_bus_wait_ms(pthread_mutex_t *mu, pthread_cond_t *cv, const int *stop, int ms);

#endif
