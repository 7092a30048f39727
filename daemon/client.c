/* Per-connection I/O: reads with recvmsg (fds passed with SCM_RIGHTS stay
 * with the line they came with, at most CLIENT_MAX_FDS), splits the input
 * into lines with the PROTO_MAX_LINE limit, queues replies on a bufferevent,
 * and closes politely (after the peer's EOF once every owed reply is
 * written). A client is freed only at its last unref. */
#include "daemon/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/server.h"
#include "proto/proto.h"

struct client {
        unsigned refs;
        bool dead;
        bool read_eof;
        bool closing; /* close once output is flushed */
        struct server *server;
        struct bufferevent *bev; /* output, and the input buffer */
        struct event *read_ev;   /* input: recvmsg on the socket */
        struct evbuffer *in;     /* (the bufferevent's own input is frozen) */
        uint64_t in_pos;         /* stream offset of the input bytes received */
        uint64_t line_pos;       /* stream offset of the next line */
        int fds[CLIENT_MAX_FDS]; /* received, not yet given to a line */
        uint64_t fds_pos;        /* offset of a byte of the message they came with */
        size_t n_fds;
        int line_fds[CLIENT_MAX_FDS]; /* those of the line being handled */
        size_t n_line_fds;
        struct ucred cred;
        enum authz_role role;
        char peer_name[48];
        unsigned inflight;
        client_line_fn on_line;
        void *userdata;
        bool stream;
        client_stream_fn stream_fn;
        void *stream_data;
};

struct client *
client_ref(struct client *c)
{
        if (c)
                c->refs++;
        return c;
}

static void
close_fds(int *fds, size_t *n)
{
        for (size_t i = 0; i < *n; i++)
                safe_close(fds[i]);
        *n = 0;
}

static void
stop_reading(struct client *c)
{
        if (c->read_ev) {
                event_free(c->read_ev);
                c->read_ev = NULL;
        }
        close_fds(c->fds, &c->n_fds);
}

void
client_unref(struct client *c)
{
        if (!c || --c->refs > 0)
                return;
        stop_reading(c);
        close_fds(c->line_fds, &c->n_line_fds);
        if (c->bev)
                bufferevent_free(c->bev);
        if (c->in)
                evbuffer_free(c->in);
        free(c);
}

size_t
client_take_fds(struct client *c, int *fds, size_t max)
{
        size_t n = c->n_line_fds < max ? c->n_line_fds : max;

        memcpy(fds, c->line_fds, n * sizeof(int));
        memmove(c->line_fds, c->line_fds + n, (c->n_line_fds - n) * sizeof(int));
        c->n_line_fds -= n;
        return n;
}

bool
client_is_dead(const struct client *c)
{
        return c->dead;
}

uid_t
client_peer_uid(const struct client *c)
{
        return c->cred.uid;
}

enum authz_role
client_peer_role(const struct client *c)
{
        return c->role;
}

pid_t
client_peer_pid(const struct client *c)
{
        return c->cred.pid;
}

const char *
client_peer_name(const struct client *c)
{
        return c->peer_name;
}

unsigned
client_inflight(const struct client *c)
{
        return c->inflight;
}

void
client_inflight_inc(struct client *c)
{
        c->inflight++;
}

static void
client_maybe_finish(struct client *c)
{
        if (c->dead)
                return;
        if (c->read_eof && c->inflight == 0)
                c->closing = true;
        if (c->closing && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
                client_close(c);
}

void
client_inflight_dec(struct client *c)
{
        if (c->inflight > 0)
                c->inflight--;
        client_maybe_finish(c);
}

/* Marks the client dead and drops the server's reference. The bufferevent
 * (and so the fd) goes now; the struct at the last unref. */
void
client_close(struct client *c)
{
        if (c->dead)
                return;
        c->dead = true;
        stop_reading(c);
        if (c->bev) {
                bufferevent_free(c->bev);
                c->bev = NULL;
        }
        log_debug("client %s disconnected", c->peer_name);
        if (c->stream_fn)
                c->stream_fn(c, c->stream_data);
        server_client_closed(c->server, c);
        client_unref(c);
}

void
client_write(struct client *c, const char *data, size_t len)
{
        if (c->dead || c->closing)
                return;
        if (bufferevent_write(c->bev, data, len) < 0)
                client_close(c);
}

void
client_close_after_flush(struct client *c)
{
        if (c->dead)
                return;
        c->closing = true;
        stop_reading(c);
        client_maybe_finish(c);
}

static void
client_reply_too_long(struct client *c)
{
        char msg[64];
        _cleanup_free_ char *line = NULL;

        snprintf(msg, sizeof(msg), "line longer than %d bytes", PROTO_MAX_LINE);
        line = proto_encode_error(NULL, PROTO_ERR_INVALID_REQUEST, msg, NULL);
        log_info("client %s: %s, closing", c->peer_name, msg);
        if (line)
                client_write(c, line, strlen(line));
        client_close_after_flush(c);
}

static void
client_read_lines(struct client *c, bool at_eof)
{
        struct evbuffer *in = c->in;

        while (!c->dead && !c->closing) {
                struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
                size_t len, total = evbuffer_get_length(in);
                char *line;

                if (p.pos < 0) {
                        if (total > PROTO_MAX_LINE) {
                                client_reply_too_long(c);
                                return;
                        }
                        if (!at_eof || total == 0)
                                return;
                        len = total; /* a last line without its newline */
                } else {
                        len = (size_t) p.pos;
                        if (len > PROTO_MAX_LINE) {
                                client_reply_too_long(c);
                                return;
                        }
                }
                line = malloc(len + 1);
                if (!line) {
                        client_close(c);
                        return;
                }
                evbuffer_remove(in, line, len);
                line[len] = '\0';
                if (p.pos >= 0)
                        evbuffer_drain(in, 1);
                c->line_pos += len + (p.pos >= 0 ? 1 : 0);
                /* fds belong to the line holding a byte of their message. */
                if (c->n_fds > 0 && c->fds_pos < c->line_pos) {
                        memcpy(c->line_fds, c->fds, c->n_fds * sizeof(int));
                        c->n_line_fds = c->n_fds;
                        c->n_fds = 0;
                }
                if (len > 0 && line[len - 1] == '\r')
                        line[--len] = '\0';
                if (len == 0) {
                        free(line);
                        close_fds(c->line_fds, &c->n_line_fds);
                        continue;
                }
                c->on_line(c, line, len, c->userdata);
                /* The handler took what it wanted: the rest is refused. */
                if (c->n_line_fds > 0)
                        log_debug("client %s: closing %zu fds nobody asked for", c->peer_name,
                                  c->n_line_fds);
                close_fds(c->line_fds, &c->n_line_fds);
        }
}

static void
client_on_eof(struct client *c)
{
        if (c->stream) {
                client_close(c);
                return;
        }
        client_read_lines(c, true);
        if (c->dead)
                return;
        c->read_eof = true;
        stop_reading(c);
        client_maybe_finish(c);
}

/* Keeps the fds of one message (closing them if they are too many or
 * the previous ones were never claimed by a line). */
static void
keep_fds(struct client *c, struct msghdr *mh, uint64_t pos)
{
        for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h)) {
                if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                bool refuse = c->stream || c->n_fds > 0 || k > CLIENT_MAX_FDS ||
                              (mh->msg_flags & MSG_CTRUNC);
                for (size_t i = 0; i < k; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
                        if (refuse)
                                safe_close(fd);
                        else
                                c->fds[c->n_fds++] = fd;
                }
                if (refuse)
                        log_info("client %s: refused %zu passed fds (at most %d, with one request)",
                                 c->peer_name, k, CLIENT_MAX_FDS);
                c->fds_pos = pos;
        }
}

static void
client_recv_cb(evutil_socket_t fd, short what, void *arg)
{
        _cleanup_(client_unrefp) struct client *c = client_ref(arg);
        char buf[16384];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 8)];
        } ctl;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf) };
        ssize_t n;

        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return;
                client_close(c);
                return;
        }
        if (n == 0 && mh.msg_controllen == 0) {
                client_on_eof(c);
                return;
        }
        /* The fds' message is the last one this read took (the kernel
         * stops after it): its last byte is inside it. */
        keep_fds(c, &mh, c->in_pos + (uint64_t) n - (n > 0 ? 1 : 0));
        c->in_pos += (uint64_t) n;
        if (c->stream)
                return;
        if (evbuffer_add(c->in, buf, (size_t) n) < 0) {
                client_close(c);
                return;
        }
        client_read_lines(c, false);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
        _cleanup_(client_unrefp) struct client *c = client_ref(arg);

        if (c->stream_fn)
                c->stream_fn(c, c->stream_data);
        client_maybe_finish(c);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
        _cleanup_(client_unrefp) struct client *c = client_ref(arg);

        if (what & BEV_EVENT_ERROR) {
                client_close(c);
                return;
        }
        if (what & BEV_EVENT_EOF)
                client_on_eof(c);
}

struct client *
client_new(struct server *s, struct event_base *base, int fd, const struct ucred *cred,
           enum authz_role role, client_line_fn on_line, void *userdata)
{
        struct client *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->refs = 1; /* the server's */
        c->server = s;
        c->cred = *cred;
        c->role = role;
        c->on_line = on_line;
        c->userdata = userdata;
        snprintf(c->peer_name, sizeof(c->peer_name), "uid=%u pid=%d", (unsigned) cred->uid,
                 (int) cred->pid);
        c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (!c->bev) {
                free(c);
                return NULL;
        }
        bufferevent_setcb(c->bev, NULL, client_write_cb, client_event_cb, c);
        c->in = evbuffer_new();
        c->read_ev = event_new(base, fd, EV_READ | EV_PERSIST, client_recv_cb, c);
        if (!c->in || !c->read_ev || event_add(c->read_ev, NULL) < 0 ||
            bufferevent_enable(c->bev, EV_WRITE) < 0) {
                if (c->read_ev)
                        event_free(c->read_ev);
                if (c->in)
                        evbuffer_free(c->in);
                bufferevent_free(c->bev);
                free(c);
                return NULL;
        }
        return c;
}

void
client_stream_begin(struct client *c, size_t low, client_stream_fn fn, void *userdata)
{
        if (c->dead)
                return;
        c->stream = true;
        c->stream_fn = fn;
        c->stream_data = userdata;
        bufferevent_setwatermark(c->bev, EV_WRITE, low, 0);
}

void
client_stream_end(struct client *c)
{
        c->stream_fn = NULL;
        c->stream_data = NULL;
}

size_t
client_output_pending(const struct client *c)
{
        if (c->dead || !c->bev)
                return 0;
        return evbuffer_get_length(bufferevent_get_output(c->bev));
}

int
client_detach(struct client *c, const char *extra, size_t extra_len, int *ret_fd)
{
        struct evbuffer *out;
        _cleanup_close_ int fd = -1;
        int flags, r;

        if (c->dead || !c->bev)
                return -ENOTCONN;
        fd = fcntl(bufferevent_getfd(c->bev), F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return negative_errno();
        stop_reading(c);
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        /* Blocking from here: the pending output is a few small lines and
         * the client is waiting for exactly these bytes. */
        flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
                (void) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        out = bufferevent_get_output(c->bev);
        while (evbuffer_get_length(out) > 0) {
                size_t n = evbuffer_get_contiguous_space(out);
                r = write_all(fd, (const char *) evbuffer_pullup(out, n), n);
                if (r < 0) {
                        client_close(c);
                        return r;
                }
                evbuffer_drain(out, n);
        }
        if (extra) {
                r = write_all(fd, extra, extra_len);
                if (r < 0) {
                        client_close(c);
                        return r;
                }
        }
        client_close(c);
        *ret_fd = TAKE_FD(fd);
        return 0;
}
