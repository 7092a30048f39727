/* Attached clients of containerctl-monitor: each gets a process's output as
 * proto frames over its own non-blocking socket, through a queue, and sends
 * stdin and control frames, decoded here incrementally. An additional
 * attacher that falls behind by more than FRAME_CLIENT_MAX_BUFFER, or any
 * client that sends an invalid frame, is dropped alone: it never blocks the
 * container, the log or the other clients. The primary client's queue has
 * no limit here: the session bounds it by not reading output while it is
 * behind (session.c). Clients are freed only by frame_clients_sweep(), so
 * poll bookkeeping may hold pointers to dropped ones for one iteration. */
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
#include "common/time-util.h"
#include "proto/proto.h"

int
frame_parser_feed(struct frame_parser *p, const uint8_t *data, size_t n, const struct frame_sink *sink, void *ud)
{
        while (n > 0) {
                if (!p->in_payload) {
                        size_t take = MIN_SIZE(n, sizeof(p->hdr) - p->hdr_len);
                        uint32_t len;
                        int r;

                        memcpy(p->hdr + p->hdr_len, data, take);
                        p->hdr_len += take;
                        data += take;
                        n -= take;
                        if (p->hdr_len < sizeof(p->hdr))
                                return 0;
                        r = proto_frame_header_decode(p->hdr, &p->type, &len);
                        if (r < 0)
                                return r;
                        if (p->type == PROTO_FRAME_CONTROL && len > FRAME_CONTROL_MAX)
                                return -EMSGSIZE;
                        p->hdr_len = 0;
                        p->left = len;
                        p->ctl_len = 0;
                        p->in_payload = true;
                } else {
                        size_t take = MIN_SIZE(n, p->left);

                        if (p->type == PROTO_FRAME_STDIN && take > 0 && sink->stdin_data)
                                sink->stdin_data(ud, data, take);
                        else if (p->type == PROTO_FRAME_CONTROL) {
                                memcpy(p->ctl + p->ctl_len, data, take);
                                p->ctl_len += take;
                        }
                        data += take;
                        n -= take;
                        p->left -= (uint32_t) take;
                }
                if (p->in_payload && p->left == 0) {
                        p->in_payload = false;
                        if (p->type == PROTO_FRAME_CONTROL && sink->control &&
                            sink->control(ud, p->ctl, p->ctl_len) < 0)
                                return -EBADMSG;
                }
        }
        return 0;
}

int
frame_clients_add(struct frame_clients *cs, int fd, bool forward_stdin, struct frame_client **ret)
{
        struct frame_client *c;
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
        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        /* A big send buffer: fewer wake-ups of both sides per MiB. Best
         * effort: SO_SNDBUFFORCE needs CAP_NET_ADMIN, SO_SNDBUF is capped
         * by net.core.wmem_max. */
        fl = FRAME_CLIENT_SNDBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &fl, sizeof(fl)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &fl, sizeof(fl));
        c->fd = fd;
        c->stdin = forward_stdin;
        cs->c[cs->n++] = c;
        if (ret)
                *ret = c;
        return 0;
}

void
frame_client_drop(struct frame_client *c)
{
        if (c->dead)
                return;
        c->fd = safe_close(c->fd);
        free(c->buf);
        c->buf = NULL;
        c->off = c->len = c->cap = 0;
        c->dead = true;
}

static int
queue(struct frame_client *c, const void *p, size_t n)
{
        if (c->off > 0 && c->off == c->len)
                c->off = c->len = 0;
        if (!c->patient && c->len - c->off + n > FRAME_CLIENT_MAX_BUFFER + PROTO_FRAME_HEADER_SIZE)
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

int
frame_client_send(struct frame_client *c, uint8_t type, const void *data, size_t len)
{
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE];
        size_t done = 0, total = sizeof(hdr) + len;
        int r = 0;

        if (c->dead)
                return -EPIPE;
        proto_frame_header_encode(type, (uint32_t) len, hdr);
        if (c->off == c->len) {
                /* Nothing queued: try the socket first, queue the rest. */
                struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *) data, len } };
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
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
                frame_client_drop(c);
        }
        return r;
}

/* Sends bytes that continue a frame already begun (no header): to the
 * socket if nothing is queued, the rest to the queue. */
static int
send_raw(struct frame_client *c, const uint8_t *p, size_t n)
{
        if (c->off == c->len) {
                while (n > 0) {
                        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0 && errno == EAGAIN)
                                break;
                        if (k < 0)
                                return -errno;
                        p += k;
                        n -= (size_t) k;
                }
        }
        return n > 0 ? queue(c, p, n) : 0;
}

ssize_t
frame_client_splice(struct frame_client *c, uint8_t type, int fd, size_t n, size_t tail, uint8_t *buf)
{
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE];
        size_t moved = 0, rest;
        ssize_t k;
        int r;

        if (c->dead || c->off != c->len || tail > n)
                return -EAGAIN;
        proto_frame_header_encode(type, (uint32_t) n, hdr);
        k = send(c->fd, hdr, sizeof(hdr), MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return -EAGAIN; /* nothing sent: the caller reads and queues */
        if (k < 0) {
                r = -errno;
                goto fail;
        }
        if ((size_t) k < sizeof(hdr)) {
                r = queue(c, hdr + k, sizeof(hdr) - (size_t) k);
                if (r < 0)
                        goto fail;
        } else {
                /* Pages move from the pipe into the socket: no copy here. */
                while (moved < n - tail) {
                        k = splice(fd, NULL, c->fd, NULL, n - tail - moved, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                break; /* the socket is full (or cannot splice): the rest is read */
                        moved += (size_t) k;
                }
        }
        /* The payload's remaining bytes (its end) are in the pipe: nobody
         * else reads it, so they can always be read now. */
        rest = n - moved;
        for (size_t got = 0; got < rest;) {
                k = read(fd, buf + got, rest - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        r = k < 0 ? -errno : -EIO;
                        goto fail;
                }
                got += (size_t) k;
        }
        r = send_raw(c, buf, rest);
        if (r < 0)
                goto fail;
        return (ssize_t) rest;
fail:
        /* The frame is cut: the client cannot follow the stream any more. */
        log_debug_errno(r, "dropping attached client");
        frame_client_drop(c);
        return r;
}

void
frame_clients_send(struct frame_clients *cs, uint8_t type, const void *data, size_t len)
{
        for (size_t i = 0; i < cs->n; i++)
                if (!cs->c[i]->dead && !cs->c[i]->closing)
                        (void) frame_client_send(cs->c[i], type, data, len);
}

bool
frame_client_flush(struct frame_client *c)
{
        if (c->dead)
                return false;
        while (c->off < c->len) {
                ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return true;
                        frame_client_drop(c);
                        return false;
                }
                c->off += (size_t) n;
        }
        if (c->closing) {
                frame_client_drop(c);
                return false;
        }
        return true;
}

void
frame_client_read(struct frame_client *c, size_t max, const struct frame_sink *sink, void *ud)
{
        uint8_t buf[65536];
        ssize_t n;
        int r;

        if (c->dead || c->read_eof)
                return;
        n = recv(c->fd, buf, MIN_SIZE(max, sizeof(buf)), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n == 0) {
                c->read_eof = true;
                return;
        }
        if (n < 0) {
                frame_client_drop(c);
                return;
        }
        r = frame_parser_feed(&c->parser, buf, (size_t) n, sink, ud);
        if (r < 0) {
                log_debug_errno(r, "invalid frame from an attached client, closing it");
                frame_client_drop(c);
        }
}

void
frame_clients_close_all(struct frame_clients *cs, const char *exit_json, int64_t deadline_ms)
{
        for (size_t i = 0; i < cs->n; i++) {
                struct frame_client *c = cs->c[i];
                if (c->dead || c->closing)
                        continue;
                if (exit_json && frame_client_send(c, PROTO_FRAME_EXIT, exit_json, strlen(exit_json)) < 0)
                        continue;
                c->closing = true;
                c->close_deadline_ms = deadline_ms;
                (void) frame_client_flush(c);
        }
}

void
frame_clients_sweep(struct frame_clients *cs, int64_t now_ms)
{
        size_t j = 0;

        for (size_t i = 0; i < cs->n; i++) {
                struct frame_client *c = cs->c[i];
                if (!c->dead && c->closing && now_ms >= c->close_deadline_ms)
                        frame_client_drop(c);
                if (c->dead)
                        free(c);
                else
                        cs->c[j++] = c;
        }
        cs->n = j;
}

size_t
frame_client_queued(const struct frame_client *c)
{
        return c->len - c->off;
}

bool
frame_clients_pending(const struct frame_clients *cs)
{
        for (size_t i = 0; i < cs->n; i++)
                if (!cs->c[i]->dead && cs->c[i]->off < cs->c[i]->len)
                        return true;
        return false;
}

void
frame_clients_free(struct frame_clients *cs)
{
        for (size_t i = 0; i < cs->n; i++) {
                frame_client_drop(cs->c[i]);
                free(cs->c[i]);
        }
        cs->n = 0;
}
