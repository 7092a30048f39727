/* File and directory helpers. Nothing here knows about containers. */

#include "fs-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int
pwrite_all(int fd, const void *data, size_t len, off_t off)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                off += n;
                len -= (size_t) n;
        }
        return 0;
}

int
fsync_path(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                  struct ctr_error **err)
{
        return write_file_replace(path, data, len, mode, true, err);
}

int
write_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                   struct ctr_error **err)
{
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_close_ int fd = -1;
        char *slash;
        int r;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return ctr_error_sys(err, ENOMEM, "write `%s`", path);
        dir = strdup(path);
        if (!dir)
                return ctr_error_sys(err, ENOMEM, "write `%s`", path);
        slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = 0;
        else if (slash)
                *slash = 0;
        else
                strcpy(dir, ".");

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return ctr_error_sys(err, errno, "create `%s`", tmp);
        r = write_all(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return ctr_error_sys(err, -r, "write `%s`", tmp);
        }
        fd = safe_close(fd);
        if (rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return ctr_error_sys(err, -r, "rename `%s` to `%s`", tmp, path);
        }
        r = durable ? fsync_path(dir) : 0;
        if (r < 0)
                return ctr_error_sys(err, -r, "fsync `%s`", dir);
        return 0;
}

int
read_file_full(const char *path, size_t max, char **ret, size_t *ret_len, struct ctr_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        if (fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", path);
        for (;;) {
                ssize_t n;
                if (cap - len < 4096) {
                        size_t ncap = cap ? cap * 2 : 8192;
                        char *nb;
                        if (ncap > max + 4096)
                                ncap = max + 4096;
                        if (ncap <= cap)
                                return ctr_error_msg(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
                        nb = realloc(buf, ncap + 1);
                        if (!nb)
                                return ctr_error_sys(err, ENOMEM, "read `%s`", path);
                        buf = nb;
                        cap = ncap;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return ctr_error_sys(err, errno, "read `%s`", path);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return ctr_error_msg(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return ctr_error_sys(err, ENOMEM, "read `%s`", path);
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int
write_file_string(const char *path, const char *s, struct ctr_error **err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        size_t len = strlen(s);
        ssize_t n;

        if (fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", path);
        n = write(fd, s, len);
        if (n < 0)
                return ctr_error_sys(err, errno, "write `%s` to `%s`", s, path);
        if ((size_t) n != len)
                return ctr_error_msg(err, EIO, "short write of `%s` to `%s`", s, path);
        return 0;
}

int
mkdir_p(const char *path, mode_t mode, struct ctr_error **err)
{
        _cleanup_free_ char *p = strdup(path);
        char *s;

        if (!p)
                return ctr_error_sys(err, ENOMEM, "mkdir `%s`", path);
        for (s = p + 1;; s++) {
                if (*s != '/' && *s != 0)
                        continue;
                char c = *s;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return ctr_error_sys(err, errno, "mkdir `%s`", p);
                *s = c;
                if (c == 0)
                        break;
        }
        return 0;
}

/* Removes the contents of dirfd (which lives on device dev). */
static int
rm_rf_children(int dirfd, dev_t dev, const char *path, struct ctr_error **err)
{
        DIR *d = fdopendir(dirfd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                safe_close(dirfd);
                return ctr_error_sys(err, errno, "read directory `%s`", path);
        }
        while ((errno = 0, de = readdir(d))) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = ctr_error_sys(err, errno, "stat `%s/%s`", path, de->d_name);
                        break;
                }
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_free_ char *sub = path_join(path, de->d_name);
                        int fd;
                        if (st.st_dev != dev) {
                                r = ctr_error_msg(err, EXDEV, "`%s/%s` is a mount point, not removing it",
                                                  path, de->d_name);
                                break;
                        }
                        fd = openat(dirfd, de->d_name,
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0) {
                                r = ctr_error_sys(err, errno, "open `%s/%s`", path, de->d_name);
                                break;
                        }
                        r = rm_rf_children(fd, dev, sub ? sub : path, err);
                        if (r < 0)
                                break;
                        if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                                r = ctr_error_sys(err, errno, "remove `%s/%s`", path, de->d_name);
                                break;
                        }
                } else if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
                        r = ctr_error_sys(err, errno, "remove `%s/%s`", path, de->d_name);
                        break;
                }
        }
        if (r == 0 && errno)
                r = ctr_error_sys(err, errno, "read directory `%s`", path);
        closedir(d);
        return r;
}

int
rm_rf(const char *path, struct ctr_error **err)
{
        struct stat st;
        int fd, r;

        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return ctr_error_sys(err, errno, "stat `%s`", path);
        }
        if (!S_ISDIR(st.st_mode)) {
                if (unlink(path) < 0 && errno != ENOENT)
                        return ctr_error_sys(err, errno, "remove `%s`", path);
                return 0;
        }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", path);
        r = rm_rf_children(fd, st.st_dev, path, err);
        if (r < 0)
                return r;
        if (rmdir(path) < 0 && errno != ENOENT)
                return ctr_error_sys(err, errno, "remove `%s`", path);
        return 0;
}

char *
path_join(const char *a, const char *b)
{
        size_t la = strlen(a);
        char *p;

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&p, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return p;
}
