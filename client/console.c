/* The glue between a command's request and the stream loop: detach-keys
 * resolution, window size, raw mode and its restoration, and what a stream
 * cut off before its EXIT frame means. Owns no state beyond one call. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/config.h"
#include "client/console.h"
#include "client/terminal.h"

int
console_init(struct console *con, const char *detach_keys_flag)
{
        _cleanup_error_ struct ctr_error *err = NULL;

        if (client_detach_keys(detach_keys_flag, &con->keys, &err) < 0)
                return usage_error("%s", err ? err->message : "invalid detach keys");
        return 0;
}

int
console_add_size(json_t *params, bool tty)
{
        unsigned rows, cols;

        if (!tty || terminal_get_size(&rows, &cols) < 0)
                return 0;
        if (json_object_set_new(params, "rows", json_integer(rows)) < 0 ||
            json_object_set_new(params, "cols", json_integer(cols)) < 0)
                return -ENOMEM;
        return 0;
}

/* After a stream cut off without EXIT: says what became of the container
 * or exec (inspect on a new connection, never waiting), for the user to
 * act on; the exit code stays EXIT_USAGE whatever it says. */
static void
report_state(struct client *cl, const struct console *con)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        bool is_exec = strcmp(con->kill_method, "exec.kill") == 0;
        json_auto_t *params = json_pack("{s:s}", con->kill_key, con->kill_target);
        const char *what = is_exec ? "exec" : "container";
        struct proto_reply reply;
        json_t *st, *code;
        bool running;

        if (!params || client_connect_new(cl, &c) < 0)
                return;
        if (conn_call(c, is_exec ? "exec.inspect" : "container.inspect", params, NULL, NULL, &reply, &err) < 0)
                return;
        if (reply.is_error) {
                proto_reply_clear(&reply);
                return;
        }
        st = is_exec ? reply.result : json_object_get(reply.result, "state");
        running = is_exec ? json_is_true(json_object_get(st, "running"))
                          : json_is_string(json_object_get(st, "status")) &&
                                    strcmp(json_string_value(json_object_get(st, "status")), "running") == 0;
        code = json_object_get(st, "exit_code");
        if (running)
                fprintf(stderr, "containerctl: %s %.12s is still running (containerctl %s %.12s)\n", what,
                        con->kill_target, is_exec ? "exec attach" : "attach", con->kill_target);
        else if (json_is_integer(code))
                fprintf(stderr, "containerctl: %s %.12s exited with code %d\n", what, con->kill_target,
                        exit_code_from_result(st));
        proto_reply_clear(&reply);
}

int
console_run(struct client *cl, struct conn *c, const struct console *con, int *ret_exit_code)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        bool in_tty = isatty(STDIN_FILENO);
        bool raw = con->tty && con->send_stdin && in_tty;
        struct stream_opts o = {
                .send_stdin = con->send_stdin,
                .resize = con->tty,
                /* In cooked mode the tty driver eats ctrl-q (IXON) and
                 * buffers lines; from a pipe the keys would corrupt data. */
                .detach = in_tty ? &con->keys : NULL,
        };
        int end;

        if (!raw) {
                o.kill_method = con->kill_method;
                o.kill_key = con->kill_key;
                o.kill_target = con->kill_target;
        }
        /* A terminal we cannot switch still works, only less well. */
        if (raw && terminal_make_raw(STDIN_FILENO, &err) < 0)
                fprintf(stderr, "Warning: %s\n", err ? err->message : "cannot set raw mode");
        end = stream_session(cl, c, &o, ret_exit_code);
        terminal_restore();
        if (end == STREAM_DETACHED)
                fprintf(stderr, "read escape sequence\n");
        if (end == STREAM_LOST && con->kill_method) {
                /* The monitor dropped us, or it or the daemon died: some
                 * output may be missing, so this is never a success, and
                 * never the container's own exit code either. */
                fprintf(stderr, "containerctl: the output stream was cut off before the container exited\n");
                report_state(cl, con);
                *ret_exit_code = EXIT_USAGE;
                end = STREAM_EXITED;
        }
        return end;
}
