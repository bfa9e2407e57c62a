/* registry_tmp.c — the registry's temporaries: a version directory is written as
 * ".tmp-<version>-<pid>" and a pointer as "<name>.tmp<pid>", then renamed into place; a
 * pruned version is renamed to ".tmp-del-<version>-<pid>" before its files go
 * (cpe/registry.h). A writer killed half-way leaves its temporary behind; readers never
 * see it, and the next save removes it here (registry_int.h). */
#include "registry_int.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void registry_rm_dir(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return;
    struct dirent *e;
    char p[1100];
    while ((e = readdir(dh)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(dh);
    rmdir(dir);
}

void registry_remove_version(const char *dir, const char *version)
{
    char from[1100], to[1100];
    snprintf(from, sizeof from, "%s/%s", dir, version);
    snprintf(to, sizeof to, "%s/.tmp-del-%s-%d", dir, version, (int)getpid());
    if (rename(from, to) == 0) registry_rm_dir(to);
}

/* The writer's pid of a temporary name, or 0 when the name is not a temporary. */
static long tmp_pid(const char *name)
{
    const char *digits = NULL;
    if (!strncmp(name, ".tmp-", 5)) {
        digits = strrchr(name, '-') + 1;
    } else {
        const char *t = strstr(name, ".tmp");
        if (!t || t == name) return 0;
        digits = t + 4;
    }
    if (!*digits || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 9) return 0;
    return strtol(digits, NULL, 10);
}

int registry_sweep_tmp(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return 0;
    int removed = 0;
    struct dirent *e;
    char p[1100];
    while ((e = readdir(dh))) {
        long pid = tmp_pid(e->d_name);
        /* kill(pid, 0): ESRCH = no such process; EPERM = alive (another user's) */
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode))
            registry_rm_dir(p);
        else
            unlink(p);
        removed++;
    }
    closedir(dh);
    return removed;
}
