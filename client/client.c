/* Connection and error-printing helpers every command uses, and the
 * pieces of a command several share: option errors, the multi-target and
 * listing commands, command tables. All output about failures goes to stderr;
 * stdout carries only command results. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/args.h"
#include "client/client.h"
#include "client/commands.h"
#include "client/output.h"

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
option_error(char **argv, int c)
{
        _cleanup_error_ struct ctr_error *err = NULL;

        args_option_error(argv, c, &err);
        return usage_error("%s", err ? err->message : "invalid option");
}

int
parse_exit(int r, const struct ctr_error *err, const char *usage, ...)
{
        va_list ap;

        if (r != 1)
                return usage_error("%s", err ? err->message : "invalid arguments");
        va_start(ap, usage);
        vprintf(usage, ap);
        va_end(ap);
        return 0;
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
client_reply_fail(struct proto_reply *reply)
{
        int code = client_reply_exit_code(reply);

        client_print_reply_error(reply);
        proto_reply_clear(reply);
        return code;
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

/* Hands the result of *reply to *ret_result (may be NULL) and clears it;
 * an error reply is printed and gives CLIENT_EREMOTE. */
static int
reply_result(struct proto_reply *reply, json_t **ret_result)
{
        int r = 0;

        if (reply->is_error) {
                client_print_reply_error(reply);
                r = CLIENT_EREMOTE;
        } else if (ret_result)
                *ret_result = json_incref(reply->result);
        proto_reply_clear(reply);
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
        return reply_result(&reply, ret_result);
}

int
client_call_checked(struct client *cl, const char *method, json_t *params,
                    conn_notify_fn notify, void *userdata, struct proto_reply *ret)
{
        if (client_call_reply(cl, method, params, notify, userdata, ret) < 0)
                return EXIT_USAGE;
        if (ret->is_error)
                return client_reply_fail(ret);
        return 0;
}

int
client_call_once(struct client *cl, const char *method, json_t *params, json_t **ret_result)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        struct proto_reply reply;
        int r;

        r = client_connect_new(cl, &c);
        if (r < 0)
                return r;
        r = conn_call(c, method, params, NULL, NULL, &reply, &err);
        if (r < 0) {
                fprintf(stderr, "Error: %s\n", err ? err->message : "request failed");
                return r;
        }
        return reply_result(&reply, ret_result);
}

int
client_next_notification(struct client *cl, struct proto_reply *ret)
{
        struct conn *c = cl->conn;

        if (!c)
                return -ENOTCONN;
        for (;;) {
                _cleanup_free_ char *line = NULL, *msg = NULL;
                char buf[65536];
                size_t len;
                ssize_t n;
                int r;

                r = proto_line_buffer_take(&c->buf, &line, &len);
                if (r < 0) {
                        fprintf(stderr, "Error: read from containerctld: %s\n", strerror(-r));
                        return r;
                }
                if (r > 0) {
                        r = proto_reply_decode(line, len, ret, &msg);
                        if (r < 0) {
                                fprintf(stderr, "Error: bad line from containerctld: %s\n",
                                        msg ? msg : strerror(-r));
                                return r;
                        }
                        if (ret->method)
                                return 1;
                        proto_reply_clear(ret);
                        continue;
                }
                do
                        n = read(c->fd, buf, sizeof(buf));
                while (n < 0 && errno == EINTR);
                if (n < 0) {
                        r = -errno;
                        fprintf(stderr, "Error: read from containerctld: %s\n", strerror(-r));
                        return r;
                }
                if (n == 0)
                        return 0;
                r = proto_line_buffer_feed(&c->buf, buf, (size_t) n);
                if (r < 0) {
                        fprintf(stderr, "Error: read from containerctld: %s\n", strerror(-r));
                        return r;
                }
        }
}

void
client_collect_result(const char *target, json_t *result, void *userdata)
{
        json_array_append(userdata, result);
}

int
client_call_each(struct client *cl, char **targets, int n, const char *method,
                 const char *key, json_t *extra, client_each_fn done, void *userdata)
{
        int failed = 0;

        for (int i = 0; i < n; i++) {
                json_auto_t *params = extra ? json_copy(extra) : json_object();
                json_auto_t *result = NULL;
                int r;

                if (!params || json_object_set_new(params, key, json_string(targets[i])) < 0)
                        return EXIT_USAGE;
                r = client_call(cl, method, params, &result);
                if (r == CLIENT_EREMOTE) {
                        failed = 1;
                        continue;
                }
                if (r < 0)
                        return EXIT_USAGE; /* transport: no point trying the others */
                if (done)
                        done(targets[i], result, userdata);
                else
                        printf("%s\n", targets[i]);
        }
        fflush(stdout);
        return failed;
}

int
target_command(struct client *cl, int argc, char **argv, const struct target_cmd *cmd,
               json_t *extra)
{
        static const char *const option_usage[] = {
                [ARGS_NO_OPTION] = "",
                [ARGS_OPT_FORCE] = " [-f|--force]",
                [ARGS_OPT_SIGNAL] = " [-s|--signal SIGNAL]",
        };
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = extra ? json_incref(extra) : json_object();
        json_auto_t *all = cmd->collect ? json_array() : NULL;
        int r;

        if (!params || (cmd->collect && !all))
                return EXIT_USAGE;
        r = args_parse_targets(argc, argv, cmd->name, cmd->option, cmd->what, params, &err);
        if (r != 0)
                return parse_exit(r, err, "Usage: containerctl %s%s %s...\n", cmd->name,
                                  option_usage[cmd->option], cmd->target);
        r = client_call_each(cl, argv + optind, argc - optind, cmd->method, cmd->key, params,
                             all ? client_collect_result : cmd->done, all);
        /* inspect prints what it got, unless the connection failed. */
        if (all && r != EXIT_USAGE)
                print_json(all);
        return r;
}

/* Calls method (a "NOUN.list"); *ret_list is the array at key of the
 * result, borrowed from *ret_result. Prints errors. */
static int
call_list(struct client *cl, const char *method, json_t *params, const char *key,
          json_t **ret_result, json_t **ret_list)
{
        json_auto_t *result = NULL;
        const char *dot = strchr(method, '.');

        if (client_call(cl, method, params, &result) < 0)
                return EXIT_USAGE;
        *ret_list = json_object_get(result, key);
        if (!json_is_array(*ret_list)) {
                fprintf(stderr, "Error: %s returned no %.*s list\n", method,
                        dot ? (int) (dot - method) : 0, method);
                return EXIT_USAGE;
        }
        *ret_result = TAKE_PTR(result);
        return 0;
}

int
list_command(struct client *cl, int argc, char **argv, const struct list_cmd *cmd)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = json_object(), *result = NULL;
        struct args_list o;
        json_t *list;
        int r;

        r = args_parse_list(argc, argv, cmd->with_all, &o, &err);
        if (r != 0)
                return parse_exit(r, err, "%s", cmd->usage);
        if (cmd->arg_key && argc - optind != 1)
                return usage_error("%s", cmd->arg_error);
        if (!cmd->arg_key && optind < argc)
                return usage_error("%s takes no arguments", argv[0]);
        if (!params ||
            (cmd->with_all && json_object_set_new(params, "all", json_boolean(o.all)) < 0) ||
            (cmd->arg_key &&
             json_object_set_new(params, cmd->arg_key, json_string(argv[optind])) < 0))
                return EXIT_USAGE;
        if (call_list(cl, cmd->method, json_object_size(params) ? params : NULL, cmd->key, &result,
                      &list) != 0)
                return EXIT_USAGE;
        if (print_listing(list, o.json, o.quiet, cmd->id_key, cmd->headers, cmd->add_row,
                          (int64_t) time(NULL)) < 0)
                return EXIT_USAGE;
        return 0;
}

const struct command *
command_find(const struct command *cmds, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(cmds[i].name, name) == 0)
                        return &cmds[i];
        return NULL;
}

void
command_print_list(const struct command *cmds, size_t n)
{
        int width = 0;

        for (size_t i = 0; i < n; i++)
                if (cmds[i].help && (int) strlen(cmds[i].synopsis ?: cmds[i].name) > width)
                        width = (int) strlen(cmds[i].synopsis ?: cmds[i].name);
        for (size_t i = 0; i < n; i++)
                if (cmds[i].help)
                        printf("  %-*s   %s\n", width, cmds[i].synopsis ?: cmds[i].name,
                               cmds[i].help);
}
