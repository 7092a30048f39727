/* The container log in the CRI format (what kubelet and crictl read):
 * "<RFC3339Nano UTC> <stdout|stderr> <F|P> <bytes>\n". Only formatting and
 * one append per chunk; the file is opened and owned by main.c. */
#include "daemon/monitor/monitor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macros.h"
#include "common/time-util.h"

int
cri_log_write(int fd, int64_t now_ns, const char *stream, const char *data, size_t len)
{
        char ts[64];
        size_t tl, sl = strlen(stream), lines = 1, pos = 0, out = 0, off = 0;
        _cleanup_free_ char *buf = NULL;

        if (len == 0)
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
                size_t ll = nl ? (size_t) (nl - (data + pos)) : len - pos;

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
        }
        while (off < out) {
                ssize_t n = write(fd, buf + off, out - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t) n;
        }
        return 0;
}
