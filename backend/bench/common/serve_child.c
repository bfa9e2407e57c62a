/* serve_child.c — see serve_child.h. */
#include "serve_child.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_stop;

static void on_term(int sig)
{
    (void)sig;
    child_stop = 1;
}

int bench_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
        getsockname(fd, (struct sockaddr *)&sa, &l)) {
        close(fd);
        return -1;
    }
    int p = ntohs(sa.sin_port);
    close(fd);
    return p;
}

int bench_wait_port(int port)
{
    for (int i = 0; i < 200; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (ok) return 0;
        usleep(50000);
    }
    return -1;
}

pid_t bench_fork_serve(const cpe_api_config_t *c, int quiet)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    if (quiet) dup2(devnull, 2);
    cpe_diag_t d = {0};
    int rc = cpe_api_serve(c, &child_stop, &d);
    if (rc) fprintf(stderr, "bench: serve: %s\n", d.msg);
    _exit(rc ? 1 : 0);
}

void bench_stop_child(pid_t pid, const char *who)
{
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
        fprintf(stderr, "%s: the child died of signal %d\n", who, WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status))
        fprintf(stderr, "%s: the child exited with %d\n", who, WEXITSTATUS(status));
}
