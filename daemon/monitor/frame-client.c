/* Attached clients of containerctl-monitor: each gets a process's output as
 * proto frames over its own non-blocking socket, through a bounded queue,
 * and sends stdin and control frames, decoded here incrementally. A client
 * that falls behind by more than FRAME_CLIENT_MAX_BUFFER, or sends an
 * invalid frame, is dropped alone: it never blocks the container, the log
 * or the other clients. Clients are freed only by frame_clients_sweep(), so
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
        c->fd = fd;
        c->stdin = forward_stdin;
        c->caught_up_ms = now_monotonic_ms();
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
