/* State shared by the client's commands: where the daemon is, the one
 * connection they use, and the calls that print errors the Docker way
 * ("Error: <daemon message>", exit code 125). */
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

/* "containerctl: <what>" plus the --help hint, on stderr. Returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) _printf_(1, 2);

/* The string at key, or NULL. */
const char *json_str(json_t *obj, const char *key);
