/*
 * durable.h — files that survive a power cut, not only a killed process.
 *
 * The registry and the recalibration state are written as a temporary and renamed into place,
 * so a killed writer never leaves half a file where a reader looks. That alone does not hold
 * after a power cut: the rename may reach the disk before the data it points at, leaving an
 * empty or short file under the final name. The cure is the classic sequence (sqlite's
 * journal, git's object writes): fsync the data, rename, then fsync the directory that holds
 * the new name. These helpers do exactly that; each returns 0 or CPE_EIO (errno kept).
 */
#ifndef CPE_DURABLE_H
#define CPE_DURABLE_H

#include <stddef.h>

/* fsync the file or directory at path. */
int cpe_fsync_path(const char *path);

/* fsync every regular file directly inside dir, then dir itself (a version directory). */
int cpe_fsync_dir_files(const char *dir);

/* rename(from, to) after from's data is on disk, then fsync the directory that holds to.
 * from may be a file or a directory (whose files must already be synced). */
int cpe_rename_durable(const char *from, const char *to);

/* The whole of data[len] as the file at path: written to "<path>.tmp", then
 * cpe_rename_durable into place (a reader sees the old file or the new one, never a part).
 * On failure the temporary is removed and path is untouched. */
int cpe_write_file_durable(const char *path, const void *data, size_t len);

#endif
