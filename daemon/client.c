/* Per-connection I/O with a bufferevent: splits the input into lines with
 * the PROTO_MAX_LINE limit, queues replies, and closes politely (after the
 * peer's EOF once every owed reply is written). A client is freed only at
 * its last unref, so callbacks holding a reference never see freed memory. */
#include "daemon/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/log.h"
#include "daemon/server.h"
#include "proto/proto.h"

struct client {
        unsigned refs;
        bool dead;
        bool read_eof;
        bool closing; /* close once output is flushed */
        struct server *server;
        struct bufferevent *bev;
        struct ucred cred;
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

void
client_unref(struct client *c)
{
        if (!c || --c->refs > 0)
                return;
        if (c->bev)
                bufferevent_free(c->bev);
        free(c);
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
        bufferevent_disable(c->bev, EV_READ);
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
        struct evbuffer *in = bufferevent_get_input(c->bev);

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
                if (len > 0 && line[len - 1] == '\r')
                        line[--len] = '\0';
                if (len == 0) {
                        free(line);
                        continue;
                }
                c->on_line(c, line, len, c->userdata);
        }
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
        _cleanup_(client_unrefp) struct client *c = client_ref(arg);

        if (c->stream) {
                struct evbuffer *in = bufferevent_get_input(c->bev);
                evbuffer_drain(in, evbuffer_get_length(in));
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
        if ((what & BEV_EVENT_EOF) && c->stream) {
                client_close(c);
                return;
        }
        if (what & BEV_EVENT_EOF) {
                client_read_lines(c, true);
                if (c->dead)
                        return;
                c->read_eof = true;
                bufferevent_disable(c->bev, EV_READ);
                client_maybe_finish(c);
        }
}

struct client *
client_new(struct server *s, struct event_base *base, int fd, const struct ucred *cred,
           client_line_fn on_line, void *userdata)
{
        struct client *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->refs = 1; /* the server's */
        c->server = s;
        c->cred = *cred;
        c->on_line = on_line;
        c->userdata = userdata;
        snprintf(c->peer_name, sizeof(c->peer_name), "uid=%u pid=%d", (unsigned) cred->uid,
                 (int) cred->pid);
        c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (!c->bev) {
                free(c);
                return NULL;
        }
        bufferevent_setcb(c->bev, client_read_cb, client_write_cb, client_event_cb, c);
        if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) < 0) {
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

static int
write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
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
