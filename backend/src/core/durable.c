/* durable.c — fsync, rename, fsync the parent: the write order that survives a power cut
 * (cpe/durable.h). */
#include "cpe/durable.h"

#include "cpe/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cpe_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return CPE_EIO;
    int rc = fsync(fd) == 0 ? 0 : CPE_EIO;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int cpe_fsync_dir_files(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return CPE_EIO;
    int rc = 0;
    struct dirent *e;
    char p[4096];
    struct stat st;
    while (!rc && (e = readdir(dh)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
                rc = CPE_EIO;
            else if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
                rc = cpe_fsync_path(p);
        }
    closedir(dh);
    return rc ? rc : cpe_fsync_path(dir);
}

int cpe_rename_durable(const char *from, const char *to)
{
    char parent[4096];
    if (snprintf(parent, sizeof parent, "%s", to) >= (int)sizeof parent) return CPE_EIO;
    char *slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, sizeof parent, ".");
    else if (slash == parent)
        parent[1] = 0;
    else
        *slash = 0;
    if (cpe_fsync_path(from) != 0 || rename(from, to) != 0) return CPE_EIO;
    return cpe_fsync_path(parent);
}

int cpe_write_file_durable(const char *path, const void *data, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return CPE_EIO;
    FILE *f = fopen(tmp, "wb");
    int rc = f && fwrite(data, 1, len, f) == len ? 0 : CPE_EIO;
    if (f && fclose(f) != 0) rc = CPE_EIO;
    if (!rc) rc = cpe_rename_durable(tmp, path);
    if (rc) remove(tmp);
    return rc;
}
