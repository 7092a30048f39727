/* Listening sockets and the set of clients. accept4() gives every
 * connection SOCK_CLOEXEC|SOCK_NONBLOCK; on EMFILE/ENFILE accepting pauses
 * for a second instead of spinning; over SERVER_MAX_CLIENTS a connection
 * gets one "busy" error line and is closed. */
#include "daemon/server.h"

#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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
        struct authz_groups authz;
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


/* Best effort, non-blocking: the peer gets one error line, then EOF. */
static void
server_reject(int fd, enum proto_error_kind kind, const char *msg)
{
        _cleanup_free_ char *line = proto_encode_error(NULL, kind, msg, NULL);

        if (line)
                (void) !write(fd, line, strlen(line));
}

/* The peer's role from its uid, primary gid and supplementary groups as
 * the kernel recorded them when it connected (not looked up by name: a
 * user removed from a group since login keeps the groups of its process,
 * exactly what the kernel enforces for files too). */
static enum authz_role
server_peer_role(const struct server *s, int fd, const struct ucred *cred)
{
        _cleanup_free_ gid_t *groups = NULL;
        size_t n = 0;

        if (cred->uid == 0)
                return AUTHZ_ROLE_ADMIN;
        if (authz_peer_groups(fd, &groups, &n) < 0)
                n = 0;
        return authz_role_for(cred->uid, cred->gid, groups, n, &s->authz);
}

static void
server_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
        struct server *s = arg;
        _cleanup_close_ int fd = -1;
        struct ucred cred = { .pid = 0, .uid = (uid_t) -1, .gid = (gid_t) -1 };
        socklen_t len = sizeof(cred);
        struct client_entry *e;
        enum authz_role role;
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
        role = server_peer_role(s, fd, &cred);
        if (role == AUTHZ_ROLE_NONE) {
                char msg[256];
                log_info("refusing client uid=%u pid=%d: not an admin or user of containerctl",
                         (unsigned) cred.uid, (int) cred.pid);
                server_reject(fd, PROTO_ERR_DENIED, authz_refusal_message(cred.uid, &s->authz, msg, sizeof(msg)));
                return;
        }
        if (s->n_clients >= SERVER_MAX_CLIENTS) {
                log_warning("refusing client uid=%u pid=%d: %u clients connected",
                            (unsigned) cred.uid, (int) cred.pid, s->n_clients);
                char msg[80];
                snprintf(msg, sizeof(msg), "too many clients (limit %d), try again later",
                         SERVER_MAX_CLIENTS);
                server_reject(fd, PROTO_ERR_BUSY, msg);
                return;
        }
        e = calloc(1, sizeof(*e));
        if (!e)
                return;
        c = client_new(s, s->base, fd, &cred, role, s->on_line, s->userdata);
        if (!c) {
                free(e);
                return;
        }
        TAKE_FD(fd); /* the bufferevent owns it */
        e->client = c;
        e->next = s->clients;
        s->clients = e;
        s->n_clients++;
        log_debug("client uid=%u pid=%d connected (%s)", (unsigned) cred.uid, (int) cred.pid,
                  authz_role_to_string(role));
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
server_set_authz(struct server *s, const struct authz_groups *g)
{
        s->authz = *g;
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

/* Gives group gid read-write access to path with a POSIX ACL entry (the
 * system.posix_acl_access xattr, acl(5)'s on-disk form: a version header,
 * then entries sorted by tag), so the socket's one group (users) and the
 * admins can both connect. */
static int
socket_acl_add_group(const char *path, gid_t gid)
{
        struct {
                uint32_t version;
                struct {
                        uint16_t tag, perm;
                        uint32_t id;
                } __attribute__((packed)) e[5];
        } __attribute__((packed)) acl = {
                .version = 2,
                .e = {
                        { 0x01, 6, UINT32_MAX },   /* ACL_USER_OBJ rw */
                        { 0x04, 6, UINT32_MAX },   /* ACL_GROUP_OBJ rw */
                        { 0x08, 6, (uint32_t) gid }, /* ACL_GROUP gid rw */
                        { 0x10, 6, UINT32_MAX },   /* ACL_MASK rw */
                        { 0x20, 0, UINT32_MAX },   /* ACL_OTHER none */
                },
        };

        if (setxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0) < 0)
                return -errno;
        return 0;
}

void
server_socket_allow_admin(int fd, const struct authz_groups *g)
{
        struct sockaddr_un sa = { 0 };
        socklen_t len = sizeof(sa) - 1; /* keeps a NUL after sun_path */
        int r;

        if (!g || !g->has_admin)
                return;
        /* An abstract or unnamed socket has no file to give access to. */
        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0 ||
            len <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] != '/')
                return;
        r = socket_acl_add_group(sa.sun_path, g->admin_gid);
        if (r < 0)
                log_warning_errno(r, "give group %s access to `%s` (ACL)", g->admin_name, sa.sun_path);
}

int
server_bind_unix(const char *path, const struct authz_groups *g, int *ret_fd,
                 struct ctr_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
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
        if (g && g->has_user && chown(path, (uid_t) -1, g->user_gid) < 0)
                log_warning_errno(-errno, "chgrp `%s` to %s", path, g->user_name);
        if (g && g->has_admin && (r = socket_acl_add_group(path, g->admin_gid)) < 0)
                log_warning_errno(r, "give group %s access to `%s` (ACL)", g->admin_name, path);
        if (listen(fd, 128) < 0)
                return ctr_error_sys(err, errno, "listen on `%s`", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}
