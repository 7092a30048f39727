/* The listening side of the API socket: binds (or takes from systemd) the
 * sockets, accepts with back-off on fd exhaustion, enforces the client
 * limit, and owns the set of live clients. Lines go to a callback; the
 * server never interprets them. */
#pragma once

#include <event2/event.h>
#include <stdbool.h>

#include "common/error.h"
#include "daemon/authz.h"
#include "daemon/client.h"

#define SERVER_MAX_CLIENTS 64

struct server;

/* listen_fds are taken over (closed by server_free). Loop thread only. */
int server_new(struct event_base *base, const int *listen_fds, size_t n_fds,
               client_line_fn on_line, void *userdata, struct server **ret);
/* Who gets which role (daemon/authz.h). Until called, only uid 0 may
 * connect. Loop thread only. */
void server_set_authz(struct server *s, const struct authz_groups *g);
/* Closes listeners and every client. */
void server_free(struct server *s);
DEFINE_FREEP(struct server, server_free)
/* Stops accepting (shutdown), keeps clients. */
void server_stop_listening(struct server *s);
unsigned server_client_count(const struct server *s);

/* Creates, binds and listens on a Unix socket at path: a stale socket file
 * is removed only if nothing answers on it (connect fails), mode 0660, the
 * user group as its group and an ACL entry giving the admin group access
 * too (either only if it exists; g may be NULL: root only). */
int server_bind_unix(const char *path, const struct authz_groups *g, int *ret_fd,
                     struct ctr_error **err);
/* A socket systemd made (socket activation: containerctld.socket gives it
 * the user group and mode 0660): the same ACL entry for the admin group as
 * server_bind_unix() adds, on the socket's file. */
void server_socket_allow_admin(int fd, const struct authz_groups *g);

/* Internal to server.c/client.c. */
struct client *client_new(struct server *s, struct event_base *base, int fd,
                          const struct ucred *cred, enum authz_role role, client_line_fn on_line,
                          void *userdata);
void server_client_closed(struct server *s, struct client *c);
