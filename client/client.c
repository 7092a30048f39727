/* Connection and error-printing helpers every command uses. All output
 * about failures goes to stderr; stdout carries only command results. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "client/client.h"

const char *
json_str(json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

int
usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("containerctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nSee 'containerctl --help'.\n", stderr);
        return EXIT_USAGE;
}

int
client_connect_new(struct client *cl, struct conn **ret)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        int r;

        r = conn_open(cl->socket_path, ret, &err);
        if (r < 0)
                fprintf(stderr, "containerctl: %s\n", err ? err->message : "cannot connect");
        return r;
}

int
client_connect(struct client *cl)
{
        if (cl->conn)
                return 0;
        return client_connect_new(cl, &cl->conn);
}

void
client_print_reply_error(const struct proto_reply *reply)
{
        fprintf(stderr, "Error: %s\n", reply->error_message ? reply->error_message : "unknown error");
}

int
client_reply_exit_code(const struct proto_reply *reply)
{
        json_t *code = json_object_get(reply->error_data, "exit_code");

        if (json_is_integer(code) &&
            (json_integer_value(code) == 126 || json_integer_value(code) == 127))
                return (int) json_integer_value(code);
        return EXIT_USAGE;
}

int
client_call_reply(struct client *cl, const char *method, json_t *params, conn_notify_fn notify,
                  void *userdata, struct proto_reply *ret)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        int r;

        r = client_connect(cl);
        if (r < 0)
                return r;
        r = conn_call(cl->conn, method, params, notify, userdata, ret, &err);
        if (r < 0) {
                fprintf(stderr, "Error: %s\n", err ? err->message : "request failed");
                /* The connection is in an unknown state: do not reuse it. */
                conn_free(cl->conn);
                cl->conn = NULL;
        }
        return r;
}

int
client_call(struct client *cl, const char *method, json_t *params, json_t **ret_result)
{
        struct proto_reply reply;
        int r;

        r = client_call_reply(cl, method, params, NULL, NULL, &reply);
        if (r < 0)
                return r;
        if (reply.is_error) {
                client_print_reply_error(&reply);
                proto_reply_clear(&reply);
                return CLIENT_EREMOTE;
        }
        if (ret_result)
                *ret_result = json_incref(reply.result);
        proto_reply_clear(&reply);
        return 0;
}
