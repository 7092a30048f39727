/* The container log in the CRI format (what kubelet and crictl read):
 * "<RFC3339Nano UTC> <stdout|stderr> <F|P> <bytes>\n", with size-based
 * rotation. Owns the log fd; writes synchronously, so a container that
 * writes faster than the disk takes is slowed, not buffered. */
#include "daemon/monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/macros.h"
#include "common/time-util.h"

int
cri_log_open(struct cri_log *l, const char *path, uint64_t max_size, unsigned max_files, struct ctr_error **err)
{
        struct stat st;

        *l = (struct cri_log){ .fd = -1, .max_size = max_size, .max_files = max_files ? max_files : 1 };
        l->path = strdup(path);
        if (!l->path)
                return ctr_error_sys(err, ENOMEM, "log path");
        l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (l->fd < 0 || fstat(l->fd, &st) < 0) {
                int r = ctr_error_sys(err, errno, "open log `%s`", path);
                cri_log_close(l);
                return r;
        }
        l->size = (uint64_t) st.st_size;
        return 0;
}

void
cri_log_close(struct cri_log *l)
{
        l->fd = safe_close(l->fd);
        free(l->path);
        l->path = NULL;
}

static char *
numbered(const char *path, unsigned n)
{
        char *p = NULL;

        if (asprintf(&p, "%s.%u", path, n) < 0)
                return NULL;
        return p;
}

/* console.log.(n-1) -> .n down to .1 -> .2 (renaming over the oldest drops
 * it), console.log hard-linked as .1, then a new empty file renamed over
 * console.log: the name never disappears, and the old inode is complete
 * before the new one is visible. */
static int
rotate(struct cri_log *l)
{
        _cleanup_free_ char *tmp = NULL, *one = NULL;
        _cleanup_close_ int fd = -1;

        for (unsigned i = l->max_files - 1; i >= 2; i--) {
                _cleanup_free_ char *from = numbered(l->path, i - 1), *to = numbered(l->path, i);
                if (!from || !to)
                        return -ENOMEM;
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        if (l->max_files >= 2) {
                one = numbered(l->path, 1);
                if (!one)
                        return -ENOMEM;
                if (unlink(one) < 0 && errno != ENOENT)
                        return -errno;
                if (link(l->path, one) < 0)
                        return -errno;
        }
        if (asprintf(&tmp, "%s.new", l->path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return -errno;
        if (rename(tmp, l->path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        safe_close(l->fd);
        l->fd = TAKE_FD(fd);
        l->size = 0;
        return 0;
}

static int
write_all(struct cri_log *l, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(l->fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t) w;
                l->size += (uint64_t) w;
        }
        return 0;
}

int
cri_log_write(struct cri_log *l, int64_t now_ns, const char *stream, const char *data, size_t len)
{
        char ts[64];
        size_t tl, sl = strlen(stream), lines = 1, pos = 0, out = 0, batch = 0;
        _cleanup_free_ char *buf = NULL;
        int r;

        if (len == 0 || l->fd < 0)
                return 0;
        format_rfc3339(now_ns, ts, sizeof(ts));
        tl = strlen(ts);
        for (size_t i = 0; i < len; i++)
                if (data[i] == '\n')
                        lines++;
        buf = malloc(len + lines * (tl + sl + 5));
        if (!buf)
                return -ENOMEM;
        while (pos < len) {
                const char *nl = memchr(data + pos, '\n', len - pos);
                size_t ll = nl ? (size_t) (nl - (data + pos)) : len - pos, rec = out;

                memcpy(buf + out, ts, tl);
                out += tl;
                buf[out++] = ' ';
                memcpy(buf + out, stream, sl);
                out += sl;
                buf[out++] = ' ';
                buf[out++] = nl ? 'F' : 'P';
                buf[out++] = ' ';
                memcpy(buf + out, data + pos, ll);
                out += ll;
                buf[out++] = '\n';
                pos += ll + (nl ? 1 : 0);

                /* Record [rec, out) would take the file past the limit:
                 * write what came before, rotate, start the new file with it. */
                if (l->max_size > 0 && l->size + (out - batch) > l->max_size) {
                        r = write_all(l, buf + batch, rec - batch);
                        if (r < 0)
                                return r;
                        batch = rec;
                        if (l->size > 0) {
                                r = rotate(l);
                                if (r < 0 && !l->failed) {
                                        log_warning_errno(r, "rotate log `%s`, writing on", l->path);
                                        l->failed = true;
                                }
                        }
                }
        }
        return write_all(l, buf + batch, out - batch);
}
