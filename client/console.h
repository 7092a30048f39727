/* What every attaching command (run, start -a, attach, exec, exec attach)
 * does around the stream: resolve the detach keys before the request,
 * add the window size to it, put the terminal in raw mode, run the
 * stream, restore the terminal, report a detach. */
#pragma once

#include "client/client.h"
#include "client/detach-keys.h"
#include "client/stream.h"

struct console {
        struct detach_keys keys;
        bool tty;        /* the remote side has a tty */
        bool send_stdin; /* -i / attach with stdin */
        /* Signal forwarding target when the terminal is not raw (see stream.h). */
        const char *kill_method, *kill_key, *kill_target;
};

/* Resolves the detach keys (flag may be NULL; see config.h). Prints a
 * usage error and returns EXIT_USAGE on a bad spec, else 0. */
int console_init(struct console *con, const char *detach_keys_flag);

/* Adds "rows" and "cols" to params when tty and our terminal's size is
 * known. Returns 0 or -ENOMEM. */
int console_add_size(json_t *params, bool tty);

/* Runs the stream on c (just after the success reply). Raw mode when
 * con->tty, con->send_stdin and fd 0 is a terminal; detach keys are
 * watched only when fd 0 is a terminal. On a detach prints "read escape
 * sequence" on stderr (after restoring the terminal). For an attaching
 * command (con->kill_method set: run, start -a, attach, exec, exec
 * attach), a stream cut off without its EXIT frame prints "containerctl:
 * the output stream was cut off before the container exited" and the
 * state of the container/exec, and ends as STREAM_EXITED with
 * *ret_exit_code EXIT_USAGE (125): output may be missing, so it is never
 * a success. Returns an enum stream_end, with *ret_exit_code set for
 * STREAM_EXITED. */
int console_run(struct client *cl, struct conn *c, const struct console *con, int *ret_exit_code);
