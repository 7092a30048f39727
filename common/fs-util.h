/* File and directory helpers used by the daemon, the monitor and tests:
 * atomic state writes, bounded reads, mkdir -p, and rm -rf that stays on
 * one file system and never follows symlinks. All fds are O_CLOEXEC. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Writes data to path atomically: temp file in the same directory, fsync,
 * rename, fsync of the directory. A crash leaves the old or the new file. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct ctr_error **err);

/* The same, durable (as write_file_atomic) or not: without the two fsyncs
 * a crash of the process still leaves the old or the new file, but a power
 * loss may leave neither. For files nobody needs after a reboot (an
 * auto-removed container's) or that are made again from durable state. */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                       struct ctr_error **err);

/* Reads a whole file (at most max bytes, else -EFBIG) into a NUL-terminated
 * malloc'd buffer owned by the caller. ret_len may be NULL. */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_len,
                   struct ctr_error **err);

/* Writes a short string to an existing file (sysfs, cgroupfs, proc). */
int write_file_string(const char *path, const char *s, struct ctr_error **err);

/* mkdir -p with mode for each created component. Existing dirs are fine. */
int mkdir_p(const char *path, mode_t mode, struct ctr_error **err);

/* Removes a tree. Does not follow symlinks and does not descend into other
 * mounts (fails with -EXDEV instead). Missing path is success. */
int rm_rf(const char *path, struct ctr_error **err);

/* write(2) until all of data is written, retrying on EINTR. Blocking fds
 * only. Returns 0 or -errno. */
int write_all(int fd, const void *data, size_t len);
/* pwrite(2) of all of data at off, retrying on EINTR. 0 or -errno. */
int pwrite_all(int fd, const void *data, size_t len, off_t off);

/* fsync a directory by path. */
int fsync_path(const char *path);

/* Joins two path pieces with exactly one '/'. Returns NULL on OOM. */
char *path_join(const char *a, const char *b);
