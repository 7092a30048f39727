/* The glue between a command's request and the stream loop: detach-keys
 * resolution, window size, raw mode and its restoration. Owns no state
 * beyond one call. */
#include <errno.h>
#include <stdio.h>
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
        return end;
}
