/* Attached clients of containerctl-monitor: each gets the container's
 * output as proto frames over its own non-blocking socket, through a
 * bounded buffer. A client that falls behind is dropped: it must never
 * block the container, the log or the other clients. */
#include "daemon/monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macros.h"
#include "proto/proto.h"

int
frame_clients_add(struct frame_clients *cs, int fd)
{
        int fl;

        if (cs->n == FRAME_CLIENTS_MAX) {
                safe_close(fd);
                return -EBUSY;
        }
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                int r = negative_errno();
                safe_close(fd);
                return r;
        }
        cs->c[cs->n++] = (struct frame_client){ .fd = fd };
        return 0;
}

void
frame_clients_drop(struct frame_clients *cs, size_t i)
{
        safe_close(cs->c[i].fd);
        free(cs->c[i].buf);
        memmove(&cs->c[i], &cs->c[i + 1], (cs->n - i - 1) * sizeof(cs->c[0]));
        cs->n--;
}

static int
queue(struct frame_client *c, const void *p, size_t n)
{
        if (c->off > 0 && c->off == c->len)
                c->off = c->len = 0;
        if (c->len - c->off + n > FRAME_CLIENT_MAX_BUFFER + PROTO_FRAME_HEADER_SIZE)
                return -ENOBUFS;
        if (c->len + n > c->cap) {
                size_t pending = c->len - c->off, ncap = pending + n < 65536 ? 65536 : (pending + n) * 2;
                uint8_t *nb = malloc(ncap);
                if (!nb)
                        return -ENOMEM;
                if (pending)
                        memcpy(nb, c->buf + c->off, pending);
                free(c->buf);
                c->buf = nb;
                c->cap = ncap;
                c->off = 0;
                c->len = pending;
        }
        memcpy(c->buf + c->len, p, n);
        c->len += n;
        return 0;
}

void
frame_clients_send(struct frame_clients *cs, uint8_t type, const void *data, size_t len)
{
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE];

        proto_frame_header_encode(type, (uint32_t) len, hdr);
        for (size_t i = 0; i < cs->n;) {
                struct frame_client *c = &cs->c[i];
                size_t done = 0, total = sizeof(hdr) + len;
                int r = 0;

                if (c->off == c->len) {
                        /* Nothing queued: try the socket first, queue the rest. */
                        struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *) data, len } };
                        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
                        ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n < 0 && errno != EAGAIN && errno != EINTR)
                                r = -errno;
                        else if (n > 0)
                                done = (size_t) n;
                }
                if (r >= 0 && done < sizeof(hdr))
                        r = queue(c, hdr + done, sizeof(hdr) - done);
                if (r >= 0 && done < total) {
                        size_t skip = done > sizeof(hdr) ? done - sizeof(hdr) : 0;
                        r = queue(c, (const uint8_t *) data + skip, len - skip);
                }
                if (r < 0) {
                        log_debug_errno(r, "dropping attached client");
                        frame_clients_drop(cs, i);
                        continue;
                }
                i++;
        }
}

bool
frame_clients_flush_one(struct frame_clients *cs, size_t i)
{
        struct frame_client *c = &cs->c[i];

        while (c->off < c->len) {
                ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return true;
                        frame_clients_drop(cs, i);
                        return false;
                }
                c->off += (size_t) n;
        }
        return true;
}

bool
frame_clients_read_one(struct frame_clients *cs, size_t i)
{
        char buf[4096];
        ssize_t n = recv(cs->c[i].fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
                return true; /* no stdin to feed: input is discarded */
        if (n == 0) {
                cs->c[i].read_eof = true;
                return true;
        }
        frame_clients_drop(cs, i);
        return false;
}

bool
frame_clients_pending(const struct frame_clients *cs)
{
        for (size_t i = 0; i < cs->n; i++)
                if (cs->c[i].off < cs->c[i].len)
                        return true;
        return false;
}

void
frame_clients_free(struct frame_clients *cs)
{
        while (cs->n > 0)
                frame_clients_drop(cs, cs->n - 1);
}
