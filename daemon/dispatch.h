/* JSON-RPC dispatch: decodes a request line, finds the method in the
 * table, logs mutating calls with the caller's credentials, and gives the
 * handler a request handle it answers exactly once, now or later. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/client.h"
#include "proto/proto.h"

/* Most requests a client may have unanswered at once. */
#define DISPATCH_MAX_INFLIGHT 16

struct request;

/* A handler must end req with exactly one of request_reply(),
 * request_error*() or request_detach(), now or from a later callback.
 * params is always an object, borrowed for the duration of the call. */
typedef void (*dispatch_handler_fn)(struct request *req, json_t *params, void *userdata);

struct dispatch_method {
        const char *name;
        dispatch_handler_fn handler;
        bool mutating; /* logged at info with the peer's uid/pid */
};

struct dispatch;

/* methods: a NULL-terminated table that must outlive d. */
int dispatch_new(const struct dispatch_method *methods, void *userdata, struct dispatch **ret);
/* Called before the handler of a method that needs ownership
 * (authz_method_need() == AUTHZ_NEED_OWNER) when the caller is not an
 * admin: returns true to go on, or ends req with an error and returns
 * false. userdata is the dispatch's. */
typedef bool (*dispatch_authorize_fn)(struct request *req, json_t *params, void *userdata);
void dispatch_set_authorize(struct dispatch *d, dispatch_authorize_fn fn);
void dispatch_free(struct dispatch *d);
DEFINE_FREEP(struct dispatch, dispatch_free)

/* client_line_fn for server_new(): userdata is the struct dispatch. */
void dispatch_line(struct client *c, char *line, size_t len, void *userdata);

/* The reply ends the request and frees it. result is stolen (may be NULL
 * for {}). If the client is gone, the reply is dropped silently. */
void request_reply(struct request *req, json_t *result);
/* data may be NULL; it is not stolen. */
void request_error(struct request *req, enum proto_error_kind kind, const char *message,
                   json_t *data);
void request_errorf(struct request *req, enum proto_error_kind kind, const char *fmt, ...)
        _printf_(3, 4);
/* Maps a -errno (with its message, if any) to an error kind:
 * ENOENT not_found, EEXIST/EBUSY conflict, EINVAL/ENOEXEC invalid,
 * EPERM/EACCES denied, EAGAIN busy, otherwise internal. */
void request_error_errno(struct request *req, int r, const struct ctr_error *e);
/* A notification to the requesting client (progress), params stolen. */
void request_notify(struct request *req, const char *method, json_t *params);
/* Writes result as the reply synchronously, then takes the connection
 * away from the daemon (attach); *ret_fd gets the socket. Ends req. */
int request_detach(struct request *req, json_t *result, int *ret_fd);
/* Writes result as the reply and keeps the connection in the daemon for a
 * stream of frames (container.logs): returns a new reference to the
 * client, or NULL if it is gone. Ends req. */
struct client *request_stream(struct request *req, json_t *result);
/* Only during the handler call: takes up to max fds that came with the
 * request line (SCM_RIGHTS); the caller owns them. Returns how many. */
size_t request_take_fds(struct request *req, int *fds, size_t max);
/* True if the peer has gone away (its reply would be dropped). */
bool request_client_gone(const struct request *req);
const char *request_method(const struct request *req);
const char *request_peer(const struct request *req);
/* The peer's uid (SO_PEERCRED at accept), for events and authorization. */
uid_t request_peer_uid(const struct request *req);
enum authz_role request_peer_role(const struct request *req);
