/* State shared by the client's commands: where the daemon is, the one
 * connection they use, and the calls that print errors the Docker way
 * ("Error: <daemon message>", exit code 125): one call, or one call per
 * target. */
#pragma once

#include <jansson.h>

#include "client/connection.h"
#include "common/macros.h"

#define EXIT_USAGE 125 /* usage errors and daemon errors, as docker */

struct client {
        const char *socket_path;
        struct conn *conn; /* opened on first use */
};

/* The daemon answered with an error reply (already printed). */
#define CLIENT_EREMOTE (-EREMOTEIO)

/* Opens cl->conn if needed; prints the connect error. */
int client_connect(struct client *cl);
/* A second, independent connection (signal forwarding, wait after an
 * attach). Prints the connect error. */
int client_connect_new(struct client *cl, struct conn **ret);

/* Calls method on cl's connection. On success *ret_result (may be NULL) is
 * a new reference. A daemon error is printed as "Error: <message>" and
 * gives CLIENT_EREMOTE; a transport error is printed too and gives its
 * -errno. */
int client_call(struct client *cl, const char *method, json_t *params, json_t **ret_result);
/* Like conn_call() on cl's connection, printing only transport errors. */
int client_call_reply(struct client *cl, const char *method, json_t *params,
                      conn_notify_fn notify, void *userdata, struct proto_reply *ret);
/* Prints "Error: <message>" for an error reply. */
void client_print_reply_error(const struct proto_reply *reply);
/* Exit code for an error reply: data.exit_code when it is 126 or 127
 * (command not executable / not found, as Docker exits), else 125. */
int client_reply_exit_code(const struct proto_reply *reply);
/* For an error reply: prints it, clears it and returns its exit code
 * (client_reply_exit_code). */
int client_reply_fail(struct proto_reply *reply);
/* client_call_reply() for a call that starts a stream or whose error may
 * carry an exit code: 0 with a success reply in *ret (caller clears it),
 * else the exit code: EXIT_USAGE after a transport error, the reply's
 * (client_reply_fail) after an error reply. */
int client_call_checked(struct client *cl, const char *method, json_t *params,
                        conn_notify_fn notify, void *userdata, struct proto_reply *ret);
/* client_call() on a new connection of its own, closed after: for a call
 * after a stream, when cl's connection carries frames. */
int client_call_once(struct client *cl, const char *method, json_t *params, json_t **ret_result);
/* After a reply that turned cl's connection into a stream of notification
 * lines (events.subscribe): waits for the next notification. Returns 1
 * with *ret (caller clears it), 0 at EOF, or -errno after printing the
 * error. Anything that is not a notification is skipped. */
int client_next_notification(struct client *cl, struct proto_reply *ret);

/* What client_call_each() does with each success (NULL: prints the target). */
typedef void (*client_each_fn)(const char *target, json_t *result, void *userdata);
/* For each of the n targets: calls method with {key: target} plus a copy of
 * extra (may be NULL), and hands a success to done. Daemon errors are
 * printed and the others still tried; a transport error stops at once.
 * Returns 0, 1 if any target failed, or EXIT_USAGE. */
int client_call_each(struct client *cl, char **targets, int n, const char *method,
                     const char *key, json_t *extra, client_each_fn done, void *userdata);
/* A client_each_fn appending the result to the JSON array userdata. */
void client_collect_result(const char *target, json_t *result, void *userdata);

/* "containerctl: <what>" plus the --help hint, on stderr. Returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) _printf_(1, 2);

/* The string at key, or NULL. */
const char *json_str(json_t *obj, const char *key);
