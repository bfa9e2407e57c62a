/*
 * serve_child.h — what the server benchmarks share: a free loopback port, `cpe serve`
 * (cpe_api_serve) forked with a given configuration, waiting for its port, stopping it.
 *
 * The child stops on SIGTERM (the flag cpe_api_serve polls), ignores SIGPIPE and writes
 * nothing to stdout (the benchmarks' stdout is their JSON lines); with quiet, stderr goes
 * to /dev/null too. Not part of any library: compiled into each bench_* program.
 */
#ifndef CPE_BENCH_SERVE_CHILD_H
#define CPE_BENCH_SERVE_CHILD_H

#include "cpe/api.h"

#include <sys/types.h>

/* A port nothing listens on now (bind to port 0, read it back); -1 on failure. */
int bench_free_port(void);
/* 0 once a TCP connect to 127.0.0.1:port succeeds, -1 after 10 s. */
int bench_wait_port(int port);
/* fork + cpe_api_serve(c) in the child; the parent gets the pid (-1: fork failed). */
pid_t bench_fork_serve(const cpe_api_config_t *c, int quiet);
/* SIGTERM, wait, and say on stderr (naming who) when the child did not end cleanly. */
void bench_stop_child(pid_t pid, const char *who);

#endif
