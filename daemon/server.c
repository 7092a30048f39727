/* Listening sockets and the set of clients. accept4() gives every
 * connection SOCK_CLOEXEC|SOCK_NONBLOCK; on EMFILE/ENFILE accepting pauses
 * for a second instead of spinning; over SERVER_MAX_CLIENTS a connection
 * gets one "busy" error line and is closed. */
#include "daemon/server.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/log.h"
#include "proto/proto.h"

#define SERVER_MAX_LISTEN 8

struct client_entry {
        struct client *client;
        struct client_entry *next;
};

struct server {
        struct event_base *base;
        int listen_fds[SERVER_MAX_LISTEN];
        struct event *listen_evs[SERVER_MAX_LISTEN];
        size_t n_listen;
        struct event *backoff_ev;
        struct client_entry *clients;
        unsigned n_clients;
        client_line_fn on_line;
        void *userdata;
};

static void
server_listen_enable(struct server *s, bool on)
{
        for (size_t i = 0; i < s->n_listen; i++) {
                if (!s->listen_evs[i])
                        continue;
                if (on)
                        event_add(s->listen_evs[i], NULL);
                else
                        event_del(s->listen_evs[i]);
        }
}

static void
server_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
        server_listen_enable(arg, true);
}

static void
server_reject_busy(int fd)
{
        char msg[80];
        _cleanup_free_ char *line = NULL;

        snprintf(msg, sizeof(msg), "too many clients (limit %d), try again later",
                 SERVER_MAX_CLIENTS);
        line = proto_encode_error(NULL, PROTO_ERR_BUSY, msg, NULL);
        if (line)
                (void) !write(fd, line, strlen(line)); /* best effort, non-blocking */
}

static void
server_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
        struct server *s = arg;
        _cleanup_close_ int fd = -1;
        struct ucred cred = { .pid = 0, .uid = (uid_t) -1, .gid = (gid_t) -1 };
        socklen_t len = sizeof(cred);
        struct client_entry *e;
        struct client *c;

        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                        struct timeval tv = { .tv_sec = 1 };
                        log_warning_errno(-errno, "accept paused for 1s");
                        server_listen_enable(s, false);
                        evtimer_add(s->backoff_ev, &tv);
                } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                        log_warning_errno(-errno, "accept");
                }
                return;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_warning_errno(-errno, "SO_PEERCRED");
                return;
        }
        if (s->n_clients >= SERVER_MAX_CLIENTS) {
                log_warning("refusing client uid=%u pid=%d: %u clients connected",
                            (unsigned) cred.uid, (int) cred.pid, s->n_clients);
                server_reject_busy(fd);
                return;
        }
        e = calloc(1, sizeof(*e));
        if (!e)
                return;
        c = client_new(s, s->base, fd, &cred, s->on_line, s->userdata);
        if (!c) {
                free(e);
                return;
        }
        TAKE_FD(fd); /* the bufferevent owns it */
        e->client = c;
        e->next = s->clients;
        s->clients = e;
        s->n_clients++;
        log_debug("client uid=%u pid=%d connected", (unsigned) cred.uid, (int) cred.pid);
}

void
server_client_closed(struct server *s, struct client *c)
{
        for (struct client_entry **p = &s->clients; *p; p = &(*p)->next) {
                if ((*p)->client == c) {
                        struct client_entry *e = *p;
                        *p = e->next;
                        free(e);
                        s->n_clients--;
                        return;
                }
        }
}

int
server_new(struct event_base *base, const int *listen_fds, size_t n_fds, client_line_fn on_line,
           void *userdata, struct server **ret)
{
        struct server *s;

        if (n_fds == 0 || n_fds > SERVER_MAX_LISTEN)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->base = base;
        s->on_line = on_line;
        s->userdata = userdata;
        for (size_t i = 0; i < n_fds; i++) {
                s->listen_fds[i] = listen_fds[i];
                s->n_listen++;
        }
        s->backoff_ev = evtimer_new(base, server_backoff_cb, s);
        if (!s->backoff_ev)
                goto fail;
        for (size_t i = 0; i < n_fds; i++) {
                evutil_make_socket_nonblocking(listen_fds[i]);
                s->listen_evs[i] =
                        event_new(base, listen_fds[i], EV_READ | EV_PERSIST, server_accept_cb, s);
                if (!s->listen_evs[i] || event_add(s->listen_evs[i], NULL) < 0)
                        goto fail;
        }
        *ret = s;
        return 0;
fail:
        server_free(s);
        return -ENOMEM;
}

void
server_stop_listening(struct server *s)
{
        for (size_t i = 0; i < s->n_listen; i++) {
                if (s->listen_evs[i]) {
                        event_free(s->listen_evs[i]);
                        s->listen_evs[i] = NULL;
                }
                s->listen_fds[i] = safe_close(s->listen_fds[i]);
        }
        if (s->backoff_ev) {
                event_free(s->backoff_ev);
                s->backoff_ev = NULL;
        }
}

void
server_free(struct server *s)
{
        if (!s)
                return;
        server_stop_listening(s);
        while (s->clients)
                client_close(s->clients->client); /* unlinks the entry */
        free(s);
}

unsigned
server_client_count(const struct server *s)
{
        return s->n_clients;
}

int
server_bind_unix(const char *path, int *ret_fd, struct ctr_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct group *gr;
        mode_t old;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return ctr_error_msg(err, ENAMETOOLONG, "socket path `%s` is too long", path);
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return ctr_error_sys(err, errno, "create socket");

        /* A socket file left by a dead daemon is removed; a live one is not. */
        {
                _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                        return ctr_error_msg(err, EADDRINUSE,
                                             "another daemon is listening on `%s`", path);
                if (probe >= 0 && errno == ECONNREFUSED)
                        (void) unlink(path);
        }

        old = umask(0117);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return ctr_error_sys(err, errno, "bind `%s`", path);
        if (chmod(path, 0660) < 0)
                return ctr_error_sys(err, errno, "chmod `%s`", path);
        gr = getgrnam("containerctl");
        if (gr && chown(path, (uid_t) -1, gr->gr_gid) < 0)
                log_warning_errno(-errno, "chgrp `%s` to containerctl", path);
        if (listen(fd, 128) < 0)
                return ctr_error_sys(err, errno, "listen on `%s`", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}
